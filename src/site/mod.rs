//! The HTML site `build` writes beside the registry: one page per plugin
//! ([`Site::plugin`], run in parallel with the other per-plugin files) and
//! the pages that span the registry ([`Site::registry`], from listings
//! only, as `emit::registry`). Pure like `emit`: the driver reads the
//! index repo's overrides ([`Site::load`]) and writes what comes back.
//! Pages are for browsers: the signed snapshot does not cover them.
//! See docs/site.md.

mod assets;
mod highlight;
pub mod markdown;
mod pages;
mod templates;

use std::collections::{BTreeMap, HashMap};

use crate::digest;
use crate::emit::{Context, Listing, OutFile};
use crate::format::types::RegistryConfig;
use crate::model::Plugin;
use crate::source::Source;

pub use assets::{STATIC_DIR, THEMES};
pub use pages::{LIST_PER_PAGE, MAX_SITEMAP_URLS};
pub use templates::TEMPLATES;

/// The index repo's file that replaces the built-in base stylesheet.
pub const BASE_FILE: &str = "themes/base.css";

/// The theme used when `[site] theme` is not set.
pub const DEFAULT_THEME: &str = "default";

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("`{file}`{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Template {
        /// `templates/NAME` in the index repo, or `built-in templates/NAME`.
        file: String,
        line: Option<usize>,
        message: String,
    },
    #[error("`{file}` could not be read: {message}")]
    Read { file: String, message: String },
    #[error("`registry.toml`: `[site] theme = \"{0}\"` is not a built-in theme")]
    UnknownTheme(String),
    /// A page could not be handed to the writer.
    #[error(transparent)]
    Write(#[from] crate::write::WriteError),
}

impl SiteError {
    pub fn hint(&self) -> Option<String> {
        match self {
            SiteError::Template { .. } => Some(
                "fix the template (docs/site.md lists each page's context), or delete the override to use the built-in one".into(),
            ),
            SiteError::UnknownTheme(_) => Some(format!(
                "use one of: {}; or add `themes/<name>/site.css` to the index repo",
                THEMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            )),
            SiteError::Read { .. } => None,
            SiteError::Write(e) => e.hint(),
        }
    }
}

/// What the pages need that the index does not say.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The search engine's ES module, relative to the output root (e.g.
    /// `search/plugdex-search.1a2b3c.js`; pages prefix the base URL's path);
    /// `None` while no engine is built, and the search page says search is
    /// not available.
    pub search_module: Option<String>,
}

impl Inputs {
    /// What this binary brings: the browser's search engine built into it
    /// (`search::web`).
    pub fn built_in() -> Inputs {
        Inputs {
            search_module: Some(crate::search::web::assets().module.clone()),
        }
    }
}

/// A digest of the built-in templates, themes and script and of `inputs`:
/// pages of an earlier build are carried over only under the same one.
pub fn defaults_fingerprint(inputs: &Inputs) -> String {
    let mut text = format!("{:?}\n", inputs.search_module);
    for (name, source) in TEMPLATES.iter().chain(THEMES) {
        text.push_str(name);
        text.push('\n');
        text.push_str(source);
    }
    text.push_str(assets::BASE);
    text.push_str(assets::SCRIPT);
    text.push_str(assets::ICON);
    digest::hex(&digest::sha256(text.as_bytes()))
}

/// The templates and theme of one build.
pub struct Site {
    env: minijinja::Environment<'static>,
    assets: assets::Assets,
    /// The browser's search engine, worker and module, when pages use them.
    engine: Vec<OutFile>,
    globals: pages::Globals,
    /// A digest of everything a page is made from besides its own data:
    /// this binary, the templates, the stylesheet and the globals.
    identity: digest::Sha256Digest,
}

/// The pages an earlier build made, for the registry-wide pages that list
/// many plugins (tags, owners, A–Z): one made from the same inputs is
/// carried over instead of rendered again.
pub trait Previous: Sync {
    /// Carries the previous output's file at `path` over when it was made
    /// from inputs with this `key`; `false` when it must be rendered.
    fn carry(&self, path: &str, key: &digest::Sha256Digest) -> bool;
}

/// No earlier build: every page is rendered.
pub struct NoPrevious;

impl Previous for NoPrevious {
    fn carry(&self, _: &str, _: &digest::Sha256Digest) -> bool {
        false
    }
}

/// Where the registry-wide files go as they are made (the build's writer),
/// from any thread: at a million files the pages listing plugins are too
/// many to hold until the end.
pub type Put<'a> = dyn Fn(OutFile) -> Result<(), SiteError> + Sync + 'a;

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("theme", &self.globals)
            .finish()
    }
}

impl Site {
    /// The templates (each the index repo's `templates/NAME` if it has one,
    /// else the built-in one) and the stylesheet: the base (`themes/base.css`
    /// in the index repo, else the built-in one), then the theme
    /// (`themes/THEME/site.css` in the index repo, else the built-in theme
    /// of that name).
    pub fn load<S: Source>(
        source: &S,
        config: &RegistryConfig,
        cx: &Context,
        inputs: &Inputs,
    ) -> Result<Site, SiteError> {
        let site = config.site.clone().unwrap_or_default();
        let theme = site.theme.as_deref().unwrap_or(DEFAULT_THEME);
        let theme_file = format!("themes/{theme}/site.css");
        let look = match templates::read_override(source, &theme_file)? {
            Some(css) => css,
            None => assets::builtin_theme(theme)
                .ok_or_else(|| SiteError::UnknownTheme(theme.to_owned()))?
                .to_owned(),
        };
        let base = templates::read_override(source, BASE_FILE)?;
        let css = assets::stylesheet(base.as_deref().unwrap_or(assets::BASE), &look);
        let (env, templates_digest) = templates::environment(source)?;
        let assets = assets::Assets::new(&css);
        let globals = pages::Globals::new(config, cx, &assets, inputs, theme);
        let identity = {
            let mut text = format!(
                "{}\n{}\n{}\n{:?}\n",
                env!("PLUGDEX_VERSION"),
                digest::hex(&templates_digest),
                digest::hex(&digest::sha256(css.as_bytes())),
                site.install,
            );
            text.push_str(&serde_json::to_string(&globals).expect("globals serialise"));
            digest::sha256(text.as_bytes())
        };
        let engine = match inputs.search_module {
            Some(_) => crate::search::web::assets()
                .files
                .iter()
                .map(|f| OutFile {
                    path: f.path.clone(),
                    bytes: f.bytes.clone(),
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(Site {
            env,
            assets,
            engine,
            globals,
            identity,
        })
    }

    /// The pages of one plugin: its page and its feed. `dependents` are the
    /// names of the plugins that depend on it, sorted.
    pub fn plugin(
        &self,
        plugin: &Plugin,
        dependents: &[String],
    ) -> Result<Vec<OutFile>, SiteError> {
        pages::plugin(self, plugin, dependents)
    }

    /// The pages that span the registry, and the theme's files. `listings`
    /// are sorted by canonical name; `downloads` (by canonical name, from
    /// `build --stats`) puts the popular plugins on the home page.
    /// A page that lists many plugins is carried over by `previous` when
    /// it was made from the same inputs.
    /// Returns the key of each page [`Previous`] may carry over (rendered
    /// or carried), for the next build.
    pub fn registry(
        &self,
        listings: &[&Listing],
        downloads: Option<&HashMap<String, u64>>,
        previous: &dyn Previous,
        put: &Put<'_>,
    ) -> Result<Vec<(String, digest::Sha256Digest)>, SiteError> {
        for file in self.assets.files.iter().chain(&self.engine) {
            put(file.clone())?;
        }
        pages::registry(self, listings, downloads, previous, put)
    }

    fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, SiteError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| templates::error(name, &e))?;
        template.render(ctx).map_err(|e| templates::error(name, &e))
    }
}

/// Who depends on whom: for each canonical name, the names of the plugins
/// with a non-yanked version that depends on it, sorted and deduplicated.
pub fn dependents<'a>(
    edges: impl Iterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (dependent, dependency) in edges {
        map.entry(crate::format::name::canonical(dependency))
            .or_default()
            .push(dependent.to_owned());
    }
    for names in map.values_mut() {
        names.sort();
        names.dedup();
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FolderSource;

    fn example_site() -> Site {
        let index = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("index");
        let source = FolderSource::open(&index).unwrap();
        let checked = crate::check::check_index(&index).unwrap();
        let config = checked.registry.unwrap().meta.config;
        let cx = Context {
            base_url: "https://r.example/sub/".into(),
        };
        Site::load(&source, &config, &cx, &Inputs::default()).unwrap()
    }

    fn listing(i: usize) -> Listing {
        Listing {
            name: format!("p{i:06}"),
            description: "d".into(),
            tags: vec!["t".into()],
            owners: vec!["o".into()],
            latest: Some("1.0.0".into()),
            updated: Some(i as i64),
            created: Some(i as i64),
            ..Listing::default()
        }
    }

    /// What `Site::registry` made: the files it put, by path, and the keys.
    struct RegistryPages {
        files: Vec<OutFile>,
        keys: Vec<(String, digest::Sha256Digest)>,
    }

    fn registry(
        site: &Site,
        listings: &[&Listing],
        previous: &dyn Previous,
    ) -> Result<RegistryPages, SiteError> {
        let files = std::sync::Mutex::new(Vec::new());
        let put = |f: OutFile| {
            files.lock().unwrap().push(f);
            Ok(())
        };
        let keys = site.registry(listings, None, previous, &put)?;
        let mut files = files.into_inner().unwrap();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(RegistryPages { files, keys })
    }

    fn paths(files: &[OutFile]) -> Vec<&str> {
        files.iter().map(|f| f.path.as_str()).collect()
    }

    /// Carries over the pages whose key it was given (from an earlier run).
    struct Keys(HashMap<String, digest::Sha256Digest>);

    impl Previous for Keys {
        fn carry(&self, path: &str, key: &digest::Sha256Digest) -> bool {
            self.0.get(path) == Some(key)
        }
    }

    #[test]
    fn a_page_listing_plugins_is_rendered_again_only_when_what_it_lists_changed() {
        let site = example_site();
        let mut owned: Vec<Listing> = (0..250).map(listing).collect();
        owned[7].tags.push("seven".into());
        owned[201].owners = vec!["other".into()];
        let refs: Vec<&Listing> = owned.iter().collect();
        let first = registry(&site, &refs, &NoPrevious).unwrap();
        let listed = |made: &RegistryPages| -> Vec<String> {
            let mut p: Vec<String> = made
                .files
                .iter()
                .map(|f| f.path.clone())
                .filter(|p| {
                    p.starts_with("tags/") || p.starts_with("owners/") || p.starts_with("all/")
                })
                .filter(|p| p != "tags/index.html" && p != "owners/index.html")
                .collect();
            p.sort();
            p
        };
        // 250 plugins: three pages A–Z, as for the tag and the owner all
        // but one of them have.
        let pages = [
            "all/2/index.html",
            "all/3/index.html",
            "all/index.html",
            "owners/o/2/index.html",
            "owners/o/3/index.html",
            "owners/o/index.html",
            "owners/other/index.html",
            "tags/seven/index.html",
            "tags/t/2/index.html",
            "tags/t/3/index.html",
            "tags/t/index.html",
        ];
        assert_eq!(listed(&first), pages);
        let keys: Vec<&str> = first.keys.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(keys.len(), pages.len(), "{keys:?}");

        // The same inputs: every such page is carried over, none rendered.
        let previous = Keys(first.keys.iter().cloned().collect());
        let again = registry(&site, &refs, &previous).unwrap();
        assert!(listed(&again).is_empty(), "{:?}", listed(&again));
        assert_eq!(again.keys, first.keys);

        // Plugin 7 described anew: the pages that list it, no other.
        owned[7].description = "new words".into();
        let refs: Vec<&Listing> = owned.iter().collect();
        let changed = registry(&site, &refs, &previous).unwrap();
        assert_eq!(
            listed(&changed),
            [
                "all/index.html",
                "owners/o/index.html",
                "tags/seven/index.html",
                "tags/t/index.html"
            ]
        );
        let page = changed
            .files
            .iter()
            .find(|f| f.path == "tags/seven/index.html")
            .unwrap();
        assert!(String::from_utf8_lossy(&page.bytes).contains("new words"));

        // Another stylesheet or templates: every page is made anew.
        let mut other = example_site();
        other.identity = digest::sha256(b"another site");
        let redone = registry(&other, &refs, &previous).unwrap();
        assert_eq!(listed(&redone), pages);
    }

    #[test]
    fn a_tag_or_owner_with_more_plugins_than_a_page_is_paged_with_links_both_ways() {
        let site = example_site();
        let owned: Vec<Listing> = (0..LIST_PER_PAGE * 2 + 1).map(listing).collect();
        let refs: Vec<&Listing> = owned.iter().collect();
        let files = registry(&site, &refs, &NoPrevious).unwrap().files;
        let page = |path: &str| -> String {
            let f = files
                .iter()
                .find(|f| f.path == path)
                .unwrap_or_else(|| panic!("{path}"));
            String::from_utf8(f.bytes.clone()).unwrap()
        };
        for list in ["tags/t/", "owners/o/", "all/"] {
            let (first, second, third) = (
                page(&format!("{list}index.html")),
                page(&format!("{list}2/index.html")),
                page(&format!("{list}3/index.html")),
            );
            assert!(!paths(&files).contains(&format!("{list}4/index.html").as_str()));
            // Each plugin on exactly one page, in name order.
            assert!(
                first.contains("/sub/plugins/p000000/") && first.contains("/sub/plugins/p000099/")
            );
            assert!(!first.contains("/sub/plugins/p000100/"), "{list}");
            assert!(
                second.contains("/sub/plugins/p000100/")
                    && second.contains("/sub/plugins/p000199/")
            );
            assert!(
                third.contains("/sub/plugins/p000200/") && !third.contains("/sub/plugins/p000199/")
            );
            assert!(
                second.contains(&format!("href=\"/sub/{list}\" rel=\"prev\"")),
                "{list}"
            );
            assert!(
                second.contains(&format!("href=\"/sub/{list}3/\" rel=\"next\"")),
                "{list}"
            );
            assert!(!first.contains("rel=\"prev\"") && !third.contains("rel=\"next\""));
            assert!(second.contains("page 2 of 3"), "{list}");
            assert!(
                second.contains(&format!(
                    "<link rel=\"canonical\" href=\"https://r.example/sub/{list}2/\""
                )),
                "{list}"
            );
        }
        // A list that fits one page has no pager.
        let one: Vec<Listing> = (0..3).map(listing).collect();
        let refs: Vec<&Listing> = one.iter().collect();
        let files = registry(&site, &refs, &NoPrevious).unwrap().files;
        let tag = files
            .iter()
            .find(|f| f.path == "tags/t/index.html")
            .unwrap();
        assert!(!String::from_utf8_lossy(&tag.bytes).contains("class=\"pager\""));
    }

    #[test]
    fn the_sitemap_splits_past_fifty_thousand_urls_and_pages_are_under_the_base_path() {
        let site = example_site();
        // The fixed pages (home, tags, owners, search), the pages of the
        // one tag, the one owner and A–Z, and one per plugin.
        let fixed = |n: usize| 4 + 3 * n.div_ceil(LIST_PER_PAGE) + n;
        // The most plugins whose pages fit one sitemap.
        let mut n = MAX_SITEMAP_URLS;
        while fixed(n) > MAX_SITEMAP_URLS {
            n -= 1;
        }
        assert_eq!(fixed(n + 1), MAX_SITEMAP_URLS + 1);
        let owned: Vec<Listing> = (0..n).map(listing).collect();
        let refs: Vec<&Listing> = owned.iter().collect();
        let files = registry(&site, &refs, &NoPrevious).unwrap().files;
        assert!(paths(&files).contains(&"sitemap.xml"));
        assert!(!paths(&files).iter().any(|p| p.starts_with("sitemap-")));
        let one = files.iter().find(|f| f.path == "sitemap.xml").unwrap();
        let text = std::str::from_utf8(&one.bytes).unwrap();
        assert_eq!(text.matches("<loc>").count(), fixed(n));
        assert!(
            text.contains("<loc>https://r.example/sub/plugins/p000000/</loc>"),
            "absolute URLs under the base"
        );

        let owned: Vec<Listing> = (0..n + 200).map(listing).collect();
        let refs: Vec<&Listing> = owned.iter().collect();
        let files = registry(&site, &refs, &NoPrevious).unwrap().files;
        let index = files.iter().find(|f| f.path == "sitemap.xml").unwrap();
        let text = std::str::from_utf8(&index.bytes).unwrap();
        assert!(text.contains("<sitemapindex"), "{text}");
        assert_eq!(text.matches("<loc>").count(), 2, "{text}");
        let parts: Vec<&OutFile> = files
            .iter()
            .filter(|f| f.path.starts_with("sitemap-"))
            .collect();
        assert_eq!(
            paths(&parts.iter().map(|f| (*f).clone()).collect::<Vec<_>>()),
            ["sitemap-1.xml", "sitemap-2.xml"]
        );
        let urls: usize = parts
            .iter()
            .map(|f| String::from_utf8_lossy(&f.bytes).matches("<loc>").count())
            .sum();
        assert_eq!(urls, fixed(n + 200));
        assert!(parts.iter().all(
            |f| String::from_utf8_lossy(&f.bytes).matches("<loc>").count() <= MAX_SITEMAP_URLS
        ));
        // Links inside pages use the base URL's path.
        let home = files.iter().find(|f| f.path == "index.html").unwrap();
        assert!(String::from_utf8_lossy(&home.bytes).contains("href=\"/sub/all/\""));
    }

    #[test]
    fn the_registry_feed_has_the_fifty_newest_releases_newest_first() {
        let site = example_site();
        let owned: Vec<Listing> = (0..30)
            .map(|i| Listing {
                recent: (0..5)
                    .map(|v| crate::emit::RecentRelease {
                        version: format!("1.0.{v}"),
                        pubtime: (i * 10 + v) as i64,
                    })
                    .collect(),
                ..listing(i)
            })
            .collect();
        let refs: Vec<&Listing> = owned.iter().collect();
        let files = registry(&site, &refs, &NoPrevious).unwrap().files;
        let feed = files.iter().find(|f| f.path == "feed.xml").unwrap();
        let text = String::from_utf8_lossy(&feed.bytes);
        assert_eq!(text.matches("<entry>").count(), 50);
        let first = text
            .find("<title>p000029 1.0.4</title>")
            .expect("the newest first");
        assert!(first < text.find("<title>p000029 1.0.3</title>").unwrap());
        assert!(!text.contains("p000019 1.0.4"), "only the 50 newest");
    }

    #[test]
    fn dependents_are_by_canonical_name_sorted_and_unique() {
        let map = dependents(
            [
                ("b", "Table_Tools"),
                ("a", "table-tools"),
                ("b", "table-tools"),
            ]
            .into_iter(),
        );
        assert_eq!(map["table-tools"], ["a", "b"]);
        assert_eq!(map.len(), 1);
    }
}
