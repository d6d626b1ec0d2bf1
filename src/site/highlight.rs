//! Syntax highlighting at build time (syntect), as CSS classes the theme
//! styles: no highlighter is shipped to the browser. Limits per block and
//! per line keep a hostile README from costing the build much: a block past
//! them is shown plain.

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Every class the highlighter writes starts with it (and only those
/// survive the sanitiser).
pub const CLASS_PREFIX: &str = "hl-";
/// Blocks larger than this are not highlighted.
pub const MAX_BLOCK_BYTES: usize = 32 * 1024;
pub const MAX_BLOCK_LINES: usize = 500;
/// A block with a line longer than this is not highlighted.
pub const MAX_LINE_BYTES: usize = 400;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// A fenced code block as `<pre class="hl-code"><code>…</code></pre>`;
/// `lang` is the fence's first word (empty for none).
pub fn block(code: &str, lang: &str) -> String {
    let body = highlighted(code, lang).unwrap_or_else(|| escape(code));
    format!("<pre class=\"{CLASS_PREFIX}code\"><code>{body}</code></pre>\n")
}

fn highlighted(code: &str, lang: &str) -> Option<String> {
    if lang.is_empty()
        || code.len() > MAX_BLOCK_BYTES
        || code.lines().count() > MAX_BLOCK_LINES
        || code.lines().any(|l| l.len() > MAX_LINE_BYTES)
    {
        return None;
    }
    let set = syntaxes();
    let syntax = set.find_syntax_by_token(lang)?;
    let mut html = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        set,
        ClassStyle::SpacedPrefixed {
            prefix: CLASS_PREFIX,
        },
    );
    for line in LinesWithEndings::from(code) {
        html.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(html.finalize())
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_get_classes_and_oversized_blocks_stay_plain() {
        let html = block("let x = \"<b>\";\n", "rust");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
        let long_line = format!("let x = \"{}\";\n", "a".repeat(MAX_LINE_BYTES));
        let plain = block(&long_line, "rust");
        assert!(!plain.contains("<span"), "{plain}");
        let many = "x\n".repeat(MAX_BLOCK_LINES + 1);
        assert!(!block(&many, "rust").contains("<span"));
        assert_eq!(
            block("<x>", "no-such-lang"),
            "<pre class=\"hl-code\"><code>&lt;x&gt;</code></pre>\n"
        );
    }
}
