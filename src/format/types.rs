//! The serde types of the three TOML files. They are the single source of
//! truth: the JSON Schemas are generated from them and `check` walks each file
//! against those schemas before deserialising, so the two cannot drift.

use std::collections::BTreeMap;

// The client (`--no-default-features --features client`) builds without
// schemars: derive `JsonSchema` with `#[cfg_attr(feature = "generator",
// derive(JsonSchema))]` and write `schemars(...)` attributes the same way.
#[cfg(feature = "generator")]
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `registry.toml`: registry-wide facts and policy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "generator", schemars(title = "plugdex registry.toml"))]
pub struct RegistryConfig {
    /// The registry's id, a lowercase DNS-style name such as `plugins.example.org`. Signatures bind it.
    pub id: String,
    /// Human title, shown on pages.
    pub title: String,
    /// One paragraph for the home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The `https` URL the built registry is served from, ending with `/`.
    pub base_url: String,
    /// Name of the host application whose versions plugins' `engine` requirements refer to.
    pub engine: String,
    /// Policy settings.
    #[serde(default)]
    pub policy: Policy,
    /// The registry's signing keys. Without this table `build` writes an unsigned registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing: Option<Signing>,
    /// Where the built registry is published; `build` warns when the output exceeds that host's limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosting: Option<Hosting>,
    /// The HTML site `build` writes beside the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteConfig>,
    /// Which optional files `build` writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputConfig>,
}

/// `[output]`: optional parts of the output, for hosts that count files.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Write one API document per version (`api/v1/plugins/{name}/versions/{version}.json`). `false` leaves them out: each repeats a line of the plugin's `versions.json` and index file, and together they are most of the output's files.
    #[serde(default = "yes")]
    pub version_documents: bool,
    /// Above this size in bytes, the search bundle gets a smaller, browser-only copy without README text, which the site's search loads instead (the command line keeps the full one). `0`: always.
    #[serde(default = "browser_search_bundle_over")]
    pub browser_search_bundle_over: u64,
}

/// The default of `[output] browser_search_bundle_over`: 8 MB, about
/// 30,000 plugins with READMEs (docs/search.md, "At 100,000 plugins").
pub const BROWSER_SEARCH_BUNDLE_OVER: u64 = 8_000_000;

fn browser_search_bundle_over() -> u64 {
    BROWSER_SEARCH_BUNDLE_OVER
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            version_documents: true,
            browser_search_bundle_over: BROWSER_SEARCH_BUNDLE_OVER,
        }
    }
}

fn yes() -> bool {
    true
}

/// `[site]`: how the HTML pages look and what they tell users to run.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The built-in theme: `default` or `paper`. A `themes/<theme>/site.css` in the index repo overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    /// The host application's own install command, shown beside `plugdex install`; `{name}` is replaced by the plugin's name, e.g. `inkwell plugins add {name}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<String>,
}

/// The static host the registry is published to.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Hosting {
    /// `github-pages` (1 GB per site), `cloudflare-pages` (20,000 files, 25 MiB per file) or `object-store` (S3, R2 and the like: no limit).
    pub target: HostTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum HostTarget {
    GithubPages,
    CloudflarePages,
    ObjectStore,
}

/// The registry's keys, modelled on TUF: offline root keys delegate to one
/// online key, which `build` uses to sign the timestamp and snapshot.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Signing {
    /// Root public keys (raw base64, minisign or `ssh-ed25519`), kept offline. Clients pin them.
    #[cfg_attr(feature = "generator", schemars(length(min = 1)))]
    pub root_keys: Vec<String>,
    /// How many root keys must sign the delegation to the online key.
    #[serde(default = "default_threshold")]
    #[cfg_attr(feature = "generator", schemars(range(min = 1)))]
    pub threshold: u32,
    /// The online key's public key; its secret half is given to `build` (`--signing-key` or `PLUGDEX_SIGNING_KEY`).
    pub online_key: String,
    /// Raw base64 ed25519 signatures by root keys over the delegation statement (`plugdex delegate`).
    #[cfg_attr(feature = "generator", schemars(length(min = 1)))]
    pub online_key_signatures: Vec<String>,
}

fn default_threshold() -> u32 {
    1
}

/// Registry policy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Largest allowed artifact, in bytes.
    #[serde(default = "default_max_artifact_size")]
    pub max_artifact_size: u64,
    /// Names nobody may register, in addition to the built-in ones.
    #[serde(default)]
    pub reserved_names: Vec<String>,
    /// Most versions one plugin may publish.
    #[serde(default = "default_max_versions")]
    pub max_versions: u32,
    /// Refuse releases without an author signature (otherwise they are published in the `experimental` tier).
    #[serde(default)]
    pub require_signatures: bool,
}

fn default_max_artifact_size() -> u64 {
    100 * 1024 * 1024
}

fn default_max_versions() -> u32 {
    10_000
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            max_artifact_size: default_max_artifact_size(),
            reserved_names: Vec::new(),
            max_versions: default_max_versions(),
            require_signatures: false,
        }
    }
}

/// `plugin.toml`: facts about a plugin that hold for all its versions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "generator", schemars(title = "plugdex plugin.toml"))]
pub struct PluginManifest {
    /// The plugin's name: ASCII letters, digits, `-` and `_`, starting with a letter, at most 64 characters. Must equal the folder name.
    #[cfg_attr(feature = "generator", schemars(length(min = 1, max = 64)))]
    pub name: String,
    /// One line, 1 to 280 characters.
    #[cfg_attr(feature = "generator", schemars(length(min = 1, max = 280)))]
    pub description: String,
    /// An SPDX license expression, e.g. `MIT OR Apache-2.0`.
    pub license: String,
    /// Up to 10 lowercase tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "generator", schemars(length(max = 10)))]
    pub tags: Vec<String>,
    /// The plugin's home page (`https`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// The plugin's source repository (`https`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Free-form author names, e.g. `Jane Doe <jane@example.org>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// Who may publish new versions: at least one.
    #[cfg_attr(feature = "generator", schemars(length(min = 1)))]
    pub owners: Vec<Owner>,
    /// The whole plugin is deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<Deprecation>,
    /// When `owners` changes: a current owner's signature over the new owners
    /// (`plugdex statement plugin.toml` prints what to sign; `plugdex sign` writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owners_signature: Option<String>,
}

/// An owner of a plugin.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Owner {
    /// GitHub login.
    pub github: String,
    /// ed25519 public keys that sign this owner's releases: raw base64, a minisign public key, or an `ssh-ed25519` line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// Keys this owner no longer signs with. Releases they signed stay valid; new releases need a current key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired_keys: Vec<String>,
}

/// How a plugin's owners changed: logins added and removed (GitHub logins
/// ignore case), and logins whose keys or retired keys changed. Displays as
/// `added: …; removed: …; keys changed: …`, `none` for an empty list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub rekeyed: Vec<String>,
}

impl OwnerChanges {
    pub fn between(base: &[Owner], head: &[Owner]) -> OwnerChanges {
        let find = |list: &'_ [Owner], o: &Owner| {
            list.iter()
                .find(|x| x.github.eq_ignore_ascii_case(&o.github))
                .cloned()
        };
        let logins = |list: &[Owner], keep: &dyn Fn(&Owner) -> bool| {
            list.iter()
                .filter(|o| keep(o))
                .map(|o| o.github.clone())
                .collect()
        };
        OwnerChanges {
            added: logins(head, &|o| find(base, o).is_none()),
            removed: logins(base, &|o| find(head, o).is_none()),
            rekeyed: logins(head, &|o| {
                find(base, o).is_some_and(|b| b.keys != o.keys || b.retired_keys != o.retired_keys)
            }),
        }
    }
}

/// The items joined with `, `, or `none`.
pub fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

impl std::fmt::Display for OwnerChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "added: {}; removed: {}; keys changed: {}",
            list_or_none(&self.added),
            list_or_none(&self.removed),
            list_or_none(&self.rekeyed)
        )
    }
}

/// A deprecation: a message, or a table with a message and a replacement plugin.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(untagged)]
pub enum Deprecation {
    Message(String),
    Detailed(DeprecationDetail),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeprecationDetail {
    /// Why it is deprecated and what to do instead.
    pub message: String,
    /// The plugin to use instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}

impl Deprecation {
    pub fn message(&self) -> &str {
        match self {
            Deprecation::Message(m) => m,
            Deprecation::Detailed(d) => &d.message,
        }
    }

    pub fn replacement(&self) -> Option<&str> {
        match self {
            Deprecation::Message(_) => None,
            Deprecation::Detailed(d) => d.replacement.as_deref(),
        }
    }
}

/// `versions/<version>.toml`: one published version.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(
    deny_unknown_fields,
    bound(serialize = "Deps: Serialize + IsEmpty, Digest: Serialize")
)]
#[cfg_attr(feature = "generator", schemars(title = "plugdex version manifest"))]
#[cfg_attr(
    feature = "generator",
    schemars(
        rename = "VersionManifest",
        bound = "Deps: JsonSchema + Default + IsEmpty, Digest: JsonSchema"
    )
)]
pub struct VersionManifest<Deps = BTreeMap<String, Dependency>, Digest = String> {
    /// SemVer 2.0 version; must equal the file name without `.toml`.
    pub version: String,
    /// SemVer requirement on the host engine, e.g. `>=1.0.0, <2.0.0`.
    pub engine: String,
    /// Path of the entry point inside the artifact.
    pub entry: String,
    /// How the host runs the plugin.
    pub runtime: Runtime,
    /// Release channel.
    #[serde(default)]
    pub channel: Channel,
    /// What the plugin may do on the user's machine.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    /// The downloadable artifact: the one for every platform, or, beside
    /// `[[platforms]]`, the one for platforms none of them matches. A release
    /// needs this or `[[platforms]]`.
    // Digests as written (the default `Digest`), or parsed once the rules
    // accepted them (`into_parsed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<Artifact<Digest>>,
    /// One artifact per operating system and CPU, for `runtime = "native"`
    /// plugins (as krew's platform selectors and Homebrew's bottles). The
    /// release's signature covers each of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<PlatformArtifact<Digest>>,
    // As written in the file (the default `Deps`), or in the form a reader
    // parsed them into (`into_parsed`). Doc comments here are the schema's.
    /// Other plugins this version needs: name → SemVer requirement.
    #[serde(default, skip_serializing_if = "IsEmpty::is_empty")]
    pub dependencies: Deps,
    /// What the plugin offers the host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<Capability>,
    /// `false`, or the reason this version was yanked. Lifecycle field: may change after publishing.
    #[serde(default)]
    pub yanked: Yanked,
    /// Deprecation of this version. Lifecycle field: may change after publishing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<Deprecation>,
    /// The owner's signature over this release's statement (`plugdex statement`): raw base64 ed25519, minisign or SSHSIG text. May be replaced by a re-signature after publishing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Whether a manifest's dependencies, in either form, are none (then the
/// field is left out when written).
pub trait IsEmpty {
    fn is_empty(&self) -> bool;
}

impl<K, V> IsEmpty for BTreeMap<K, V> {
    fn is_empty(&self) -> bool {
        BTreeMap::is_empty(self)
    }
}

impl<T> IsEmpty for Vec<T> {
    fn is_empty(&self) -> bool {
        Vec::is_empty(self)
    }
}

impl<Deps> VersionManifest<Deps> {
    /// The same manifest with its dependencies and digests in their parsed
    /// forms: `check` parses each requirement and digest once, in its
    /// rules, and keeps only the parsed values. `digests` are those
    /// [`rules::version`](crate::manifest::rules::version) returns, one per
    /// artifact table of this manifest; an artifact whose digest did not
    /// parse (`None`, reported by the rules) is left out.
    pub fn into_parsed<New, Digest>(
        self,
        parse: impl FnOnce(Deps) -> New,
        digests: ArtifactDigests<Option<Digest>>,
    ) -> VersionManifest<New, Digest> {
        debug_assert_eq!(
            self.platforms.len(),
            digests.platforms.len(),
            "one digest per platform artifact"
        );
        VersionManifest {
            version: self.version,
            engine: self.engine,
            entry: self.entry,
            runtime: self.runtime,
            channel: self.channel,
            permissions: self.permissions,
            artifact: self
                .artifact
                .zip(digests.artifact.flatten())
                .map(|(a, digest)| a.with_digest(digest)),
            platforms: self
                .platforms
                .into_iter()
                .zip(digests.platforms)
                .filter_map(|(p, digest)| {
                    Some(PlatformArtifact {
                        os: p.os,
                        arch: p.arch,
                        artifact: p.artifact.with_digest(digest?),
                    })
                })
                .collect(),
            dependencies: parse(self.dependencies),
            capabilities: self.capabilities,
            yanked: self.yanked,
            deprecated: self.deprecated,
            signature: self.signature,
        }
    }
}

/// The digests of a version's artifacts in another form than written: the
/// single `artifact`'s (when it has one) and one per `[[platforms]]` entry,
/// in the manifest's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactDigests<Digest> {
    pub artifact: Option<Digest>,
    pub platforms: Vec<Digest>,
}

/// `reviewed.toml`: the releases the registry's maintainers reviewed. A
/// signed release listed here is in the `verified` tier.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "generator", schemars(title = "plugdex reviewed.toml"))]
pub struct ReviewedList {
    /// Plugin name → the versions reviewed.
    #[serde(default)]
    pub plugins: BTreeMap<String, Vec<String>>,
}

/// `revocations.toml`: keys and releases that must not be installed.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "generator", schemars(title = "plugdex revocations.toml"))]
pub struct RevocationList {
    /// Compromised keys: releases signed only by them are revoked until re-signed by a valid key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<RevokedKey>,
    /// Revoked plugins (no `version`) or single versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub releases: Vec<RevokedRelease>,
    /// Plugins a maintainer removed from the index: their names are never given out again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<RemovedPlugin>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RemovedPlugin {
    /// The removed plugin's name.
    pub name: String,
    /// Why it was removed.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RevokedKey {
    /// The public key, in any accepted format.
    pub key: String,
    /// Why it is revoked, shown to users.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RevokedRelease {
    /// The plugin's name.
    pub plugin: String,
    /// One version; without it every version of the plugin is revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why, shown to users.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// A WebAssembly module run in the host's sandbox.
    Wasm,
    /// A native shared library or executable.
    Native,
    /// A script run by the host's interpreter.
    Script,
    /// A container image.
    Docker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Offered to everyone.
    #[default]
    Stable,
    /// Offered only to users who opt in to the beta channel.
    Beta,
}

/// The closed vocabulary of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Read and write files outside the plugin's own data folder.
    Filesystem,
    /// Open network connections.
    Network,
    /// Start other programs.
    Process,
    /// Read environment variables.
    Env,
    /// Read and write the clipboard.
    Clipboard,
    /// Show system notifications.
    Notifications,
    /// Read and write secrets in the system keychain.
    Keychain,
}

/// The downloadable artifact of a version.
// Its digest as written (`String`, which the rules check so that every
// problem of the file is reported at once) or, once checked, a
// `digest::Sha256`. Doc comments here are the schema's.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "generator",
    schemars(rename = "Artifact", bound = "Digest: JsonSchema")
)]
pub struct Artifact<Digest = String> {
    /// An `https` URL, or a path relative to the registry's `base_url` for self-hosted artifacts.
    pub url: String,
    /// SHA-256 of the artifact: 64 lowercase hex digits.
    #[cfg_attr(feature = "generator", schemars(length(min = 64, max = 64)))]
    pub sha256: Digest,
    /// Size of the artifact in bytes.
    #[cfg_attr(feature = "generator", schemars(range(min = 1)))]
    pub size: u64,
}

impl<Digest> Artifact<Digest> {
    /// The same artifact with its digest in another form.
    pub fn with_digest<New>(self, sha256: New) -> Artifact<New> {
        Artifact {
            url: self.url,
            sha256,
            size: self.size,
        }
    }

    /// A path under the registry (the file lives in the index repo) rather than an external URL.
    pub fn is_self_hosted(&self) -> bool {
        !self.url.contains("://") && !self.url.starts_with("//")
    }

    /// The file name at the end of the URL or path, e.g. `git-1.0.0.tar.gz`.
    pub fn file_name(&self) -> &str {
        let path = self.url.split(['?', '#']).next().unwrap_or_default();
        path.rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or("artifact")
    }
}

impl<Deps, Digest> VersionManifest<Deps, Digest> {
    /// Every artifact of the release with the platform it serves (`None`: the
    /// single `artifact`), the single one first, then `[[platforms]]` in order.
    pub fn artifacts(&self) -> impl Iterator<Item = (Option<Selector>, &Artifact<Digest>)> {
        let single = self.artifact.iter().map(|a| (None, a));
        single.chain(
            self.platforms
                .iter()
                .map(|p| (Some(p.selector()), &p.artifact)),
        )
    }
}

/// `[[platforms]]`: the artifact of one operating system and CPU, e.g.
/// `{ os = "linux", arch = "x86_64", artifact = { url = …, sha256 = …, size = … } }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "generator",
    schemars(rename = "PlatformArtifact", bound = "Digest: JsonSchema")
)]
pub struct PlatformArtifact<Digest = String> {
    /// The operating system: `linux`, `macos`, `windows` or `freebsd`.
    pub os: Os,
    /// The CPU: `x86_64`, `aarch64`, `x86`, `arm` or `riscv64`. Without it the
    /// artifact serves every CPU of `os` (a universal binary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<Arch>,
    /// The artifact for this platform.
    pub artifact: Artifact<Digest>,
}

impl<Digest> PlatformArtifact<Digest> {
    pub fn selector(&self) -> Selector {
        Selector {
            os: self.os,
            arch: self.arch,
        }
    }
}

/// The closed vocabulary of operating systems, named as Rust's
/// `std::env::consts::OS` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Linux,
    Macos,
    Windows,
    Freebsd,
}

/// The closed vocabulary of CPU architectures, named as Rust's
/// `std::env::consts::ARCH` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    #[serde(rename = "x86_64")]
    X86_64,
    Aarch64,
    X86,
    Arm,
    Riscv64,
}

impl Os {
    pub const ALL: [Os; 4] = [Os::Linux, Os::Macos, Os::Windows, Os::Freebsd];

    pub fn as_str(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Macos => "macos",
            Os::Windows => "windows",
            Os::Freebsd => "freebsd",
        }
    }
}

impl Arch {
    pub const ALL: [Arch; 5] = [
        Arch::X86_64,
        Arch::Aarch64,
        Arch::X86,
        Arch::Arm,
        Arch::Riscv64,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::X86 => "x86",
            Arch::Arm => "arm",
            Arch::Riscv64 => "riscv64",
        }
    }
}

/// Which platforms an artifact serves: one OS, and one CPU or every CPU.
/// Written `linux-x86_64`, or `macos` for every CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Selector {
    pub os: Os,
    pub arch: Option<Arch>,
}

impl Selector {
    pub fn matches(&self, platform: Platform) -> bool {
        self.os == platform.os && self.arch.is_none_or(|a| a == platform.arch)
    }

    /// Whether some platform matches both.
    pub fn overlaps(&self, other: &Selector) -> bool {
        self.os == other.os
            && match (self.arch, other.arch) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.arch {
            Some(arch) => write!(f, "{}-{}", self.os.as_str(), arch.as_str()),
            None => f.write_str(self.os.as_str()),
        }
    }
}

/// One operating system and CPU, such as the client runs on: `linux-x86_64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: Os,
    pub arch: Arch,
}

impl Platform {
    /// The platform this program was built for, when the vocabulary names it.
    pub fn current() -> Option<Platform> {
        Platform::parts(std::env::consts::OS, std::env::consts::ARCH)
    }

    fn parts(os: &str, arch: &str) -> Option<Platform> {
        Some(Platform {
            os: *Os::ALL.iter().find(|o| o.as_str() == os)?,
            arch: *Arch::ALL.iter().find(|a| a.as_str() == arch)?,
        })
    }
}

impl std::str::FromStr for Platform {
    type Err = String;

    /// `OS-ARCH`, e.g. `linux-x86_64` or `macos-aarch64`.
    fn from_str(s: &str) -> Result<Platform, String> {
        let (os, arch) = s.split_once('-').ok_or_else(|| {
            format!("`{s}` is not a platform: write OS-ARCH, e.g. `linux-x86_64`")
        })?;
        Ok(Platform {
            os: word(os, &Os::ALL, Os::as_str, "an OS")?,
            arch: word(arch, &Arch::ALL, Arch::as_str, "a CPU")?,
        })
    }
}

impl std::str::FromStr for Selector {
    type Err = String;

    /// `OS-ARCH` (`linux-x86_64`) or `OS` (every CPU: `macos`).
    fn from_str(s: &str) -> Result<Selector, String> {
        let (os, arch) = match s.split_once('-') {
            Some((os, arch)) => (os, Some(arch)),
            None => (s, None),
        };
        Ok(Selector {
            os: word(os, &Os::ALL, Os::as_str, "an OS")?,
            arch: arch
                .map(|a| word(a, &Arch::ALL, Arch::as_str, "a CPU"))
                .transpose()?,
        })
    }
}

/// The member of a closed vocabulary named `given`, or an error that lists
/// the vocabulary and suggests the closest name.
fn word<T: Copy>(
    given: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    what: &str,
) -> Result<T, String> {
    if let Some(found) = all.iter().find(|t| name(**t) == given) {
        return Ok(*found);
    }
    let closest = all
        .iter()
        .map(|t| {
            (
                strsim::damerau_levenshtein(&given.to_lowercase(), name(*t)),
                name(*t),
            )
        })
        .filter(|(d, n)| *d <= (n.len() / 3).max(1))
        .min()
        .map(|(_, n)| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    let names: Vec<&str> = all.iter().map(|t| name(*t)).collect();
    Err(format!(
        "`{given}` is not {what} plugdex knows ({}){closest}",
        names.join(", ")
    ))
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.os.as_str(), self.arch.as_str())
    }
}

/// A dependency: a requirement string, or a table with a requirement and flags.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(untagged)]
pub enum Dependency {
    Requirement(String),
    Detailed(DependencyDetail),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DependencyDetail {
    /// SemVer requirement, e.g. `^1.2`.
    pub version: String,
    /// The host may run this plugin without the dependency.
    #[serde(default)]
    pub optional: bool,
}

impl Dependency {
    pub fn requirement(&self) -> &str {
        match self {
            Dependency::Requirement(r) => r,
            Dependency::Detailed(d) => &d.version,
        }
    }

    pub fn optional(&self) -> bool {
        matches!(self, Dependency::Detailed(d) if d.optional)
    }
}

/// Something the plugin offers the host.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Capability {
    /// Identifier, e.g. `render`.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Path the host calls, starting with `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// HTTP-style method of the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "generator", derive(JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

/// `yanked`: `false`, or the reason the version was yanked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Yanked {
    #[default]
    No,
    Reason(String),
}

impl Yanked {
    pub fn is_yanked(&self) -> bool {
        matches!(self, Yanked::Reason(_))
    }
}

impl Serialize for Yanked {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Yanked::No => s.serialize_bool(false),
            Yanked::Reason(r) => s.serialize_str(r),
        }
    }
}

impl<'de> Deserialize<'de> for Yanked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Yanked, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Yanked;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`false` or the reason as a string")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Yanked, E> {
                if b {
                    Err(E::custom(
                        "`yanked = true` does not say why; give the reason as a string",
                    ))
                } else {
                    Ok(Yanked::No)
                }
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Yanked, E> {
                Ok(Yanked::Reason(s.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(feature = "generator")]
impl JsonSchema for Yanked {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Yanked".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "`false`, or the reason this version was yanked.",
            "anyOf": [
                { "const": false },
                { "type": "string", "minLength": 1 }
            ]
        })
    }
}
