//! The plugins folder, changed as one transaction. Every artifact is
//! unpacked into a staging folder inside the plugins folder (the same file
//! system) before anything installed is touched; then each plugin folder is
//! swapped in with `rename`, and the lock file is replaced last, also by
//! `rename`. A failure before the swap leaves everything as it was; a
//! failure during it puts back what was moved. The previous versions are
//! deleted only after the new lock file is in place.
//!
//! Layout: `DIR/{name}/` per plugin; `DIR.lock` (the lock file) and
//! `DIR.state.json` (pinned keys, last timestamp) beside `DIR`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::client::ClientError;
use crate::client::lock::Lock;
use crate::client::state::State;
use crate::client::unpack::{self, Limits};
use crate::trust::verify::VerifiedArtifact;

/// Prefix of staging folders inside the plugins folder.
const STAGING: &str = ".plugdex-staging-";

/// Where a plugins folder keeps things.
#[derive(Debug, Clone)]
pub struct Paths {
    pub dir: PathBuf,
    pub lock: PathBuf,
    pub state: PathBuf,
    /// Locked while a command changes the folder (`.DIR.plugdex-lock`).
    pub guard: PathBuf,
}

/// An exclusive lock on a plugins folder, released when dropped.
#[derive(Debug)]
pub struct FolderLock(#[allow(dead_code)] fs::File);

fn io_err(path: &Path) -> impl Fn(io::Error) -> ClientError + '_ {
    move |source| ClientError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Paths {
    pub fn new(dir: &Path) -> Result<Paths, ClientError> {
        let name = dir
            .file_name()
            .filter(|n| *n != "..")
            .ok_or_else(|| ClientError::BadDir {
                path: dir.to_owned(),
            })?
            .to_string_lossy()
            .into_owned();
        Ok(Paths {
            dir: dir.to_owned(),
            lock: dir.with_file_name(format!("{name}.lock")),
            state: dir.with_file_name(format!("{name}.state.json")),
            guard: dir.with_file_name(format!(".{name}.plugdex-lock")),
        })
    }

    /// Takes the folder's lock, or says which other run holds it.
    pub fn lock_folder(&self) -> Result<FolderLock, ClientError> {
        if let Some(parent) = self.guard.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.guard)
            .map_err(io_err(&self.guard))?;
        match file.try_lock() {
            Ok(()) => Ok(FolderLock(file)),
            Err(fs::TryLockError::WouldBlock) => Err(ClientError::Busy {
                path: self.dir.clone(),
            }),
            Err(fs::TryLockError::Error(e)) => Err(io_err(&self.guard)(e)),
        }
    }

    /// The lock file; none yet is an empty lock.
    pub fn read_lock(&self) -> Result<Lock, ClientError> {
        read_parsed(&self.lock, Lock::parse, |path, source| ClientError::Lock {
            path,
            source,
        })
    }

    /// The state file; none yet is an empty state.
    pub fn read_state(&self) -> Result<State, ClientError> {
        read_parsed(&self.state, State::parse, |path, source| {
            ClientError::State { path, source }
        })
    }

    pub fn write_state(&self, state: &State) -> Result<(), ClientError> {
        write_atomic(&self.state, state.to_text().as_bytes())
    }
}

/// Reads and parses a file of ours; a missing file is the default value.
fn read_parsed<T: Default, E>(
    path: &Path,
    parse: fn(&str) -> Result<T, E>,
    error: fn(PathBuf, E) -> ClientError,
) -> Result<T, ClientError> {
    match fs::read_to_string(path) {
        Ok(text) => parse(&text).map_err(|e| error(path.to_owned(), e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Writes `path` through a temporary file beside it and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ClientError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err(path)(e)
    })
}

/// A staging folder, deleted with everything in it when dropped.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Installs `artifacts` (by plugin name), removes `remove`, and writes
/// `lock`, all or nothing. The caller holds the folder's lock (`_held`).
pub fn commit(
    paths: &Paths,
    _held: &FolderLock,
    artifacts: Vec<(String, VerifiedArtifact)>,
    remove: &[String],
    lock: &Lock,
    limits: Limits,
) -> Result<(), ClientError> {
    // Every name becomes a path under the plugins folder: checked here too,
    // whatever the caller read them from (the lock file, an index line).
    let names = artifacts.iter().map(|(n, _)| n).chain(remove);
    for name in names.chain(lock.plugins.iter().map(|p| &p.name)) {
        crate::client::lock::check_name(name).map_err(|why| ClientError::UnsafeName {
            name: crate::untrusted::shown_name(name),
            dir: paths.dir.clone(),
            why,
        })?;
    }
    fs::create_dir_all(&paths.dir).map_err(io_err(&paths.dir))?;
    // Staging folders of runs that were killed: no run holds them (we hold the lock).
    for entry in fs::read_dir(&paths.dir)
        .map_err(io_err(&paths.dir))?
        .flatten()
    {
        if is_internal(&entry.file_name().to_string_lossy()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let staging = Staging(
        paths
            .dir
            .join(format!("{STAGING}{}-{nanos}", std::process::id())),
    );
    let (new, old) = (staging.0.join("new"), staging.0.join("old"));
    for d in [&new, &old] {
        fs::create_dir_all(d).map_err(io_err(d))?;
    }
    // 1. Unpack everything; nothing installed is touched yet.
    let mut incoming = Vec::new();
    for (name, artifact) in &artifacts {
        let target = new.join(name);
        fs::create_dir_all(&target).map_err(io_err(&target))?;
        unpack::unpack(&artifact.bytes, &target, limits).map_err(|source| {
            let (line, dl) = (artifact.release.line(), &artifact.release.artifact().dl);
            ClientError::Unpack {
                name: name.clone(),
                vers: line.vers.clone(),
                archive: crate::untrusted::shown_name(dl.rsplit('/').next().unwrap_or(dl)),
                source,
            }
        })?;
        incoming.push(name.clone());
    }
    // 2. Swap folders, remembering each move so it can be undone.
    let mut moves: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| {
        for name in incoming.iter().chain(remove) {
            let installed = paths.dir.join(name);
            if fs::symlink_metadata(&installed).is_ok() {
                let aside = old.join(name);
                fs::rename(&installed, &aside).map_err(io_err(&installed))?;
                moves.push((installed, aside));
            }
        }
        for name in &incoming {
            let (from, to) = (new.join(name), paths.dir.join(name));
            fs::rename(&from, &to).map_err(io_err(&to))?;
            moves.push((from, to));
        }
        // 3. The lock file last: once it is replaced, the change is made.
        write_atomic(&paths.lock, lock.to_text().as_bytes())
    })();
    if let Err(e) = result {
        for (from, to) in moves.iter().rev() {
            let _ = fs::rename(to, from);
        }
        return Err(e);
    }
    Ok(())
}

/// Whether a folder entry is plugdex's own (hidden staging folders).
pub fn is_internal(name: &str) -> bool {
    name.starts_with(STAGING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_and_state_live_beside_the_plugins_folder() {
        let p = Paths::new(Path::new("/home/u/app/plugins")).unwrap();
        assert_eq!(p.lock, Path::new("/home/u/app/plugins.lock"));
        assert_eq!(p.state, Path::new("/home/u/app/plugins.state.json"));
        assert!(Paths::new(Path::new("/")).is_err());
        assert!(Paths::new(Path::new("a/..")).is_err());
    }

    #[test]
    fn a_failed_unpack_leaves_the_folder_and_lock_as_they_were() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(&dir.path().join("plugins")).unwrap();
        fs::create_dir_all(paths.dir.join("md")).unwrap();
        fs::write(paths.dir.join("md/old.txt"), "old").unwrap();
        fs::write(&paths.lock, "v = 1\n").unwrap();
        // Removing `md` while the lock cannot be written (its folder is a
        // file) fails at the last step: the move of `md` is undone.
        fs::write(dir.path().join("blocker"), "").unwrap();
        let bad = Paths {
            lock: dir.path().join("blocker/x.lock"),
            ..paths.clone()
        };
        let held = paths.lock_folder().unwrap();
        assert!(matches!(paths.lock_folder(), Err(ClientError::Busy { .. })));
        fs::create_dir_all(paths.dir.join(".plugdex-staging-1-2/new")).unwrap();
        let err = commit(
            &bad,
            &held,
            Vec::new(),
            &["md".into()],
            &Lock::default(),
            Limits::default(),
        );
        assert!(err.is_err());
        assert_eq!(
            fs::read_to_string(paths.dir.join("md/old.txt")).unwrap(),
            "old"
        );
        assert_eq!(fs::read_to_string(&paths.lock).unwrap(), "v = 1\n");
        let left: Vec<_> = fs::read_dir(&paths.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            ["md"],
            "no staging folder left behind, ours or a killed run's"
        );
    }
}
