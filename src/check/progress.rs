//! How far a check has come, for whoever shows it (the printer's bar or
//! phase lines). The check only bumps counters: [`Counted`] wraps the
//! [`Source`] it reads from and counts each plugin folder read, one relaxed
//! atomic add per plugin, so showing progress costs a check of a million
//! versions nothing measurable, and the check itself never prints.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diagnostic::Diagnostic;
use crate::source::{ArtifactError, PluginDir, PluginFiles, Source, Text};

#[derive(Debug, Default)]
pub struct Progress {
    total: OnceLock<usize>,
    read: AtomicUsize,
}

impl Progress {
    /// How many plugin folders the check reads; `None` until they are listed.
    pub fn total(&self) -> Option<usize> {
        self.total.get().copied()
    }

    /// How many of them were read so far.
    pub fn read(&self) -> usize {
        self.read.load(Ordering::Relaxed)
    }
}

/// A [`Source`] that counts into a [`Progress`] what is read through it.
pub struct Counted<'a, S> {
    source: &'a S,
    progress: &'a Progress,
}

impl<'a, S: Source> Counted<'a, S> {
    pub fn new(source: &'a S, progress: &'a Progress) -> Counted<'a, S> {
        Counted { source, progress }
    }
}

impl<S: Source> Source for Counted<'_, S> {
    fn describe(&self) -> String {
        self.source.describe()
    }

    fn exists(&self, rel: &str) -> bool {
        self.source.exists(rel)
    }

    fn read_text(&self, rel: &str, cap: u64, out: &mut Vec<Diagnostic>) -> Option<Text> {
        self.source.read_text(rel, cap, out)
    }

    fn reads_best_serially(&self) -> bool {
        self.source.reads_best_serially()
    }

    fn read_plugin(&self, dir: &PluginDir, out: &mut Vec<Diagnostic>) -> PluginFiles {
        let files = self.source.read_plugin(dir, out);
        self.progress.read.fetch_add(1, Ordering::Relaxed);
        files
    }

    fn read_artifact(&self, rel: &str, cap: u64) -> Result<Vec<u8>, ArtifactError> {
        self.source.read_artifact(rel, cap)
    }

    fn all_plugin_dirs(&self, out: &mut Vec<Diagnostic>) -> Vec<PluginDir> {
        let dirs = self.source.all_plugin_dirs(out);
        let _ = self.progress.total.set(dirs.len());
        dirs
    }

    fn read_registry(&self, out: &mut Vec<Diagnostic>) -> Option<Text> {
        self.source.read_registry(out)
    }

    fn read_optional(&self, rel: &str, out: &mut Vec<Diagnostic>) -> Option<Text> {
        self.source.read_optional(rel, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_plugins_a_check_reads() {
        let index = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/base");
        let folder = crate::source::FolderSource::open(&index).unwrap();
        let progress = Progress::default();
        assert_eq!((progress.total(), progress.read()), (None, 0));
        let checked = super::super::check_source(
            &Counted::new(&folder, &progress),
            &Default::default(),
            super::super::Keep::Diagnostics,
        );
        assert_eq!(progress.total(), Some(checked.plugins));
        assert_eq!(progress.read(), checked.plugins);
        assert!(checked.plugins > 0);
    }
}
