//! Publication times from the index repo's git history: a version's `pubtime`
//! is the time of the commit that first added its manifest on the mainline
//! (first-parent history, so a merged pull request counts from its merge).
//! Never the clock: two builds of one commit agree to the byte.
//!
//! Files that no commit added (a plain folder, or a manifest not committed
//! yet) fall back to `SOURCE_DATE_EPOCH` when it is set, else to the file's
//! modification time.
//!
//! The same walk records the audit trail: who registered a plugin, published,
//! yanked, deprecated or re-signed a version, or changed its owners, in which
//! commit and when.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::{Oid, Repository, Sort};

use super::git::{ChangeKind, discover, relative_prefix};
use crate::format::types::{Owner, OwnerChanges, list_or_none};

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
struct Added {
    time: i64,
    commit: u32,
}

#[derive(Debug)]
struct CommitInfo {
    // Shared by every entry of the commit: a million releases added in one
    // commit hold one copy.
    id: Arc<str>,
    author: Arc<str>,
}

#[derive(Debug)]
struct Event {
    time: i64,
    commit: u32,
    action: &'static str,
    version: Option<String>,
    detail: Option<String>,
}

/// One entry of a plugin's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Seconds since the epoch.
    pub time: i64,
    /// `None` when the change is not in a commit (the fallback rule).
    pub commit: Option<Arc<str>>,
    /// The commit's author name.
    pub author: Option<Arc<str>>,
    /// `register`, `publish`, `yank`, `unyank`, `deprecate`, `undeprecate`,
    /// `sign`, `resign`, `delete`, `owners`, `deprecate-plugin`, `undeprecate-plugin`.
    pub action: &'static str,
    pub version: Option<String>,
    pub detail: Option<String>,
}

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
    pub fn read(index_root: &Path) -> Result<History, HistoryError> {
        Self::read_from(index_root, None, None)
    }

    /// [`History::read`] from `commit` instead of `HEAD`, for an index read
    /// from that commit (`--rev`): every manifest there was added by a commit
    /// of its history, so every time comes from git.
    pub fn read_at(index_root: &Path, commit: Oid) -> Result<History, HistoryError> {
        Self::read_from(index_root, Some(commit), None)
    }

    /// [`History::read_at`] for the plugin folders `only` (relative to the
    /// index root): the walk looks at nothing else, so a build that redoes
    /// one plugin does not diff every commit's whole tree.
    pub fn read_at_for(
        index_root: &Path,
        commit: Oid,
        only: &BTreeSet<String>,
    ) -> Result<History, HistoryError> {
        Self::read_from(index_root, Some(commit), Some(only))
    }

    fn read_from(
        index_root: &Path,
        start: Option<Oid>,
        only: Option<&BTreeSet<String>>,
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
                (walk(&repo, &prefix, oid, only).map_err(err)?, Some(time))
            }
            None => match repo.head() {
                // A repository with no commit yet: nothing was published from git.
                Err(e) if e.code() == git2::ErrorCode::UnbornBranch => (Walk::default(), None),
                Err(e) => return Err(err(e)),
                Ok(head) => {
                    let oid = head.peel_to_commit().map_err(err)?.id();
                    (walk(&repo, &prefix, oid, only).map_err(err)?, None)
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

    /// The audit trail of the plugin in folder `dir`: its registration, the
    /// publication of each of `releases` (`(manifest path, version, pubtime)`)
    /// and every recorded event, oldest first.
    pub fn audit<'a>(
        &self,
        dir: &str,
        releases: impl Iterator<Item = (&'a str, String, i64)>,
    ) -> Vec<AuditEntry> {
        let commit = |i: u32| self.walk.commits.get(i as usize);
        let mut entries: Vec<(i64, u32, AuditEntry)> = releases
            .map(|(file, version, pubtime)| {
                let added = self.walk.added.get(file);
                let c = added.and_then(|a| commit(a.commit));
                let order = added.map_or(u32::MAX, |a| a.commit);
                let entry = AuditEntry {
                    time: pubtime,
                    commit: c.map(|c| c.id.clone()),
                    author: c.map(|c| c.author.clone()),
                    action: "publish",
                    version: Some(version),
                    detail: None,
                };
                (pubtime, order, entry)
            })
            .collect();
        for e in self.walk.events.get(dir).into_iter().flatten() {
            let c = commit(e.commit);
            entries.push((
                e.time,
                e.commit,
                AuditEntry {
                    time: e.time,
                    commit: c.map(|c| c.id.clone()),
                    author: c.map(|c| c.author.clone()),
                    action: e.action,
                    version: e.version.clone(),
                    detail: e.detail.clone(),
                },
            ));
        }
        // Commits in mainline order; within one, registration first, then by version.
        let rank = |a: &str| u8::from(a != "register");
        entries.sort_by(|a, b| {
            (a.1, a.0, rank(a.2.action), &a.2.version, a.2.action).cmp(&(
                b.1,
                b.0,
                rank(b.2.action),
                &b.2.version,
                b.2.action,
            ))
        });
        entries.into_iter().map(|(_, _, e)| e).collect()
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
            let mut record =
                |action: &'static str, version: Option<String>, detail: Option<String>| {
                    touched = true;
                    walk.events.entry(dir.rel.clone()).or_default().push(Event {
                        time,
                        commit: index,
                        action,
                        version,
                        detail,
                    });
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
                    record("register", None, None)
                }
                (ChangeKind::Deleted, true) => record("delete", Some(stem.to_owned()), None),
                (ChangeKind::Modified, _) => {
                    let table = |id: Option<git2::Oid>| -> Option<toml::Table> {
                        repo.find_blob(id?)
                            .ok()
                            .and_then(|b| std::str::from_utf8(b.content()).ok()?.parse().ok())
                    };
                    let (Some(old), Some(new)) = (table(change.old), table(change.new)) else {
                        return;
                    };
                    for (action, version, detail) in changes(&old, &new, is_version.then_some(stem))
                    {
                        record(action, version, detail);
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

/// The audit events between two versions of a manifest: yanks, deprecations
/// and signatures of a version (`version` is its file stem), or the owners
/// and deprecation of a plugin.
fn changes(
    old: &toml::Table,
    new: &toml::Table,
    version: Option<&str>,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let differs = |k: &str| old.get(k) != new.get(k);
    let text = |v: Option<&toml::Value>| match v {
        Some(toml::Value::String(s)) => Some(s.clone()),
        Some(toml::Value::Table(t)) => t.get("message").and_then(|m| m.as_str()).map(str::to_owned),
        _ => None,
    };
    let mut out = Vec::new();
    let Some(v) = version else {
        if differs("owners") {
            // Typed owners; a table an older format cannot read counts as none.
            let owners = |t: &toml::Table| -> Vec<Owner> {
                t.get("owners")
                    .cloned()
                    .and_then(|v| v.try_into().ok())
                    .unwrap_or_default()
            };
            let (before, after) = (owners(old), owners(new));
            let now: Vec<String> = after.iter().map(|o| o.github.clone()).collect();
            let detail = format!(
                "{}; now: {}",
                OwnerChanges::between(&before, &after),
                list_or_none(&now)
            );
            out.push(("owners", None, Some(detail)));
        }
        if differs("deprecated") {
            out.push(match text(new.get("deprecated")) {
                Some(m) => ("deprecate-plugin", None, Some(m)),
                None => ("undeprecate-plugin", None, None),
            });
        }
        return out;
    };
    let v = Some(v.to_owned());
    if differs("yanked") {
        out.push(match new.get("yanked") {
            Some(toml::Value::String(r)) => ("yank", v.clone(), Some(r.clone())),
            _ => ("unyank", v.clone(), None),
        });
    }
    if differs("deprecated") {
        out.push(match text(new.get("deprecated")) {
            Some(m) => ("deprecate", v.clone(), Some(m)),
            None => ("undeprecate", v.clone(), None),
        });
    }
    if differs("signature") {
        out.push((
            if old.contains_key("signature") {
                "resign"
            } else {
                "sign"
            },
            v,
            None,
        ));
    }
    out
}
