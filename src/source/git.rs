//! The index repo as git records it: revisions, the merge base of a pull
//! request, and the paths a change touched. Reads commits and trees, never
//! the working copy, so what is checked is exactly what would be merged.

use std::path::{Path, PathBuf};

use std::collections::{BTreeMap, BTreeSet};

use git2::{ObjectType, Oid, Repository, Tree};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("`{}` is not inside a git repository", .0.display())]
    NotARepo(PathBuf),
    #[error("`{rev}` is not a commit in this repository")]
    UnknownRev { rev: String, shallow: bool },
    #[error("the merge base of `{base}` and `{head}` is not in this clone")]
    NoMergeBase {
        base: String,
        head: String,
        shallow: bool,
    },
    #[error("the index folder `{index}` is not in `{rev}`")]
    NotInCommit { index: String, rev: String },
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

impl GitError {
    pub fn hint(&self) -> Option<String> {
        match self {
            GitError::NotARepo(_) => Some(
                "`--base` and `--rev` read commits; run plugdex in a clone of the index repo, or drop `--rev` to read the folder as it is".into(),
            ),
            GitError::NotInCommit { rev, .. } => Some(format!(
                "`--index` is looked up at the same path inside `{rev}`; pick a revision that has the index, or point `--index` at it"
            )),
            GitError::UnknownRev { rev, shallow: true } => Some(format!(
                "this is a shallow clone without `{rev}`; fetch it (`git fetch --depth=1 origin {rev}`), or clone with enough history (`actions/checkout` with `fetch-depth: 0`)"
            )),
            GitError::UnknownRev { rev, .. } => Some(format!(
                "fetch it first (`git fetch origin {rev}`), or check the spelling"
            )),
            GitError::NoMergeBase { shallow: true, .. } => Some(
                "the check needs the history back to where the pull request branched off: deepen the clone (`git fetch --deepen=50`, or `fetch-depth: 0`), or check out the pull request's merge commit, whose first parent is the base".into(),
            ),
            GitError::NoMergeBase { .. } => {
                Some("the two revisions share no history; compare a branch with the one it was made from".into())
            }
            GitError::Git(_) => None,
        }
    }
}

/// How a path changed between two commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Deleted,
    Modified,
}

/// One path a change touched, relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
    /// The blob before and after (`None` when added or deleted).
    pub old: Option<Oid>,
    pub new: Option<Oid>,
}

/// A commit resolved for checking.
#[derive(Debug, Clone)]
pub struct Rev {
    /// What the user asked for, e.g. `origin/main`.
    pub name: String,
    pub commit: Oid,
    pub tree: Oid,
}

impl Rev {
    pub fn short(&self) -> String {
        self.commit.to_string()[..10].to_owned()
    }
}

pub struct GitRepo {
    repo: Repository,
    path: PathBuf,
    /// The index root's path inside the repository, `/`-terminated unless it is the root.
    pub prefix: String,
}

impl GitRepo {
    /// Opens the repository that holds the index folder `index`.
    pub fn open(index: &Path) -> Result<GitRepo, GitError> {
        let repo = discover(index).map_err(|e| match e.code() {
            git2::ErrorCode::NotFound => GitError::NotARepo(index.to_owned()),
            _ => GitError::Git(e),
        })?;
        let prefix = match repo.workdir() {
            Some(wd) => relative_prefix(wd, index),
            None => String::new(),
        };
        let path = repo.path().to_owned();
        Ok(GitRepo { repo, path, prefix })
    }

    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// Resolves a revision (`main`, `HEAD~1`, a SHA) to a commit.
    pub fn resolve(&self, rev: &str) -> Result<Rev, GitError> {
        let unknown = || GitError::UnknownRev {
            rev: rev.to_owned(),
            shallow: self.repo.is_shallow(),
        };
        let commit = self
            .repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|_| unknown())?;
        Ok(Rev {
            name: rev.to_owned(),
            commit: commit.id(),
            tree: commit.tree_id(),
        })
    }

    /// The commit to compare `head` with: `base` itself when it is an
    /// ancestor of `head` (a merge commit's first parent, or a branch made
    /// from it), else their merge base, so that what the base branch gained
    /// since is not mistaken for something the change removed.
    pub fn comparison_base(&self, base: &Rev, head: &Rev) -> Result<Rev, GitError> {
        if base.commit == head.commit || self.repo.graph_descendant_of(head.commit, base.commit)? {
            return Ok(base.clone());
        }
        let no_base = || GitError::NoMergeBase {
            base: base.name.clone(),
            head: head.name.clone(),
            shallow: self.repo.is_shallow(),
        };
        let oid = self
            .repo
            .merge_base(base.commit, head.commit)
            .map_err(|_| no_base())?;
        let commit = self.repo.find_commit(oid).map_err(|_| no_base())?;
        Ok(Rev {
            name: format!("merge base of {} and {}", base.name, head.name),
            commit: oid,
            tree: commit.tree_id(),
        })
    }

    /// Every file that differs between the two trees, sorted. Descends only
    /// into folders whose tree ids differ, so a one-plugin change costs a few
    /// tree reads however large the index is. (libgit2's tree-to-tree diff
    /// reads every tree on both sides: seconds at 100,000 plugins.)
    pub fn changes(&self, base: &Rev, head: &Rev) -> Result<Vec<Change>, GitError> {
        let old = self.repo.find_tree(base.tree)?;
        let new = self.repo.find_tree(head.tree)?;
        let mut out = Vec::new();
        diff_trees(&self.repo, Some(&old), Some(&new), "", &mut |c| out.push(c))?;
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The repository's git folder (`.git`), for readers that open their own handles.
    pub fn git_dir(&self) -> &Path {
        &self.path
    }

    pub(crate) fn repository(&self) -> &Repository {
        &self.repo
    }
}

/// The repository that holds the index folder, found from its nearest
/// existing folder: with `--rev` the index may exist only in the commit.
pub(crate) fn discover(index_root: &Path) -> Result<Repository, git2::Error> {
    let start = index_root
        .ancestors()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .find(|p| p.is_dir())
        .unwrap_or(index_root);
    Repository::discover(start)
}

/// `path` with its nearest existing ancestor resolved (symlinks and all) and
/// the rest appended as given.
fn canonical_lenient(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut at = path;
    loop {
        let here = if at.as_os_str().is_empty() {
            Path::new(".")
        } else {
            at
        };
        if let Ok(canon) = std::fs::canonicalize(here) {
            return rest.iter().rev().fold(canon, |p, name| p.join(name));
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                at = parent;
            }
            _ => return path.to_owned(),
        }
    }
}

/// The index root's path inside the work tree, `/`-separated, with a trailing
/// `/` unless it is the work tree itself.
pub(crate) fn relative_prefix(workdir: &Path, index_root: &Path) -> String {
    let (wd, ix) = (canonical_lenient(workdir), canonical_lenient(index_root));
    let rel = ix.strip_prefix(&wd).unwrap_or(Path::new(""));
    let mut s: String = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    if !s.is_empty() {
        s.push('/');
    }
    s
}

/// Hands `out` each file that differs between `old` and `new` (either may be
/// absent: a folder added or deleted) below `path`, a `/`-terminated prefix,
/// one at a time: the first commit of a large index adds a million files.
pub(crate) fn diff_trees(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    path: &str,
    out: &mut dyn FnMut(Change),
) -> Result<(), git2::Error> {
    // name → (id, is a folder)
    let entries = |t: Option<&Tree<'_>>| -> BTreeMap<Vec<u8>, (Oid, bool)> {
        t.map(|t| {
            t.iter()
                .map(|e| {
                    (
                        e.name_bytes().to_vec(),
                        (e.id(), e.kind() == Some(ObjectType::Tree)),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let (a, b) = (entries(old), entries(new));
    let names: BTreeSet<&Vec<u8>> = a.keys().chain(b.keys()).collect();
    for name in names {
        let (before, after) = (a.get(name).copied(), b.get(name).copied());
        if before.map(|(id, _)| id) == after.map(|(id, _)| id) {
            continue;
        }
        let child = format!("{path}{}", String::from_utf8_lossy(name));
        let tree = |side: Option<(Oid, bool)>| -> Result<Option<Tree<'_>>, git2::Error> {
            match side {
                Some((id, true)) => repo.find_tree(id).map(Some),
                _ => Ok(None),
            }
        };
        let (old_tree, new_tree) = (tree(before)?, tree(after)?);
        if old_tree.is_some() || new_tree.is_some() {
            diff_trees(
                repo,
                old_tree.as_ref(),
                new_tree.as_ref(),
                &format!("{child}/"),
                out,
            )?;
        }
        let blob = |side: Option<(Oid, bool)>| side.filter(|(_, dir)| !dir).map(|(id, _)| id);
        let (old_blob, new_blob) = (blob(before), blob(after));
        let kind = match (old_blob, new_blob) {
            (Some(_), Some(_)) => ChangeKind::Modified,
            (None, Some(_)) => ChangeKind::Added,
            (Some(_), None) => ChangeKind::Deleted,
            (None, None) => continue,
        };
        out(Change {
            path: child,
            kind,
            old: old_blob,
            new: new_blob,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_of_nested_index() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/index")).unwrap();
        assert_eq!(
            relative_prefix(d.path(), &d.path().join("a/index")),
            "a/index/"
        );
        assert_eq!(relative_prefix(d.path(), d.path()), "");
        // With `--rev` the index folder may exist only in the commit.
        assert_eq!(
            relative_prefix(d.path(), &d.path().join("a/gone/index")),
            "a/gone/index/"
        );
    }
}
