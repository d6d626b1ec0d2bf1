//! Publication times from the index repo's git history: a version's `pubtime`
//! is the time of the commit that first added its manifest on the mainline
//! (first-parent history, so a merged pull request counts from its merge).
//! Never the clock: two builds of one commit agree to the byte.
//!
//! Files that no commit added (a plain folder, or a manifest not committed
//! yet) fall back to `SOURCE_DATE_EPOCH` when it is set, else to the file's
//! modification time.
//!
//! The same walk records the raw events of the audit trail: which commit
//! registered a plugin, deleted a version, or edited a manifest, and when.
//! What an edit means (a yank, new owners) is decided by the caller's
//! [`ReadEdit`]; `crate::audit` turns the walk into each plugin's trail.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::{Oid, Repository, Sort};

use super::git::{ChangeKind, discover, relative_prefix};

/// Where the publication times came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The git repository at this work tree; `shallow` when history is cut.
    Git { workdir: PathBuf, shallow: bool },
    /// Not inside a git work tree.
    Folder,
}

#[derive(Debug, Default)]
struct Walk {
    /// When, and in which commit, each manifest (path relative to the index root) first appeared.
    added: HashMap<String, Added>,
    commits: Vec<CommitInfo>,
    /// Events other than publication, by plugin folder, oldest first.
    events: HashMap<String, Vec<Event>>,
}

#[derive(Debug, Clone, Copy)]
pub struct Added {
    /// Seconds since the epoch.
    pub time: i64,
    pub commit: u32,
}

#[derive(Debug)]
pub struct CommitInfo {
    // Shared by every entry of the commit: a million releases added in one
    // commit hold one copy.
    pub id: Arc<str>,
    pub author: Arc<str>,
}

/// An event other than publication, as the [`ReadEdit`] of a modified
/// manifest (or the walk, for registrations and deletions) named it.
#[derive(Debug)]
pub struct Event {
    pub time: i64,
    pub commit: u32,
    pub edit: Edit,
}

/// What changed in one manifest: an action (`register`, `yank`, …), the
/// version it concerns and a detail, e.g. a yank's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub action: &'static str,
    pub version: Option<String>,
    pub detail: Option<String>,
}

/// Names the edits between two texts of a manifest (`version` is a version
/// file's stem, `None` for `plugin.toml`). The walk stays a walk: what a
/// manifest's fields mean is decided after `manifest`, by the caller.
pub type ReadEdit = fn(old: &str, new: &str, version: Option<&str>) -> Vec<Edit>;

#[derive(Debug)]
pub struct History {
    pub origin: Origin,
    walk: Walk,
    fallback_epoch: Option<i64>,
    /// The time of the commit read with [`History::read_at`]: the fallback
    /// then, since the work tree's files are not what is built.
    commit_time: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the git history of `{}`: {source}", path.display())]
pub struct HistoryError {
    path: PathBuf,
    source: git2::Error,
}

impl History {
    /// Reads first-parent history from `HEAD` for every `*.toml` added
    /// under `<index>/plugins/`. Outside a git work tree, every version
    /// takes the fallback time.
    pub fn read(index_root: &Path, read_edit: ReadEdit) -> Result<History, HistoryError> {
        Self::read_from(index_root, None, None, read_edit)
    }

    /// [`History::read`] from `commit` instead of `HEAD`, for an index read
    /// from that commit (`--rev`): every manifest there was added by a commit
    /// of its history, so every time comes from git.
    pub fn read_at(
        index_root: &Path,
        commit: Oid,
        read_edit: ReadEdit,
    ) -> Result<History, HistoryError> {
        Self::read_from(index_root, Some(commit), None, read_edit)
    }

    /// [`History::read_at`] for the plugin folders `only` (relative to the
    /// index root): the walk looks at nothing else, so a build that redoes
    /// one plugin does not diff every commit's whole tree.
    pub fn read_at_for(
        index_root: &Path,
        commit: Oid,
        only: &BTreeSet<String>,
        read_edit: ReadEdit,
    ) -> Result<History, HistoryError> {
        Self::read_from(index_root, Some(commit), Some(only), read_edit)
    }

    fn read_from(
        index_root: &Path,
        start: Option<Oid>,
        only: Option<&BTreeSet<String>>,
        read_edit: ReadEdit,
    ) -> Result<History, HistoryError> {
        let fallback_epoch = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok());
        let err = |source| HistoryError {
            path: index_root.to_owned(),
            source,
        };
        let folder = History {
            origin: Origin::Folder,
            walk: Walk::default(),
            fallback_epoch,
            commit_time: None,
        };
        let repo = match discover(index_root) {
            Ok(r) => r,
            Err(e) if e.code() == git2::ErrorCode::NotFound && start.is_none() => {
                return Ok(folder);
            }
            Err(e) => return Err(err(e)),
        };
        // A bare repository has no work tree; only a commit can be read from it.
        let workdir = match (repo.workdir(), start) {
            (Some(wd), _) => wd.to_owned(),
            (None, Some(_)) => repo.path().to_owned(),
            (None, None) => return Ok(folder),
        };
        let prefix = match repo.workdir() {
            Some(wd) => relative_prefix(wd, index_root),
            None => String::new(),
        };
        let shallow = repo.is_shallow();
        let (walk, commit_time) = match start {
            Some(oid) => {
                let time = repo.find_commit(oid).map_err(err)?.time().seconds();
                (
                    walk(&repo, &prefix, oid, only, read_edit).map_err(err)?,
                    Some(time),
                )
            }
            None => match repo.head() {
                // A repository with no commit yet: nothing was published from git.
                Err(e) if e.code() == git2::ErrorCode::UnbornBranch => (Walk::default(), None),
                Err(e) => return Err(err(e)),
                Ok(head) => {
                    let oid = head.peel_to_commit().map_err(err)?.id();
                    (
                        walk(&repo, &prefix, oid, only, read_edit).map_err(err)?,
                        None,
                    )
                }
            },
        };
        Ok(History {
            origin: Origin::Git { workdir, shallow },
            walk,
            fallback_epoch,
            commit_time,
        })
    }

    /// Publication time of the manifest at `rel` (relative to the index root),
    /// and whether it came from a commit.
    pub fn pubtime(&self, rel: &str, index_root: &Path) -> (i64, bool) {
        match self.walk.added.get(rel) {
            Some(a) => (a.time, true),
            None => (self.fallback(rel, index_root), false),
        }
    }

    /// When, and in which commit (an index into [`History::commit`]), the
    /// manifest at `rel` first appeared on the mainline.
    pub fn added(&self, rel: &str) -> Option<Added> {
        self.walk.added.get(rel).copied()
    }

    /// The `i`th commit that touched a manifest, in mainline order.
    pub fn commit(&self, i: u32) -> Option<&CommitInfo> {
        self.walk.commits.get(i as usize)
    }

    /// The events other than publication in plugin folder `dir`, oldest first.
    pub fn events(&self, dir: &str) -> &[Event] {
        self.walk.events.get(dir).map_or(&[], Vec::as_slice)
    }

    fn fallback(&self, rel: &str, index_root: &Path) -> i64 {
        if let Some(t) = self.commit_time.or(self.fallback_epoch) {
            return t;
        }
        std::fs::symlink_metadata(index_root.join(rel))
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64)
    }
}

/// Walks the mainline oldest first: when each manifest first appeared, and
/// the audit events of each plugin.
fn walk(
    repo: &Repository,
    prefix: &str,
    start: Oid,
    only: Option<&BTreeSet<String>>,
    read_edit: ReadEdit,
) -> Result<Walk, git2::Error> {
    let mut revs = repo.revwalk()?;
    revs.push(start)?;
    revs.simplify_first_parent()?;
    revs.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let plugins_dir = format!("{prefix}plugins");
    // The `plugins/` tree of a commit; equal ids mean nothing changed below it.
    let plugins_tree = |tree: &git2::Tree<'_>| -> Option<git2::Oid> {
        tree.get_path(Path::new(&plugins_dir))
            .ok()
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
            .map(|e| e.id())
    };
    let mut walk = Walk::default();
    let mut before: Option<git2::Oid> = None;
    for oid in revs {
        let commit = repo.find_commit(oid?)?;
        let after = plugins_tree(&commit.tree()?);
        if after == before {
            continue;
        }
        let (old, new) = (
            before.map(|id| repo.find_tree(id)).transpose()?,
            after.map(|id| repo.find_tree(id)).transpose()?,
        );
        before = after;
        let time = commit.time().seconds();
        let index = walk.commits.len() as u32;
        let mut touched = false;
        let mut on_change = |change: super::git::Change| {
            let Some(rel) = change.path.strip_prefix(prefix) else {
                return;
            };
            if !rel.ends_with(".toml") {
                return;
            }
            let Some(dir) = super::plugin_dir_of(rel) else {
                return;
            };
            let stem = rel
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".toml"))
                .unwrap_or_default();
            let is_version = rel[dir.rel.len()..].starts_with("/versions/");
            let mut record = |edit: Edit| {
                touched = true;
                walk.events.entry(dir.rel.clone()).or_default().push(Event {
                    time,
                    commit: index,
                    edit,
                });
            };
            let plain = |action: &'static str, version: Option<String>| Edit {
                action,
                version,
                detail: None,
            };
            match (change.kind, is_version) {
                (ChangeKind::Added, true) => {
                    touched = true;
                    walk.added.entry(rel.to_owned()).or_insert(Added {
                        time,
                        commit: index,
                    });
                }
                (ChangeKind::Added, false) if rel.ends_with("/plugin.toml") => {
                    record(plain("register", None))
                }
                (ChangeKind::Deleted, true) => record(plain("delete", Some(stem.to_owned()))),
                (ChangeKind::Modified, _) => {
                    let blob = |id: Option<git2::Oid>| repo.find_blob(id?).ok();
                    let (Some(old), Some(new)) = (blob(change.old), blob(change.new)) else {
                        return;
                    };
                    let (Ok(old), Ok(new)) = (
                        std::str::from_utf8(old.content()),
                        std::str::from_utf8(new.content()),
                    ) else {
                        return;
                    };
                    for edit in read_edit(old, new, is_version.then_some(stem)) {
                        record(edit);
                    }
                }
                _ => {}
            }
        };
        match only {
            None => super::git::diff_trees(
                repo,
                old.as_ref(),
                new.as_ref(),
                &format!("{plugins_dir}/"),
                &mut on_change,
            )?,
            Some(dirs) => {
                // Each folder's subtree, looked up in both commits; equal ids
                // (most commits, for most folders) are skipped unread.
                let sub = |tree: Option<&git2::Tree<'_>>, rel: &str| -> Option<git2::Tree<'_>> {
                    let below = rel.strip_prefix("plugins/")?;
                    let entry = tree?.get_path(Path::new(below)).ok()?;
                    repo.find_tree(entry.id()).ok()
                };
                for dir in dirs {
                    let (a, b) = (sub(old.as_ref(), dir), sub(new.as_ref(), dir));
                    if a.as_ref().map(git2::Tree::id) != b.as_ref().map(git2::Tree::id) {
                        let path = format!("{prefix}{dir}/");
                        super::git::diff_trees(
                            repo,
                            a.as_ref(),
                            b.as_ref(),
                            &path,
                            &mut on_change,
                        )?;
                    }
                }
            }
        }
        if touched {
            let author = commit.author();
            walk.commits.push(CommitInfo {
                id: commit.id().to_string().into(),
                author: String::from_utf8_lossy(author.name_bytes()).into(),
            });
        }
    }
    Ok(walk)
}
