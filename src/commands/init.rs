//! `plugdex init DIR`: a new index repo, its keys outside it, checked.

use std::path::PathBuf;

use super::ask::answer;
use crate::error::{CliError, Exit};
use crate::printer::{self, Format};
use crate::scaffold::init::{Init, default_keys_dir, init};

/// `init`'s flags; what is missing is asked on a terminal.
pub struct InitArgs {
    pub dir: PathBuf,
    pub id: Option<String>,
    pub title: Option<String>,
    pub base_url: Option<String>,
    pub engine: Option<String>,
    pub keys: Option<PathBuf>,
}

pub fn run(args: InitArgs) -> Result<Exit, CliError> {
    let id = answer(
        args.id,
        "registry id (a DNS-style name, e.g. plugins.example.org)",
        None,
        "--id ID",
    )?;
    let title = answer(args.title, "title", Some(&id), "--title TITLE")?;
    let base_url = answer(
        args.base_url,
        "base URL it is served from",
        Some(&format!("https://{id}/")),
        "--base-url URL",
    )?;
    let engine = answer(
        args.engine,
        "host application's name (lowercase, e.g. inkwell)",
        None,
        "--engine NAME",
    )?;
    let keys = match args.keys {
        Some(keys) => keys,
        None => default_keys_dir(&id).ok_or_else(|| {
            CliError::failed("no `--keys` folder given, and no config folder to default to")
                .hint(Some("pass `--keys KEYDIR` (outside the index repo)"))
        })?,
    };
    let opts = Init {
        dir: args.dir,
        id,
        title,
        base_url,
        engine,
        keys,
    };
    let done = init(&opts).map_err(|e| {
        let hint = e.hint();
        CliError::from_error(Exit::Failed, e).hint(hint)
    })?;
    printer::status(&format!(
        "wrote the index repo `{}`: {}",
        opts.dir.display(),
        done.files.join(", ")
    ));
    printer::status(&format!(
        "keys (never commit them):\n  root key   `{}`: clients pin it; move it offline now, it only signs delegations\n  online key `{}`: store its contents as the CI secret `PLUGDEX_SIGNING_KEY`, then delete it here",
        done.root_key.display(),
        done.online_key.display()
    ));
    let exit = super::check::index(&opts.dir, Format::Human, None)?;
    if exit == Exit::Done {
        printer::status(&format!(
            "next: `plugdex new NAME --index {}` adds a plugin",
            opts.dir.display()
        ));
    }
    Ok(exit)
}
