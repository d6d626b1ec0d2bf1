//! A cache of signatures already verified, so a rebuild verifies only what
//! changed. An entry is a 128-bit digest of (key, statement, signature) for a
//! signature that passed `verify_strict`; any change to any of the three is a
//! miss. Only successes are stored, so a stale or damaged cache can cost time
//! but never admit a bad signature, short of someone who can already write
//! the build's state folder (and so its output).
//!
//! `build` keeps it in the output's state folder; `check` runs without one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::trust::keys::PublicKey;

const MAGIC: &[u8] = b"plugdex verified signatures v1\n";

pub type Entry = [u8; 16];

#[derive(Debug, Default)]
pub struct VerifiedCache {
    path: Option<PathBuf>,
    known: HashSet<Entry>,
    /// Entries hit or added in this run: what the saved file keeps.
    used: Mutex<Vec<Entry>>,
}

impl VerifiedCache {
    /// Loads the cache at `path`; a missing or unreadable file is an empty cache.
    pub fn load(path: &Path) -> VerifiedCache {
        let known = std::fs::read(path)
            .ok()
            .and_then(|bytes| {
                let body = bytes.strip_prefix(MAGIC)?;
                (body.len() % 16 == 0).then(|| {
                    body.chunks_exact(16)
                        .map(|c| c.try_into().expect("16 bytes"))
                        .collect()
                })
            })
            .unwrap_or_default();
        VerifiedCache {
            path: Some(path.to_owned()),
            known,
            used: Mutex::new(Vec::new()),
        }
    }

    pub fn entry(key: &PublicKey, statement: &str, signature: &str) -> Entry {
        let mut m = Vec::with_capacity(64 + statement.len() + signature.len());
        m.extend_from_slice(&key.bytes());
        m.extend_from_slice(&(statement.len() as u64).to_le_bytes());
        m.extend_from_slice(statement.as_bytes());
        m.extend_from_slice(signature.as_bytes());
        let d = crate::digest::sha256(&m);
        d[..16].try_into().expect("16 bytes")
    }

    /// Whether this exact signature was verified before (and notes the use).
    pub fn contains(&self, e: &Entry) -> bool {
        let hit = self.known.contains(e);
        if hit {
            self.used.lock().expect("no panics while held").push(*e);
        }
        hit
    }

    /// Records a signature that just verified.
    pub fn insert(&self, e: Entry) {
        self.used.lock().expect("no panics while held").push(e);
    }

    /// How many signatures this run took from the cache.
    pub fn hits(&self) -> usize {
        let used = self.used.lock().expect("no panics while held");
        used.iter().filter(|e| self.known.contains(*e)).count()
    }

    /// Writes the entries used in this run (atomically, by rename). Errors are
    /// ignored: the cache only saves time.
    pub fn save(&self) {
        let Some(path) = &self.path else { return };
        let mut used = std::mem::take(&mut *self.used.lock().expect("no panics while held"));
        used.sort_unstable();
        used.dedup();
        if used.len() == self.known.len() && used.iter().all(|e| self.known.contains(e)) {
            return;
        }
        let mut bytes = Vec::with_capacity(MAGIC.len() + used.len() * 16);
        bytes.extend_from_slice(MAGIC);
        for e in &used {
            bytes.extend_from_slice(e);
        }
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, bytes).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::secret::SecretKey;

    #[test]
    fn entries_round_trip_and_only_used_ones_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verified");
        let k = SecretKey::from_seed([1; 32]).public();
        let (a, b) = (
            VerifiedCache::entry(&k, "statement a", "sig"),
            VerifiedCache::entry(&k, "statement b", "sig"),
        );
        assert_ne!(a, b, "the statement is part of the entry");
        assert_ne!(a, VerifiedCache::entry(&k, "statement a", "sig2"));
        let c = VerifiedCache::load(&path);
        assert!(!c.contains(&a));
        c.insert(a);
        c.insert(b);
        c.save();
        let c = VerifiedCache::load(&path);
        assert!(c.contains(&a) && c.contains(&b));
        assert_eq!(c.hits(), 2);
        let c2 = VerifiedCache::load(&path);
        assert!(c2.contains(&a));
        c2.save();
        assert!(
            !VerifiedCache::load(&path).contains(&b),
            "unused entries are dropped"
        );
        std::fs::write(&path, b"garbage").unwrap();
        assert!(
            !VerifiedCache::load(&path).contains(&a),
            "a damaged cache is empty"
        );
    }
}
