//! The one vocabulary every stage reports problems in.
//!
//! A diagnostic names the file (relative to the index root, `/`-separated),
//! a 1-based line and column when it points into the file, a stable code, a
//! message and a hint saying what to do. Codes are part of plugdex's interface:
//! CI scripts match on them, so they never change meaning.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A 1-based position in a file; `len` is the number of characters to
/// underline on that line (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

impl Pos {
    /// The position of a byte range of `text`; the underline stops at the end
    /// of the line. It scans `text` from the start: for more than one
    /// position in a file, index its lines once with [`LineIndex`].
    pub fn of_span(text: &str, span: std::ops::Range<usize>) -> Pos {
        LineIndex::new(text).pos(text, span)
    }

    pub fn start() -> Pos {
        Pos {
            line: 1,
            column: 1,
            len: 1,
        }
    }
}

/// Where each line of one text starts, so that placing a diagnostic costs a
/// binary search rather than a scan from the start of the file: a file with
/// tens of thousands of problems is placed in linear time, not quadratic.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of the start of each line; the first is 0.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let newlines = text.bytes().enumerate().filter(|(_, b)| *b == b'\n');
        LineIndex {
            starts: std::iter::once(0)
                .chain(newlines.map(|(i, _)| i + 1))
                .collect(),
        }
    }

    /// [`Pos::of_span`] of `text`, the text this index was made from.
    pub fn pos(&self, text: &str, span: std::ops::Range<usize>) -> Pos {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
        // Lines starting at or before `start`; the first always does.
        let line = self.starts.partition_point(|&s| s <= start);
        let line_start = self.starts[line - 1];
        let column = text[line_start..start].chars().count() + 1;
        let rest = &text[start..end];
        let len = rest.split('\n').next().unwrap_or("").chars().count().max(1);
        Pos {
            line: to_u32(line),
            column: to_u32(column),
            len: to_u32(len),
        }
    }

    /// The 1-based line `line` of `text` without its line ending, as `str::lines` gives it.
    pub fn line<'t>(&self, text: &'t str, line: u32) -> Option<&'t str> {
        let i = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(i)?;
        if start == text.len() && i > 0 {
            // After a final newline there is no further line.
            return None;
        }
        let end = self.starts.get(i + 1).map_or(text.len(), |next| next - 1);
        let l = &text[start..end];
        Some(l.strip_suffix('\r').unwrap_or(l))
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A step in the key path of a value inside a TOML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
    /// Last step only: point at the key itself rather than its value.
    KeyName,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub pos: Option<Pos>,
    /// Where in `file` the problem is, as a key path, until it is resolved
    /// into `pos`. Rules name the field; positions are computed only when a
    /// problem is found, so the valid path never pays for them.
    /// Boxed as a slice: every diagnostic carries the slot, few fill it.
    pub field: Option<Box<[Step]>>,
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
    /// A second place in the same file the problem involves (a duplicate
    /// key's first definition), shown as a labelled secondary underline.
    /// Boxed: rare, and a diagnostic stays small.
    pub related: Option<Box<Related>>,
}

/// A labelled position that explains a diagnostic, in the diagnostic's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub pos: Pos,
    pub label: String,
}

impl Diagnostic {
    pub fn error(file: impl Into<String>, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            pos: None,
            field: None,
            code,
            severity: Severity::Error,
            message: printable(&message.into()),
            hint: None,
            related: None,
        }
    }

    pub fn warning(file: impl Into<String>, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, code, message)
        }
    }

    pub fn at(mut self, pos: Pos) -> Diagnostic {
        self.pos = Some(pos);
        self
    }

    pub fn at_field(mut self, path: Vec<Step>) -> Diagnostic {
        self.field = Some(path.into_boxed_slice());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(printable(&hint.into()));
        self
    }

    /// Adds a secondary position, e.g. where a repeated key was first defined.
    pub fn related(mut self, pos: Pos, label: impl Into<String>) -> Diagnostic {
        self.related = Some(Box::new(Related {
            pos,
            label: printable(&label.into()),
        }));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Sort key: by file, then position (file-level problems first), then code.
    fn key(&self) -> (&str, Option<Pos>, &'static str, &str) {
        (&self.file, self.pos, self.code.as_str(), &self.message)
    }
}

/// The text of the files diagnostics point into, as they were checked (the
/// git blob for `check --rev`/`--base`, not the working copy), so that the
/// printer shows the lines that were checked and never reads the disk
/// itself. Only files with a placed diagnostic are kept: a check of a large
/// index holds the text of its few bad files, not of every file.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    texts: std::collections::HashMap<String, String>,
}

impl Sources {
    /// The text of `file` (relative to the index root), if kept.
    pub fn get(&self, file: &str) -> Option<&str> {
        self.texts.get(file).map(String::as_str)
    }

    pub fn contains(&self, file: &str) -> bool {
        self.texts.contains_key(file)
    }

    pub fn insert(&mut self, file: impl Into<String>, text: String) {
        self.texts.insert(file.into(), text);
    }

    /// Keeps `text` as the text of `file` when one of `diags` points into it.
    pub fn keep_if_cited(&mut self, diags: &[Diagnostic], file: &str, text: String) {
        if diags.iter().any(|d| d.pos.is_some() && d.file == file) {
            self.texts.insert(file.to_owned(), text);
        }
    }

    pub fn extend(&mut self, other: Sources) {
        self.texts.extend(other.texts);
    }

    /// Drops the texts no diagnostic of `diags` points into any more (after
    /// diagnostics were filtered).
    pub fn retain_cited(&mut self, diags: &[Diagnostic]) {
        let cited: std::collections::HashSet<&str> = diags
            .iter()
            .filter(|d| d.pos.is_some())
            .map(|d| d.file.as_str())
            .collect();
        self.texts.retain(|file, _| cited.contains(file.as_str()));
    }
}

/// Text from a manifest made safe to print: control and bidirectional
/// characters become `\u{..}` escapes, so a message can never move the
/// cursor, fake a line of output or reorder what a reviewer sees.
pub fn printable(s: &str) -> String {
    crate::untrusted::escaped(s)
}

/// Control characters and the bidirectional embedding, override and isolate marks.
pub use crate::untrusted::is_unprintable;

/// Sorts diagnostics by file, line and column, and drops exact duplicates.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.key().cmp(&b.key()));
    diags.dedup();
}

macro_rules! codes {
    ($($variant:ident = $text:literal : $doc:literal,)*) => {
        /// Stable diagnostic codes. The README's table is [`Code::ALL`] with [`Code::describe`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }

            pub fn describe(self) -> &'static str {
                match self { $(Code::$variant => $doc,)* }
            }
        }
    };
}

codes! {
    // Reading files
    NotAnIndex = "not-an-index": "the folder has no `registry.toml`",
    Symlink = "symlink": "a symbolic link inside the index (never followed)",
    UnexpectedFile = "unexpected-file": "a file or folder where the layout allows none",
    MisplacedPlugin = "misplaced-plugin": "a plugin folder outside its shard path",
    MissingFile = "missing-file": "a required file (`plugin.toml`, a version) is missing",
    FileTooLarge = "file-too-large": "a file over the size cap",
    InvalidUtf8 = "invalid-utf8": "a file that is not UTF-8",
    EmptyFile = "empty-file": "a file with no content",
    Io = "io": "a file that could not be read",
    // TOML structure
    TomlSyntax = "toml-syntax": "TOML that does not parse",
    DuplicateKey = "duplicate-key": "a key defined twice",
    UnknownField = "unknown-field": "a key the format does not define",
    MissingField = "missing-field": "a required key is absent",
    WrongType = "wrong-type": "a value of the wrong TOML type",
    InvalidValue = "invalid-value": "a value outside the allowed set or range",
    ControlCharacter = "control-character": "a control or bidirectional-override character in a string",
    // Names
    InvalidName = "invalid-name": "a plugin name that breaks the naming rules",
    NameMismatch = "name-mismatch": "`name` differs from the plugin's folder name",
    ReservedName = "reserved-name": "a reserved plugin name",
    DuplicateName = "duplicate-name": "two plugins with the same canonical name",
    ConfusableName = "confusable-name": "a name that looks like another plugin's",
    // Plugin facts
    InvalidLicense = "invalid-license": "a licence that is not an SPDX expression",
    InvalidDescription = "invalid-description": "an empty, overlong or multi-line description",
    InvalidTag = "invalid-tag": "a malformed, duplicate or surplus tag",
    InvalidUrl = "invalid-url": "a URL that is not `https` (or not a safe relative path)",
    InvalidOwner = "invalid-owner": "a missing, malformed or duplicate owner",
    // Versions
    InvalidVersion = "invalid-version": "a version that is not SemVer 2.0",
    VersionMismatch = "version-mismatch": "the file name differs from `version`",
    DuplicateVersion = "duplicate-version": "two versions equal but for build metadata",
    TooManyVersions = "too-many-versions": "more versions than the policy allows",
    InvalidRequirement = "invalid-requirement": "a SemVer requirement that does not parse",
    InvalidSha256 = "invalid-sha256": "a digest that is not 64 lowercase hex digits",
    InvalidSize = "invalid-size": "an artifact size of zero or over the cap",
    MissingArtifact = "missing-artifact": "a release with neither `[artifact]` nor `[[platforms]]`",
    DuplicatePlatform = "duplicate-platform": "two `[[platforms]]` tables for the same OS and CPU",
    OverlappingPlatforms = "overlapping-platforms": "a `[[platforms]]` table without `arch` and another for the same OS: both match",
    ArtifactMissing = "artifact-missing": "a self-hosted artifact file that is absent or unreadable",
    ArtifactMismatch = "artifact-mismatch": "a self-hosted artifact whose size or SHA-256 differs from the manifest",
    InvalidEntry = "invalid-entry": "an entry path that is absolute or leaves the artifact",
    DuplicatePermission = "duplicate-permission": "a permission listed twice",
    InvalidCapability = "invalid-capability": "a capability with a bad name, endpoint or duplicate",
    // Across plugins
    UnknownDependency = "unknown-dependency": "a dependency on a plugin that does not exist",
    SelfDependency = "self-dependency": "a plugin that depends on itself",
    UnsatisfiableDependency = "unsatisfiable-dependency": "no non-yanked version meets a requirement",
    DependencyCycle = "dependency-cycle": "plugins that depend on each other in a cycle",
    UnknownReplacement = "unknown-replacement": "a deprecation that names a plugin that does not exist",
    // Signatures and trust
    KeyInvalid = "key-invalid": "a public key that does not parse, or is weak (non-canonical, small order, torsion)",
    SignatureMissing = "signature-missing": "an unsigned release where the policy requires signatures",
    SignatureMalformed = "signature-malformed": "a signature that is not raw ed25519, minisign (`ED`) or SSHSIG",
    SignatureInvalid = "signature-invalid": "a signature that does not verify under any owner key",
    KeyRevoked = "key-revoked": "a release signed only by a revoked key: published as revoked",
    UnknownRelease = "unknown-release": "`reviewed.toml` or `revocations.toml` names a release that does not exist",
    InvalidSigning = "invalid-signing": "a bad `[signing]` table: keys, threshold or delegation signatures",
    // Registry
    InvalidRegistry = "invalid-registry": "a bad value in `registry.toml`",
    NameRemoved = "name-removed": "a plugin name a maintainer removed (`revocations.toml` `[[removed]]`); never given out again",
    // Changes (`check --base`)
    NotAnOwner = "not-an-owner": "a change to a plugin by someone who is not its owner, without an owner's signature",
    OwnersUnauthorised = "owners-unauthorised": "a change of owners neither made nor signed by a current owner",
    PublishedChanged = "published-changed": "a published version's manifest changed beyond `yanked`, `deprecated` and `signature`",
    VersionDeleted = "version-deleted": "a published version was deleted (yank it instead)",
    PluginDeleted = "plugin-deleted": "a plugin was deleted or renamed",
    ArtifactUnreachable = "artifact-unreachable": "`check --fetch` could not download a new release's external artifact",
    // Output
    MoreDiagnostics = "more-diagnostics": "a file with more problems than are printed (the first 100): this one counts the rest",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pos_counts_lines_and_characters() {
        let text = "a = 1\nname = \"héllo\"\n";
        let start = text.find("\"h").unwrap();
        let p = Pos::of_span(text, start..start + "\"héllo\"".len());
        assert_eq!(
            p,
            Pos {
                line: 2,
                column: 8,
                len: 7
            }
        );
    }

    #[test]
    fn line_index_agrees_with_a_scan() {
        let text = "a = 1\r\nname = \"héllo\"\n\n[t]\nx = 2";
        let index = LineIndex::new(text);
        for start in 0..=text.len() + 2 {
            let scanned = {
                let s = floor_char_boundary(text, start.min(text.len()));
                let before = &text[..s];
                let line = before.matches('\n').count() + 1;
                let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                (line as u32, text[line_start..s].chars().count() as u32 + 1)
            };
            let p = index.pos(text, start..start + 3);
            assert_eq!((p.line, p.column), scanned, "{start}");
        }
        let lines: Vec<&str> = text.lines().collect();
        for n in 0..lines.len() as u32 + 3 {
            let expected = n
                .checked_sub(1)
                .and_then(|i| lines.get(i as usize))
                .copied();
            assert_eq!(index.line(text, n), expected, "line {n}");
        }
        assert_eq!(LineIndex::new("a\n").line("a\n", 2), None);
    }

    #[test]
    fn pos_of_span_past_end_is_clamped() {
        let p = Pos::of_span("ab", 10..20);
        assert_eq!((p.line, p.column, p.len), (1, 3, 1));
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{}", c.as_str());
            assert!(
                c.as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-' || ch.is_ascii_digit())
            );
        }
    }
}
