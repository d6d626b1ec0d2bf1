//! Writes the output tree atomically and incrementally.
//!
//! Two trees take turns: `out` (served) and a standby copy in a state folder
//! beside it (`.<out>.plugdex/standby`). A build brings the standby up to the
//! new content, then swaps the two folders in one `renameat2(RENAME_EXCHANGE)`:
//! a reader, or a build killed at any moment, sees the old tree or the new
//! one, never a mix. Each tree has a manifest (path → SHA-256), keyed by the
//! folder's identity, so a build knows what both trees hold without reading
//! them. A file whose content did not change is the same inode as before
//! (hard-linked from the served tree), so its mtime stays and `rsync` or
//! `aws s3 sync` upload only what changed.
//!
//! Invariant: a file present with the same digest in both manifests is one
//! inode shared by both trees. Files are never written in place (a shared
//! inode would change in both trees); they are unlinked and made anew.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, BufRead, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::digest::{self, Sha256Digest};

type Manifest = HashMap<String, Sha256Digest>;

const MANIFEST_HEADER: &str = "plugdex-output-manifest 1";

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write `{}`: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("`{}` exists and is not a folder plugdex wrote", .0.display())]
    NotOurs(PathBuf),
    #[error("another build is writing `{}`", .0.display())]
    Locked(PathBuf),
    #[error("refusing to write the unsafe output path `{0}`")]
    UnsafePath(String),
}

impl WriteError {
    pub fn hint(&self) -> Option<String> {
        match self {
            WriteError::NotOurs(p) => Some(format!(
                "plugdex replaces its output folder as a whole; move `{}` away or pick another `--out`",
                p.display()
            )),
            WriteError::Locked(_) => {
                Some("wait for it to finish; two builds must not share an output folder".into())
            }
            _ => None,
        }
    }
}

/// The folder beside `out` where builds keep their state (standby tree,
/// manifests, lock, caches): `.<out>.plugdex`.
pub fn state_dir(out: &Path) -> Option<PathBuf> {
    let name = out.file_name()?.to_string_lossy().into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Some(parent.join(format!(".{name}.plugdex")))
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What a committed build changed.
#[derive(Debug, Default)]
pub struct Summary {
    /// Files written with new content.
    pub written: usize,
    /// Files whose content did not change (not rewritten).
    pub unchanged: usize,
    /// Paths that differ from the previous output: added, changed or removed, sorted.
    pub changed: Vec<String>,
    /// Paths of the previous output that are gone.
    pub removed: usize,
}

pub struct Writer {
    out: PathBuf,
    state: PathBuf,
    standby: PathBuf,
    /// What `out` holds; `None` when there is no previous output.
    live: Option<Manifest>,
    /// What the standby tree held when the build started.
    standby_had: StandbyHad,
    entries: Mutex<Vec<(String, Sha256Digest)>>,
    dirs: Mutex<HashSet<PathBuf>>,
    written: AtomicUsize,
    unchanged: AtomicUsize,
    _lock: fs::File,
}

impl Writer {
    /// Prepares to write a new version of `out`.
    pub fn open(out: &Path) -> Result<Writer, WriteError> {
        let name = out
            .file_name()
            .ok_or_else(|| WriteError::UnsafePath(out.display().to_string()))?
            .to_string_lossy()
            .into_owned();
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let state = parent.join(format!(".{name}.plugdex"));
        debug_assert_eq!(Some(&state), state_dir(out).as_ref());
        fs::create_dir_all(&state).map_err(io_err(&state))?;
        let lock_path = state.join("lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        if lock.try_lock().is_err() {
            return Err(WriteError::Locked(out.to_owned()));
        }
        let standby = state.join("standby");

        let live = match fs::symlink_metadata(out) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err(out)(e)),
            Ok(m) if !m.is_dir() => return Err(WriteError::NotOurs(out.to_owned())),
            Ok(m) => match read_manifest(&manifest_path(&state, &m)) {
                Some(manifest) => Some(manifest),
                // An empty folder is as good as none; anything else may be
                // someone's data and is never replaced.
                None if is_empty_dir(out) => Some(Vec::new()),
                None => return Err(WriteError::NotOurs(out.to_owned())),
            },
        };

        let standby_had = match fs::symlink_metadata(&standby) {
            Ok(m) if m.is_dir() => {
                let path = manifest_path(&state, &m);
                let served = live.as_deref().unwrap_or_default();
                match read_manifest(&path).map(|had| StandbyHad::between(served, had)) {
                    Some(had) => {
                        // From here on the standby is being changed: forget its
                        // manifest, so a build killed midway never trusts it.
                        fs::remove_file(&path).map_err(io_err(&path))?;
                        had
                    }
                    None => {
                        // Left by a killed build: its content is unknown.
                        fs::remove_dir_all(&standby).map_err(io_err(&standby))?;
                        StandbyHad::default()
                    }
                }
            }
            Ok(_) => {
                fs::remove_file(&standby).map_err(io_err(&standby))?;
                StandbyHad::default()
            }
            Err(_) => StandbyHad::default(),
        };
        let live: Option<Manifest> = live.map(|sorted| sorted.into_iter().collect());
        fs::create_dir_all(&standby).map_err(io_err(&standby))?;

        Ok(Writer {
            out: out.to_owned(),
            state,
            standby,
            live,
            standby_had,
            entries: Mutex::new(Vec::new()),
            dirs: Mutex::new(HashSet::new()),
            written: AtomicUsize::new(0),
            unchanged: AtomicUsize::new(0),
            _lock: lock,
        })
    }

    /// Makes room for `files` more entries up front: at a million files the
    /// doubling growth of the list would briefly hold it twice.
    pub fn reserve(&self, files: usize) {
        self.entries
            .lock()
            .expect("no panics while held")
            .reserve(files);
    }

    /// The digest of `path` in the standby tree as the build found it.
    fn standby_digest(&self, path: &str) -> Option<&Sha256Digest> {
        self.standby_had
            .digest(path, || self.live.as_ref().and_then(|m| m.get(path)))
    }

    /// Files the previous output held, for progress estimates.
    pub fn previous_len(&self) -> usize {
        self.live.as_ref().map_or(0, HashMap::len)
    }

    /// Adds one file to the new output and returns its SHA-256. Safe to call
    /// from many threads.
    pub fn put(&self, path: &str, bytes: &[u8]) -> Result<Sha256Digest, WriteError> {
        let digest = digest::sha256(bytes);
        self.put_hashed(path, bytes, digest)?;
        Ok(digest)
    }

    /// [`Writer::put`] for bytes whose SHA-256 the caller already has (a
    /// second copy of a file just put, such as its `by-hash/` copy).
    pub fn put_hashed(
        &self,
        path: &str,
        bytes: &[u8],
        digest: Sha256Digest,
    ) -> Result<(), WriteError> {
        if !is_safe_relative(path) {
            return Err(WriteError::UnsafePath(path.to_owned()));
        }
        self.entries
            .lock()
            .expect("no panics while held")
            .push((path.to_owned(), digest));
        let in_live = self.live.as_ref().and_then(|m| m.get(path)) == Some(&digest);
        if in_live && self.standby_digest(path) == Some(&digest) {
            // Already the same inode as the served file (see the invariant).
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let target = self.standby.join(path);
        self.ensure_parent(&target)?;
        // The standby is not served, and a build killed midway never trusts
        // it (its manifest is gone), so files are made at their final names:
        // no temporary file and rename, which was a third of a full build's
        // kernel time. A name already there is unlinked first, never written
        // through: its inode may be shared with the served tree.
        if in_live
            && self
                .replace(&target, |t| fs::hard_link(self.out.join(path), t))
                .is_ok()
        {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        self.replace(&target, |t| {
            let mut file = fs::File::create_new(t)?;
            file.write_all(bytes)
        })
        .map_err(io_err(&target))?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Runs `make`, which creates `target` and fails if it exists; when it
    /// exists, unlinks it and runs `make` again.
    fn replace(&self, target: &Path, make: impl Fn(&Path) -> io::Result<()>) -> io::Result<()> {
        match make(target) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                fs::remove_file(target)?;
                make(target)
            }
            done => done,
        }
    }

    /// Carries a file of the previous output over unchanged (hard-linked, or
    /// copied where links fail). `false` when the previous output lacks it.
    pub fn keep(&self, path: &str) -> Result<bool, WriteError> {
        if !is_safe_relative(path) {
            return Err(WriteError::UnsafePath(path.to_owned()));
        }
        let Some(digest) = self.live.as_ref().and_then(|m| m.get(path)).copied() else {
            return Ok(false);
        };
        if self.standby_digest(path) == Some(&digest) {
            self.entries
                .lock()
                .expect("no panics while held")
                .push((path.to_owned(), digest));
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(true);
        }
        let source = self.out.join(path);
        match fs::read(&source) {
            Ok(bytes) if digest::sha256(&bytes) == digest => {
                self.put_hashed(path, &bytes, digest)?;
                Ok(true)
            }
            // Gone or changed under us: it is not carried over.
            _ => Ok(false),
        }
    }

    fn ensure_parent(&self, target: &Path) -> Result<(), WriteError> {
        let Some(parent) = target.parent() else {
            return Ok(());
        };
        if self
            .dirs
            .lock()
            .expect("no panics while held")
            .contains(parent)
        {
            return Ok(());
        }
        fs::create_dir_all(parent).map_err(io_err(parent))?;
        self.dirs
            .lock()
            .expect("no panics while held")
            .insert(parent.to_owned());
        Ok(())
    }

    /// Finishes the standby tree and swaps it in. Until this returns, `out` is
    /// the previous output, untouched.
    pub fn commit(self) -> Result<Summary, WriteError> {
        let entries = std::mem::take(&mut *self.entries.lock().expect("no panics while held"));
        let mut new = Manifest::with_capacity(entries.len());
        for (path, digest) in entries {
            new.insert(path, digest);
        }
        let empty = Manifest::new();
        let live = self.live.as_ref().unwrap_or(&empty);
        let mut stale: Vec<&String> = self
            .standby_had
            .paths(live)
            .filter(|p| !new.contains_key(*p))
            .collect();
        stale.sort_unstable_by(|a, b| b.cmp(a));
        for path in stale {
            let target = self.standby.join(path);
            match fs::remove_file(&target) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(&target)(e)),
                _ => prune_empty_parents(&self.standby, &target),
            }
        }

        let mut changed: Vec<String> = new
            .iter()
            .filter(|(p, d)| live.get(*p) != Some(*d))
            .map(|(p, _)| p.clone())
            .collect();
        let removed: Vec<&String> = live.keys().filter(|p| !new.contains_key(*p)).collect();
        let removed_count = removed.len();
        changed.extend(removed.into_iter().cloned());
        changed.sort_unstable();

        let standby_meta = fs::symlink_metadata(&self.standby).map_err(io_err(&self.standby))?;
        write_manifest(&manifest_path(&self.state, &standby_meta), &new)?;
        if self.live.is_some() && changed.is_empty() {
            // Nothing to show: the served tree already is the new output.
        } else if self.live.is_some() && fs::symlink_metadata(&self.out).is_ok() {
            exchange(&self.standby, &self.out)?;
        } else {
            fs::rename(&self.standby, &self.out).map_err(io_err(&self.out))?;
        }
        self.forget_stale_manifests();
        Ok(Summary {
            written: self.written.load(Ordering::Relaxed),
            unchanged: self.unchanged.load(Ordering::Relaxed),
            changed,
            removed: removed_count,
        })
    }

    /// Removes manifests of trees that no longer exist.
    fn forget_stale_manifests(&self) {
        let keep: Vec<PathBuf> = [&self.out, &self.standby]
            .iter()
            .filter_map(|p| fs::symlink_metadata(p).ok())
            .map(|m| manifest_path(&self.state, &m))
            .collect();
        let Ok(entries) = fs::read_dir(&self.state) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_manifest = entry.file_name().to_string_lossy().starts_with("manifest-");
            if is_manifest && !keep.contains(&path) {
                let _ = fs::remove_file(path);
            }
        }
    }
}

/// Swaps two folders atomically.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> Result<(), WriteError> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(|e| io_err(b)(e.into()))
}

/// Without an atomic exchange, two renames: readers may see no folder for an instant.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(a: &Path, b: &Path) -> Result<(), WriteError> {
    let aside = a.with_extension("swap");
    fs::rename(b, &aside).map_err(io_err(b))?;
    fs::rename(a, b).map_err(io_err(b))?;
    fs::rename(&aside, a).map_err(io_err(a))
}

/// A manifest is keyed by its tree's identity: device, inode and birth time,
/// which survive renames (and so the exchange) but not a delete and recreate.
fn manifest_path(state: &Path, meta: &fs::Metadata) -> PathBuf {
    let born = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    state.join(format!(
        "manifest-{:x}-{:x}-{born:x}",
        meta.dev(),
        meta.ino()
    ))
}

/// A manifest's entries, sorted by path.
fn read_manifest(path: &Path) -> Option<Vec<(String, Sha256Digest)>> {
    let file = fs::File::open(path).ok()?;
    let mut lines = io::BufReader::new(file).lines();
    if lines.next()?.ok()? != MANIFEST_HEADER {
        return None;
    }
    let mut entries = Vec::new();
    for line in lines {
        let line = line.ok()?;
        let (hex, path) = line.split_once(' ')?;
        entries.push((path.to_owned(), digest::parse_sha256_hex(hex)?));
    }
    // Written sorted; sorting again is a linear pass then, and keeps the
    // merge in [`StandbyHad::between`] right for any file.
    entries.sort_unstable();
    entries.dedup_by(|a, b| a.0 == b.0);
    Some(entries)
}

/// What the standby tree holds, kept as its difference from the served
/// tree: after a build the two differ only by that build's changes, so a
/// million-file output is not held in memory twice.
#[derive(Debug, Default)]
struct StandbyHad {
    /// Paths whose standby digest differs from the served one; `None`
    /// where the standby lacks the file.
    differs: HashMap<String, Option<Sha256Digest>>,
    /// The standby held something (else it is new or was discarded).
    known: bool,
}

impl StandbyHad {
    /// Merges the two sorted manifests.
    fn between(served: &[(String, Sha256Digest)], standby: Vec<(String, Sha256Digest)>) -> Self {
        let mut differs = HashMap::new();
        let mut served = served.iter().peekable();
        for (path, digest) in standby {
            while let Some((p, _)) = served.next_if(|(p, _)| *p < path) {
                differs.insert(p.clone(), None);
            }
            match served.next_if(|(p, _)| *p == path) {
                Some((_, d)) if *d == digest => {}
                _ => {
                    differs.insert(path, Some(digest));
                }
            }
        }
        for (p, _) in served {
            differs.insert(p.clone(), None);
        }
        StandbyHad {
            differs,
            known: true,
        }
    }

    /// The standby's digest of `path`, given the served tree's (`served`).
    fn digest<'a>(
        &'a self,
        path: &str,
        served: impl FnOnce() -> Option<&'a Sha256Digest>,
    ) -> Option<&'a Sha256Digest> {
        if !self.known {
            return None;
        }
        match self.differs.get(path) {
            Some(d) => d.as_ref(),
            None => served(),
        }
    }

    /// Every path the standby holds.
    fn paths<'a>(&'a self, served: &'a Manifest) -> impl Iterator<Item = &'a String> {
        let shared = served
            .keys()
            .filter(|p| self.known && !self.differs.contains_key(*p));
        let own = self
            .differs
            .iter()
            .filter_map(|(p, d)| d.is_some().then_some(p));
        shared.chain(own)
    }
}

fn write_manifest(path: &Path, manifest: &Manifest) -> Result<(), WriteError> {
    let mut sorted: Vec<(&String, &Sha256Digest)> = manifest.iter().collect();
    sorted.sort_unstable();
    let mut text = String::with_capacity(sorted.len() * 100 + 32);
    text.push_str(MANIFEST_HEADER);
    text.push('\n');
    for (p, d) in sorted {
        text.push_str(&digest::hex(d));
        text.push(' ');
        text.push_str(p);
        text.push('\n');
    }
    let tmp = tmp_path(path);
    fs::write(&tmp, text).map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))
}

fn tmp_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_owned();
    name.push(".plugdex-tmp");
    target.with_file_name(name)
}

fn is_empty_dir(path: &Path) -> bool {
    fs::read_dir(path).is_ok_and(|mut d| d.next().is_none())
}

/// Relative, `/`-separated, no empty, `.` or `..` segments.
fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

fn prune_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == root || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(out: &Path, files: &[(&str, &str)]) -> Summary {
        let w = Writer::open(out).unwrap();
        for (p, c) in files {
            w.put(p, c.as_bytes()).unwrap();
        }
        w.commit().unwrap()
    }

    fn mtime_ino(p: &Path) -> (i64, u64) {
        let m = fs::metadata(p).unwrap();
        (m.mtime_nsec() + m.mtime() * 1_000_000_000, m.ino())
    }

    #[test]
    fn unchanged_files_keep_their_inode_and_changed_ones_are_listed() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("dist");
        let s = build(
            &out,
            &[("a.json", "1"), ("x/b.json", "2"), ("x/c.json", "3")],
        );
        assert_eq!((s.written, s.changed.len()), (3, 3));
        let before = mtime_ino(&out.join("x/b.json"));
        for round in 0..4 {
            let c = format!("v{round}");
            let s = build(&out, &[("a.json", &c), ("x/b.json", "2")]);
            assert_eq!(fs::read_to_string(out.join("a.json")).unwrap(), c);
            assert!(!out.join("x/c.json").exists(), "removed files disappear");
            assert_eq!(mtime_ino(&out.join("x/b.json")), before, "round {round}");
            let expected: Vec<String> = if round == 0 {
                vec!["a.json".into(), "x/c.json".into()]
            } else {
                vec!["a.json".into()]
            };
            assert_eq!(s.changed, expected);
        }
        // A rebuild with identical content changes nothing and swaps nothing.
        let s = build(&out, &[("a.json", "v3"), ("x/b.json", "2")]);
        assert!(s.changed.is_empty());
        assert_eq!(s.written, 0);
    }

    #[test]
    fn content_that_returns_gets_a_fresh_file() {
        // A→B→A: the standby still holds A from two builds ago, but the served
        // file is B, so A must be written anew (a fresh mtime for sync tools).
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("dist");
        build(&out, &[("f", "A")]);
        build(&out, &[("f", "B")]);
        let b = mtime_ino(&out.join("f"));
        let s = build(&out, &[("f", "A")]);
        assert_eq!(s.written, 1);
        assert_ne!(mtime_ino(&out.join("f")).1, b.1);
        assert_eq!(fs::read_to_string(out.join("f")).unwrap(), "A");
    }

    #[test]
    fn the_standby_is_known_by_its_difference_from_the_served_tree() {
        let d = |b: u8| [b; 32];
        let e = |p: &str, b: u8| (p.to_owned(), d(b));
        let served = vec![e("a", 1), e("b", 2), e("c", 3), e("e", 5)];
        // The standby: `a` the same, `b` changed, `c` missing, `d` its own, `e` the same.
        let had = StandbyHad::between(&served, vec![e("a", 1), e("b", 9), e("d", 4), e("e", 5)]);
        assert_eq!(had.differs.len(), 3, "{:?}", had.differs);
        let map: Manifest = served.into_iter().collect();
        let look = |p: &str| had.digest(p, || map.get(p)).copied();
        assert_eq!(look("a"), Some(d(1)));
        assert_eq!(look("b"), Some(d(9)));
        assert_eq!(look("c"), None);
        assert_eq!(look("d"), Some(d(4)));
        assert_eq!(look("e"), Some(d(5)));
        assert_eq!(look("z"), None);
        let mut paths: Vec<&String> = had.paths(&map).collect();
        paths.sort();
        assert_eq!(paths, ["a", "b", "d", "e"]);
        // A standby that is new or was discarded holds nothing.
        let none = StandbyHad::default();
        assert_eq!(none.digest("a", || map.get("a")), None);
        assert_eq!(none.paths(&map).count(), 0);
    }

    #[test]
    fn refuses_a_folder_it_did_not_write() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("home");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("precious.txt"), "data").unwrap();
        assert!(matches!(Writer::open(&out), Err(WriteError::NotOurs(_))));
        assert_eq!(
            fs::read_to_string(out.join("precious.txt")).unwrap(),
            "data"
        );
    }

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("dist");
        let first = Writer::open(&out).unwrap();
        assert!(matches!(Writer::open(&out), Err(WriteError::Locked(_))));
        drop(first);
        assert!(Writer::open(&out).is_ok());
    }

    #[test]
    fn unsafe_paths_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let w = Writer::open(&d.path().join("dist")).unwrap();
        for bad in ["../x", "/etc/passwd", "a//b", "a/./b", ""] {
            assert!(
                matches!(w.put(bad, b"x"), Err(WriteError::UnsafePath(_))),
                "{bad}"
            );
        }
    }
}
