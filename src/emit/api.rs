//! The static JSON API under `api/v1/`.

use super::{Listing, OutFile, Shape, index_file, latest};
use crate::format::name::canonical;
use crate::format::published::{
    self, API_DIR, AuditDoc, AuditEvent, Deprecated, IndexLine, Latest, PluginDoc, PluginItem,
    PluginLinks, PluginsPage, VersionDoc, VersionSummary, VersionsDoc,
};
use crate::format::types::Channel;
use crate::model::Plugin;
use crate::timestamp::rfc3339;

/// Plugins per page of `api/v1/plugins.json`.
pub const PER_PAGE: usize = 100;

/// Path of the plugin named `name`'s detail document.
pub fn plugin_doc_path(name: &str) -> String {
    format!("{API_DIR}plugins/{}.json", canonical(name))
}

/// The path static hosts redirect to the latest stable artifact of the plugin named `name`.
pub fn download_path(name: &str) -> String {
    format!("{API_DIR}plugins/{}/download", canonical(name))
}

pub(super) fn plugin(
    plugin: &Plugin,
    lines: Vec<IndexLine>,
    shape: Shape,
    files: &mut Vec<OutFile>,
) {
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
            // A release with only `[[platforms]]` has no one file to redirect to.
            download: stable
                .filter(|r| r.parsed.manifest.artifact.is_some())
                .map(|_| download_path(plugin.name.as_str())),
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
    files.push(OutFile::json(plugin_doc_path(plugin.name.as_str()), &doc));
    let versions: Vec<VersionDoc> = lines;
    for v in versions.iter().filter(|_| shape.version_documents) {
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

pub(super) fn plugin_list(listings: &[&Listing], files: &mut Vec<OutFile>) {
    let total = listings.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    for n in 1..=pages {
        let chunk = listings.iter().skip((n - 1) * PER_PAGE).take(PER_PAGE);
        let page = PluginsPage {
            v: published::API_V,
            total,
            page: n,
            pages,
            per_page: PER_PAGE,
            prev: (n > 1).then(|| page_path(n - 1)),
            next: (n < pages).then(|| page_path(n + 1)),
            items: chunk
                .map(|l| PluginItem {
                    name: l.name.clone(),
                    description: l.description.clone(),
                    latest: l.latest.clone(),
                    license: l.license.clone(),
                    tags: l.tags.clone(),
                    deprecated: l.deprecated,
                    updated: l.updated.map(rfc3339),
                    url: plugin_doc_path(&l.name),
                })
                .collect(),
        };
        files.push(OutFile::json(page_path(n), &page));
    }
}
