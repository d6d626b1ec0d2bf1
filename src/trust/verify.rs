//! The client's chain of checks, in the only order the types allow:
//!
//! 1. [`Anchor::verify_root`]: `root.json` is signed by `threshold` of the
//!    root keys the client pinned → [`OnlineKey`];
//! 2. [`OnlineKey::verify_timestamp`]: `timestamp.json` is signed by the
//!    online key, for this registry, not expired, and not older than the last
//!    one seen → [`TrustedTimestamp`];
//! 3. [`TrustedTimestamp::file`]: walks the snapshot trie from its root
//!    (each node fetched from `by-hash/` and checked against its parent) to
//!    the file's hash and size, then fetches the file, falling back to its
//!    `by-hash/` copy when a CDN serves a stale one → [`TrustedFile`];
//! 4. [`TrustedFile::release`]: an index line's author signature verifies
//!    under its signer key over the canonical statement → [`VerifiedRelease`];
//! 5. [`VerifiedRelease::verify_artifact`]: the artifact's size and SHA-256
//!    → [`VerifiedArtifact`], the only thing an installer accepts.
//!
//! Every step's output type has private fields and no other constructor, so
//! a caller cannot reach step N without passing steps 1..N-1.

use crate::format::published::{IndexLine, LineArtifact, SignedFields, Tier};
use crate::format::types::Platform;
use crate::trust::keys::{PublicKey, RawKey};
use crate::trust::metadata::{
    self, FileMeta, Root, SignedRaw, SnapshotNode, Timestamp, by_hash_path, path_key,
};
use crate::trust::signature::AuthorSignature;
use crate::trust::statement::{self, ReleaseStatement, StatementArtifact};

/// Fetches a file of the registry by its path relative to the root.
pub type Fetch<'a> = dyn FnMut(&str) -> Result<Vec<u8>, String> + 'a;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot fetch `{path}`: {why}")]
    Fetch { path: String, why: String },
    #[error("`{path}` is not valid registry metadata: {why}")]
    Malformed { path: String, why: String },
    #[error("`root.json` is for registry `{found}`, not `{expected}`")]
    WrongRegistry { expected: String, found: String },
    #[error("`root.json` lists root keys other than the ones this client pinned")]
    RootKeysDiffer,
    #[error("only {found} of the pinned root keys signed the online key; {threshold} are needed")]
    Delegation { found: usize, threshold: u32 },
    #[error("`timestamp.json` is not signed by the registry's online key")]
    TimestampSignature,
    #[error(
        "`timestamp.json` expired at {expires}; the registry has not been rebuilt, or the host serves a stale copy"
    )]
    Expired { expires: String },
    #[error(
        "`timestamp.json` has version {found}, older than version {seen} seen before: a rollback or a stale mirror"
    )]
    Rollback { seen: i64, found: i64 },
    #[error("`{path}` does not match the signed snapshot, and neither does its `by-hash/` copy")]
    Mismatch { path: String },
    #[error("`{path}` is not in the signed snapshot")]
    NotInSnapshot { path: String },
    #[error("{name} {vers} is unsigned (tier experimental)")]
    Unsigned { name: String, vers: String },
    #[error("the author signature of {name} {vers} is refused: {why}")]
    AuthorSignature {
        name: String,
        vers: String,
        why: String,
    },
    #[error("{name} {vers} is revoked: {reason}")]
    Revoked {
        name: String,
        vers: String,
        reason: String,
    },
    #[error("{name} {vers} has no artifact for {platform}; it ships for {offered}")]
    NoPlatform {
        name: String,
        vers: String,
        platform: String,
        offered: String,
    },
    #[error("the artifact of {name} {vers} is {what}")]
    Artifact {
        name: String,
        vers: String,
        what: String,
    },
}

/// A snapshot node by the hash and size its parent commits to: fetched from
/// `by-hash/`, checked against `meta`, then parsed. Returns its path too,
/// for the errors its caller reports about it.
fn fetch_node(f: &mut Fetch<'_>, meta: &FileMeta) -> Result<(String, SnapshotNode), VerifyError> {
    let node_path = by_hash_path(&meta.sha256);
    let bytes = fetch(f, &node_path)?;
    if !meta.matches(&bytes) {
        return Err(VerifyError::Mismatch { path: node_path });
    }
    let node = serde_json::from_slice(&bytes).map_err(|e| malformed(&node_path, e))?;
    Ok((node_path, node))
}

fn malformed(path: &str, why: impl ToString) -> VerifyError {
    VerifyError::Malformed {
        path: path.to_owned(),
        why: why.to_string(),
    }
}

fn fetch(f: &mut Fetch<'_>, path: &str) -> Result<Vec<u8>, VerifyError> {
    f(path).map_err(|why| VerifyError::Fetch {
        path: path.to_owned(),
        why,
    })
}

/// What a client pins for a registry: its id, root keys and threshold.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub registry: String,
    pub root_keys: Vec<PublicKey>,
    pub threshold: u32,
}

/// The registry's online key, proven by the root keys.
#[derive(Debug, Clone)]
pub struct OnlineKey {
    registry: String,
    key: PublicKey,
}

impl Anchor {
    /// Step 1: checks `root.json` against the pinned root keys.
    pub fn verify_root(&self, bytes: &[u8]) -> Result<OnlineKey, VerifyError> {
        let root: Root =
            serde_json::from_slice(bytes).map_err(|e| malformed(metadata::ROOT_PATH, e))?;
        if root.registry != self.registry {
            return Err(VerifyError::WrongRegistry {
                expected: self.registry.clone(),
                found: root.registry,
            });
        }
        // The same keys in the same order, whatever form the client pinned them in.
        let pinned = self.root_keys.iter().map(PublicKey::bytes);
        if !root.root_keys.iter().map(RawKey::bytes).eq(pinned) {
            return Err(VerifyError::RootKeysDiffer);
        }
        let online = root.online_key.key();
        let mut signers: Vec<&PublicKey> = Vec::new();
        for d in &root.delegation {
            if let Some(k) =
                statement::delegation_signer(&self.registry, online, &self.root_keys, &d.sig)
                && !signers.contains(&k)
            {
                signers.push(k);
            }
        }
        if signers.len() < self.threshold.max(1) as usize {
            return Err(VerifyError::Delegation {
                found: signers.len(),
                threshold: self.threshold,
            });
        }
        Ok(OnlineKey {
            registry: self.registry.clone(),
            key: online.clone(),
        })
    }
}

/// A timestamp that passed step 2.
#[derive(Debug, Clone)]
pub struct TrustedTimestamp {
    registry: String,
    body: Timestamp,
}

impl OnlineKey {
    /// Step 2. `now` in seconds since the epoch; `last_seen` is the highest
    /// timestamp version this client accepted before (it must store it).
    pub fn verify_timestamp(
        &self,
        bytes: &[u8],
        now: i64,
        last_seen: Option<i64>,
    ) -> Result<TrustedTimestamp, VerifyError> {
        let path = metadata::TIMESTAMP_PATH;
        let doc: SignedRaw<'_> = serde_json::from_slice(bytes).map_err(|e| malformed(path, e))?;
        let message = metadata::signed_message("timestamp", doc.signed.get());
        let ok = doc.signatures.iter().any(|s| {
            s.key.is(&self.key)
                && AuthorSignature::parse(&s.sig)
                    .is_ok_and(|sig| sig.verify(&self.key, &message, "").is_ok())
        });
        if !ok {
            return Err(VerifyError::TimestampSignature);
        }
        let body: Timestamp =
            serde_json::from_str(doc.signed.get()).map_err(|e| malformed(path, e))?;
        if body.kind != "timestamp" {
            return Err(malformed(path, "its type is not `timestamp`"));
        }
        if body.registry != self.registry {
            return Err(VerifyError::WrongRegistry {
                expected: self.registry.clone(),
                found: body.registry,
            });
        }
        let expires: jiff::Timestamp = body
            .expires
            .parse()
            .map_err(|e| malformed(path, format!("bad `expires`: {e}")))?;
        if expires.as_second() <= now {
            return Err(VerifyError::Expired {
                expires: body.expires,
            });
        }
        if let Some(seen) = last_seen
            && body.version < seen
        {
            return Err(VerifyError::Rollback {
                seen,
                found: body.version,
            });
        }
        Ok(TrustedTimestamp {
            registry: self.registry.clone(),
            body,
        })
    }
}

/// A file whose bytes match the signed snapshot.
#[derive(Debug, Clone)]
pub struct TrustedFile {
    registry: String,
    path: String,
    bytes: Vec<u8>,
}

impl TrustedTimestamp {
    /// The version to store as `last_seen` for the next check.
    pub fn version(&self) -> i64 {
        self.body.version
    }

    pub fn expires(&self) -> &str {
        &self.body.expires
    }

    /// Step 3: the hash and size the snapshot commits to for `path`.
    /// `Ok(None)` proves the registry has no such file.
    pub fn lookup(&self, path: &str, f: &mut Fetch<'_>) -> Result<Option<FileMeta>, VerifyError> {
        let key = path_key(path);
        let mut meta = self.body.snapshot.clone();
        for depth in 0..=key.len() {
            let (node_path, node) = fetch_node(f, &meta)?;
            if node.prefix != key[..depth] {
                return Err(malformed(
                    &node_path,
                    "the node is not on this path's branch",
                ));
            }
            if node.children.is_empty() {
                return Ok(node.files.get(path).cloned());
            }
            match key.get(depth..=depth).and_then(|d| node.children.get(d)) {
                Some(child) => meta = child.clone(),
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Every file the snapshot names, each node checked against its
    /// parent's hash and size on the way down (a mirror check reads them all).
    pub fn all_files(
        &self,
        f: &mut Fetch<'_>,
    ) -> Result<std::collections::BTreeMap<String, FileMeta>, VerifyError> {
        let mut files = std::collections::BTreeMap::new();
        let mut stack = vec![self.body.snapshot.clone()];
        while let Some(meta) = stack.pop() {
            let (_, node) = fetch_node(f, &meta)?;
            stack.extend(node.children.into_values());
            files.extend(node.files);
        }
        Ok(files)
    }

    /// Step 3: fetches `path` and checks it against the snapshot, trying its
    /// `by-hash/` copy when the served file differs (a stale CDN).
    pub fn file(&self, path: &str, f: &mut Fetch<'_>) -> Result<TrustedFile, VerifyError> {
        let meta = self
            .lookup(path, f)?
            .ok_or_else(|| VerifyError::NotInSnapshot {
                path: path.to_owned(),
            })?;
        let first = f(path).ok().filter(|b| meta.matches(b));
        let bytes = match first {
            Some(b) => b,
            None => f(&by_hash_path(&meta.sha256))
                .ok()
                .filter(|b| meta.matches(b))
                .ok_or_else(|| VerifyError::Mismatch {
                    path: path.to_owned(),
                })?,
        };
        Ok(TrustedFile {
            registry: self.registry.clone(),
            path: path.to_owned(),
            bytes,
        })
    }
}

/// A release whose line comes from a trusted index file and whose author
/// signature verifies.
#[derive(Debug, Clone)]
pub struct VerifiedRelease {
    line: IndexLine,
    /// The artifact for the client's platform, which the signature covers.
    artifact: LineArtifact,
}

/// Artifact bytes that match a verified release.
#[derive(Debug)]
pub struct VerifiedArtifact {
    pub release: VerifiedRelease,
    pub bytes: Vec<u8>,
}

impl TrustedFile {
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The index lines this client understands (`v` 1, and 2 with
    /// `platforms`); lines of other versions are skipped, as cargo does.
    pub fn index_lines(&self) -> Vec<IndexLine> {
        self.bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .filter_map(|l| serde_json::from_slice::<IndexLine>(l).ok())
            .filter(IndexLine::is_readable)
            .collect()
    }

    /// Step 4: verifies the author signature of `line`, which must come from
    /// this file. Unsigned releases are refused unless `allow_unsigned`
    /// (the `experimental` tier: installed only when asked explicitly).
    /// The artifact taken is the one for `platform` (`None`: a platform
    /// outside the vocabulary, which only a single artifact serves).
    pub fn release(
        &self,
        line: &IndexLine,
        allow_unsigned: bool,
        platform: Option<Platform>,
    ) -> Result<VerifiedRelease, VerifyError> {
        let (name, vers) = (line.name.clone(), line.vers.clone());
        if !self.index_lines().contains(line) {
            return Err(malformed(
                &self.path,
                format!("{name} {vers} is not a line of this file"),
            ));
        }
        if let Some(reason) = &line.revoked {
            return Err(VerifyError::Revoked {
                name,
                vers,
                reason: reason.clone(),
            });
        }
        let refuse = |why: String| VerifyError::AuthorSignature {
            name: line.name.clone(),
            vers: line.vers.clone(),
            why,
        };
        match (&line.sig, &line.signer) {
            (None, None) if line.tier == Tier::Experimental => {
                if allow_unsigned {
                    Ok(())
                } else {
                    Err(VerifyError::Unsigned { name, vers })
                }
            }
            (Some(sig), Some(signer)) if line.tier != Tier::Experimental => {
                let key = signer
                    .key()
                    .map_err(|e| refuse(format!("its signer key is not usable: {e}")))?
                    .key();
                let sig = AuthorSignature::parse(sig).map_err(|e| refuse(e.to_string()))?;
                let text = ReleaseStatement::of(
                    &self.registry,
                    &line.name,
                    &line.vers,
                    StatementArtifact::of_line(line),
                    &SignedFields::of_line(line),
                )
                .to_text();
                sig.verify(
                    key,
                    text.as_bytes(),
                    &statement::sshsig_namespace(&self.registry),
                )
                .map_err(|e| refuse(e.to_string()))
            }
            _ => Err(refuse("its tier, signature and signer disagree".into())),
        }?;
        let artifact = line
            .artifact_for(platform)
            .ok_or_else(|| VerifyError::NoPlatform {
                name: line.name.clone(),
                vers: line.vers.clone(),
                platform: platform.map_or_else(
                    || {
                        format!(
                            "this platform ({}-{})",
                            std::env::consts::OS,
                            std::env::consts::ARCH
                        )
                    },
                    |p| p.to_string(),
                ),
                offered: line
                    .platforms
                    .iter()
                    .map(|p| p.selector().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Ok(VerifiedRelease {
            line: line.clone(),
            artifact,
        })
    }
}

impl VerifiedRelease {
    pub fn line(&self) -> &IndexLine {
        &self.line
    }

    /// The artifact to download, for the platform the release was verified for.
    pub fn artifact(&self) -> &LineArtifact {
        &self.artifact
    }

    /// Step 5: the artifact must have the size and SHA-256 the signed line names.
    pub fn verify_artifact(self, bytes: Vec<u8>) -> Result<VerifiedArtifact, VerifyError> {
        let (l, a) = (&self.line, &self.artifact);
        let what = if bytes.len() as u64 != a.size {
            Some(format!(
                "{} bytes, not the {} the index names",
                bytes.len(),
                a.size
            ))
        } else if crate::digest::Sha256::of(&bytes) != a.sha256 {
            Some("not the file the index names: its SHA-256 differs".to_owned())
        } else {
            None
        };
        if let Some(what) = what {
            return Err(VerifyError::Artifact {
                name: l.name.clone(),
                vers: l.vers.clone(),
                what,
            });
        }
        Ok(VerifiedArtifact {
            release: self,
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_lines_skip_future_versions_and_lines_that_do_not_parse() {
        let v1 = r#"{"v":1,"name":"md","vers":"1.0.0","sha256":"DIGEST","size":1,"dl":"https://x/a.tar.gz","engine":"*","runtime":"wasm","entry":"a.wasm","channel":"stable","yanked":false,"deprecated":null,"pubtime":"2026-01-01T00:00:00Z","tier":"experimental","future_key":"ignored"}"#
            .replace("DIGEST", &"0".repeat(64));
        let single = format!(
            r#""sha256":"{}","size":1,"dl":"https://x/a.tar.gz""#,
            "0".repeat(64)
        );
        let v3 = v1.replace("\"v\":1", "\"v\":3").replace("1.0.0", "3.0.0");
        // v2 is a line with platforms; one without any artifact is not read.
        let v2 = v1
            .replace("\"v\":1", "\"v\":2")
            .replace("1.0.0", "2.0.0")
            .replace(
                &single,
                &format!(
                    r#""platforms":[{{"os":"linux","sha256":"{}","size":1,"dl":"https://x/l.tar.gz"}}]"#,
                    "0".repeat(64)
                ),
            );
        let v2_bare = v1
            .replace("\"v\":1", "\"v\":2")
            .replace("1.0.0", "2.1.0")
            .replace(&format!("{single},"), "");
        let v1_bare = v1
            .replace("1.0.0", "1.1.0")
            .replace(&format!("{single},"), "");
        // A digest that is not 64 lowercase hex digits: the line does not parse.
        let short_digest = v1.replace("1.0.0", "1.2.0").replace(&"0".repeat(64), "00");
        let upper_platform = v2
            .replace("2.0.0", "2.2.0")
            .replace(&"0".repeat(64), &"A".repeat(64));
        let file = TrustedFile {
            registry: "r".into(),
            path: "index/2/md".into(),
            bytes: format!(
                "{v3}\nnot json\n{{\"v\":1}}\n{v1}\n{v2}\n{v2_bare}\n{v1_bare}\n{short_digest}\n{upper_platform}\n"
            )
            .into_bytes(),
        };
        let lines = file.index_lines();
        let versions: Vec<&str> = lines.iter().map(|l| l.vers.as_str()).collect();
        assert_eq!(versions, ["1.0.0", "2.0.0"]);
    }
}
