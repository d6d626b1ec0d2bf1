//! A plugin's listing: what the registry-wide files (names pages, plugin list
//! pages, host redirects) show of it. Owned and serialisable, so a rebuild
//! cache can keep it for plugins whose files did not change.

use serde::{Deserialize, Serialize};

use super::{Context, latest, latest_any};
use crate::format::published::Tier;
use crate::format::types::Channel;
use crate::model::Plugin;
use crate::search::SearchDoc;

/// Releases a listing keeps for the registry-wide feed: it shows the
/// newest this many, which could all be one plugin's.
pub const RECENT_RELEASES: usize = 50;

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
    /// Publication time of the first version: when the plugin appeared.
    pub created: Option<i64>,
    /// GitHub logins of the owners.
    pub owners: Vec<String>,
    /// The latest release's engine requirement and tier.
    pub engine: Option<String>,
    pub tier: Option<Tier>,
    /// The newest releases, newest first, at most [`RECENT_RELEASES`].
    pub recent: Vec<RecentRelease>,
}

/// One release as the registry-wide feed lists it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecentRelease {
    pub version: String,
    pub pubtime: i64,
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
            download: latest(plugin, Channel::Stable).and_then(|r| cx.download_url(r)),
            updated: plugin.releases.iter().map(|r| r.pubtime).max(),
            search: super::search::doc(plugin),
            created: plugin.releases.iter().map(|r| r.pubtime).min(),
            owners: m.owners.iter().map(|o| o.github.clone()).collect(),
            engine: latest_any(plugin).map(|r| r.parsed.manifest.engine.clone()),
            tier: latest_any(plugin).map(|r| r.trust.tier),
            recent: recent_releases(plugin),
        }
    }
}

/// Newest first by publication time, then by version: a deterministic order.
fn recent_releases(plugin: &Plugin) -> Vec<RecentRelease> {
    let mut releases: Vec<&crate::model::Release> = plugin.releases.iter().collect();
    releases.sort_by(|a, b| {
        b.pubtime
            .cmp(&a.pubtime)
            .then_with(|| b.version().cmp(a.version()))
    });
    releases
        .into_iter()
        .take(RECENT_RELEASES)
        .map(|r| RecentRelease {
            version: r.version().to_string(),
            pubtime: r.pubtime,
        })
        .collect()
}
