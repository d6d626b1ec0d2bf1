//! Author signatures: detecting and parsing the three formats, and strict
//! verification.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::Signature;

use super::keys::{
    BlobError, PublicKey, SSH_ED25519, SshReader, armor, b64, clip, dearmor, minisign_id_display,
    parse_ssh_ed25519_blob, put_string, ssh_ed25519_blob, to_array,
};

/// The armour label of OpenSSH signatures.
const SSHSIG_LABEL: &str = "SSH SIGNATURE";
/// The SSHSIG magic preamble: 6 bytes, no length prefix.
const SSHSIG_MAGIC: &[u8; 6] = b"SSHSIG";
/// ssh-keygen wraps SSHSIG armour at 70 columns (sshbuf_dtob64), not 76.
const SSHSIG_WIDTH: usize = 70;
const TRUSTED_PREFIX: &str = "trusted comment: ";
const UNTRUSTED_PREFIX: &str = "untrusted comment:";

const ACCEPTED: &str = "expected the standard base64 of a 64-byte ed25519 signature, \
     a minisign signature (`untrusted comment: ...`, 4 lines), \
     or an OpenSSH signature (`-----BEGIN SSH SIGNATURE-----`)";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigFormat {
    Raw,
    Minisign,
    SshSig,
}

/// The message hash inside an SSHSIG signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SshHash {
    Sha256,
    Sha512,
}

impl SshHash {
    /// The name SSHSIG uses on the wire.
    pub fn name(self) -> &'static str {
        match self {
            SshHash::Sha256 => "sha256",
            SshHash::Sha512 => "sha512",
        }
    }

    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            SshHash::Sha256 => <sha2::Sha256 as sha2::Digest>::digest(message).to_vec(),
            SshHash::Sha512 => <sha2::Sha512 as sha2::Digest>::digest(message).to_vec(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorSignature {
    /// ed25519 over the message itself.
    Raw { sig: [u8; 64] },
    /// minisign `ED`: ed25519 over BLAKE2b-512(message), plus a global
    /// signature over `sig || trusted_comment`.
    Minisign {
        key_id: [u8; 8],
        sig: [u8; 64],
        trusted_comment: String,
        global_sig: [u8; 64],
    },
    /// OpenSSH SSHSIG with an ssh-ed25519 key.
    SshSig {
        public_key: [u8; 32],
        namespace: String,
        hash: SshHash,
        sig: [u8; 64],
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigError {
    #[error("malformed signature: {0}")]
    Malformed(String),
    #[error(
        "this is a legacy minisign signature (algorithm `Ed`, not prehashed), which plugdex \
         does not accept; re-sign with a current minisign, which prehashes by default: \
         `minisign -S -s KEY -m FILE` without `-l`"
    )]
    LegacyMinisign,
    #[error(
        "the minisign signature was made by key id {}, but the author's minisign key has id {}; \
         sign with the key whose public half is published, or publish the key that signed",
        minisign_id_display(.found),
        minisign_id_display(.expected)
    )]
    KeyIdMismatch { expected: [u8; 8], found: [u8; 8] },
    #[error(
        "the SSH signature was made by a different key than the author's; sign with the key \
         whose public half is published (`ssh-keygen -Y sign -f KEY ...`)"
    )]
    WrongKey,
    #[error(
        "the SSH signature is for namespace `{}`, expected `{}`; sign again with \
         `ssh-keygen -Y sign -n {} ...`",
        clip(.found),
        clip(.expected),
        clip(.expected)
    )]
    Namespace { expected: String, found: String },
    #[error(
        "the signature does not verify: it was made by another key, or the signed text \
         differs (a changed byte or line ending counts)"
    )]
    Invalid,
}

impl AuthorSignature {
    /// Detects the format: text starting (after trimming) with `untrusted
    /// comment:` is minisign, text containing `-----BEGIN SSH SIGNATURE-----`
    /// is SSHSIG, anything else must be raw base64 of 64 bytes (line breaks
    /// inside are ignored). Container lines may end in `\n` or `\r\n`.
    pub fn parse(text: &str) -> Result<AuthorSignature, SigError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SigError::Malformed(format!(
                "the signature is empty; {ACCEPTED}"
            )));
        }
        if text.starts_with(UNTRUSTED_PREFIX) {
            return parse_minisign(text);
        }
        if text.contains("-----BEGIN SSH SIGNATURE-----") {
            return parse_sshsig(text);
        }
        if text.starts_with("-----BEGIN") {
            let label = text.lines().next().unwrap_or_default();
            return Err(SigError::Malformed(format!(
                "unknown armour `{}`; {ACCEPTED}",
                clip(label)
            )));
        }
        // `base64` wraps at 76 columns and the signature is 88: join the lines.
        let compact: String = text.split_whitespace().collect();
        let bytes = b64(&compact).map_err(|e| {
            SigError::Malformed(format!(
                "the signature is not valid base64 ({e}); {ACCEPTED}"
            ))
        })?;
        if bytes.len() != 64 {
            return Err(SigError::Malformed(format!(
                "a raw ed25519 signature is 64 bytes, this one decodes to {}; {ACCEPTED}",
                bytes.len()
            )));
        }
        Ok(AuthorSignature::Raw {
            sig: to_array(&bytes),
        })
    }

    pub fn format(&self) -> SigFormat {
        match self {
            AuthorSignature::Raw { .. } => SigFormat::Raw,
            AuthorSignature::Minisign { .. } => SigFormat::Minisign,
            AuthorSignature::SshSig { .. } => SigFormat::SshSig,
        }
    }

    /// Verifies `message` under `key` with `verify_strict` only (it rejects
    /// S >= L and small-order R, so signatures cannot be malleated).
    /// `namespace` is only used by SSHSIG.
    pub fn verify(&self, key: &PublicKey, message: &[u8], namespace: &str) -> Result<(), SigError> {
        match self {
            AuthorSignature::Raw { sig } => strict(key, message, sig),
            AuthorSignature::Minisign {
                key_id,
                sig,
                trusted_comment,
                global_sig,
            } => {
                if let Some(expected) = key.minisign_id()
                    && expected != *key_id
                {
                    return Err(SigError::KeyIdMismatch {
                        expected,
                        found: *key_id,
                    });
                }
                strict(key, &minisign_prehash(message), sig)?;
                strict(
                    key,
                    &minisign_global_message(sig, trusted_comment),
                    global_sig,
                )
            }
            AuthorSignature::SshSig {
                public_key,
                namespace: found,
                hash,
                sig,
            } => {
                if *public_key != key.bytes() {
                    return Err(SigError::WrongKey);
                }
                if found != namespace {
                    return Err(SigError::Namespace {
                        expected: namespace.to_owned(),
                        found: found.clone(),
                    });
                }
                strict(key, &sshsig_signed_data(namespace, *hash, message), sig)
            }
        }
    }

    /// The text form, as the matching tool writes it; [`AuthorSignature::parse`] reads it back.
    pub fn to_text(&self) -> String {
        match self {
            AuthorSignature::Raw { sig } => STANDARD.encode(sig),
            AuthorSignature::Minisign {
                key_id,
                sig,
                trusted_comment,
                global_sig,
            } => {
                let mut line = b"ED".to_vec();
                line.extend_from_slice(key_id);
                line.extend_from_slice(sig);
                format!(
                    "untrusted comment: signature from plugdex secret key\n{}\n\
                     {TRUSTED_PREFIX}{trusted_comment}\n{}\n",
                    STANDARD.encode(line),
                    STANDARD.encode(global_sig)
                )
            }
            AuthorSignature::SshSig {
                public_key,
                namespace,
                hash,
                sig,
            } => {
                let mut blob = SSHSIG_MAGIC.to_vec();
                blob.extend_from_slice(&1u32.to_be_bytes());
                put_string(&mut blob, &ssh_ed25519_blob(public_key));
                put_string(&mut blob, namespace.as_bytes());
                put_string(&mut blob, b"");
                put_string(&mut blob, hash.name().as_bytes());
                let mut inner = Vec::with_capacity(83);
                put_string(&mut inner, SSH_ED25519.as_bytes());
                put_string(&mut inner, sig);
                put_string(&mut blob, &inner);
                armor(SSHSIG_LABEL, &blob, SSHSIG_WIDTH)
            }
        }
    }
}

fn strict(key: &PublicKey, message: &[u8], sig: &[u8; 64]) -> Result<(), SigError> {
    key.verifying_key()
        .verify_strict(message, &Signature::from_bytes(sig))
        .map_err(|_| SigError::Invalid)
}

/// What minisign `ED` signs: BLAKE2b-512 of the file.
pub(super) fn minisign_prehash(message: &[u8]) -> [u8; 64] {
    to_array(&<blake2::Blake2b512 as blake2::Digest>::digest(message))
}

/// What the minisign global signature covers: the signature, then the trusted comment.
pub(super) fn minisign_global_message(sig: &[u8; 64], trusted_comment: &str) -> Vec<u8> {
    let mut m = sig.to_vec();
    m.extend_from_slice(trusted_comment.as_bytes());
    m
}

/// What an SSHSIG signature covers.
pub(super) fn sshsig_signed_data(namespace: &str, hash: SshHash, message: &[u8]) -> Vec<u8> {
    let mut d = SSHSIG_MAGIC.to_vec();
    put_string(&mut d, namespace.as_bytes());
    put_string(&mut d, b"");
    put_string(&mut d, hash.name().as_bytes());
    put_string(&mut d, &hash.digest(message));
    d
}

fn parse_minisign(text: &str) -> Result<AuthorSignature, SigError> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() != 4 {
        return Err(SigError::Malformed(format!(
            "a minisign signature must have 4 lines: `untrusted comment: ...`, the base64 \
             signature, `trusted comment: ...`, and the base64 global signature; found {} lines{}",
            lines.len(),
            if lines.len() == 2 {
                " (2 lines is a minisign key file, not a signature)"
            } else {
                ""
            }
        )));
    }
    let sig_line = minisign_line(
        lines[1],
        "line 2",
        "",
        74,
        " (algorithm, 8-byte key id, 64-byte signature)",
    )?;
    match &sig_line[..2] {
        b"ED" => {}
        b"Ed" => return Err(SigError::LegacyMinisign),
        other => {
            return Err(SigError::Malformed(format!(
                "unknown minisign signature algorithm `{}`; expected `ED` (prehashed ed25519)",
                String::from_utf8_lossy(other).escape_debug()
            )));
        }
    }
    let Some(trusted_comment) = lines[2].strip_prefix(TRUSTED_PREFIX) else {
        return Err(SigError::Malformed(format!(
            "line 3 of a minisign signature must start with `{TRUSTED_PREFIX}`"
        )));
    };
    let global = minisign_line(lines[3], "line 4", " (the global signature)", 64, "")?;
    Ok(AuthorSignature::Minisign {
        key_id: to_array(&sig_line[2..10]),
        sig: to_array(&sig_line[10..74]),
        trusted_comment: trusted_comment.to_owned(),
        global_sig: to_array(&global),
    })
}

fn parse_sshsig(text: &str) -> Result<AuthorSignature, SigError> {
    let m = |e: String| SigError::Malformed(format!("SSH signature: {e}"));
    let blob = dearmor(text, SSHSIG_LABEL).map_err(m)?;
    let mut r = SshReader::new(&blob);
    if r.take(6, "the SSHSIG magic").map_err(m)? != SSHSIG_MAGIC {
        return Err(m("the data does not start with `SSHSIG`".into()));
    }
    let version = r.u32("the version").map_err(m)?;
    if version != 1 {
        return Err(m(format!(
            "version {version}; plugdex reads version 1, what ssh-keygen writes"
        )));
    }
    let key_blob = r.string("the public key").map_err(m)?;
    let public_key = match parse_ssh_ed25519_blob(key_blob) {
        Ok(k) => k,
        Err(BlobError::Unsupported(t)) => {
            return Err(m(format!(
                "made with a `{}` key; plugdex accepts only ed25519 keys \
                 (`ssh-keygen -t ed25519`)",
                clip(&t)
            )));
        }
        Err(BlobError::Malformed(e)) => return Err(m(e)),
    };
    let namespace = r.string("the namespace").map_err(m)?;
    let namespace = std::str::from_utf8(namespace)
        .map_err(|_| m("the namespace is not UTF-8".into()))?
        .to_owned();
    if !r.string("the reserved field").map_err(m)?.is_empty() {
        return Err(m("the reserved field must be empty".into()));
    }
    let hash = match r.string("the hash algorithm").map_err(m)? {
        b"sha256" => SshHash::Sha256,
        b"sha512" => SshHash::Sha512,
        other => {
            return Err(m(format!(
                "hash algorithm `{}`; expected sha256 or sha512",
                clip(&String::from_utf8_lossy(other))
            )));
        }
    };
    let inner = r.string("the signature").map_err(m)?;
    r.finish("the signature").map_err(m)?;
    let mut r = SshReader::new(inner);
    let kind = r.string("the signature type").map_err(m)?;
    if kind != SSH_ED25519.as_bytes() {
        return Err(m(format!(
            "signature type `{}`; expected ssh-ed25519",
            clip(&String::from_utf8_lossy(kind))
        )));
    }
    let sig = r.string("the ed25519 signature").map_err(m)?;
    if sig.len() != 64 {
        return Err(m(format!(
            "an ed25519 signature is 64 bytes, this one is {}",
            sig.len()
        )));
    }
    r.finish("the ed25519 signature").map_err(m)?;
    Ok(AuthorSignature::SshSig {
        public_key,
        namespace,
        hash,
        sig: to_array(sig),
    })
}

/// Decodes one base64 line of a minisign signature, which must decode to
/// `len` bytes. `label` follows "signature" in messages, `layout` follows the length.
fn minisign_line(
    line: &str,
    which: &str,
    label: &str,
    len: usize,
    layout: &str,
) -> Result<Vec<u8>, SigError> {
    let bytes = b64(line.trim()).map_err(|e| {
        SigError::Malformed(format!(
            "{which} of the minisign signature{label} is not valid base64 ({e})"
        ))
    })?;
    if bytes.len() != len {
        return Err(SigError::Malformed(format!(
            "{which} of a minisign signature{label} decodes to {len} bytes{layout}; this one decodes to {}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Why no key verified a signature.
#[derive(Debug, PartialEq, Eq)]
pub enum NoSigner {
    /// There was no key to try.
    NoKeys,
    /// The most telling failure among the keys tried: a wrong namespace or a
    /// legacy minisign signature says more than "does not verify".
    Refused(SigError),
    /// Each key was tried; the signature is by none of them.
    NoneVerifies,
}

/// The first of `keys` that `verify` accepts (a signature check, or a cache
/// of earlier ones), or why none does. The one search for an owner's key:
/// `check` and `plugdex verify` agree on which key signed.
pub fn find_signer(
    keys: &[PublicKey],
    mut verify: impl FnMut(&PublicKey) -> Result<(), SigError>,
) -> Result<&PublicKey, NoSigner> {
    if keys.is_empty() {
        return Err(NoSigner::NoKeys);
    }
    let mut telling = None;
    for key in keys {
        match verify(key) {
            Ok(()) => return Ok(key),
            Err(SigError::Invalid | SigError::WrongKey | SigError::KeyIdMismatch { .. }) => {}
            Err(e) => {
                telling.get_or_insert(e);
            }
        }
    }
    Err(telling.map_or(NoSigner::NoneVerifies, NoSigner::Refused))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::secret::SecretKey;

    const NS: &str = "plugdex";

    fn key() -> SecretKey {
        SecretKey::from_seed([9; 32])
    }

    fn all_formats(sk: &SecretKey, msg: &[u8]) -> Vec<AuthorSignature> {
        [
            sk.sign_raw(msg),
            sk.sign_minisign(msg, "plugin demo 1.0.0"),
            sk.sign_sshsig(msg, NS),
        ]
        .iter()
        .map(|t| AuthorSignature::parse(t).unwrap())
        .collect()
    }

    #[test]
    fn every_format_round_trips_and_verifies() {
        let sk = key();
        let pk = sk.public();
        let msg = b"name = \"demo\"\nversion = \"1.0.0\"\n";
        let sigs = all_formats(&sk, msg);
        let formats: Vec<_> = sigs.iter().map(AuthorSignature::format).collect();
        assert_eq!(
            formats,
            [SigFormat::Raw, SigFormat::Minisign, SigFormat::SshSig]
        );
        for s in &sigs {
            assert_eq!(s.verify(&pk, msg, NS), Ok(()), "{s:?}");
            assert_eq!(&AuthorSignature::parse(&s.to_text()).unwrap(), s);
        }
    }

    #[test]
    fn message_a_does_not_verify_message_b() {
        let sk = key();
        for s in all_formats(&sk, b"message A") {
            assert_eq!(
                s.verify(&sk.public(), b"message B", NS),
                Err(SigError::Invalid)
            );
        }
    }

    #[test]
    fn another_key_does_not_verify() {
        let sk = key();
        let other = SecretKey::from_seed([10; 32]).public();
        let sigs = all_formats(&sk, b"m");
        assert_eq!(sigs[0].verify(&other, b"m", NS), Err(SigError::Invalid));
        // A raw-format key has no minisign id to compare, so only the math decides.
        assert_eq!(sigs[1].verify(&other, b"m", NS), Err(SigError::Invalid));
        assert_eq!(sigs[2].verify(&other, b"m", NS), Err(SigError::WrongKey));
    }

    #[test]
    fn crlf_in_the_message_fails() {
        let sk = key();
        let lf = b"a = 1\nb = 2\n";
        let crlf = b"a = 1\r\nb = 2\r\n";
        for s in all_formats(&sk, lf) {
            assert_eq!(s.verify(&sk.public(), crlf, NS), Err(SigError::Invalid));
        }
    }

    #[test]
    fn crlf_armour_is_accepted() {
        let sk = key();
        for t in [
            sk.sign_minisign(b"m", "c"),
            sk.sign_sshsig(b"m", NS),
            format!("{}\r\n", sk.sign_raw(b"m")),
            // As `base64` wraps it, at 76 columns.
            {
                let raw = sk.sign_raw(b"m");
                format!("{}\n{}\n", &raw[..76], &raw[76..])
            },
        ] {
            let s = AuthorSignature::parse(&t.replace('\n', "\r\n")).unwrap();
            assert_eq!(s.verify(&sk.public(), b"m", NS), Ok(()));
        }
    }

    /// S + L: same signature to a lax verifier, rejected by verify_strict.
    #[test]
    fn malleated_signature_is_rejected() {
        // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let sk = key();
        let msg = b"m";
        let mut sig = sk.sign_bytes(msg);
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
            sig[32 + i] = v as u8;
            carry = v >> 8;
        }
        // S < L < 2^253, so S + L < 2^254 fits in 32 bytes.
        assert_eq!(carry, 0);
        // It is the same scalar mod L, so [S]B is unchanged: a real malleation.
        let scalar =
            |b: &[u8]| curve25519_dalek::scalar::Scalar::from_bytes_mod_order(to_array(&b[32..64]));
        assert_eq!(scalar(&sig), scalar(&sk.sign_bytes(msg)));
        let s = AuthorSignature::Raw { sig };
        assert_eq!(s.verify(&sk.public(), msg, NS), Err(SigError::Invalid));
        let good = AuthorSignature::Raw {
            sig: sk.sign_bytes(msg),
        };
        assert_eq!(good.verify(&sk.public(), msg, NS), Ok(()));
    }

    #[test]
    fn minisign_key_id_mismatch() {
        let sk = key();
        let text = sk.sign_minisign(b"m", "c");
        // The same key, published as a minisign key with another id.
        let mut pub_bytes = b"Ed".to_vec();
        pub_bytes.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        pub_bytes.extend_from_slice(&sk.public().bytes());
        let pk = PublicKey::parse(&STANDARD.encode(pub_bytes)).unwrap();
        let s = AuthorSignature::parse(&text).unwrap();
        let err = s.verify(&pk, b"m", NS).unwrap_err();
        assert_eq!(
            err,
            SigError::KeyIdMismatch {
                expected: [1, 2, 3, 4, 5, 6, 7, 8],
                found: sk.public().minisign_id_or_derived(),
            }
        );
        assert!(err.to_string().contains("807060504030201"), "{err}"); // minisign does not zero-pad ids
        // With the matching minisign key it verifies.
        let pk = PublicKey::parse(&sk.public().to_minisign()).unwrap();
        assert_eq!(s.verify(&pk, b"m", NS), Ok(()));
    }

    #[test]
    fn minisign_trusted_comment_is_signed() {
        let sk = key();
        let text = sk.sign_minisign(b"m", "version 1.0.0");
        let edited = text.replace("version 1.0.0", "version 6.6.6");
        let s = AuthorSignature::parse(&edited).unwrap();
        assert_eq!(s.verify(&sk.public(), b"m", NS), Err(SigError::Invalid));
    }

    #[test]
    fn minisign_legacy_is_refused() {
        let sk = key();
        let text = sk.sign_minisign(b"m", "c");
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let mut bytes = b64(&lines[1]).unwrap();
        bytes[1] = b'd';
        lines[1] = STANDARD.encode(bytes);
        let err = AuthorSignature::parse(&lines.join("\n")).unwrap_err();
        assert_eq!(err, SigError::LegacyMinisign);
        assert!(err.to_string().contains("without `-l`"));
    }

    #[test]
    fn sshsig_wrong_namespace() {
        let sk = key();
        let s = AuthorSignature::parse(&sk.sign_sshsig(b"m", "file")).unwrap();
        let err = s.verify(&sk.public(), b"m", NS).unwrap_err();
        assert_eq!(
            err,
            SigError::Namespace {
                expected: NS.into(),
                found: "file".into()
            }
        );
        assert!(err.to_string().contains("-n plugdex"), "{err}");
    }

    #[test]
    fn sshsig_armour_matches_ssh_keygen() {
        let text = key().sign_sshsig(b"m", "file");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "-----BEGIN SSH SIGNATURE-----");
        assert_eq!(lines.last(), Some(&"-----END SSH SIGNATURE-----"));
        assert!(lines[1..lines.len() - 2].iter().all(|l| l.len() == 70));
        assert!(lines[1].starts_with("U1NIU0lH"));
        assert!(text.ends_with("-----\n"));
    }

    /// Output of `ssh-keygen -Y sign -n file` over "hello world\n".
    const SSH_KEYGEN_PUB: &str = "ssh-ed25519 \
        AAAAC3NzaC1lZDI1NTE5AAAAIGF85rXABQ7dXqZCsN6H/YU+aV5THRmqFuz2lDgWGuwR me@example";
    const SSH_KEYGEN_SIG: &str = "-----BEGIN SSH SIGNATURE-----
U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgYXzmtcAFDt1epkKw3of9hT5pXl
MdGaoW7PaUOBYa7BEAAAAEZmlsZQAAAAAAAAAGc2hhNTEyAAAAUwAAAAtzc2gtZWQyNTUx
OQAAAED1yIgFbhC/yFDJ6Ima++MNwFyeVgJ1zhaH7HUvKT6KULQsDbhtXEMHVDtIFCwxn2
fHRMlKwTNLowe3GeA2aMwO
-----END SSH SIGNATURE-----
";

    #[test]
    fn sshsig_from_ssh_keygen() {
        let pk = PublicKey::parse(SSH_KEYGEN_PUB).unwrap();
        let s = AuthorSignature::parse(SSH_KEYGEN_SIG).unwrap();
        assert_eq!(s.verify(&pk, b"hello world\n", "file"), Ok(()));
        assert_eq!(
            s.verify(&pk, b"hello world\r\n", "file"),
            Err(SigError::Invalid)
        );
        // ed25519 is deterministic, and the encoding is exactly ssh-keygen's.
        assert_eq!(s.to_text(), SSH_KEYGEN_SIG);
    }

    /// Output of `minisign -S` over "hello world\n".
    const MINISIGN_PUB: &str = "RWReI6E6nCLnr8yOAjXT6jiayTZGy3ZF7edRSCM4aT/AYw7AVZhRItDa";
    const MINISIGN_SIG: &str = "untrusted comment: signature from minisign secret key
RUReI6E6nCLnryQKr/y7MTv2wyBbFt6Nc0+wHxWTSTZL/ZQtNercMVVGvy4NP/P8cxj2y2jAFaTZ1Frg26JLyMgCX6uYCrkhRAQ=
trusted comment: timestamp:1795308922\tfile:msg\thashed
FJUGdPrR164q/xPHS1jWn8lgGCKHt22o5XTNX0DVX2XlOzCwzBjSPoAEw4sVUinoGQ8S1ejMFNHqOLk+FMBACA==
";

    #[test]
    fn minisign_from_minisign() {
        let pk = PublicKey::parse(MINISIGN_PUB).unwrap();
        let s = AuthorSignature::parse(MINISIGN_SIG).unwrap();
        assert_eq!(s.verify(&pk, b"hello world\n", ""), Ok(()));
        assert_eq!(s.verify(&pk, b"hello world", ""), Err(SigError::Invalid));
    }

    #[test]
    fn sshsig_sha256_verifies() {
        let sk = key();
        let pk = sk.public();
        let msg = b"m";
        let data = sshsig_signed_data(NS, SshHash::Sha256, msg);
        let s = AuthorSignature::SshSig {
            public_key: pk.bytes(),
            namespace: NS.into(),
            hash: SshHash::Sha256,
            sig: sk.sign_bytes(&data),
        };
        let s = AuthorSignature::parse(&s.to_text()).unwrap();
        assert_eq!(s.verify(&pk, msg, NS), Ok(()));
        // A signature made for sha512 does not pass as sha256.
        let AuthorSignature::SshSig { sig, .. } =
            AuthorSignature::parse(&sk.sign_sshsig(msg, NS)).unwrap()
        else {
            unreachable!()
        };
        let s = AuthorSignature::SshSig {
            public_key: pk.bytes(),
            namespace: NS.into(),
            hash: SshHash::Sha256,
            sig,
        };
        assert_eq!(s.verify(&pk, msg, NS), Err(SigError::Invalid));
    }

    /// An SSHSIG blob field by field, to craft broken ones.
    struct Blob<'a> {
        magic: &'a [u8],
        version: u32,
        key: Vec<u8>,
        ns: &'a [u8],
        reserved: &'a [u8],
        hash: &'a [u8],
        sig_type: &'a [u8],
        sig: &'a [u8],
    }

    impl Blob<'_> {
        fn good() -> Self {
            Blob {
                magic: b"SSHSIG",
                version: 1,
                key: ssh_ed25519_blob(&key().public().bytes()),
                ns: b"n",
                reserved: b"",
                hash: b"sha512",
                sig_type: b"ssh-ed25519",
                sig: &[7; 64],
            }
        }

        fn armor(&self) -> String {
            let mut blob = self.magic.to_vec();
            blob.extend_from_slice(&self.version.to_be_bytes());
            put_string(&mut blob, &self.key);
            put_string(&mut blob, self.ns);
            put_string(&mut blob, self.reserved);
            put_string(&mut blob, self.hash);
            let mut inner = Vec::new();
            put_string(&mut inner, self.sig_type);
            put_string(&mut inner, self.sig);
            put_string(&mut blob, &inner);
            armor(SSHSIG_LABEL, &blob, 70)
        }
    }

    #[test]
    fn malformed_sshsig_says_what_is_wrong() {
        let mut rsa = Vec::new();
        put_string(&mut rsa, b"ssh-rsa");
        put_string(&mut rsa, &[1; 32]);
        let good = Blob::good;
        let cases: Vec<(String, &str)> = vec![
            (
                Blob {
                    magic: b"SSHSIX",
                    ..good()
                }
                .armor(),
                "does not start with `SSHSIG`",
            ),
            (
                Blob {
                    version: 2,
                    ..good()
                }
                .armor(),
                "version 2",
            ),
            (Blob { key: rsa, ..good() }.armor(), "`ssh-rsa` key"),
            (
                Blob {
                    ns: b"\xff",
                    ..good()
                }
                .armor(),
                "not UTF-8",
            ),
            (
                Blob {
                    reserved: b"x",
                    ..good()
                }
                .armor(),
                "reserved field must be empty",
            ),
            (
                Blob {
                    hash: b"md5",
                    ..good()
                }
                .armor(),
                "hash algorithm `md5`",
            ),
            (
                Blob {
                    sig_type: b"rsa-sha2-512",
                    ..good()
                }
                .armor(),
                "signature type `rsa-sha2-512`",
            ),
            (
                Blob {
                    sig: &[7; 63],
                    ..good()
                }
                .armor(),
                "64 bytes, this one is 63",
            ),
            (
                armor(SSHSIG_LABEL, b"SSHSIG\0\0", 70),
                "truncated: the version",
            ),
            (
                "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n".into(),
                "missing the closing",
            ),
            (
                "junk -----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----".into(),
                "first line",
            ),
        ];
        // The baseline parses, so each case fails for its one change.
        assert!(AuthorSignature::parse(&good().armor()).is_ok());
        assert_each_malformed(&cases);
    }

    /// Each text fails to parse with a `Malformed` message containing its `want`.
    fn assert_each_malformed(cases: &[(String, &str)]) {
        for (text, want) in cases {
            match AuthorSignature::parse(text) {
                Err(SigError::Malformed(m)) => assert!(m.contains(want), "{want}: {m}"),
                other => panic!("{want}: {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_minisign_and_raw_say_what_is_wrong() {
        let good = key().sign_minisign(b"m", "c");
        let lines: Vec<&str> = good.lines().collect();
        let with = |i: usize, s: &str| {
            let mut l = lines.clone();
            l[i] = s;
            l.join("\n")
        };
        let cases = [
            (String::new(), "empty"),
            (lines[..3].join("\n"), "must have 4 lines"),
            (format!("{good}extra\n"), "must have 4 lines"),
            (
                with(1, "%%"),
                "line 2 of the minisign signature is not valid base64",
            ),
            (with(1, "AAAA"), "decodes to 3"),
            (
                with(1, &STANDARD.encode([b'X'; 74])),
                "unknown minisign signature algorithm",
            ),
            (
                with(2, "trusted comment:x"),
                "must start with `trusted comment: `",
            ),
            (with(3, "%%"), "line 4"),
            (
                with(3, "AAAA"),
                "decodes to 64 bytes; this one decodes to 3",
            ),
            ("%%%".into(), "not valid base64"),
            ("AAAA".into(), "64 bytes, this one decodes to 3"),
            ("-----BEGIN PGP SIGNATURE-----\n".into(), "unknown armour"),
        ];
        assert_each_malformed(&cases);
    }

    /// Every truncation and single-character change of valid inputs gives a
    /// value or a typed error, never a panic.
    #[test]
    fn mangled_inputs_never_panic() {
        let sk = key();
        let pk = sk.public();
        let texts = [
            sk.sign_raw(b"m"),
            sk.sign_minisign(b"m", "c"),
            sk.sign_sshsig(b"m", NS),
            pk.to_raw_base64(),
            pk.to_minisign(),
            pk.to_openssh("c"),
            sk.to_pkcs8_pem(),
            MINISIGN_SIG.to_owned(),
            SSH_KEYGEN_SIG.to_owned(),
        ];
        let mut variants = Vec::new();
        for t in &texts {
            for (i, _) in t.char_indices() {
                variants.push(t[..i].to_owned());
                for c in ['A', '\n'] {
                    let mut v = t.clone();
                    v.replace_range(i..i + 1, &c.to_string());
                    variants.push(v);
                }
            }
        }
        // verify() is slow in debug builds; a sample of each format is enough.
        let parsed = variants
            .iter()
            .filter_map(|v| AuthorSignature::parse(v).ok());
        for s in parsed.step_by(25) {
            let _ = s.verify(&pk, b"m", NS);
        }
        for v in &variants {
            let _ = PublicKey::parse(v);
            let _ = SecretKey::parse(v);
        }
    }

    #[test]
    fn invalid_message_explains() {
        assert!(SigError::Invalid.to_string().contains("another key"));
    }
}
