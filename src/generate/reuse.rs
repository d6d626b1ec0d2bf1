//! Which plugins a build reads and which it carries over from the last
//! build's cache. Only a build from a commit (`--rev`) reuses anything: git
//! tree ids say, without reading a file, which plugin folders are unchanged.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::cache::{Cache, CachedPlugin};
use crate::diagnostic::Diagnostic;
use crate::source::PluginDir;
use crate::source::tree::TreeSource;

/// How far apart (in mainline commits) the cached and the new commit may be
/// for the commits between them to be walked; further apart, a full build.
const MAX_SPAN: usize = 10_000;

/// The cache folder in the output's state folder.
pub const CACHE_DIR: &str = "build-cache";

/// What a build reads, and what it takes from the cache.
pub struct Plan {
    /// The plugin folders to read, check and emit, sorted by path.
    pub load: Vec<PluginDir>,
    /// The git tree id (hex) of each folder of `load`, by folder; empty for
    /// a folder build.
    pub trees: HashMap<String, String>,
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
    /// The cache's chunk files, when it was used: the ones no plugin read
    /// or removed falls in are kept as they are.
    pub chunks: Option<Vec<String>>,
}

pub struct Save {
    pub path: PathBuf,
    pub context: String,
    pub commit: String,
}

impl Plan {
    /// Every plugin read; nothing kept (a build of a folder).
    pub fn everything(load: Vec<PluginDir>, diagnostics: Vec<Diagnostic>) -> Plan {
        Plan {
            load,
            trees: HashMap::new(),
            diagnostics,
            carried: Vec::new(),
            save: None,
            fresh_because: None,
            removed: Vec::new(),
            chunks: None,
        }
    }

    /// The plugin folders to read, as a set.
    pub fn load_set(&self) -> BTreeSet<String> {
        self.load.iter().map(|d| d.rel.clone()).collect()
    }
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
    let cached = match (fresh, path.as_deref().map(Cache::load)) {
        (Some(why), _) => Err(why),
        (None, None | Some(None)) => Err("no build cache"),
        (None, Some(Some(c))) if c.header.context != context => Err(
            "registry-wide inputs changed (registry.toml, trust lists, base URL or history depth)",
        ),
        (None, Some(Some(c)))
            if crate::write::served_key(out).as_deref() != Some(c.header.served.as_str()) =>
        {
            Err("the output folder is not the one the cache describes")
        }
        (None, Some(Some(c))) => match c
            .header
            .commit
            .parse()
            .ok()
            .and_then(|from| source.touched_since(from, MAX_SPAN))
        {
            Some(touched) => Ok((c, touched)),
            None => Err("the cached commit is not on this commit's line of history"),
        },
    };
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
                .map(|(d, id)| (d.rel.clone(), id.to_string()))
                .collect();
            return Plan {
                load: dirs.into_iter().map(|(d, _)| d).collect(),
                trees,
                diagnostics,
                carried: Vec::new(),
                save,
                fresh_because: Some(why),
                removed: Vec::new(),
                chunks: None,
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
                trees.insert(dir.rel.clone(), tree);
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
        chunks: Some(cache.chunks),
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
