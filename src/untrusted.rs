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

/// `value` as pretty JSON (serde_json's layout) in which every
/// [`is_unprintable`] character is a `\uXXXX` escape. serde_json escapes
/// only C0 controls; DEL, C1 controls and bidirectional marks would reach a
/// terminal that shows the JSON raw. A JSON reader gets the same strings.
pub fn json_pretty(value: &impl serde::Serialize) -> serde_json::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        EscapingFormatter(serde_json::ser::PrettyFormatter::new()),
    );
    value.serialize(&mut ser)?;
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// serde_json's pretty formatter, with unprintable characters escaped.
struct EscapingFormatter<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for EscapingFormatter<'_> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest.char_indices().find(|(_, c)| is_unprintable(*c)) {
            w.write_all(&rest.as_bytes()[..i])?;
            // Every unprintable character is in the Basic Multilingual Plane.
            write!(w, "\\u{:04x}", c as u32)?;
            rest = &rest[i + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
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
    fn json_escapes_what_a_terminal_would_act_on_and_reads_back_the_same() {
        let hostile = serde_json::json!({ "d\u{202e}": ["a\u{7f}b\u{85}c\u{202e}d\u{2066}\u{1b}", "Tomáš 日本"] });
        let text = json_pretty(&hostile).unwrap();
        assert!(
            !text.chars().any(|c| is_unprintable(c) && c != '\n'),
            "{text}"
        );
        assert!(
            text.contains(r"a\u007fb\u0085c\u202ed\u2066\u001b"),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            hostile
        );
        let plain = serde_json::json!({ "a": [1, "x"], "b": {} });
        assert_eq!(
            json_pretty(&plain).unwrap(),
            serde_json::to_string_pretty(&plain).unwrap()
        );
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
