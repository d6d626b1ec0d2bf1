//! Emitters: pure functions from the validated
//! [`Registry`](crate::model::Registry) to output files. Nothing here
//! touches the disk; `build` hands the files to the writer.
//! Per-plugin files come from [`plugin`] (run in parallel); files that span
//! the registry from [`registry`], which reads each plugin's [`Listing`] only.

mod api;
pub mod host;
mod listing;
mod names;
pub mod schemas;
pub mod search;

pub use listing::{Listing, RECENT_RELEASES, RecentRelease};

use crate::digest::Sha256;
use crate::format::published::{self, Deprecated, IndexLine, IndexPlatform, Signer};
use crate::format::types::{Artifact, Channel, RegistryConfig};
use crate::model::{Plugin, RegistryMeta, Release};
use crate::timestamp::rfc3339;
use crate::trust::keys::RawKey;
use crate::trust::metadata;

/// One output file, by path relative to the output root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl OutFile {
    fn json<T: serde::Serialize>(path: String, value: &T) -> OutFile {
        let mut bytes = serde_json::to_vec(value).expect("output types serialise");
        bytes.push(b'\n');
        OutFile { path, bytes }
    }
}

/// What the emitters need beyond the registry.
#[derive(Debug, Clone)]
pub struct Context {
    /// The URL the output is served from, ending with `/` (registry.toml's
    /// `base_url`, or `build --base-url`).
    pub base_url: String,
}

impl Context {
    /// The download URL of a release's single artifact (`None` for a release
    /// with only `[[platforms]]`).
    pub fn download_url(&self, release: &Release) -> Option<String> {
        release
            .parsed
            .manifest
            .artifact
            .as_ref()
            .map(|a| self.artifact_url(a))
    }

    /// The download URL of an artifact: its external URL, or the
    /// content-addressed copy of a self-hosted artifact.
    pub fn artifact_url(&self, art: &Artifact<Sha256>) -> String {
        if art.is_self_hosted() {
            format!("{}{}", self.base_url, artifact_url_path(art))
        } else {
            art.url.clone()
        }
    }
}

/// Which optional documents the output has: `registry.toml`'s `[output]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// One API document per version, `api/v1/plugins/{name}/versions/{version}.json`.
    pub version_documents: bool,
}

impl Shape {
    pub fn of(config: &RegistryConfig) -> Shape {
        let output = config.output.clone().unwrap_or_default();
        Shape {
            version_documents: output.version_documents,
        }
    }
}

/// Output path of a self-hosted artifact: `artifacts/{sha256}/{filename}`.
pub fn artifact_path(art: &Artifact<Sha256>) -> String {
    format!(
        "{}{}/{}",
        published::ARTIFACTS_DIR,
        art.sha256,
        art.file_name()
    )
}

fn artifact_url_path(art: &Artifact<Sha256>) -> String {
    let name = percent_encoding::utf8_percent_encode(art.file_name(), URL_SEGMENT);
    format!("{}{}/{name}", published::ARTIFACTS_DIR, art.sha256)
}

/// Characters escaped in one URL path segment.
const URL_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'$')
    .add(b';')
    .add(b'\\')
    .add(b'\'');

/// Path of a plugin's sparse index file, e.g. `index/he/ll/hello-world`.
pub fn index_file(plugin: &Plugin) -> String {
    format!("{}{}", published::INDEX_DIR, plugin.name.index_path())
}

/// The sparse index line of one release. Its signed facts come from
/// [`crate::manifest::ParsedVersion::signed_fields`], the same function
/// `check` verified the signature with.
pub fn index_line(plugin: &Plugin, release: &Release, cx: &Context) -> IndexLine {
    let m = &release.parsed.manifest;
    let deprecated = m
        .deprecated
        .as_ref()
        .or(plugin.info.manifest.deprecated.as_ref());
    let facts = release.parsed.signed_fields();
    let platforms: Vec<IndexPlatform> = m
        .platforms
        .iter()
        .map(|p| IndexPlatform {
            os: p.os,
            arch: p.arch,
            sha256: p.artifact.sha256,
            size: p.artifact.size,
            dl: cx.artifact_url(&p.artifact),
        })
        .collect();
    IndexLine {
        // A line with platforms is v2: clients reading only v1 skip it.
        v: if platforms.is_empty() {
            published::INDEX_V
        } else {
            published::INDEX_V_PLATFORMS
        },
        name: plugin.name.to_string(),
        vers: release.version().to_string(),
        sha256: m.artifact.as_ref().map(|a| a.sha256),
        size: m.artifact.as_ref().map(|a| a.size),
        dl: cx.download_url(release),
        platforms,
        engine: facts.engine,
        deps: facts.deps,
        permissions: facts.permissions,
        runtime: facts.runtime,
        entry: facts.entry,
        channel: facts.channel,
        caps: facts.caps,
        yanked: m.yanked.clone(),
        deprecated: deprecated.map(Deprecated::from),
        pubtime: rfc3339(release.pubtime),
        tier: release.trust.tier,
        sig: release
            .trust
            .signer
            .as_ref()
            .and(m.signature.as_ref())
            .map(|s| s.trim().to_owned()),
        signer: release
            .trust
            .signer
            .as_deref()
            .map(|k| Signer::Key(RawKey::from(k))),
        revoked: release.trust.revoked.clone(),
    }
}

/// The highest non-yanked release on `channel`.
pub fn latest(plugin: &Plugin, channel: Channel) -> Option<&Release> {
    plugin
        .releases
        .iter()
        .rev()
        .find(|r| !r.is_yanked() && r.parsed.manifest.channel == channel)
}

/// Latest stable, else latest beta.
pub fn latest_any(plugin: &Plugin) -> Option<&Release> {
    latest(plugin, Channel::Stable).or_else(|| latest(plugin, Channel::Beta))
}

/// Whether clients verify `path` through the signed snapshot: everything
/// they read (config, root, names, revocations, the sparse index, the
/// search bundle). The API
/// and pages (the search page beside the bundle included) are for
/// browsers; artifacts are pinned by the index lines.
pub fn is_covered(path: &str) -> bool {
    path == published::CONFIG_PATH
        || path == metadata::ROOT_PATH
        || path == published::REVOCATIONS_PATH
        || path == published::NAMES_PATH
        || path.starts_with("names/")
        || path.starts_with(published::INDEX_DIR)
        || search::is_bundle(path)
}

/// Every file that depends on one plugin only: its sparse index file and its
/// API documents (those `shape` asks for).
pub fn plugin(plugin: &Plugin, cx: &Context, shape: Shape) -> Vec<OutFile> {
    let lines: Vec<IndexLine> = plugin
        .releases
        .iter()
        .map(|r| index_line(plugin, r, cx))
        .collect();
    let mut index = Vec::with_capacity(lines.len() * 400);
    for line in &lines {
        serde_json::to_writer(&mut index, line).expect("output types serialise");
        index.push(b'\n');
    }
    let mut files = vec![OutFile {
        path: index_file(plugin),
        bytes: index,
    }];
    api::plugin(plugin, lines, shape, &mut files);
    files
}

/// Files that span the registry: `config.json`, `root.json`,
/// `revocations.json`, the names list, the plugin list pages, the host
/// configuration, the JSON Schemas (`schemas/v1/`), and the search bundles `search` when given (made by
/// [`search::bundle`] and [`search::browser_bundle`]; `config.json` names them). `listings` are sorted by
/// canonical name, as [`crate::model::Registry::plugins`] is.
pub fn registry(
    reg: &RegistryMeta,
    listings: &[&Listing],
    cx: &Context,
    search: Option<search::Bundles>,
) -> Vec<OutFile> {
    let shape = Shape::of(&reg.config);
    let mut files = vec![OutFile::json(
        published::CONFIG_PATH.to_owned(),
        &published::Config {
            v: published::CONFIG_V,
            id: reg.config.id.clone(),
            title: reg.config.title.clone(),
            description: reg.config.description.clone(),
            engine: reg.config.engine.clone(),
            base_url: cx.base_url.clone(),
            dl: format!(
                "{}{}{{sha256}}/{{filename}}",
                cx.base_url,
                published::ARTIFACTS_DIR
            ),
            index: published::INDEX_DIR.to_owned(),
            names: published::NAMES_PATH.to_owned(),
            api: published::API_DIR.to_owned(),
            keys: reg
                .keys
                .as_ref()
                .map(|k| k.root.iter().map(RawKey::from).collect())
                .unwrap_or_default(),
            threshold: reg.keys.as_ref().map(|k| k.threshold),
            root: metadata::ROOT_PATH.to_owned(),
            timestamp: metadata::TIMESTAMP_PATH.to_owned(),
            search: search.as_ref().map(search::config_entry),
            version_documents: shape.version_documents,
        },
    )];
    if let Some(bundles) = search {
        files.push(bundles.full);
        files.extend(bundles.browser);
    }
    if let Some(keys) = &reg.keys {
        files.push(OutFile {
            path: metadata::ROOT_PATH.to_owned(),
            bytes: metadata::root_document(
                &reg.config.id,
                &keys.root,
                keys.threshold,
                &keys.online,
                &keys.delegation,
            ),
        });
    }
    files.push(OutFile::json(
        published::REVOCATIONS_PATH.to_owned(),
        &published::Revocations {
            v: published::API_V,
            keys: reg
                .revoked_keys
                .iter()
                .map(|(key, reason)| published::RevokedKey {
                    key: RawKey::from(key),
                    reason: reason.clone(),
                })
                .collect(),
            releases: reg.revocations.releases.clone(),
            removed: reg.revocations.removed.clone(),
        },
    ));
    // The three lists of every plugin are independent: one per core.
    let ((names, list), host) = rayon::join(
        || {
            rayon::join(
                || {
                    let mut f = Vec::new();
                    names::emit(listings, &mut f);
                    f
                },
                || {
                    let mut f = Vec::new();
                    api::plugin_list(listings, &mut f);
                    f
                },
            )
        },
        || {
            let mut f = Vec::new();
            host::emit(listings, shape, &mut f);
            f
        },
    );
    files.extend(names);
    files.extend(list);
    files.extend(host);
    schemas::emit(cx, &mut files);
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::published::SignedFields;
    use crate::model::Registry;

    #[test]
    fn the_snapshot_covers_the_search_bundle_but_not_the_search_page_beside_it() {
        let bundle = format!("search/{}.tantivy", "ab".repeat(32));
        assert!(is_covered(&bundle));
        for page in [
            "search/index.html",
            "search/plugdex-search.8c2d0fc1f683f7ef.js",
            "search/x/y.tantivy",
            "searchy.tantivy",
        ] {
            assert!(!is_covered(page), "{page}");
        }
        // The browser's bundle: no client reads it.
        let browser = format!("{}{}.tantivy", search::BROWSER_DIR, "ab".repeat(32));
        assert!(!is_covered(&browser));
    }

    const ALL: Shape = Shape {
        version_documents: true,
    };

    /// The example index, checked: the model every emitter reads.
    fn example() -> Registry {
        let index = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
        let checked = crate::check::check_index(&index).expect("the example index reads");
        checked.registry.expect("the example index is valid")
    }

    #[test]
    fn a_plugins_index_file_is_one_line_per_release_that_clients_verify_as_signed() {
        let reg = example();
        let cx = Context {
            base_url: "https://r.example/".into(),
        };
        for plugin in &reg.plugins {
            let files = super::plugin(plugin, &cx, ALL);
            assert_eq!(
                files,
                super::plugin(plugin, &cx, ALL),
                "emit is deterministic"
            );
            let index = files
                .iter()
                .find(|f| f.path == index_file(plugin))
                .expect("the plugin's index file");
            let text = std::str::from_utf8(&index.bytes).expect("UTF-8");
            let lines: Vec<IndexLine> = text
                .lines()
                .map(|l| serde_json::from_str(l).expect("an index line"))
                .collect();
            assert_eq!(lines.len(), plugin.releases.len(), "{}", plugin.name);
            for (line, release) in lines.iter().zip(&plugin.releases) {
                assert_eq!(line.vers, release.version().to_string());
                // The client rebuilds the signed fields from the line: they
                // must be the ones the author signed in the manifest.
                assert_eq!(SignedFields::of_line(line), release.parsed.signed_fields());
                assert_eq!(line.pubtime, rfc3339(release.pubtime));
                assert_eq!(line.dl, cx.download_url(release));
                let single = release.parsed.manifest.artifact.as_ref();
                if single.is_some_and(|a| a.is_self_hosted()) {
                    let dl = line.dl.as_deref().unwrap_or_default();
                    assert!(dl.starts_with("https://r.example/artifacts/"), "{dl}");
                }
                assert_eq!(line.sig.is_some(), line.signer.is_some());
            }
            for file in &files {
                assert_eq!(
                    is_covered(&file.path),
                    file.path == index.path,
                    "only the index file of a plugin's files is in the snapshot: {}",
                    file.path
                );
            }
        }
    }
}
