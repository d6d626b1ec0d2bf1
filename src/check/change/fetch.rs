//! `check --fetch`: downloads the artifact of each new release that points
//! to an external URL, with a timeout and capped at the size the manifest
//! declares, and checks its size and SHA-256. The owner's signature covers
//! both, so matching bytes are the bytes the owner signed. Self-hosted
//! artifacts need no download: `check` reads them from the commit.

use std::time::Duration;

use rayon::prelude::*;

use crate::client::http::{FetchError, Fetcher};
use crate::diagnostic::{Code, Diagnostic, Step};
use crate::digest;

/// How far a download may go.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For each whole download.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            timeout: Duration::from_secs(60),
        }
    }
}

/// One artifact to verify: the manifest that declares it, and what it declares.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The version manifest, relative to the index root.
    pub file: String,
    pub url: String,
    pub size: u64,
    pub sha256: String,
}

/// Downloads every artifact (in parallel) and reports each that cannot be
/// fetched or does not match its manifest.
pub fn verify(artifacts: &[Artifact], limits: Limits) -> Vec<Diagnostic> {
    let fetcher = Fetcher::new("", None, None, false, limits.timeout);
    artifacts
        .par_iter()
        .filter_map(|a| check_one(&fetcher, a))
        .collect()
}

fn check_one(fetcher: &Fetcher, a: &Artifact) -> Option<Diagnostic> {
    let field = |k: &str| vec![Step::Key("artifact".into()), Step::Key(k.into())];
    let bytes = match fetcher.download(&a.url, a.size, &a.sha256) {
        Ok(b) => b,
        Err(FetchError::TooLarge { .. }) => {
            return Some(
                Diagnostic::error(
                    &a.file,
                    Code::ArtifactMismatch,
                    format!(
                        "the artifact at `{}` is larger than the declared size of {} bytes",
                        a.url, a.size
                    ),
                )
                .at_field(field("size"))
                .hint("set `size` to the file's size in bytes, and sign the release again"),
            );
        }
        Err(e) => {
            let hint = match &e {
                FetchError::NotFound { .. } => "upload the artifact first, or fix `artifact.url`",
                _ => {
                    "make sure the URL is reachable without credentials, then push again to re-run the check"
                }
            };
            return Some(
                Diagnostic::error(
                    &a.file,
                    Code::ArtifactUnreachable,
                    format!("cannot download the artifact: {e}"),
                )
                .at_field(field("url"))
                .hint(hint),
            );
        }
    };
    if bytes.len() as u64 != a.size {
        return Some(
            Diagnostic::error(
                &a.file,
                Code::ArtifactMismatch,
                format!(
                    "the artifact at `{}` is {} bytes, the manifest says {}",
                    a.url,
                    bytes.len(),
                    a.size
                ),
            )
            .at_field(field("size"))
            .hint(format!(
                "set `size = {}` if this file is the one you meant to publish",
                bytes.len()
            )),
        );
    }
    let actual = digest::hex(&digest::sha256(&bytes));
    (actual != a.sha256).then(|| {
        Diagnostic::error(&a.file, Code::ArtifactMismatch, format!("the SHA-256 of the artifact at `{}` is {actual}, the manifest says {}", a.url, a.sha256))
            .at_field(field("sha256"))
            .hint("the file at the URL is not the one the manifest describes; publish it unchanged, or fix `sha256` and sign again")
    })
}
