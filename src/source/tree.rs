//! An index read from a commit's tree instead of a folder: the same layout
//! rules, the same caps, blobs read straight from git's object database.
//!
//! A `git2::Repository` is not `Sync`, and `check` reads plugins in
//! parallel; the handle sits behind a mutex. A pull request touches a few
//! plugins, so the lock is never contended for long.

use std::path::Path;
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository, Tree};

use super::git::{GitError, Rev};
use super::{
    ArtifactError, Entry, Folder, Kind, PLUGINS_DIR, PluginDir, PluginFiles, Source, Text,
    read_capped, read_plugin_files, symlink_diag, too_large,
};
use crate::diagnostic::{Code, Diagnostic};
use crate::manifest::name::{PluginName, canonical, shard};

pub struct TreeSource {
    repo: Mutex<Repository>,
    tree: Oid,
    /// The index root inside the repository, `/`-terminated unless it is the root.
    prefix: String,
    label: String,
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
    fn of(repo: &Repository, entry: &git2::TreeEntry<'_>) -> Node {
        match (entry.kind(), entry.filemode()) {
            (Some(ObjectType::Tree), _) => Node::Dir(entry.id()),
            (Some(ObjectType::Blob), 0o120000) => Node::Symlink,
            (Some(ObjectType::Blob), _) => {
                // The header gives the size without inflating the blob, so
                // the caps hold before anything large is read.
                let size = repo
                    .odb()
                    .and_then(|odb| odb.read_header(entry.id()))
                    .map_or(0, |(size, _)| size as u64);
                Node::File(entry.id(), size)
            }
            _ => Node::Other,
        }
    }
}

impl TreeSource {
    pub(crate) fn open(repo_path: &Path, rev: &Rev, prefix: &str) -> Result<TreeSource, GitError> {
        Ok(TreeSource {
            repo: Mutex::new(Repository::open(repo_path)?),
            tree: rev.tree,
            prefix: prefix.to_owned(),
            label: format!("the index at {} ({})", rev.name, rev.short()),
        })
    }

    fn with_repo<R>(&self, f: impl FnOnce(&Repository) -> R) -> R {
        // A panic elsewhere cannot leave a read-only handle inconsistent.
        let repo = self.repo.lock().unwrap_or_else(|p| p.into_inner());
        f(&repo)
    }

    /// What is at `rel` (relative to the index root).
    fn node(repo: &Repository, tree: Oid, path: &str) -> Node {
        let Ok(root) = repo.find_tree(tree) else {
            return Node::Missing;
        };
        let entry = if path.is_empty() {
            return Node::Dir(root.id());
        } else {
            match root.get_path(Path::new(path)) {
                Ok(e) => e,
                Err(_) => return Node::Missing,
            }
        };
        Node::of(repo, &entry)
    }

    fn full(&self, rel: &str) -> String {
        format!("{}{rel}", self.prefix)
            .trim_end_matches('/')
            .to_owned()
    }

    /// Every plugin folder of the tree, sorted by path. Walks only the shard
    /// folders, never a plugin's own files.
    pub fn plugin_dirs(&self) -> Vec<PluginDir> {
        self.with_repo(|repo| {
            let mut found = Vec::new();
            if let Node::Dir(id) = Self::node(repo, self.tree, &self.full(PLUGINS_DIR))
                && let Ok(tree) = repo.find_tree(id)
            {
                walk_shards(repo, &tree, PLUGINS_DIR, 0, &mut found);
            }
            found.sort_by(|a, b| a.rel.cmp(&b.rel));
            found
        })
    }

    /// The folder of the plugin with this name (any spelling of it), if the
    /// tree has one: one lookup of its shard folder, not a walk.
    pub fn find_plugin(&self, name: &str) -> Option<PluginDir> {
        let want = canonical(name);
        let shard_rel = format!("{PLUGINS_DIR}/{}", shard(&want));
        self.with_repo(|repo| {
            let Node::Dir(id) = Self::node(repo, self.tree, &self.full(&shard_rel)) else {
                return None;
            };
            let tree = repo.find_tree(id).ok()?;
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

/// Collects plugin folders below `plugins/`: a folder whose name is a plugin
/// name sitting at its own shard path; anything else that is a folder is
/// walked as a shard, at most two levels down.
fn walk_shards(
    repo: &Repository,
    tree: &Tree<'_>,
    rel: &str,
    depth: usize,
    found: &mut Vec<PluginDir>,
) {
    for entry in tree.iter() {
        let (Some(name), Some(ObjectType::Tree)) = (entry.name().ok(), entry.kind()) else {
            continue;
        };
        let child = format!("{rel}/{name}");
        if let Ok(parsed) = PluginName::parse(name)
            && format!("{PLUGINS_DIR}/{}", parsed.folder()) == child
        {
            found.push(PluginDir {
                rel: child,
                name: name.to_owned(),
            });
        } else if depth < 2
            && let Ok(sub) = repo.find_tree(entry.id())
        {
            walk_shards(repo, &sub, &child, depth + 1, found);
        }
    }
}

impl Source for TreeSource {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn exists(&self, rel: &str) -> bool {
        self.with_repo(|repo| {
            !matches!(Self::node(repo, self.tree, &self.full(rel)), Node::Missing)
        })
    }

    fn read_text(&self, rel: &str, cap: u64, out: &mut Vec<Diagnostic>) -> Option<Text> {
        self.with_repo(|repo| {
            read_blob_text(
                repo,
                Self::node(repo, self.tree, &self.full(rel)),
                rel,
                cap,
                out,
            )
        })
    }

    fn read_plugin(&self, dir: &PluginDir, out: &mut Vec<Diagnostic>) -> PluginFiles {
        self.with_repo(|repo| {
            let folder = match Self::node(repo, self.tree, &self.full(&dir.rel)) {
                Node::Dir(id) => repo.find_tree(id).ok().map(|tree| TreeFolder {
                    repo,
                    tree,
                    rel: dir.rel.clone(),
                }),
                _ => None,
            };
            read_plugin_files(folder, dir, out)
        })
    }

    fn read_artifact(&self, rel: &str, cap: u64) -> Result<Vec<u8>, ArtifactError> {
        if !super::is_safe_relative(rel) {
            return Err(ArtifactError::Unsafe);
        }
        self.with_repo(|repo| match Self::node(repo, self.tree, &self.full(rel)) {
            Node::Missing => Err(ArtifactError::Missing),
            Node::Symlink => Err(ArtifactError::Symlink),
            Node::Dir(_) | Node::Other => Err(ArtifactError::NotAFile),
            Node::File(_, size) if size > cap => Err(ArtifactError::TooLarge(cap)),
            Node::File(id, _) => repo
                .find_blob(id)
                .map(|b| b.content().to_vec())
                .map_err(|e| ArtifactError::Io(std::io::Error::other(e.message().to_owned()))),
        })
    }
}

fn read_blob_text(
    repo: &Repository,
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
        Node::File(id, _) => match repo.find_blob(id) {
            Ok(blob) => read_capped(blob.content(), rel, cap, out),
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

/// A folder of the tree, for the layout rules.
struct TreeFolder<'r> {
    repo: &'r Repository,
    tree: Tree<'r>,
    rel: String,
}

impl Folder for TreeFolder<'_> {
    fn rel(&self) -> &str {
        &self.rel
    }

    fn list(&self, out: &mut Vec<Diagnostic>) -> Vec<Entry> {
        let mut entries = Vec::new();
        for e in self.tree.iter() {
            let Some(name) = e.name().ok().map(str::to_owned) else {
                out.push(
                    Diagnostic::error(
                        &self.rel,
                        Code::UnexpectedFile,
                        format!("a file name in `{}` is not UTF-8", self.rel),
                    )
                    .hint("rename or remove it"),
                );
                continue;
            };
            let rel = format!("{}/{name}", self.rel);
            let kind = match (e.kind(), e.filemode()) {
                (Some(ObjectType::Tree), _) => Kind::Dir,
                (Some(ObjectType::Blob), 0o120000) => {
                    out.push(symlink_diag(&rel));
                    continue;
                }
                (Some(ObjectType::Blob), _) => Kind::File,
                _ => Kind::Other,
            };
            entries.push(Entry { name, rel, kind });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries
    }

    fn read(&self, name: &str, rel: &str, cap: u64, out: &mut Vec<Diagnostic>) -> Option<Text> {
        let node = self
            .tree
            .get_name(name)
            .map_or(Node::Missing, |e| Node::of(self.repo, &e));
        read_blob_text(self.repo, node, rel, cap, out)
    }

    fn open_dir(&self, name: &str, rel: &str, out: &mut Vec<Diagnostic>) -> Option<Self> {
        match self
            .tree
            .get_name(name)
            .and_then(|e| self.repo.find_tree(e.id()).ok())
        {
            Some(tree) => Some(TreeFolder {
                repo: self.repo,
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
