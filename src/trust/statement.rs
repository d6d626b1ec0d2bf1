//! The canonical texts that signatures cover. Each starts with a line naming
//! what it is and its version (domain separation: a signature over one kind
//! of statement can never pass for another), and binds the registry id so a
//! signature made for one registry does not verify in another.
//!
//! Verifiers parse a statement and re-serialise it, and accept it only when
//! the bytes are identical: no CRLF, trailing space, reordering or extra line.

use crate::digest::{self, Sha256, Sha256Digest};
use crate::format::published::{IndexLine, SignedFields};
use crate::format::types::VersionManifest;
use crate::trust::keys::PublicKey;
use crate::trust::signature::AuthorSignature;

pub const RELEASE_HEADER: &str = "plugdex release statement v1";
/// A release with `[[platforms]]`: every platform's artifact is listed.
pub const RELEASE_HEADER_V2: &str = "plugdex release statement v2";
pub const DELEGATION_HEADER: &str = "plugdex online key delegation v1";
pub const OWNERS_HEADER: &str = "plugdex owners statement v1";

/// What an author signs for one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseStatement {
    pub registry: String,
    pub plugin: String,
    pub version: String,
    /// Every artifact of the release: the single one first, then one per
    /// platform, sorted by platform. A release with one artifact for every
    /// platform has the v1 text; any other the v2 text, which names each
    /// platform, so no platform's artifact can be swapped.
    pub artifacts: Vec<StatementArtifact>,
    /// SHA-256 of the release's facts (engine, dependencies, permissions,
    /// runtime, entry, channel, capabilities): see [`manifest_digest`].
    pub manifest_sha256: Sha256,
}

/// One artifact a release statement binds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StatementArtifact {
    /// The platforms it serves as written in an index line (`linux-x86_64`,
    /// `macos`); `None` for the release's single `artifact`.
    pub platform: Option<String>,
    pub sha256: Sha256,
    pub size: u64,
}

impl StatementArtifact {
    /// Every artifact a version manifest names, once its digests are parsed.
    pub fn of_manifest<D>(m: &VersionManifest<D, Sha256>) -> Vec<StatementArtifact> {
        m.artifacts()
            .map(|(selector, a)| {
                StatementArtifact::new(selector.map(|s| s.to_string()), a.sha256, a.size)
            })
            .collect()
    }

    /// Every artifact an index line names: the same list as the manifest's.
    pub fn of_line(line: &IndexLine) -> Vec<StatementArtifact> {
        let single = match (line.sha256, line.size) {
            (Some(sha256), Some(size)) => Some(StatementArtifact::new(None, sha256, size)),
            _ => None,
        };
        single
            .into_iter()
            .chain(
                line.platforms.iter().map(|p| {
                    StatementArtifact::new(Some(p.selector().to_string()), p.sha256, p.size)
                }),
            )
            .collect()
    }

    pub fn new(platform: Option<String>, sha256: Sha256, size: u64) -> StatementArtifact {
        StatementArtifact {
            platform,
            sha256,
            size,
        }
    }
}

impl ReleaseStatement {
    /// The statement for one release: the artifacts it names and the digest
    /// of `fields`, the rest of what its author vouches for. Signing
    /// (`plugdex statement`), `check` and the client all make it here, from
    /// the manifest or from the index line, so they agree to the byte.
    pub fn of(
        registry: &str,
        plugin: &str,
        version: &str,
        mut artifacts: Vec<StatementArtifact>,
        fields: &SignedFields,
    ) -> ReleaseStatement {
        // The single artifact (`None`) sorts first.
        artifacts.sort();
        ReleaseStatement {
            registry: registry.to_owned(),
            plugin: plugin.to_owned(),
            version: version.to_owned(),
            artifacts,
            manifest_sha256: Sha256(manifest_digest(fields)),
        }
    }

    /// Whether the v1 text says it all: one artifact, for every platform.
    fn is_v1(&self) -> bool {
        matches!(self.artifacts.as_slice(), [only] if only.platform.is_none())
    }
}

/// The SSHSIG namespace of release signatures (`ssh-keygen -Y sign -n ...`).
pub fn sshsig_namespace(registry: &str) -> String {
    format!("plugdex-release@{registry}")
}

/// SHA-256 of the canonical JSON of a release's facts: the fields of its
/// manifest that never change after publishing, apart from the artifacts
/// (bound by their own digests and sizes). Lifecycle fields (`yanked`,
/// `deprecated`) and the signature itself are not covered. Clients rebuild
/// the same bytes from an index line.
pub fn manifest_digest(facts: &SignedFields) -> Sha256Digest {
    digest::sha256(&serde_json::to_vec(facts).expect("facts serialise"))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("line {line}: expected `{expected}`")]
    Expected { line: usize, expected: String },
    #[error(
        "the statement is not in canonical form (line endings, spacing, order or extra text differ)"
    )]
    NotCanonical,
}

impl ReleaseStatement {
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(320 + 150 * self.artifacts.len());
        let mut line = |k: &str, v: &str| {
            s.push_str(k);
            s.push_str(": ");
            s.push_str(v);
            s.push('\n');
        };
        line("registry", &self.registry);
        line("plugin", &self.plugin);
        line("version", &self.version);
        for a in &self.artifacts {
            let size = a.size.to_string();
            match &a.platform {
                None => {
                    line("artifact-sha256", &a.sha256.hex());
                    line("artifact-size", &size);
                }
                Some(platform) => {
                    line("platform", platform);
                    line("platform-sha256", &a.sha256.hex());
                    line("platform-size", &size);
                }
            }
        }
        line("manifest-sha256", &self.manifest_sha256.hex());
        let header = if self.is_v1() {
            RELEASE_HEADER
        } else {
            RELEASE_HEADER_V2
        };
        format!("{header}\n{s}")
    }

    /// Parses a statement and accepts it only if it is byte-for-byte canonical.
    pub fn parse(text: &str) -> Result<ReleaseStatement, StatementError> {
        let mut lines = text.split('\n').enumerate().peekable();
        let v2 = match lines.next() {
            Some((_, RELEASE_HEADER)) => false,
            Some((_, RELEASE_HEADER_V2)) => true,
            _ => {
                return Err(StatementError::Expected {
                    line: 1,
                    expected: RELEASE_HEADER.into(),
                });
            }
        };
        // The value of the next line, which must be `key: value`, with the
        // line's number.
        type Value = Result<Option<(usize, String)>, StatementError>;
        let mut value = |key: &str, peek_only: bool| -> Value {
            let Some(&(i, line)) = lines.peek() else {
                return Err(StatementError::Expected {
                    line: text.split('\n').count() + 1,
                    expected: format!("{key}: <value>"),
                });
            };
            let found = line
                .strip_prefix(key)
                .and_then(|r| r.strip_prefix(": "))
                .filter(|v| is_token(v));
            match found {
                None if peek_only => Ok(None),
                None => Err(StatementError::Expected {
                    line: i + 1,
                    expected: format!("{key}: <value>"),
                }),
                Some(v) => {
                    let v = v.to_owned();
                    lines.next();
                    Ok(Some((i + 1, v)))
                }
            }
        };
        let size = |key: &str, (line, v): (usize, String)| {
            v.parse::<u64>().map_err(|_| StatementError::Expected {
                line,
                expected: format!("{key}: <a size in bytes>"),
            })
        };
        let digest = |key: &str, (line, v): (usize, String)| {
            v.parse::<Sha256>().map_err(|_| StatementError::Expected {
                line,
                expected: format!("{key}: <64 lowercase hex digits>"),
            })
        };
        // `value` returns `None` only when it may (`peek_only`).
        let required = |v: Value| v.map(Option::unwrap_or_default);
        let text_of = |v: Value| required(v).map(|(_, v)| v);
        let registry = text_of(value("registry", false))?;
        let plugin = text_of(value("plugin", false))?;
        let version = text_of(value("version", false))?;
        let mut artifacts = Vec::new();
        if let Some(sha) = value("artifact-sha256", v2)? {
            let sha = digest("artifact-sha256", sha)?;
            let n = size("artifact-size", required(value("artifact-size", false))?)?;
            artifacts.push(StatementArtifact::new(None, sha, n));
        }
        // Only v2 lists platforms; a v1 goes on to `manifest-sha256`.
        while let Some((_, platform)) = if v2 { value("platform", true)? } else { None } {
            let sha = digest(
                "platform-sha256",
                required(value("platform-sha256", false))?,
            )?;
            let n = size("platform-size", required(value("platform-size", false))?)?;
            artifacts.push(StatementArtifact::new(Some(platform), sha, n));
        }
        let manifest_sha256 = digest(
            "manifest-sha256",
            required(value("manifest-sha256", false))?,
        )?;
        if !artifacts.is_sorted() {
            return Err(StatementError::NotCanonical);
        }
        let statement = ReleaseStatement {
            registry,
            plugin,
            version,
            artifacts,
            manifest_sha256,
        };
        if statement.to_text() != text {
            return Err(StatementError::NotCanonical);
        }
        Ok(statement)
    }
}

/// A statement value: printable ASCII, no spaces (names, versions, ids and digests are all tokens).
fn is_token(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic())
}

/// What root keys sign to hand the registry's day-to-day signing to the online key.
pub fn delegation_text(registry: &str, online_key_b64: &str) -> String {
    format!("{DELEGATION_HEADER}\nregistry: {registry}\nonline-key: {online_key_b64}\n")
}

/// The root key among `roots` whose signature `sig_text` delegates to
/// `online`, if any. `check` (registry.toml) and clients (root.json) both
/// count delegations with it.
pub fn delegation_signer<'k>(
    registry: &str,
    online: &PublicKey,
    roots: &'k [PublicKey],
    sig_text: &str,
) -> Option<&'k PublicKey> {
    let sig = AuthorSignature::parse(sig_text).ok()?;
    let text = delegation_text(registry, &online.to_raw_base64());
    let namespace = format!("plugdex-delegation@{registry}");
    roots
        .iter()
        .find(|k| sig.verify(k, text.as_bytes(), &namespace).is_ok())
}

/// What a current owner signs to hand a plugin to a new set of owners: one
/// line per owner (login lowercased, sorted), with their current and retired
/// keys as raw base64 (sorted; `-` for none). A key that does not parse
/// has no raw form, so there is no statement to sign or verify.
pub fn owners_text(
    registry: &str,
    plugin: &str,
    owners: &[crate::format::types::Owner],
) -> Result<String, OwnerKeyError> {
    let keys = |owner: &str, list: &[String]| -> Result<String, OwnerKeyError> {
        let mut keys = list
            .iter()
            .map(|k| PublicKey::parse(k).map(|k| k.to_raw_base64()))
            .collect::<Result<Vec<String>, _>>()
            .map_err(|why| OwnerKeyError {
                owner: owner.to_owned(),
                why,
            })?;
        keys.sort();
        Ok(if keys.is_empty() {
            "-".to_owned()
        } else {
            keys.join(",")
        })
    };
    let mut lines = owners
        .iter()
        .map(|o| {
            Ok(format!(
                "owner: {} keys={} retired={}",
                o.github.to_ascii_lowercase(),
                keys(&o.github, &o.keys)?,
                keys(&o.github, &o.retired_keys)?
            ))
        })
        .collect::<Result<Vec<String>, OwnerKeyError>>()?;
    lines.sort();
    Ok(format!(
        "{OWNERS_HEADER}\nregistry: {registry}\nplugin: {plugin}\n{}\n",
        lines.join("\n")
    ))
}

/// An owner key in `plugin.toml` that is not a usable public key.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("a key of owner `{owner}` is not usable: {why}")]
pub struct OwnerKeyError {
    pub owner: String,
    pub why: crate::trust::keys::KeyError,
}

/// The SSHSIG namespace of owner-change signatures.
pub fn owners_namespace(registry: &str) -> String {
    format!("plugdex-owners@{registry}")
}

/// Domain prefix of the registry's signed JSON documents: the signature
/// covers `prefix || the raw bytes of the "signed" value`.
pub fn metadata_prefix(kind: &str) -> String {
    format!("plugdex {kind} v1\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_text_refuses_a_key_that_does_not_parse_rather_than_keeping_it_as_written() {
        let key = crate::trust::secret::SecretKey::generate().public();
        let owner = |keys: Vec<String>| crate::format::types::Owner {
            github: "Alice".into(),
            keys,
            retired_keys: Vec::new(),
        };
        let text = owners_text("r", "git", &[owner(vec![key.to_openssh("a")])]).unwrap();
        assert!(
            text.ends_with(&format!(
                "owner: alice keys={} retired=-\n",
                key.to_raw_base64()
            )),
            "{text}"
        );
        let err =
            owners_text("r", "git", &[owner(vec!["ssh-ed25519 AAAAnotakey".into()])]).unwrap_err();
        assert_eq!(err.owner, "Alice");
        assert!(
            err.to_string()
                .contains("a key of owner `Alice` is not usable"),
            "{err}"
        );
    }

    fn statement() -> ReleaseStatement {
        ReleaseStatement {
            registry: "plugins.example.org".into(),
            plugin: "git".into(),
            version: "1.2.0".into(),
            artifacts: vec![StatementArtifact::new(None, Sha256([0xab; 32]), 1234)],
            manifest_sha256: Sha256([0xcd; 32]),
        }
    }

    #[test]
    fn a_statement_round_trips() {
        let text = statement().to_text();
        assert!(text.starts_with("plugdex release statement v1\nregistry: plugins.example.org\n"));
        assert_eq!(ReleaseStatement::parse(&text), Ok(statement()));
    }

    #[test]
    fn non_canonical_statements_are_refused() {
        let text = statement().to_text();
        let crlf = text.replace('\n', "\r\n");
        let trailing = text.replacen("git\n", "git \n", 1);
        let extra = format!("{text}comment: hi\n");
        let no_final_newline = text.trim_end().to_owned();
        let leading_zero = text.replace("artifact-size: 1234", "artifact-size: 01234");
        let swapped = text.replace("plugin: git\nversion: 1.2.0", "version: 1.2.0\nplugin: git");
        for bad in [
            crlf,
            trailing,
            extra,
            no_final_newline,
            leading_zero,
            swapped,
        ] {
            assert!(ReleaseStatement::parse(&bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn a_digest_that_is_not_lowercase_hex_is_refused_at_its_line() {
        let text = statement().to_text();
        let expected = |line, key: &str| {
            Err(StatementError::Expected {
                line,
                expected: format!("{key}: <64 lowercase hex digits>"),
            })
        };
        let upper = text.replace(&"ab".repeat(32), &"AB".repeat(32));
        assert_eq!(
            ReleaseStatement::parse(&upper),
            expected(5, "artifact-sha256")
        );
        let short = text.replace(&"cd".repeat(32), "cd");
        assert_eq!(
            ReleaseStatement::parse(&short),
            expected(7, "manifest-sha256")
        );
        let platform = platform_statement()
            .to_text()
            .replace(&"02".repeat(32), &"0g".repeat(32));
        assert_eq!(
            ReleaseStatement::parse(&platform),
            expected(9, "platform-sha256")
        );
    }

    #[test]
    fn a_size_that_is_not_a_number_is_reported_at_its_line() {
        let text = statement().to_text();
        let line = text
            .lines()
            .position(|l| l.starts_with("artifact-size: "))
            .expect("a single-artifact statement has a size")
            + 1;
        let bad = text.replace("artifact-size: 1234", "artifact-size: 12kB");
        assert_eq!(
            ReleaseStatement::parse(&bad),
            Err(StatementError::Expected {
                line,
                expected: "artifact-size: <a size in bytes>".into()
            })
        );
        let text = platform_statement().to_text();
        let line = text
            .lines()
            .collect::<Vec<_>>()
            .iter()
            .rposition(|l| l.starts_with("platform-size: "))
            .expect("a platform statement has sizes")
            + 1;
        let bad = text.replace("platform-size: 20", "platform-size: -20");
        let err = ReleaseStatement::parse(&bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("line {line}: expected `platform-size: <a size in bytes>`")
        );
    }

    fn platform_statement() -> ReleaseStatement {
        let mut s = statement();
        s.artifacts = vec![
            StatementArtifact::new(Some("linux-x86_64".into()), Sha256([1; 32]), 10),
            StatementArtifact::new(Some("macos".into()), Sha256([2; 32]), 20),
        ];
        s
    }

    #[test]
    fn a_platform_statement_names_every_artifact_and_round_trips() {
        let text = platform_statement().to_text();
        assert!(text.starts_with("plugdex release statement v2\n"), "{text}");
        assert!(text.contains(&format!(
            "platform: linux-x86_64\nplatform-sha256: {}\nplatform-size: 10\nplatform: macos\n",
            "01".repeat(32)
        )));
        assert_eq!(ReleaseStatement::parse(&text), Ok(platform_statement()));
        // With the single artifact too, which comes first.
        let mut both = platform_statement();
        both.artifacts
            .insert(0, StatementArtifact::new(None, Sha256([0xab; 32]), 1234));
        let text = both.to_text();
        assert!(text.contains("version: 1.2.0\nartifact-sha256: "), "{text}");
        assert_eq!(ReleaseStatement::parse(&text), Ok(both));
    }

    #[test]
    fn a_platform_statement_out_of_order_or_as_v1_is_refused() {
        let text = platform_statement().to_text();
        let as_v1 = text.replace("statement v2", "statement v1");
        let swapped = text
            .replace("linux-x86_64", "TMP")
            .replace("platform: macos", "platform: linux-x86_64")
            .replace("TMP", "macos");
        let single_as_v2 = statement()
            .to_text()
            .replace("statement v1", "statement v2");
        for bad in [as_v1, swapped, single_as_v2] {
            assert!(ReleaseStatement::parse(&bad).is_err(), "accepted {bad:?}");
        }
    }
}
