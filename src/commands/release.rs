//! `plugdex release NAME VERSION --artifact FILE|URL`: the version manifest
//! written (and signed with `--sign`), then the index checked.

use std::path::PathBuf;

use crate::check::change::fetch::{Limits, over_http};
use crate::error::{CliError, Exit};
use crate::format::types::Runtime;
use crate::printer::{self, Format};
use crate::scaffold::release::{ArtifactSource, Release, release};

pub struct ReleaseArgs {
    pub name: String,
    pub version: String,
    pub index: PathBuf,
    pub artifact: Vec<String>,
    pub sign: Option<PathBuf>,
    pub engine: Option<String>,
    pub entry: Option<String>,
    pub runtime: Option<Runtime>,
    pub timeout: u64,
}

pub fn run(args: ReleaseArgs) -> Result<Exit, CliError> {
    // Read the key first: a wrong passphrase or path writes nothing.
    let key = args
        .sign
        .as_deref()
        .map(super::keys::read_secret)
        .transpose()?;
    let opts = Release {
        index: args.index,
        name: args.name,
        version: args.version,
        artifacts: args
            .artifact
            .iter()
            .map(|a| ArtifactSource::parse_for_platform(a))
            .collect::<Result<_, _>>()
            .map_err(CliError::failed)?,
        engine: args.engine,
        entry: args.entry,
        runtime: args.runtime,
    };
    let download = over_http(Limits {
        timeout: std::time::Duration::from_secs(args.timeout),
    });
    let done = release(&opts, &*download).map_err(|e| {
        let hint = e.hint();
        CliError::from_error(Exit::Failed, e).hint(hint)
    })?;
    for copied in &done.copied {
        printer::status(&format!("copied the artifact to `{}`", copied.display()));
    }
    printer::status(&format!("wrote `{}`", done.manifest.display()));
    for (platform, artifact) in &done.artifacts {
        let platform = platform.map_or_else(|| "every platform".to_owned(), |p| p.to_string());
        printer::status(&format!(
            "  {platform}: {} bytes, sha256 {}",
            artifact.size, artifact.sha256
        ));
    }
    if let Some(key) = key {
        let file = crate::sign::ReleaseFile::read(&opts.index, &done.manifest)
            .map_err(super::sign::sign_error)?;
        crate::sign::sign(&file, &key, crate::sign::SigOutput::Raw)
            .map_err(super::sign::sign_error)?;
        printer::status(&format!(
            "signed {} {} with key {}",
            opts.name,
            opts.version,
            key.public().fingerprint()
        ));
    } else {
        printer::warning(
            "the release is unsigned (listed as `experimental`); sign it with `plugdex sign --key FILE MANIFEST` or `--sign`",
        );
    }
    super::check::index(&opts.index, Format::Human, None)
}

/// `--runtime`: one of the manifest's runtimes.
pub fn parse_runtime(s: &str) -> Result<Runtime, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| format!("`{s}` is not a runtime: wasm, native, script or docker"))
}
