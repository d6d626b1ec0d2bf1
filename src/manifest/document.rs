//! One TOML file, parsed with spans: the bridge between text positions and
//! the typed manifests. Every diagnostic about a file's content is made here.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Code, Diagnostic, LineIndex, Pos, Step};

/// A step in a path to a value: a table key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    Field(&'a str),
    Index(usize),
}

/// A path in a document, printed as `artifact.sha256` or `capabilities[1].name`.
pub fn path_string(path: &[Key<'_>]) -> String {
    let mut s = String::new();
    for k in path {
        match k {
            Key::Field(f) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(f);
            }
            Key::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// A file's text with its path, for making positioned diagnostics.
#[derive(Clone, Copy)]
pub struct SourceFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

impl<'a> SourceFile<'a> {
    pub fn error(&self, span: Range<usize>, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.path, code, message).at(Pos::of_span(self.text, span))
    }

    pub fn warning(
        &self,
        span: Range<usize>,
        code: Code,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::warning(self.path, code, message).at(Pos::of_span(self.text, span))
    }
}

/// Makes diagnostics about fields of one file without needing its parse
/// tree; [`Document::resolve`] turns the field paths into positions later.
#[derive(Clone, Copy)]
pub struct FileRef<'a> {
    pub path: &'a str,
}

impl FileRef<'_> {
    pub fn error_at(&self, path: &[Key<'_>], code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.path, code, message).at_field(steps(path))
    }

    /// An error pointing at the key of `path` (e.g. a dependency's name) rather than its value.
    pub fn error_at_key(
        &self,
        path: &[Key<'_>],
        code: Code,
        message: impl Into<String>,
    ) -> Diagnostic {
        let mut steps = steps(path);
        steps.push(Step::KeyName);
        Diagnostic::error(self.path, code, message).at_field(steps)
    }

    pub fn warning_at(
        &self,
        path: &[Key<'_>],
        code: Code,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::warning(self.path, code, message).at_field(steps(path))
    }
}

pub fn steps(path: &[Key<'_>]) -> Vec<Step> {
    path.iter()
        .map(|k| match k {
            Key::Field(f) => Step::Key((*f).to_owned()),
            Key::Index(i) => Step::Index(*i),
        })
        .collect()
}

/// A parsed TOML document that keeps its spans.
pub struct Document<'a> {
    pub source: SourceFile<'a>,
    pub root: Spanned<DeTable<'a>>,
    /// Made on the first diagnostic, so a valid file never pays for it.
    lines: std::cell::OnceCell<LineIndex>,
}

impl<'a> Document<'a> {
    /// Parses `text`; on failure returns every syntax error the parser found.
    pub fn parse(source: SourceFile<'a>) -> Result<Document<'a>, Vec<Diagnostic>> {
        if source.text.trim().is_empty() {
            return Err(vec![
                Diagnostic::error(source.path, Code::EmptyFile, "the file is empty")
                    .hint("fill in the required fields; see the `#:schema` for the format"),
            ]);
        }
        let (root, errors) = DeTable::parse_recoverable(source.text);
        if errors.is_empty() {
            return Ok(Document {
                source,
                root,
                lines: std::cell::OnceCell::new(),
            });
        }
        let lines = LineIndex::new(source.text);
        Err(errors
            .iter()
            .map(|e| syntax_diagnostic(source, &lines, e))
            .collect())
    }

    /// The position of `span` in this file.
    pub fn pos(&self, span: Range<usize>) -> Pos {
        self.lines
            .get_or_init(|| LineIndex::new(self.source.text))
            .pos(self.source.text, span)
    }

    pub fn error(&self, span: Range<usize>, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.source.path, code, message).at(self.pos(span))
    }

    /// The span of the value at `path`, or of its deepest existing ancestor.
    pub fn span_of(&self, path: &[Key<'_>]) -> Range<usize> {
        let mut span = self.root.span();
        let mut table: Option<&DeTable<'_>> = Some(self.root.get_ref());
        let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
        for key in path {
            let next = match (key, table, array) {
                (Key::Field(f), Some(t), _) => t.get(*f),
                (Key::Index(i), _, Some(a)) => a.get(*i),
                _ => None,
            };
            let Some(value) = next else { break };
            span = value.span();
            table = value.get_ref().as_table();
            array = value.get_ref().as_array().map(|a| a.as_ref());
        }
        span
    }

    /// The span of the key (not the value) at `path`, falling back to the value.
    pub fn key_span_of(&self, path: &[Key<'_>]) -> Range<usize> {
        if let Some((Key::Field(last), parent)) = path.split_last() {
            let mut table = Some(self.root.get_ref());
            for key in parent {
                table = match key {
                    Key::Field(f) => table
                        .and_then(|t| t.get(*f))
                        .and_then(|v| v.get_ref().as_table()),
                    Key::Index(_) => None,
                };
            }
            if let Some((k, _)) = table.and_then(|t| t.get_key_value(*last)) {
                return k.span();
            }
        }
        self.span_of(path)
    }

    /// Sets the position of every diagnostic about this file that names a field.
    pub fn resolve(&self, diags: &mut [Diagnostic]) {
        for d in diags
            .iter_mut()
            .filter(|d| d.pos.is_none() && d.file == self.source.path)
        {
            if let Some(field) = &d.field {
                let at_key = field.last() == Some(&Step::KeyName);
                let keys: Vec<Key<'_>> = field
                    .iter()
                    .filter_map(|s| match s {
                        Step::Key(k) => Some(Key::Field(k.as_str())),
                        Step::Index(i) => Some(Key::Index(*i)),
                        Step::KeyName => None,
                    })
                    .collect();
                let span = if at_key {
                    self.key_span_of(&keys)
                } else {
                    self.span_of(&keys)
                };
                d.pos = Some(self.pos(span));
            }
        }
    }

    /// Reports strings holding control characters (other than tab and, in
    /// multi-line fields, newline) or bidirectional overrides, which can hide
    /// text from reviewers ("Trojan Source").
    pub fn control_characters(&self, multiline_ok: &[&str], out: &mut Vec<Diagnostic>) {
        let mut path = Vec::new();
        for (k, v) in self.root.get_ref() {
            check_key_text(self, k, out);
            path.push(k.get_ref().as_ref());
            scan_controls(self, &path, v, multiline_ok, out);
            path.pop();
        }
    }

    /// Deserialises the document into `T`. The structure has been checked
    /// against the schema already, so an error here is a value problem.
    pub fn deserialize<T: DeserializeOwned>(self) -> Result<T, Diagnostic> {
        let de = toml::de::Deserializer::from(self.root);
        T::deserialize(de).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            self.source
                .error(span, Code::InvalidValue, e.message().to_owned())
        })
    }
}

fn check_key_text(
    doc: &Document<'_>,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(c) = key.get_ref().chars().find(|c| is_forbidden(*c, false)) {
        out.push(
            doc.error(
                key.span(),
                Code::ControlCharacter,
                format!("key contains the control character {c:?}"),
            )
            .hint("keys are plain identifiers; remove the character"),
        );
    }
}

fn scan_controls<'a>(
    doc: &Document<'_>,
    path: &[&'a str],
    value: &'a Spanned<DeValue<'_>>,
    multiline_ok: &[&str],
    out: &mut Vec<Diagnostic>,
) {
    match value.get_ref() {
        DeValue::String(s) => {
            let multiline = path.last().is_some_and(|f| multiline_ok.contains(f));
            if let Some(c) = s.chars().find(|c| is_forbidden(*c, multiline)) {
                out.push(
                    doc.error(
                            value.span(),
                            Code::ControlCharacter,
                            format!("`{}` contains the character {c:?}", path.join(".")),
                        )
                        .hint("remove control and bidirectional-override characters; they can hide text from reviewers"),
                );
            }
        }
        DeValue::Array(items) => {
            for item in items.iter() {
                scan_controls(doc, path, item, multiline_ok, out);
            }
        }
        DeValue::Table(t) => {
            let mut p = path.to_vec();
            for (k, v) in t {
                check_key_text(doc, k, out);
                p.push(k.get_ref().as_ref());
                scan_controls(doc, &p, v, multiline_ok, out);
                p.pop();
            }
        }
        _ => {}
    }
}

fn is_forbidden(c: char, multiline: bool) -> bool {
    match c {
        '\t' => false,
        '\n' => !multiline,
        c => crate::diagnostic::is_unprintable(c),
    }
}

fn syntax_diagnostic(source: SourceFile<'_>, lines: &LineIndex, e: &toml::de::Error) -> Diagnostic {
    let at = |span: Range<usize>, code, message: String| {
        Diagnostic::error(source.path, code, message).at(lines.pos(source.text, span))
    };
    let span = e.span().unwrap_or(0..0);
    let message = e.message().trim().to_owned();
    if message.contains("duplicate key") {
        let key = source.text.get(span.clone()).unwrap_or("").trim();
        let message = if key.is_empty() {
            message
        } else {
            format!("duplicate key `{}`", crate::diagnostic::printable(key))
        };
        let d = at(span.clone(), Code::DuplicateKey, message)
            .hint("each key may appear once; remove or merge the repeated one");
        match first_definition(source.text, span) {
            Some(first) => d.related(lines.pos(source.text, first), "first defined here"),
            None => d,
        }
    } else {
        at(span, Code::TomlSyntax, format!("invalid TOML: {message}"))
            .hint("fix the syntax; strings need double quotes, tables use [name] headers")
    }
}

/// Where the key repeated at `span` was first defined, read from the lines
/// above it (the parser reports only the repeat). A key counts in the same
/// table: sections with the same `[header]` are one table, an `[[array]]`
/// element is its own; a repeated header is matched as a whole line. `None`
/// when nothing matches (dotted keys, inline tables): then only the repeat
/// is shown.
fn first_definition(text: &str, span: Range<usize>) -> Option<Range<usize>> {
    let key = text.get(span.clone())?.trim();
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[span.start..]
        .find('\n')
        .map_or(text.len(), |i| span.start + i);
    let repeated = text[start..end].trim();
    // Each line above, with its offset and the header it sits under.
    let mut header = "";
    let mut header_at = 0;
    let mut above = Vec::new();
    let mut offset = 0;
    for line in text[..start].split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            header = trimmed;
            header_at = offset;
        }
        above.push((offset, line, header, header_at));
        offset += line.len();
    }
    let (own, own_at) = (header, header_at);
    let defines = |line: &str| {
        let t = line.trim_start();
        if repeated.starts_with('[') {
            return t.trim_end() == repeated;
        }
        t.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    };
    let (offset, line, _, _) = above.into_iter().find(|&(off, line, h, at)| {
        let same_table = if own.starts_with("[[") {
            at == own_at && off > own_at
        } else {
            h == own
        };
        (repeated.starts_with('[') || same_table) && defines(line)
    })?;
    let at = offset + line.find(key)?;
    Some(at..at + key.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document<'_> {
        Document::parse(SourceFile {
            path: "f.toml",
            text,
        })
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn span_of_finds_nested_values() {
        let text = "a = 1\n[t]\nx = [\"p\", \"q\"]\n";
        let d = doc(text);
        let span = d.span_of(&[Key::Field("t"), Key::Field("x"), Key::Index(1)]);
        assert_eq!(&text[span], "\"q\"");
    }

    #[test]
    fn duplicate_keys_get_their_own_code() {
        let errs = Document::parse(SourceFile {
            path: "f.toml",
            text: "a = 1\na = 2\n",
        })
        .err()
        .unwrap();
        assert_eq!(errs[0].code, Code::DuplicateKey);
        assert_eq!(errs[0].pos.unwrap().line, 2);
    }

    #[test]
    fn a_duplicate_key_points_at_its_first_definition() {
        let first = |text: &str| {
            let errs = Document::parse(SourceFile {
                path: "f.toml",
                text,
            })
            .err()
            .unwrap();
            let at = |p: Pos| (p.line, p.column);
            errs.iter()
                .map(|e| (at(e.pos.unwrap()), e.related.as_ref().map(|r| at(r.pos))))
                .collect::<Vec<_>>()
        };
        assert_eq!(first("a = 1\nb = 2\n  a = 2\n"), [((3, 3), Some((1, 1)))]);
        // The repeated header, and the key the two `[t]` sections share.
        assert_eq!(
            first("[t]\nx = 1\n[u]\nx = 1\n[t]\nx = 2\n"),
            [((5, 2), Some((1, 2))), ((6, 1), Some((2, 1)))]
        );
        // Each `[[o]]` element is its own table: the `k` of the first is no clash.
        assert_eq!(
            first("[[o]]\nk = 1\n[[o]]\nj = 1\nk = 1\nk = 2\n"),
            [((6, 1), Some((5, 1)))]
        );
    }

    #[test]
    fn empty_file_is_reported() {
        let errs = Document::parse(SourceFile {
            path: "f.toml",
            text: "  \n",
        })
        .err()
        .unwrap();
        assert_eq!(errs[0].code, Code::EmptyFile);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let errs = Document::parse(SourceFile {
            path: "f.toml",
            text: &text,
        })
        .err()
        .unwrap();
        assert_eq!(errs[0].code, Code::TomlSyntax);
    }

    #[test]
    fn control_characters_are_found() {
        let d = doc("a = \"x\\u0007y\"\nb = \"fine\"\nc = \"\\u202Eevil\"\n");
        let mut out = Vec::new();
        d.control_characters(&[], &mut out);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|d| d.code == Code::ControlCharacter));
    }
}
