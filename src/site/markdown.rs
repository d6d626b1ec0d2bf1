//! READMEs to HTML. A README is hostile input: it is rendered with
//! pulldown-cmark, code blocks are highlighted here (as classes, never
//! styles), and the whole is cleaned by ammonia, which keeps no script,
//! style, event handler, form, SVG, MathML or `javascript:`/`data:` URL.

use std::borrow::Cow;
use std::collections::HashMap;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::highlight;

/// What `id`s from a README are prefixed with, so they cannot clobber the
/// page's own ids (`search-box`, `main`) or be guessed as ours.
pub const ID_PREFIX: &str = "user-content-";
/// `rel` of every link in a README.
pub const LINK_REL: &str = "nofollow noopener noreferrer";

/// Where a README's relative links and images point: its repository's
/// files. `None` fields drop relative URLs (the index does not publish a
/// plugin folder's other files).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoLinks {
    /// Base for links, ending with `/`, e.g. `https://github.com/o/r/blob/HEAD/`.
    pub blob: Option<String>,
    /// Base for images, ending with `/`, e.g. `https://raw.githubusercontent.com/o/r/HEAD/`.
    pub raw: Option<String>,
    /// The README's folder in the repository, empty or ending with `/`
    /// (`plugins/foo/` for `https://github.com/o/r/tree/main/plugins/foo`):
    /// relative URLs start there, as on the forge; `/x` starts at the root.
    pub folder: String,
}

impl RepoLinks {
    /// The bases for a plugin's `repository` URL, for the forges whose
    /// file URLs are known; any other `https` repository gets links to its
    /// own URL and no relative images. A forge URL of a folder
    /// (`…/tree/REF/PATH`, or `…/-/tree/REF/PATH` on GitLab) points into
    /// that folder at that ref; a ref with a `/` in it cannot be told from
    /// the path and is read as its first segment.
    pub fn for_repository(repository: Option<&str>) -> RepoLinks {
        let Some(repo) = repository
            .map(|r| r.trim_end_matches('/'))
            .filter(|r| r.starts_with("https://"))
        else {
            return RepoLinks::default();
        };
        if let Some(path) = repo.strip_prefix("https://github.com/") {
            let mut segments = path.splitn(3, '/');
            if let (Some(owner), Some(name)) = (segments.next(), segments.next()) {
                let name = name.trim_end_matches(".git");
                let (reference, folder) = in_tree(segments.next().unwrap_or(""));
                return RepoLinks {
                    blob: Some(format!(
                        "https://github.com/{owner}/{name}/blob/{reference}/"
                    )),
                    raw: Some(format!(
                        "https://raw.githubusercontent.com/{owner}/{name}/{reference}/"
                    )),
                    folder,
                };
            }
        }
        if repo.starts_with("https://gitlab.com/") {
            let (project, rest) = repo.split_once("/-/").unwrap_or((repo, ""));
            let project = project.trim_end_matches(".git");
            let (reference, folder) = in_tree(rest);
            return RepoLinks {
                blob: Some(format!("{project}/-/blob/{reference}/")),
                raw: Some(format!("{project}/-/raw/{reference}/")),
                folder,
            };
        }
        RepoLinks {
            blob: Some(format!("{}/", repo.trim_end_matches(".git"))),
            raw: None,
            folder: String::new(),
        }
    }
}

/// The ref and folder of a forge's `tree/REF/PATH` or `blob/REF/PATH`
/// (what follows the repository in its URL); `HEAD` and the root for
/// anything else (the repository's own page, its issues…).
fn in_tree(rest: &str) -> (String, String) {
    let mut segments = rest.splitn(3, '/');
    match (segments.next(), segments.next()) {
        (Some("tree" | "blob"), Some(reference)) if !reference.is_empty() => {
            let folder = segments.next().unwrap_or("").trim_matches('/');
            let folder = if folder.is_empty() {
                String::new()
            } else {
                format!("{folder}/")
            };
            (reference.to_owned(), folder)
        }
        _ => ("HEAD".to_owned(), String::new()),
    }
}

/// A README as safe HTML.
pub fn render(markdown: &str, links: &RepoLinks) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = rewrite(Parser::new_ext(markdown, options).collect(), links);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    clean(&html, links)
}

/// Heading levels shifted down (the page's name is its only `h1`), ids
/// from the heading text, relative URLs resolved, code blocks highlighted.
fn rewrite<'a>(events: Vec<Event<'a>>, links: &RepoLinks) -> Vec<Event<'a>> {
    let mut out = Vec::with_capacity(events.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut iter = events.into_iter().peekable();
    while let Some(event) = iter.next() {
        match event {
            Event::Start(Tag::Heading {
                level,
                classes,
                attrs,
                ..
            }) => {
                // The heading's events up to its end, for its text.
                let mut inner = Vec::new();
                for e in iter.by_ref() {
                    if matches!(e, Event::End(TagEnd::Heading(_))) {
                        break;
                    }
                    inner.push(e);
                }
                let text: String = inner
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                let id = unique_slug(&text, &mut seen);
                let level = shifted(level);
                out.push(Event::Start(Tag::Heading {
                    level,
                    id: (!id.is_empty()).then(|| CowStr::from(id)),
                    classes,
                    attrs,
                }));
                out.extend(rewrite(inner, links));
                out.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let mut code = String::new();
                for e in iter.by_ref() {
                    match e {
                        Event::End(TagEnd::CodeBlock) => break,
                        Event::Text(t) => code.push_str(&t),
                        _ => {}
                    }
                }
                let lang = match &kind {
                    CodeBlockKind::Fenced(info) => info.split([' ', ',', '{']).next().unwrap_or(""),
                    CodeBlockKind::Indented => "",
                };
                out.push(Event::Html(highlight::block(&code, lang).into()));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => out.push(Event::Start(Tag::Link {
                link_type,
                dest_url: resolve(&dest_url, links.blob.as_deref(), &links.folder).into(),
                title,
                id,
            })),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => out.push(Event::Start(Tag::Image {
                link_type,
                dest_url: resolve(&dest_url, links.raw.as_deref(), &links.folder).into(),
                title,
                id,
            })),
            Event::End(TagEnd::Heading(level)) => {
                out.push(Event::End(TagEnd::Heading(shifted(level))))
            }
            other => out.push(other),
        }
    }
    out
}

/// Two levels down: the README sits under the page's `h2` "Readme".
fn shifted(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// GitHub's anchor rule: lowercase, letters, digits, `-` and `_` kept,
/// spaces to `-`; repeats get `-1`, `-2`.
fn unique_slug(text: &str, seen: &mut HashMap<String, usize>) -> String {
    let slug: String = text
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let n = seen.entry(slug.clone()).or_insert(0);
    let unique = if *n == 0 { slug } else { format!("{slug}-{n}") };
    *n += 1;
    unique
}

/// A README URL made absolute: fragments point at the prefixed ids,
/// relative paths into the repository (or are dropped without one).
/// Absolute URLs are left to the sanitiser's scheme list.
fn resolve(url: &str, base: Option<&str>, folder: &str) -> String {
    if let Some(fragment) = url.strip_prefix('#') {
        // The sanitiser sees the Markdown links again, already prefixed.
        if fragment.starts_with(ID_PREFIX) {
            return url.to_owned();
        }
        return format!("#{ID_PREFIX}{fragment}");
    }
    if is_absolute(url) {
        return url.to_owned();
    }
    match base {
        Some(base) => format!("{base}{}", in_repository(url, folder)),
        None => String::new(),
    }
}

/// A relative URL's path from the repository's root: `/x` from the root,
/// anything else from `folder`, with `.` and `..` segments resolved (never
/// above the root).
fn in_repository(url: &str, folder: &str) -> String {
    let (path, start) = match url.strip_prefix('/') {
        Some(rooted) => (rooted, ""),
        None => (url, folder),
    };
    let mut parts: Vec<&str> = start.split('/').filter(|s| !s.is_empty()).collect();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.into_iter().enumerate() {
        match segment {
            "." => {}
            ".." => {
                parts.pop();
            }
            // An empty segment is kept only last: `docs/` stays a folder.
            "" if i != last => {}
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// A scheme (`x:` before any `/`, `?` or `#`) or a protocol-relative URL.
fn is_absolute(url: &str) -> bool {
    url.starts_with("//")
        || url
            .split(['/', '?', '#'])
            .next()
            .is_some_and(|head| head.contains(':'))
}

/// The sanitiser: ammonia's defaults (which have no SVG or MathML, no
/// script, style, form or event handler), plus heading ids with the prefix,
/// highlighting classes, and `rel` on every link.
fn clean(html: &str, links: &RepoLinks) -> String {
    let blob = links.blob.clone();
    let raw = links.raw.clone();
    let folder = links.folder.clone();
    let mut builder = ammonia::Builder::default();
    builder
        .rm_tags(["h1", "h2", "svg", "math"])
        .add_tag_attributes("h3", ["id"])
        .add_tag_attributes("h4", ["id"])
        .add_tag_attributes("h5", ["id"])
        .add_tag_attributes("h6", ["id"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("pre", ["class"])
        .attribute_filter(move |_, attribute, value| match attribute {
            "class" => Some(Cow::Owned(highlight_classes(value))),
            // An embedded file (a raw `<img>`) must be the file's bytes,
            // not the forge's page about it, which `url_relative` (given
            // no element) would link; it runs after this filter.
            "src" if !is_absolute(value) => {
                let resolved = resolve(value, raw.as_deref(), &folder);
                (!resolved.is_empty()).then_some(Cow::Owned(resolved))
            }
            _ => Some(Cow::Borrowed(value)),
        })
        .id_prefix(Some(ID_PREFIX))
        .link_rel(Some(LINK_REL))
        .url_schemes(["http", "https", "mailto"].into())
        .url_relative(ammonia::UrlRelative::Custom(Box::new(Relative {
            blob,
            folder: links.folder.clone(),
        })));
    builder.clean(html).to_string()
}

/// Relative links in a README's raw HTML: the same rule as Markdown links
/// (relative `src`s were resolved as images by the attribute filter).
struct Relative {
    blob: Option<String>,
    folder: String,
}

impl<'a> ammonia::UrlRelativeEvaluate<'a> for Relative {
    fn evaluate<'url>(&self, url: &'url str) -> Option<Cow<'url, str>> {
        let resolved = resolve(url, self.blob.as_deref(), &self.folder);
        (!resolved.is_empty()).then_some(Cow::Owned(resolved))
    }
}

/// Only the highlighter's own classes survive in a README: an author's
/// class could borrow the page's styles to pass for the page itself.
fn highlight_classes(value: &str) -> String {
    value
        .split_ascii_whitespace()
        .filter(|c| {
            c.starts_with(highlight::CLASS_PREFIX)
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github() -> RepoLinks {
        RepoLinks::for_repository(Some("https://github.com/o/r"))
    }

    #[test]
    fn scripts_handlers_and_dangerous_urls_do_not_survive() {
        let readme = "# Hi\n\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n\n\
            [a](javascript:alert(1)) [b](data:text/html,<script>alert(1)</script>) ![i](javascript:x)\n\n\
            <svg onload=alert(1)><circle/></svg><math><mi>x</mi></math>\n\
            <form action=/x><input name=q></form><style>body{}</style>\n\
            <a href=\"jav&#x61;script:alert(1)\" style=\"color:red\">c</a>\n";
        let html = render(readme, &github());
        assert!(
            html.contains(">a</a>") && html.contains(">b</a>"),
            "the links parsed: {html}"
        );
        for bad in [
            "<script",
            "onerror",
            "onload",
            "href=\"javascript:",
            "src=\"javascript:",
            "href=\"data:",
            "<svg",
            "<math",
            "<form",
            "<input",
            "<style",
            "style=",
        ] {
            assert!(
                !html.to_ascii_lowercase().contains(bad),
                "{bad} survived: {html}"
            );
        }
    }

    #[test]
    fn headings_get_prefixed_ids_and_move_down_a_level() {
        let html = render(
            "# Usage\n\n## Usage\n\n[top](#usage)\n\n<h1 id=main>x</h1>",
            &github(),
        );
        assert!(
            html.contains("<h3 id=\"user-content-usage\">Usage</h3>"),
            "{html}"
        );
        assert!(html.contains("<h4 id=\"user-content-usage-1\">"), "{html}");
        assert!(html.contains("href=\"#user-content-usage\""), "{html}");
        assert!(!html.contains("<h1") && !html.contains("<h2"), "{html}");
        assert!(!html.contains("id=\"main\""), "{html}");
    }

    #[test]
    fn relative_urls_resolve_against_the_repository() {
        let html = render(
            "[doc](docs/a.md) ![logo](./logo.png) <a href=\"x/y\">raw</a>",
            &github(),
        );
        assert!(
            html.contains("href=\"https://github.com/o/r/blob/HEAD/docs/a.md\""),
            "{html}"
        );
        assert!(
            html.contains("src=\"https://raw.githubusercontent.com/o/r/HEAD/logo.png\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"https://github.com/o/r/blob/HEAD/x/y\""),
            "{html}"
        );
        assert!(
            html.contains("rel=\"nofollow noopener noreferrer\""),
            "{html}"
        );
        let none = render("[doc](docs/a.md) ![logo](logo.png)", &RepoLinks::default());
        assert!(
            !none.contains("docs/a.md") && !none.contains("logo.png"),
            "{none}"
        );
    }

    #[test]
    fn a_repository_folder_url_points_into_that_folder_at_that_ref() {
        let links =
            RepoLinks::for_repository(Some("https://github.com/o/r/tree/main/plugins/foo/"));
        let html = render(
            "[doc](docs/a.md) ![shot](./shot.png) ![up](../shared/logo.png) \
             ![root](/logo.svg) [dir](docs/)",
            &links,
        );
        for url in [
            "href=\"https://github.com/o/r/blob/main/plugins/foo/docs/a.md\"",
            "src=\"https://raw.githubusercontent.com/o/r/main/plugins/foo/shot.png\"",
            "src=\"https://raw.githubusercontent.com/o/r/main/plugins/shared/logo.png\"",
            "src=\"https://raw.githubusercontent.com/o/r/main/logo.svg\"",
            "href=\"https://github.com/o/r/blob/main/plugins/foo/docs/\"",
        ] {
            assert!(html.contains(url), "{url}: {html}");
        }
        // `..` never climbs out of the repository.
        let html = render("![x](../../../../x.png)", &links);
        assert!(
            html.contains("src=\"https://raw.githubusercontent.com/o/r/main/x.png\""),
            "{html}"
        );

        let gitlab = RepoLinks::for_repository(Some("https://gitlab.com/g/s/p/-/tree/v2/sub"));
        assert_eq!(
            gitlab.raw.as_deref(),
            Some("https://gitlab.com/g/s/p/-/raw/v2/")
        );
        assert_eq!(gitlab.folder, "sub/");
        // The repository's own URL, with `.git` or another page of it: its root at HEAD.
        for plain in [
            "https://github.com/o/r.git",
            "https://github.com/o/r/issues",
            "https://github.com/o/r/tree/",
        ] {
            let links = RepoLinks::for_repository(Some(plain));
            assert_eq!(
                links.blob.as_deref(),
                Some("https://github.com/o/r/blob/HEAD/"),
                "{plain}"
            );
            assert_eq!(links.folder, "", "{plain}");
        }
    }

    #[test]
    fn raw_html_images_resolve_to_the_raw_file_like_markdown_images() {
        let readme = "<p><img src=\"docs/shot.png\" alt=\"shot\"></p>\n\n\
            <a href=\"docs/\"><img src=\"/logo.svg\" alt=\"logo\"></a>\n\n\
            ![md](./docs/md.png) <img src=\"https://example.com/abs.png\" alt=\"abs\">\n";
        let html = render(readme, &github());
        for src in [
            "https://raw.githubusercontent.com/o/r/HEAD/docs/shot.png",
            "https://raw.githubusercontent.com/o/r/HEAD/logo.svg",
            "https://raw.githubusercontent.com/o/r/HEAD/docs/md.png",
            "https://example.com/abs.png",
        ] {
            assert!(html.contains(&format!("src=\"{src}\"")), "{src}: {html}");
        }
        assert!(!html.contains("/blob/HEAD/docs/shot.png"), "{html}");
        // A link around an image still opens the forge's page.
        assert!(
            html.contains("href=\"https://github.com/o/r/blob/HEAD/docs/\""),
            "{html}"
        );

        let gitlab = render(
            "<img src=\"a.png\" alt=\"a\">",
            &RepoLinks::for_repository(Some("https://gitlab.com/g/p")),
        );
        assert!(
            gitlab.contains("src=\"https://gitlab.com/g/p/-/raw/HEAD/a.png\""),
            "{gitlab}"
        );
        // A host whose raw file URLs are unknown, or no repository: the
        // image has no source rather than a page's URL; the sanitiser
        // still has the last word on absolute ones.
        for links in [
            RepoLinks::for_repository(Some("https://git.example/o/r")),
            RepoLinks::default(),
        ] {
            let html = render(
                "<img src=\"a.png\" alt=\"a\"><img src=\"javascript:alert(1)\" alt=\"j\">",
                &links,
            );
            assert!(!html.contains("a.png"), "{html}");
            assert!(!html.contains("javascript"), "{html}");
            assert!(html.contains("alt=\"a\""), "{html}");
        }
    }

    #[test]
    fn code_is_highlighted_with_classes_only_and_authors_classes_are_dropped() {
        let html = render(
            "```rust\nfn main() {}\n```\n\n<span class=\"hl-x site-header\">x</span>",
            &github(),
        );
        assert!(html.contains("<pre class=\"hl-code\">"), "{html}");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("site-header"), "{html}");
        assert!(!html.contains("style="), "{html}");
    }
}
