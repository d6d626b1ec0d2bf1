//! `plugdex serve`: serve a built folder, or (with `--index`) first build
//! an index for the preview's own address, so that self-hosted artifacts
//! and a client installing from the preview both point at it.

use std::path::PathBuf;

use crate::error::{CliError, Exit};
use crate::printer::{self, Format};

/// `serve`'s arguments.
pub struct Preview {
    pub dir: Option<PathBuf>,
    pub addr: String,
    pub index: Option<PathBuf>,
    pub signing_key: Option<PathBuf>,
    pub allow_unsigned: bool,
}

/// Where a preview build goes unless `--dir` says: never `dist`, whose
/// contents are published with the registry's real base URL.
const PREVIEW_DIR: &str = "dist-preview";

pub fn run(preview: Preview) -> Result<Exit, CliError> {
    let failed = |e| CliError::from_error(Exit::Failed, e);
    let Some(index) = preview.index else {
        let dir = preview.dir.unwrap_or_else(|| PathBuf::from("dist"));
        crate::serve::run(&dir, &preview.addr).map_err(failed)?;
        return Ok(Exit::Done);
    };
    let dir = preview.dir.unwrap_or_else(|| PathBuf::from(PREVIEW_DIR));
    std::fs::create_dir_all(&dir).map_err(|e| {
        CliError::context(
            Exit::Failed,
            format!("cannot create `{}`", dir.display()),
            e,
        )
    })?;
    // Bound before building: with port 0 the base URL is only known now.
    let server = crate::serve::bind(&dir, &preview.addr).map_err(failed)?;
    let addr = server
        .local_addr()
        .map_err(|e| CliError::context(Exit::Failed, "cannot read the address listened on", e))?;
    let base_url = format!("http://{addr}/");
    let opts = crate::generate::Options {
        index,
        out: dir.clone(),
        base_url: Some(base_url.clone()),
        signing_key: super::build::signing_key(preview.signing_key.as_deref())?,
        expiry_secs: 7 * 24 * 3600,
        rev: None,
        allow_unsigned: preview.allow_unsigned,
        previous: None,
        allow_signing_time_skew: false,
        stats: None,
        site: true,
    };
    let exit = super::build::run(&opts, Format::Human, None)?;
    if exit != Exit::Done {
        return Ok(exit);
    }
    printer::status(&format!(
        "serving the preview of `{}` on {base_url} (Ctrl-C stops); install from it with \
         `plugdex install --registry {base_url} NAME`",
        opts.index.display()
    ));
    crate::serve::serve_forever(server, &dir);
    Ok(Exit::Done)
}
