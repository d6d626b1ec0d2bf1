//! The validated registry: what `check` proves and what every emitter reads.
//! It exists only for an index without errors.

use semver::Version;

use crate::format::name::PluginName;
use crate::format::published::Tier;
use crate::format::types::{RegistryConfig, RevocationList};
use crate::manifest::{ParsedPlugin, ParsedVersion};
use crate::trust::keys::PublicKey;

#[derive(Debug)]
pub struct Registry {
    pub meta: RegistryMeta,
    /// Sorted by canonical name.
    pub plugins: Vec<Plugin>,
}

/// The registry's own files, apart from its plugins: what the registry-wide
/// outputs need besides each plugin's listing.
#[derive(Debug)]
pub struct RegistryMeta {
    pub config: RegistryConfig,
    /// The verified `[signing]` keys; `None` for an unsigned registry.
    pub keys: Option<RegistryKeys>,
    /// `revocations.toml`, published with the rest.
    pub revocations: RevocationList,
    /// Its keys, parsed (every one did: else there is no model), in its order.
    pub revoked_keys: Vec<(PublicKey, String)>,
}

/// The registry's root keys and the online key they delegate to, checked:
/// at least `threshold` root keys signed the delegation.
#[derive(Debug, Clone)]
pub struct RegistryKeys {
    pub root: Vec<PublicKey>,
    pub threshold: u32,
    pub online: PublicKey,
    /// `(root key, signature)` pairs that verify, one per root key.
    pub delegation: Vec<(PublicKey, String)>,
}

#[derive(Debug)]
pub struct Plugin {
    pub name: PluginName,
    /// Folder relative to the index root, e.g. `plugins/he/ll/hello-world`.
    pub dir: String,
    pub info: ParsedPlugin,
    pub readme: Option<String>,
    /// Sorted by version, oldest first.
    pub releases: Vec<Release>,
    /// Who changed what, when: from git history (empty without it).
    pub audit: Vec<crate::audit::AuditEntry>,
}

#[derive(Debug)]
pub struct Release {
    /// Manifest path relative to the index root.
    pub file: String,
    pub parsed: ParsedVersion,
    /// Publication time, seconds since the epoch: from git history (0 without it).
    pub pubtime: i64,
    pub trust: ReleaseTrust,
}

/// What signature checking established about a release.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseTrust {
    pub tier: Tier,
    /// The owner key the signature verifies under.
    /// Boxed: most releases of a large registry are unsigned or share few
    /// keys, and an inline key would add 200 bytes to every release.
    pub signer: Option<Box<PublicKey>>,
    /// Why the release must not be installed.
    pub revoked: Option<String>,
}

impl ReleaseTrust {
    /// An unsigned release: the `experimental` tier, revoked when `revoked` says why.
    pub fn unsigned(revoked: Option<String>) -> ReleaseTrust {
        ReleaseTrust {
            tier: Tier::Experimental,
            signer: None,
            revoked,
        }
    }
}

impl Release {
    pub fn version(&self) -> &Version {
        &self.parsed.version
    }

    pub fn is_yanked(&self) -> bool {
        self.parsed.manifest.yanked.is_yanked()
    }
}
