//! Unpacks a verified artifact (`.tar.gz` or `.zip`) into an empty folder,
//! safely, with one policy for both formats (docs/security.md, "Client"):
//! every entry path must be relative and stay inside (no absolute paths, no
//! `..`, no part longer than 255 bytes, at most 1024 bytes in all); only
//! regular files and folders are written (symbolic and hard links, devices,
//! FIFOs, sockets and sparse files are refused); a name is written once
//! (duplicates, and a name held both as a file and as a folder, are refused);
//! only the executable bit of a mode is kept (setuid, setgid and sticky bits
//! never reach the disk). The number of entries and the bytes read — file
//! data and tar extension headers (GNU long names, PAX) together — are
//! capped, so an archive bomb stops at the cap whatever its headers claim;
//! an extension header is refused by its declared size before it is read.
//! Entry names in errors are escaped (`untrusted::shown_name`).

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use crate::untrusted::shown_name;

/// Caps against archive bombs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most bytes written, all files together (tar extension headers count too).
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

/// Most bytes of one tar extension header (GNU long name or link, PAX): far
/// more than any real path or set of PAX records needs.
pub const MAX_EXTENSION_HEADER: u64 = 64 * 1024;
/// Most bytes of one entry's path, and of one part of it.
pub const MAX_PATH: usize = 1024;
pub const MAX_PATH_PART: usize = 255;

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("the artifact is neither a .tar.gz nor a .zip archive")]
    UnknownFormat,
    #[error("the archive is damaged: {0}")]
    Damaged(String),
    #[error("the archive entry `{0}` has an absolute path or leaves the plugin's folder")]
    UnsafePath(String),
    #[error(
        "the archive entry `{0}` has a name longer than {MAX_PATH} bytes, or a part of it longer than {MAX_PATH_PART}"
    )]
    NameTooLong(String),
    #[error("the archive entry `{entry}` is a {kind}; only files and folders are allowed")]
    NotAFile { entry: String, kind: &'static str },
    #[error("the archive holds `{0}` twice")]
    Duplicate(String),
    #[error("the zip archive's directory lists a name twice")]
    DuplicateInZipDirectory,
    #[error("the archive holds `{path}` both as a file and as a folder (entry `{entry}`)")]
    FileAndFolder { path: String, entry: String },
    #[error(
        "the archive has a {kind} header of {declared} bytes; at most {MAX_EXTENSION_HEADER} are allowed (an archive bomb?)"
    )]
    HeaderTooLarge { kind: &'static str, declared: u64 },
    #[error("the archive unpacks to more than {0} bytes (an archive bomb?)")]
    TooLarge(u64),
    #[error("the archive holds more than {0} entries (an archive bomb?)")]
    TooManyEntries(u64),
    #[error("cannot write the archive entry `{entry}`: {source}")]
    Write {
        entry: String,
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
        header_bytes: 0,
        entries: 0,
        seen: HashMap::new(),
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
    UnpackError::Damaged(crate::untrusted::shown(&e.to_string()))
}

/// Extension headers read so far, applied to the next entry.
#[derive(Default)]
struct Extensions {
    long_name: Option<Vec<u8>>,
    long_link: bool,
    pax: Option<Vec<u8>>,
}

impl Extensions {
    fn is_empty(&self) -> bool {
        self.long_name.is_none() && !self.long_link && self.pax.is_none()
    }

    /// The entry's path: the GNU long name, else the PAX `path`, else the
    /// header's (the order the tar crate and GNU tar use).
    fn path(&self, header: &[u8]) -> Vec<u8> {
        if let Some(long) = &self.long_name {
            let end = long.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
            return long[..end].to_vec();
        }
        self.pax_value("path").unwrap_or_else(|| header.to_vec())
    }

    fn pax_value(&self, key: &str) -> Option<Vec<u8>> {
        let pax = self.pax.as_deref()?;
        tar::PaxExtensions::new(pax)
            .flatten()
            .filter(|e| e.key_bytes() == key.as_bytes())
            .last()
            .map(|e| e.value_bytes().to_vec())
    }
}

/// Reads tar entries raw, so that extension headers are capped by their
/// declared size before any of their data is read (the tar crate would read
/// them whole into memory), and applies them to the next entry itself.
fn unpack_tar_gz(bytes: &[u8], out: &mut Writer<'_>) -> Result<(), UnpackError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut ext = Extensions::default();
    for entry in archive.entries().map_err(damaged)?.raw(true) {
        let mut entry = entry.map_err(damaged)?;
        use tar::EntryType as T;
        let entry_type = entry.header().entry_type();
        let extension = match entry_type {
            T::GNULongName => Some("GNU long name"),
            T::GNULongLink => Some("GNU long link"),
            T::XHeader => Some("PAX"),
            T::XGlobalHeader => Some("PAX global"),
            _ => None,
        };
        if let Some(kind) = extension {
            let declared = entry.size();
            if declared > MAX_EXTENSION_HEADER {
                return Err(UnpackError::HeaderTooLarge { kind, declared });
            }
            out.charge_header(declared)?;
            let mut data = Vec::with_capacity(declared as usize);
            (&mut entry)
                .take(declared)
                .read_to_end(&mut data)
                .map_err(damaged)?;
            let twice = match entry_type {
                T::GNULongName => ext.long_name.replace(data).is_some(),
                T::GNULongLink => std::mem::replace(&mut ext.long_link, true),
                T::XHeader => ext.pax.replace(data).is_some(),
                _ => false, // global PAX records describe no entry's path or size
            };
            if twice {
                return Err(damaged(format!("two {kind} headers for one entry")));
            }
            continue;
        }
        let name = String::from_utf8_lossy(&ext.path(&entry.header().path_bytes())).into_owned();
        // Raw reading takes the size from the header: a PAX size that
        // disagrees would make readers see different archives.
        if let Some(size) = ext.pax_value("size")
            && String::from_utf8_lossy(&size).parse::<u64>().ok() != Some(entry.size())
        {
            return Err(damaged(format!(
                "the PAX size of `{}` differs from its header's",
                shown_name(&name)
            )));
        }
        ext = Extensions::default();
        let kind = match entry_type {
            T::Regular | T::Continuous => Kind::File {
                executable: entry.header().mode().is_ok_and(|m| m & 0o111 != 0),
            },
            T::Directory => Kind::Dir,
            T::Symlink => return Err(not_a_file(&name, "symbolic link")),
            T::Link => return Err(not_a_file(&name, "hard link")),
            _ => return Err(not_a_file(&name, SPECIAL)),
        };
        out.entry(&name, kind, entry)?;
    }
    if !ext.is_empty() {
        return Err(damaged("an extension header at the end describes no entry"));
    }
    Ok(())
}

const SPECIAL: &str = "device, FIFO, socket or other special file";

fn unpack_zip(bytes: &[u8], out: &mut Writer<'_>) -> Result<(), UnpackError> {
    let mut archive = zip::ZipArchive::new(io::Cursor::new(bytes)).map_err(damaged)?;
    // The zip crate keeps the last of two entries with one name: refuse, like tar.
    if archive.has_duplicate_names() {
        return Err(UnpackError::DuplicateInZipDirectory);
    }
    for i in 0..archive.len() {
        let file = archive.by_index(i).map_err(damaged)?;
        let name = file.name().map_err(damaged)?.into_owned();
        // The file type bits of a Unix mode, when the archive has one.
        let file_type = file.unix_mode().map(|m| m & 0o170_000).filter(|t| *t != 0);
        let kind = match file_type {
            _ if file.is_symlink() => return Err(not_a_file(&name, "symbolic link")),
            Some(0o120_000) => return Err(not_a_file(&name, "symbolic link")),
            Some(0o040_000) => Kind::Dir,
            Some(0o100_000) | None if file.is_dir() => Kind::Dir,
            Some(0o100_000) | None => Kind::File {
                executable: file.unix_mode().is_some_and(|m| m & 0o111 != 0),
            },
            Some(_) => return Err(not_a_file(&name, SPECIAL)),
        };
        out.entry(&name, kind, file)?;
    }
    Ok(())
}

fn not_a_file(entry: &str, kind: &'static str) -> UnpackError {
    UnpackError::NotAFile {
        entry: shown_name(entry),
        kind,
    }
}

enum Kind {
    File { executable: bool },
    Dir,
}

struct Writer<'a> {
    dest: &'a Path,
    limits: Limits,
    done: Unpacked,
    /// Bytes of tar extension headers read, counted against `max_bytes`.
    header_bytes: u64,
    entries: u64,
    /// Every path written or implied so far: `true` for a folder.
    seen: HashMap<PathBuf, bool>,
}

/// The entry's path inside the destination: relative, plain components
/// only; `Ok(None)` for the archive's root folder itself (`./`).
fn safe_relative(name: &str, kind: &Kind) -> Result<Option<PathBuf>, UnpackError> {
    if name.len() > MAX_PATH {
        return Err(UnpackError::NameTooLong(shown_name(name)));
    }
    if name.contains('\\') || name.contains('\0') {
        return Err(UnpackError::UnsafePath(shown_name(name)));
    }
    let mut rel = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(part) if part.len() > MAX_PATH_PART => {
                return Err(UnpackError::NameTooLong(shown_name(name)));
            }
            Component::Normal(part) => rel.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(UnpackError::UnsafePath(shown_name(name)));
            }
        }
    }
    if rel.as_os_str().is_empty() {
        return match kind {
            Kind::Dir => Ok(None),
            Kind::File { .. } => Err(UnpackError::UnsafePath(shown_name(name))),
        };
    }
    Ok(Some(rel))
}

impl Writer<'_> {
    /// Room left in the byte budget.
    fn room(&self) -> u64 {
        self.limits.max_bytes - self.done.bytes - self.header_bytes
    }

    fn charge_header(&mut self, declared: u64) -> Result<(), UnpackError> {
        if declared > self.room() {
            return Err(UnpackError::TooLarge(self.limits.max_bytes));
        }
        self.header_bytes += declared;
        Ok(())
    }

    /// Records `rel` (and the folders it implies), refusing a name twice
    /// and a name used both as a file and as a folder.
    fn claim(&mut self, rel: &Path, is_dir: bool, name: &str) -> Result<(), UnpackError> {
        let conflict = |path: &Path| UnpackError::FileAndFolder {
            path: shown_name(&path.to_string_lossy()),
            entry: shown_name(name),
        };
        for parent in rel
            .ancestors()
            .skip(1)
            .filter(|p| !p.as_os_str().is_empty())
        {
            match self.seen.get(parent) {
                Some(false) => return Err(conflict(parent)),
                Some(true) => break, // its own parents were checked when it was recorded
                None => {
                    self.seen.insert(parent.to_owned(), true);
                }
            }
        }
        match (self.seen.get(rel), is_dir) {
            (None, _) => {
                self.seen.insert(rel.to_owned(), is_dir);
                Ok(())
            }
            (Some(true), true) => Ok(()), // a folder listed again
            (Some(false), false) => Err(UnpackError::Duplicate(shown_name(name))),
            (Some(_), _) => Err(conflict(rel)),
        }
    }

    fn entry(&mut self, name: &str, kind: Kind, mut data: impl Read) -> Result<(), UnpackError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(UnpackError::TooManyEntries(self.limits.max_entries));
        }
        let Some(rel) = safe_relative(name, &kind)? else {
            return Ok(()); // `./` itself
        };
        self.claim(&rel, matches!(kind, Kind::Dir), name)?;
        let path = self.dest.join(&rel);
        let write_err = |source| UnpackError::Write {
            entry: shown_name(name),
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
            .map_err(write_err)?;
        let room = self.room();
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
        set_executable(&path, executable).map_err(write_err)
    }
}

/// Only the executable bit is kept: no setuid, setgid or sticky bit.
#[cfg(unix)]
fn set_executable(path: &Path, executable: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// Elsewhere a file has no mode bits to keep: a new file is writable and,
/// on Windows, runs by its extension.
#[cfg(not(unix))]
fn set_executable(_path: &Path, _executable: bool) -> io::Result<()> {
    Ok(())
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

    const LONG: tar::EntryType = tar::EntryType::GNULongName;

    #[test]
    fn a_long_name_header_is_refused_by_its_declared_size_before_it_is_read() {
        // The header claims 200 MiB; only 1 MiB of it follows (the rest is
        // never read, so its absence must not matter).
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
        h.set_entry_type(LONG);
        h.set_size(200 * 1024 * 1024);
        h.set_cksum();
        let mut tar = h.as_bytes().to_vec();
        tar.resize(512 + 1024 * 1024, 0);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let (_d, r) = run(&gz.finish().unwrap(), Limits::default());
        let err = r.expect_err("refused");
        assert!(
            matches!(
                err,
                UnpackError::HeaderTooLarge {
                    kind: "GNU long name",
                    declared: 209_715_200
                }
            ),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.len() < 200 && !text.contains('\0'), "{text}");
    }

    #[test]
    fn long_names_and_pax_paths_under_the_cap_are_applied() {
        let deep = format!("{}/{}/tool", "a".repeat(120), "b".repeat(120));
        let long = format!("{deep}\0");
        let pax_path = format!("{}/pax.txt", "c".repeat(150));
        let record = format!("path={pax_path}\n");
        // A PAX record is `LEN key=value\n`, LEN counting itself.
        let len = record.len() + 4;
        let pax = format!("{len} {record}");
        assert_eq!(pax.len(), len);
        let t = tar_gz(&[
            ("././@LongLink", LONG, long.as_bytes(), ""),
            ("truncated", F, b"deep", ""),
            ("PaxHeaders/x", tar::EntryType::XHeader, pax.as_bytes(), ""),
            ("truncated2", F, b"pax", ""),
        ]);
        let (dir, r) = run(&t, Limits::default());
        assert_eq!(r.unwrap().files, 2);
        assert_eq!(fs::read(dir.path().join("x").join(&deep)).unwrap(), b"deep");
        assert_eq!(
            fs::read(dir.path().join("x").join(&pax_path)).unwrap(),
            b"pax"
        );
        // Extension headers count against the byte budget.
        let tight = Limits {
            max_bytes: 100,
            max_entries: 10,
        };
        let (_d, r) = run(&t, tight);
        assert!(matches!(r, Err(UnpackError::TooLarge(100))), "{r:?}");
        // A PAX size that disagrees with the header is refused.
        let lying = "15 size=999999\n";
        let t = tar_gz(&[
            (
                "PaxHeaders/x",
                tar::EntryType::XHeader,
                lying.as_bytes(),
                "",
            ),
            ("f", F, b"x", ""),
        ]);
        let (_d, r) = run(&t, Limits::default());
        assert!(
            matches!(r, Err(UnpackError::Damaged(ref w)) if w.contains("PAX size")),
            "{r:?}"
        );
    }

    #[test]
    fn over_long_names_are_refused_with_the_entry_not_an_os_error() {
        let part = format!("{}\0", "p".repeat(300));
        let t = tar_gz(&[
            ("././@LongLink", LONG, part.as_bytes(), ""),
            ("x", F, b"1", ""),
        ]);
        let (_d, r) = run(&t, Limits::default());
        assert!(
            matches!(r, Err(UnpackError::NameTooLong(ref n)) if *n == format!("{}… (100 more characters)", "p".repeat(200))),
            "{r:?}"
        );
        let total = format!("{}\0", vec!["q".repeat(200); 6].join("/"));
        let t = tar_gz(&[
            ("././@LongLink", LONG, total.as_bytes(), ""),
            ("x", F, b"1", ""),
        ]);
        let (_d, r) = run(&t, Limits::default());
        assert!(matches!(r, Err(UnpackError::NameTooLong(_))), "{r:?}");
        let z = zip(&[("z".repeat(300).as_str(), &b"1"[..])], None);
        let (_d, r) = run(&z, Limits::default());
        assert!(matches!(r, Err(UnpackError::NameTooLong(_))), "{r:?}");
    }

    #[test]
    fn a_name_held_as_a_file_and_as_a_folder_is_refused_in_both_formats() {
        for (first, second, path) in [
            ("a", "a/b", "a"),
            ("a/b", "a", "a"),
            ("a/b", "a/b/c", "a/b"),
        ] {
            let t = tar_gz(&[(first, F, b"1", ""), (second, F, b"2", "")]);
            let z = zip(&[(first, b"1"), (second, b"2")], None);
            for archive in [t, z] {
                let (_d, r) = run(&archive, Limits::default());
                assert!(
                    matches!(r, Err(UnpackError::FileAndFolder { path: ref p, entry: ref e }) if p == path && e == second),
                    "{first} then {second}: {r:?}"
                );
                let text = r.unwrap_err().to_string();
                assert!(
                    !text.contains("staging") && !text.contains("os error"),
                    "{text}"
                );
            }
        }
        // A folder listed twice, or named after its files, is fine.
        let t = tar_gz(&[
            ("d/f", F, b"1", ""),
            ("d/", tar::EntryType::Directory, b"", ""),
            ("d", tar::EntryType::Directory, b"", ""),
        ]);
        let (_d, r) = run(&t, Limits::default());
        assert_eq!(r.unwrap().files, 1);
    }

    /// A zip whose entry `name` has the Unix mode `mode` (file type bits included).
    fn zip_with_mode(name: &str, mode: u32) -> Vec<u8> {
        let mut z = zip(&[(name, b"data")], None);
        // The central directory header: `version made by` (Unix is 3 in
        // the high byte) at +4, external attributes (mode << 16) at +38.
        let at = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        z[at + 5] = 3;
        z[at + 38..at + 42].copy_from_slice(&(mode << 16).to_le_bytes());
        z
    }

    #[test]
    fn zip_devices_fifos_and_sockets_are_refused_like_tar() {
        for mode in [0o010_644, 0o020_644, 0o060_644, 0o140_644] {
            let (dir, r) = run(&zip_with_mode("dev", mode), Limits::default());
            assert!(
                matches!(r, Err(UnpackError::NotAFile { ref entry, kind: SPECIAL }) if entry == "dev"),
                "{mode:o}: {r:?}"
            );
            assert!(!dir.path().join("x/dev").exists());
        }
        for kind in [
            tar::EntryType::Fifo,
            tar::EntryType::Char,
            tar::EntryType::Block,
            tar::EntryType::GNUSparse,
        ] {
            let (_d, r) = run(&tar_gz(&[("dev", kind, b"", "")]), Limits::default());
            assert!(
                matches!(r, Err(UnpackError::NotAFile { kind: SPECIAL, .. })),
                "{r:?}"
            );
        }
        // setuid and setgid bits never reach the disk, in either format.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let (dir, r) = run(&zip_with_mode("tool", 0o106_755), Limits::default());
            r.unwrap();
            let mode = fs::metadata(dir.path().join("x/tool"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o7777, 0o755);
        }
    }

    #[test]
    fn zip_duplicate_names_are_refused_like_tar() {
        let mut z = zip(&[("dup1", b"first"), ("dup2", b"second")], None);
        // Rename `dup2` to `dup1` in its local header and in the directory.
        for at in (0..z.len() - 4).rev() {
            if &z[at..at + 4] == b"dup2" {
                z[at + 3] = b'1';
            }
        }
        let (dir, r) = run(&z, Limits::default());
        assert!(
            matches!(r, Err(UnpackError::DuplicateInZipDirectory)),
            "{r:?}"
        );
        assert!(!dir.path().join("x/dup1").exists());
        // Two names for one path (`a` and `./a`) are refused too.
        let z = zip(&[("a", b"1"), ("./a", b"2")], None);
        let (_d, r) = run(&z, Limits::default());
        assert!(
            matches!(r, Err(UnpackError::Duplicate(ref n)) if n == "./a"),
            "{r:?}"
        );
    }

    #[test]
    fn entry_names_in_errors_are_escaped() {
        let name = "evil\x1b[2K\r/../x";
        let (_d, r) = run(&tar_gz(&[(name, F, b"x", "")]), Limits::default());
        let text = r.unwrap_err().to_string();
        assert!(text.contains("evil\\u{1b}[2K\\u{d}/../x"), "{text}");
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text}");
    }
}
