//! Thin entry point: parse the command line, call the library, map the outcome
//! to an exit status (0 ok, 1 invalid input, 2 usage or internal error).

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use plugdex::cli::{Cli, Command};
use plugdex::manifest::schema::FileKind;
use plugdex::printer::{self, Format};

// Checking a large index makes millions of small allocations; mimalloc
// makes them markedly cheaper than glibc's allocator (see README figures).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

enum Outcome {
    Ok,
    Invalid,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Invalid) => ExitCode::from(1),
        Err(e) => {
            // A closed pipe (`plugdex check | head`) is not a failure.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<Outcome, Box<dyn std::error::Error>> {
    match cli.command {
        Command::Check { index, format } => {
            let checked = plugdex::check::check_index(&index)?;
            Ok(report_checked(&checked, format, &index)?)
        }
        Command::Build {
            index,
            out,
            base_url,
            changed,
            format,
        } => {
            let opts = plugdex::build::Options {
                index: index.clone(),
                out: out.clone(),
                base_url,
            };
            let report = match plugdex::build::build(&opts, &printer::progress_bar("plugins")) {
                Err(plugdex::build::BuildError::Write(e)) => {
                    let hint = e.hint();
                    return Err(hinted(e, hint));
                }
                r => r?,
            };
            let outcome = report_checked(&report.checked, format, &index)?;
            let Some(built) = report.built else {
                eprintln!("error: nothing was built; `{}` is unchanged", out.display());
                return Ok(outcome);
            };
            if let Some(path) = changed {
                plugdex::build::write_changed_list(&path, &built.summary)
                    .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            }
            eprint!("{}", printer::build_summary(&built, &report.checked, &out));
            Ok(Outcome::Ok)
        }
        Command::Serve { dir, addr } => {
            plugdex::serve::run(&dir, &addr)?;
            Ok(Outcome::Ok)
        }
        Command::Schema { write: None, .. } => {
            let mut out = std::io::stdout().lock();
            for kind in FileKind::ALL {
                out.write_all(kind.schema_text().as_bytes())?;
            }
            Ok(Outcome::Ok)
        }
        Command::Schema {
            write: Some(dir),
            check,
        } => {
            let mut stale = Vec::new();
            for kind in FileKind::ALL {
                let path = dir.join(kind.schema_file());
                let current = std::fs::read_to_string(&path).ok();
                if current.as_deref() == Some(kind.schema_text().as_str()) {
                    continue;
                }
                if check {
                    stale.push(path.display().to_string());
                } else {
                    std::fs::create_dir_all(&dir)
                        .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
                    std::fs::write(&path, kind.schema_text())
                        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
            }
            if stale.is_empty() {
                Ok(Outcome::Ok)
            } else {
                eprintln!(
                    "error: out-of-date schemas: {}\n   = hint: run `plugdex schema --write {}`",
                    stale.join(", "),
                    dir.display()
                );
                Ok(Outcome::Invalid)
            }
        }
    }
}

/// Prints diagnostics and the one-line verdict of a check.
fn report_checked(
    checked: &plugdex::check::Checked,
    format: Format,
    index: &std::path::Path,
) -> std::io::Result<Outcome> {
    let rendered = printer::render(format, &checked.diagnostics, index);
    match format {
        Format::Human => eprint!("{rendered}"),
        _ => std::io::stdout().write_all(rendered.as_bytes())?,
    }
    let (errors, warnings) = (checked.errors(), checked.warnings());
    let scope = format!("{} plugins, {} versions", checked.plugins, checked.versions);
    if errors > 0 {
        eprintln!("error: {} in {scope}", count(errors, "error", warnings));
        Ok(Outcome::Invalid)
    } else {
        eprintln!(
            "checked {scope}: {}",
            if warnings > 0 {
                count(0, "error", warnings)
            } else {
                "no problems".to_owned()
            }
        );
        Ok(Outcome::Ok)
    }
}

/// An error with a `hint:` line after it.
fn hinted(e: impl std::fmt::Display, hint: Option<String>) -> Box<dyn std::error::Error> {
    match hint {
        Some(h) => format!("{e}\n  hint: {h}").into(),
        None => e.to_string().into(),
    }
}

fn count(errors: usize, _: &str, warnings: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{} and {}", plural(e, "error"), plural(w, "warning")),
    }
}
