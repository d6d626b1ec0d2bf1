//! Emitters: pure functions from the validated
//! [`Registry`](crate::model::Registry) to output files. Nothing here
//! touches the disk; `build` hands the files to the writer.
//! Per-plugin files come from [`plugin`] (run in parallel); files that span
//! the registry from [`registry`], which reads each plugin's [`Listing`] only.

mod api;
pub mod host;
mod listing;
mod names;

pub use listing::Listing;

use crate::format::published::{self, Deprecated, IndexLine};
use crate::format::types::Channel;
use crate::model::{Plugin, RegistryMeta, Release};
use crate::timestamp::rfc3339;
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
    /// The download URL of a release: its external URL, or the content-addressed
    /// copy of a self-hosted artifact.
    pub fn download_url(&self, release: &Release) -> String {
        let art = &release.parsed.manifest.artifact;
        if art.is_self_hosted() {
            format!("{}{}", self.base_url, artifact_url_path(release))
        } else {
            art.url.clone()
        }
    }
}

/// Output path of a self-hosted artifact: `artifacts/{sha256}/{filename}`.
pub fn artifact_path(release: &Release) -> String {
    let art = &release.parsed.manifest.artifact;
    format!(
        "{}{}/{}",
        published::ARTIFACTS_DIR,
        art.sha256,
        art.file_name()
    )
}

fn artifact_url_path(release: &Release) -> String {
    let art = &release.parsed.manifest.artifact;
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
/// [`SignedFields::of`], the same function `check` verified the signature with.
pub fn index_line(plugin: &Plugin, release: &Release, cx: &Context) -> IndexLine {
    let m = &release.parsed.manifest;
    let deprecated = m
        .deprecated
        .as_ref()
        .or(plugin.info.manifest.deprecated.as_ref());
    let facts = release.parsed.signed_fields();
    IndexLine {
        v: published::INDEX_V,
        name: plugin.name.to_string(),
        vers: release.version().to_string(),
        sha256: m.artifact.sha256.clone(),
        size: m.artifact.size,
        dl: cx.download_url(release),
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
        signer: release.trust.signer.as_ref().map(|k| k.to_raw_base64()),
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
/// they read (config, root, names, revocations, the sparse index). The API
/// and pages are for browsers; artifacts are pinned by the index lines.
pub fn is_covered(path: &str) -> bool {
    path == published::CONFIG_PATH
        || path == metadata::ROOT_PATH
        || path == published::REVOCATIONS_PATH
        || path == published::NAMES_PATH
        || path.starts_with("names/")
        || path.starts_with(published::INDEX_DIR)
}

/// Every file that depends on one plugin only: its sparse index file and its API documents.
pub fn plugin(plugin: &Plugin, cx: &Context) -> Vec<OutFile> {
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
    api::plugin(plugin, lines, &mut files);
    files
}

/// Files that span the registry: `config.json`, `root.json`,
/// `revocations.json`, the names list, the plugin list pages and the host
/// configuration. `listings` are sorted by canonical name, as
/// [`crate::model::Registry::plugins`] is.
pub fn registry(reg: &RegistryMeta, listings: &[&Listing], cx: &Context) -> Vec<OutFile> {
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
                .map(|k| k.root.iter().map(|k| k.to_raw_base64()).collect())
                .unwrap_or_default(),
            threshold: reg.keys.as_ref().map(|k| k.threshold),
            root: metadata::ROOT_PATH.to_owned(),
            timestamp: metadata::TIMESTAMP_PATH.to_owned(),
        },
    )];
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
                .revocations
                .keys
                .iter()
                .map(|k| published::RevokedKey {
                    key: crate::trust::keys::PublicKey::parse(&k.key)
                        .map(|k| k.to_raw_base64())
                        .unwrap_or_else(|_| k.key.clone()),
                    reason: k.reason.clone(),
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
            host::emit(listings, &mut f);
            f
        },
    );
    files.extend(names);
    files.extend(list);
    files.extend(host);
    files
}
