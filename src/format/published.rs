//! The published formats: what `build` writes and what clients read. Each
//! document carries its format version in `v`; readers ignore keys they do
//! not know, so adding a key is not a breaking change, and a change that
//! would break a reader bumps `v` (see docs/output-format.md).

use serde::{Deserialize, Serialize};

use crate::digest::Sha256;
use crate::format::types::{
    Arch, Capability, Channel, Deprecation, Os, Permission, Platform, Runtime, Selector, Yanked,
};
use crate::trust::keys::{KeyError, RawKey};

/// Version of `config.json`.
pub const CONFIG_V: u32 = 1;
/// Version of a sparse index line without `platforms`.
pub const INDEX_V: u32 = 1;
/// Version of a sparse index line with `platforms` (and perhaps no single
/// artifact): clients that read only v1 skip these lines, as cargo skips
/// lines of a newer `v`, and so never install a release they cannot pick
/// an artifact of.
pub const INDEX_V_PLATFORMS: u32 = 2;
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
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "generator", schemars(title = "plugdex config.json"))]
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
    pub keys: Vec<RawKey>,
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

/// `config.json`'s `search`: the search bundle, covered by the snapshot, and the browser's (not covered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub struct SearchConfig {
    /// The bundle's format version (a reader refuses a newer one).
    pub v: u32,
    /// Path of the bundle relative to `config.json`: `search/{sha256}.tantivy`.
    pub bundle: String,
    /// The browser's smaller bundle (the same format, without README text),
    /// `search/browser/{sha256}.tantivy`; written only when the full bundle
    /// is over `[output] browser_search_bundle_over`. Browsers load it
    /// instead of `bundle`; the command line never does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
}

/// `revocations.json`: keys and releases clients must not install.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "generator", schemars(title = "plugdex revocations.json"))]
pub struct Revocations {
    pub v: u32,
    pub keys: Vec<RevokedKey>,
    pub releases: Vec<crate::format::types::RevokedRelease>,
    /// Plugins a maintainer removed from the index; their names stay taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<crate::format::types::RemovedPlugin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub struct RevokedKey {
    /// Raw base64.
    pub key: RawKey,
    pub reason: String,
}

/// One line of a sparse index file: one version of one plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "generator", schemars(title = "plugdex sparse index line"))]
#[cfg_attr(feature = "generator", schemars(transform = crate::format::schema::index_line_versions))]
pub struct IndexLine {
    pub v: u32,
    pub name: String,
    pub vers: String,
    /// The single artifact's SHA-256, size and resolved download URL: the
    /// artifact of every platform, or of those `platforms` does not match.
    /// Always present in v1; absent in a v2 line with only `platforms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dl: Option<String>,
    /// One artifact per platform (v2 only), in the manifest's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<IndexPlatform>,
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
    #[cfg_attr(feature = "generator", schemars(with = "Option<RawKey>"))]
    pub signer: Option<Signer>,
    /// Why this release must not be installed (revocation list or revoked key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
}

/// [`IndexLine::signer`] as a client reads it. `build` writes only keys; a
/// line whose signer is not one (a broken or foreign generator) still reads,
/// so that installing that release is refused for its signer key, as the
/// error names it, rather than the line being skipped and an older version
/// chosen without a word (docs/client.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    Key(RawKey),
    /// The text as published, and why it is not a key.
    NotAKey {
        text: String,
        why: KeyError,
    },
}

impl Signer {
    /// The key, or why the published text is not one.
    pub fn key(&self) -> Result<&RawKey, &KeyError> {
        match self {
            Signer::Key(key) => Ok(key),
            Signer::NotAKey { why, .. } => Err(why),
        }
    }
}

impl From<RawKey> for Signer {
    fn from(key: RawKey) -> Signer {
        Signer::Key(key)
    }
}

/// The text as published (for a key, its raw base64).
impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signer::Key(key) => key.fmt(f),
            Signer::NotAKey { text, .. } => f.write_str(text),
        }
    }
}

impl Serialize for Signer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Signer::Key(key) => key.serialize(s),
            Signer::NotAKey { text, .. } => s.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for Signer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Signer, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.parse::<RawKey>() {
            Ok(key) => Signer::Key(key),
            Err(why) => Signer::NotAKey { text, why },
        })
    }
}

/// One platform's artifact in an index line (v2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub struct IndexPlatform {
    pub os: Os,
    /// Absent: every CPU of `os`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<Arch>,
    pub sha256: Sha256,
    pub size: u64,
    /// Resolved download URL.
    pub dl: String,
}

impl IndexPlatform {
    pub fn selector(&self) -> Selector {
        Selector {
            os: self.os,
            arch: self.arch,
        }
    }
}

/// The artifact a client downloads for one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineArtifact {
    pub sha256: Sha256,
    pub size: u64,
    pub dl: String,
}

impl IndexLine {
    /// The single artifact, when the line has one.
    pub fn single(&self) -> Option<LineArtifact> {
        match (self.sha256, self.size, &self.dl) {
            (Some(sha256), Some(size), Some(dl)) => Some(LineArtifact {
                sha256,
                size,
                dl: dl.clone(),
            }),
            _ => None,
        }
    }

    /// The artifact for `platform`: the `platforms` entry that matches it,
    /// else the single artifact. `None` also for an unknown platform (a
    /// client the vocabulary does not name), unless the line has a single
    /// artifact.
    pub fn artifact_for(&self, platform: Option<Platform>) -> Option<LineArtifact> {
        platform
            .and_then(|p| self.platforms.iter().find(|a| a.selector().matches(p)))
            .map(|a| LineArtifact {
                sha256: a.sha256,
                size: a.size,
                dl: a.dl.clone(),
            })
            .or_else(|| self.single())
    }

    /// Whether a reader of this format understands the line: a known `v`,
    /// with the artifacts that `v` promises (v1: the single one; v2: some).
    pub fn is_readable(&self) -> bool {
        match self.v {
            INDEX_V => self.single().is_some() && self.platforms.is_empty(),
            INDEX_V_PLATFORMS => self.single().is_some() || !self.platforms.is_empty(),
            _ => false,
        }
    }
}

/// The trust tier of a release. `untrusted` releases (failing verification)
/// are never published, so they have no variant here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub struct IndexDep {
    pub name: String,
    pub req: String,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "generator",
    schemars(title = "plugdex api/v1/plugins/{name}.json")
)]
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
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub struct Latest {
    /// Highest non-yanked version on the stable channel.
    pub stable: Option<String>,
    /// Highest non-yanked version on the beta channel.
    pub beta: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "generator",
    schemars(title = "plugdex api/v1/plugins/{name}/audit.json")
)]
pub struct AuditDoc {
    pub v: u32,
    pub name: String,
    pub events: Vec<AuditEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "generator",
    schemars(title = "plugdex api/v1/plugins/{name}/versions.json")
)]
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
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "generator",
    schemars(title = "plugdex api/v1/plugins.json and its pages")
)]
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
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "generator", schemars(title = "plugdex names.json"))]
pub struct NamesIndex {
    pub v: u32,
    pub total: usize,
    /// Pages in name order; `first` and `last` let a client fetch only the page
    /// a prefix falls in.
    pub pages: Vec<NamesPageRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub struct NamesPageRef {
    pub path: String,
    pub first: String,
    pub last: String,
    pub count: usize,
}

/// `names/{n}.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "generator", schemars(title = "plugdex names/{n}.json"))]
pub struct NamesPage {
    pub v: u32,
    pub names: Vec<NameEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub struct NameEntry {
    pub name: String,
    pub latest: Option<String>,
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line whose artifacts' digests are those of their names: `any` for
    /// the single artifact, the selector for each platform.
    fn line(v: u32, single: bool, platforms: &[&str]) -> IndexLine {
        let json = format!(
            r#"{{"v":{v},"name":"t","vers":"1.0.0",{}"platforms":[{}],"engine":"*","runtime":"native","entry":"bin/t","channel":"stable","yanked":false,"deprecated":null,"pubtime":"2026-01-01T00:00:00Z","tier":"community"}}"#,
            if single {
                format!(
                    r#""sha256":"{}","size":1,"dl":"https://x/any.tar.gz","#,
                    Sha256::of(b"any")
                )
            } else {
                String::new()
            },
            platforms
                .iter()
                .map(|p| {
                    let (os, arch) = match p.split_once('-') {
                        Some((os, arch)) => (os, format!(r#","arch":"{arch}""#)),
                        None => (*p, String::new()),
                    };
                    let sha256 = Sha256::of(p.as_bytes());
                    format!(r#"{{"os":"{os}"{arch},"sha256":"{sha256}","size":2,"dl":"https://x/{p}.tar.gz"}}"#)
                })
                .collect::<Vec<_>>()
                .join(",")
        );
        serde_json::from_str(&json).expect("a line")
    }

    #[test]
    fn a_signer_that_is_not_a_key_still_reads_and_says_why() {
        let key = crate::trust::SecretKey::generate().public();
        let raw = key.to_raw_base64();
        let with_signer = |signer: &str| {
            let mut l = serde_json::to_value(line(1, true, &[])).unwrap();
            l["sig"] = "c2ln".into();
            l["signer"] = signer.into();
            serde_json::from_value::<IndexLine>(l)
        };
        let good = with_signer(&raw).expect("a line");
        let signer = good.signer.as_ref().expect("a signer");
        assert!(signer.key().expect("a key").is(&key));
        assert_eq!(signer.to_string(), raw);
        let json = serde_json::to_string(&good).unwrap();
        assert!(json.contains(&format!(r#""signer":"{raw}""#)), "{json}");
        // The same key as an author may write it, and a key of small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let small = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, identity);
        for (text, want) in [(key.to_openssh("me"), "characters"), (small, "small order")] {
            let bad = with_signer(&text).expect("the line still reads");
            let signer = bad.signer.as_ref().expect("a signer");
            let why = signer.key().expect_err("not a key").to_string();
            assert!(why.contains(want), "{text}: {why}");
            assert_eq!(signer.to_string(), text);
            // Written back as published, so the line is the line of the file.
            let again: IndexLine =
                serde_json::from_str(&serde_json::to_string(&bad).unwrap()).unwrap();
            assert_eq!(again, bad);
        }
        // Not text at all: the line does not parse, as before keys were typed.
        let mut l = serde_json::to_value(line(1, true, &[])).unwrap();
        l["signer"] = 42.into();
        assert!(serde_json::from_value::<IndexLine>(l).is_err());
    }

    #[test]
    fn a_client_takes_its_platform_then_the_single_artifact() {
        let linux: Platform = "linux-x86_64".parse().unwrap();
        let mac: Platform = "macos-aarch64".parse().unwrap();
        let win: Platform = "windows-x86_64".parse().unwrap();
        let both = line(2, true, &["linux-x86_64", "macos"]);
        let pick = |l: &IndexLine, p| l.artifact_for(p).map(|a| a.sha256);
        let named = |name: &str| Some(Sha256::of(name.as_bytes()));
        assert_eq!(pick(&both, Some(linux)), named("linux-x86_64"));
        assert_eq!(pick(&both, Some(mac)), named("macos"));
        assert_eq!(pick(&both, Some(win)), named("any"));
        assert_eq!(pick(&both, None), named("any"));
        let only = line(2, false, &["linux-x86_64"]);
        assert_eq!(pick(&only, Some(win)), None);
        assert_eq!(pick(&only, None), None);
    }

    #[test]
    fn readable_lines_have_the_artifacts_their_version_promises() {
        assert!(line(1, true, &[]).is_readable());
        assert!(!line(1, false, &[]).is_readable(), "v1 without an artifact");
        assert!(!line(1, true, &["linux"]).is_readable(), "platforms are v2");
        assert!(line(2, false, &["linux"]).is_readable());
        assert!(line(2, true, &["linux"]).is_readable());
        assert!(!line(2, false, &[]).is_readable(), "no artifact at all");
        assert!(!line(3, true, &[]).is_readable(), "a newer version");
    }

    #[test]
    fn selectors_match_and_overlap() {
        let linux: Selector = "linux".parse().unwrap();
        let linux_arm: Selector = "linux-aarch64".parse().unwrap();
        let linux_x86: Selector = "linux-x86_64".parse().unwrap();
        assert!(linux.overlaps(&linux_arm) && linux_arm.overlaps(&linux));
        assert!(!linux_arm.overlaps(&linux_x86));
        assert!(linux.matches("linux-riscv64".parse().unwrap()));
        assert!(!linux_arm.matches("linux-x86_64".parse().unwrap()));
        assert_eq!(linux_x86.to_string(), "linux-x86_64");
        let err = "macos-amd64".parse::<Platform>().unwrap_err();
        assert!(
            err.contains("`amd64` is not a CPU") && err.contains("x86_64"),
            "{err}"
        );
        let err = "windws".parse::<Selector>().unwrap_err();
        assert!(err.contains("did you mean `windows`?"), "{err}");
    }
}
