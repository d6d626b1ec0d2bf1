//! `plugdex search` against a registry (features `client` and `search`):
//! the search bundle `config.json` names, checked against the hash and size
//! the signed snapshot commits to. It is downloaded only when that hash
//! changes: the cache keeps it under its hash (`{cache}/search/{sha256}.tantivy`),
//! and every search maps the cached file read-only and checks it again, so
//! a copy damaged or replaced on disk is fetched afresh, never searched.

use std::path::{Path, PathBuf};

use tantivy::directory::OwnedBytes;

use crate::client::{Client, ClientError};
use crate::search::bundle::BUNDLE_V;
use crate::search::{Searcher, mapped};
use crate::trust::metadata::{FileMeta, by_hash_path};
use crate::trust::verify::VerifyError;

const CHECK: &str = "search bundle";

/// Where a bundle came from, for `-v` and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleSource {
    /// The cached copy matched the snapshot: no request.
    Cache,
    Downloaded,
}

impl Client {
    /// The registry's search bundle, verified and open.
    pub fn searcher(&self) -> Result<(Searcher, BundleSource), ClientError> {
        let remote = self.open()?;
        let Some(search) = remote.config.search.clone() else {
            return Err(ClientError::NoSearch {
                url: self.fetcher.base().to_owned(),
            });
        };
        if search.v != BUNDLE_V {
            return Err(ClientError::Search(format!(
                "its format is {}, this plugdex reads {BUNDLE_V}; upgrade plugdex",
                search.v
            )));
        }
        let mut fetch = |p: &str| self.fetcher.get(p).map_err(|e| e.to_string());
        let meta = remote
            .timestamp()
            .lookup(&search.bundle, &mut fetch)
            .map_err(|source| ClientError::Verify {
                check: CHECK,
                source,
            })?
            .ok_or_else(|| ClientError::Verify {
                check: CHECK,
                source: VerifyError::NotInSnapshot {
                    path: search.bundle.clone(),
                },
            })?;
        let cached = self
            .opts
            .cache_dir
            .as_ref()
            .map(|dir| dir.join("search").join(format!("{}.tantivy", meta.sha256)));
        if let Some(path) = &cached {
            if let Some(bytes) = mapped_if_matches(path, &meta) {
                return Ok((open(bytes)?, BundleSource::Cache));
            }
        }
        if self.opts.offline {
            return Err(ClientError::Fetch(
                crate::client::http::FetchError::Offline {
                    url: format!("{}{}", self.fetcher.base(), search.bundle),
                },
            ));
        }
        // The file, else its `by-hash/` copy (a stale CDN edge); the bundle
        // is large and immutable, so it bypasses the HTTP cache.
        let bytes = [search.bundle.clone(), by_hash_path(&meta.sha256)]
            .iter()
            .find_map(|p| self.fetcher.get_once(p).ok().filter(|b| meta.matches(b)))
            .ok_or_else(|| ClientError::Verify {
                check: CHECK,
                source: VerifyError::Mismatch {
                    path: search.bundle.clone(),
                },
            })?;
        let Some(path) = cached else {
            return Ok((open(OwnedBytes::new(bytes))?, BundleSource::Downloaded));
        };
        store(&path, &bytes)?;
        let mapped = mapped_if_matches(&path, &meta).ok_or_else(|| ClientError::Io {
            path: path.clone(),
            source: std::io::Error::other("the bundle just written does not read back"),
        })?;
        Ok((open(mapped)?, BundleSource::Downloaded))
    }
}

fn open(bytes: OwnedBytes) -> Result<Searcher, ClientError> {
    Searcher::open(bytes).map_err(|e| ClientError::Search(e.to_string()))
}

/// The cached bundle at `path`, mapped, when it is the one `meta` names.
fn mapped_if_matches(path: &Path, meta: &FileMeta) -> Option<OwnedBytes> {
    let bytes = mapped::map(path).ok()?;
    meta.matches(bytes.as_slice()).then_some(bytes)
}

/// Writes the bundle beside the others and removes the older ones: a new
/// name is written and renamed into place, never a mapped file rewritten.
fn store(path: &Path, bytes: &[u8]) -> Result<(), ClientError> {
    let io = |path: &Path| {
        let path: PathBuf = path.to_owned();
        move |source| ClientError::Io { path, source }
    };
    let dir = path.parent().expect("a path under the cache");
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))?;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let other = entry.path();
            if other != path && other.extension().is_some_and(|e| e == "tantivy") {
                let _ = std::fs::remove_file(other);
            }
        }
    }
    Ok(())
}
