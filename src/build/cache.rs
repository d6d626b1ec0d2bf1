//! What a build from a git commit keeps for the next one: per plugin folder,
//! its git tree id and everything later stages need of it (the facts the
//! cross-plugin rules read, its listing in the registry-wide files, the
//! files it emitted and the ones the snapshot covers). A plugin whose tree
//! id is unchanged is not read, parsed, verified or emitted again; its files
//! are carried over.
//!
//! Every entry depends on more than its own folder; what it depends on is
//! the [`Header`]: the cache format and plugdex version, a digest of the
//! registry-wide inputs (`registry.toml`, the trust lists, the base URL, a
//! shallow history), the commit (a later build must descend from it, so
//! publication times stay put) and the served output tree the files are in.
//! Any mismatch and the cache is not used: the build is a full one.
//!
//! On disk: a header, then chunks of plugins serialised with postcard, so
//! loading and saving a hundred thousand plugins runs on every core.

use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check::facts::PluginFacts;
use crate::digest::Sha256Digest;
use crate::emit::Listing;
use crate::trust::metadata::FileMeta;

const MAGIC: &[u8] = b"plugdex-build-cache\n";
/// Bumped whenever what is cached, or how it is read, changes.
const FORMAT: u32 = 1;
/// Plugins per chunk: small enough to spread over cores, large enough that
/// the per-chunk overhead does not show.
const CHUNK: usize = 2000;

/// What every cached entry depends on beyond its plugin's folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub plugdex: String,
    /// Digest of the registry-wide inputs.
    pub context: String,
    /// The commit the cached build read.
    pub commit: String,
    /// The key of the served tree the files were committed to.
    pub served: String,
}

impl Header {
    pub fn new(context: String, commit: String, served: String) -> Header {
        Header {
            format: FORMAT,
            plugdex: env!("CARGO_PKG_VERSION").to_owned(),
            context,
            commit,
            served,
        }
    }
}

/// One plugin folder as the last build left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedPlugin {
    /// Folder relative to the index root.
    pub dir: String,
    /// The folder's git tree id (hex).
    pub tree: String,
    pub facts: PluginFacts,
    pub listing: Listing,
    /// Every file emitted from this plugin alone, with its SHA-256: its
    /// index file and that file's `by-hash/` copy, its API documents and
    /// its self-hosted artifacts.
    pub files: Vec<(String, Sha256Digest)>,
    /// The files of `files` the snapshot covers.
    pub covered: Vec<(String, FileMeta)>,
}

#[derive(Debug)]
pub struct Cache {
    pub header: Header,
    /// Sorted by folder.
    pub plugins: Vec<CachedPlugin>,
}

impl Cache {
    /// Reads the cache at `path`; `None` when there is none, it is
    /// unreadable, or it was written by another format or plugdex version.
    pub fn load(path: &Path) -> Option<Cache> {
        let bytes = std::fs::read(path).ok()?;
        let mut rest = bytes.strip_prefix(MAGIC)?;
        let header: Header = postcard::from_bytes(take_chunk(&mut rest)?).ok()?;
        if header.format != FORMAT || header.plugdex != env!("CARGO_PKG_VERSION") {
            return None;
        }
        let mut chunks = Vec::new();
        while !rest.is_empty() {
            chunks.push(take_chunk(&mut rest)?);
        }
        let parts: Option<Vec<Vec<CachedPlugin>>> = chunks
            .par_iter()
            .map(|c| postcard::from_bytes(c).ok())
            .collect();
        let plugins: Vec<CachedPlugin> = parts?.into_iter().flatten().collect();
        if !plugins.windows(2).all(|w| w[0].dir < w[1].dir) {
            return None;
        }
        Some(Cache { header, plugins })
    }

    /// Writes the cache at `path`, replacing it in one step.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let header = postcard::to_stdvec(&self.header).map_err(std::io::Error::other)?;
        let chunks: Result<Vec<Vec<u8>>, _> = self
            .plugins
            .par_chunks(CHUNK)
            .map(postcard::to_stdvec)
            .collect();
        let chunks = chunks.map_err(std::io::Error::other)?;
        let total: usize = chunks.iter().map(|c| c.len() + 8).sum();
        let mut out = Vec::with_capacity(MAGIC.len() + header.len() + 8 + total);
        out.extend_from_slice(MAGIC);
        for c in std::iter::once(&header).chain(&chunks) {
            out.extend_from_slice(&(c.len() as u64).to_le_bytes());
            out.extend_from_slice(c);
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        std::fs::write(&tmp, out)?;
        std::fs::rename(&tmp, path)
    }
}

fn take_chunk<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, tail) = rest.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
    let chunk = tail.get(..len)?;
    *rest = &tail[len..];
    Some(chunk)
}
