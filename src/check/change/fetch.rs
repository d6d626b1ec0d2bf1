//! `check --fetch`: downloads the artifact of each new release that points
//! to an external URL, with a timeout and capped at the size the manifest
//! declares, and checks its size and SHA-256. The owner's signature covers
//! both, so matching bytes are the bytes the owner signed. Self-hosted
//! artifacts need no download: `check` reads them from the commit.
//!
//! The download itself is the caller's (`Download`): `over_http` is the
//! client's HTTP stack, a test or a host may pass anything else.

use std::time::Duration;

use rayon::prelude::*;

use crate::diagnostic::{Code, Diagnostic, Step};
use crate::digest::Sha256;

/// Why an artifact could not be downloaded; `message` names the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadError {
    /// The body went past the size the manifest declares.
    TooLarge,
    NotFound {
        message: String,
    },
    Failed {
        message: String,
    },
}

/// Fetches the bytes at a URL, reading at most `max_bytes` of them.
pub trait Download: Sync {
    fn download(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, DownloadError>;
}

impl<F> Download for F
where
    F: Fn(&str, u64) -> Result<Vec<u8>, DownloadError> + Sync,
{
    fn download(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, DownloadError> {
        self(url, max_bytes)
    }
}

/// Downloads with the client's HTTP stack (redirect checks, timeouts, no
/// cache, no token). Each download gets its own `Fetcher`, so that two
/// manifests naming one URL with different sizes are each capped at theirs.
#[cfg(feature = "client")]
pub fn over_http(limits: Limits) -> Box<dyn Download> {
    use crate::client::http::{FetchError, Fetcher};
    use crate::client::transport::UreqTransport;
    let transport = std::sync::Arc::new(UreqTransport::new());
    Box::new(move |url: &str, max_bytes: u64| {
        let fetcher = Fetcher::with_transport(
            Box::new(std::sync::Arc::clone(&transport)),
            "",
            None,
            None,
            false,
            limits.timeout,
        );
        // No cache, and the caller checks the bytes against the manifest.
        fetcher.download(url, max_bytes, None).map_err(|e| match e {
            FetchError::TooLarge { .. } => DownloadError::TooLarge,
            FetchError::NotFound { .. } => DownloadError::NotFound {
                message: e.to_string(),
            },
            _ => DownloadError::Failed {
                message: e.to_string(),
            },
        })
    })
}

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
    pub sha256: Sha256,
}

/// Downloads every artifact (in parallel) and reports each that cannot be
/// fetched or does not match its manifest.
pub fn verify(artifacts: &[Artifact], download: &dyn Download) -> Vec<Diagnostic> {
    artifacts
        .par_iter()
        .filter_map(|a| check_one(download, a))
        .collect()
}

fn check_one(download: &dyn Download, a: &Artifact) -> Option<Diagnostic> {
    let field = |k: &str| vec![Step::Key("artifact".into()), Step::Key(k.into())];
    let (message, hint) = match download.download(&a.url, a.size) {
        Ok(bytes) => return check_bytes(a, &bytes),
        Err(DownloadError::TooLarge) => {
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
        Err(DownloadError::NotFound { message }) => {
            (message, "upload the artifact first, or fix `artifact.url`")
        }
        Err(DownloadError::Failed { message }) => (
            message,
            "make sure the URL is reachable without credentials, then push again to re-run the check",
        ),
    };
    Some(
        Diagnostic::error(
            &a.file,
            Code::ArtifactUnreachable,
            format!("cannot download the artifact: {message}"),
        )
        .at_field(field("url"))
        .hint(hint),
    )
}

/// The size and SHA-256 of downloaded bytes against the manifest's.
fn check_bytes(a: &Artifact, bytes: &[u8]) -> Option<Diagnostic> {
    let field = |k: &str| vec![Step::Key("artifact".into()), Step::Key(k.into())];
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
    let actual = Sha256::of(bytes);
    (actual != a.sha256).then(|| {
        Diagnostic::error(&a.file, Code::ArtifactMismatch, format!("the SHA-256 of the artifact at `{}` is {actual}, the manifest says {}", a.url, a.sha256))
            .at_field(field("sha256"))
            .hint("the file at the URL is not the one the manifest describes; publish it unchanged, or fix `sha256` and sign again")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Answer = Result<Vec<u8>, DownloadError>;

    #[test]
    fn any_download_function_will_do_and_each_failure_has_its_code() {
        let a = Artifact {
            file: "plugins/x/1.0.0.toml".into(),
            url: "https://h.example/x.zip".into(),
            size: 3,
            sha256: Sha256::of(b"abc"),
        };
        let codes = |download: &dyn Download| -> Vec<&'static str> {
            verify(std::slice::from_ref(&a), download)
                .iter()
                .map(|d| d.code.as_str())
                .collect()
        };
        let served = |_: &str, max_bytes: u64| -> Answer {
            assert_eq!(max_bytes, 3, "capped at the declared size");
            Ok(b"abc".to_vec())
        };
        assert!(codes(&served).is_empty());
        let other = |_: &str, _: u64| -> Answer { Ok(b"abd".to_vec()) };
        assert_eq!(codes(&other), ["artifact-mismatch"]);
        let larger = |_: &str, _: u64| -> Answer { Err(DownloadError::TooLarge) };
        assert_eq!(codes(&larger), ["artifact-mismatch"]);
        let missing = |url: &str, _: u64| -> Answer {
            Err(DownloadError::NotFound {
                message: format!("`{url}` does not exist (404)"),
            })
        };
        let diags = verify(std::slice::from_ref(&a), &missing);
        assert_eq!(diags[0].code.as_str(), "artifact-unreachable");
        assert!(
            diags[0].message.contains("https://h.example/x.zip"),
            "{}",
            diags[0].message
        );
        let down = |_: &str, _: u64| -> Answer {
            Err(DownloadError::Failed {
                message: "connection refused".into(),
            })
        };
        assert_eq!(codes(&down), ["artifact-unreachable"]);
    }
}
