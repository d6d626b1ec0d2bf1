//! Text plugdex did not write (API documents, index lines, archive entry
//! names, server messages, manifests) made safe for a terminal, in one
//! place for the client and the checker. Control
//! characters (ESC, CR, backspace, newline, …) and bidirectional overrides
//! become visible `\u{..}` escapes, so untrusted text can never move the
//! cursor, overwrite a line ("tier: verified") or reorder what is shown; a
//! very long text is cut, so a hostile name cannot flood the terminal.

/// Most characters of one untrusted text shown (descriptions, messages).
pub const MAX_TEXT: usize = 2000;
/// Most characters of one untrusted name shown (archive entries, names).
pub const MAX_NAME: usize = 200;

/// One untrusted value, escaped whole.
pub fn escaped(s: &str) -> String {
    escaped_cut(s, usize::MAX)
}

/// One untrusted value, escaped and cut at [`MAX_TEXT`] characters.
pub fn shown(s: &str) -> String {
    escaped_cut(s, MAX_TEXT)
}

/// One untrusted name, escaped and cut at [`MAX_NAME`] characters.
pub fn shown_name(s: &str) -> String {
    escaped_cut(s, MAX_NAME)
}

/// A whole message of the client (errors, hints, warnings): escaped like
/// [`shown`] but its own line breaks kept. The untrusted values inside were
/// escaped with [`shown`] when the message was made; this catches the rest.
pub fn message(s: &str) -> String {
    s.split('\n').map(escaped).collect::<Vec<_>>().join("\n")
}

fn escaped_cut(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars));
    for (i, c) in s.chars().enumerate() {
        if i == max_chars {
            let rest = s.chars().count() - i;
            out.push_str(&format!("… ({rest} more characters)"));
            break;
        }
        if is_unprintable(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Control characters and the bidirectional embedding, override and
/// isolate marks (the same set `check` refuses in manifests).
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_become_visible() {
        let hostile = "nice\r\x1b[2K  tier: verified\x08\u{202e}evil\u{7f}\u{9b}\nx\t";
        let s = shown(hostile);
        assert_eq!(
            s,
            "nice\\u{d}\\u{1b}[2K  tier: verified\\u{8}\\u{202e}evil\\u{7f}\\u{9b}\\u{a}x\\u{9}"
        );
        assert!(!s.chars().any(is_unprintable));
        assert_eq!(shown("Tomáš 日本"), "Tomáš 日本");
    }

    #[test]
    fn long_names_are_cut() {
        let flood = "\0".repeat(10_000);
        let s = shown_name(&flood);
        assert!(s.starts_with("\\u{0}\\u{0}"), "{s}");
        assert!(s.ends_with("… (9800 more characters)"), "{s}");
        assert!(s.len() < 2000 && !s.contains('\0'));
    }

    #[test]
    fn messages_keep_their_own_lines_only() {
        assert_eq!(
            message("no version:\n  1.0.0: yanked: \x1b[1mx"),
            "no version:\n  1.0.0: yanked: \\u{1b}[1mx"
        );
    }
}
