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
use std::io::{self, BufRead, Read};
use std::path::Path;

use super::{WriteError, io_err, tmp_path};
use crate::digest::{self, Sha256Digest};

const HEADER_V1: &str = "plugdex-output-manifest 1";
const HEADER_V2: &[u8] = b"plugdex-output-manifest 2\n";
const DELTA_HEADER: &[u8] = b"plugdex-standby-delta 1\n";

pub(super) type Entry = (String, Sha256Digest);

/// A tree's files, sorted by path, without duplicates.
#[derive(Debug, Default)]
pub(super) struct Manifest {
    entries: Vec<Entry>,
}

impl Manifest {
    /// Sorts and de-duplicates (the first of equal paths wins).
    pub fn from_unsorted(mut entries: Vec<Entry>) -> Manifest {
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        Manifest { entries }
    }

    pub fn get(&self, path: &str) -> Option<&Sha256Digest> {
        self.entries
            .binary_search_by(|(p, _)| p.as_str().cmp(path))
            .ok()
            .map(|i| &self.entries[i].1)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.get(path).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Reads either format; `None` when missing or malformed (the tree's
    /// content is then unknown).
    pub fn read(path: &Path) -> Option<Manifest> {
        let mut bytes = Vec::new();
        fs::File::open(path).ok()?.read_to_end(&mut bytes).ok()?;
        let entries = match bytes.strip_prefix(HEADER_V2) {
            Some(body) => decode(body)?,
            None => read_v1(&bytes)?,
        };
        // Written sorted; checking keeps lookups right for any file.
        if entries.windows(2).all(|w| w[0].0 < w[1].0) {
            Some(Manifest { entries })
        } else {
            Some(Manifest::from_unsorted(entries))
        }
    }

    pub fn write(&self, path: &Path) -> Result<(), WriteError> {
        let mut out = Vec::with_capacity(HEADER_V2.len() + self.entries.len() * 96);
        out.extend_from_slice(HEADER_V2);
        encode(&self.entries, &mut out);
        write_replacing(path, &out)
    }
}

fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let tmp = tmp_path(path);
    fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))
}

fn encode<'a>(entries: impl IntoIterator<Item = &'a Entry>, out: &mut Vec<u8>) {
    for (p, d) in entries {
        // Output paths are short (the writer refuses nothing longer than a
        // file name allows); a longer one would not round-trip, so it is cut
        // off at a length the reader then rejects as malformed.
        let len = u16::try_from(p.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&p.as_bytes()[..usize::from(len).min(p.len())]);
        out.extend_from_slice(d);
    }
}

fn decode(mut body: &[u8]) -> Option<Vec<Entry>> {
    let mut entries = Vec::with_capacity(body.len() / 90);
    while !body.is_empty() {
        let (len, rest) = body.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_le_bytes(*len));
        if rest.len() < len + 32 {
            return None;
        }
        let path = std::str::from_utf8(&rest[..len]).ok()?.to_owned();
        let digest: Sha256Digest = rest[len..len + 32].try_into().ok()?;
        entries.push((path, digest));
        body = &rest[len + 32..];
    }
    Some(entries)
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
    pub fn between(served: &Manifest, standby: &Manifest) -> Delta {
        let mut differs = Vec::new();
        let mut served = served.entries.iter().peekable();
        for (path, digest) in &standby.entries {
            while let Some((p, _)) = served.next_if(|(p, _)| p < path) {
                differs.push((p.clone(), None));
            }
            match served.next_if(|(p, _)| p == path) {
                Some((_, d)) if d == digest => {}
                _ => differs.push((path.clone(), Some(*digest))),
            }
        }
        differs.extend(served.map(|(p, _)| (p.clone(), None)));
        differs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Delta { differs }
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
                    encode([&(p.clone(), *d)], &mut out);
                }
                None => {
                    out.push(0);
                    let len = u16::try_from(p.len()).unwrap_or(u16::MAX);
                    out.extend_from_slice(&len.to_le_bytes());
                    out.extend_from_slice(&p.as_bytes()[..usize::from(len).min(p.len())]);
                }
            }
        }
        write_replacing(path, &out)
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
    fn manifests_round_trip_and_old_text_ones_are_read() {
        let d = tempfile::tempdir().unwrap();
        let m = Manifest::from_unsorted(vec![e("b/c.json", 2), e("a", 1), e("a", 9)]);
        assert_eq!(m.entries(), &[e("a", 1), e("b/c.json", 2)]);
        let path = d.path().join("m");
        m.write(&path).unwrap();
        let back = Manifest::read(&path).unwrap();
        assert_eq!(back.entries(), m.entries());
        assert_eq!(back.get("b/c.json"), Some(&[2; 32]));
        assert_eq!(back.get("b"), None);

        let v1 = format!(
            "{HEADER_V1}\n{} z\n{} y/x\n",
            "ab".repeat(32),
            "cd".repeat(32)
        );
        fs::write(&path, v1).unwrap();
        let old = Manifest::read(&path).unwrap();
        assert_eq!(old.entries(), &[e("y/x", 0xcd), e("z", 0xab)]);

        for bad in [
            &b"plugdex-output-manifest 2\n\x05\x00ab"[..],
            b"nonsense",
            b"",
        ] {
            fs::write(&path, bad).unwrap();
            assert!(Manifest::read(&path).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_standby_is_known_by_its_difference_from_the_served_tree() {
        let served = Manifest::from_unsorted(vec![e("a", 1), e("b", 2), e("c", 3), e("e", 5)]);
        // The standby: `a` the same, `b` changed, `c` missing, `d` its own, `e` the same.
        let standby = Manifest::from_unsorted(vec![e("a", 1), e("b", 9), e("d", 4), e("e", 5)]);
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
