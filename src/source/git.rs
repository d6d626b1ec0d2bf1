//! The index repo as git records it: revisions, the merge base of a pull
//! request, and the paths a change touched. Reads commits and trees, never
//! the working copy, so what is checked is exactly what would be merged.

use std::path::{Path, PathBuf};

use git2::{Delta, Oid, Repository};

use super::tree::TreeSource;

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
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

impl GitError {
    pub fn hint(&self) -> Option<String> {
        match self {
            GitError::NotARepo(_) => Some(
                "`check --base` compares commits; run it in a clone of the index repo".into(),
            ),
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
        let repo = Repository::discover(index).map_err(|e| match e.code() {
            git2::ErrorCode::NotFound => GitError::NotARepo(index.to_owned()),
            _ => GitError::Git(e),
        })?;
        let prefix = match repo.workdir() {
            Some(wd) => super::history::relative_prefix(wd, index),
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

    /// Every path that differs between the two trees, sorted.
    pub fn changes(&self, base: &Rev, head: &Rev) -> Result<Vec<Change>, GitError> {
        let old = self.repo.find_tree(base.tree)?;
        let new = self.repo.find_tree(head.tree)?;
        let diff = self.repo.diff_tree_to_tree(Some(&old), Some(&new), None)?;
        let mut out = Vec::new();
        for delta in diff.deltas() {
            let (file, kind) = match delta.status() {
                Delta::Added | Delta::Copied => (delta.new_file(), ChangeKind::Added),
                Delta::Deleted => (delta.old_file(), ChangeKind::Deleted),
                _ => (delta.new_file(), ChangeKind::Modified),
            };
            if let Some(path) = file.path() {
                out.push(Change {
                    path: path.to_string_lossy().replace('\\', "/"),
                    kind,
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The index as it is in `rev`'s tree.
    pub fn index_at(&self, rev: &Rev) -> Result<TreeSource, GitError> {
        TreeSource::open(&self.path, rev, &self.prefix)
    }
}
