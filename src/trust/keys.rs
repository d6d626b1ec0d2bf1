//! Author public keys in the forms authors already have (raw base64, minisign,
//! OpenSSH), with the point checks that make signatures unique.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::VerifyingKey;

use crate::digest::{hex, sha256};

/// The key type name in OpenSSH key blobs, signatures and `.pub` lines.
pub(super) const SSH_ED25519: &str = "ssh-ed25519";

/// DER prefix of an ed25519 SubjectPublicKeyInfo; the 32 key bytes follow.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

const ACCEPTED: &str = "expected one of: the standard base64 of a 32-byte ed25519 key, \
     a minisign public key (`RW...`, or the whole `.pub` file), \
     or an OpenSSH line `ssh-ed25519 AAAA... [comment]`";

/// Where a [`PublicKey`] came from; it decides which signature checks apply
/// (only minisign keys carry a key id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyFormat {
    Raw,
    Minisign,
    OpenSsh,
}

/// An ed25519 public key that passed the strict checks in [`PublicKey::from_bytes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    format: KeyFormat,
    minisign_id: Option<[u8; 8]>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("malformed public key: {0}")]
    Malformed(String),
    #[error("unsupported public key: {0}")]
    Unsupported(String),
    #[error(
        "the key is not the canonical encoding of a curve point; generate the key again with \
         `plugdex keygen`, `minisign -G` or `ssh-keygen -t ed25519`"
    )]
    NonCanonical,
    #[error(
        "the key is a curve point of small order: such keys let one signature verify many \
         messages; generate the key again with `plugdex keygen`, `minisign -G` or \
         `ssh-keygen -t ed25519`"
    )]
    SmallOrder,
    #[error(
        "the key has a small-order (torsion) component, so its signatures are not unique; \
         no honest key generator makes such keys: generate the key again with \
         `plugdex keygen`, `minisign -G` or `ssh-keygen -t ed25519`"
    )]
    NotTorsionFree,
}

impl PublicKey {
    /// Accepts, after trimming surrounding whitespace:
    ///  - raw: standard base64 (with `=` padding) of the 32-byte ed25519 key;
    ///  - minisign: the base64 line of a minisign public key (`RW...`: b"Ed" +
    ///    8-byte key id + 32-byte key), or the whole `.pub` file text;
    ///  - OpenSSH: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5... [comment]`.
    ///
    /// Then applies the checks of [`PublicKey::from_bytes`].
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Malformed(format!("the key is empty; {ACCEPTED}")));
        }
        if text.starts_with("untrusted comment:") {
            let lines: Vec<&str> = text.lines().collect();
            if lines.len() != 2 {
                return Err(KeyError::Malformed(format!(
                    "a minisign public key file must have 2 lines: `untrusted comment: ...` \
                     then the base64 key (`RW...`); found {} lines",
                    lines.len()
                )));
            }
            return parse_minisign_line(lines[1].trim());
        }
        if text.starts_with("-----BEGIN") {
            return Err(pem_error(text));
        }
        let mut words = text.split_whitespace();
        let first = words.next().unwrap_or_default();
        match words.next() {
            Some(blob) => parse_openssh_line(first, blob),
            None if looks_like_ssh_type(first) => Err(KeyError::Malformed(format!(
                "`{}` must be followed by the base64 key blob, as in an OpenSSH `.pub` file",
                clip(first)
            ))),
            None => {
                let bytes = b64(first).map_err(|e| {
                    KeyError::Malformed(format!("the key is not valid base64 ({e}); {ACCEPTED}"))
                })?;
                match bytes.len() {
                    32 => PublicKey::from_bytes(&to_array(&bytes)),
                    42 => parse_minisign_bytes(&bytes),
                    n => Err(KeyError::Malformed(format!(
                        "the key decodes to {n} bytes, but a raw ed25519 key has 32 and a \
                         minisign key 42; {ACCEPTED}"
                    ))),
                }
            }
        }
    }

    /// Rejects keys that are not a canonical point encoding, of small order, or
    /// not torsion-free: with those, one signature can verify several messages
    /// or several signatures one message.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        strict(bytes, KeyFormat::Raw, None)
    }

    pub fn bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    pub fn format(&self) -> KeyFormat {
        self.format
    }

    /// The key id of a key parsed from minisign text; `None` for other formats.
    pub fn minisign_id(&self) -> Option<[u8; 8]> {
        self.minisign_id
    }

    /// The key id used in minisign renderings: the minisign id if the key has
    /// one, else the first 8 bytes of SHA-256 of the key bytes (stable, so
    /// repeated `plugdex sign` runs agree with one published `.pub`).
    pub fn minisign_id_or_derived(&self) -> [u8; 8] {
        self.minisign_id.unwrap_or_else(|| {
            let d = sha256(self.key.as_bytes());
            to_array(&d[..8])
        })
    }

    /// Standard base64 of the 32 key bytes: the canonical form plugdex publishes.
    pub fn to_raw_base64(&self) -> String {
        STANDARD.encode(self.key.as_bytes())
    }

    /// Short id for messages: first 8 bytes of SHA-256 of the key bytes, lowercase hex.
    pub fn fingerprint(&self) -> String {
        hex(&sha256(self.key.as_bytes())[..8])
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// `ssh-ed25519 <base64 blob> <comment>` (no trailing space for an empty comment).
    pub fn to_openssh(&self, comment: &str) -> String {
        let blob = STANDARD.encode(ssh_ed25519_blob(self.key.as_bytes()));
        let comment = comment.trim();
        if comment.is_empty() {
            format!("{SSH_ED25519} {blob}")
        } else {
            format!("{SSH_ED25519} {blob} {comment}")
        }
    }

    /// The text of a minisign `.pub` file, as `minisign -G` writes it.
    pub fn to_minisign(&self) -> String {
        let id = self.minisign_id_or_derived();
        let mut bytes = Vec::with_capacity(42);
        bytes.extend_from_slice(b"Ed");
        bytes.extend_from_slice(&id);
        bytes.extend_from_slice(self.key.as_bytes());
        format!(
            "untrusted comment: minisign public key {}\n{}\n",
            minisign_id_display(&id),
            STANDARD.encode(bytes)
        )
    }

    /// SubjectPublicKeyInfo PEM, as `openssl pkey -pubout` writes it.
    pub fn to_spki_pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(self.key.as_bytes());
        armor("PUBLIC KEY", &der, 64)
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PublicKey::parse(s)
    }
}

/// Shows the raw base64 form, the one plugdex publishes.
impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_raw_base64())
    }
}

/// A public key in a published document (`config.json`, `root.json`,
/// `timestamp.json`, index lines, `revocations.json`): written as the
/// standard base64 of its 32 bytes (44 characters, padded), held as a key
/// that passed [`PublicKey::from_bytes`]. Deserialising refuses any other
/// text, so a document is checked where it is read and readers compare keys,
/// not their text. Authors' files (`registry.toml`, `plugin.toml`,
/// `revocations.toml`) accept more forms and are parsed by the rules instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawKey(PublicKey);

impl RawKey {
    /// The key, in the raw format (no minisign id): what a reader of the
    /// document has, whatever form the author gave it in.
    pub fn key(&self) -> &PublicKey {
        &self.0
    }

    pub fn bytes(&self) -> [u8; 32] {
        self.0.bytes()
    }

    /// Whether this is `key`, in whatever form `key` was given.
    pub fn is(&self, key: &PublicKey) -> bool {
        self.bytes() == key.bytes()
    }
}

impl From<&PublicKey> for RawKey {
    fn from(key: &PublicKey) -> RawKey {
        RawKey(PublicKey {
            key: key.key,
            format: KeyFormat::Raw,
            minisign_id: None,
        })
    }
}

impl FromStr for RawKey {
    type Err = KeyError;

    /// Only the published form: no surrounding whitespace, no other key
    /// formats, and base64 whose unused bits are zero (one text per key).
    fn from_str(s: &str) -> Result<RawKey, KeyError> {
        let chars = s.chars().count();
        if chars != RAW_KEY_CHARS {
            return Err(KeyError::Malformed(format!(
                "a published key is the standard base64 of 32 bytes ({RAW_KEY_CHARS} characters), \
                 not {chars} characters"
            )));
        }
        let bytes = b64(s).map_err(|e| {
            KeyError::Malformed(format!(
                "a published key is the standard base64 of 32 bytes: this is not valid base64 ({e})"
            ))
        })?;
        if bytes.len() != 32 {
            return Err(KeyError::Malformed(format!(
                "a published key is the standard base64 of 32 bytes, not of {}",
                bytes.len()
            )));
        }
        PublicKey::from_bytes(&to_array(&bytes)).map(RawKey)
    }
}

/// Characters of the standard base64 of 32 bytes, with its one `=`.
const RAW_KEY_CHARS: usize = 44;

/// The standard base64 of 32 bytes: the last digit before `=` carries 4 bits
/// of the key and 2 zero bits, so only 16 of the 64 digits can stand there.
#[cfg(any(feature = "generator", test))]
const RAW_KEY_PATTERN: &str = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$";

impl fmt::Display for RawKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_raw_base64())
    }
}

impl serde::Serialize for RawKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_raw_base64())
    }
}

impl<'de> serde::Deserialize<'de> for RawKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawKey, D::Error> {
        struct Raw;
        impl serde::de::Visitor<'_> for Raw {
            type Value = RawKey;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an ed25519 public key: the standard base64 of its 32 bytes")
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<RawKey, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Raw)
    }
}

#[cfg(feature = "generator")]
impl schemars::JsonSchema for RawKey {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RawKey".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "An ed25519 public key: the standard base64 of its 32 bytes.",
            "pattern": RAW_KEY_PATTERN
        })
    }
}

/// How minisign prints key ids: the 8 bytes as a little-endian u64, uppercase
/// hex without zero padding (`%" PRIX64`), so an id whose top nibble is 0 has
/// 15 digits. A padded id would not match the `.pub` file minisign wrote.
pub fn minisign_id_display(id: &[u8; 8]) -> String {
    format!("{:X}", u64::from_le_bytes(*id))
}

fn strict(
    bytes: &[u8; 32],
    format: KeyFormat,
    minisign_id: Option<[u8; 8]>,
) -> Result<PublicKey, KeyError> {
    let point = CompressedEdwardsY(*bytes).decompress().ok_or_else(|| {
        KeyError::Malformed(
            "the 32 key bytes are not a point on the ed25519 curve; check that the whole key \
             was copied"
                .into(),
        )
    })?;
    // decompress() accepts y >= p and a set sign bit with x = 0, so compare
    // re-encoded bytes to reject every second encoding of the same point.
    if point.compress().as_bytes() != bytes {
        return Err(KeyError::NonCanonical);
    }
    if point.is_small_order() {
        return Err(KeyError::SmallOrder);
    }
    if !point.is_torsion_free() {
        return Err(KeyError::NotTorsionFree);
    }
    Ok(PublicKey {
        key: VerifyingKey::from(point),
        format,
        minisign_id,
    })
}

fn parse_minisign_line(line: &str) -> Result<PublicKey, KeyError> {
    let bytes = b64(line).map_err(|e| {
        KeyError::Malformed(format!(
            "the minisign public key line is not valid base64 ({e}); it should look like `RW...`"
        ))
    })?;
    if bytes.len() == 158 {
        return Err(KeyError::Malformed(
            "this is a minisign SECRET key; never publish it. Publish the `.pub` file \
             from `minisign -G` instead"
                .into(),
        ));
    }
    if bytes.len() != 42 {
        return Err(KeyError::Malformed(format!(
            "a minisign public key decodes to 42 bytes (`Ed`, 8-byte key id, 32-byte key); \
             this one decodes to {} bytes",
            bytes.len()
        )));
    }
    parse_minisign_bytes(&bytes)
}

fn parse_minisign_bytes(bytes: &[u8]) -> Result<PublicKey, KeyError> {
    if &bytes[..2] != b"Ed" {
        return Err(KeyError::Unsupported(format!(
            "minisign key algorithm `{}`; only `Ed` (ed25519) keys exist in minisign",
            String::from_utf8_lossy(&bytes[..2]).escape_debug()
        )));
    }
    strict(
        &to_array(&bytes[10..42]),
        KeyFormat::Minisign,
        Some(to_array(&bytes[2..10])),
    )
}

fn parse_openssh_line(kind: &str, blob: &str) -> Result<PublicKey, KeyError> {
    if kind != SSH_ED25519 {
        return Err(if looks_like_ssh_type(kind) {
            unsupported_ssh_type(kind)
        } else {
            KeyError::Malformed(format!(
                "a key with spaces must be an OpenSSH line starting with `ssh-ed25519`, \
                 found `{}`; {ACCEPTED}",
                clip(kind)
            ))
        });
    }
    let bytes = b64(blob).map_err(|e| {
        KeyError::Malformed(format!(
            "the key blob after `ssh-ed25519` is not valid base64 ({e})"
        ))
    })?;
    match parse_ssh_ed25519_blob(&bytes) {
        Ok(key) => strict(&key, KeyFormat::OpenSsh, None),
        Err(BlobError::Unsupported(t)) => Err(KeyError::Malformed(format!(
            "the line says `ssh-ed25519` but its blob holds a `{}` key",
            clip(&t)
        ))),
        Err(BlobError::Malformed(m)) => Err(KeyError::Malformed(m)),
    }
}

fn unsupported_ssh_type(kind: &str) -> KeyError {
    KeyError::Unsupported(format!(
        "`{}` keys are not accepted; plugdex accepts only ed25519 keys \
         (make one with `ssh-keygen -t ed25519`)",
        clip(kind)
    ))
}

fn looks_like_ssh_type(word: &str) -> bool {
    ["ssh-", "ecdsa-", "sk-", "rsa-", "x509v3-"]
        .iter()
        .any(|p| word.starts_with(p))
}

fn pem_error(text: &str) -> KeyError {
    let label = text.lines().next().unwrap_or_default();
    if label.contains("PRIVATE KEY") {
        KeyError::Malformed(
            "this is a PRIVATE key; never publish it. Publish the public half instead \
             (`ssh-keygen -y -f KEY`, or `plugdex keygen` output)"
                .into(),
        )
    } else {
        KeyError::Malformed(format!(
            "PEM keys (`{}`) are not accepted; for an openssl key publish the raw key: \
             `openssl pkey -in KEY.pem -pubout -outform DER | tail -c 32 | base64`",
            clip(label)
        ))
    }
}

/// Inputs end up in messages; keep a hostile megabyte line from flooding them.
pub(super) fn clip(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", s[..i].escape_debug()),
        None => s.escape_debug().to_string(),
    }
}

pub(super) fn b64(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(s)
}

/// Copies a slice whose length the caller has checked.
pub(super) fn to_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    out
}

/// Why an SSH key blob was refused.
pub(super) enum BlobError {
    /// A well-formed blob of another key type (the type name).
    Unsupported(String),
    Malformed(String),
}

/// The OpenSSH public key blob: string "ssh-ed25519", string key.
pub(super) fn ssh_ed25519_blob(key: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(51);
    put_string(&mut out, SSH_ED25519.as_bytes());
    put_string(&mut out, key);
    out
}

pub(super) fn parse_ssh_ed25519_blob(blob: &[u8]) -> Result<[u8; 32], BlobError> {
    let mut r = SshReader::new(blob);
    let kind = r.string("the key type").map_err(BlobError::Malformed)?;
    if kind != SSH_ED25519.as_bytes() {
        return Err(BlobError::Unsupported(
            String::from_utf8_lossy(kind).into_owned(),
        ));
    }
    let key = r.string("the ed25519 key").map_err(BlobError::Malformed)?;
    if key.len() != 32 {
        return Err(BlobError::Malformed(format!(
            "an ssh-ed25519 key is 32 bytes, this one is {}",
            key.len()
        )));
    }
    r.finish("the ssh-ed25519 key blob")
        .map_err(BlobError::Malformed)?;
    Ok(to_array(key))
}

/// SSH wire string: u32 big-endian length, then the bytes.
pub(super) fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    // Callers pass keys, names and digests, far below 4 GiB.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Reads SSH wire data; every error names what was being read.
pub(super) struct SshReader<'a> {
    buf: &'a [u8],
}

impl<'a> SshReader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        SshReader { buf }
    }

    pub(super) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if n > self.buf.len() {
            return Err(format!(
                "truncated: {what} needs {n} bytes, only {} left",
                self.buf.len()
            ));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    pub(super) fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes(to_array(b)))
    }

    pub(super) fn string(&mut self, what: &str) -> Result<&'a [u8], String> {
        let len = self.u32(what)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        self.take(len, what)
    }

    pub(super) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    pub(super) fn finish(&self, what: &str) -> Result<(), String> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(format!("{} unexpected bytes after {what}", self.buf.len()))
        }
    }
}

/// PEM-style armour: `-----BEGIN label-----`, base64 wrapped at `width`, `-----END label-----`.
pub(super) fn armor(label: &str, bytes: &[u8], width: usize) -> String {
    let b = STANDARD.encode(bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    // Base64 is ASCII, so byte chunks are char boundaries.
    for chunk in b.as_bytes().chunks(width.max(4)) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The inverse of [`armor`] for a `text` already trimmed: exactly one block,
/// nothing around it, `\n` or `\r\n` line endings, no PEM headers.
pub(super) fn dearmor(text: &str, label: &str) -> Result<Vec<u8>, String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut lines = text.lines().map(str::trim);
    if lines.next() != Some(begin.as_str()) {
        return Err(format!("expected the first line to be `{begin}`"));
    }
    let mut body = String::new();
    let mut ended = false;
    for line in lines.by_ref() {
        if line == end {
            ended = true;
            break;
        }
        if line.contains(':') {
            return Err(format!(
                "unexpected header line `{}` inside `{begin}`",
                clip(line)
            ));
        }
        body.push_str(line);
    }
    if !ended {
        return Err(format!("missing the closing `{end}` line"));
    }
    if lines.any(|l| !l.is_empty()) {
        return Err(format!("unexpected text after `{end}`"));
    }
    b64(&body).map_err(|e| format!("the text inside `{begin}` is not valid base64 ({e})"))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use curve25519_dalek::scalar::Scalar;

    /// A valid key: 7·B.
    pub(in crate::trust) fn valid_key_bytes() -> [u8; 32] {
        (ED25519_BASEPOINT_POINT * Scalar::from(7u8))
            .compress()
            .to_bytes()
    }

    /// `ee ff .. ff 7f`: y = p + 1, a second encoding of y = 1.
    pub(in crate::trust) fn non_canonical_bytes() -> [u8; 32] {
        let mut b = [0xffu8; 32];
        b[0] = 0xee;
        b[31] = 0x7f;
        b
    }

    #[test]
    fn raw_round_trip() {
        let bytes = valid_key_bytes();
        let k = PublicKey::from_bytes(&bytes).unwrap();
        assert_eq!(k.bytes(), bytes);
        assert_eq!(k.format(), KeyFormat::Raw);
        assert_eq!(k.minisign_id(), None);
        let text = format!("  {}\n", k.to_raw_base64());
        let back = PublicKey::parse(&text).unwrap();
        assert_eq!(back, k);
        assert_eq!(k.fingerprint().len(), 16);
        assert_eq!(k.fingerprint(), hex(&sha256(&bytes)[..8]));
        assert_eq!(k.to_string().parse::<PublicKey>().unwrap(), k);
    }

    #[test]
    fn openssh_round_trip() {
        let k = PublicKey::from_bytes(&valid_key_bytes()).unwrap();
        let line = k.to_openssh("me@example");
        assert!(line.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
        assert!(line.ends_with(" me@example"));
        let back = PublicKey::parse(&line).unwrap();
        assert_eq!(back.bytes(), k.bytes());
        assert_eq!(back.format(), KeyFormat::OpenSsh);
        // No comment, and a CRLF tail.
        let back = PublicKey::parse(&format!("{}\r\n", k.to_openssh(""))).unwrap();
        assert_eq!(back.bytes(), k.bytes());
    }

    #[test]
    fn minisign_round_trip() {
        let k = PublicKey::from_bytes(&valid_key_bytes()).unwrap();
        let file = k.to_minisign();
        let id = k.minisign_id_or_derived();
        assert_eq!(id, to_array::<8>(&sha256(&k.bytes())[..8]));
        let back = PublicKey::parse(&file).unwrap();
        assert_eq!(back.bytes(), k.bytes());
        assert_eq!(back.format(), KeyFormat::Minisign);
        assert_eq!(back.minisign_id(), Some(id));
        // The bare base64 line, and CRLF endings.
        let line = file.lines().nth(1).unwrap();
        assert!(line.starts_with("RW"));
        assert_eq!(PublicKey::parse(line).unwrap(), back);
        assert_eq!(PublicKey::parse(&file.replace('\n', "\r\n")).unwrap(), back);
        // The comment shows the id the way minisign does.
        assert!(file.contains(&minisign_id_display(&id)));
    }

    #[test]
    fn minisign_known_key() {
        // Written by `minisign -G`; the comment shows the id little-endian.
        let file = "untrusted comment: minisign public key AFE7229C3AA1235E\n\
                    RWReI6E6nCLnr8yOAjXT6jiayTZGy3ZF7edRSCM4aT/AYw7AVZhRItDa\n";
        let k = PublicKey::parse(file).unwrap();
        let id = k.minisign_id().unwrap();
        assert_eq!(minisign_id_display(&id), "AFE7229C3AA1235E");
        assert_eq!(k.to_minisign(), file);
    }

    #[test]
    fn minisign_id_with_a_leading_zero_nibble_is_not_padded() {
        // Written by `minisign -G` (a CI run drew this key): minisign prints
        // the id with `%" PRIX64`, so 15 digits here, not 16.
        let file = "untrusted comment: minisign public key 40BEF253AD73E53\n\
                    RWRTPtc6Je8LBFgJqAa89lpBiGfhbxYAIAqQAsXLkTPKx0CNiFgxpzdf\n";
        let k = PublicKey::parse(file).unwrap();
        assert_eq!(
            minisign_id_display(&k.minisign_id().unwrap()),
            "40BEF253AD73E53"
        );
        assert_eq!(k.to_minisign(), file);
    }

    #[test]
    fn spki_pem_shape() {
        let k = PublicKey::from_bytes(&valid_key_bytes()).unwrap();
        let pem = k.to_spki_pem();
        let der = dearmor(pem.trim(), "PUBLIC KEY").unwrap();
        assert_eq!(&der[..12], &SPKI_PREFIX);
        assert_eq!(&der[12..], &k.bytes());
    }

    #[test]
    fn a_published_key_round_trips_as_raw_base64_whatever_form_it_came_in() {
        let k = PublicKey::from_bytes(&valid_key_bytes()).unwrap();
        let raw = k.to_raw_base64();
        let from_minisign = RawKey::from(&PublicKey::parse(&k.to_minisign()).unwrap());
        let from_ssh = RawKey::from(&PublicKey::parse(&k.to_openssh("me")).unwrap());
        assert_eq!(from_minisign, from_ssh);
        assert_eq!(from_minisign.key().format(), KeyFormat::Raw);
        assert_eq!(from_minisign.key().minisign_id(), None);
        assert!(from_minisign.is(&PublicKey::parse(&k.to_minisign()).unwrap()));
        assert_eq!(from_minisign.bytes(), k.bytes());
        let json = serde_json::to_string(&from_ssh).unwrap();
        assert_eq!(json, format!("\"{raw}\""));
        let back: RawKey = serde_json::from_str(&json).unwrap();
        assert_eq!(back, from_ssh);
        assert_eq!(back.key(), &k);
        assert_eq!(back.to_string(), raw);
        assert_eq!(raw.parse::<RawKey>(), Ok(back));
        let other = RawKey::from(&PublicKey::from_bytes(&valid_key_bytes_2()).unwrap());
        assert_ne!(other, from_ssh);
        assert!(!other.is(&k));
    }

    /// Another valid key: 9·B.
    fn valid_key_bytes_2() -> [u8; 32] {
        (ED25519_BASEPOINT_POINT * Scalar::from(9u8))
            .compress()
            .to_bytes()
    }

    #[test]
    fn a_published_key_refuses_every_other_text_and_says_why() {
        let k = PublicKey::from_bytes(&valid_key_bytes()).unwrap();
        let raw = k.to_raw_base64();
        let wrong = |text: &str| match text.parse::<RawKey>() {
            Err(KeyError::Malformed(m)) => m,
            other => panic!("{text:?}: {other:?}"),
        };
        assert!(wrong("").contains("not 0 characters"));
        assert!(wrong(&raw[..43]).contains("not 43 characters"));
        assert!(wrong(&format!("{raw}=")).contains("not 45 characters"));
        assert!(wrong(&format!(" {raw}")).contains("not 45 characters"));
        // The other forms `PublicKey::parse` accepts are not published forms.
        assert!(wrong(k.to_minisign().lines().nth(1).unwrap()).contains("not 56 characters"));
        assert!(wrong(&k.to_openssh("")).contains("characters"));
        // 44 characters that are not base64, or not padded.
        assert!(wrong(&format!("!{}", &raw[1..])).contains("not valid base64"));
        // 44 characters, 45 bytes: the length counts characters.
        assert!(wrong(&format!("é{}", &raw[1..])).contains("not valid base64"));
        assert!(wrong(&format!("{}A", &raw[..43])).contains("not of 33"));
        // The same 32 bytes with non-zero unused bits: a second text of one key.
        let sibling = (raw.as_bytes()[42] + 1) as char;
        let second = format!("{}{sibling}=", &raw[..42]);
        assert_eq!(STANDARD.decode(&second).ok(), None, "{second}");
        assert!(wrong(&second).contains("not valid base64"));
        // The point checks of `PublicKey::from_bytes`.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let text = |b: [u8; 32]| STANDARD.encode(b);
        assert_eq!(text(identity).parse::<RawKey>(), Err(KeyError::SmallOrder));
        let torsioned = (ED25519_BASEPOINT_POINT * Scalar::from(7u8) + EIGHT_TORSION[1])
            .compress()
            .to_bytes();
        assert_eq!(
            text(torsioned).parse::<RawKey>(),
            Err(KeyError::NotTorsionFree)
        );
        assert_eq!(
            text(non_canonical_bytes()).parse::<RawKey>(),
            Err(KeyError::NonCanonical)
        );
        // Through serde, with the reason.
        for (json, want) in [
            (format!("\"{}\"", text(identity)), "small order"),
            (format!("\"{}\"", &raw[..43]), "not 43 characters"),
            ("42".to_owned(), "standard base64 of its 32 bytes"),
            ("null".to_owned(), "standard base64 of its 32 bytes"),
        ] {
            let err = serde_json::from_str::<RawKey>(&json)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{json}: {err}");
        }
    }

    #[test]
    fn the_published_key_pattern_allows_exactly_the_digits_a_key_can_end_in() {
        let allowed = &RAW_KEY_PATTERN[RAW_KEY_PATTERN.find("{42}[").unwrap() + 5..][..16];
        let mut seen = std::collections::BTreeSet::new();
        for last in 0..=255u8 {
            let mut b = [0u8; 32];
            b[31] = last;
            let text = STANDARD.encode(b);
            assert_eq!(text.len(), RAW_KEY_CHARS);
            assert!(text.ends_with('='));
            seen.insert(text.as_bytes()[42]);
        }
        let mut want: Vec<u8> = allowed.bytes().collect();
        want.sort();
        assert_eq!(seen.into_iter().collect::<Vec<u8>>(), want);
    }

    #[test]
    fn identity_is_small_order() {
        let mut b = [0u8; 32];
        b[0] = 1;
        assert_eq!(PublicKey::from_bytes(&b), Err(KeyError::SmallOrder));
        let text = STANDARD.encode(b);
        assert_eq!(PublicKey::parse(&text), Err(KeyError::SmallOrder));
    }

    #[test]
    fn every_eight_torsion_point_is_small_order() {
        for p in EIGHT_TORSION {
            let b = p.compress().to_bytes();
            assert_eq!(
                PublicKey::from_bytes(&b),
                Err(KeyError::SmallOrder),
                "{b:?}"
            );
        }
    }

    #[test]
    fn non_canonical_is_rejected() {
        let b = non_canonical_bytes();
        // Precondition: the library really accepts this encoding.
        assert!(CompressedEdwardsY(b).decompress().is_some());
        assert_eq!(PublicKey::from_bytes(&b), Err(KeyError::NonCanonical));
        // Identity with the sign bit set (x = 0, "negative").
        let mut b = [0u8; 32];
        b[0] = 1;
        b[31] = 0x80;
        assert_eq!(PublicKey::from_bytes(&b), Err(KeyError::NonCanonical));
    }

    #[test]
    fn torsioned_key_is_rejected() {
        let p = ED25519_BASEPOINT_POINT * Scalar::from(7u8) + EIGHT_TORSION[1];
        let b = p.compress().to_bytes();
        assert_eq!(PublicKey::from_bytes(&b), Err(KeyError::NotTorsionFree));
        // Through every input format.
        let raw = STANDARD.encode(b);
        assert_eq!(PublicKey::parse(&raw), Err(KeyError::NotTorsionFree));
        let ssh = format!("ssh-ed25519 {}", STANDARD.encode(ssh_ed25519_blob(&b)));
        assert_eq!(PublicKey::parse(&ssh), Err(KeyError::NotTorsionFree));
        let mut m = b"Ed12345678".to_vec();
        m.extend_from_slice(&b);
        assert_eq!(
            PublicKey::parse(&STANDARD.encode(m)),
            Err(KeyError::NotTorsionFree)
        );
    }

    #[test]
    fn not_on_curve_is_malformed() {
        // y = 2 has no x on ed25519.
        let mut b = [0u8; 32];
        b[0] = 2;
        assert!(CompressedEdwardsY(b).decompress().is_none());
        assert!(matches!(
            PublicKey::from_bytes(&b),
            Err(KeyError::Malformed(m)) if m.contains("not a point")
        ));
    }

    #[test]
    fn other_ssh_types_are_unsupported() {
        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 me@host";
        match PublicKey::parse(rsa) {
            Err(KeyError::Unsupported(m)) => {
                assert!(m.contains("ssh-rsa") && m.contains("only ed25519"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNh";
        assert!(matches!(
            PublicKey::parse(ecdsa),
            Err(KeyError::Unsupported(m)) if m.contains("ecdsa-sha2-nistp256")
        ));
    }

    #[test]
    fn malformed_inputs_say_what_was_expected() {
        let k = PublicKey::from_bytes(&valid_key_bytes()).unwrap();
        let blob = STANDARD.encode(ssh_ed25519_blob(&k.bytes()));
        let mut rsa_blob = Vec::new();
        put_string(&mut rsa_blob, b"ssh-rsa");
        put_string(&mut rsa_blob, &[1; 32]);
        let mut long_blob = ssh_ed25519_blob(&k.bytes());
        long_blob.push(0);
        let cases = [
            ("", "empty"),
            ("   \n", "empty"),
            ("not-base64!", "not valid base64"),
            ("AAAA", "decodes to 3 bytes"),
            ("ssh-ed25519", "must be followed"),
            ("ssh-ed25519 %%%", "not valid base64"),
            (&format!("ssh-ed25519 {}", &blob[..20]), "truncated"),
            (
                &format!("ssh-ed25519 {}", STANDARD.encode(&long_blob)),
                "unexpected bytes",
            ),
            (
                &format!("ssh-ed25519 {}", STANDARD.encode(&rsa_blob)),
                "holds a `ssh-rsa` key",
            ),
            (&format!("from=\"x\" {blob}"), "starting with `ssh-ed25519`"),
            ("untrusted comment: x", "must have 2 lines"),
            ("untrusted comment: x\nRWQ=\nmore", "must have 2 lines"),
            ("untrusted comment: x\nAAAA", "decodes to 3 bytes"),
            ("untrusted comment: x\n#", "not valid base64"),
            (
                &format!("untrusted comment: x\n{}", STANDARD.encode([0; 158])),
                "SECRET key",
            ),
            ("-----BEGIN PUBLIC KEY-----\nMCow\n", "tail -c 32"),
            ("-----BEGIN OPENSSH PRIVATE KEY-----\n", "PRIVATE key"),
        ];
        for (input, want) in cases {
            match PublicKey::parse(input) {
                Err(KeyError::Malformed(m)) => assert!(m.contains(want), "{input:?}: {m}"),
                other => panic!("{input:?}: {other:?}"),
            }
        }
        // A minisign blob of another algorithm.
        let mut m = b"Xx12345678".to_vec();
        m.extend_from_slice(&k.bytes());
        assert!(matches!(
            PublicKey::parse(&STANDARD.encode(m)),
            Err(KeyError::Unsupported(_))
        ));
    }

    #[test]
    fn huge_input_gives_short_message() {
        let input = format!("ssh-{} AAAA", "x".repeat(100_000));
        let err = PublicKey::parse(&input).unwrap_err().to_string();
        assert!(err.len() < 400, "{}", err.len());
    }

    #[test]
    fn errors_explain_what_to_do() {
        for e in [
            KeyError::NonCanonical,
            KeyError::SmallOrder,
            KeyError::NotTorsionFree,
        ] {
            assert!(e.to_string().contains("ssh-keygen -t ed25519"), "{e}");
        }
        assert!(KeyError::SmallOrder.to_string().contains("many messages"));
    }

    #[test]
    fn ssh_reader_never_overflows() {
        let mut r = SshReader::new(&[0xff, 0xff, 0xff, 0xff, 1]);
        assert!(r.string("x").unwrap_err().contains("truncated"));
        let mut r = SshReader::new(&[0, 0]);
        assert!(r.u32("x").is_err());
    }

    #[test]
    fn dearmor_rejects_junk() {
        let good = armor("X", b"hello", 70);
        assert_eq!(dearmor(good.trim(), "X").unwrap(), b"hello");
        assert_eq!(
            dearmor(&good.trim().replace('\n', "\r\n"), "X").unwrap(),
            b"hello"
        );
        assert!(dearmor("-----BEGIN X-----\naGVsbG8=", "X").is_err());
        assert!(dearmor("-----BEGIN Y-----\naGVsbG8=\n-----END Y-----", "X").is_err());
        assert!(dearmor("-----BEGIN X-----\naGVsbG8=\n-----END X-----\nmore", "X").is_err());
        assert!(
            dearmor(
                "-----BEGIN X-----\nProc-Type: 4\naGVsbG8=\n-----END X-----",
                "X"
            )
            .is_err()
        );
    }
}
