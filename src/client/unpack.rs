//! Unpacks a verified artifact (`.tar.gz` or `.zip`) into an empty folder,
//! safely: every entry path must be relative and stay inside (no absolute
//! paths, no `..`), only regular files and folders are written (symbolic and
//! hard links, devices and FIFOs are refused), no entry is written twice,
//! and the number of files and the bytes actually written are capped, so an
//! archive bomb stops at the cap whatever its headers claim.

use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// Caps against archive bombs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most bytes written, all files together.
    pub max_bytes: u64,
    /// Most entries (files and folders).
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 512 * 1024 * 1024,
            max_entries: 20_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("the artifact is neither a .tar.gz nor a .zip archive")]
    UnknownFormat,
    #[error("the archive is damaged: {0}")]
    Damaged(String),
    #[error("the archive entry `{0}` has an absolute path or leaves the plugin's folder")]
    UnsafePath(String),
    #[error("the archive entry `{entry}` is a {kind}; only files and folders are allowed")]
    NotAFile { entry: String, kind: &'static str },
    #[error("the archive holds `{0}` twice")]
    Duplicate(String),
    #[error("the archive unpacks to more than {0} bytes (an archive bomb?)")]
    TooLarge(u64),
    #[error("the archive holds more than {0} entries (an archive bomb?)")]
    TooManyEntries(u64),
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// What was unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unpacked {
    pub files: u64,
    pub bytes: u64,
}

/// Unpacks `bytes` into `dest` (an empty folder), recognising the format by
/// its first bytes.
pub fn unpack(bytes: &[u8], dest: &Path, limits: Limits) -> Result<Unpacked, UnpackError> {
    let mut out = Writer {
        dest,
        limits,
        done: Unpacked::default(),
        entries: 0,
    };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        unpack_tar_gz(bytes, &mut out)?;
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        unpack_zip(bytes, &mut out)?;
    } else {
        return Err(UnpackError::UnknownFormat);
    }
    Ok(out.done)
}

fn damaged(e: impl ToString) -> UnpackError {
    UnpackError::Damaged(e.to_string())
}

fn unpack_tar_gz(bytes: &[u8], out: &mut Writer<'_>) -> Result<(), UnpackError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    for entry in archive.entries().map_err(damaged)? {
        let entry = entry.map_err(damaged)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        use tar::EntryType as T;
        let kind = match entry.header().entry_type() {
            T::Regular | T::Continuous => Kind::File {
                executable: entry.header().mode().is_ok_and(|m| m & 0o111 != 0),
            },
            T::Directory => Kind::Dir,
            // Extension headers the tar crate applies to the next entry.
            T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => continue,
            T::Symlink => return Err(not_a_file(name, "symbolic link")),
            T::Link => return Err(not_a_file(name, "hard link")),
            _ => return Err(not_a_file(name, "device, FIFO or other special file")),
        };
        out.entry(&name, kind, entry)?;
    }
    Ok(())
}

fn unpack_zip(bytes: &[u8], out: &mut Writer<'_>) -> Result<(), UnpackError> {
    let mut archive = zip::ZipArchive::new(io::Cursor::new(bytes)).map_err(damaged)?;
    for i in 0..archive.len() {
        let file = archive.by_index(i).map_err(damaged)?;
        let name = file.name().map_err(damaged)?.into_owned();
        let kind = if file.is_symlink() {
            return Err(not_a_file(name, "symbolic link"));
        } else if file.is_dir() {
            Kind::Dir
        } else {
            Kind::File {
                executable: file.unix_mode().is_some_and(|m| m & 0o111 != 0),
            }
        };
        out.entry(&name, kind, file)?;
    }
    Ok(())
}

fn not_a_file(entry: String, kind: &'static str) -> UnpackError {
    UnpackError::NotAFile { entry, kind }
}

enum Kind {
    File { executable: bool },
    Dir,
}

struct Writer<'a> {
    dest: &'a Path,
    limits: Limits,
    done: Unpacked,
    entries: u64,
}

/// The entry's path inside the destination: relative, plain components only.
fn safe_relative(name: &str) -> Option<PathBuf> {
    if name.contains('\\') || name.contains('\0') {
        return None;
    }
    let mut rel = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(part) => rel.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!rel.as_os_str().is_empty()).then_some(rel)
}

impl Writer<'_> {
    fn entry(&mut self, name: &str, kind: Kind, mut data: impl Read) -> Result<(), UnpackError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(UnpackError::TooManyEntries(self.limits.max_entries));
        }
        let Some(rel) = safe_relative(name) else {
            if matches!(kind, Kind::Dir) && name.trim_matches('/').trim_matches('.').is_empty() {
                return Ok(()); // `./` itself
            }
            return Err(UnpackError::UnsafePath(name.to_owned()));
        };
        let path = self.dest.join(&rel);
        let write_err = |source| UnpackError::Write {
            path: path.clone(),
            source,
        };
        let executable = match kind {
            Kind::Dir => return fs::create_dir_all(&path).map_err(write_err),
            Kind::File { executable } => executable,
        };
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(write_err)?;
        }
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => UnpackError::Duplicate(name.to_owned()),
                _ => write_err(e),
            })?;
        let room = self.limits.max_bytes - self.done.bytes;
        let written =
            io::copy(&mut (&mut data).take(room + 1), &mut file).map_err(|e| match e.kind() {
                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => damaged(e),
                _ => write_err(e),
            })?;
        if written > room {
            return Err(UnpackError::TooLarge(self.limits.max_bytes));
        }
        self.done.bytes += written;
        self.done.files += 1;
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).map_err(write_err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A `.tar.gz` built entry by entry with raw headers, so that hostile
    /// names and types the `tar` builder would refuse can be written.
    fn tar_gz(entries: &[(&str, tar::EntryType, &[u8], &str)]) -> Vec<u8> {
        let mut tar = Vec::new();
        for (name, kind, data, link) in entries {
            let mut h = tar::Header::new_old();
            h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            if !link.is_empty() {
                h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
            }
            h.set_cksum();
            tar.extend_from_slice(h.as_bytes());
            tar.extend_from_slice(data);
            tar.resize(tar.len().div_ceil(512) * 512, 0);
        }
        tar.extend_from_slice(&[0; 1024]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    fn zip(entries: &[(&str, &[u8])], symlink: Option<(&str, &str)>) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        if let Some((name, target)) = symlink {
            w.add_symlink(name, target, opts).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    const F: tar::EntryType = tar::EntryType::Regular;

    fn run(bytes: &[u8], limits: Limits) -> (tempfile::TempDir, Result<Unpacked, UnpackError>) {
        let dir = tempfile::tempdir().unwrap();
        let r = unpack(bytes, &dir.path().join("x"), limits);
        (dir, r)
    }

    #[test]
    fn unpacks_tar_gz_and_zip() {
        let t = tar_gz(&[
            ("./", tar::EntryType::Directory, b"", ""),
            ("bin/tool", F, b"#!/bin/sh\n", ""),
            ("README.md", F, b"hi", ""),
        ]);
        let (dir, r) = run(&t, Limits::default());
        assert_eq!(
            r.unwrap(),
            Unpacked {
                files: 2,
                bytes: 12
            }
        );
        assert_eq!(fs::read(dir.path().join("x/README.md")).unwrap(), b"hi");
        let z = zip(&[("a/b.txt", b"zip!")], None);
        let (dir, r) = run(&z, Limits::default());
        assert_eq!(r.unwrap().files, 1);
        assert_eq!(fs::read(dir.path().join("x/a/b.txt")).unwrap(), b"zip!");
    }

    #[test]
    fn zip_slip_and_absolute_paths_are_refused() {
        for name in ["../evil", "a/../../evil", "/etc/evil"] {
            let (dir, r) = run(&tar_gz(&[(name, F, b"x", "")]), Limits::default());
            assert!(
                matches!(r, Err(UnpackError::UnsafePath(ref n)) if n == name),
                "{name}: {r:?}"
            );
            assert!(!dir.path().join("evil").exists());
        }
        let (dir, r) = run(&zip(&[("../evil", b"x")], None), Limits::default());
        assert!(matches!(r, Err(UnpackError::UnsafePath(_))), "{r:?}");
        assert!(!dir.path().join("evil").exists());
    }

    #[test]
    fn links_are_refused() {
        let sym = tar_gz(&[("link", tar::EntryType::Symlink, b"", "/etc/passwd")]);
        let (_d, r) = run(&sym, Limits::default());
        assert!(
            matches!(
                r,
                Err(UnpackError::NotAFile {
                    kind: "symbolic link",
                    ..
                })
            ),
            "{r:?}"
        );
        let hard = tar_gz(&[("link", tar::EntryType::Link, b"", "../../outside")]);
        let (_d, r) = run(&hard, Limits::default());
        assert!(
            matches!(
                r,
                Err(UnpackError::NotAFile {
                    kind: "hard link",
                    ..
                })
            ),
            "{r:?}"
        );
        let (_d, r) = run(&zip(&[], Some(("link", "../../etc"))), Limits::default());
        assert!(matches!(r, Err(UnpackError::NotAFile { .. })), "{r:?}");
    }

    #[test]
    fn archive_bombs_stop_at_the_caps() {
        // 10 MB of zeros compresses to a few KB.
        let zeros = vec![0u8; 10_000_000];
        let bomb = tar_gz(&[("zeros", F, &zeros, "")]);
        assert!(bomb.len() < 100_000);
        let small = Limits {
            max_bytes: 1_000_000,
            max_entries: 10,
        };
        let (_d, r) = run(&bomb, small);
        assert!(matches!(r, Err(UnpackError::TooLarge(1_000_000))), "{r:?}");
        let (_d, r) = run(&zip(&[("zeros", &zeros)], None), small);
        assert!(matches!(r, Err(UnpackError::TooLarge(_))), "{r:?}");
        let many: Vec<(String, &[u8])> = (0..11).map(|i| (format!("f{i}"), &b""[..])).collect();
        let many: Vec<(&str, &[u8])> = many.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        let (_d, r) = run(&zip(&many, None), small);
        assert!(matches!(r, Err(UnpackError::TooManyEntries(10))), "{r:?}");
    }

    #[test]
    fn duplicates_and_garbage_are_refused() {
        let dup = tar_gz(&[("a", F, b"1", ""), ("a", F, b"2", "")]);
        let (_d, r) = run(&dup, Limits::default());
        assert!(matches!(r, Err(UnpackError::Duplicate(_))), "{r:?}");
        let (_d, r) = run(b"not an archive", Limits::default());
        assert!(matches!(r, Err(UnpackError::UnknownFormat)));
        let mut truncated = tar_gz(&[("a", F, &[7u8; 5000], "")]);
        truncated.truncate(truncated.len() / 2);
        let (_d, r) = run(&truncated, Limits::default());
        assert!(matches!(r, Err(UnpackError::Damaged(_))), "{r:?}");
    }
}
