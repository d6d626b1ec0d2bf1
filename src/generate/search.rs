//! The search step of `build`: the bundle from every plugin's searchable
//! facts and the downloads of `--stats`, taken from the previous build
//! (kept in the output's state folder) when none of that changed, since
//! indexing is the one registry-wide cost that grows with every plugin's text.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::BuildError;
use crate::digest;
use crate::emit::{self, Listing, OutFile};
use crate::format::name::canonical;
use crate::search::SearchDoc;
use crate::search::bundle::BUNDLE_V;

/// Downloads per plugin (canonical name), from `build --stats FILE`.
#[derive(Clone, Debug, Default)]
pub struct Stats(HashMap<String, u64>);

#[derive(Deserialize)]
struct StatsEntry {
    #[serde(default)]
    downloads: u64,
}

impl Stats {
    /// Reads FILE: JSON `{"<plugin name>": {"downloads": N, …}, …}`, other
    /// keys ignored (the shape of Obsidian's community-plugin-stats.json).
    pub fn load(path: &Path) -> Result<Stats, BuildError> {
        let bad = |why: String| BuildError::Stats {
            path: path.to_owned(),
            why,
        };
        let text = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let entries: HashMap<String, StatsEntry> =
            serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
        Ok(Stats(
            entries
                .into_iter()
                .map(|(name, e)| (canonical(&name), e.downloads))
                .collect(),
        ))
    }

    /// Downloads by canonical name.
    pub fn by_name(&self) -> &HashMap<String, u64> {
        &self.0
    }

    fn downloads(&self, name: &str) -> u64 {
        self.0.get(&canonical(name)).copied().unwrap_or(0)
    }
}

/// The bundle for `listings` (sorted by canonical name).
pub fn bundle(
    listings: &[&Listing],
    stats: &Stats,
    state: Option<&Path>,
) -> Result<OutFile, BuildError> {
    let docs: Vec<SearchDoc> = listings
        .iter()
        .map(|l| SearchDoc {
            downloads: stats.downloads(&l.name),
            ..l.search.clone()
        })
        .collect();
    let mut keyed = format!(
        "plugdex search bundle v{BUNDLE_V} {}\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes();
    serde_json::to_writer(&mut keyed, &docs).expect("search docs serialise");
    let key = digest::hex(&digest::sha256(&keyed));
    let kept = state.map(Kept::at);
    if let Some(file) = kept.as_ref().and_then(|k| k.read(&key)) {
        return Ok(file);
    }
    let file = emit::search::bundle(&docs).map_err(|e| BuildError::Search(e.to_string()))?;
    if let Some(kept) = kept {
        // Without it the next build indexes again, which is all a failure costs.
        let _ = kept.write(&key, &file);
    }
    Ok(file)
}

/// The previous bundle and the key of what it was built from.
struct Kept {
    key: PathBuf,
    bytes: PathBuf,
}

impl Kept {
    fn at(state: &Path) -> Kept {
        Kept {
            key: state.join("search-key"),
            bytes: state.join("search.tantivy"),
        }
    }

    fn read(&self, key: &str) -> Option<OutFile> {
        let kept = std::fs::read_to_string(&self.key).ok()?;
        let (kept_key, path) = kept.trim_end().split_once(' ')?;
        if kept_key != key {
            return None;
        }
        let bytes = std::fs::read(&self.bytes).ok()?;
        // A damaged copy is rebuilt, not published.
        let name = format!(
            "{}{}.tantivy",
            emit::search::SEARCH_DIR,
            digest::hex(&digest::sha256(&bytes))
        );
        (name == path).then_some(OutFile { path: name, bytes })
    }

    fn write(&self, key: &str, file: &OutFile) -> std::io::Result<()> {
        let tmp = self.bytes.with_extension("tmp");
        std::fs::write(&tmp, &file.bytes)?;
        std::fs::rename(&tmp, &self.bytes)?;
        std::fs::write(&self.key, format!("{key} {}\n", file.path))
    }
}
