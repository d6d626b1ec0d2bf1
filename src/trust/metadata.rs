//! The registry's signed metadata, modelled on TUF and apt's `by-hash`:
//!
//! - `root.json`: the root keys, the threshold, and the online key with the
//!   root keys' signatures delegating to it;
//! - `timestamp.json`: signed by the online key, short-lived; names the
//!   snapshot's root node by hash;
//! - the snapshot: a trie of small nodes under `by-hash/`, keyed by the hex
//!   SHA-256 of each covered file's path, so checking one plugin reads only
//!   a few kilobytes however large the registry is;
//! - `by-hash/{sha256}`: content-addressed copies of every covered file, so a
//!   CDN serving a stale or torn mix can always be bypassed.
//!
//! Signed documents are `{"signed": {...}, "signatures": [...]}`; a signature
//! covers `plugdex {type} v1\n` followed by the raw bytes of the `signed`
//! value exactly as they appear in the file, so no canonical JSON is needed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::digest::{self, Sha256};
use crate::trust::keys::{PublicKey, RawKey};
use crate::trust::secret::SecretKey;
use crate::trust::statement;

pub const METADATA_V: u32 = 1;
pub const ROOT_PATH: &str = "root.json";
pub const TIMESTAMP_PATH: &str = "timestamp.json";
pub const BY_HASH_DIR: &str = "by-hash/";
/// Most files in one leaf of the snapshot trie before it splits on the next hex digit.
pub const LEAF_MAX: usize = 64;
/// Default lifetime of a timestamp.
pub const DEFAULT_EXPIRY_SECS: i64 = 7 * 24 * 3600;

/// Where a file's content-addressed copy lives.
pub fn by_hash_path(sha256: &Sha256) -> String {
    format!("{BY_HASH_DIR}{sha256}")
}

/// The hash and size of a file, as metadata commits to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub struct FileMeta {
    pub sha256: Sha256,
    pub size: u64,
}

impl FileMeta {
    pub fn of(bytes: &[u8]) -> FileMeta {
        FileMeta {
            sha256: Sha256::of(bytes),
            size: bytes.len() as u64,
        }
    }

    /// Whether `bytes` are the file this names.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        bytes.len() as u64 == self.size && Sha256::of(bytes) == self.sha256
    }
}

/// `root.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "generator", schemars(title = "plugdex root.json"))]
pub struct Root {
    pub v: u32,
    pub registry: String,
    /// Raw base64 ed25519 keys.
    pub root_keys: Vec<RawKey>,
    pub threshold: u32,
    pub online_key: RawKey,
    /// Root keys' signatures over the delegation statement.
    pub delegation: Vec<KeySig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub struct KeySig {
    /// Raw base64 public key.
    pub key: RawKey,
    pub sig: String,
}

/// `timestamp.json` as written: its schema only (readers keep `signed` raw,
/// as [`SignedRaw`] does, to verify the signatures over its exact bytes).
#[cfg(feature = "generator")]
#[derive(schemars::JsonSchema)]
#[schemars(title = "plugdex timestamp.json")]
pub struct TimestampDocument {
    pub signed: Timestamp,
    /// The online key's signatures; empty when the build had no signing key.
    pub signatures: Vec<KeySig>,
}

/// A signed document as stored: `signed` is kept as raw bytes for verification.
#[derive(Debug, Deserialize)]
pub struct SignedRaw<'a> {
    #[serde(borrow)]
    pub signed: &'a RawValue,
    pub signatures: Vec<KeySig>,
}

/// The body of `timestamp.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
pub struct Timestamp {
    pub v: u32,
    #[serde(rename = "type")]
    pub kind: String,
    pub registry: String,
    /// Increases with every build: the build time in seconds. Clients refuse one older than the last they saw.
    pub version: i64,
    /// RFC 3339, UTC.
    pub expires: String,
    /// The snapshot trie's root node.
    pub snapshot: FileMeta,
}

/// One node of the snapshot trie, stored at `by-hash/{sha256}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "generator", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "generator",
    schemars(title = "plugdex snapshot node (by-hash/{sha256})")
)]
pub struct SnapshotNode {
    pub v: u32,
    /// The path-hash prefix (hex digits) every file below this node shares.
    pub prefix: String,
    /// Inner node: hex digit → child node.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub children: BTreeMap<String, FileMeta>,
    /// Leaf: path → file.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileMeta>,
}

/// Hex SHA-256 of a path: the key that places it in the trie.
pub fn path_key(path: &str) -> String {
    digest::hex(&digest::sha256(path.as_bytes()))
}

/// The bytes a signature of a `kind` document covers.
pub fn signed_message(kind: &str, raw_signed: &str) -> Vec<u8> {
    let mut m = statement::metadata_prefix(kind).into_bytes();
    m.extend_from_slice(raw_signed.as_bytes());
    m
}

/// The files `build` adds for signing: the snapshot nodes and
/// `timestamp.json`. The `by-hash/` copies of covered files `build` writes as
/// it emits them.
#[derive(Debug)]
pub struct Signed {
    /// `(path, bytes)` to write.
    pub files: Vec<(String, Vec<u8>)>,
    /// Every `by-hash/` path this build references: nodes and copies.
    pub by_hash: Vec<String>,
    pub signed: bool,
}

/// What the registry signs with, if anything.
pub struct SigningInput<'a> {
    pub registry: &'a str,
    pub key: Option<&'a SecretKey>,
    pub now: i64,
    pub expiry_secs: i64,
}

/// Builds the snapshot trie over `covered` (path → hash and size: every file
/// clients verify, `root.json` included) and the timestamp naming its root.
pub fn sign(covered: &BTreeMap<String, FileMeta>, input: &SigningInput<'_>) -> Signed {
    let mut files = Vec::new();
    let mut by_hash: Vec<String> = covered.values().map(|m| by_hash_path(&m.sha256)).collect();
    let mut entries: Vec<(String, &str, FileMeta)> = covered
        .iter()
        .map(|(p, m)| (path_key(p), p.as_str(), m.clone()))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let root = node(&entries, 0, &mut files, &mut by_hash);
    by_hash.sort();
    by_hash.dedup();
    let body = Timestamp {
        v: METADATA_V,
        kind: "timestamp".into(),
        registry: input.registry.to_owned(),
        version: input.now,
        expires: jiff::Timestamp::from_second(input.now + input.expiry_secs)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        snapshot: root,
    };
    let raw = serde_json::to_string(&body).expect("metadata serialises");
    let signatures = input
        .key
        .map(|k| KeySig {
            key: RawKey::from(&k.public()),
            sig: k.sign_raw(&signed_message("timestamp", &raw)),
        })
        .into_iter()
        .collect::<Vec<_>>();
    let doc = format!(
        "{{\"signed\":{raw},\"signatures\":{}}}\n",
        serde_json::to_string(&signatures).expect("metadata serialises")
    );
    files.push((TIMESTAMP_PATH.to_owned(), doc.into_bytes()));
    Signed {
        files,
        by_hash,
        signed: input.key.is_some(),
    }
}

/// Writes the node for `entries` (sorted by path key, all sharing the first
/// `depth` hex digits) and its subtree; returns its meta.
fn node(
    entries: &[(String, &str, FileMeta)],
    depth: usize,
    files: &mut Vec<(String, Vec<u8>)>,
    by_hash: &mut Vec<String>,
) -> FileMeta {
    let prefix = entries
        .first()
        .map(|e| e.0[..depth].to_owned())
        .unwrap_or_default();
    let mut n = SnapshotNode {
        v: METADATA_V,
        prefix,
        children: BTreeMap::new(),
        files: BTreeMap::new(),
    };
    // A leaf when small enough; 64 hex digits are the deepest split possible.
    if entries.len() <= LEAF_MAX || depth == 64 {
        for (_, path, meta) in entries {
            n.files.insert((*path).to_owned(), meta.clone());
        }
    } else {
        let mut start = 0;
        while start < entries.len() {
            let digit = &entries[start].0[depth..=depth];
            let end = start
                + entries[start..]
                    .iter()
                    .take_while(|e| &e.0[depth..=depth] == digit)
                    .count();
            let child = node(&entries[start..end], depth + 1, files, by_hash);
            n.children.insert(digit.to_owned(), child);
            start = end;
        }
    }
    let mut bytes = serde_json::to_vec(&n).expect("metadata serialises");
    bytes.push(b'\n');
    let meta = FileMeta::of(&bytes);
    let path = by_hash_path(&meta.sha256);
    by_hash.push(path.clone());
    files.push((path, bytes));
    meta
}

/// `root.json` for a registry with keys; `delegation` pairs each root key
/// that signed the online key with its signature.
pub fn root_document(
    registry: &str,
    root_keys: &[PublicKey],
    threshold: u32,
    online: &PublicKey,
    delegation: &[(PublicKey, String)],
) -> Vec<u8> {
    let root = Root {
        v: METADATA_V,
        registry: registry.to_owned(),
        root_keys: root_keys.iter().map(RawKey::from).collect(),
        threshold,
        online_key: RawKey::from(online),
        delegation: delegation
            .iter()
            .map(|(key, sig)| KeySig {
                key: RawKey::from(key),
                sig: sig.clone(),
            })
            .collect(),
    };
    let mut bytes = serde_json::to_vec(&root).expect("metadata serialises");
    bytes.push(b'\n');
    bytes
}

/// The `by-hash/` paths a previous build's timestamp references, read
/// through `read` (path → bytes). Used to keep the previous generation for
/// clients and CDNs still holding the old timestamp.
pub fn referenced(read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(ts) = read(TIMESTAMP_PATH) else {
        return out;
    };
    let Ok(doc) = serde_json::from_slice::<SignedRaw<'_>>(&ts) else {
        return out;
    };
    let Ok(body) = serde_json::from_str::<Timestamp>(doc.signed.get()) else {
        return out;
    };
    let mut stack = vec![body.snapshot.sha256];
    while let Some(hash) = stack.pop() {
        let path = by_hash_path(&hash);
        out.push(path.clone());
        let Some(bytes) = read(&path) else { continue };
        let Ok(node) = serde_json::from_slice::<SnapshotNode>(&bytes) else {
            continue;
        };
        stack.extend(node.children.into_values().map(|m| m.sha256));
        out.extend(node.files.into_values().map(|m| by_hash_path(&m.sha256)));
    }
    out.sort();
    out.dedup();
    out
}
