//! Renders diagnostics for people (rustc-style, with the source line and a
//! caret), for machines (JSON) and for GitHub Actions (workflow annotations).
//! Also the one way commands write to the terminal: results on stdout
//! ([`out`]), messages on stderr ([`status`], [`warning`], [`error_report`]),
//! with the user's `--color`, `-q` and `-v`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use std::ops::Range;

use annotate_snippets::{Annotation, AnnotationKind, Level, Origin, Renderer, Snippet};

use crate::diagnostic::{
    Code, Diagnostic, LineIndex, Pos, Related, Severity, Sources, is_unprintable, printable,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
}

/// Renders `diags`; `root` is the index folder as the user named it, used to
/// show paths the user can open; `sources` holds the text of the files the
/// diagnostics point into, as checked, for the snippets.
pub fn render(format: Format, diags: &[Diagnostic], sources: &Sources, root: &Path) -> String {
    match format {
        Format::Human => human(diags, sources, root),
        Format::Json => json(diags, root),
        Format::Github => github(diags, root),
    }
}

/// The path shown to the user: the index folder joined with the file, without `./`.
pub fn display_path(root: &Path, rel: &str) -> String {
    let joined = root.join(rel);
    let s = joined.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// Most diagnostics printed for one file. A hostile or generated file can
/// hold tens of thousands of problems; nobody reads past the first ones, and
/// printing them all would flood CI logs and annotations.
pub const MAX_PER_FILE: usize = 100;

/// `diags` with at most [`MAX_PER_FILE`] per file; each file cut short gets
/// a `more-diagnostics` one after its last shown, counting the rest. Every
/// format prints this list, so all of them say what was left out.
pub fn capped(diags: &[Diagnostic]) -> Cow<'_, [Diagnostic]> {
    let mut totals: HashMap<&str, (usize, usize)> = HashMap::new();
    for d in diags {
        let (all, errors) = totals.entry(d.file.as_str()).or_default();
        *all += 1;
        *errors += usize::from(d.is_error());
    }
    if totals.values().all(|(all, _)| *all <= MAX_PER_FILE) {
        return Cow::Borrowed(diags);
    }
    let mut seen: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut out = Vec::new();
    for d in diags {
        let (shown, shown_errors) = seen.entry(d.file.as_str()).or_default();
        if *shown == MAX_PER_FILE {
            continue;
        }
        *shown += 1;
        *shown_errors += usize::from(d.is_error());
        out.push(d.clone());
        let (all, errors) = totals[d.file.as_str()];
        if *shown == MAX_PER_FILE && all > MAX_PER_FILE {
            out.push(omitted(&d.file, all - MAX_PER_FILE, errors - *shown_errors));
        }
    }
    Cow::Owned(out)
}

/// The diagnostic standing for `count` problems of `file` not printed.
fn omitted(file: &str, count: usize, errors: usize) -> Diagnostic {
    let warnings = count - errors;
    let message = format!(
        "and {count} more problems in this file ({errors} errors, {warnings} warnings), not shown"
    );
    let d = if errors > 0 {
        Diagnostic::error(file, Code::MoreDiagnostics, message)
    } else {
        Diagnostic::warning(file, Code::MoreDiagnostics, message)
    };
    d.hint(format!(
        "only the first {MAX_PER_FILE} problems of a file are printed; fix those and check again"
    ))
}

fn human(diags: &[Diagnostic], sources: &Sources, root: &Path) -> String {
    let diags = capped(diags);
    let renderer = renderer();
    // Each file's lines are indexed once, however many problems it has.
    let mut indexes: HashMap<&str, LineIndex> = HashMap::new();
    let mut s = String::new();
    for d in diags.iter() {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let path = printable(&display_path(root, &d.file));
        let excerpt = d.pos.and_then(|pos| {
            let text = sources.get(&d.file)?;
            let lines = indexes
                .entry(d.file.as_str())
                .or_insert_with(|| LineIndex::new(text));
            Excerpt::of(text, lines, pos, d.related.as_deref())
        });
        let title = level
            .primary_title(printable(&d.message))
            .id(d.code.as_str());
        let mut group = match (&excerpt, d.pos) {
            (Some(x), _) => title.element(x.snippet(&path)),
            (None, Some(pos)) => title.element(
                Origin::path(path.as_str())
                    .line(pos.line as usize)
                    .char_column(pos.column as usize),
            ),
            (None, None) => title.element(Origin::path(path.as_str())),
        };
        // A related position the excerpt does not underline is named instead.
        let related_note = d
            .related
            .as_deref()
            .filter(|_| excerpt.as_ref().is_none_or(|x| x.related.is_none()))
            .map(|r| format!("{}: {path}:{}:{}", r.label, r.pos.line, r.pos.column));
        if let Some(note) = &related_note {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        if let Some(h) = &d.hint {
            group = group.element(hint_level().message(printable(h)));
        }
        s.push_str(&renderer.render(&[group]));
        s.push_str("\n\n");
    }
    s
}

/// The lines a diagnostic underlines, made safe to print, with the byte
/// ranges of its primary and secondary positions in them.
struct Excerpt {
    text: String,
    first_line: u32,
    primary: Range<usize>,
    related: Option<(Range<usize>, String)>,
}

/// A related position at most this many lines from the primary one is
/// underlined in the same excerpt; one further away is named in a note, so
/// an excerpt never copies a large part of a file.
const MAX_EXCERPT_LINES: u32 = 20;

impl Excerpt {
    /// `None` when `pos` is not a line of `text`. `related` is left out
    /// unless it is a line of `text` near `pos`.
    fn of(text: &str, lines: &LineIndex, pos: Pos, related: Option<&Related>) -> Option<Excerpt> {
        lines.line(text, pos.line)?;
        let related = related.filter(|r| {
            r.pos.line.abs_diff(pos.line) < MAX_EXCERPT_LINES
                && lines.line(text, r.pos.line).is_some()
        });
        let first_line = related.map_or(pos.line, |r| r.pos.line.min(pos.line));
        let last_line = related.map_or(pos.line, |r| r.pos.line.max(pos.line));
        let mut excerpt = String::new();
        // Where each line of the excerpt starts and ends in it.
        let mut bounds = Vec::new();
        for n in first_line..=last_line {
            let start = excerpt.len();
            // Tabs are the renderer's to expand; other control and bidi
            // characters become U+FFFD so the terminal never acts on them.
            // One character for one keeps the columns of `Pos` right.
            let line = lines.line(text, n).unwrap_or("");
            excerpt.extend(line.chars().map(|c| {
                if c != '\t' && is_unprintable(c) {
                    '\u{FFFD}'
                } else {
                    c
                }
            }));
            bounds.push(start..excerpt.len());
            excerpt.push('\n');
        }
        // `Pos` counts characters; the renderer takes byte ranges.
        let span = |p: Pos| {
            let line = bounds[(p.line - first_line) as usize].clone();
            let byte = |chars: u32| {
                excerpt[line.clone()]
                    .char_indices()
                    .nth(chars as usize)
                    .map_or(line.end, |(i, _)| line.start + i)
            };
            let from = byte(p.column.saturating_sub(1));
            from..byte(p.column.saturating_sub(1) + p.len.max(1)).max(from)
        };
        Some(Excerpt {
            primary: span(pos),
            related: related.map(|r| (span(r.pos), r.label.clone())),
            first_line,
            text: excerpt,
        })
    }

    fn snippet<'a>(&'a self, path: &'a str) -> Snippet<'a, Annotation<'a>> {
        let mut snippet = Snippet::source(self.text.as_str())
            .line_start(self.first_line as usize)
            .path(path)
            .annotation(AnnotationKind::Primary.span(self.primary.clone()));
        if let Some((span, label)) = &self.related {
            snippet = snippet.annotation(
                AnnotationKind::Context
                    .span(span.clone())
                    .label(label.as_str()),
            );
        }
        snippet
    }
}

/// Diagnostics are drawn in colour when stderr is (`--color`), with the
/// colours of [`label`]. The width is fixed, not the terminal's, so output
/// never depends on the window.
fn renderer() -> Renderer {
    use annotate_snippets::renderer::{AnsiColor, Effects};
    if !color() {
        return Renderer::plain();
    }
    let bold = |c: AnsiColor| c.on_default().effects(Effects::BOLD);
    Renderer::styled()
        .error(bold(AnsiColor::Red))
        .warning(bold(AnsiColor::Yellow))
        .help(bold(AnsiColor::Cyan))
}

/// A hint is rustc's `help:` footer, named as every plugdex message names it.
fn hint_level() -> Level<'static> {
    Level::HELP.with_name("hint")
}

fn json(diags: &[Diagnostic], root: &Path) -> String {
    let mut s = crate::untrusted::json_pretty(
        &serde_json::json!({ "diagnostics": json_items(diags, root) }),
    )
    .expect("JSON values serialise");
    s.push('\n');
    s
}

fn json_items(diags: &[Diagnostic], root: &Path) -> Vec<serde_json::Value> {
    capped(diags)
        .iter()
        .map(|d| {
            serde_json::json!({
                "file": display_path(root, &d.file),
                "line": d.pos.map(|p| p.line),
                "column": d.pos.map(|p| p.column),
                "code": d.code.as_str(),
                "severity": d.severity,
                "message": printable(&d.message),
                "hint": d.hint.as_deref().map(printable),
            })
        })
        .collect()
}

/// Renders the verdict of `check --base`: the diagnostics as `check` prints
/// them, plus what needs a maintainer and the classification.
pub fn render_verdict(format: Format, v: &crate::check::change::Verdict, root: &Path) -> String {
    let path = |r: &crate::check::change::Review| {
        if r.outside {
            r.file.clone()
        } else {
            display_path(root, &r.file)
        }
    };
    match format {
        Format::Human => {
            let mut s = human(&v.diagnostics, &v.sources, root);
            for p in &v.plugins {
                let _ = writeln!(
                    s,
                    "plugin {}: {}",
                    printable(&p.name),
                    printable(&p.events.join("; "))
                );
            }
            for r in &v.reviews {
                let _ = writeln!(
                    s,
                    "review: {}: {}",
                    printable(&path(r)),
                    printable(&r.reason)
                );
            }
            s
        }
        Format::Json => {
            let mut value = serde_json::to_value(v).expect("the verdict serialises");
            value["diagnostics"] = serde_json::Value::Array(json_items(&v.diagnostics, root));
            if let Some(reviews) = value["reviews"].as_array_mut() {
                for (item, r) in reviews.iter_mut().zip(&v.reviews) {
                    item["file"] = serde_json::Value::String(path(r));
                }
            }
            let mut s = crate::untrusted::json_pretty(&value).expect("JSON values serialise");
            s.push('\n');
            s
        }
        Format::Github => {
            let mut s = github(&v.diagnostics, root);
            for r in &v.reviews {
                let _ = writeln!(
                    s,
                    "::notice file={},title=needs-review::{}",
                    escape_property(&path(r)),
                    escape_data(&printable(&r.reason))
                );
            }
            s
        }
    }
}

fn github(diags: &[Diagnostic], root: &Path) -> String {
    let mut s = String::new();
    for d in capped(diags).iter() {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = format!("file={}", escape_property(&display_path(root, &d.file)));
        if let Some(p) = d.pos {
            let _ = write!(
                props,
                ",line={},col={},endColumn={}",
                p.line,
                p.column,
                p.column + p.len
            );
        }
        let _ = write!(props, ",title={}", escape_property(d.code.as_str()));
        let mut message = printable(&d.message);
        if let Some(h) = &d.hint {
            message.push_str("\nhint: ");
            message.push_str(&printable(h));
        }
        let _ = writeln!(s, "::{level} {props}::{}", escape_data(&message));
    }
    s
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A progress bar on a terminal; hidden when stderr is not one or under CI.
pub fn progress_bar(unit: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal()
        || std::env::var_os("CI").is_some()
        || verbosity() == Verbosity::Quiet
    {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    let template =
        format!("{{elapsed_precise}} [{{wide_bar}}] {{pos}}/{{len}} {unit} ({{eta}} left)");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Runs `work`, a check counting into `progress`, and shows how far it has
/// come: a bar on a terminal; otherwise (CI logs) one line when the plugins
/// are listed and one when the check is done, cargo's way; nothing under
/// `-q`. The bar is updated from the counters every 100 ms by a thread of
/// its own, never by the check.
pub fn watching<T>(progress: &crate::check::progress::Progress, work: impl FnOnce() -> T) -> T {
    use std::io::IsTerminal;
    use std::sync::atomic::AtomicBool;
    if verbosity() == Verbosity::Quiet {
        return work();
    }
    let terminal = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    // Made once the plugins are counted, so it never draws an empty bar.
    let bar = std::sync::OnceLock::new();
    let started = std::time::Instant::now();
    let announced = AtomicBool::new(false);
    let announce = || {
        let Some(total) = progress.total() else {
            return;
        };
        if announced.swap(true, Ordering::Relaxed) {
            return;
        }
        if terminal {
            let new = progress_bar("plugins");
            new.set_length(total as u64);
            let _ = bar.set(new);
        } else {
            status(&format!("Checking {total} plugins"));
        }
    };
    let finished = AtomicBool::new(false);
    let out = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            while !finished.load(Ordering::Relaxed) {
                announce();
                if let Some(bar) = bar.get() {
                    bar.set_position(progress.read() as u64);
                }
                std::thread::park_timeout(std::time::Duration::from_millis(100));
            }
        });
        let out = work();
        finished.store(true, Ordering::Relaxed);
        watcher.thread().unpark();
        out
    });
    // A check quicker than the watcher's first look still says it started.
    announce();
    match bar.get() {
        Some(bar) => bar.finish_and_clear(),
        None if terminal => {}
        None => status(&format!(
            "Checked {} plugins in {:.2} s",
            progress.total().unwrap_or(0),
            started.elapsed().as_secs_f64()
        )),
    }
    out
}

/// The closing lines of a build.
pub fn build_summary(
    built: &crate::generate::Built,
    checked: &crate::check::Checked,
    out: &Path,
) -> String {
    use crate::source::history::Origin;
    let s = &built.summary;
    let mut text = format!(
        "built {} plugins, {} versions into `{}` in {:.2} s: {} files written, {} unchanged, {} removed ({} changed)\n",
        checked.plugins,
        checked.versions,
        out.display(),
        built.elapsed.as_secs_f64(),
        s.written,
        s.unchanged,
        s.removed,
        s.changed.len(),
    );
    if built.reused > 0 {
        let _ = writeln!(
            text,
            "{} plugins unchanged since the last build were carried over from its cache, not read again",
            built.reused
        );
    } else if let Some(why) = built.fresh_because {
        let _ = writeln!(text, "note: every plugin was read: {why}");
    }
    match &built.origin {
        Origin::Git { shallow: true, .. } => warn(
            &mut text,
            "the git history is shallow: versions published before its first commit are dated by that commit",
            "fetch the whole history (`git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout)",
        ),
        Origin::Git { .. } if built.dated_from_git < checked.versions => {
            let _ = writeln!(
                text,
                "note: {} versions are not committed yet; their pubtime is SOURCE_DATE_EPOCH or the file's modification time",
                checked.versions - built.dated_from_git
            );
        }
        Origin::Folder => text.push_str(
            "note: the index is not in a git repository; pubtime is SOURCE_DATE_EPOCH or each file's modification time\n",
        ),
        Origin::Git { .. } => {}
    }
    if built.cached_signatures > 0 {
        let _ = writeln!(
            text,
            "{} author signatures were verified by an earlier build and not verified again",
            built.cached_signatures
        );
    }
    let _ = writeln!(
        text,
        "output: {} files, {}",
        built.size.files,
        crate::generate::hosting::human_bytes(built.size.bytes)
    );
    for warning in &built.host_warnings {
        warn(
            &mut text,
            warning,
            "publish to an object store behind a CDN (docs/workflows.md, \"Large registries\")",
        );
    }
    if built.signed {
        let _ = writeln!(
            text,
            "signed: timestamp.json is signed by the online key and expires {}; rebuild before then",
            built.expires
        );
    } else {
        warn(
            &mut text,
            "THIS REGISTRY IS UNSIGNED: no signing key was given, so clients that verify (the default) will refuse it",
            "give the online key with `--signing-key FILE` or the `PLUGDEX_SIGNING_KEY` environment variable (docs/trust.md, \"Registry signing\")",
        );
    }
    text
}

/// A warning line and its hint, labelled as every message is ([`label`]).
fn warn(text: &mut String, warning: &str, hint: &str) {
    let _ = writeln!(text, "{} {warning}", label("warning"));
    let _ = writeln!(text, "{} {hint}", label("hint"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Code, Pos};

    fn sample() -> Vec<Diagnostic> {
        vec![
            Diagnostic::error(
                "plugins/2/ab/plugin.toml",
                Code::UnknownField,
                "unknown field `licence`",
            )
            .at(Pos {
                line: 3,
                column: 1,
                len: 7,
            })
            .hint("did you mean `license`?"),
        ]
    }

    fn human_of(diags: &[Diagnostic], file: &str, text: &str) -> String {
        let mut sources = Sources::default();
        sources.insert(file, text.to_owned());
        render(Format::Human, diags, &sources, Path::new("index"))
    }

    #[test]
    fn human_shows_the_line_a_caret_and_the_hint() {
        let text = "name = \"ab\"\ndescription = \"x\"\nlicence = \"MIT\"\n";
        let out = human_of(&sample(), "plugins/2/ab/plugin.toml", text);
        assert_eq!(
            out,
            "error[unknown-field]: unknown field `licence`\n --> index/plugins/2/ab/plugin.toml:3:1\n  |\n3 | licence = \"MIT\"\n  | ^^^^^^^\n  |\n  = hint: did you mean `license`?\n\n"
        );
    }

    #[test]
    fn carets_line_up_under_wide_characters() {
        // `描述` and the emoji are two columns wide each on a terminal.
        let text = "description = \"描述 🦀 x\"\n";
        let at = text.find('x').unwrap();
        let d = Diagnostic::error("f.toml", Code::InvalidValue, "bad")
            .at(Pos::of_span(text, at..at + 1));
        let out = human_of(&[d], "f.toml", text);
        let lines: Vec<&str> = out.lines().collect();
        let source = lines.iter().find(|l| l.starts_with("1 |")).unwrap();
        let caret = lines.iter().find(|l| l.contains('^')).unwrap();
        // `1 | description = "` is 19 columns, `描述 🦀 ` 8 more.
        assert_eq!(
            source.find('x').map(|x| source[..x].chars().count()),
            Some(24)
        );
        assert_eq!(caret.find('^'), Some(27), "{out}");
        assert!(out.contains(" --> index/f.toml:1:21"), "{out}");

        // A tab is drawn as four spaces, and the caret follows it.
        let text = "\tx = 1\n";
        let d = Diagnostic::error("f.toml", Code::InvalidValue, "bad").at(Pos::of_span(text, 1..2));
        let out = human_of(&[d], "f.toml", text);
        assert!(out.contains("1 |     x = 1\n  |     ^\n"), "{out}");
    }

    #[test]
    fn a_related_position_is_a_labelled_second_underline() {
        let text = "a = 1\nb = 2\na = 3\n";
        let d = Diagnostic::error("f.toml", Code::DuplicateKey, "duplicate key `a`")
            .at(Pos::of_span(text, 12..13))
            .related(Pos::of_span(text, 0..1), "first defined here");
        let out = human_of(&[d], "f.toml", text);
        assert!(out.contains("1 | a = 1\n  | - first defined here"), "{out}");
        assert!(out.contains("3 | a = 3\n  | ^"), "{out}");

        // Far apart, the first definition is named, not copied into the excerpt.
        let text = format!("a = 1\n{}a = 3\n", "b = 2\n".repeat(500));
        let at = text.rfind("a =").unwrap();
        let d = Diagnostic::error("f.toml", Code::DuplicateKey, "duplicate key `a`")
            .at(Pos::of_span(&text, at..at + 1))
            .related(Pos::of_span(&text, 0..1), "first defined here");
        let out = human_of(&[d], "f.toml", &text);
        assert!(!out.contains("b = 2"), "{out}");
        assert!(
            out.contains("= note: first defined here: index/f.toml:1:1\n"),
            "{out}"
        );
    }

    #[test]
    fn no_text_means_no_snippet_and_control_characters_never_reach_the_terminal() {
        let out = render(
            Format::Human,
            &sample(),
            &Sources::default(),
            Path::new("index"),
        );
        assert!(out.starts_with("error[unknown-field]: unknown field `licence`\n--> index/plugins/2/ab/plugin.toml:3:1\n"), "{out}");
        assert!(!out.contains(" | "), "{out}");
        let text = "x = \"\u{202e}evil\u{1b}[2J\"\n";
        let d = Diagnostic::error("f.toml", Code::ControlCharacter, "control").at(Pos::start());
        let out = human_of(&[d], "f.toml", text);
        assert!(
            !out.contains('\u{202e}') && !out.contains('\u{1b}'),
            "{out:?}"
        );
        assert!(out.contains("\u{FFFD}evil\u{FFFD}[2J"), "{out}");
    }

    #[test]
    fn github_annotations_escape_and_point_at_the_line() {
        let out = render(
            Format::Github,
            &sample(),
            &Sources::default(),
            Path::new("index"),
        );
        assert_eq!(
            out,
            "::error file=index/plugins/2/ab/plugin.toml,line=3,col=1,endColumn=8,title=unknown-field::unknown field `licence`%0Ahint: did you mean `license`?\n"
        );
    }

    #[test]
    fn json_has_the_documented_keys() {
        let out = render(Format::Json, &sample(), &Sources::default(), Path::new("."));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let d = &v["diagnostics"][0];
        assert_eq!(d["file"], "plugins/2/ab/plugin.toml");
        assert_eq!(d["line"], 3);
        assert_eq!(d["column"], 1);
        assert_eq!(d["code"], "unknown-field");
        assert_eq!(d["severity"], "error");
        assert_eq!(d["hint"], "did you mean `license`?");
    }
}

/// `--color`: whether the messages on stderr are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (or when `CLICOLOR_FORCE` is).
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// The choice made: `--color always|never` wins; then `NO_COLOR` (any
    /// non-empty value) turns colour off, `CLICOLOR_FORCE` (not `0`) on,
    /// and otherwise colour follows whether stderr is a terminal.
    pub fn enabled(self, terminal: bool, env: impl Fn(&str) -> Option<String>) -> bool {
        let set = |k: &str| env(k).filter(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR").is_some() => false,
            ColorChoice::Auto if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
            ColorChoice::Auto => terminal,
        }
    }
}

/// How much goes to stderr: `-q` errors only, `-v` also the detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

static VERBOSITY: AtomicU8 = AtomicU8::new(1);
static COLOR: AtomicBool = AtomicBool::new(false);

/// Set once by `main` from `--color`, `-q` and `-v`.
pub fn configure(color: ColorChoice, verbosity: Verbosity) {
    use std::io::IsTerminal;
    let env = |k: &str| std::env::var(k).ok();
    COLOR.store(
        color.enabled(std::io::stderr().is_terminal(), env),
        Ordering::Relaxed,
    );
    VERBOSITY.store(verbosity as u8, Ordering::Relaxed);
}

fn verbosity() -> Verbosity {
    match VERBOSITY.load(Ordering::Relaxed) {
        0 => Verbosity::Quiet,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

/// Whether stderr is coloured (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`).
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

/// `error:`, `warning:` and `hint:` as uv prints them: bold red, yellow,
/// cyan (the diagnostics' [`renderer`] uses the same colours).
pub fn label(word: &str) -> String {
    let code = match word {
        "error" => "1;31",
        "warning" => "1;33",
        _ => "1;36",
    };
    if color() {
        format!("\x1b[{code}m{word}:\x1b[0m")
    } else {
        format!("{word}:")
    }
}

/// Writes to stdout (the command's result). Errors are returned, so a closed
/// pipe ends the command quietly instead of panicking as `print!` does.
pub fn out(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// Writes to stderr, whatever the verbosity (errors, the report of a check).
/// A closed stderr is ignored: there is nowhere left to say anything.
pub fn err(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A line of progress or of what was done on stderr; not under `-q`.
pub fn status(text: &str) {
    if verbosity() >= Verbosity::Normal {
        err(&format!("{text}\n"));
    }
}

/// Detail only `-v` asks for.
pub fn detail(text: &str) {
    if verbosity() >= Verbosity::Verbose {
        err(&format!("{text}\n"));
    }
}

/// `warning: …` on stderr; not under `-q`.
pub fn warning(text: &str) {
    if verbosity() >= Verbosity::Normal {
        err(&format!(
            "{} {}\n",
            label("warning"),
            crate::untrusted::message(text)
        ));
    }
}

/// The report of an error: `error: …`, each cause not already said as
/// `  caused by: …`, then `hint: …`. Every line is escaped: messages carry
/// names, paths and server text.
pub fn error_report(e: &crate::error::CliError) -> String {
    let escaped = crate::untrusted::message;
    let mut s = format!("{} {}\n", label("error"), escaped(&e.message));
    for cause in e.causes() {
        let _ = writeln!(s, "  caused by: {}", escaped(&cause));
    }
    if let Some(hint) = &e.hint {
        let _ = writeln!(s, "{} {}", label("hint"), escaped(hint));
    }
    s
}
