//! The static JSON API under `api/v1/`.

use super::{OutFile, index_file, latest, latest_any};
use crate::manifest::types::Channel;
use crate::model::{Plugin, Registry};
use crate::published::{
    self, API_DIR, AuditDoc, AuditEvent, Deprecated, IndexLine, Latest, PluginDoc, PluginItem,
    PluginLinks, PluginsPage, VersionDoc, VersionSummary, VersionsDoc,
};
use crate::source::history::rfc3339;

/// Plugins per page of `api/v1/plugins.json`.
pub const PER_PAGE: usize = 100;

pub fn plugin_doc_path(plugin: &Plugin) -> String {
    format!("{API_DIR}plugins/{}.json", plugin.name.canonical())
}

/// The path static hosts redirect to the latest stable artifact.
pub fn download_path(plugin: &Plugin) -> String {
    format!("{API_DIR}plugins/{}/download", plugin.name.canonical())
}

pub(super) fn plugin(plugin: &Plugin, lines: Vec<IndexLine>, files: &mut Vec<OutFile>) {
    let canonical = plugin.name.canonical();
    let base = format!("{API_DIR}plugins/{canonical}");
    let m = &plugin.info.manifest;
    let stable = latest(plugin, Channel::Stable);
    let doc = PluginDoc {
        v: published::API_V,
        name: plugin.name.to_string(),
        description: m.description.clone(),
        license: m.license.clone(),
        tags: m.tags.clone(),
        homepage: m.homepage.clone(),
        repository: m.repository.clone(),
        authors: m.authors.clone(),
        owners: m.owners.iter().map(|o| o.github.clone()).collect(),
        deprecated: m.deprecated.as_ref().map(Deprecated::from),
        latest: Latest {
            stable: stable.map(|r| r.version().to_string()),
            beta: latest(plugin, Channel::Beta).map(|r| r.version().to_string()),
        },
        versions: plugin
            .releases
            .iter()
            .map(|r| VersionSummary {
                vers: r.version().to_string(),
                channel: r.parsed.manifest.channel,
                yanked: r.is_yanked(),
                deprecated: r.parsed.manifest.deprecated.is_some(),
                pubtime: rfc3339(r.pubtime),
                tier: r.trust.tier,
                revoked: r.trust.revoked.clone(),
            })
            .collect(),
        readme: plugin.readme.clone(),
        links: PluginLinks {
            index: index_file(plugin),
            versions: format!("{base}/versions.json"),
            download: stable.map(|_| download_path(plugin)),
            audit: format!("{base}/audit.json"),
        },
    };
    files.push(OutFile::json(
        format!("{base}/audit.json"),
        &AuditDoc {
            v: published::API_V,
            name: plugin.name.to_string(),
            events: plugin
                .audit
                .iter()
                .map(|e| AuditEvent {
                    time: rfc3339(e.time),
                    action: e.action.to_owned(),
                    version: e.version.clone(),
                    detail: e.detail.clone(),
                    commit: e.commit.as_deref().map(str::to_owned),
                    author: e.author.as_deref().map(str::to_owned),
                })
                .collect(),
        },
    ));
    files.push(OutFile::json(plugin_doc_path(plugin), &doc));
    let versions: Vec<VersionDoc> = lines;
    for v in &versions {
        files.push(OutFile::json(format!("{base}/versions/{}.json", v.vers), v));
    }
    files.push(OutFile::json(
        format!("{base}/versions.json"),
        &VersionsDoc {
            v: published::API_V,
            name: plugin.name.to_string(),
            versions,
        },
    ));
}

/// Path of page `n` (1-based) of the plugin list.
pub fn page_path(n: usize) -> String {
    if n == 1 {
        format!("{API_DIR}plugins.json")
    } else {
        // Plugin names start with a letter, so numbered pages never collide with them.
        format!("{API_DIR}plugins/{n}.json")
    }
}

pub(super) fn plugin_list(reg: &Registry, files: &mut Vec<OutFile>) {
    let total = reg.plugins.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    for n in 1..=pages {
        let chunk = reg.plugins.iter().skip((n - 1) * PER_PAGE).take(PER_PAGE);
        let page = PluginsPage {
            v: published::API_V,
            total,
            page: n,
            pages,
            per_page: PER_PAGE,
            prev: (n > 1).then(|| page_path(n - 1)),
            next: (n < pages).then(|| page_path(n + 1)),
            items: chunk
                .map(|p| PluginItem {
                    name: p.name.to_string(),
                    description: p.info.manifest.description.clone(),
                    latest: latest_any(p).map(|r| r.version().to_string()),
                    license: p.info.manifest.license.clone(),
                    tags: p.info.manifest.tags.clone(),
                    deprecated: p.info.manifest.deprecated.is_some(),
                    updated: p.releases.iter().map(|r| r.pubtime).max().map(rfc3339),
                    url: plugin_doc_path(p),
                })
                .collect(),
        };
        files.push(OutFile::json(page_path(n), &page));
    }
}
