//! The bundle: one tantivy index in one immutable file, the way quickwit
//! packs a split. The index's files (its `meta.json` and the one segment's
//! components) are laid end to end, followed by a footer that says where each
//! one is:
//!
//! ```text
//! file bytes … | footer JSON {"v":1,"epoch":…,"files":[[name, offset, len], …]} | footer length (u32 LE) | "PLGDXSB1"
//! ```
//!
//! [`BundleDirectory`] is a read-only tantivy [`Directory`] over those bytes,
//! whatever holds them: an mmap natively, a `Vec<u8>` in the browser. It
//! never copies a file; it hands tantivy slices of the one buffer.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    DirectoryLock, FileHandle, Lock, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::{Directory, TantivyError};

/// The bundle format's version, in its footer and in `config.json`'s `search.v`.
pub const BUNDLE_V: u32 = 1;
const MAGIC: &[u8; 8] = b"PLGDXSB1";
/// The segment id every bundle uses: tantivy makes a random one, and the
/// bytes must not depend on it.
pub const SEGMENT_ID: &str = "00000000000000000000000000000001";

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not a plugdex search bundle: {0}")]
    Format(String),
    #[error(
        "search bundle format {0} is not supported (this plugdex reads format {BUNDLE_V}); upgrade plugdex"
    )]
    Version(u32),
    #[error("the search bundle's index cannot be read: {0}")]
    Index(#[from] TantivyError),
}

#[derive(Debug, Serialize, Deserialize)]
struct Footer {
    v: u32,
    /// The time recency is measured from: the newest publication in the
    /// registry (not the clock, so rankings do not drift between builds).
    epoch: i64,
    files: Vec<(String, u64, u64)>,
}

/// Lays out `files` (name → bytes, in name order) as a bundle.
pub fn pack(files: &BTreeMap<String, Vec<u8>>, epoch: i64) -> Vec<u8> {
    let total: usize = files.values().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total + 512);
    let mut index = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        index.push((name.clone(), out.len() as u64, bytes.len() as u64));
        out.extend_from_slice(bytes);
    }
    let footer = serde_json::to_vec(&Footer {
        v: BUNDLE_V,
        epoch,
        files: index,
    })
    .expect("the footer serialises");
    out.extend_from_slice(&footer);
    out.extend_from_slice(&(footer.len() as u32).to_le_bytes());
    out.extend_from_slice(MAGIC);
    out
}

/// A read-only tantivy directory over a bundle's bytes.
#[derive(Clone)]
pub struct BundleDirectory {
    files: Arc<BTreeMap<PathBuf, OwnedBytes>>,
    epoch: i64,
}

impl std::fmt::Debug for BundleDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleDirectory")
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl BundleDirectory {
    /// Reads the footer of `bytes`; checks every range lies inside them.
    pub fn open(bytes: OwnedBytes) -> Result<BundleDirectory, BundleError> {
        let bad = |what: &str| BundleError::Format(what.to_owned());
        let len = bytes.len();
        if len < 12 || &bytes.as_slice()[len - 8..] != MAGIC {
            return Err(bad("the file does not end with the bundle's magic bytes"));
        }
        let footer_len = u32::from_le_bytes(
            bytes.as_slice()[len - 12..len - 8]
                .try_into()
                .expect("four bytes"),
        ) as usize;
        let Some(footer_start) = (len - 12).checked_sub(footer_len) else {
            return Err(bad("the footer's length is larger than the file"));
        };
        let footer: Footer = serde_json::from_slice(&bytes.as_slice()[footer_start..len - 12])
            .map_err(|e| BundleError::Format(format!("the footer is not valid: {e}")))?;
        if footer.v != BUNDLE_V {
            return Err(BundleError::Version(footer.v));
        }
        let mut files = BTreeMap::new();
        for (name, offset, size) in footer.files {
            let end = offset
                .checked_add(size)
                .filter(|&e| e <= footer_start as u64);
            let Some(end) = end else {
                return Err(BundleError::Format(format!(
                    "file {name} lies outside the bundle"
                )));
            };
            files.insert(
                PathBuf::from(name),
                bytes.slice(offset as usize..end as usize),
            );
        }
        Ok(BundleDirectory {
            files: Arc::new(files),
            epoch: footer.epoch,
        })
    }

    /// The files the bundle holds.
    pub fn names(&self) -> Vec<String> {
        self.files
            .keys()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    fn file(&self, path: &Path) -> Result<&OwnedBytes, OpenReadError> {
        self.files
            .get(path)
            .ok_or_else(|| OpenReadError::FileDoesNotExist(path.to_path_buf()))
    }
}

fn read_only(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("the search bundle is read-only: {}", path.display()),
    )
}

impl Directory for BundleDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        Ok(Arc::new(self.file(path)?.clone()))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: Arc::new(read_only(path)),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        Ok(self.files.contains_key(path))
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: Arc::new(read_only(path)),
            filepath: path.to_path_buf(),
        })
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        Ok(self.file(path)?.as_slice().to_vec())
    }

    fn atomic_write(&self, path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(read_only(path))
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        // Nothing ever writes the bundle: readers need not exclude anyone.
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        // Immutable: nothing to watch.
        Ok(WatchHandle::empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed() -> Vec<u8> {
        let mut files = BTreeMap::new();
        files.insert("a".to_owned(), b"first".to_vec());
        files.insert("b".to_owned(), b"second!".to_vec());
        pack(&files, 42)
    }

    #[test]
    fn files_read_back_from_their_ranges() {
        let dir = BundleDirectory::open(OwnedBytes::new(packed())).unwrap();
        assert_eq!(dir.atomic_read(Path::new("a")).unwrap(), b"first");
        assert_eq!(dir.atomic_read(Path::new("b")).unwrap(), b"second!");
        assert!(!dir.exists(Path::new("c")).unwrap());
        assert_eq!(dir.epoch(), 42);
        assert!(dir.atomic_write(Path::new("a"), b"x").is_err());
    }

    #[test]
    fn truncated_or_foreign_bytes_are_refused_not_panicked_on() {
        let bytes = packed();
        for cut in 0..bytes.len() {
            assert!(BundleDirectory::open(OwnedBytes::new(bytes[..cut].to_vec())).is_err());
        }
        let mut lying = bytes.clone();
        let n = lying.len();
        lying[n - 12..n - 8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(BundleDirectory::open(OwnedBytes::new(lying)).is_err());
    }
}
