//! The minijinja templates: built in, each overridable by a file of the
//! same name in the index repo's `templates/` (as zola and mdBook do it).
//! An override replaces the whole file and no longer gets upstream fixes.

use minijinja::{AutoEscape, Environment, Error, Output, State, Value};

use super::SiteError;
use crate::source::Source;

/// The built-in templates, by name. An override may only replace one of
/// these: a name not listed here is never read.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("plugin.html", include_str!("../../templates/plugin.html")),
    ("tags.html", include_str!("../../templates/tags.html")),
    ("tag.html", include_str!("../../templates/tag.html")),
    ("owners.html", include_str!("../../templates/owners.html")),
    ("owner.html", include_str!("../../templates/owner.html")),
    ("all.html", include_str!("../../templates/all.html")),
    ("search.html", include_str!("../../templates/search.html")),
    ("404.html", include_str!("../../templates/404.html")),
    ("feed.xml", include_str!("../../templates/feed.xml")),
    ("sitemap.xml", include_str!("../../templates/sitemap.xml")),
    (
        "sitemap-index.xml",
        include_str!("../../templates/sitemap-index.xml"),
    ),
];

/// Largest template or stylesheet read from the index repo.
const MAX_OVERRIDE_BYTES: u64 = 512 * 1024;

/// The file `rel` of the index repo, if it has one.
pub(super) fn read_override<S: Source>(source: &S, rel: &str) -> Result<Option<String>, SiteError> {
    if !source.exists(rel) {
        return Ok(None);
    }
    let mut diags = Vec::new();
    match source.read_text(rel, MAX_OVERRIDE_BYTES, &mut diags) {
        Some(text) if diags.is_empty() => Ok(Some(text.text)),
        _ => Err(SiteError::Read {
            file: rel.to_owned(),
            message: diags
                .first()
                .map_or_else(|| "unreadable".to_owned(), |d| d.message.clone()),
        }),
    }
}

/// The environment with every template loaded, each from the index repo
/// when it has an override.
/// The templates, each the index repo's override or the built-in one, and
/// a digest of their texts.
pub(super) fn environment<S: Source>(
    source: &S,
) -> Result<(Environment<'static>, crate::digest::Sha256Digest), SiteError> {
    let mut env = Environment::new();
    let mut texts = String::new();
    // Every template escapes for HTML, the XML ones too (the same five
    // characters); only values made safe in Rust (sanitised READMEs) pass.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_formatter(format_value);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    for (name, builtin) in TEMPLATES {
        let rel = format!("templates/{name}");
        let (text, origin) = match read_override(source, &rel)? {
            Some(text) => (text, rel.clone()),
            None => ((*builtin).to_owned(), format!("built-in {rel}")),
        };
        texts.push_str(&format!("{name}\n{}\n{text}", text.len()));
        env.add_template_owned(*name, text)
            .map_err(|e| SiteError::Template {
                file: origin,
                line: e.line(),
                message: detail(&e),
            })?;
    }
    Ok((env, crate::digest::sha256(texts.as_bytes())))
}

/// A render error, naming the template's file in the index repo (where an
/// override is the likely cause) and its line.
pub(super) fn error(name: &str, e: &Error) -> SiteError {
    SiteError::Template {
        file: format!("templates/{}", e.name().unwrap_or(name)),
        line: e.line(),
        message: detail(e),
    }
}

fn detail(e: &Error) -> String {
    match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    }
}

/// Prints values: `none` and undefined as nothing, safe strings as they
/// are, everything else with `& < > " '` escaped (minijinja's own escaper
/// also escapes `/`, which bloats every URL and is not needed in HTML).
fn format_value(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    if value.is_none() || value.is_undefined() {
        return Ok(());
    }
    let text = value.to_string();
    if value.is_safe() || state.auto_escape() == AutoEscape::None {
        return out.write_str(&text).map_err(Error::from);
    }
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..i]).map_err(Error::from)?;
        out.write_str(rep).map_err(Error::from)?;
        last = i + 1;
    }
    out.write_str(&text[last..]).map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped_unless_made_safe_in_rust() {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_formatter(format_value);
        env.add_template("t.xml", "<a title=\"{{ x }}\">{{ x }}</a>{{ y }}{{ n }}")
            .unwrap();
        let out = env
            .get_template("t.xml")
            .unwrap()
            .render(minijinja::context! { x => "\"><script>'&", y => Value::from_safe_string("<b>ok</b>".into()), n => Value::from(()) })
            .unwrap();
        assert_eq!(
            out,
            "<a title=\"&quot;&gt;&lt;script&gt;&#39;&amp;\">&quot;&gt;&lt;script&gt;&#39;&amp;</a><b>ok</b>"
        );
    }
}
