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

use crate::digest::{self, Sha256, Sha256Digest};
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
    /// The content of every `by-hash/` file this build references (nodes
    /// and copies), sorted.
    pub by_hash: Vec<Sha256>,
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
    // Digests, not hex text: at a million files the two lists are the
    // largest things the build holds while it signs.
    let mut by_hash: Vec<Sha256> = covered.values().map(|m| m.sha256).collect();
    let mut entries: Vec<Entry<'_>> = covered
        .iter()
        .map(|(p, m)| Entry {
            key: digest::sha256(p.as_bytes()),
            path: p,
            meta: m,
        })
        .collect();
    entries.sort_unstable_by_key(|e| e.key);
    let root = node(&entries, 0, &mut files, &mut by_hash);
    by_hash.sort_unstable();
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

/// A covered file placed in the trie by its path key.
struct Entry<'a> {
    /// The SHA-256 of the path ([`path_key`] is its hex form).
    key: Sha256Digest,
    path: &'a str,
    meta: &'a FileMeta,
}

impl Entry<'_> {
    /// The path key's hex digit at `depth` (0 to 63).
    fn digit(&self, depth: usize) -> u8 {
        let byte = self.key[depth / 2];
        if depth.is_multiple_of(2) {
            byte >> 4
        } else {
            byte & 0xf
        }
    }
}

/// Writes the node for `entries` (sorted by path key, all sharing the first
/// `depth` hex digits) and its subtree; returns its meta.
fn node(
    entries: &[Entry<'_>],
    depth: usize,
    files: &mut Vec<(String, Vec<u8>)>,
    by_hash: &mut Vec<Sha256>,
) -> FileMeta {
    let prefix = entries
        .first()
        .map(|e| digest::hex(&e.key)[..depth].to_owned())
        .unwrap_or_default();
    let mut n = SnapshotNode {
        v: METADATA_V,
        prefix,
        children: BTreeMap::new(),
        files: BTreeMap::new(),
    };
    // A leaf when small enough; 64 hex digits are the deepest split possible.
    if entries.len() <= LEAF_MAX || depth == 64 {
        for e in entries {
            n.files.insert(e.path.to_owned(), e.meta.clone());
        }
    } else {
        let mut start = 0;
        while start < entries.len() {
            let digit = entries[start].digit(depth);
            let end = start
                + entries[start..]
                    .iter()
                    .take_while(|e| e.digit(depth) == digit)
                    .count();
            let child = node(&entries[start..end], depth + 1, files, by_hash);
            n.children.insert(format!("{digit:x}"), child);
            start = end;
        }
    }
    let mut bytes = serde_json::to_vec(&n).expect("metadata serialises");
    bytes.push(b'\n');
    let meta = FileMeta::of(&bytes);
    by_hash.push(meta.sha256);
    files.push((by_hash_path(&meta.sha256), bytes));
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

/// The contents (as `by-hash/` names them) a previous build's timestamp
/// references, read through `read` (path → bytes), sorted. Used to keep the
/// previous generation for clients and CDNs still holding the old timestamp.
pub fn referenced(read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Vec<Sha256> {
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
        out.push(hash);
        let Some(bytes) = read(&by_hash_path(&hash)) else {
            continue;
        };
        let Ok(node) = serde_json::from_slice::<SnapshotNode>(&bytes) else {
            continue;
        };
        stack.extend(node.children.into_values().map(|m| m.sha256));
        out.extend(node.files.into_values().map(|m| m.sha256));
    }
    out.sort_unstable();
    out.dedup();
    out
}
