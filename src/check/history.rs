//! Where the releases `check` makes get their publication times and each
//! plugin its audit trail. `build` reads git history before it checks, so
//! [`check`](super) makes every release whole at once instead of leaving
//! fields for the driver to fill in.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::audit::{self, AuditEntry};
use crate::model::Release;
use crate::source::history::History;

/// What history says about the releases of one check.
pub trait ReleaseHistory: Sync {
    /// Publication time, seconds since the epoch, of the manifest at `file`
    /// (relative to the index root).
    fn pubtime(&self, file: &str) -> i64;
    /// The audit trail of the plugin folder `dir`, whose releases are these.
    fn audit(&self, dir: &str, releases: &[Release]) -> Vec<AuditEntry>;
}

/// A check that publishes nothing (`plugdex check`, `check --base`, tests of
/// the model): every release is dated 0 and no plugin has a trail.
pub struct NoHistory;

impl ReleaseHistory for NoHistory {
    fn pubtime(&self, _: &str) -> i64 {
        0
    }

    fn audit(&self, _: &str, _: &[Release]) -> Vec<AuditEntry> {
        Vec::new()
    }
}

/// First-parent git history of the index at `index`, counting the
/// releases it dates from a commit (the rest use the fallback rule).
pub struct GitHistory<'a> {
    history: &'a History,
    index: &'a Path,
    from_git: AtomicUsize,
}

impl<'a> GitHistory<'a> {
    pub fn new(history: &'a History, index: &'a Path) -> GitHistory<'a> {
        GitHistory {
            history,
            index,
            from_git: AtomicUsize::new(0),
        }
    }

    /// How many releases were dated from a commit so far.
    pub fn dated_from_git(&self) -> usize {
        self.from_git.load(Ordering::Relaxed)
    }
}

impl ReleaseHistory for GitHistory<'_> {
    fn pubtime(&self, file: &str) -> i64 {
        let (time, from_git) = self.history.pubtime(file, self.index);
        if from_git {
            self.from_git.fetch_add(1, Ordering::Relaxed);
        }
        time
    }

    fn audit(&self, dir: &str, releases: &[Release]) -> Vec<AuditEntry> {
        let releases = releases
            .iter()
            .map(|r| (r.file.as_str(), r.version().to_string(), r.pubtime));
        audit::trail(self.history, dir, releases)
    }
}
