//! An index read from a commit's tree instead of a folder: the same layout
//! rules, the same caps, blobs read straight from git's object database.
//!
//! A `git2::Repository` is not `Sync`, and `check` reads plugins in
//! parallel: each rayon worker gets a handle of its own (opened on its first
//! read), so the locks around them are never contended.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use git2::{ObjectType, Odb, Oid, Repository, Tree};

use super::git::{GitError, GitRepo, Rev};
use super::{
    ArtifactError, Entry, Folder, Kind, Layout, PLUGINS_DIR, PluginDir, PluginFiles, Source, Text,
    read_plugin_files, scan_plugins, symlink_diag, text_of, too_large,
};
use crate::diagnostic::{Code, Diagnostic};
use crate::format::name::{canonical, shard};

pub struct TreeSource {
    /// The handle of threads outside the rayon pool, and of workers whose
    /// own handle could not be opened.
    first: Mutex<Handle>,
    /// One per rayon worker, by thread index, opened on first use.
    workers: Vec<Mutex<Option<Handle>>>,
    /// The repository's git folder, to open more handles.
    path: PathBuf,
    commit: Oid,
    tree: Oid,
    /// The index root inside the repository, `/`-terminated unless it is the root.
    prefix: String,
    label: String,
    /// Plugin folders' tree ids from a walk of `plugins/`, so that reading a
    /// plugin costs no lookup from the root: the `plugins/` tree of a large
    /// index is too big for libgit2's object cache and would be inflated
    /// again for every plugin.
    known: OnceLock<HashMap<String, Oid>>,
}

/// One repository handle and its object database.
struct Handle {
    repo: Repository,
    /// Taken once: blob sizes and contents are read from it directly.
    odb: Odb<'static>,
}

impl Handle {
    fn open(path: &Path) -> Result<Handle, git2::Error> {
        let repo = Repository::open(path)?;
        // An object database of our own over the repository's objects,
        // shared with the handle, so that it can live beside it.
        let odb = Odb::new()?;
        let objects = repo.commondir().join("objects");
        odb.add_disk_alternate(&objects.to_string_lossy())?;
        repo.set_odb(&odb)?;
        Ok(Handle { repo, odb })
    }
}

/// A lock that a panic elsewhere cannot poison: the handles are read-only.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a path in the tree is.
enum Node {
    Missing,
    Dir(Oid),
    /// A blob with its size.
    File(Oid, u64),
    Symlink,
    /// A submodule or an unknown mode.
    Other,
}

impl Node {
    fn of(odb: &Odb<'_>, entry: &git2::TreeEntry<'_>) -> Node {
        match (entry.kind(), entry.filemode()) {
            (Some(ObjectType::Tree), _) => Node::Dir(entry.id()),
            (Some(ObjectType::Blob), 0o120000) => Node::Symlink,
            (Some(ObjectType::Blob), _) => {
                // The header gives the size without inflating the blob, so
                // the caps hold before anything large is read.
                let size = odb
                    .read_header(entry.id())
                    .map_or(0, |(size, _)| size as u64);
                Node::File(entry.id(), size)
            }
            _ => Node::Other,
        }
    }
}

impl TreeSource {
    /// The index as it is in `rev`'s tree.
    pub fn at(repo: &GitRepo, rev: &Rev) -> Result<TreeSource, GitError> {
        TreeSource::open(repo.git_dir(), rev, &repo.prefix)
    }

    /// [`TreeSource::at`], failing when `rev` has no index folder at the
    /// index's path (a pull request's base may lack it; `--rev` may not).
    pub fn folder_at(repo: &GitRepo, rev: &Rev) -> Result<TreeSource, GitError> {
        let folder = repo.prefix.trim_end_matches('/');
        if !folder.is_empty() {
            let tree = repo.repository().find_tree(rev.tree)?;
            let is_dir = tree
                .get_path(Path::new(folder))
                .is_ok_and(|e| e.kind() == Some(ObjectType::Tree));
            if !is_dir {
                return Err(GitError::NotInCommit {
                    index: folder.to_owned(),
                    rev: rev.name.clone(),
                });
            }
        }
        TreeSource::at(repo, rev)
    }

    pub(crate) fn open(repo_path: &Path, rev: &Rev, prefix: &str) -> Result<TreeSource, GitError> {
        let workers = (0..rayon::current_num_threads())
            .map(|_| Mutex::new(None))
            .collect();
        Ok(TreeSource {
            first: Mutex::new(Handle::open(repo_path)?),
            workers,
            path: repo_path.to_owned(),
            commit: rev.commit,
            tree: rev.tree,
            prefix: prefix.to_owned(),
            label: format!("the index at {} ({})", rev.name, rev.short()),
            known: OnceLock::new(),
        })
    }

    /// The commit this index was read from.
    pub fn commit(&self) -> Oid {
        self.commit
    }

    /// Runs `f` with this thread's handle.
    fn with<R>(&self, f: impl FnOnce(&Handle) -> R) -> R {
        if let Some(slot) = rayon::current_thread_index().and_then(|i| self.workers.get(i)) {
            let mut handle = lock(slot);
            if handle.is_none() {
                *handle = Handle::open(&self.path).ok();
            }
            if let Some(h) = handle.as_ref() {
                return f(h);
            }
        }
        f(&lock(&self.first))
    }

    /// The tree entry at `full` (a path inside the repository), or the root tree.
    fn entry(h: &Handle, tree: Oid, full: &str) -> Option<git2::TreeEntry<'static>> {
        h.repo.find_tree(tree).ok()?.get_path(Path::new(full)).ok()
    }

    /// What is at `full` (a path inside the repository).
    fn node(h: &Handle, tree: Oid, full: &str) -> Node {
        if full.is_empty() {
            return Node::Dir(tree);
        }
        Self::entry(h, tree, full).map_or(Node::Missing, |e| Node::of(&h.odb, &e))
    }

    fn full(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
            .trim_end_matches('/')
            .to_owned()
    }

    /// The git id of what is at `rel` (relative to the index root; `""` is
    /// the index root itself): a blob's for a file, a tree's for a folder.
    /// Equal ids mean equal content, whatever the commit.
    pub fn tree_id_of(&self, rel: &str) -> Option<Oid> {
        let full = self.full(rel);
        if full.is_empty() {
            return Some(self.tree);
        }
        self.with(|h| Self::entry(h, self.tree, &full).map(|e| e.id()))
    }

    /// Every plugin folder of the tree, sorted by path.
    pub fn plugin_dirs(&self) -> Vec<PluginDir> {
        self.plugin_dirs_with_ids(&mut Vec::new())
            .into_iter()
            .map(|(dir, _)| dir)
            .collect()
    }

    /// [`TreeSource::plugin_dirs`], each with the git tree id of the plugin
    /// folder: a plugin whose files did not change between two commits keeps
    /// its id. What does not belong in the layout is reported to `out`.
    pub fn plugin_dirs_with_ids(&self, out: &mut Vec<Diagnostic>) -> Vec<(PluginDir, Oid)> {
        self.scan(out)
    }

    /// The plugin folders that commits between `commit` and this source's
    /// commit touched (see [`super::touched::touched_between`]).
    pub fn touched_since(&self, commit: Oid, limit: usize) -> Option<BTreeSet<String>> {
        self.with(|h| {
            super::touched::touched_between(&h.repo, &self.prefix, commit, self.commit, limit)
        })
    }

    /// Whether the repository's history is cut (a shallow clone).
    pub fn is_shallow(&self) -> bool {
        self.with(|h| h.repo.is_shallow())
    }

    /// Walks the shard folders (never a plugin's own files), reporting what
    /// does not belong in the layout as the folder walk does.
    fn scan(&self, out: &mut Vec<Diagnostic>) -> Vec<(PluginDir, Oid)> {
        let found = match self.with(|h| Self::node(h, self.tree, &self.full(PLUGINS_DIR))) {
            Node::Missing => Vec::new(),
            Node::Dir(id) => scan_plugins(self, &id, out),
            Node::Symlink => {
                out.push(symlink_diag(PLUGINS_DIR));
                Vec::new()
            }
            Node::File(..) | Node::Other => {
                out.push(Diagnostic::error(
                    PLUGINS_DIR,
                    Code::UnexpectedFile,
                    format!("`{PLUGINS_DIR}` is not a folder"),
                ));
                Vec::new()
            }
        };
        let _ = self.known.set(
            found
                .iter()
                .map(|(dir, id)| (dir.rel.clone(), *id))
                .collect(),
        );
        found
    }

    /// The folder of the plugin with this name (any spelling of it), if the
    /// tree has one: one lookup of its shard folder, not a walk.
    pub fn find_plugin(&self, name: &str) -> Option<PluginDir> {
        let want = canonical(name);
        let shard_rel = format!("{PLUGINS_DIR}/{}", shard(&want));
        self.with(|h| {
            let Node::Dir(id) = Self::node(h, self.tree, &self.full(&shard_rel)) else {
                return None;
            };
            let tree = h.repo.find_tree(id).ok()?;
            tree.iter().find_map(|e| {
                let entry = e.name().ok()?;
                (e.kind() == Some(ObjectType::Tree) && canonical(entry) == want).then(|| {
                    PluginDir {
                        rel: format!("{shard_rel}/{entry}"),
                        name: entry.to_owned(),
                    }
                })
            })
        })
    }
}

/// The index folder `index` as committed in `rev` (`--rev`): the repository
/// that holds `index`, the revision resolved, the folder found in its tree.
pub fn index_at_rev(index: &Path, rev: &str) -> Result<TreeSource, GitError> {
    let repo = GitRepo::open(index)?;
    let rev = repo.resolve(rev)?;
    TreeSource::folder_at(&repo, &rev)
}

/// The commit as a [`Layout`]: a folder is where its tree id is.
impl Layout for TreeSource {
    type At = Oid;

    fn entries(&self, at: &Oid, rel: &str, out: &mut Vec<Diagnostic>) -> Vec<(Entry, Oid)> {
        self.with(|h| match h.repo.find_tree(*at) {
            Ok(tree) => list_tree(&tree, rel, out),
            Err(e) => {
                out.push(Diagnostic::error(
                    rel,
                    Code::Io,
                    format!("cannot read folder `{rel}` from git: {}", e.message()),
                ));
                Vec::new()
            }
        })
    }

    fn has_plugin_toml(&self, at: &Oid) -> bool {
        self.with(|h| {
            h.repo
                .find_tree(*at)
                .is_ok_and(|t| t.get_name("plugin.toml").is_some())
        })
    }
}

impl Source for TreeSource {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn exists(&self, rel: &str) -> bool {
        self.with(|h| !matches!(Self::node(h, self.tree, &self.full(rel)), Node::Missing))
    }

    fn read_text(&self, rel: &str, cap: u64, out: &mut Vec<Diagnostic>) -> Option<Text> {
        self.with(|h| read_blob_text(h, Self::node(h, self.tree, &self.full(rel)), rel, cap, out))
    }

    /// Every object read looks its id up in the pack index under the pack's
    /// lock; two readers spend a fifth of their time waking each other
    /// (`perf`: futex calls from `git_pack_entry_find`). One reader feeding
    /// the parsers took a million-version `check --rev` from 26 s to 19 s.
    fn reads_best_serially(&self) -> bool {
        true
    }

    fn read_plugin(&self, dir: &PluginDir, out: &mut Vec<Diagnostic>) -> PluginFiles {
        let known = self.known.get().and_then(|k| k.get(&dir.rel)).copied();
        self.with(|h| {
            let id = known.or_else(|| match Self::node(h, self.tree, &self.full(&dir.rel)) {
                Node::Dir(id) => Some(id),
                _ => None,
            });
            let folder = id
                .and_then(|id| h.repo.find_tree(id).ok())
                .map(|tree| TreeFolder {
                    handle: h,
                    tree,
                    rel: dir.rel.clone(),
                });
            read_plugin_files(folder, dir, out)
        })
    }

    fn read_artifact(&self, rel: &str, cap: u64) -> Result<Vec<u8>, ArtifactError> {
        if !super::is_safe_relative(rel) {
            return Err(ArtifactError::Unsafe);
        }
        self.with(|h| match Self::node(h, self.tree, &self.full(rel)) {
            Node::Missing => Err(ArtifactError::Missing),
            Node::Symlink => Err(ArtifactError::Symlink),
            Node::Dir(_) | Node::Other => Err(ArtifactError::NotAFile),
            Node::File(_, size) if size > cap => Err(ArtifactError::TooLarge(cap)),
            Node::File(id, _) => h
                .odb
                .read(id)
                .map(|b| b.data().to_vec())
                .map_err(|e| ArtifactError::Io(std::io::Error::other(e.message().to_owned()))),
        })
    }

    fn all_plugin_dirs(&self, out: &mut Vec<Diagnostic>) -> Vec<PluginDir> {
        self.scan(out).into_iter().map(|(dir, _)| dir).collect()
    }
}

fn read_blob_text(
    h: &Handle,
    node: Node,
    rel: &str,
    cap: u64,
    out: &mut Vec<Diagnostic>,
) -> Option<Text> {
    match node {
        Node::File(_, size) if size > cap => {
            out.push(too_large(rel, cap));
            None
        }
        Node::File(id, _) => match h.odb.read(id) {
            // Copied once, straight from the inflated object: no read buffer.
            Ok(blob) if blob.data().len() as u64 > cap => {
                out.push(too_large(rel, cap));
                None
            }
            Ok(blob) => text_of(blob.data().to_vec(), rel, out),
            Err(e) => {
                out.push(Diagnostic::error(
                    rel,
                    Code::Io,
                    format!("cannot read `{rel}` from git: {}", e.message()),
                ));
                None
            }
        },
        Node::Symlink => {
            out.push(symlink_diag(rel));
            None
        }
        Node::Missing => {
            out.push(Diagnostic::error(
                rel,
                Code::MissingFile,
                format!("`{rel}` is missing"),
            ));
            None
        }
        Node::Dir(_) | Node::Other => {
            out.push(Diagnostic::error(
                rel,
                Code::UnexpectedFile,
                format!("`{rel}` is not a regular file"),
            ));
            None
        }
    }
}

/// A tree's entries sorted by name, with their ids; symlinks and non-UTF-8
/// names are reported and skipped, as on disk.
fn list_tree(tree: &Tree<'_>, rel: &str, out: &mut Vec<Diagnostic>) -> Vec<(Entry, Oid)> {
    let mut entries = Vec::new();
    for e in tree.iter() {
        let Some(name) = e.name().ok().map(str::to_owned) else {
            out.push(
                Diagnostic::error(
                    rel,
                    Code::UnexpectedFile,
                    format!("a file name in `{rel}` is not UTF-8"),
                )
                .hint("rename or remove it"),
            );
            continue;
        };
        let child = format!("{rel}/{name}");
        let kind = match (e.kind(), e.filemode()) {
            (Some(ObjectType::Tree), _) => Kind::Dir,
            (Some(ObjectType::Blob), 0o120000) => {
                out.push(symlink_diag(&child));
                continue;
            }
            (Some(ObjectType::Blob), _) => Kind::File,
            _ => Kind::Other,
        };
        let entry = Entry {
            name,
            rel: child,
            kind,
        };
        entries.push((entry, e.id()));
    }
    entries.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    entries
}

/// A folder of the tree, for the layout rules.
struct TreeFolder<'r> {
    handle: &'r Handle,
    tree: Tree<'r>,
    rel: String,
}

impl Folder for TreeFolder<'_> {
    fn rel(&self) -> &str {
        &self.rel
    }

    fn list(&self, out: &mut Vec<Diagnostic>) -> Vec<Entry> {
        list_tree(&self.tree, &self.rel, out)
            .into_iter()
            .map(|(e, _)| e)
            .collect()
    }

    fn read(&self, name: &str, rel: &str, cap: u64, out: &mut Vec<Diagnostic>) -> Option<Text> {
        let node = self
            .tree
            .get_name(name)
            .map_or(Node::Missing, |e| Node::of(&self.handle.odb, &e));
        read_blob_text(self.handle, node, rel, cap, out)
    }

    fn open_dir(&self, name: &str, rel: &str, out: &mut Vec<Diagnostic>) -> Option<Self> {
        match self
            .tree
            .get_name(name)
            .and_then(|e| self.handle.repo.find_tree(e.id()).ok())
        {
            Some(tree) => Some(TreeFolder {
                handle: self.handle,
                tree,
                rel: rel.to_owned(),
            }),
            None => {
                out.push(Diagnostic::error(
                    rel,
                    Code::Io,
                    format!("cannot read folder `{rel}` from git"),
                ));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `files` (path, text) into the work tree of `repo`, commits
    /// everything, and returns the commit.
    fn commit(repo: &Repository, files: &[(&str, &str)], message: &str) -> Oid {
        let root = repo.workdir().expect("a work tree");
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::new("test", "test@example.org", &git2::Time::new(0, 0)).unwrap();
        let parents: Vec<git2::Commit<'_>> = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }

    #[test]
    fn plugin_folder_ids_change_exactly_with_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let index = dir.path().join("reg");
        let alpha = "reg/plugins/al/ph/alpha";
        let beta = "reg/plugins/be/ta/beta";
        commit(
            &repo,
            &[
                ("reg/registry.toml", "id = 'x'\n"),
                (&format!("{alpha}/plugin.toml"), "name = 'alpha'\n"),
                (&format!("{alpha}/versions/1.0.0.toml"), "v1\n"),
                (&format!("{beta}/plugin.toml"), "name = 'beta'\n"),
                (&format!("{beta}/versions/1.0.0.toml"), "v1\n"),
            ],
            "first",
        );
        let git = GitRepo::open(&index).unwrap();
        let ids_at = |rev: &str| {
            let src = TreeSource::at(&git, &git.resolve(rev).unwrap()).unwrap();
            let ids = src.plugin_dirs_with_ids(&mut Vec::new());
            let dirs: Vec<String> = src.plugin_dirs().into_iter().map(|d| d.rel).collect();
            let rels: Vec<String> = ids.iter().map(|(d, _)| d.rel.clone()).collect();
            assert_eq!(rels, dirs, "the same folders, in the same order");
            let registry = src.tree_id_of("registry.toml").unwrap();
            (ids, registry, src.commit())
        };
        let (before, registry_before, first) = ids_at("HEAD");
        assert_eq!(before.len(), 2);
        assert_eq!(before[0].0.rel, "plugins/al/ph/alpha");
        assert_eq!(before[0].0.name, "alpha");

        commit(
            &repo,
            &[(&format!("{beta}/versions/1.1.0.toml"), "v2\n")],
            "beta 1.1.0",
        );
        let (after, registry_after, second) = ids_at("HEAD");
        assert_ne!(first, second);
        assert_eq!(before[0].1, after[0].1, "alpha did not change");
        assert_ne!(before[1].1, after[1].1, "beta did");
        assert_eq!(registry_before, registry_after);

        // The ids are git's: the tree of the folder at that path.
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        let beta_tree = head.get_path(Path::new(beta)).unwrap().id();
        assert_eq!(after[1].1, beta_tree);
        let src = TreeSource::at(&git, &git.resolve("HEAD").unwrap()).unwrap();
        assert_eq!(src.tree_id_of("plugins/be/ta/beta"), Some(beta_tree));
        assert_eq!(
            src.tree_id_of(""),
            Some(head.get_path(Path::new("reg")).unwrap().id())
        );
        assert_eq!(src.tree_id_of("reviewed.toml"), None);
    }
}
