//! The validated registry: what `check` proves and what every emitter reads.
//! It exists only for an index without errors.

use semver::Version;

use crate::manifest::name::PluginName;
use crate::manifest::types::RegistryConfig;
use crate::manifest::{ParsedPlugin, ParsedVersion};

#[derive(Debug)]
pub struct Registry {
    pub config: RegistryConfig,
    /// Sorted by canonical name.
    pub plugins: Vec<Plugin>,
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
}

#[derive(Debug)]
pub struct Release {
    /// Manifest path relative to the index root.
    pub file: String,
    pub parsed: ParsedVersion,
    /// Publication time, seconds since the epoch: from git history, filled in by `build`.
    pub pubtime: i64,
}

impl Release {
    pub fn version(&self) -> &Version {
        &self.parsed.version
    }

    pub fn is_yanked(&self) -> bool {
        self.parsed.manifest.yanked.is_yanked()
    }
}

impl Registry {
    pub fn version_count(&self) -> usize {
        self.plugins.iter().map(|p| p.releases.len()).sum()
    }
}
