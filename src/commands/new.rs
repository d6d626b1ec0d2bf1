//! `plugdex new NAME`: a plugin folder in the right shard, then the index checked.

use std::path::{Path, PathBuf};

use crate::error::{CliError, Exit};
use crate::printer::{self, Format};
use crate::scaffold::plugin::{NewPlugin, key_line, new_plugin};

pub struct NewArgs {
    pub name: String,
    pub index: PathBuf,
    pub owner: Option<String>,
    pub key: Option<String>,
    pub description: String,
    pub license: String,
}

pub fn run(args: NewArgs) -> Result<Exit, CliError> {
    let owner = match args.owner {
        Some(owner) => owner,
        None => github_user(&args.index).ok_or_else(|| {
            CliError::failed("no owner given, and git config has no `github.user`").hint(Some(
                "pass `--owner YOUR_GITHUB_LOGIN` (or `git config --global github.user LOGIN`)",
            ))
        })?,
    };
    let key = args.key.as_deref().map(read_key).transpose()?;
    let opts = NewPlugin {
        index: args.index,
        name: args.name,
        owner,
        key,
        description: args.description,
        license: args.license,
    };
    let path = new_plugin(&opts).map_err(|e| {
        let hint = e.hint();
        CliError::from_error(Exit::Failed, e).hint(hint)
    })?;
    printer::status(&format!(
        "wrote `{}`; edit its description and license",
        path.display()
    ));
    if opts.key.is_none() {
        printer::warning(
            "the owner has no key: releases cannot be signed and are listed as `experimental`; add one with `--key` or under `[[owners]]`",
        );
    }
    // The plugin's own checks (the whole index fails until its first
    // release); a file made from bad flags is taken back.
    match crate::sign::OwnersFile::read(&opts.index, &path) {
        Ok(_) => {}
        Err(crate::sign::SignError::Invalid(_, diags, sources)) => {
            printer::err(&printer::render(
                Format::Human,
                &diags,
                &sources,
                Path::new("."),
            ));
            let _ = std::fs::remove_file(&path);
            // The folders made for it go too (remove_dir leaves a non-empty one).
            let plugins = opts.index.join(crate::source::PLUGINS_DIR);
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| *d != plugins && std::fs::remove_dir(d).is_ok()) {
                dir = d.parent();
            }
            return Err(CliError::invalid(format!(
                "`{}` would not be valid, so it was not written",
                path.display()
            ))
            .hint(Some("fix the flags behind the problems above")));
        }
        Err(e) => return Err(super::sign::sign_error(e)),
    }
    printer::status(&format!(
        "next: `plugdex release {} VERSION --index {} --artifact FILE|URL`",
        opts.name,
        opts.index.display()
    ));
    Ok(Exit::Done)
}

/// `--key`: a public key, or a file holding one (`id_ed25519.pub`, a minisign `.pub`).
fn read_key(given: &str) -> Result<String, CliError> {
    let path = Path::new(given);
    let text = if path.is_file() {
        std::fs::read_to_string(path).map_err(|e| {
            CliError::context(Exit::Failed, format!("cannot read `{}`", path.display()), e)
        })?
    } else {
        given.to_owned()
    };
    key_line(&text).map_err(|e| CliError::from_error(Exit::Failed, e))
}

/// `github.user` from the git config the index repo sees.
fn github_user(index: &Path) -> Option<String> {
    let config = git2::Repository::discover(index)
        .and_then(|repo| repo.config())
        .or_else(|_| git2::Config::open_default())
        .ok()?;
    config
        .get_string("github.user")
        .ok()
        .filter(|s| !s.trim().is_empty())
}
