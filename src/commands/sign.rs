//! `plugdex statement`, `sign` and `verify`: an owner's signature over a
//! release, or over a plugin's owners (`plugin.toml`).

use std::path::{Path, PathBuf};

use crate::error::{CliError, Exit};
use crate::printer::{self, Format};
use crate::sign::{OwnersFile, ReleaseFile, SigOutput, SignError, is_plugin_toml};

pub fn statement(index: &Path, manifest: &Path) -> Result<Exit, CliError> {
    let (statement, namespace) = if is_plugin_toml(manifest) {
        let file = OwnersFile::read(index, manifest).map_err(sign_error)?;
        (file.statement().map_err(sign_error)?, file.namespace())
    } else {
        let file = read_release(index, manifest)?;
        (file.statement(), file.namespace())
    };
    printer::out(&statement)?;
    printer::status(&format!("ssh-keygen namespace: {namespace}"));
    Ok(Exit::Done)
}

pub fn sign(
    index: &Path,
    key: &Path,
    format: SigOutput,
    manifests: &[PathBuf],
) -> Result<Exit, CliError> {
    let key = super::keys::read_secret(key)?;
    let fingerprint = key.public().fingerprint();
    for manifest in manifests {
        if is_plugin_toml(manifest) {
            let file = OwnersFile::read(index, manifest).map_err(sign_error)?;
            file.sign(&key, format).map_err(sign_error)?;
            printer::status(&format!(
                "signed the owners of {} with key {fingerprint}",
                file.plugin.manifest.name
            ));
            continue;
        }
        let file = read_release(index, manifest)?;
        crate::sign::sign(&file, &key, format).map_err(sign_error)?;
        printer::status(&format!(
            "signed {} {} with key {fingerprint}",
            file.plugin, file.parsed.manifest.version
        ));
    }
    Ok(Exit::Done)
}

/// A release whose signature does not verify is bad (exit 1), like an invalid manifest.
pub fn verify(index: &Path, manifest: &Path) -> Result<Exit, CliError> {
    let file = read_release(index, manifest)?;
    let key = file.verify().map_err(sign_error)?;
    printer::status(&format!(
        "ok: {} {} is signed by owner key {}",
        file.plugin,
        file.parsed.manifest.version,
        key.fingerprint()
    ));
    Ok(Exit::Done)
}

fn read_release(index: &Path, manifest: &Path) -> Result<ReleaseFile, CliError> {
    ReleaseFile::read(index, manifest).map_err(sign_error)
}

/// Prints a manifest's problems before saying it cannot be signed; an
/// invalid manifest or signature is the thing examined being bad (exit 1),
/// a path that is no manifest or a failed write is the job failing (exit 2).
pub fn sign_error(e: SignError) -> CliError {
    match e {
        SignError::Invalid(path, diags, sources) => {
            printer::err(&printer::render(
                Format::Human,
                &diags,
                &sources,
                Path::new("."),
            ));
            CliError::invalid(format!(
                "`{}` must be valid before it can be signed or verified",
                path.display()
            ))
            .hint(Some("fix the problems above"))
        }
        e @ (SignError::Verify(_) | SignError::Edit { .. }) => {
            CliError::from_error(Exit::Invalid, e)
        }
        e => CliError::from_error(Exit::Failed, e),
    }
}
