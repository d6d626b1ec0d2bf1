//! `plugdex check`: the whole index (from the folder or `--rev`), or a change
//! (`--base`): diagnostics, the verdict, and GitHub Actions' step outputs.

use std::path::{Path, PathBuf};

use super::count;
use crate::check::change::{self, Class};
use crate::check::progress::{Counted, Progress};
use crate::check::verified::VerifiedCache;
use crate::check::{Keep, check_source};
use crate::error::{CliError, Exit};
use crate::printer::{self, Format};
use crate::source::FolderSource;
use crate::source::tree::index_at_rev;

pub fn index(index: &Path, format: Format, rev: Option<&str>) -> Result<Exit, CliError> {
    let from = rev.map_or_else(|| "its folder".to_owned(), |r| format!("revision `{r}`"));
    printer::detail(&format!("checking `{}` from {from}", index.display()));
    // Read through `Counted`, so the printer can show how far the check is.
    let progress = Progress::default();
    let cache = VerifiedCache::default();
    let checked = match rev {
        Some(rev) => {
            let source = index_at_rev(index, rev).map_err(|e| {
                let hint = e.hint();
                CliError::from_error(Exit::Failed, e).hint(hint)
            })?;
            let source = Counted::new(&source, &progress);
            printer::watching(&progress, || {
                check_source(&source, &cache, Keep::Diagnostics)
            })
        }
        None => {
            let source =
                FolderSource::open(index).map_err(|e| CliError::from_error(Exit::Failed, e))?;
            let source = Counted::new(&source, &progress);
            printer::watching(&progress, || {
                check_source(&source, &cache, Keep::Diagnostics)
            })
        }
    };
    let exit = report(&checked, format, index)?;
    crate::timings::mark("report");
    // Freed off the way to the exit, which does not wait for it (`free`).
    crate::free::in_background(checked);
    Ok(exit)
}

/// Prints a check's diagnostics and its one-line verdict.
pub fn report(
    checked: &crate::check::Checked,
    format: Format,
    index: &Path,
) -> Result<Exit, CliError> {
    print_diagnostics(
        format,
        printer::render(format, &checked.diagnostics, &checked.sources, index),
    )?;
    let (errors, warnings) = (checked.errors(), checked.warnings());
    let scope = format!("{} plugins, {} versions", checked.plugins, checked.versions);
    if errors > 0 {
        printer::err(&format!(
            "{} {} in {scope}\n",
            printer::label("error"),
            count(errors, warnings)
        ));
        return Ok(Exit::Invalid);
    }
    let found = match warnings {
        0 => "no problems".to_owned(),
        w => count(0, w),
    };
    printer::status(&format!("checked {scope}: {found}"));
    Ok(Exit::Done)
}

/// Human diagnostics go to stderr, machine formats to stdout.
fn print_diagnostics(format: Format, rendered: String) -> Result<(), CliError> {
    match format {
        Format::Human => printer::err(&rendered),
        _ => printer::out(&rendered)?,
    }
    Ok(())
}

/// What `--base` adds to a check.
pub struct Change {
    pub base: String,
    pub head: String,
    pub author: Option<String>,
    pub summary: Option<PathBuf>,
    pub fetch: bool,
}

pub fn change(index: &Path, format: Format, args: &Change) -> Result<Exit, CliError> {
    let author = args
        .author
        .clone()
        .or_else(|| env("PLUGDEX_AUTHOR"))
        .or_else(|| env("GITHUB_ACTOR"));
    let req = change::Request {
        index,
        base: &args.base,
        head: &args.head,
        author: author.as_deref(),
        fetch: args
            .fetch
            .then(|| change::fetch::over_http(Default::default())),
    };
    printer::detail(&format!(
        "checking the change `{}`..`{}` of `{}`",
        args.base,
        args.head,
        index.display()
    ));
    let verdict = change::check_change(&req).map_err(|e| {
        let hint = e.hint();
        CliError::from_error(Exit::Failed, e).hint(hint)
    })?;
    print_diagnostics(format, printer::render_verdict(format, &verdict, index))?;
    let markdown = change::summary::markdown(&verdict);
    if let Some(path) = &args.summary {
        std::fs::write(path, &markdown).map_err(|e| cannot_write(&path.display(), e))?;
    }
    github_outputs(&verdict, &markdown)?;
    let errors = verdict.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = verdict.diagnostics.len() - errors;
    let scope = if verdict.full_check {
        " (the whole index was checked: a registry file changed)"
    } else {
        ""
    };
    let found = match errors + warnings {
        0 => "no problems".to_owned(),
        _ => count(errors, warnings),
    };
    let line = format!("{}: {found}{scope}", verdict.classification.as_str());
    Ok(match verdict.classification {
        Class::Rejected => {
            printer::err(&format!("{line}\n"));
            Exit::Invalid
        }
        _ => {
            printer::status(&line);
            Exit::Done
        }
    })
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The files GitHub Actions reads after the step: the job summary
/// (`$GITHUB_STEP_SUMMARY`) and the step's outputs (`$GITHUB_OUTPUT`).
fn github_outputs(verdict: &change::Verdict, markdown: &str) -> Result<(), CliError> {
    if let Some(path) = env("GITHUB_STEP_SUMMARY") {
        append(&path, markdown)?;
    }
    if let Some(path) = env("GITHUB_OUTPUT") {
        let class = verdict.classification.as_str();
        append(&path, &format!("classification={class}\n"))?;
    }
    Ok(())
}

fn append(path: &str, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| cannot_write(&path, e))
}

pub(super) fn cannot_write(path: &dyn std::fmt::Display, e: std::io::Error) -> CliError {
    CliError::context(Exit::Failed, format!("cannot write `{path}`"), e)
}
