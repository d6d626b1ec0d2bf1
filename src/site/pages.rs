//! The pages: each one's context, built from the model (a plugin's page)
//! or from listings (everything else), then rendered. docs/site.md lists
//! every context field.

use std::collections::{BTreeMap, HashMap};

use minijinja::Value;
use rayon::prelude::*;
use serde::Serialize;

use super::markdown::{self, RepoLinks};
use super::{Inputs, Previous, Put, Site, SiteError, assets::Assets};
use crate::digest::{self, Sha256Digest};
use crate::emit::{Context, Listing, OutFile, latest_any};
use crate::format::name::canonical;
use crate::format::published::Tier;
use crate::format::types::{Channel, Permission, RegistryConfig, Yanked};
use crate::model::{Plugin, Release};
use crate::timestamp::rfc3339;
use crate::trust::keys::RawKey;
use crate::trust::signature::{AuthorSignature, SigFormat};

/// Plugins per page of a list (a tag's, an owner's, A–Z).
pub const LIST_PER_PAGE: usize = 100;
/// The sitemap protocol's limit per file; past it `sitemap.xml` is an index of parts.
pub const MAX_SITEMAP_URLS: usize = 50_000;
/// Entries of the registry-wide feed (new releases) and of each plugin's feed.
const REGISTRY_FEED_ENTRIES: usize = crate::emit::RECENT_RELEASES;
const PLUGIN_FEED_ENTRIES: usize = 20;
/// Plugins on each list of the home page.
const HOME_LIST: usize = 10;

/// What every page's context has as `site`.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Globals {
    title: String,
    description: Option<String>,
    /// The URL path the site is served under, ending with `/` (`/` at a domain's root).
    root: String,
    /// The absolute URL of the root, for canonical links, feeds and the sitemap.
    base_url: String,
    /// The host application plugins' `engine` requirements refer to.
    engine: String,
    css: String,
    js: String,
    icon: String,
    /// The search engine's module URL; empty while the build has none.
    search_module: String,
    theme: String,
    feed: String,
    /// `[site] install`, with `{name}` to replace.
    #[serde(skip)]
    install: Option<String>,
}

impl Globals {
    pub(super) fn new(
        config: &RegistryConfig,
        cx: &Context,
        assets: &Assets,
        inputs: &Inputs,
        theme: &str,
    ) -> Globals {
        let root = url::Url::parse(&cx.base_url)
            .map(|u| u.path().to_owned())
            .unwrap_or_else(|_| "/".to_owned());
        Globals {
            title: config.title.clone(),
            description: config.description.clone(),
            base_url: cx.base_url.clone(),
            engine: config.engine.clone(),
            css: format!("{root}{}", assets.css),
            js: format!("{root}{}", assets.js),
            icon: format!("{root}{}", assets.icon),
            search_module: inputs
                .search_module
                .as_ref()
                .map(|path| format!("{root}{path}"))
                .unwrap_or_default(),
            theme: theme.to_owned(),
            feed: format!("{root}feed.xml"),
            install: config.site.as_ref().and_then(|s| s.install.clone()),
            root,
        }
    }

    /// `path` (relative to the root, e.g. `plugins/x/`) as a link and as an absolute URL.
    fn link(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }

    fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// What each page tells the layout about itself (`page`): title, the
/// description for search engines and cards, its canonical URL.
#[derive(Debug, Serialize)]
struct PageMeta {
    title: String,
    description: String,
    url: String,
    /// Its own Atom feed, if it has one (else the registry's is linked).
    feed: Option<String>,
}

fn page_meta(site: &Site, title: String, description: String, path: &str) -> PageMeta {
    PageMeta {
        title,
        description,
        url: site.globals.absolute(path),
        feed: None,
    }
}

/// One plugin in a list (`plugins` of the home, tag, owner and A–Z pages).
#[derive(Debug, Serialize)]
struct Card {
    name: String,
    url: String,
    description: String,
    latest: Option<String>,
    engine: Option<String>,
    tier: Option<Tier>,
    deprecated: bool,
    updated: Option<String>,
    /// Downloads from `build --stats`, on the home page's popular cards only.
    #[serde(skip_serializing_if = "Option::is_none")]
    downloads: Option<u64>,
}

impl Card {
    fn of(site: &Site, l: &Listing) -> Card {
        Card {
            name: l.name.clone(),
            url: site.globals.link(&plugin_dir(&l.name)),
            description: l.description.clone(),
            latest: l.latest.clone(),
            engine: l.engine.clone(),
            tier: l.tier,
            deprecated: l.deprecated,
            updated: l.updated.map(date),
            downloads: None,
        }
    }
}

fn plugin_dir(name: &str) -> String {
    format!("plugins/{}/", canonical(name))
}

fn date(t: i64) -> String {
    rfc3339(t).chars().take(10).collect()
}

fn render(site: &Site, template: &str, page: PageMeta, ctx: Value) -> Result<String, SiteError> {
    let full = minijinja::context! { site => Value::from_serialize(&site.globals), page => Value::from_serialize(&page), ..ctx };
    site.render(template, full)
}

/// A page that lists plugins, put or carried over.
struct Page {
    /// Its folder.
    path: String,
    key: Sha256Digest,
}

fn file(path: String, text: String) -> OutFile {
    OutFile {
        path,
        bytes: text.into_bytes(),
    }
}

// ---- a plugin's page ----

#[derive(Debug, Serialize)]
struct PluginPage {
    name: String,
    description: String,
    license: String,
    tags: Vec<Link>,
    homepage: Option<String>,
    repository: Option<String>,
    authors: Vec<String>,
    owners: Vec<Link>,
    deprecated: Option<Deprecated>,
    latest: Option<String>,
    /// The latest release's tier, with what it means.
    tier: Option<TierInfo>,
    install: String,
    /// The host application's command from `[site] install`.
    host_install: Option<String>,
    /// The latest release's engine requirement, runtime, permissions, capabilities and dependencies.
    engine: Option<String>,
    runtime: Option<String>,
    permissions: Vec<PermissionInfo>,
    capabilities: Vec<CapabilityInfo>,
    dependencies: Vec<DependencyInfo>,
    dependents: Vec<Link>,
    /// Sentences such as "2.0.0 adds `network`", oldest first.
    permission_changes: Vec<String>,
    /// Newest first.
    versions: Vec<VersionInfo>,
    /// Oldest first.
    audit: Vec<AuditInfo>,
    feed: String,
}

#[derive(Debug, Serialize)]
struct Link {
    name: String,
    url: String,
}

#[derive(Debug, Serialize)]
struct Deprecated {
    message: String,
    replacement: Option<Link>,
}

#[derive(Debug, Serialize)]
struct TierInfo {
    name: Tier,
    meaning: &'static str,
}

#[derive(Debug, Serialize)]
struct PermissionInfo {
    name: Permission,
    meaning: &'static str,
}

#[derive(Debug, Serialize)]
struct CapabilityInfo {
    name: String,
    description: String,
    endpoint: Option<String>,
    method: Option<String>,
}

#[derive(Debug, Serialize)]
struct DependencyInfo {
    name: String,
    url: String,
    req: String,
    optional: bool,
}

#[derive(Debug, Serialize)]
struct VersionInfo {
    version: String,
    channel: Channel,
    yanked: Option<String>,
    deprecated: Option<String>,
    revoked: Option<String>,
    pubtime: String,
    date: String,
    tier: TierInfo,
    engine: String,
    runtime: String,
    permissions: Vec<Permission>,
    adds: Vec<Permission>,
    removes: Vec<Permission>,
    /// The owner key the signature verifies under (raw base64), and its format.
    signer: Option<RawKey>,
    signature_format: Option<&'static str>,
    /// The release's artifacts: the single one, then one per platform.
    artifacts: Vec<ArtifactInfo>,
}

#[derive(Debug, Serialize)]
struct ArtifactInfo {
    /// `linux-x86_64`, `macos`; `None` for the artifact of every platform.
    platform: Option<String>,
    size: u64,
    size_text: String,
    sha256: crate::digest::Sha256,
    download: String,
}

#[derive(Debug, Serialize)]
struct AuditInfo {
    time: String,
    date: String,
    action: &'static str,
    version: Option<String>,
    detail: Option<String>,
    commit: Option<String>,
    author: Option<String>,
}

pub fn tier_meaning(tier: Tier) -> &'static str {
    match tier {
        Tier::Verified => "signed by an owner's key and reviewed by the registry's maintainers",
        Tier::Community => "signed by an owner's key; every check passes, but nobody reviewed it",
        Tier::Experimental => "not signed: nothing ties it to its owners",
    }
}

fn permission_meaning(p: Permission) -> &'static str {
    match p {
        Permission::Filesystem => "read and write files outside its own data folder",
        Permission::Network => "open network connections",
        Permission::Process => "start other programs",
        Permission::Env => "read environment variables",
        Permission::Clipboard => "read and write the clipboard",
        Permission::Notifications => "show system notifications",
        Permission::Keychain => "read and write secrets in the system keychain",
    }
}

/// A unit enum as its serde name (`network`, `wasm`, `POST`).
fn lower<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn signature_format(release: &Release) -> Option<&'static str> {
    release.trust.signer.as_ref()?;
    let text = release.parsed.manifest.signature.as_deref()?;
    Some(match AuthorSignature::parse(text).ok()?.format() {
        SigFormat::Raw => "raw ed25519",
        SigFormat::Minisign => "minisign",
        SigFormat::SshSig => "SSH signature (SSHSIG)",
    })
}

fn version_info(site: &Site, plugin: &Plugin, index: usize) -> VersionInfo {
    let release = &plugin.releases[index];
    let m = &release.parsed.manifest;
    let before: &[Permission] = index
        .checked_sub(1)
        .map_or(&[], |i| &plugin.releases[i].parsed.manifest.permissions);
    let cx = Context {
        base_url: site.globals.base_url.clone(),
    };
    VersionInfo {
        version: release.version().to_string(),
        channel: m.channel,
        yanked: match &m.yanked {
            Yanked::No => None,
            Yanked::Reason(r) => Some(r.clone()),
        },
        deprecated: m.deprecated.as_ref().map(|d| d.message().to_owned()),
        revoked: release.trust.revoked.clone(),
        pubtime: rfc3339(release.pubtime),
        date: date(release.pubtime),
        tier: TierInfo {
            name: release.trust.tier,
            meaning: tier_meaning(release.trust.tier),
        },
        engine: m.engine.clone(),
        runtime: lower(m.runtime),
        permissions: m.permissions.clone(),
        adds: m
            .permissions
            .iter()
            .filter(|p| !before.contains(p))
            .copied()
            .collect(),
        removes: before
            .iter()
            .filter(|p| !m.permissions.contains(p))
            .copied()
            .collect(),
        signer: release.trust.signer.as_deref().map(RawKey::from),
        signature_format: signature_format(release),
        artifacts: m
            .artifacts()
            .map(|(platform, a)| ArtifactInfo {
                platform: platform.map(|p| p.to_string()),
                size: a.size,
                size_text: size_text(a.size),
                sha256: a.sha256,
                download: cx.artifact_url(a),
            })
            .collect(),
    }
}

fn permission_changes(versions: &[VersionInfo]) -> Vec<String> {
    let names = |ps: &[Permission]| {
        ps.iter()
            .map(|p| format!("`{}`", lower(*p)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // `versions` are newest first; the sentences read oldest first, and the
    // first version's permissions are not a change.
    versions
        .iter()
        .rev()
        .skip(1)
        .filter(|v| !v.adds.is_empty() || !v.removes.is_empty())
        .map(|v| {
            let mut parts = Vec::new();
            if !v.adds.is_empty() {
                parts.push(format!("adds {}", names(&v.adds)));
            }
            if !v.removes.is_empty() {
                parts.push(format!("removes {}", names(&v.removes)));
            }
            format!("{} {}", v.version, parts.join(" and "))
        })
        .collect()
}

pub(super) fn plugin(
    site: &Site,
    plugin: &Plugin,
    dependents: &[String],
) -> Result<Vec<OutFile>, SiteError> {
    let g = &site.globals;
    let m = &plugin.info.manifest;
    let name = plugin.name.to_string();
    let dir = plugin_dir(&name);
    let latest = latest_any(plugin);
    let link = |n: &str| Link {
        name: n.to_owned(),
        url: g.link(&plugin_dir(n)),
    };
    let mut versions: Vec<VersionInfo> = (0..plugin.releases.len())
        .map(|i| version_info(site, plugin, i))
        .collect();
    versions.reverse();
    let lm = latest.map(|r| &r.parsed.manifest);
    let page = PluginPage {
        name: name.clone(),
        description: m.description.clone(),
        license: m.license.clone(),
        tags: m
            .tags
            .iter()
            .map(|t| Link {
                name: t.clone(),
                url: g.link(&format!("tags/{t}/")),
            })
            .collect(),
        homepage: m.homepage.clone(),
        repository: m.repository.clone(),
        authors: m.authors.clone(),
        owners: m
            .owners
            .iter()
            .map(|o| Link {
                name: o.github.clone(),
                url: g.link(&format!("owners/{}/", o.github.to_ascii_lowercase())),
            })
            .collect(),
        deprecated: m.deprecated.as_ref().map(|d| Deprecated {
            message: d.message().to_owned(),
            replacement: d.replacement().map(link),
        }),
        latest: latest.map(|r| r.version().to_string()),
        tier: latest.map(|r| TierInfo {
            name: r.trust.tier,
            meaning: tier_meaning(r.trust.tier),
        }),
        install: format!("plugdex install {name}"),
        host_install: g.install.as_ref().map(|s| s.replace("{name}", &name)),
        engine: lm.map(|m| m.engine.clone()),
        runtime: lm.map(|m| lower(m.runtime)),
        permissions: lm
            .map(|m| {
                m.permissions
                    .iter()
                    .map(|p| PermissionInfo {
                        name: *p,
                        meaning: permission_meaning(*p),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        capabilities: lm
            .map(|m| {
                m.capabilities
                    .iter()
                    .map(|c| CapabilityInfo {
                        name: c.name.clone(),
                        description: c.description.clone(),
                        endpoint: c.endpoint.clone(),
                        method: c.method.map(lower),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        dependencies: latest
            .map(|r| {
                r.parsed
                    .manifest
                    .dependencies
                    .iter()
                    .map(|d| DependencyInfo {
                        name: d.name.clone(),
                        url: g.link(&plugin_dir(&d.name)),
                        req: d.req.to_string(),
                        optional: d.optional,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        dependents: dependents.iter().map(|n| link(n)).collect(),
        permission_changes: permission_changes(&versions),
        versions,
        audit: plugin
            .audit
            .iter()
            .map(|e| AuditInfo {
                time: rfc3339(e.time),
                date: date(e.time),
                action: e.action,
                version: e.version.clone(),
                detail: e.detail.clone(),
                commit: e.commit.as_deref().map(str::to_owned),
                author: e.author.as_deref().map(str::to_owned),
            })
            .collect(),
        feed: g.link(&format!("{dir}feed.xml")),
    };
    let readme = plugin
        .readme
        .as_deref()
        .map(|r| markdown::render(r, &RepoLinks::for_repository(m.repository.as_deref())));
    let mut meta = page_meta(site, name.clone(), m.description.clone(), &dir);
    meta.feed = Some(page.feed.clone());
    let entries: Vec<FeedEntry> = page
        .versions
        .iter()
        .take(PLUGIN_FEED_ENTRIES)
        .map(|v| FeedEntry {
            title: format!("{name} {}", v.version),
            url: g.absolute(&dir),
            id: format!("{}#{}", g.absolute(&dir), v.version),
            updated: v.pubtime.clone(),
            summary: m.description.clone(),
        })
        .collect();
    let feed = Feed {
        title: format!("{name}: new versions"),
        url: g.absolute(&format!("{dir}feed.xml")),
        page: g.absolute(&dir),
        updated: entries
            .first()
            .map_or_else(|| rfc3339(0), |e| e.updated.clone()),
        entries,
    };
    let html = render(
        site,
        "plugin.html",
        meta,
        minijinja::context! {
            plugin => Value::from_serialize(&page),
            readme => readme.map(Value::from_safe_string),
        },
    )?;
    let feed_xml = render_feed(site, &feed)?;
    Ok(vec![
        file(format!("{dir}index.html"), html),
        file(format!("{dir}feed.xml"), feed_xml),
    ])
}

// ---- feeds ----

#[derive(Debug, Serialize)]
struct Feed {
    title: String,
    /// The feed's own URL, and the page it belongs to.
    url: String,
    page: String,
    updated: String,
    entries: Vec<FeedEntry>,
}

#[derive(Debug, Serialize)]
struct FeedEntry {
    title: String,
    url: String,
    id: String,
    updated: String,
    summary: String,
}

fn render_feed(site: &Site, feed: &Feed) -> Result<String, SiteError> {
    let meta = page_meta(site, feed.title.clone(), String::new(), "");
    render(
        site,
        "feed.xml",
        meta,
        minijinja::context! { feed => Value::from_serialize(feed) },
    )
}

// ---- the pages that span the registry ----

/// The most downloaded plugins (`downloads` by canonical name), most first
/// then by name; plugins without a download are not popular.
fn popular(site: &Site, listings: &[&Listing], downloads: &HashMap<String, u64>) -> Vec<Card> {
    let mut counted: Vec<(u64, &Listing)> = listings
        .iter()
        .filter_map(|l| {
            let n = downloads.get(&canonical(&l.name)).copied().unwrap_or(0);
            (n > 0).then_some((n, *l))
        })
        .collect();
    counted.sort_by(|(a, la), (b, lb)| b.cmp(a).then_with(|| la.name.cmp(&lb.name)));
    counted
        .into_iter()
        .take(HOME_LIST)
        .map(|(n, l)| Card {
            downloads: Some(n),
            ..Card::of(site, l)
        })
        .collect()
}

pub(super) fn registry(
    site: &Site,
    listings: &[&Listing],
    downloads: Option<&HashMap<String, u64>>,
    previous: &dyn Previous,
    put: &Put<'_>,
) -> Result<Vec<(String, Sha256Digest)>, SiteError> {
    let g = &site.globals;
    let mut urls: Vec<String> = Vec::new();
    let cards = |ls: &mut dyn Iterator<Item = &&Listing>| -> Vec<Card> {
        ls.map(|l| Card::of(site, l)).collect()
    };
    // A page listing plugins is made from the site and their listings alone:
    // its key is their digests, each listing's taken once.
    // (By name: a registry's names are unique.)
    let digests: HashMap<&str, Sha256Digest> = listings
        .par_iter()
        .map(|l| {
            let json = serde_json::to_vec(l).expect("listings serialise");
            (l.name.as_str(), digest::sha256(&json))
        })
        .collect();
    let key_of = |what: &str, members: &mut dyn Iterator<Item = &&Listing>| {
        let mut text = Vec::with_capacity(64 + what.len());
        text.extend_from_slice(&site.identity);
        text.extend_from_slice(what.as_bytes());
        text.push(0);
        for l in members {
            text.extend_from_slice(&digests[l.name.as_str()]);
        }
        digest::sha256(&text)
    };
    // Carried over when `previous` has it from the same key, else rendered.
    let keyed = |path: String,
                 key: Sha256Digest,
                 render: &dyn Fn() -> Result<String, SiteError>|
     -> Result<Page, SiteError> {
        let index = format!("{path}index.html");
        if !previous.carry(&index, &key) {
            put(file(index, render()?))?;
        }
        Ok(Page { path, key })
    };
    let mut keys = Vec::new();

    // Tags and owners, each in name order.
    let mut tags: BTreeMap<&str, Vec<&Listing>> = BTreeMap::new();
    let mut owners: BTreeMap<String, Vec<&Listing>> = BTreeMap::new();
    for l in listings {
        for t in &l.tags {
            tags.entry(t.as_str()).or_default().push(l);
        }
        for o in &l.owners {
            owners.entry(o.to_ascii_lowercase()).or_default().push(l);
        }
    }
    let tag_links: Vec<Counted> = tags
        .iter()
        .map(|(t, ls)| Counted {
            name: (*t).to_owned(),
            url: g.link(&format!("tags/{t}/")),
            count: ls.len(),
        })
        .collect();

    // Home: newest plugins and recently updated, by time then name.
    let mut newest: Vec<&&Listing> = listings.iter().filter(|l| l.created.is_some()).collect();
    newest.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name)));
    let mut updated: Vec<&&Listing> = listings.iter().filter(|l| l.updated.is_some()).collect();
    updated.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.name.cmp(&b.name)));
    let popular = downloads.map_or_else(Vec::new, |d| popular(site, listings, d));
    let home = render(
        site,
        "index.html",
        page_meta(
            site,
            g.title.clone(),
            g.description.clone().unwrap_or_default(),
            "",
        ),
        minijinja::context! {
            newest => Value::from_serialize(cards(&mut newest.into_iter().take(HOME_LIST))),
            updated => Value::from_serialize(cards(&mut updated.into_iter().take(HOME_LIST))),
            popular => Value::from_serialize(&popular),
            tags => Value::from_serialize(&tag_links),
            total => listings.len(),
            all => g.link("all/"),
        },
    )?;
    put(file("index.html".into(), home))?;
    urls.push(g.absolute(""));

    // Tags.
    let tags_page = render(
        site,
        "tags.html",
        page_meta(
            site,
            "Tags".into(),
            format!("Plugins of {} by tag", g.title),
            "tags/",
        ),
        minijinja::context! { tags => Value::from_serialize(&tag_links) },
    )?;
    put(file("tags/index.html".into(), tags_page))?;
    urls.push(g.absolute("tags/"));
    // Owners.
    let owner_links: Vec<Counted> = owners
        .iter()
        .map(|(o, ls)| Counted {
            name: o.clone(),
            url: g.link(&format!("owners/{o}/")),
            count: ls.len(),
        })
        .collect();
    let owners_page = render(
        site,
        "owners.html",
        page_meta(
            site,
            "Owners".into(),
            format!("Who publishes the plugins of {}", g.title),
            "owners/",
        ),
        minijinja::context! { owners => Value::from_serialize(&owner_links) },
    )?;
    put(file("owners/index.html".into(), owners_page))?;
    urls.push(g.absolute("owners/"));

    // The lists: one per tag, one per owner, and A–Z with links to the page
    // each letter starts on. Paged alike.
    let mut lists: Vec<List> = Vec::with_capacity(tags.len() + owners.len() + 1);
    lists.extend(tags.iter().map(|(tag, ls)| List {
        folder: format!("tags/{tag}/"),
        template: "tag.html",
        title: format!("Tag: {tag}"),
        description: format!("Plugins tagged {tag}"),
        members: ls.as_slice(),
        extra: minijinja::context! { tag => *tag },
    }));
    lists.extend(owners.iter().map(|(owner, ls)| List {
        folder: format!("owners/{owner}/"),
        template: "owner.html",
        title: format!("Plugins by {owner}"),
        description: format!("Plugins {owner} owns"),
        members: ls.as_slice(),
        extra: minijinja::context! { owner => owner, github => format!("https://github.com/{owner}") },
    }));
    let mut letters: Vec<Letter> = Vec::new();
    for (i, l) in listings.iter().enumerate() {
        let initial = canonical(&l.name)
            .chars()
            .next()
            .unwrap_or('?')
            .to_ascii_uppercase()
            .to_string();
        if letters.last().is_none_or(|x| x.letter != initial) {
            letters.push(Letter {
                letter: initial,
                url: g.link(&page_folder("all/", i / LIST_PER_PAGE + 1)),
            });
        }
    }
    lists.push(List {
        folder: "all/".into(),
        template: "all.html",
        title: "All plugins".into(),
        description: format!("Every plugin of {}, A to Z", g.title),
        members: listings,
        extra: minijinja::context! { letters => Value::from_serialize(&letters) },
    });
    // Most of the site's registry-wide work: every page of every list
    // rendered on every core, kept in order.
    let jobs: Vec<(&List, usize)> = lists
        .iter()
        .flat_map(|list| (1..=list.pages()).map(move |n| (list, n)))
        .collect();
    let list_pages: Vec<Page> = jobs
        .par_iter()
        .map(|&(list, n)| list.page(site, n, &key_of, &keyed))
        .collect::<Result<_, SiteError>>()?;
    for Page { path, key } in list_pages {
        keys.push((format!("{path}index.html"), key));
        urls.push(g.absolute(&path));
    }

    // Search and 404.
    let search = render(
        site,
        "search.html",
        page_meta(
            site,
            "Search".into(),
            format!("Search the plugins of {}", g.title),
            "search/",
        ),
        minijinja::context! { all => g.link("all/"), tags => g.link("tags/") },
    )?;
    put(file("search/index.html".into(), search))?;
    urls.push(g.absolute("search/"));
    let not_found = render(
        site,
        "404.html",
        page_meta(site, "Not found".into(), String::new(), "404.html"),
        minijinja::context! { all => g.link("all/"), tags => g.link("tags/") },
    )?;
    put(file("404.html".into(), not_found))?;

    // The registry-wide feed: the newest releases of all plugins.
    let mut recent: Vec<(&Listing, &crate::emit::RecentRelease)> = listings
        .iter()
        .flat_map(|l| l.recent.iter().map(move |r| (*l, r)))
        .collect();
    recent.sort_by(|a, b| {
        b.1.pubtime
            .cmp(&a.1.pubtime)
            .then_with(|| a.0.name.cmp(&b.0.name))
            .then_with(|| b.1.version.cmp(&a.1.version))
    });
    let entries: Vec<FeedEntry> = recent
        .into_iter()
        .take(REGISTRY_FEED_ENTRIES)
        .map(|(l, r)| {
            let dir = plugin_dir(&l.name);
            FeedEntry {
                title: format!("{} {}", l.name, r.version),
                url: g.absolute(&dir),
                id: format!("{}#{}", g.absolute(&dir), r.version),
                updated: rfc3339(r.pubtime),
                summary: l.description.clone(),
            }
        })
        .collect();
    let feed = Feed {
        title: format!("{}: new releases", g.title),
        url: g.absolute("feed.xml"),
        page: g.absolute(""),
        updated: entries
            .first()
            .map_or_else(|| rfc3339(0), |e| e.updated.clone()),
        entries,
    };
    put(file("feed.xml".into(), render_feed(site, &feed)?))?;

    // The sitemap: every page but the 404, split past the protocol's limit.
    urls.extend(listings.iter().map(|l| g.absolute(&plugin_dir(&l.name))));
    urls.sort();
    for sitemap in sitemaps(site, &urls)? {
        put(sitemap)?;
    }
    put(file(
        "robots.txt".into(),
        format!(
            "User-agent: *\nAllow: /\nSitemap: {}sitemap.xml\n",
            g.base_url
        ),
    ))?;
    Ok(keys)
}

/// A list of plugins (a tag's, an owner's, A–Z), `LIST_PER_PAGE` to a
/// page: page 1 in `folder`, page n in `{folder}{n}/`.
struct List<'a> {
    folder: String,
    template: &'static str,
    /// Page 1's title; the others add ", page n".
    title: String,
    description: String,
    members: &'a [&'a Listing],
    /// The template's own context beside the pager's and `plugins`.
    extra: Value,
}

type KeyOf<'a> = dyn Fn(&str, &mut dyn Iterator<Item = &&Listing>) -> Sha256Digest + Sync + 'a;
type Keyed<'a> = dyn Fn(String, Sha256Digest, &dyn Fn() -> Result<String, SiteError>) -> Result<Page, SiteError>
    + Sync
    + 'a;

impl List<'_> {
    /// An empty list still has its first page.
    fn pages(&self) -> usize {
        self.members.len().div_ceil(LIST_PER_PAGE).max(1)
    }

    /// Page `n`, keyed by the list, the page's place and its members.
    fn page(
        &self,
        site: &Site,
        n: usize,
        key_of: &KeyOf<'_>,
        keyed: &Keyed<'_>,
    ) -> Result<Page, SiteError> {
        let g = &site.globals;
        let pages = self.pages();
        let chunk = || {
            self.members
                .iter()
                .skip((n - 1) * LIST_PER_PAGE)
                .take(LIST_PER_PAGE)
        };
        let path = page_folder(&self.folder, n);
        let extra = serde_json::to_string(&self.extra).expect("a context serialises");
        let key = key_of(
            &format!("{} {} {n} {pages} {extra}", self.template, self.folder),
            &mut chunk(),
        );
        keyed(path.clone(), key, &|| {
            let title = match n {
                1 => self.title.clone(),
                _ => format!("{}, page {n}", self.title),
            };
            render(
                site,
                self.template,
                page_meta(site, title, self.description.clone(), &path),
                minijinja::context! {
                    plugins => Value::from_serialize(chunk().map(|l| Card::of(site, l)).collect::<Vec<_>>()),
                    number => n,
                    pages => pages,
                    previous => (n > 1).then(|| g.link(&page_folder(&self.folder, n - 1))),
                    next => (n < pages).then(|| g.link(&page_folder(&self.folder, n + 1))),
                    ..self.extra.clone()
                },
            )
        })
    }
}

/// The folder of a list's page `n`.
fn page_folder(folder: &str, n: usize) -> String {
    match n {
        1 => folder.to_owned(),
        _ => format!("{folder}{n}/"),
    }
}

#[derive(Debug, Serialize)]
struct Counted {
    name: String,
    url: String,
    count: usize,
}

#[derive(Debug, Serialize)]
struct Letter {
    letter: String,
    url: String,
}

fn sitemaps(site: &Site, urls: &[String]) -> Result<Vec<OutFile>, SiteError> {
    let meta = || page_meta(site, String::new(), String::new(), "sitemap.xml");
    if urls.len() <= MAX_SITEMAP_URLS {
        let xml = render(
            site,
            "sitemap.xml",
            meta(),
            minijinja::context! { urls => urls },
        )?;
        return Ok(vec![file("sitemap.xml".into(), xml)]);
    }
    let mut files = Vec::new();
    let mut parts = Vec::new();
    for (i, chunk) in urls.chunks(MAX_SITEMAP_URLS).enumerate() {
        let name = format!("sitemap-{}.xml", i + 1);
        parts.push(site.globals.absolute(&name));
        let xml = render(
            site,
            "sitemap.xml",
            meta(),
            minijinja::context! { urls => chunk },
        )?;
        files.push(file(name, xml));
    }
    let index = render(
        site,
        "sitemap-index.xml",
        meta(),
        minijinja::context! { sitemaps => parts },
    )?;
    files.push(file("sitemap.xml".into(), index));
    Ok(files)
}
