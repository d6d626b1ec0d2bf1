//! The search step of `build`: the bundle from every plugin's searchable
//! facts and the downloads of `--stats`, taken from the previous build
//! (kept in the output's state folder) when none of that changed, since
//! indexing is the one registry-wide cost that grows with every plugin's text.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::BuildError;
use crate::digest;
use crate::emit::search::Bundles;
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

/// The bundles for `listings` (sorted by canonical name): the full one,
/// and the browser's when the full one is over `browser_over` bytes
/// (`[output] browser_search_bundle_over`).
pub fn bundles(
    listings: &[&Listing],
    stats: &Stats,
    browser_over: u64,
    state: Option<&Path>,
) -> Result<Bundles, BuildError> {
    let docs = listings.iter().map(|l| &l.search);
    let downloads = |d: &SearchDoc| stats.downloads(&d.name);
    // The key hashes what the bundle is made of as it is written out: the
    // documents are neither copied nor serialised whole.
    let mut keyed = digest::Sha256Writer::default();
    writeln!(
        keyed,
        "plugdex search bundle v{BUNDLE_V} {}",
        env!("CARGO_PKG_VERSION")
    )
    .expect("hashing does not fail");
    for doc in docs.clone() {
        serde_json::to_writer(&mut keyed, doc).expect("search docs serialise");
        writeln!(keyed, "\t{}", downloads(doc)).expect("hashing does not fail");
    }
    let key = digest::hex(&keyed.finish());
    let kept = state.map(Kept::at);
    let previous = kept.as_ref().and_then(|k| k.read(&key));
    let failed = |e: crate::search::BundleError| BuildError::Search(e.to_string());
    let (full, kept_browser, mut changed) = match previous {
        Some(p) => (p.full, p.browser, false),
        None => (
            emit::search::bundle_with(docs.clone(), &downloads, false).map_err(failed)?,
            None,
            true,
        ),
    };
    // The browser's depends on the same documents: the key covers it too.
    let browser = if full.bytes.len() as u64 > browser_over {
        match kept_browser {
            Some(b) => Some(b),
            None => {
                changed = true;
                Some(emit::search::bundle_with(docs, &downloads, true).map_err(failed)?)
            }
        }
    } else {
        changed |= kept_browser.is_some();
        None
    };
    let bundles = Bundles { full, browser };
    if let Some(kept) = kept.filter(|_| changed) {
        // Without it the next build indexes again, which is all a failure costs.
        let _ = kept.write(&key, &bundles);
    }
    Ok(bundles)
}

/// The previous build's bundles and the key of what they were built from:
/// `search-key` holds `{key} {bundle path}[ {browser bundle path}]`.
struct Kept {
    key: PathBuf,
    bytes: PathBuf,
    browser: PathBuf,
}

impl Kept {
    fn at(state: &Path) -> Kept {
        Kept {
            key: state.join("search-key"),
            bytes: state.join("search.tantivy"),
            browser: state.join("search-browser.tantivy"),
        }
    }

    /// The kept bundles when they were built from `key`; the browser's is
    /// `None` when there was none or it is damaged (then it is rebuilt).
    fn read(&self, key: &str) -> Option<Bundles> {
        let kept = std::fs::read_to_string(&self.key).ok()?;
        let mut fields = kept.split_whitespace();
        if fields.next()? != key {
            return None;
        }
        let full = Self::file(&self.bytes, emit::search::SEARCH_DIR, fields.next()?)?;
        let browser = fields
            .next()
            .and_then(|path| Self::file(&self.browser, emit::search::BROWSER_DIR, path));
        Some(Bundles { full, browser })
    }

    /// The bundle kept at `at`, when its content is still the one named `path`.
    fn file(at: &Path, dir: &str, path: &str) -> Option<OutFile> {
        let bytes = std::fs::read(at).ok()?;
        // A damaged copy is rebuilt, not published.
        let name = format!("{dir}{}.tantivy", digest::hex(&digest::sha256(&bytes)));
        (name == path).then_some(OutFile { path: name, bytes })
    }

    fn write(&self, key: &str, bundles: &Bundles) -> std::io::Result<()> {
        let put = |at: &Path, file: &OutFile| -> std::io::Result<()> {
            let tmp = at.with_extension("tmp");
            std::fs::write(&tmp, &file.bytes)?;
            std::fs::rename(&tmp, at)
        };
        put(&self.bytes, &bundles.full)?;
        let mut line = format!("{key} {}", bundles.full.path);
        match &bundles.browser {
            Some(browser) => {
                put(&self.browser, browser)?;
                line.push(' ');
                line.push_str(&browser.path);
            }
            None => {
                let _ = std::fs::remove_file(&self.browser);
            }
        }
        line.push('\n');
        std::fs::write(&self.key, line)
    }
}
