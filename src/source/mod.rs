//! Reads an index repo from a plain folder. The only stage that touches the
//! index on disk: it enforces the layout, refuses symlinks (never following
//! them), caps file sizes and checks UTF-8 before anything parses a byte.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

pub mod git;
pub mod history;
pub mod touched;
pub mod tree;

use rayon::prelude::*;

use crate::diagnostic::{Code, Diagnostic, Pos};
use crate::format::name::{PluginName, shard};

/// Largest TOML file read, in bytes.
pub const MAX_TOML_BYTES: u64 = 1024 * 1024;
/// Largest README read, in bytes.
pub const MAX_README_BYTES: u64 = 512 * 1024;

pub const REGISTRY_FILE: &str = "registry.toml";
pub const REVIEWED_FILE: &str = "reviewed.toml";
pub const REVOCATIONS_FILE: &str = "revocations.toml";
pub const PLUGINS_DIR: &str = "plugins";

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("index folder `{}` does not exist", .0.display())]
    Missing(PathBuf),
    #[error("`{}` is not a folder", .0.display())]
    NotADir(PathBuf),
}

/// A file's text and its path relative to the index root (`/`-separated).
#[derive(Debug, Clone)]
pub struct Text {
    pub rel: String,
    pub text: String,
}

/// A plugin folder found at its shard path.
#[derive(Debug, Clone)]
pub struct PluginDir {
    /// e.g. `plugins/he/ll/hello-world`
    pub rel: String,
    /// The folder's own name, e.g. `hello-world`.
    pub name: String,
}

/// What a plugin folder holds.
#[derive(Debug, Default)]
pub struct PluginFiles {
    pub plugin_toml: Option<Text>,
    pub readme: Option<Text>,
    /// `(stem, text)` of each `versions/*.toml`, sorted by file name.
    pub versions: Vec<(String, Text)>,
}

/// Where `check` reads an index from: a folder on disk ([`FolderSource`]) or
/// a commit of a git repository ([`tree::TreeSource`]).
pub trait Source: Sync {
    /// How messages name the index, e.g. `index` or `index at 1a2b3c4`.
    fn describe(&self) -> String;
    /// Whether a file exists at `rel` (relative to the index root).
    fn exists(&self, rel: &str) -> bool;
    /// Reads a text file at `rel`: refuses symlinks, caps the size, checks UTF-8.
    fn read_text(&self, rel: &str, cap: u64, out: &mut Vec<Diagnostic>) -> Option<Text>;
    /// Whether one thread reading while others parse beats every worker
    /// reading for itself.
    fn reads_best_serially(&self) -> bool {
        false
    }
    /// Reads the files of one plugin folder.
    fn read_plugin(&self, dir: &PluginDir, out: &mut Vec<Diagnostic>) -> PluginFiles;
    /// Reads a self-hosted artifact at `rel`, at most `cap` bytes.
    fn read_artifact(&self, rel: &str, cap: u64) -> Result<Vec<u8>, ArtifactError>;
    /// Every plugin folder under `plugins/`, sorted by path, reporting
    /// anything that does not belong in the shard layout.
    fn all_plugin_dirs(&self, out: &mut Vec<Diagnostic>) -> Vec<PluginDir>;

    /// Reads `registry.toml`; reports `not-an-index` when it is absent.
    fn read_registry(&self, out: &mut Vec<Diagnostic>) -> Option<Text> {
        if !self.exists(REGISTRY_FILE) {
            out.push(
                Diagnostic::error(REGISTRY_FILE, Code::NotAnIndex, format!("`{}` has no `{REGISTRY_FILE}`", self.describe()))
                    .hint("point `--index` at an index repo: a folder with `registry.toml` and `plugins/`"),
            );
            return None;
        }
        self.read_text(REGISTRY_FILE, MAX_TOML_BYTES, out)
    }

    /// Reads an optional TOML file (`reviewed.toml`, `revocations.toml`).
    fn read_optional(&self, rel: &str, out: &mut Vec<Diagnostic>) -> Option<Text> {
        if !self.exists(rel) {
            return None;
        }
        self.read_text(rel, MAX_TOML_BYTES, out)
    }
}

pub struct FolderSource {
    root: PathBuf,
}

impl Source for FolderSource {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn exists(&self, rel: &str) -> bool {
        fs::symlink_metadata(self.root.join(rel)).is_ok()
    }

    fn read_text(&self, rel: &str, cap: u64, out: &mut Vec<Diagnostic>) -> Option<Text> {
        read_text(&self.root.join(rel), rel, cap, out)
    }

    /// Files are opened relative to the folder's descriptor (`openat`), which
    /// saves resolving the whole path for each of a million files and keeps a
    /// swapped-in symlink from redirecting the read.
    fn read_plugin(&self, dir: &PluginDir, out: &mut Vec<Diagnostic>) -> PluginFiles {
        let folder = DirHandle::open(&self.root.join(&dir.rel), &dir.rel, out);
        read_plugin_files(folder, dir, out)
    }

    fn read_artifact(&self, rel: &str, cap: u64) -> Result<Vec<u8>, ArtifactError> {
        self.read_artifact_file(rel, cap)
    }

    fn all_plugin_dirs(&self, out: &mut Vec<Diagnostic>) -> Vec<PluginDir> {
        self.plugin_dirs(out)
    }
}

impl FolderSource {
    pub fn open(root: &Path) -> Result<FolderSource, SourceError> {
        match fs::metadata(root) {
            Err(_) => Err(SourceError::Missing(root.to_owned())),
            Ok(m) if !m.is_dir() => Err(SourceError::NotADir(root.to_owned())),
            Ok(_) => Ok(FolderSource {
                root: root.to_owned(),
            }),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Finds every plugin folder under `plugins/`, sorted by path, reporting
    /// anything that does not belong in the shard layout.
    pub fn plugin_dirs(&self, out: &mut Vec<Diagnostic>) -> Vec<PluginDir> {
        let base = self.root.join(PLUGINS_DIR);
        match fs::symlink_metadata(&base) {
            Err(_) => return Vec::new(),
            Ok(m) if m.file_type().is_symlink() => {
                out.push(symlink_diag(PLUGINS_DIR));
                return Vec::new();
            }
            Ok(_) => {}
        }
        scan_plugins(self, &base, out)
            .into_iter()
            .map(|(dir, _)| dir)
            .collect()
    }
}

/// The disk as a [`Layout`]: a folder is where its path is.
impl Layout for FolderSource {
    type At = PathBuf;

    fn entries(&self, at: &PathBuf, rel: &str, out: &mut Vec<Diagnostic>) -> Vec<(Entry, PathBuf)> {
        list_dir(at, rel, out)
            .into_iter()
            .map(|e| {
                let path = at.join(&e.name);
                (e, path)
            })
            .collect()
    }

    fn has_plugin_toml(&self, at: &PathBuf) -> bool {
        at.join("plugin.toml").exists()
    }
}

/// A tree of folders the shard layout is walked in: on disk or in git.
pub(crate) trait Layout: Sync {
    /// Where a folder is: its path on disk, its tree id in git.
    type At: Send;
    /// The entries of the folder at `at` (`rel` names it), sorted by name,
    /// each with where it is; symlinks and non-UTF-8 names are reported and skipped.
    fn entries(
        &self,
        at: &Self::At,
        rel: &str,
        out: &mut Vec<Diagnostic>,
    ) -> Vec<(Entry, Self::At)>;
    /// Whether the folder at `at` holds a `plugin.toml`.
    fn has_plugin_toml(&self, at: &Self::At) -> bool;
}

/// Every plugin folder below `plugins/` (the folder at `at`), sorted by
/// path, with where it is; reports anything that does not belong in the
/// shard layout. The top-level shards are walked in parallel.
pub(crate) fn scan_plugins<L: Layout>(
    layout: &L,
    at: &L::At,
    out: &mut Vec<Diagnostic>,
) -> Vec<(PluginDir, L::At)> {
    let top = layout.entries(at, PLUGINS_DIR, out);
    let results: Vec<_> = top
        .into_par_iter()
        .map(|(entry, at)| {
            let mut found = Vec::new();
            let mut diags = Vec::new();
            scan_shard(layout, entry, at, &mut found, &mut diags);
            (found, diags)
        })
        .collect();
    let mut dirs = Vec::new();
    for (found, diags) in results {
        dirs.extend(found);
        out.extend(diags);
    }
    dirs.sort_by(|a, b| a.0.rel.cmp(&b.0.rel));
    dirs
}

/// What a plugin folder may hold, read from any [`Folder`]: the layout rules
/// are the same for a folder on disk and a tree in git.
pub(crate) fn read_plugin_files<F: Folder>(
    folder: Option<F>,
    dir: &PluginDir,
    out: &mut Vec<Diagnostic>,
) -> PluginFiles {
    let mut files = PluginFiles::default();
    let Some(folder) = folder else {
        return files;
    };
    let mut has_versions_dir = false;
    for entry in folder.list(out) {
        let rel = format!("{}/{}", dir.rel, entry.name);
        match (entry.name.as_str(), entry.kind) {
            ("plugin.toml", Kind::File) => files.plugin_toml = folder.read(&entry.name, &rel, MAX_TOML_BYTES, out),
            ("README.md", Kind::File) => files.readme = folder.read(&entry.name, &rel, MAX_README_BYTES, out),
            ("versions", Kind::Dir) => {
                has_versions_dir = true;
                if let Some(versions) = folder.open_dir(&entry.name, &rel, out) {
                    read_versions(&versions, &mut files, out);
                }
            }
            _ => out.push(
                Diagnostic::error(rel, Code::UnexpectedFile, format!("unexpected {} in plugin folder `{}`", entry.kind.noun(), dir.rel))
                    .hint("a plugin folder holds only `plugin.toml`, `README.md` and `versions/`; remove it"),
            ),
        }
    }
    if files.plugin_toml.is_none()
        && !out
            .iter()
            .any(|d| d.file == format!("{}/plugin.toml", dir.rel))
    {
        out.push(
            Diagnostic::error(
                format!("{}/plugin.toml", dir.rel),
                Code::MissingFile,
                format!("plugin folder `{}` has no `plugin.toml`", dir.rel),
            )
            .hint("add `plugin.toml` with the plugin's name, description, license and owners"),
        );
    }
    if !has_versions_dir {
        out.push(
            Diagnostic::error(
                format!("{}/versions", dir.rel),
                Code::MissingFile,
                format!("plugin `{}` has no `versions/` folder", dir.name),
            )
            .hint("publish at least one version as `versions/<version>.toml`"),
        );
    }
    files
}

fn read_versions<F: Folder>(versions: &F, files: &mut PluginFiles, out: &mut Vec<Diagnostic>) {
    let rel = versions.rel();
    for entry in versions.list(out) {
        let file_rel = format!("{rel}/{}", entry.name);
        match (entry.name.strip_suffix(".toml"), entry.kind) {
            (Some(stem), Kind::File) if !stem.is_empty() => {
                if let Some(text) = versions.read(&entry.name, &file_rel, MAX_TOML_BYTES, out) {
                    files.versions.push((stem.to_owned(), text));
                }
            }
            _ => out.push(
                Diagnostic::error(
                    file_rel,
                    Code::UnexpectedFile,
                    format!("unexpected {} in `{rel}`", entry.kind.noun()),
                )
                .hint("`versions/` holds only `<version>.toml` files"),
            ),
        }
    }
    if files.versions.is_empty() && !out.iter().any(|d| d.file.starts_with(rel)) {
        out.push(
            Diagnostic::error(rel, Code::MissingFile, "`versions/` is empty")
                .hint("publish at least one version as `versions/<version>.toml`"),
        );
    }
}

/// A folder of an index, on disk or in git: what the layout rules walk.
pub(crate) trait Folder: Sized {
    /// The folder's path relative to the index root.
    fn rel(&self) -> &str;
    /// Entries sorted by name; symlinks and non-UTF-8 names are reported and skipped.
    fn list(&self, out: &mut Vec<Diagnostic>) -> Vec<Entry>;
    /// Reads a regular file of this folder, capped at `cap` bytes.
    fn read(&self, name: &str, rel: &str, cap: u64, out: &mut Vec<Diagnostic>) -> Option<Text>;
    /// Opens a sub-folder.
    fn open_dir(&self, name: &str, rel: &str, out: &mut Vec<Diagnostic>) -> Option<Self>;
}

/// An open folder; its entries are listed and opened relative to it.
struct DirHandle {
    fd: std::os::fd::OwnedFd,
    rel: String,
}

impl DirHandle {
    fn open(path: &Path, rel: &str, out: &mut Vec<Diagnostic>) -> Option<DirHandle> {
        match rustix::fs::open(path, dir_flags(), rustix::fs::Mode::empty()) {
            Ok(fd) => Some(DirHandle {
                fd,
                rel: rel.to_owned(),
            }),
            Err(e) => {
                out.push(open_error(rel, e));
                None
            }
        }
    }
}

impl Folder for DirHandle {
    fn rel(&self) -> &str {
        &self.rel
    }

    fn open_dir(&self, name: &str, rel: &str, out: &mut Vec<Diagnostic>) -> Option<DirHandle> {
        match rustix::fs::openat(&self.fd, name, dir_flags(), rustix::fs::Mode::empty()) {
            Ok(fd) => Some(DirHandle {
                fd,
                rel: rel.to_owned(),
            }),
            Err(e) => {
                out.push(open_error(rel, e));
                None
            }
        }
    }

    fn list(&self, out: &mut Vec<Diagnostic>) -> Vec<Entry> {
        let rel = &self.rel;
        let dup = match rustix::io::fcntl_dupfd_cloexec(&self.fd, 0).and_then(rustix::fs::Dir::new)
        {
            Ok(d) => d,
            Err(e) => {
                out.push(Diagnostic::error(
                    rel,
                    Code::Io,
                    format!("cannot read folder `{rel}`: {e}"),
                ));
                return Vec::new();
            }
        };
        let mut entries = Vec::new();
        for item in dup {
            let item = match item {
                Ok(i) => i,
                Err(e) => {
                    out.push(Diagnostic::error(
                        rel,
                        Code::Io,
                        format!("cannot read folder `{rel}`: {e}"),
                    ));
                    break;
                }
            };
            let raw = item.file_name().to_bytes();
            if raw == b"." || raw == b".." {
                continue;
            }
            let Ok(name) = std::str::from_utf8(raw).map(str::to_owned) else {
                out.push(
                    Diagnostic::error(
                        rel,
                        Code::UnexpectedFile,
                        format!(
                            "a file name in `{rel}` is not UTF-8: {:?}",
                            String::from_utf8_lossy(raw)
                        ),
                    )
                    .hint("rename or remove it"),
                );
                continue;
            };
            let child = format!("{rel}/{name}");
            let kind = match item.file_type() {
                rustix::fs::FileType::Symlink => {
                    out.push(symlink_diag(&child));
                    continue;
                }
                rustix::fs::FileType::Directory => Kind::Dir,
                rustix::fs::FileType::RegularFile => Kind::File,
                // Some file systems do not report types in listings: ask.
                rustix::fs::FileType::Unknown => match rustix::fs::statat(
                    &self.fd,
                    name.as_str(),
                    rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
                ) {
                    Ok(st) => match rustix::fs::FileType::from_raw_mode(st.st_mode) {
                        rustix::fs::FileType::Symlink => {
                            out.push(symlink_diag(&child));
                            continue;
                        }
                        rustix::fs::FileType::Directory => Kind::Dir,
                        rustix::fs::FileType::RegularFile => Kind::File,
                        _ => Kind::Other,
                    },
                    Err(_) => Kind::Other,
                },
                _ => Kind::Other,
            };
            entries.push(Entry {
                name,
                rel: child,
                kind,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries
    }

    fn read(&self, name: &str, rel: &str, cap: u64, out: &mut Vec<Diagnostic>) -> Option<Text> {
        let flags = rustix::fs::OFlags::RDONLY
            | rustix::fs::OFlags::NOFOLLOW
            | rustix::fs::OFlags::CLOEXEC
            | rustix::fs::OFlags::NONBLOCK;
        match rustix::fs::openat(&self.fd, name, flags, rustix::fs::Mode::empty()) {
            Ok(fd) => read_capped(fs::File::from(fd), rel, cap, out),
            Err(e) => {
                out.push(open_error(rel, e));
                None
            }
        }
    }
}

fn dir_flags() -> rustix::fs::OFlags {
    rustix::fs::OFlags::RDONLY
        | rustix::fs::OFlags::DIRECTORY
        | rustix::fs::OFlags::NOFOLLOW
        | rustix::fs::OFlags::CLOEXEC
}

fn open_error(rel: &str, e: rustix::io::Errno) -> Diagnostic {
    if e == rustix::io::Errno::LOOP || e == rustix::io::Errno::NOTDIR {
        return symlink_diag(rel);
    }
    Diagnostic::error(
        rel,
        Code::Io,
        format!("cannot read `{rel}`: {}", std::io::Error::from(e)),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Other,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Dir => "folder",
            Kind::Other => "special file",
        }
    }
}

pub(crate) struct Entry {
    pub name: String,
    pub rel: String,
    pub kind: Kind,
}

/// Lists a folder, sorted by name; symlinks and non-UTF-8 names are reported and skipped.
fn list_dir(path: &Path, rel: &str, out: &mut Vec<Diagnostic>) -> Vec<Entry> {
    DirHandle::open(path, rel, out)
        .map(|d| d.list(out))
        .unwrap_or_default()
}

pub(crate) fn symlink_diag(rel: &str) -> Diagnostic {
    Diagnostic::error(rel, Code::Symlink, format!("`{rel}` is a symbolic link")).hint(
        "symbolic links are refused and never followed; replace it with the real file or folder",
    )
}

/// Walks one top-level shard entry. Plugin folders sit exactly at the shard
/// path of their own name; anything else must be a shard folder on the way.
fn scan_shard<L: Layout>(
    layout: &L,
    entry: Entry,
    at: L::At,
    found: &mut Vec<(PluginDir, L::At)>,
    out: &mut Vec<Diagnostic>,
) {
    let under = entry
        .rel
        .strip_prefix("plugins/")
        .unwrap_or(&entry.rel)
        .to_owned();
    if entry.kind != Kind::Dir {
        out.push(
            Diagnostic::error(
                &entry.rel,
                Code::UnexpectedFile,
                format!("unexpected {} `{}`", entry.kind.noun(), entry.rel),
            )
            .hint("`plugins/` holds only shard folders; see the layout in docs/index-format.md"),
        );
        return;
    }
    if let Ok(name) = PluginName::parse(&entry.name)
        && name.folder() == under
    {
        let dir = PluginDir {
            rel: entry.rel,
            name: entry.name,
        };
        found.push((dir, at));
        return;
    }
    // A plugin folder in the wrong place (`plugins/ok` instead of `plugins/2/ok`)
    // can look like a shard folder; its `plugin.toml` gives it away.
    let misplaced = PluginName::parse(&entry.name).is_ok() && layout.has_plugin_toml(&at);
    if is_shard_prefix(&under) && !misplaced {
        for (child, child_at) in layout.entries(&at, &entry.rel, out) {
            scan_shard(layout, child, child_at, found, out);
        }
        return;
    }
    let hint = match PluginName::parse(&entry.name) {
        Ok(name) => format!("move it to `plugins/{}`", name.folder()),
        Err(e) => format!(
            "`{}` is not a valid plugin name ({e}); remove it",
            entry.name
        ),
    };
    out.push(
        Diagnostic::error(
            &entry.rel,
            Code::MisplacedPlugin,
            format!("`{}` is not where the shard layout puts it", entry.rel),
        )
        .hint(hint),
    );
}

/// Whether `under` (a path below `plugins/`) is a shard folder some canonical name maps to.
fn is_shard_prefix(under: &str) -> bool {
    let parts: Vec<&str> = under.split('/').collect();
    let canon = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    match parts.as_slice() {
        ["1"] | ["2"] | ["3"] => true,
        ["3", c] => c.len() == 1 && c.starts_with(|ch: char| ch.is_ascii_lowercase()),
        [ab] => {
            ab.len() == 2
                && canon(ab)
                && ab.starts_with(|ch: char| ch.is_ascii_lowercase())
                && shard(&format!("{ab}xx")).starts_with(ab)
        }
        [ab, cd] => {
            ab.len() == 2
                && cd.len() == 2
                && canon(ab)
                && canon(cd)
                && ab.starts_with(|ch: char| ch.is_ascii_lowercase())
        }
        _ => false,
    }
}

/// Why a self-hosted artifact could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("no such file")]
    Missing,
    #[error("a path component is a symbolic link or not a folder")]
    Symlink,
    #[error("larger than the cap of {0} bytes")]
    TooLarge(u64),
    #[error("not a regular file")]
    NotAFile,
    #[error("the path leaves the index (`..`, `.` or empty segments)")]
    Unsafe,
    #[error("{0}")]
    Io(std::io::Error),
}

/// The plugin folder a path under `plugins/` belongs to: the first folder on
/// the way whose name is a plugin name at its own shard path.
pub fn plugin_dir_of(rel: &str) -> Option<PluginDir> {
    let under = rel.strip_prefix(&format!("{PLUGINS_DIR}/"))?;
    let parts: Vec<&str> = under.split('/').collect();
    (1..parts.len()).find_map(|k| {
        let name = parts[k - 1];
        let folder = parts[..k].join("/");
        let parsed = PluginName::parse(name).ok()?;
        (parsed.folder() == folder).then(|| PluginDir {
            rel: format!("{PLUGINS_DIR}/{folder}"),
            name: name.to_owned(),
        })
    })
}

/// Whether a self-hosted artifact path stays inside the index.
pub(crate) fn is_safe_relative(rel: &str) -> bool {
    !rel.split('/')
        .any(|p| p.is_empty() || p == "." || p == "..")
}

impl FolderSource {
    /// Reads a self-hosted artifact at `rel` (a checked relative path under the
    /// index root), component by component with `O_NOFOLLOW`, at most `cap` bytes.
    pub fn read_artifact_file(&self, rel: &str, cap: u64) -> Result<Vec<u8>, ArtifactError> {
        use rustix::fs::{Mode, OFlags, openat};
        let errno = |e: rustix::io::Errno| match e {
            rustix::io::Errno::NOENT => ArtifactError::Missing,
            rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => ArtifactError::Symlink,
            e => ArtifactError::Io(e.into()),
        };
        if !is_safe_relative(rel) {
            return Err(ArtifactError::Unsafe);
        }
        let mut dir = rustix::fs::open(&self.root, dir_flags(), Mode::empty()).map_err(errno)?;
        let mut parts = rel.split('/').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_some() {
                dir = openat(&dir, part, dir_flags(), Mode::empty()).map_err(errno)?;
                continue;
            }
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
            let fd = openat(&dir, part, flags, Mode::empty()).map_err(errno)?;
            let file = fs::File::from(fd);
            let meta = file.metadata().map_err(ArtifactError::Io)?;
            if !meta.is_file() {
                return Err(ArtifactError::NotAFile);
            }
            if meta.len() > cap {
                return Err(ArtifactError::TooLarge(cap));
            }
            let mut bytes = Vec::with_capacity(meta.len() as usize);
            file.take(cap + 1)
                .read_to_end(&mut bytes)
                .map_err(ArtifactError::Io)?;
            if bytes.len() as u64 > cap {
                return Err(ArtifactError::TooLarge(cap));
            }
            return Ok(bytes);
        }
        Err(ArtifactError::Missing)
    }
}

/// Reads a text file: refuses symlinks, caps the size, checks UTF-8.
pub fn read_text(path: &Path, rel: &str, cap: u64, out: &mut Vec<Diagnostic>) -> Option<Text> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            out.push(symlink_diag(rel));
            None
        }
        Ok(m) if !m.is_file() => {
            out.push(Diagnostic::error(
                rel,
                Code::UnexpectedFile,
                format!("`{rel}` is not a regular file"),
            ));
            None
        }
        Ok(m) if m.len() > cap => {
            out.push(too_large(rel, cap));
            None
        }
        Ok(_) => match fs::File::open(path) {
            Ok(f) => read_capped(f, rel, cap, out),
            Err(e) => {
                out.push(Diagnostic::error(
                    rel,
                    Code::Io,
                    format!("cannot read `{rel}`: {e}"),
                ));
                None
            }
        },
        Err(e) => {
            out.push(Diagnostic::error(
                rel,
                Code::Io,
                format!("cannot read `{rel}`: {e}"),
            ));
            None
        }
    }
}

/// How much room a read starts with: more than nearly every manifest.
const READ_CHUNK: usize = 16 * 1024;

/// Reads at most `cap` bytes and checks they are UTF-8.
pub(crate) fn read_capped(
    file: impl Read,
    rel: &str,
    cap: u64,
    out: &mut Vec<Diagnostic>,
) -> Option<Text> {
    // Read into a buffer each thread keeps, then copy out exactly the bytes:
    // a million manifests then cost a million right-sized allocations, not
    // a million growing ones (allocation and page faults showed in `perf`).
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    // `None` when the file is over `cap`: it is refused without copying it out.
    let read = BUFFER.with_borrow_mut(|buf| {
        buf.clear();
        buf.reserve(READ_CHUNK);
        let read = file
            .take(cap + 1)
            .read_to_end(buf)
            .map(|n| (n as u64 <= cap).then(|| buf.to_vec()));
        if buf.capacity() > READ_CHUNK * 16 {
            *buf = Vec::new(); // one large file must not pin its size per thread
        }
        read
    });
    let bytes = match read {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            out.push(too_large(rel, cap));
            return None;
        }
        Err(e) => {
            out.push(Diagnostic::error(
                rel,
                Code::Io,
                format!("cannot read `{rel}`: {e}"),
            ));
            return None;
        }
    };
    text_of(bytes, rel, out)
}

/// Checks that `bytes`, the whole of the file at `rel`, are UTF-8.
pub(crate) fn text_of(bytes: Vec<u8>, rel: &str, out: &mut Vec<Diagnostic>) -> Option<Text> {
    match String::from_utf8(bytes) {
        Ok(text) => Some(Text {
            rel: rel.to_owned(),
            text,
        }),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
            let pos = Pos::of_span(&prefix, prefix.len()..prefix.len());
            out.push(
                Diagnostic::error(
                    rel,
                    Code::InvalidUtf8,
                    format!("`{rel}` is not valid UTF-8 (byte {valid})"),
                )
                .at(pos)
                .hint("save the file as UTF-8"),
            );
            None
        }
    }
}

pub(crate) fn too_large(rel: &str, cap: u64) -> Diagnostic {
    Diagnostic::error(
        rel,
        Code::FileTooLarge,
        format!("`{rel}` is larger than {} KiB", cap / 1024),
    )
    .hint("manifests are small; large content belongs in the artifact")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_plugin_folder() {
        let dir = |p: &str| plugin_dir_of(p).map(|d| d.rel);
        assert_eq!(
            dir("plugins/he/ll/hello/versions/1.0.0.toml").as_deref(),
            Some("plugins/he/ll/hello")
        );
        assert_eq!(
            dir("plugins/2/ab/plugin.toml").as_deref(),
            Some("plugins/2/ab")
        );
        assert_eq!(
            dir("plugins/3/f/foo/README.md").as_deref(),
            Some("plugins/3/f/foo")
        );
        // Not at its shard path, or not in a folder at all.
        assert_eq!(dir("plugins/hello/plugin.toml"), None);
        assert_eq!(dir("plugins/he/ll/hello"), None);
        assert_eq!(dir("registry.toml"), None);
    }

    #[test]
    fn shard_prefixes() {
        for ok in ["1", "2", "3", "3/a", "he", "he/ll", "a-/b1"] {
            assert!(is_shard_prefix(ok), "{ok}");
        }
        for bad in ["4", "He", "h", "hel", "he/l", "3/ab", "he/ll/x", "1a"] {
            assert!(!is_shard_prefix(bad), "{bad}");
        }
    }
}
