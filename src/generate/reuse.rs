//! Which plugins a build reads and which it carries over from the last
//! build's cache. From a commit (`--rev`), git tree ids say without reading
//! a file which plugin folders are unchanged; from a folder, the stamps of
//! its files do (size, modification time and inode, as git's index keeps
//! them), and a file whose stamp changed is hashed to see whether its
//! content did.

use std::collections::{BTreeSet, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::cache::{Cache, CachedPlugin, FileStamp};
use crate::diagnostic::Diagnostic;
use crate::digest::{Sha256Digest, hex, sha256};
use crate::source::tree::TreeSource;
use crate::source::{FolderSource, PluginDir};

/// How far apart (in mainline commits) the cached and the new commit may be
/// for the commits between them to be walked; further apart, a full build.
const MAX_SPAN: usize = 10_000;

/// The cache folder in the output's state folder.
pub const CACHE_DIR: &str = "build-cache";

/// What a build reads, and what it takes from the cache.
pub struct Plan {
    /// The plugin folders to read, check and emit, sorted by path.
    pub load: Vec<PluginDir>,
    /// The identity of each folder of `load`, by folder, for its cache
    /// entry; empty when no cache is kept.
    pub trees: HashMap<String, FolderId>,
    /// What the walk of the plugin folders reported.
    pub diagnostics: Vec<Diagnostic>,
    /// Plugins whose cached results stand, sorted by folder.
    pub carried: Vec<CachedPlugin>,
    /// Where to keep this build's results for the next one, and under which
    /// context and commit; `None` for a folder build.
    pub save: Option<Save>,
    /// Why nothing was carried over, when the cache was not used.
    pub fresh_because: Option<&'static str>,
    /// Cached plugins whose folder is gone.
    pub removed: Vec<String>,
    /// Carried plugins whose files' stamps changed but not their content:
    /// their cache entries are rewritten with the new stamps.
    pub restamped: Vec<String>,
    /// The cache's chunk files, when it was used: the ones no plugin read
    /// or removed falls in are kept as they are.
    pub chunks: Option<Vec<String>>,
    /// The key of each registry-wide page the cached build made, by path
    /// (see `site::Previous`); empty when the cache was not used.
    pub pages: HashMap<String, Sha256Digest>,
}

pub struct Save {
    pub path: PathBuf,
    pub context: String,
    pub commit: String,
}

impl Plan {
    /// The plugin folders to read, as a set.
    pub fn load_set(&self) -> BTreeSet<String> {
        self.load.iter().map(|d| d.rel.clone()).collect()
    }
}

/// The build cache at `path`, when this build may carry plugins over from
/// it: nothing forces a fresh build, it was made with the same
/// registry-wide inputs (`context`; else `changed` says why not), and it
/// describes the output folder that is served.
fn usable_cache(
    out: &Path,
    path: Option<&Path>,
    context: &str,
    fresh: Option<&'static str>,
    changed: &'static str,
) -> Result<Cache, &'static str> {
    if let Some(why) = fresh {
        return Err(why);
    }
    let cache = path.and_then(Cache::load).ok_or("no build cache")?;
    if cache.header.context != context {
        return Err(changed);
    }
    if crate::write::served_key(out).as_deref() != Some(cache.header.served.as_str()) {
        return Err("the output folder is not the one the cache describes");
    }
    Ok(cache)
}

/// Plans a build of `source` into `out`: a plugin is carried over when the
/// cache is valid (same registry-wide inputs, the output it describes is the
/// one served, the commits are on one line of history), its folder has the
/// same tree id, and no commit in between touched it.
/// `site` is the site's fingerprint (`None` without a site); `fresh` says
/// why nothing may be carried over, when something already knows.
pub fn plan(
    source: &TreeSource,
    out: &Path,
    base_url: Option<&str>,
    site: Option<&str>,
    fresh: Option<&'static str>,
) -> Plan {
    let mut diagnostics = Vec::new();
    let dirs = source.plugin_dirs_with_ids(&mut diagnostics);
    let context = context(source, base_url, site);
    let commit = source.commit().to_string();
    let path = crate::write::state_dir(out).map(|s| s.join(CACHE_DIR));
    let cached = usable_cache(
        out,
        path.as_deref(),
        &context,
        fresh,
        "registry-wide inputs changed (registry.toml, trust lists, base URL or history depth)",
    )
    .and_then(|c| {
        match c
            .header
            .commit
            .parse()
            .ok()
            .and_then(|from| source.touched_since(from, MAX_SPAN))
        {
            Some(touched) => Ok((c, touched)),
            None => Err("the cached commit is not on this commit's line of history"),
        }
    });
    let save = path.map(|path| Save {
        path,
        context,
        commit,
    });
    let (cache, touched) = match cached {
        Ok(c) => c,
        Err(why) => {
            let trees = dirs
                .iter()
                .map(|(d, id)| (d.rel.clone(), FolderId::tree(id.to_string())))
                .collect();
            return Plan {
                load: dirs.into_iter().map(|(d, _)| d).collect(),
                trees,
                diagnostics,
                carried: Vec::new(),
                save,
                fresh_because: Some(why),
                removed: Vec::new(),
                restamped: Vec::new(),
                chunks: None,
                pages: HashMap::new(),
            };
        }
    };
    // Both lists are sorted by folder: one merge.
    let mut cached = cache.plugins.into_iter().peekable();
    let (mut load, mut trees, mut carried) = (Vec::new(), HashMap::new(), Vec::new());
    let mut removed = Vec::new();
    for (dir, id) in dirs {
        while let Some(gone) = cached.next_if(|c| c.dir < dir.rel) {
            removed.push(gone.dir);
        }
        let tree = id.to_string();
        match cached.next_if(|c| c.dir == dir.rel) {
            Some(c) if c.tree == tree && !touched.contains(&dir.rel) => carried.push(c),
            _ => {
                trees.insert(dir.rel.clone(), FolderId::tree(tree));
                load.push(dir);
            }
        }
    }
    removed.extend(cached.map(|c| c.dir));
    Plan {
        load,
        trees,
        diagnostics,
        carried,
        save,
        fresh_because: None,
        removed,
        restamped: Vec::new(),
        chunks: Some(cache.chunks),
        pages: cache.pages.into_iter().collect(),
    }
}

/// A digest of everything each cached result depends on beyond its plugin
/// folder: the registry's own files, the base URL, whether history is cut,
/// and the site's templates and theme (the index repo's and the built-in ones).
fn context(source: &TreeSource, base_url: Option<&str>, site: Option<&str>) -> String {
    let id = |rel: &str| {
        source
            .tree_id_of(rel)
            .map_or_else(|| "none".to_owned(), |id| id.to_string())
    };
    let text = format!(
        "registry={}\nreviewed={}\nrevocations={}\nbase_url={}\nshallow={}\ntemplates={}\nthemes={}\nsite={}\n",
        id(crate::source::REGISTRY_FILE),
        id(crate::source::REVIEWED_FILE),
        id(crate::source::REVOCATIONS_FILE),
        base_url.unwrap_or("-"),
        source.is_shallow(),
        id("templates"),
        id("themes"),
        site.unwrap_or("none"),
    );
    crate::digest::hex(&crate::digest::sha256(text.as_bytes()))
}

/// What a cache entry records of a plugin folder's identity.
#[derive(Debug, Clone, Default)]
pub struct FolderId {
    pub tree: String,
    pub stamps: Vec<FileStamp>,
}

impl FolderId {
    fn tree(tree: String) -> FolderId {
        FolderId {
            tree,
            stamps: Vec::new(),
        }
    }
}

/// A file modified this close to the build (or after it started) may be
/// modified again within the same timestamp tick without its stamp
/// changing: its stamp is not trusted next time ("racy git"). Two seconds
/// cover coarse file-system clocks.
const RACY_SECS: i64 = 2;

/// Plans a build of the folder `source` into `out`, as [`plan`] does for a
/// commit: a plugin is carried over when the cache is valid (same
/// registry-wide inputs, `HEAD` and output) and its folder's files have the
/// same contents (and, where a modification time dates a release, the same
/// times).
pub fn plan_folder(
    source: &FolderSource,
    out: &Path,
    base_url: Option<&str>,
    site: Option<&str>,
    fresh: Option<&'static str>,
) -> Plan {
    let root = source.root();
    // Before any file is looked at: a file modified from here on is racy.
    let racy_from = jiff::Timestamp::now().as_second() - RACY_SECS;
    let mut diagnostics = Vec::new();
    let dirs = source.plugin_dirs(&mut diagnostics);
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    // Without `SOURCE_DATE_EPOCH`, releases git does not date are dated by
    // their file's modification time: then it is part of the identity.
    let times_date = epoch.as_deref().is_none_or(|e| e.trim().is_empty());
    let context = folder_context(root, base_url, site, epoch.as_deref());
    let path = crate::write::state_dir(out).map(|s| s.join(CACHE_DIR));
    let cached = usable_cache(
        out,
        path.as_deref(),
        &context,
        fresh,
        "registry-wide inputs changed (registry.toml, trust lists, base URL, HEAD or SOURCE_DATE_EPOCH)",
    );
    let save = path.map(|path| Save {
        path,
        context,
        commit: FOLDER_COMMIT.to_owned(),
    });
    let (mut cached, chunks, pages, fresh_because) = match cached {
        Ok(c) => (
            c.plugins,
            Some(c.chunks),
            c.pages.into_iter().collect(),
            None,
        ),
        Err(why) => (Vec::new(), None, HashMap::new(), Some(why)),
    };
    // Both lists are sorted by folder: one merge pairs each folder with its entry.
    let mut removed = Vec::new();
    let mut pairs: Vec<(PluginDir, Option<CachedPlugin>)> = Vec::with_capacity(dirs.len());
    {
        let mut entries = cached.drain(..).peekable();
        for dir in dirs {
            while let Some(gone) = entries.next_if(|c| c.dir < dir.rel) {
                removed.push(gone.dir);
            }
            let entry = entries.next_if(|c| c.dir == dir.rel);
            pairs.push((dir, entry));
        }
        removed.extend(entries.map(|c| c.dir));
    }
    let looked: Vec<Looked> = pairs
        .into_par_iter()
        .map(|(dir, entry)| {
            let before = entry.as_ref().map_or(&[][..], |c| c.stamps.as_slice());
            let found = stamp_folder(&root.join(&dir.rel), before, racy_from, times_date);
            match (entry, found) {
                (Some(mut c), Some((stamps, tree))) if c.tree == tree => {
                    let restamped = c.stamps != stamps;
                    c.stamps = stamps;
                    Looked::Carried(Box::new(c), restamped)
                }
                (_, found) => {
                    let (stamps, tree) = found.unwrap_or_default();
                    Looked::Load(dir, FolderId { tree, stamps })
                }
            }
        })
        .collect();
    let (mut load, mut trees, mut carried, mut restamped) =
        (Vec::new(), HashMap::new(), Vec::new(), Vec::new());
    for l in looked {
        match l {
            Looked::Carried(c, changed) => {
                if changed {
                    restamped.push(c.dir.clone());
                }
                carried.push(*c);
            }
            Looked::Load(dir, id) => {
                trees.insert(dir.rel.clone(), id);
                load.push(dir);
            }
        }
    }
    Plan {
        load,
        trees,
        diagnostics,
        carried,
        save,
        fresh_because,
        removed,
        restamped,
        chunks,
        pages,
    }
}

/// What a folder build's cache header names as its commit.
const FOLDER_COMMIT: &str = "folder";

enum Looked {
    /// Unchanged: its entry (with the stamps as found), and whether they changed.
    Carried(Box<CachedPlugin>, bool),
    Load(PluginDir, FolderId),
}

/// The stamps of every file under `dir`, sorted by path, and the folder's
/// identity: a digest of each file's path and content (and modification
/// time, when `times_date`). Only the files whose stamp is not in `before`
/// (sorted by path) with a digest are read. `None` when the folder cannot
/// be read: then the check reads it, and reports why.
fn stamp_folder(
    dir: &Path,
    before: &[FileStamp],
    racy_from: i64,
    times_date: bool,
) -> Option<(Vec<FileStamp>, String)> {
    let mut stamps = Vec::new();
    walk(dir, "", &mut stamps).ok()?;
    stamps.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    let mut identity = String::new();
    for stamp in &mut stamps {
        let known = before
            .binary_search_by(|b| b.path.as_str().cmp(&stamp.path))
            .ok()
            .map(|i| &before[i])
            .filter(|b| (b.size, b.mtime, b.ino) == (stamp.size, stamp.mtime, stamp.ino))
            .and_then(|b| b.sha256);
        let digest = match known {
            Some(d) => d,
            None => content_digest(&dir.join(&stamp.path))?,
        };
        identity.push_str(&stamp.path);
        identity.push('\0');
        identity.push_str(&hex(&digest));
        if times_date {
            identity.push_str(&format!("\0{}.{}", stamp.mtime.0, stamp.mtime.1));
        }
        identity.push('\n');
        // A racy stamp is right now, but not trusted next time.
        stamp.sha256 = (stamp.mtime.0 < racy_from).then_some(digest);
    }
    Some((stamps, hex(&sha256(identity.as_bytes()))))
}

/// Adds the stamp (without a digest) of every file under `dir/rel`.
fn walk(dir: &Path, rel: &str, stamps: &mut Vec<FileStamp>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir.join(rel))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = match rel {
            "" => name,
            _ => format!("{rel}/{name}"),
        };
        // Not followed: a link is stamped (and hashed) as the link.
        let meta = entry.metadata()?;
        if meta.is_dir() {
            walk(dir, &path, stamps)?;
        } else {
            stamps.push(FileStamp {
                path,
                size: meta.len(),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                ino: meta.ino(),
                sha256: None,
            });
        }
    }
    Ok(())
}

/// The SHA-256 of a file's content, or of a link's target.
fn content_digest(path: &Path) -> Option<Sha256Digest> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path).ok()?;
        let mut bytes = b"link\0".to_vec();
        bytes.extend(target.as_os_str().as_encoded_bytes());
        return Some(sha256(&bytes));
    }
    if !meta.is_file() {
        return Some(sha256(b"special"));
    }
    std::fs::read(path).ok().map(|b| sha256(&b))
}

/// [`context`] for a folder build: the registry's own files, the templates
/// and themes by content, the base URL, the site's fingerprint, `HEAD` (the
/// history releases and audit trails are dated from) and `SOURCE_DATE_EPOCH`
/// (what dates the rest).
fn folder_context(
    root: &Path,
    base_url: Option<&str>,
    site: Option<&str>,
    epoch: Option<&str>,
) -> String {
    let file = |rel: &str| {
        let path = root.join(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {
                let mut stamps = Vec::new();
                let _ = walk(&path, "", &mut stamps);
                stamps.sort_unstable_by(|a, b| a.path.cmp(&b.path));
                let text: String = stamps
                    .iter()
                    .map(|s| {
                        let digest = content_digest(&path.join(&s.path))
                            .map_or_else(String::new, |d| hex(&d));
                        format!("{}\0{digest}\n", s.path)
                    })
                    .collect();
                hex(&sha256(text.as_bytes()))
            }
            Ok(_) => content_digest(&path).map_or_else(|| "unreadable".to_owned(), |d| hex(&d)),
            Err(_) => "none".to_owned(),
        }
    };
    let head = crate::source::git::discover(root)
        .ok()
        .map(|repo| {
            let head = repo
                .head()
                .ok()
                .and_then(|h| h.peel_to_commit().ok())
                .map_or_else(|| "unborn".to_owned(), |c| c.id().to_string());
            format!("{head} shallow={}", repo.is_shallow())
        })
        .unwrap_or_else(|| "none".to_owned());
    let text = format!(
        "folder\nregistry={}\nreviewed={}\nrevocations={}\nbase_url={}\nhead={head}\nepoch={}\ntemplates={}\nthemes={}\nsite={}\n",
        file(crate::source::REGISTRY_FILE),
        file(crate::source::REVIEWED_FILE),
        file(crate::source::REVOCATIONS_FILE),
        base_url.unwrap_or("-"),
        epoch.unwrap_or("-"),
        file("templates"),
        file("themes"),
        site.unwrap_or("none"),
    );
    hex(&sha256(text.as_bytes()))
}
