//! The canonical texts that signatures cover. Each starts with a line naming
//! what it is and its version (domain separation: a signature over one kind
//! of statement can never pass for another), and binds the registry id so a
//! signature made for one registry does not verify in another.
//!
//! Verifiers parse a statement and re-serialise it, and accept it only when
//! the bytes are identical: no CRLF, trailing space, reordering or extra line.

use crate::digest::{self, Sha256Digest};
use crate::format::published::SignedFields;
use crate::trust::keys::PublicKey;
use crate::trust::signature::AuthorSignature;

pub const RELEASE_HEADER: &str = "plugdex release statement v1";
pub const DELEGATION_HEADER: &str = "plugdex online key delegation v1";
pub const OWNERS_HEADER: &str = "plugdex owners statement v1";

/// What an author signs for one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseStatement {
    pub registry: String,
    pub plugin: String,
    pub version: String,
    pub artifact_sha256: String,
    pub artifact_size: u64,
    /// SHA-256 of the release's facts (engine, dependencies, permissions,
    /// runtime, entry, channel, capabilities): see [`manifest_digest`].
    pub manifest_sha256: String,
}

impl ReleaseStatement {
    /// The statement for one release: the artifact it names and the digest
    /// of `fields`, the rest of what its author vouches for. Signing
    /// (`plugdex statement`), `check` and the client all make it here, from
    /// the manifest or from the index line, so they agree to the byte.
    pub fn of(
        registry: &str,
        plugin: &str,
        version: &str,
        artifact: (&str, u64),
        fields: &SignedFields,
    ) -> ReleaseStatement {
        ReleaseStatement {
            registry: registry.to_owned(),
            plugin: plugin.to_owned(),
            version: version.to_owned(),
            artifact_sha256: artifact.0.to_owned(),
            artifact_size: artifact.1,
            manifest_sha256: digest::hex(&manifest_digest(fields)),
        }
    }
}

/// The SSHSIG namespace of release signatures (`ssh-keygen -Y sign -n ...`).
pub fn sshsig_namespace(registry: &str) -> String {
    format!("plugdex-release@{registry}")
}

/// SHA-256 of the canonical JSON of a release's facts: the fields of its
/// manifest that never change after publishing, apart from the artifact
/// (bound by its own digest and size). Lifecycle fields (`yanked`,
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

const RELEASE_KEYS: [&str; 6] = [
    "registry",
    "plugin",
    "version",
    "artifact-sha256",
    "artifact-size",
    "manifest-sha256",
];

impl ReleaseStatement {
    pub fn to_text(&self) -> String {
        let size = self.artifact_size.to_string();
        let values = [
            self.registry.as_str(),
            &self.plugin,
            &self.version,
            &self.artifact_sha256,
            &size,
            &self.manifest_sha256,
        ];
        let mut s = String::with_capacity(320);
        s.push_str(RELEASE_HEADER);
        s.push('\n');
        for (k, v) in RELEASE_KEYS.iter().zip(values) {
            s.push_str(k);
            s.push_str(": ");
            s.push_str(v);
            s.push('\n');
        }
        s
    }

    /// Parses a statement and accepts it only if it is byte-for-byte canonical.
    pub fn parse(text: &str) -> Result<ReleaseStatement, StatementError> {
        let mut lines = text.split('\n');
        if lines.next() != Some(RELEASE_HEADER) {
            return Err(StatementError::Expected {
                line: 1,
                expected: RELEASE_HEADER.into(),
            });
        }
        let mut values = Vec::with_capacity(RELEASE_KEYS.len());
        for (i, key) in RELEASE_KEYS.iter().enumerate() {
            let expected = || StatementError::Expected {
                line: i + 2,
                expected: format!("{key}: <value>"),
            };
            let line = lines.next().ok_or_else(expected)?;
            let value = line
                .strip_prefix(key)
                .and_then(|r| r.strip_prefix(": "))
                .filter(|v| is_token(v))
                .ok_or_else(expected)?;
            if key.ends_with("sha256") && crate::digest::parse_sha256_hex(value).is_none() {
                return Err(StatementError::Expected {
                    line: i + 2,
                    expected: format!("{key}: <64 lowercase hex digits>"),
                });
            }
            values.push(value.to_owned());
        }
        let [
            registry,
            plugin,
            version,
            artifact_sha256,
            size,
            manifest_sha256,
        ]: [String; 6] = values.try_into().expect("one value per key");
        let statement = ReleaseStatement {
            registry,
            plugin,
            version,
            artifact_sha256,
            artifact_size: size.parse().map_err(|_| StatementError::Expected {
                line: 6,
                expected: "artifact-size: <bytes>".into(),
            })?,
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
/// keys as raw base64 (sorted; `-` for none). Keys that do not parse are left as written; such
/// a `plugin.toml` fails `check` anyway.
pub fn owners_text(registry: &str, plugin: &str, owners: &[crate::format::types::Owner]) -> String {
    let keys = |list: &[String]| {
        let mut keys: Vec<String> = list
            .iter()
            .map(|k| {
                PublicKey::parse(k).map_or_else(|_| k.trim().to_owned(), |k| k.to_raw_base64())
            })
            .collect();
        keys.sort();
        if keys.is_empty() {
            "-".to_owned()
        } else {
            keys.join(",")
        }
    };
    let mut lines: Vec<String> = owners
        .iter()
        .map(|o| {
            format!(
                "owner: {} keys={} retired={}",
                o.github.to_ascii_lowercase(),
                keys(&o.keys),
                keys(&o.retired_keys)
            )
        })
        .collect();
    lines.sort();
    format!(
        "{OWNERS_HEADER}\nregistry: {registry}\nplugin: {plugin}\n{}\n",
        lines.join("\n")
    )
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

    fn statement() -> ReleaseStatement {
        ReleaseStatement {
            registry: "plugins.example.org".into(),
            plugin: "git".into(),
            version: "1.2.0".into(),
            artifact_sha256: "ab".repeat(32),
            artifact_size: 1234,
            manifest_sha256: "cd".repeat(32),
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
}
