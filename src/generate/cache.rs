//! What a build from a git commit keeps for the next one: per plugin folder,
//! its git tree id and everything later stages need of it (the facts the
//! cross-plugin rules read, its listing in the registry-wide files, the
//! files it emitted and the ones the snapshot covers). A plugin whose tree
//! id is unchanged, and that no commit in between touched, is not read,
//! parsed, verified or emitted again; its files are carried over.
//!
//! Every entry depends on more than its own folder; what it depends on is
//! the [`Header`]: the cache format and plugdex version, a digest of the
//! registry-wide inputs (`registry.toml`, the trust lists, the base URL, a
//! shallow history), the commit (a later build must be on the same line of
//! history, so publication times stay put) and the served output tree the
//! files are in.
//! Any mismatch and the cache is not used: the build is a full one.
//!
//! On disk, a folder: a small `header` and the plugins spread over
//! [`BUCKETS`] chunk files by a hash of their folder, each serialised with
//! postcard and named by its content's digest. A build rewrites only the
//! chunks holding a plugin it read or removed, and the header; loading
//! reads the chunks on every core.

use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::check::facts::PluginFacts;
use crate::digest::Sha256Digest;
use crate::emit::Listing;
use crate::trust::metadata::FileMeta;
use crate::write::{OutputSize, replace_file};

const MAGIC: &[u8] = b"plugdex-build-cache\n";
/// Bumped whenever what is cached, or how it is read, changes.
/// 3: listings carry their `SearchDoc`.
/// 4: listings carry what the site's pages list (owners, engine, tier, recent releases).
/// 5: the size of each plugin's files, and the stamps of a folder build's files.
/// 6: the keys of the registry-wide pages (`site::Previous`).
const FORMAT: u32 = 6;
/// Chunks: enough that one plugin's change rewrites a small file, few
/// enough that loading is not dominated by opening them.
pub const BUCKETS: usize = 256;
const HEADER_FILE: &str = "header";

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
    /// The folder's identity: its git tree id (hex) in a build from a
    /// commit, the digest of its files' contents in a folder build.
    pub tree: String,
    /// A folder build's stamps of the folder's files, sorted by path (empty
    /// from a commit): what says without reading a file that it is unchanged.
    pub stamps: Vec<FileStamp>,
    pub facts: PluginFacts,
    pub listing: Listing,
    /// Every file emitted from this plugin alone, with its SHA-256: its
    /// index file and that file's `by-hash/` copy, its API documents and
    /// its self-hosted artifacts.
    pub files: Vec<(String, Sha256Digest)>,
    /// How many bytes `files` are, for the output's size without a walk.
    pub size: OutputSize,
    /// The files of `files` the snapshot covers.
    pub covered: Vec<(String, FileMeta)>,
    /// The plugins that depended on it when its page was made: a carried
    /// page is stale when they change.
    pub dependents: Vec<String>,
}

/// One file of a plugin folder as a folder build found it, like an entry
/// of git's index: when size, modification time and inode are the same, the
/// content is taken to be too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// Relative to the plugin folder.
    pub path: String,
    pub size: u64,
    pub mtime: (i64, i64),
    pub ino: u64,
    /// The content's SHA-256; `None` when the file was modified too close
    /// to the build to trust its stamp next time ("racy git"): hashed again.
    pub sha256: Option<Sha256Digest>,
}

/// A plugin's cache entry held as its postcard encoding until the cache
/// is saved: as structs, a full build's entries are most of what it holds
/// at the end. Postcard writes a struct as its fields in order, with no
/// framing, so the encoding is made in two parts around the listing, which
/// is filled in last ([`Unlisted::listed`]).
#[derive(Debug)]
pub struct Packed {
    dir: String,
    bytes: Vec<u8>,
}

/// A [`Packed`] entry still without its listing: the encoding of the fields
/// before `listing` and of those after it.
#[derive(Debug)]
pub struct Unlisted {
    dir: String,
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Unlisted {
    /// `plugin`'s encoding but for its listing, which is left out.
    pub fn of(plugin: &CachedPlugin) -> Unlisted {
        let CachedPlugin {
            dir,
            tree,
            stamps,
            facts,
            listing: _,
            files,
            size,
            covered,
            dependents,
        } = plugin;
        // A tuple is encoded as its fields in order, as a struct is.
        let head = postcard::to_stdvec(&(dir, tree, stamps, facts));
        let tail = postcard::to_stdvec(&(files, size, covered, dependents));
        Unlisted {
            dir: dir.clone(),
            head: head.expect("cache entries serialise"),
            tail: tail.expect("cache entries serialise"),
        }
    }

    /// The whole entry, with `listing` in its place.
    pub fn listed(self, listing: &Listing) -> Packed {
        let listing = postcard::to_stdvec(listing).expect("cache entries serialise");
        let mut bytes = self.head;
        bytes.reserve(listing.len() + self.tail.len());
        bytes.extend(listing);
        bytes.extend(self.tail);
        Packed {
            dir: self.dir,
            bytes,
        }
    }
}

#[derive(Debug)]
pub struct Cache {
    pub header: Header,
    /// Sorted by folder.
    pub plugins: Vec<CachedPlugin>,
    /// The chunk file of each bucket, by bucket.
    pub chunks: Vec<String>,
    /// The key of each registry-wide page the build made, by path.
    pub pages: Vec<(String, Sha256Digest)>,
}

/// The bucket of a plugin folder: stable across runs and machines.
pub fn bucket(dir: &str) -> usize {
    let d = crate::digest::sha256(dir.as_bytes());
    usize::from(u16::from_le_bytes([d[0], d[1]])) % BUCKETS
}

#[derive(Serialize, Deserialize)]
struct Stored {
    header: Header,
    chunks: Vec<String>,
    pages: Vec<(String, Sha256Digest)>,
}

impl Cache {
    /// Reads the cache in folder `dir`; `None` when there is none, it is
    /// unreadable, or it was written by another format or plugdex version.
    pub fn load(dir: &Path) -> Option<Cache> {
        let bytes = std::fs::read(dir.join(HEADER_FILE)).ok()?;
        let stored: Stored = postcard::from_bytes(bytes.strip_prefix(MAGIC)?).ok()?;
        let header = stored.header;
        if header.format != FORMAT
            || header.plugdex != env!("CARGO_PKG_VERSION")
            || stored.chunks.len() != BUCKETS
        {
            return None;
        }
        let parts: Option<Vec<Vec<CachedPlugin>>> = stored
            .chunks
            .par_iter()
            .map(|name| {
                let bytes = std::fs::read(dir.join(name)).ok()?;
                postcard::from_bytes(&bytes).ok()
            })
            .collect();
        let mut plugins: Vec<CachedPlugin> = parts?.into_iter().flatten().collect();
        plugins.sort_unstable_by(|a, b| a.dir.cmp(&b.dir));
        if plugins.windows(2).any(|w| w[0].dir == w[1].dir) {
            return None;
        }
        Some(Cache {
            header,
            plugins,
            chunks: stored.chunks,
            pages: stored.pages,
        })
    }

    /// Writes `plugins` (any order) into folder `dir`: the chunks of the
    /// buckets in `dirty`, or all of them when there are no `previous`
    /// chunks to keep, then the header, replacing the old one in one step;
    /// chunks no longer named are removed.
    pub fn save(
        dir: &Path,
        header: Header,
        plugins: &[CachedPlugin],
        packed: &[Packed],
        previous: Option<&[String]>,
        dirty: &std::collections::BTreeSet<usize>,
        pages: Vec<(String, Sha256Digest)>,
    ) -> std::io::Result<()> {
        if dir.is_file() {
            std::fs::remove_file(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let mut by_bucket: Vec<Vec<Entry<'_>>> = vec![Vec::new(); BUCKETS];
        for p in plugins {
            by_bucket[bucket(&p.dir)].push(Entry::Plugin(p));
        }
        for p in packed {
            by_bucket[bucket(&p.dir)].push(Entry::Packed(p));
        }
        let chunks: std::io::Result<Vec<String>> = by_bucket
            .par_iter_mut()
            .enumerate()
            .map(|(i, list)| {
                if let Some(name) = previous
                    .and_then(|p| p.get(i))
                    .filter(|_| !dirty.contains(&i))
                {
                    return Ok(name.clone());
                }
                list.sort_unstable_by(|a, b| a.dir().cmp(b.dir()));
                let bytes = chunk(list).map_err(std::io::Error::other)?;
                let name = format!(
                    "chunk-{}",
                    crate::digest::hex(&crate::digest::sha256(&bytes))
                );
                let path = dir.join(&name);
                if !path.exists() {
                    // Equal chunks (empty ones, in a small registry) share a
                    // name: each bucket writes through its own temporary file.
                    replace_file(&path, &bytes, &format!("{i}"))?;
                }
                Ok(name)
            })
            .collect();
        let chunks = chunks?;
        let stored = Stored {
            header,
            chunks,
            pages,
        };
        let mut bytes = MAGIC.to_vec();
        bytes.extend(postcard::to_stdvec(&stored).map_err(std::io::Error::other)?);
        replace_file(&dir.join(HEADER_FILE), &bytes, "")?;
        for entry in std::fs::read_dir(dir)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name != HEADER_FILE && !stored.chunks.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }
}

/// One entry of a chunk, as a struct or already encoded.
#[derive(Clone, Copy)]
enum Entry<'a> {
    Plugin(&'a CachedPlugin),
    Packed(&'a Packed),
}

impl Entry<'_> {
    fn dir(&self) -> &str {
        match self {
            Entry::Plugin(p) => &p.dir,
            Entry::Packed(p) => &p.dir,
        }
    }
}

/// A chunk's bytes: what postcard makes of the list of its entries (the
/// length, then each entry), whichever form they are held in.
fn chunk(entries: &[Entry<'_>]) -> postcard::Result<Vec<u8>> {
    let mut bytes = postcard::to_stdvec(&entries.len())?;
    for entry in entries {
        match entry {
            Entry::Plugin(p) => bytes.extend(postcard::to_stdvec(p)?),
            Entry::Packed(p) => bytes.extend_from_slice(&p.bytes),
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn plugin(dir: &str, file: &str) -> CachedPlugin {
        CachedPlugin {
            dir: dir.to_owned(),
            tree: "0".repeat(40),
            stamps: Vec::new(),
            facts: PluginFacts {
                name: dir.rsplit('/').next().unwrap().to_owned(),
                dir: dir.to_owned(),
                info_name: None,
                replacement: None,
                releases: Vec::new(),
            },
            listing: Listing::default(),
            files: vec![(file.to_owned(), [7; 32])],
            size: OutputSize::default(),
            covered: Vec::new(),
            dependents: Vec::new(),
        }
    }

    fn chunk_files(dir: &Path) -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("chunk-"))
            .collect()
    }

    #[test]
    fn a_save_rewrites_only_dirty_chunks_and_loads_back_sorted() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("build-cache");
        let header = Header::new("ctx".into(), "c1".into(), "served".into());
        let mut plugins: Vec<CachedPlugin> = (0..50)
            .map(|i| plugin(&format!("plugins/p{i:02}"), &format!("f{i}")))
            .collect();
        Cache::save(
            &dir,
            header.clone(),
            &plugins,
            &[],
            None,
            &BTreeSet::new(),
            Vec::new(),
        )
        .unwrap();
        let first = Cache::load(&dir).unwrap();
        assert_eq!(first.header, header);
        assert_eq!(first.plugins, plugins, "every plugin, sorted by folder");
        let before = chunk_files(&dir);

        // One plugin changes: only its chunk is written anew.
        plugins[7].files[0].1 = [8; 32];
        let dirty = BTreeSet::from([bucket(&plugins[7].dir)]);
        Cache::save(
            &dir,
            header.clone(),
            &plugins,
            &[],
            Some(&first.chunks),
            &dirty,
            Vec::new(),
        )
        .unwrap();
        let after = chunk_files(&dir);
        assert_eq!(before.difference(&after).count(), 1, "one chunk replaced");
        assert_eq!(after.difference(&before).count(), 1);
        assert_eq!(Cache::load(&dir).unwrap().plugins, plugins);

        // Entries held encoded are saved as the same bytes.
        let mut packed_plugins = plugins.clone();
        packed_plugins[3].listing.description = "listed last".into();
        let packed: Vec<Packed> = packed_plugins
            .iter()
            .map(|p| Unlisted::of(p).listed(&p.listing))
            .collect();
        for (p, encoded) in packed_plugins.iter().zip(&packed) {
            assert_eq!(encoded.bytes, postcard::to_stdvec(p).unwrap(), "{}", p.dir);
        }
        let mixed = d.path().join("mixed");
        let (structs, encoded) = (&packed_plugins[..20], &packed[20..]);
        Cache::save(
            &mixed,
            header.clone(),
            structs,
            encoded,
            None,
            &BTreeSet::new(),
            Vec::new(),
        )
        .unwrap();
        assert_eq!(Cache::load(&mixed).unwrap().plugins, packed_plugins);

        // Another format or a damaged chunk: not used.
        let name = after.iter().next().unwrap();
        std::fs::write(dir.join(name), b"garbage").unwrap();
        assert!(Cache::load(&dir).is_none());
    }
}
