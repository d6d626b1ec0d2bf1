//! Publication times from the index repo's git history: a version's `pubtime`
//! is the time of the commit that first added its manifest on the mainline
//! (first-parent history, so a merged pull request counts from its merge).
//! Never the clock: two builds of one commit agree to the byte.
//!
//! Files that no commit added (a plain folder, or a manifest not committed
//! yet) fall back to `SOURCE_DATE_EPOCH` when it is set, else to the file's
//! modification time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use git2::{Delta, DiffOptions, Repository, Sort};

/// Where the publication times came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The git repository at this work tree; `shallow` when history is cut.
    Git { workdir: PathBuf, shallow: bool },
    /// Not inside a git work tree.
    Folder,
}

#[derive(Debug)]
pub struct History {
    pub origin: Origin,
    /// Seconds since the epoch, by manifest path relative to the index root.
    added: HashMap<String, i64>,
    fallback_epoch: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the git history of `{}`: {source}", path.display())]
pub struct HistoryError {
    path: PathBuf,
    source: git2::Error,
}

impl History {
    /// Reads first-parent history for every `*.toml` added under `<index>/plugins/`.
    pub fn read(index_root: &Path) -> Result<History, HistoryError> {
        let fallback_epoch = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok());
        let err = |source| HistoryError {
            path: index_root.to_owned(),
            source,
        };
        let repo = match Repository::discover(index_root) {
            Ok(r) => r,
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                return Ok(History {
                    origin: Origin::Folder,
                    added: HashMap::new(),
                    fallback_epoch,
                });
            }
            Err(e) => return Err(err(e)),
        };
        let Some(workdir) = repo.workdir().map(Path::to_owned) else {
            return Ok(History {
                origin: Origin::Folder,
                added: HashMap::new(),
                fallback_epoch,
            });
        };
        let prefix = relative_prefix(&workdir, index_root);
        let shallow = repo.is_shallow();
        let added = match repo.head() {
            // A repository with no commit yet: nothing was published from git.
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => HashMap::new(),
            Err(e) => return Err(err(e)),
            Ok(_) => first_added(&repo, &prefix).map_err(err)?,
        };
        Ok(History {
            origin: Origin::Git { workdir, shallow },
            added,
            fallback_epoch,
        })
    }

    /// Publication time of the manifest at `rel` (relative to the index root),
    /// and whether it came from a commit.
    pub fn pubtime(&self, rel: &str, index_root: &Path) -> (i64, bool) {
        match self.added.get(rel) {
            Some(t) => (*t, true),
            None => (self.fallback(rel, index_root), false),
        }
    }

    fn fallback(&self, rel: &str, index_root: &Path) -> i64 {
        if let Some(t) = self.fallback_epoch {
            return t;
        }
        std::fs::symlink_metadata(index_root.join(rel))
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64)
    }
}

/// The index root's path inside the work tree, `/`-separated, with a trailing
/// `/` unless it is the work tree itself.
pub(crate) fn relative_prefix(workdir: &Path, index_root: &Path) -> String {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let (wd, ix) = (canon(workdir), canon(index_root));
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

/// Walks the mainline oldest first and records when each manifest first appeared.
fn first_added(repo: &Repository, prefix: &str) -> Result<HashMap<String, i64>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.push_head()?;
    walk.simplify_first_parent()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let pathspec = format!("{prefix}plugins/");
    let mut added = HashMap::new();
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        let tree = commit.tree()?;
        let parent_tree = match commit.parent(0) {
            Ok(p) => Some(p.tree()?),
            Err(_) => None,
        };
        let mut opts = DiffOptions::new();
        opts.pathspec(&pathspec);
        let diff = repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut opts))?;
        let when = commit.time().seconds();
        for delta in diff.deltas() {
            if !matches!(
                delta.status(),
                Delta::Added | Delta::Copied | Delta::Renamed
            ) {
                continue;
            }
            let Some(path) = delta.new_file().path().and_then(Path::to_str) else {
                continue;
            };
            if let Some(rel) = path.strip_prefix(prefix)
                && rel.ends_with(".toml")
            {
                added.entry(rel.to_owned()).or_insert(when);
            }
        }
    }
    Ok(added)
}

/// `seconds` as RFC 3339 in UTC, e.g. `2026-11-21T09:30:00Z`.
pub fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_utc_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }

    #[test]
    fn prefix_of_nested_index() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/index")).unwrap();
        assert_eq!(
            relative_prefix(d.path(), &d.path().join("a/index")),
            "a/index/"
        );
        assert_eq!(relative_prefix(d.path(), d.path()), "");
    }
}
