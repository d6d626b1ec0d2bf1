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
}

impl RepoLinks {
    /// The bases for a plugin's `repository` URL, for the forges whose
    /// file URLs are known; any other `https` repository gets links to its
    /// own URL and no relative images.
    pub fn for_repository(repository: Option<&str>) -> RepoLinks {
        let Some(repo) = repository
            .map(|r| r.trim_end_matches('/').trim_end_matches(".git"))
            .filter(|r| r.starts_with("https://"))
        else {
            return RepoLinks::default();
        };
        if let Some(path) = repo.strip_prefix("https://github.com/") {
            return RepoLinks {
                blob: Some(format!("{repo}/blob/HEAD/")),
                raw: Some(format!("https://raw.githubusercontent.com/{path}/HEAD/")),
            };
        }
        if repo.starts_with("https://gitlab.com/") {
            return RepoLinks {
                blob: Some(format!("{repo}/-/blob/HEAD/")),
                raw: Some(format!("{repo}/-/raw/HEAD/")),
            };
        }
        RepoLinks {
            blob: Some(format!("{repo}/")),
            raw: None,
        }
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
                dest_url: resolve(&dest_url, links.blob.as_deref()).into(),
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
                dest_url: resolve(&dest_url, links.raw.as_deref()).into(),
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
fn resolve(url: &str, base: Option<&str>) -> String {
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
        Some(base) => format!(
            "{base}{}",
            url.trim_start_matches("./").trim_start_matches('/')
        ),
        None => String::new(),
    }
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
                let resolved = resolve(value, raw.as_deref());
                (!resolved.is_empty()).then_some(Cow::Owned(resolved))
            }
            _ => Some(Cow::Borrowed(value)),
        })
        .id_prefix(Some(ID_PREFIX))
        .link_rel(Some(LINK_REL))
        .url_schemes(["http", "https", "mailto"].into())
        .url_relative(ammonia::UrlRelative::Custom(Box::new(Relative { blob })));
    builder.clean(html).to_string()
}

/// Relative links in a README's raw HTML: the same rule as Markdown links
/// (relative `src`s were resolved as images by the attribute filter).
struct Relative {
    blob: Option<String>,
}

impl<'a> ammonia::UrlRelativeEvaluate<'a> for Relative {
    fn evaluate<'url>(&self, url: &'url str) -> Option<Cow<'url, str>> {
        let resolved = resolve(url, self.blob.as_deref());
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
