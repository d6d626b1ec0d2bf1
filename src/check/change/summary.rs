//! The verdict of a change as Markdown, for a pull request comment or the
//! job summary (`$GITHUB_STEP_SUMMARY`).

use std::fmt::Write;

use super::{Class, Verdict};
use crate::diagnostic::printable;

/// Renders the verdict. Author-controlled text (messages quote names and
/// reasons) is escaped so it cannot inject Markdown or HTML into the comment.
pub fn markdown(v: &Verdict) -> String {
    let mut s = String::new();
    let badge = match v.classification {
        Class::AutoMergeable => {
            "✅ **auto-mergeable**: every check passes; nothing needs a maintainer."
        }
        Class::NeedsReview => {
            "👀 **needs review**: the checks pass, and a maintainer must look at what is listed below."
        }
        Class::Rejected => "❌ **rejected**: fix the errors below and push again.",
    };
    let _ = writeln!(s, "## plugdex check\n\n{badge}\n");
    let _ = writeln!(
        s,
        "Compared `{}` → `{}`{}.\n",
        code(&v.base),
        code(&v.head),
        v.author
            .as_deref()
            .map(|a| format!(", author `{}`", code(a)))
            .unwrap_or_default()
    );
    if !v.plugins.is_empty() {
        let _ = writeln!(s, "### Plugins\n");
        for p in &v.plugins {
            let _ = writeln!(s, "- **{}**: {}", esc(&p.name), esc(&p.events.join("; ")));
        }
        s.push('\n');
    }
    let errors: Vec<_> = v.diagnostics.iter().filter(|d| d.is_error()).collect();
    let warnings: Vec<_> = v.diagnostics.iter().filter(|d| !d.is_error()).collect();
    for (title, list) in [("Errors", &errors), ("Warnings", &warnings)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "### {title}\n\n| File | Code | Problem | What to do |\n|---|---|---|---|"
        );
        for d in list.iter() {
            let place = match d.pos {
                Some(p) => format!("{}:{}", d.file, p.line),
                None => d.file.clone(),
            };
            let _ = writeln!(
                s,
                "| `{}` | `{}` | {} | {} |",
                code(&place),
                d.code.as_str(),
                esc(&d.message),
                esc(d.hint.as_deref().unwrap_or(""))
            );
        }
        s.push('\n');
    }
    if !v.reviews.is_empty() {
        let _ = writeln!(s, "### For a maintainer\n");
        for r in &v.reviews {
            let _ = writeln!(s, "- `{}`: {}", code(&r.file), esc(&r.reason));
        }
        s.push('\n');
    }
    s
}

/// Text for a code span in a table cell: backticks would end it and `|` the cell.
fn code(text: &str) -> String {
    printable(&text.replace(['\n', '\r'], " "))
        .replace('`', "'")
        .replace('|', "\\|")
}

/// Escapes text for a Markdown table cell or list item.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in printable(&text.replace(['\n', '\r'], " ")).chars() {
        match c {
            '|' | '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '~' | '@' => {
                out.push('\\');
                out.push(c);
            }
            '`' => out.push('\''),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_text_cannot_inject_markup() {
        assert_eq!(
            esc("a|b <img src=x> [x](y) `c`"),
            "a\\|b \\<img src=x\\> \\[x\\](y) 'c'"
        );
        assert_eq!(esc("@everyone"), "\\@everyone");
        assert_eq!(code("a`b|c\nd"), "a'b\\|c d");
    }
}
