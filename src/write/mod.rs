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

mod inventory;

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::digest::{self, Sha256Digest};
use inventory::{Delta, Inventory};
use rayon::slice::ParallelSliceMut;

/// The longest output path the writer takes (Linux's `PATH_MAX`).
const MAX_PATH: usize = 4096;

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

/// The files and bytes of an output (host files such as `_headers`
/// included: hosts count them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutputSize {
    pub files: u64,
    pub bytes: u64,
    /// The largest file, in bytes.
    pub largest: u64,
}

impl OutputSize {
    /// Counts one more file of `bytes` bytes.
    pub fn add(&mut self, bytes: u64) {
        self.files += 1;
        self.bytes += bytes;
        self.largest = self.largest.max(bytes);
    }

    /// Counts the files of `other` too.
    pub fn add_all(&mut self, other: &OutputSize) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.largest = self.largest.max(other.largest);
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
    /// The key of the tree now served (see [`served_key`]).
    pub served: String,
    /// What the new output holds, counted as it was written: no walk.
    pub size: OutputSize,
}

/// The key of the tree served at `out`: it changes with every build that
/// changed something, and when the folder is replaced by anything else.
/// A cache of what a build wrote is valid only for this tree.
pub fn served_key(out: &Path) -> Option<String> {
    fs::symlink_metadata(out).ok().map(|m| tree_key(&m))
}

pub struct Writer {
    out: PathBuf,
    state: PathBuf,
    standby: PathBuf,
    /// What `out` holds; `None` when there is no previous output.
    live: Option<Inventory>,
    /// The name of `live`'s manifest file, which deltas are recorded against.
    live_key: Option<String>,
    /// What the standby tree held when the build started, as its difference
    /// from `live`; `None` when it held nothing known.
    standby_had: Option<Delta>,
    entries: Mutex<Vec<(String, Sha256Digest)>>,
    dirs: Mutex<HashSet<PathBuf>>,
    written: AtomicUsize,
    unchanged: AtomicUsize,
    /// Every file handed to the writer, by size.
    size: Mutex<OutputSize>,
    /// The content-addressed paths counted in `size`: two files with one
    /// content share their `by-hash/` copy, two releases their artifact.
    hashed: Mutex<HashSet<String>>,
    /// Whether the standby holds exactly what it held at the start plus
    /// every file handed over since: false after a failed write, and from
    /// the commit on. A build that stops before its commit (an index with
    /// errors, a failed step) then records the standby for the next build.
    recordable: AtomicBool,
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

        let (live, live_key) = match fs::symlink_metadata(out) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => (None, None),
            Err(e) => return Err(io_err(out)(e)),
            Ok(m) if !m.is_dir() => return Err(WriteError::NotOurs(out.to_owned())),
            Ok(m) => {
                let key = tree_key(&m);
                match Inventory::read(&state.join(format!("manifest-{key}"))) {
                    Some(manifest) => (Some(manifest), Some(key)),
                    // An empty folder is as good as none; anything else may be
                    // someone's data and is never replaced.
                    None if is_empty_dir(out) => (Some(Inventory::default()), None),
                    None => return Err(WriteError::NotOurs(out.to_owned())),
                }
            }
        };

        let standby_had = match fs::symlink_metadata(&standby) {
            Ok(m) if m.is_dir() => {
                let key = tree_key(&m);
                let (delta_path, full_path) = (
                    state.join(format!("delta-{key}")),
                    state.join(format!("manifest-{key}")),
                );
                let empty = Inventory::default();
                let served = live.as_ref().unwrap_or(&empty);
                let known = live_key
                    .as_deref()
                    .and_then(|k| Delta::read(&delta_path, k))
                    .or_else(|| {
                        Inventory::read(&full_path).map(|had| Delta::between(served, &had))
                    });
                // From here on the standby is being changed: forget what it
                // held, so a build killed midway never trusts it.
                for p in [&delta_path, &full_path] {
                    match fs::remove_file(p) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(p)(e)),
                        _ => {}
                    }
                }
                if known.is_none() {
                    // Left by a killed build: its content is unknown.
                    fs::remove_dir_all(&standby).map_err(io_err(&standby))?;
                }
                known
            }
            Ok(_) => {
                fs::remove_file(&standby).map_err(io_err(&standby))?;
                None
            }
            Err(_) => None,
        };
        fs::create_dir_all(&standby).map_err(io_err(&standby))?;

        Ok(Writer {
            out: out.to_owned(),
            state,
            standby,
            live,
            live_key,
            standby_had,
            entries: Mutex::new(Vec::new()),
            dirs: Mutex::new(HashSet::new()),
            written: AtomicUsize::new(0),
            unchanged: AtomicUsize::new(0),
            size: Mutex::new(OutputSize::default()),
            hashed: Mutex::new(HashSet::new()),
            recordable: AtomicBool::new(true),
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
        match self.standby_had.as_ref()?.get(path) {
            Some(differs) => differs,
            None => self.live.as_ref()?.get(path),
        }
    }

    /// Files the previous output held, for progress estimates.
    pub fn previous_len(&self) -> usize {
        self.live.as_ref().map_or(0, Inventory::len)
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
        if !is_safe_relative(path) || path.len() > MAX_PATH {
            return Err(WriteError::UnsafePath(path.to_owned()));
        }
        self.entries
            .lock()
            .expect("no panics while held")
            .push((path.to_owned(), digest));
        self.count(path, bytes.len() as u64);
        let in_live = self.live.as_ref().and_then(|m| m.get(path)) == Some(&digest);
        if in_live && self.standby_digest(path) == Some(&digest) {
            // Already the same inode as the served file (see the invariant).
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let target = self.standby.join(path);
        self.ensure_parent(&target)
            .inspect_err(|_| self.unrecordable())?;
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
        .inspect_err(|_| self.unrecordable())
        .map_err(io_err(&target))?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The standby's content is no longer known file by file.
    fn unrecordable(&self) {
        self.recordable.store(false, Ordering::Relaxed);
    }

    /// Adds one file of the new output to its size, once per path.
    fn count(&self, path: &str, bytes: u64) {
        if is_content_addressed(path) && !self.first_of(path) {
            return;
        }
        self.size.lock().expect("no panics while held").add(bytes);
    }

    /// Whether the content-addressed `path` is not counted yet (and now is).
    fn first_of(&self, path: &str) -> bool {
        self.hashed
            .lock()
            .expect("no panics while held")
            .insert(path.to_owned())
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

    /// Carries files of the previous output over without their bytes. The
    /// caller knows the served tree holds each with this digest: it recorded
    /// them when it wrote that tree, whose [`served_key`] it checked, and
    /// their `size`. Their content-addressed paths are marked counted; an
    /// artifact two carried plugins share is counted in both sizes (a
    /// warning's figure, not the output's content).
    pub fn carry(
        &self,
        files: Vec<(String, Sha256Digest)>,
        size: &OutputSize,
    ) -> Result<(), WriteError> {
        for (path, digest) in &files {
            if !is_safe_relative(path) || path.len() > MAX_PATH {
                return Err(WriteError::UnsafePath(path.clone()));
            }
            if is_content_addressed(path) {
                self.first_of(path);
            }
            // The standby holds the served file unless its delta says otherwise.
            let standby_has = match &self.standby_had {
                Some(had) => had.get(path).is_none_or(|d| d == Some(digest)),
                None => false,
            };
            if !standby_has {
                let target = self.standby.join(path);
                self.ensure_parent(&target)
                    .inspect_err(|_| self.unrecordable())?;
                self.replace(&target, |t| fs::hard_link(self.out.join(path), t))
                    .inspect_err(|_| self.unrecordable())
                    .map_err(io_err(&target))?;
            }
        }
        self.unchanged.fetch_add(files.len(), Ordering::Relaxed);
        self.size
            .lock()
            .expect("no panics while held")
            .add_all(size);
        self.entries
            .lock()
            .expect("no panics while held")
            .extend(files);
        Ok(())
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
            let Ok(meta) = fs::metadata(self.out.join(path)) else {
                return Ok(false);
            };
            self.entries
                .lock()
                .expect("no panics while held")
                .push((path.to_owned(), digest));
            self.count(path, meta.len());
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
        // From here the standby is changed beyond what its entries say.
        self.unrecordable();
        let entries = std::mem::take(&mut *self.entries.lock().expect("no panics while held"));
        let new = Inventory::from_unsorted(entries);
        let empty = Inventory::default();
        let live = self.live.as_ref().unwrap_or(&empty);
        let (mut changed, removed) = compare(live, &new);

        // The standby holds what the new output has, plus whatever of the
        // served tree and of its own that the new output lacks: remove that.
        let mut stale: Vec<&str> = Vec::new();
        if let Some(had) = &self.standby_had {
            let held = |p: &str| had.get(p).is_none_or(|d| d.is_some());
            stale.extend(removed.iter().copied().filter(|p| held(p)));
            stale.extend(
                had.differs
                    .iter()
                    .filter(|(p, d)| d.is_some() && !new.contains(p) && !live.contains(p))
                    .map(|(p, _)| p.as_str()),
            );
        }
        stale.sort_unstable_by(|a, b| b.cmp(a));
        for path in stale {
            let target = self.standby.join(path);
            match fs::remove_file(&target) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(&target)(e)),
                _ => prune_empty_parents(&self.standby, &target),
            }
        }

        let removed_count = removed.len();
        changed.extend(removed);
        changed.sort_unstable();

        let standby_key =
            tree_key(&fs::symlink_metadata(&self.standby).map_err(io_err(&self.standby))?);
        let out_meta = fs::symlink_metadata(&self.out).ok();
        match (&self.live_key, &out_meta) {
            (Some(live_key), Some(_)) if changed.is_empty() => {
                // Nothing to show: the served tree already is the new output,
                // and the standby now holds the same.
                Delta::default()
                    .write(&self.state.join(format!("delta-{standby_key}")), live_key)?;
            }
            (_, Some(out_meta)) if self.live.is_some() => {
                new.write(&self.state.join(format!("manifest-{standby_key}")))?;
                // The served tree becomes the standby; it differs from the
                // new output by exactly this build's changes.
                let old = Delta {
                    differs: changed
                        .iter()
                        .map(|p| ((*p).to_owned(), live.get(p).copied()))
                        .collect(),
                };
                old.write(
                    &self.state.join(format!("delta-{}", tree_key(out_meta))),
                    &standby_key,
                )?;
                exchange(&self.standby, &self.out)?;
            }
            _ => {
                new.write(&self.state.join(format!("manifest-{standby_key}")))?;
                fs::rename(&self.standby, &self.out).map_err(io_err(&self.out))?;
            }
        }
        self.forget_stale_records();
        let served = served_key(&self.out).unwrap_or_default();
        let changed = changed.into_iter().map(str::to_owned).collect();
        crate::free::in_background(new);
        Ok(Summary {
            written: self.written.load(Ordering::Relaxed),
            unchanged: self.unchanged.load(Ordering::Relaxed),
            changed,
            removed: removed_count,
            served,
            size: *self.size.lock().expect("no panics while held"),
        })
    }

    /// Removes records of trees that no longer exist, and the full manifest
    /// of the standby, which its delta replaces.
    fn forget_stale_records(&self) {
        let key = |p: &Path| fs::symlink_metadata(p).ok().map(|m| tree_key(&m));
        let keep = [
            key(&self.out).map(|k| format!("manifest-{k}")),
            key(&self.standby).map(|k| format!("delta-{k}")),
        ];
        let Ok(entries) = fs::read_dir(&self.state) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_record = name.starts_with("manifest-") || name.starts_with("delta-");
            if is_record && !keep.iter().flatten().any(|k| *k == name) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

impl Drop for Writer {
    /// A build that stops before its commit leaves the standby changed:
    /// recording what it now holds lets the next build reuse it, where an
    /// unknown standby would be deleted and made again, file by file.
    fn drop(&mut self) {
        if self.recordable.load(Ordering::Relaxed) {
            // Without the record the next build starts the standby afresh.
            let _ = self.record_standby();
        }
    }
}

impl Writer {
    /// Records the standby as it is now: what it held when the build
    /// started, with every file handed over since in place.
    fn record_standby(&mut self) -> Result<(), WriteError> {
        let mut put = std::mem::take(self.entries.get_mut().expect("no panics while held"));
        put.par_sort_unstable();
        // A path handed over twice with two contents (two folders of one
        // name, in an index with errors) holds whichever came last: remove
        // it rather than guess.
        let mut conflicting = HashSet::new();
        put.dedup_by(|later, kept| {
            let same_path = later.0 == kept.0;
            if same_path && later.1 != kept.1 {
                conflicting.insert(kept.0.clone());
            }
            same_path
        });
        for path in &conflicting {
            let target = self.standby.join(path);
            match fs::remove_file(&target) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err(&target)(e)),
                _ => {}
            }
        }
        put.retain(|(p, _)| !conflicting.contains(p));
        let put = Inventory::Owned(put);
        let empty = Inventory::default();
        let live = self.live.as_ref().unwrap_or(&empty);
        let had = match &self.standby_had {
            Some(delta) => delta.apply(live),
            // It was emptied when the build started.
            None => Inventory::default(),
        };
        let now = had.overlaid(&put).without(&conflicting);
        let key = tree_key(&fs::symlink_metadata(&self.standby).map_err(io_err(&self.standby))?);
        match &self.live_key {
            Some(live_key) => {
                Delta::between(live, &now).write(&self.state.join(format!("delta-{key}")), live_key)
            }
            None => now.write(&self.state.join(format!("manifest-{key}"))),
        }
    }
}

/// Paths of `new` that are added or changed since `old`, and paths of `old`
/// that `new` lacks: one merge of the two sorted manifests.
fn compare<'a>(old: &'a Inventory, new: &'a Inventory) -> (Vec<&'a str>, Vec<&'a str>) {
    let (mut changed, mut removed) = (Vec::new(), Vec::new());
    let mut old = old.entries().peekable();
    for (path, digest) in new.entries() {
        while let Some((p, _)) = old.next_if(|(p, _)| *p < path) {
            removed.push(p);
        }
        match old.next_if(|(p, _)| *p == path) {
            Some((_, d)) if d == digest => {}
            _ => changed.push(path),
        }
    }
    removed.extend(old.map(|(p, _)| p));
    (changed, removed)
}

/// Paths named by their content's digest: equal content, one file.
fn is_content_addressed(path: &str) -> bool {
    path.starts_with(crate::trust::metadata::BY_HASH_DIR)
        || path.starts_with(crate::format::published::ARTIFACTS_DIR)
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

/// A tree's records are keyed by its identity: device, inode and birth
/// time, which survive renames (and so the exchange) but not a delete and
/// recreate.
fn tree_key(meta: &fs::Metadata) -> String {
    let born = meta
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{:x}-{born:x}", meta.dev(), meta.ino())
}

/// The temporary file beside `target` that replaces it; `tag` tells apart
/// writers that may replace one name at the same time.
fn tmp_path(target: &Path, tag: &str) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_owned();
    name.push(format!(".plugdex-tmp{tag}"));
    target.with_file_name(name)
}

/// Writes `bytes` to `path` through a temporary file and a rename: a reader,
/// or a build killed midway, sees the old file or the new one.
pub(crate) fn replace_file(path: &Path, bytes: &[u8], tag: &str) -> io::Result<()> {
    let tmp = tmp_path(path, tag);
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
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

    /// Every file under `root`, by relative path.
    fn tree(root: &Path) -> std::collections::BTreeMap<String, String> {
        walkdir::WalkDir::new(root)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(root).unwrap();
                (
                    rel.to_string_lossy().into_owned(),
                    fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn many_builds_of_changing_content_serve_exactly_each_one() {
        // A small deterministic generator: each round keeps, changes, drops
        // and adds files, so the standby's recorded difference is exercised
        // in every combination, including content that returns.
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("dist");
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for round in 0..40 {
            let mut files = std::collections::BTreeMap::new();
            for i in 0..24 {
                if next() % 4 != 0 {
                    let dir = ["a", "b/c", "b/d/e"][i % 3];
                    files.insert(format!("{dir}/f{i}.json"), format!("v{}", next() % 3));
                }
            }
            let w = Writer::open(&out).unwrap();
            for (p, c) in &files {
                w.put(p, c.as_bytes()).unwrap();
            }
            w.commit().unwrap();
            assert_eq!(tree(&out), files, "round {round}");
        }
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
