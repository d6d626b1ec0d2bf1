//! Self-hosted artifacts live in the index repo: each one must exist and match
//! the size and SHA-256 its manifest declares, or clients would fail to install it.

use super::Loaded;
use crate::diagnostic::{Code, Diagnostic, Step};
use crate::digest::Sha256;
use crate::format::types::RegistryConfig;
use crate::source::{ArtifactError, Source};

/// Verifies the self-hosted artifacts of one plugin's releases.
pub(super) fn verify<S: Source>(
    source: &S,
    plugin: &Loaded,
    reg: &RegistryConfig,
) -> Vec<Diagnostic> {
    // Each artifact with the path of its table: `artifact` or `platforms[i].artifact`.
    let artifacts = plugin.releases.iter().flat_map(|r| {
        let m = &r.parsed.manifest;
        let single = m
            .artifact
            .iter()
            .map(|a| (vec![Step::Key("artifact".into())], a));
        let platforms = m.platforms.iter().enumerate().map(|(i, p)| {
            let at = vec![
                Step::Key("platforms".into()),
                Step::Index(i),
                Step::Key("artifact".into()),
            ];
            (at, &p.artifact)
        });
        single.chain(platforms).map(move |(at, a)| (r, at, a))
    });
    artifacts
        .filter(|(_, _, art)| art.is_self_hosted())
        .filter_map(|(r, at, art)| {
            let field = |k: &str| {
                let mut steps = at.clone();
                steps.push(Step::Key(k.into()));
                steps
            };
            // Read one byte past the declared size, so a larger file is caught
            // without reading more than the policy allows.
            let cap = art.size.min(reg.policy.max_artifact_size).saturating_add(1);
            let bytes = match source.read_artifact(&art.url, cap) {
                Ok(b) => b,
                Err(ArtifactError::TooLarge(_)) => {
                    return Some(
                        Diagnostic::error(&r.file, Code::ArtifactMismatch, format!("the artifact `{}` is larger than the declared size of {} bytes", art.url, art.size))
                            .at_field(field("size"))
                            .hint("set `size` to the file's size in bytes (`wc -c < FILE`)"),
                    );
                }
                // An unsafe path was reported as `invalid-url` by the per-file rules.
                Err(ArtifactError::Unsafe) => return None,
                Err(e) => {
                    return Some(
                        Diagnostic::error(&r.file, Code::ArtifactMissing, format!("cannot read the self-hosted artifact `{}`: {e}", art.url))
                            .at_field(field("url"))
                            .hint("add the file to the index repo at that path (relative to the folder with `registry.toml`), or use an `https://` URL"),
                    );
                }
            };
            if bytes.len() as u64 != art.size {
                return Some(
                    Diagnostic::error(&r.file, Code::ArtifactMismatch, format!("the artifact `{}` is {} bytes, the manifest says {}", art.url, bytes.len(), art.size))
                        .at_field(field("size"))
                        .hint(format!("set `size = {}` if this file is the one you meant to publish", bytes.len())),
                );
            }
            let actual = Sha256::of(&bytes);
            (actual != art.sha256).then(|| {
                Diagnostic::error(&r.file, Code::ArtifactMismatch, format!("the SHA-256 of `{}` is {actual}, the manifest says {}", art.url, art.sha256))
                    .at_field(field("sha256"))
                    .hint("the file changed after the manifest was written; publish a new version rather than replacing an artifact")
            })
        })
        .collect()
}
