//! A plugin's searchable facts ([`SearchDoc`]) and the search bundle file,
//! `search/{sha256}.tantivy` (content-addressed: a new bundle is a new name,
//! so hosts may cache it forever). The bundle itself is [`crate::search`]'s.

use super::{OutFile, latest_any};
use crate::format::published;
use crate::model::Plugin;
use crate::search::indexer::Indexing;
use crate::search::schema::{SearchDoc, readme_text};
use crate::search::{BundleError, indexer};

/// Folder of the bundle, relative to the root.
pub const SEARCH_DIR: &str = "search/";

fn lowercase<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// What search indexes of `plugin` (its releases dated already). Downloads
/// are not the plugin's: `build --stats` fills them in.
pub fn doc(plugin: &Plugin) -> SearchDoc {
    let m = &plugin.info.manifest;
    let latest = latest_any(plugin);
    let mut people = m.authors.clone();
    people.extend(m.owners.iter().map(|o| o.github.clone()));
    let (capabilities, runtime, channel, permissions) = match latest {
        Some(r) => {
            let v = &r.parsed.manifest;
            (
                v.capabilities
                    .iter()
                    .map(|c| format!("{} {}", c.name.replace(['-', '_'], " "), c.description))
                    .collect(),
                Some(lowercase(&v.runtime)),
                Some(lowercase(&v.channel)),
                v.permissions.iter().map(lowercase).collect(),
            )
        }
        None => (Vec::new(), None, None, Vec::new()),
    };
    let mut engines: Vec<String> = plugin
        .releases
        .iter()
        .filter(|r| !r.is_yanked())
        .map(|r| r.parsed.manifest.engine.clone())
        .collect();
    engines.sort();
    engines.dedup();
    SearchDoc {
        name: plugin.name.to_string(),
        version: latest.map(|r| r.version().to_string()),
        description: m.description.clone(),
        tags: m.tags.clone(),
        people,
        capabilities,
        readme: plugin
            .readme
            .as_deref()
            .map(readme_text)
            .unwrap_or_default(),
        tier: latest.map(|r| r.trust.tier),
        runtime,
        channel,
        permissions,
        engines,
        created: plugin.releases.iter().map(|r| r.pubtime).min().unwrap_or(0),
        updated: plugin.releases.iter().map(|r| r.pubtime).max().unwrap_or(0),
        downloads: 0,
        deprecated: m.deprecated.is_some(),
    }
}

/// Whether `path` is a search bundle (the site's search page and scripts
/// live in the same folder, and are for browsers only).
pub fn is_bundle(path: &str) -> bool {
    path.strip_prefix(SEARCH_DIR)
        .and_then(|name| name.strip_suffix(".tantivy"))
        .is_some_and(|stem| !stem.contains('/'))
}

/// The search bundles a build writes: the full one, and the browser's
/// smaller one when the full one is over `[output]
/// browser_search_bundle_over`.
#[derive(Debug, Clone)]
pub struct Bundles {
    pub full: OutFile,
    pub browser: Option<OutFile>,
}

/// Folder of the browser's bundle: below [`SEARCH_DIR`], so the snapshot
/// does not cover it ([`is_bundle`]): no client reads it.
pub const BROWSER_DIR: &str = "search/browser/";

/// The bundle of `docs` (sorted by canonical name), at its content address.
pub fn bundle(docs: &[SearchDoc]) -> Result<OutFile, BundleError> {
    bundle_with(docs.iter(), Indexing::AS_IS.downloads, false)
}

/// The browser's bundle of `docs`: the same schema and ranking, so the same
/// engine reads it, but without README text, the largest part of a bundle
/// (docs/search.md, "At 100,000 plugins").
pub fn browser_bundle(docs: &[SearchDoc]) -> Result<OutFile, BundleError> {
    bundle_with(docs.iter(), Indexing::AS_IS.downloads, true)
}

/// [`bundle`], or for the `browser` [`browser_bundle`], over borrowed
/// documents with their `downloads`.
pub fn bundle_with<'d>(
    docs: impl Iterator<Item = &'d SearchDoc> + Clone,
    downloads: &dyn Fn(&SearchDoc) -> u64,
    browser: bool,
) -> Result<OutFile, BundleError> {
    let how = Indexing {
        downloads,
        readme: !browser,
    };
    let dir = if browser { BROWSER_DIR } else { SEARCH_DIR };
    Ok(addressed(dir, indexer::build_with(docs, how)?))
}

/// `{dir}{sha256 of bytes}.tantivy`.
fn addressed(dir: &str, bytes: Vec<u8>) -> OutFile {
    let path = format!(
        "{dir}{}.tantivy",
        crate::digest::hex(&crate::digest::sha256(&bytes))
    );
    OutFile { path, bytes }
}

/// `config.json`'s `search`: where the bundles are and their format.
pub fn config_entry(bundles: &Bundles) -> published::SearchConfig {
    published::SearchConfig {
        v: crate::search::bundle::BUNDLE_V,
        bundle: bundles.full.path.clone(),
        browser: bundles.browser.as_ref().map(|b| b.path.clone()),
    }
}
