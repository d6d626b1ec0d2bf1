//! Helpers the fuzz targets share: the input container, the repo's fixtures
//! and scratch folders.
//!
//! Several targets take more than one file. Their input is the files joined
//! by [`SEP`], a line libFuzzer's mutators keep or break like any other
//! bytes; `seed.sh` writes seeds in the same shape from the repo's fixtures.

use std::path::{Path, PathBuf};

/// What separates the files of one input.
pub const SEP: &[u8] = b"\n--8<--\n";

/// The files of one input; a missing one is `None`.
pub struct Sections<'a>(Vec<&'a [u8]>);

impl<'a> Sections<'a> {
    pub fn split(data: &'a [u8]) -> Sections<'a> {
        let mut parts = Vec::new();
        let mut rest = data;
        while let Some(at) = find(rest, SEP) {
            parts.push(&rest[..at]);
            rest = &rest[at + SEP.len()..];
        }
        parts.push(rest);
        Sections(parts)
    }

    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        self.0.get(i).copied()
    }

    /// The file as text, lossily: for inputs whose parser takes `&str`.
    pub fn text(&self, i: usize) -> String {
        String::from_utf8_lossy(self.get(i).unwrap_or_default()).into_owned()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The plugdex repository this crate lives in (fixtures, demo keys).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/ has a parent")
        .to_owned()
}

/// Reads a fixture file of the repo; a missing one is a broken checkout.
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = repo().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", path.display()))
}

/// A fresh scratch folder, in memory when the machine has `/dev/shm`:
/// targets that write files run at memory speed and spare the disk.
pub fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let builder = tempfile::Builder::new()
        .prefix("plugdex-fuzz-")
        .tempdir_in(shm);
    builder
        .or_else(|_| tempfile::tempdir())
        .expect("a scratch folder")
}

/// Whether `rel` is a plain relative path (no `..`, no root, no backslash):
/// what a harness may create inside its scratch folder.
pub fn is_plain_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains(['\\', '\0'])
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}
