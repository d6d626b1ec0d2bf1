//! A plugin's listing: what the registry-wide files (names pages, plugin list
//! pages, host redirects) show of it. Owned and serialisable, so a rebuild
//! cache can keep it for plugins whose files did not change.

use serde::{Deserialize, Serialize};

use super::{Context, latest, latest_any};
use crate::format::types::Channel;
use crate::model::Plugin;
use crate::search::SearchDoc;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    /// As the folder spells it; paths use its canonical form.
    pub name: String,
    pub description: String,
    pub license: String,
    pub tags: Vec<String>,
    /// Whether `plugin.toml` deprecates the whole plugin.
    pub deprecated: bool,
    /// Latest stable, else latest beta; `None` when every version is yanked.
    pub latest: Option<String>,
    /// Download URL of the latest stable release, already resolved against
    /// the base URL: the target of the plugin's download redirect.
    pub download: Option<String>,
    /// Publication time of the newest version, seconds since the epoch.
    pub updated: Option<i64>,
    /// What the search bundle indexes of the plugin.
    pub search: SearchDoc,
}

impl Listing {
    /// `plugin`'s listing; its releases must be dated (`pubtime`) already.
    pub fn of(plugin: &Plugin, cx: &Context) -> Listing {
        let m = &plugin.info.manifest;
        Listing {
            name: plugin.name.to_string(),
            description: m.description.clone(),
            license: m.license.clone(),
            tags: m.tags.clone(),
            deprecated: m.deprecated.is_some(),
            latest: latest_any(plugin).map(|r| r.version().to_string()),
            download: latest(plugin, Channel::Stable).map(|r| cx.download_url(r)),
            updated: plugin.releases.iter().map(|r| r.pubtime).max(),
            search: super::search::doc(plugin),
        }
    }
}
