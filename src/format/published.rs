//! The published formats: what `build` writes and what clients read. Each
//! document carries its format version in `v`; readers ignore keys they do
//! not know, so adding a key is not a breaking change, and a change that
//! would break a reader bumps `v` (see docs/output-format.md).

use serde::{Deserialize, Serialize};

use crate::format::types::{Capability, Channel, Deprecation, Permission, Runtime, Yanked};

/// Version of `config.json`.
pub const CONFIG_V: u32 = 1;
/// Version of a sparse index line.
pub const INDEX_V: u32 = 1;
/// Version of the static API documents and the names list.
pub const API_V: u32 = 1;

/// Where things are, relative to the registry's root.
pub const CONFIG_PATH: &str = "config.json";
pub const INDEX_DIR: &str = "index/";
pub const API_DIR: &str = "api/v1/";
pub const NAMES_PATH: &str = "names.json";
pub const ARTIFACTS_DIR: &str = "artifacts/";
pub const REVOCATIONS_PATH: &str = "revocations.json";

/// `config.json`: the first file a client reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub v: u32,
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The host application whose versions `engine` requirements refer to.
    pub engine: String,
    pub base_url: String,
    /// Download URL template of self-hosted artifacts, with `{sha256}` and
    /// `{filename}` placeholders. Every index line also carries its resolved `dl`.
    pub dl: String,
    /// Folder of the sparse index, relative to this file.
    pub index: String,
    /// The names list, relative to this file.
    pub names: String,
    /// Root of the static API, relative to this file.
    pub api: String,
    /// The registry's root public keys, raw base64 (empty while the registry is unsigned).
    #[serde(default)]
    pub keys: Vec<String>,
    /// How many root keys must sign the delegation in `root.json`.
    #[serde(default)]
    pub threshold: Option<u32>,
    /// `root.json` (absent while unsigned) and `timestamp.json`, relative to this file.
    pub root: String,
    pub timestamp: String,
    /// The search bundle; absent from registries built before search (and
    /// from builds without the `search` feature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchConfig>,
    /// Whether the API has one document per version
    /// (`plugins/{name}/versions/{version}.json`). Written only when `false`
    /// (`[output] version_documents = false`); absent means they exist.
    #[serde(default = "present", skip_serializing_if = "is_present")]
    pub version_documents: bool,
}

fn present() -> bool {
    true
}

fn is_present(value: &bool) -> bool {
    *value
}

/// `config.json`'s `search`: the search bundle, covered by the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// The bundle's format version (a reader refuses a newer one).
    pub v: u32,
    /// Path of the bundle relative to `config.json`: `search/{sha256}.tantivy`.
    pub bundle: String,
}

/// `revocations.json`: keys and releases clients must not install.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revocations {
    pub v: u32,
    pub keys: Vec<RevokedKey>,
    pub releases: Vec<crate::format::types::RevokedRelease>,
    /// Plugins a maintainer removed from the index; their names stay taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<crate::format::types::RemovedPlugin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevokedKey {
    /// Raw base64.
    pub key: String,
    pub reason: String,
}

/// One line of a sparse index file: one version of one plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexLine {
    pub v: u32,
    pub name: String,
    pub vers: String,
    pub sha256: String,
    pub size: u64,
    /// Resolved download URL.
    pub dl: String,
    /// SemVer requirement on the host engine.
    pub engine: String,
    #[serde(default)]
    pub deps: Vec<IndexDep>,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    pub runtime: Runtime,
    pub entry: String,
    pub channel: Channel,
    /// What the plugin offers the host; omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<Capability>,
    /// `false` or the reason.
    pub yanked: Yanked,
    /// The version's deprecation, or else the plugin's; `null` when neither.
    pub deprecated: Option<Deprecated>,
    /// RFC 3339, UTC.
    pub pubtime: String,
    /// How far a client may trust this release.
    pub tier: Tier,
    /// The author's signature over the release statement, as written in the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
    /// The owner key that `sig` verifies under: raw base64 ed25519.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// Why this release must not be installed (revocation list or revoked key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

/// The trust tier of a release. `untrusted` releases (failing verification)
/// are never published, so they have no variant here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Signed by an owner key and reviewed by the registry's maintainers.
    Verified,
    /// Signed by an owner key; every check passes.
    Community,
    /// Valid but unsigned.
    Experimental,
}

/// The fields of a release that its author signs (through their digest in the
/// release statement), in a fixed field order. Built from the manifest by
/// `check` and from the index line by clients; both give the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignedFields {
    pub engine: String,
    pub deps: Vec<IndexDep>,
    pub permissions: Vec<Permission>,
    pub runtime: Runtime,
    pub entry: String,
    pub channel: Channel,
    pub caps: Vec<Capability>,
}

impl SignedFields {
    pub fn of_line(line: &IndexLine) -> SignedFields {
        SignedFields {
            engine: line.engine.clone(),
            deps: line.deps.clone(),
            permissions: line.permissions.clone(),
            runtime: line.runtime,
            entry: line.entry.clone(),
            channel: line.channel,
            caps: line.caps.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexDep {
    pub name: String,
    pub req: String,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deprecated {
    pub message: String,
    pub replacement: Option<String>,
}

impl From<&Deprecation> for Deprecated {
    fn from(d: &Deprecation) -> Deprecated {
        Deprecated {
            message: d.message().to_owned(),
            replacement: d.replacement().map(str::to_owned),
        }
    }
}

/// `api/v1/plugins/{name}.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginDoc {
    pub v: u32,
    pub name: String,
    pub description: String,
    pub license: String,
    pub tags: Vec<String>,
    pub homepage: Option<String>,
    pub repository: Option<String>,
    pub authors: Vec<String>,
    /// GitHub logins of the owners.
    pub owners: Vec<String>,
    pub deprecated: Option<Deprecated>,
    pub latest: Latest,
    /// Oldest first.
    pub versions: Vec<VersionSummary>,
    /// The plugin's README, Markdown as written.
    pub readme: Option<String>,
    pub links: PluginLinks,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latest {
    /// Highest non-yanked version on the stable channel.
    pub stable: Option<String>,
    /// Highest non-yanked version on the beta channel.
    pub beta: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionSummary {
    pub vers: String,
    pub channel: Channel,
    pub yanked: bool,
    pub deprecated: bool,
    pub pubtime: String,
    pub tier: Tier,
    /// Present when the release must not be installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

/// Paths relative to the registry root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginLinks {
    pub index: String,
    pub versions: String,
    /// Redirects to the latest stable artifact; absent without one.
    pub download: Option<String>,
    /// The plugin's audit trail (added in API v1 without a version bump: optional for readers).
    #[serde(default)]
    pub audit: String,
}

/// `api/v1/plugins/{name}/audit.json`: who changed what, when, from the
/// index repo's git history (first-parent, oldest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditDoc {
    pub v: u32,
    pub name: String,
    pub events: Vec<AuditEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// RFC 3339, UTC.
    pub time: String,
    /// `register`, `publish`, `yank`, `unyank`, `deprecate`, `undeprecate`,
    /// `sign`, `resign`, `delete`, `owners`, `deprecate-plugin`, `undeprecate-plugin`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The yank reason, the deprecation message, or the owners' change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The commit's full id; absent for files no commit added (the fallback rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The commit's author name, as git records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// `api/v1/plugins/{name}/versions.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionsDoc {
    pub v: u32,
    pub name: String,
    /// Oldest first.
    pub versions: Vec<VersionDoc>,
}

/// `api/v1/plugins/{name}/versions/{version}.json`: the version's index line.
pub type VersionDoc = IndexLine;

/// `api/v1/plugins.json` (page 1) and `api/v1/plugins/{n}.json` (pages 2 and on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginsPage {
    pub v: u32,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub per_page: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub items: Vec<PluginItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginItem {
    pub name: String,
    pub description: String,
    /// Latest stable, else latest beta; `null` when every version is yanked.
    pub latest: Option<String>,
    pub license: String,
    pub tags: Vec<String>,
    pub deprecated: bool,
    /// Publication time of the newest version.
    pub updated: Option<String>,
    /// The plugin's detail document.
    pub url: String,
}

/// `names.json`: the names list's table of contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamesIndex {
    pub v: u32,
    pub total: usize,
    /// Pages in name order; `first` and `last` let a client fetch only the page
    /// a prefix falls in.
    pub pages: Vec<NamesPageRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamesPageRef {
    pub path: String,
    pub first: String,
    pub last: String,
    pub count: usize,
}

/// `names/{n}.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamesPage {
    pub v: u32,
    pub names: Vec<NameEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NameEntry {
    pub name: String,
    pub latest: Option<String>,
    pub description: String,
}
