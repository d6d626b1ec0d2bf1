//! The record of what an output tree holds: every path with its SHA-256,
//! sorted by path, so two trees compare by one linear merge and a path is
//! found by binary search, with no hash map over a million paths.
//!
//! On disk (format 2) it is binary: a header line, then per entry a
//! little-endian `u16` path length, the path and the 32-byte digest. Reading
//! and writing a million-file manifest is one sequential pass either way.
//! Format 1 (one `hex path` line per file) is still read, so outputs built by
//! earlier versions are not refused.
//!
//! The standby tree is recorded as a [`Delta`] against the served tree: after
//! a build the two differ only by that build's changes.

use std::fs;
use std::io::{self, BufRead, Read, Write};
use std::path::Path;

use rayon::slice::ParallelSliceMut;

use super::{WriteError, io_err, replace_file, tmp_path};
use crate::digest::{self, Sha256Digest};

const HEADER_V1: &str = "plugdex-output-manifest 1";
const HEADER_V2: &[u8] = b"plugdex-output-manifest 2\n";
const DELTA_HEADER: &[u8] = b"plugdex-standby-delta 1\n";

pub(super) type Entry = (String, Sha256Digest);

/// A tree's files, sorted by path, without duplicates: as built (owned
/// paths), or as read from disk (one buffer, entries found by offset, so a
/// million paths cost no million allocations).
#[derive(Debug)]
pub(super) enum Inventory {
    Owned(Vec<Entry>),
    /// A format 2 body and the offset of each entry in it.
    Encoded {
        body: Vec<u8>,
        at: Vec<u32>,
    },
}

impl Default for Inventory {
    fn default() -> Inventory {
        Inventory::Owned(Vec::new())
    }
}

impl Inventory {
    /// Sorts and de-duplicates (the first of equal paths wins).
    pub fn from_unsorted(mut entries: Vec<Entry>) -> Inventory {
        entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        Inventory::Owned(entries)
    }

    /// This tree with the files of `newer` in place: theirs win.
    pub fn overlaid(&self, newer: &Inventory) -> Inventory {
        let mut entries = Vec::with_capacity(self.len() + newer.len());
        let mut newer_entries = newer.entries().peekable();
        for (path, digest) in self.entries() {
            while let Some((p, d)) = newer_entries.next_if(|(p, _)| *p < path) {
                entries.push((p.to_owned(), *d));
            }
            match newer_entries.next_if(|(p, _)| *p == path) {
                Some((p, d)) => entries.push((p.to_owned(), *d)),
                None => entries.push((path.to_owned(), *digest)),
            }
        }
        entries.extend(newer_entries.map(|(p, d)| (p.to_owned(), *d)));
        Inventory::Owned(entries)
    }

    /// This tree without the files at `paths`.
    pub fn without(self, paths: &std::collections::HashSet<String>) -> Inventory {
        if paths.is_empty() {
            return self;
        }
        let entries = self
            .entries()
            .filter(|(p, _)| !paths.contains(*p))
            .map(|(p, d)| (p.to_owned(), *d))
            .collect();
        Inventory::Owned(entries)
    }

    pub fn len(&self) -> usize {
        match self {
            Inventory::Owned(e) => e.len(),
            Inventory::Encoded { at, .. } => at.len(),
        }
    }

    /// Entry `i` in path order.
    fn entry(&self, i: usize) -> (&str, &Sha256Digest) {
        match self {
            Inventory::Owned(e) => (e[i].0.as_str(), &e[i].1),
            Inventory::Encoded { body, at } => {
                let o = at[i] as usize;
                let len = usize::from(u16::from_le_bytes([body[o], body[o + 1]]));
                let path = &body[o + 2..o + 2 + len];
                let digest: &Sha256Digest = body[o + 2 + len..o + 34 + len]
                    .try_into()
                    .expect("offsets were checked when read");
                // Checked as UTF-8 when read.
                (std::str::from_utf8(path).unwrap_or_default(), digest)
            }
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = (&str, &Sha256Digest)> {
        (0..self.len()).map(|i| self.entry(i))
    }

    pub fn get(&self, path: &str) -> Option<&Sha256Digest> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (p, d) = self.entry(mid);
            match p.cmp(path) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(d),
            }
        }
        None
    }

    pub fn contains(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    /// Reads either format; `None` when missing or malformed (the tree's
    /// content is then unknown).
    pub fn read(path: &Path) -> Option<Inventory> {
        let mut bytes = Vec::new();
        fs::File::open(path).ok()?.read_to_end(&mut bytes).ok()?;
        let manifest = if bytes.starts_with(HEADER_V2) {
            bytes.drain(..HEADER_V2.len());
            let at = index(&bytes)?;
            Inventory::Encoded { body: bytes, at }
        } else {
            Inventory::Owned(read_v1(&bytes)?)
        };
        // Written sorted; checking keeps lookups right for any file.
        let sorted = (1..manifest.len()).all(|i| manifest.entry(i - 1).0 < manifest.entry(i).0);
        if sorted {
            Some(manifest)
        } else {
            let owned = manifest
                .entries()
                .map(|(p, d)| (p.to_owned(), *d))
                .collect();
            Some(Inventory::from_unsorted(owned))
        }
    }

    /// Writes the manifest through a small buffer: a million-entry one is
    /// never assembled in memory.
    pub fn write(&self, path: &Path) -> Result<(), WriteError> {
        let tmp = tmp_path(path, "");
        let write = || -> io::Result<()> {
            let mut out = io::BufWriter::with_capacity(1 << 16, fs::File::create(&tmp)?);
            out.write_all(HEADER_V2)?;
            match self {
                Inventory::Encoded { body, .. } => out.write_all(body)?,
                Inventory::Owned(entries) => {
                    let mut one = Vec::with_capacity(128);
                    for (p, d) in entries {
                        one.clear();
                        encode_one(p, d, &mut one);
                        out.write_all(&one)?;
                    }
                }
            }
            out.into_inner().map_err(io::IntoInnerError::into_error)?;
            Ok(())
        };
        write().map_err(io_err(&tmp))?;
        fs::rename(&tmp, path).map_err(io_err(path))
    }
}

/// The offset of each entry of a format 2 body, checking every length and
/// path; `None` when malformed.
fn index(body: &[u8]) -> Option<Vec<u32>> {
    let mut at = Vec::with_capacity(body.len() / 90);
    let mut o = 0;
    while o < body.len() {
        let len = usize::from(u16::from_le_bytes(body.get(o..o + 2)?.try_into().ok()?));
        let end = o + 2 + len + 32;
        if end > body.len() {
            return None;
        }
        std::str::from_utf8(&body[o + 2..o + 2 + len]).ok()?;
        at.push(u32::try_from(o).ok()?);
        o = end;
    }
    Some(at)
}

fn encode_one(path: &str, digest: &Sha256Digest, out: &mut Vec<u8>) {
    // Paths are at most `MAX_PATH` long (the writer refuses longer ones).
    let len = u16::try_from(path.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&path.as_bytes()[..usize::from(len).min(path.len())]);
    out.extend_from_slice(digest);
}

fn read_v1(bytes: &[u8]) -> Option<Vec<Entry>> {
    let mut lines = io::BufReader::new(bytes).lines();
    if lines.next()?.ok()? != HEADER_V1 {
        return None;
    }
    let mut entries = Vec::new();
    for line in lines {
        let line = line.ok()?;
        let (hex, path) = line.split_once(' ')?;
        entries.push((path.to_owned(), digest::parse_sha256_hex(hex)?));
    }
    Some(entries)
}

/// How the standby tree differs from the served one: per path, the standby's
/// digest, or `None` where the standby lacks the file. Sorted by path.
#[derive(Debug, Default)]
pub(super) struct Delta {
    pub differs: Vec<(String, Option<Sha256Digest>)>,
}

impl Delta {
    /// The difference of `standby` from `served`, by one merge.
    pub fn between(served: &Inventory, standby: &Inventory) -> Delta {
        let mut differs = Vec::new();
        let mut served = served.entries().peekable();
        for (path, digest) in standby.entries() {
            while let Some((p, _)) = served.next_if(|(p, _)| *p < path) {
                differs.push((p.to_owned(), None));
            }
            match served.next_if(|(p, _)| *p == path) {
                Some((_, d)) if d == digest => {}
                _ => differs.push((path.to_owned(), Some(*digest))),
            }
        }
        differs.extend(served.map(|(p, _)| (p.to_owned(), None)));
        differs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Delta { differs }
    }

    /// The standby tree this delta describes, from the `served` one.
    pub fn apply(&self, served: &Inventory) -> Inventory {
        let mut entries = Vec::with_capacity(served.len() + self.differs.len());
        let mut differs = self.differs.iter().peekable();
        for (path, digest) in served.entries() {
            while let Some((p, d)) = differs.next_if(|(p, _)| p.as_str() < path) {
                entries.extend(d.map(|d| (p.clone(), d)));
            }
            match differs.next_if(|(p, _)| p == path) {
                Some((_, d)) => entries.extend(d.map(|d| (path.to_owned(), d))),
                None => entries.push((path.to_owned(), *digest)),
            }
        }
        entries.extend(differs.filter_map(|(p, d)| Some((p.clone(), (*d)?))));
        Inventory::Owned(entries)
    }

    /// The standby's entry for `path`: `Some(d)` where it differs from the
    /// served tree (`d` is `None` where the standby lacks it), `None` where
    /// the standby holds the served file.
    pub fn get(&self, path: &str) -> Option<Option<&Sha256Digest>> {
        self.differs
            .binary_search_by(|(p, _)| p.as_str().cmp(path))
            .ok()
            .map(|i| self.differs[i].1.as_ref())
    }

    /// Reads a delta recorded against the served tree named `served_key`;
    /// `None` when missing, malformed or recorded against another tree.
    pub fn read(path: &Path, served_key: &str) -> Option<Delta> {
        let bytes = fs::read(path).ok()?;
        let body = bytes.strip_prefix(DELTA_HEADER)?;
        let end = body.iter().position(|&b| b == b'\n')?;
        if &body[..end] != served_key.as_bytes() {
            return None;
        }
        let mut body = &body[end + 1..];
        let mut differs = Vec::new();
        while let Some((&flag, rest)) = body.split_first() {
            let (entry, rest) = match flag {
                1 => {
                    let mut one = decode_one(rest)?;
                    ((std::mem::take(&mut one.0.0), Some(one.0.1)), one.1)
                }
                0 => {
                    let (len, rest) = rest.split_first_chunk::<2>()?;
                    let len = usize::from(u16::from_le_bytes(*len));
                    let path = std::str::from_utf8(rest.get(..len)?).ok()?.to_owned();
                    ((path, None), &rest[len..])
                }
                _ => return None,
            };
            differs.push(entry);
            body = rest;
        }
        if !differs.windows(2).all(|w| w[0].0 < w[1].0) {
            return None;
        }
        Some(Delta { differs })
    }

    pub fn write(&self, path: &Path, served_key: &str) -> Result<(), WriteError> {
        let mut out = Vec::with_capacity(64 + self.differs.len() * 96);
        out.extend_from_slice(DELTA_HEADER);
        out.extend_from_slice(served_key.as_bytes());
        out.push(b'\n');
        for (p, d) in &self.differs {
            match d {
                Some(d) => {
                    out.push(1);
                    encode_one(p, d, &mut out);
                }
                None => {
                    out.push(0);
                    let len = u16::try_from(p.len()).unwrap_or(u16::MAX);
                    out.extend_from_slice(&len.to_le_bytes());
                    out.extend_from_slice(&p.as_bytes()[..usize::from(len).min(p.len())]);
                }
            }
        }
        replace_file(path, &out, "").map_err(io_err(path))
    }
}

fn decode_one(body: &[u8]) -> Option<(Entry, &[u8])> {
    let (len, rest) = body.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_le_bytes(*len));
    if rest.len() < len + 32 {
        return None;
    }
    let path = std::str::from_utf8(&rest[..len]).ok()?.to_owned();
    let digest: Sha256Digest = rest[len..len + 32].try_into().ok()?;
    Some(((path, digest), &rest[len + 32..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(p: &str, b: u8) -> Entry {
        (p.to_owned(), [b; 32])
    }

    #[test]
    fn a_delta_applied_to_the_served_tree_gives_the_standby_and_newer_files_win() {
        let listed = |m: &Inventory| -> Vec<Entry> {
            m.entries().map(|(p, d)| (p.to_owned(), *d)).collect()
        };
        let served = Inventory::from_unsorted(vec![e("a", 1), e("b", 2), e("d", 4)]);
        let standby = Inventory::from_unsorted(vec![e("a", 1), e("b", 9), e("c", 3), e("e", 5)]);
        let delta = Delta::between(&served, &standby);
        assert_eq!(listed(&delta.apply(&served)), listed(&standby));
        assert_eq!(listed(&Delta::default().apply(&served)), listed(&served));

        let newer = Inventory::from_unsorted(vec![e("0", 7), e("b", 8), e("z", 6)]);
        assert_eq!(
            listed(&standby.overlaid(&newer)),
            [
                e("0", 7),
                e("a", 1),
                e("b", 8),
                e("c", 3),
                e("e", 5),
                e("z", 6)
            ]
        );
        assert_eq!(
            listed(&Inventory::default().overlaid(&newer)),
            listed(&newer)
        );
    }

    #[test]
    fn manifests_round_trip_and_old_text_ones_are_read() {
        let d = tempfile::tempdir().unwrap();
        let m = Inventory::from_unsorted(vec![e("b/c.json", 2), e("a", 1), e("a", 9)]);
        let listed = |m: &Inventory| -> Vec<Entry> {
            m.entries().map(|(p, d)| (p.to_owned(), *d)).collect()
        };
        assert_eq!(listed(&m), [e("a", 1), e("b/c.json", 2)]);
        let path = d.path().join("m");
        m.write(&path).unwrap();
        let back = Inventory::read(&path).unwrap();
        assert!(matches!(back, Inventory::Encoded { .. }));
        assert_eq!(listed(&back), listed(&m));
        assert_eq!(back.get("b/c.json"), Some(&[2; 32]));
        assert_eq!(back.get("b"), None);

        let v1 = format!(
            "{HEADER_V1}\n{} z\n{} y/x\n",
            "ab".repeat(32),
            "cd".repeat(32)
        );
        fs::write(&path, v1).unwrap();
        let old = Inventory::read(&path).unwrap();
        assert_eq!(listed(&old), [e("y/x", 0xcd), e("z", 0xab)]);

        for bad in [
            &b"plugdex-output-manifest 2\n\x05\x00ab"[..],
            b"nonsense",
            b"",
        ] {
            fs::write(&path, bad).unwrap();
            assert!(Inventory::read(&path).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_standby_is_known_by_its_difference_from_the_served_tree() {
        let served = Inventory::from_unsorted(vec![e("a", 1), e("b", 2), e("c", 3), e("e", 5)]);
        // The standby: `a` the same, `b` changed, `c` missing, `d` its own, `e` the same.
        let standby = Inventory::from_unsorted(vec![e("a", 1), e("b", 9), e("d", 4), e("e", 5)]);
        let delta = Delta::between(&served, &standby);
        assert_eq!(
            delta.differs,
            vec![
                ("b".to_owned(), Some([9; 32])),
                ("c".to_owned(), None),
                ("d".to_owned(), Some([4; 32])),
            ]
        );
        assert_eq!(delta.get("a"), None);
        assert_eq!(delta.get("b"), Some(Some(&[9; 32])));
        assert_eq!(delta.get("c"), Some(None));

        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("delta");
        delta.write(&path, "manifest-1-2-3").unwrap();
        let back = Delta::read(&path, "manifest-1-2-3").unwrap();
        assert_eq!(back.differs, delta.differs);
        assert!(
            Delta::read(&path, "manifest-other").is_none(),
            "a delta against another served tree is not trusted"
        );
    }
}
