//! `plugdex build`: check, then write the registry, then say what changed.

use std::path::Path;

use crate::error::{CliError, Exit};
use crate::printer::{self, Format};
use crate::trust::secret::SecretKey;

/// The online key: `--signing-key FILE`, else `PLUGDEX_SIGNING_KEY` (the key itself).
pub fn signing_key(path: Option<&Path>) -> Result<Option<SecretKey>, CliError> {
    if let Some(path) = path {
        return super::keys::read_secret(path).map(Some);
    }
    match std::env::var("PLUGDEX_SIGNING_KEY") {
        Ok(text) if !text.trim().is_empty() => {
            SecretKey::parse_with(&text, &|| super::keys::passphrase("`PLUGDEX_SIGNING_KEY`"))
                .map(Some)
                .map_err(|e| {
                    CliError::context(
                        Exit::Failed,
                        "`PLUGDEX_SIGNING_KEY` does not hold a usable key",
                        e,
                    )
                })
        }
        _ => Ok(None),
    }
}

pub fn run(
    opts: &crate::generate::Options,
    format: Format,
    changed: Option<&Path>,
) -> Result<Exit, CliError> {
    printer::detail(&format!(
        "building `{}` into `{}`",
        opts.index.display(),
        opts.out.display()
    ));
    let report = crate::generate::build(opts, &printer::progress_bar("plugins")).map_err(|e| {
        let hint = match &e {
            crate::generate::BuildError::Write(w) => w.hint(),
            e => e.hint(),
        };
        CliError::from_error(Exit::Failed, e).hint(hint)
    })?;
    let exit = super::check::report(&report.checked, format, &opts.index)?;
    let Some(built) = report.built else {
        printer::err(&format!(
            "{} nothing was built; `{}` is unchanged\n",
            printer::label("error"),
            opts.out.display()
        ));
        return Ok(exit);
    };
    if let Some(path) = changed {
        crate::generate::write_changed_list(path, &built.summary)
            .map_err(|e| super::check::cannot_write(&path.display(), e))?;
    }
    let summary = printer::build_summary(&built, &report.checked, &opts.out);
    printer::status(summary.trim_end_matches('\n'));
    Ok(Exit::Done)
}
