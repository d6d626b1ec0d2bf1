//! Secret keys: generating, reading the files authors have (openssl PKCS#8,
//! OpenSSH, a base64 seed; with the generator, also passphrase-protected
//! PKCS#8 and OpenSSH keys), and signing in all three formats. Decoded
//! secrets are wiped with `zeroize`, which the compiler may not elide.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer as _, SigningKey};
use zeroize::{Zeroize as _, Zeroizing};

use super::keys::{
    BlobError, PublicKey, SSH_ED25519, SshReader, armor, b64, clip, dearmor,
    parse_ssh_ed25519_blob, to_array,
};
use super::signature::{
    AuthorSignature, SshHash, minisign_global_message, minisign_prehash, sshsig_signed_data,
};

/// DER of an ed25519 PKCS#8 v1 private key up to the 32-byte seed.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// The ed25519 AlgorithmIdentifier body: OID 1.3.101.112, no parameters.
const ED25519_ALG: [u8; 5] = [0x06, 0x03, 0x2b, 0x65, 0x70];
const OPENSSH_MAGIC: &[u8; 15] = b"openssh-key-v1\0";

const ACCEPTED: &str = "expected a PKCS#8 PEM key (`-----BEGIN PRIVATE KEY-----`, from \
     `openssl genpkey -algorithm ed25519` or `plugdex keygen`), an OpenSSH key \
     (`-----BEGIN OPENSSH PRIVATE KEY-----`), or the standard base64 of a 32-byte ed25519 seed";

/// An ed25519 signing key. The seed is wiped from memory on drop.
pub struct SecretKey(SigningKey);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretKeyError {
    #[error("malformed secret key: {0}")]
    Malformed(String),
    #[error("unsupported secret key: {0}")]
    Unsupported(String),
    #[error("the secret key is encrypted: {0}")]
    Encrypted(String),
    #[error("cannot decrypt the secret key: {0}")]
    Decrypt(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// A secret key file that could not be read or written; always names the file.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("cannot read secret key `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}`: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: SecretKeyError,
    },
    #[error(
        "`{}` already exists; plugdex never overwrites a secret key: move it away or pick \
         another path",
        path.display()
    )]
    Exists { path: PathBuf },
    #[error("cannot write secret key `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl SecretKey {
    /// A new key from the operating system's random number generator.
    ///
    /// # Panics
    /// If that generator fails, which leaves nothing safe to sign with; use
    /// [`SecretKey::try_generate`] to handle it.
    pub fn generate() -> SecretKey {
        match SecretKey::try_generate() {
            Ok(k) => k,
            Err(e) => panic!("{e}"),
        }
    }

    pub fn try_generate() -> Result<SecretKey, SecretKeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| SecretKeyError::Random(e.to_string()))?;
        let key = SecretKey::from_seed(seed);
        seed.zeroize();
        Ok(key)
    }

    /// Deterministic, for demo keys and tests.
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(&seed))
    }

    pub fn public(&self) -> PublicKey {
        // A key derived from a seed is B times a clamped scalar: canonical,
        // torsion-free and of large order, so the strict checks pass.
        match PublicKey::from_bytes(&self.0.verifying_key().to_bytes()) {
            Ok(k) => k,
            Err(e) => unreachable!("derived public key failed the strict checks: {e}"),
        }
    }

    /// PKCS#8 PEM, which `openssl pkeyutl -sign -inkey` reads.
    pub fn to_pkcs8_pem(&self) -> String {
        let mut der = Zeroizing::new(PKCS8_PREFIX.to_vec());
        der.extend_from_slice(self.0.as_bytes());
        armor("PRIVATE KEY", &der, 64)
    }

    /// Reads PKCS#8 PEM ed25519 keys, unencrypted OpenSSH private keys, or
    /// the standard base64 of the 32-byte seed on one line (for CI secrets).
    /// An encrypted key is refused with what to do: see [`SecretKey::parse_with`].
    pub fn parse(text: &str) -> Result<SecretKey, SecretKeyError> {
        SecretKey::parse_with(text, &|| None)
    }

    /// [`SecretKey::parse`], and with the generator also encrypted PKCS#8
    /// (`-----BEGIN ENCRYPTED PRIVATE KEY-----`, PBES2) and OpenSSH keys
    /// (bcrypt KDF), decrypted with the passphrase `passphrase` gives; it is
    /// asked only for an encrypted key.
    pub fn parse_with(text: &str, passphrase: Passphrase<'_>) -> Result<SecretKey, SecretKeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SecretKeyError::Malformed(format!(
                "the key is empty; {ACCEPTED}"
            )));
        }
        let first = text.lines().next().unwrap_or_default().trim();
        match first {
            "-----BEGIN OPENSSH PRIVATE KEY-----" => {
                return match parse_openssh(text) {
                    Err(SecretKeyError::Encrypted(why)) => {
                        encrypted::openssh(text, passphrase, why)
                    }
                    parsed => parsed,
                };
            }
            "-----BEGIN PRIVATE KEY-----" => return parse_pkcs8(text),
            "-----BEGIN ENCRYPTED PRIVATE KEY-----" => {
                return encrypted::pkcs8(
                    text,
                    passphrase,
                    "decrypt a copy with `openssl pkey -in KEY.pem -out plain.pem` (it asks \
                     for the passphrase) and keep that copy private"
                        .into(),
                );
            }
            _ => {}
        }
        if first.starts_with("-----BEGIN") {
            return Err(SecretKeyError::Unsupported(format!(
                "`{}` is not an ed25519 private key in a form plugdex reads; {ACCEPTED}",
                clip(first)
            )));
        }
        if first.starts_with("untrusted comment:") {
            return Err(SecretKeyError::Unsupported(
                "plugdex does not read minisign secret keys; sign with \
                 `minisign -S -s KEY -m FILE` and give plugdex the `.minisig` file"
                    .into(),
            ));
        }
        if first.starts_with("ssh-") {
            return Err(SecretKeyError::Malformed(
                "this is an OpenSSH public key; give plugdex the private key file \
                 (the one without `.pub`)"
                    .into(),
            ));
        }
        let bytes = Zeroizing::new(b64(text).map_err(|e| {
            SecretKeyError::Malformed(format!("the key is not valid base64 ({e}); {ACCEPTED}"))
        })?);
        match bytes.len() {
            32 => Ok(SecretKey::from_seed(to_array(&bytes))),
            n => Err(SecretKeyError::Malformed(format!(
                "a base64 seed must decode to 32 bytes, this one decodes to {n}; {ACCEPTED}"
            ))),
        }
    }

    /// Reads and parses a key file; errors name the file.
    pub fn read_file(path: &Path) -> Result<SecretKey, SecretFileError> {
        SecretKey::read_file_with(path, &|| None)
    }

    /// [`SecretKey::read_file`] with a passphrase for an encrypted key.
    pub fn read_file_with(
        path: &Path,
        passphrase: Passphrase<'_>,
    ) -> Result<SecretKey, SecretFileError> {
        let bytes =
            Zeroizing::new(std::fs::read(path).map_err(|source| SecretFileError::Read {
                path: path.to_owned(),
                source,
            })?);
        let parsed = match std::str::from_utf8(&bytes) {
            Ok(text) => SecretKey::parse_with(text, passphrase),
            Err(_) => Err(SecretKeyError::Malformed(format!(
                "the file is not text; {ACCEPTED}"
            ))),
        };
        parsed.map_err(|source| SecretFileError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes the key as PKCS#8 PEM to a new file (mode 0600 on Unix); an
    /// existing file is never overwritten.
    pub fn write_file(&self, path: &Path) -> Result<(), SecretFileError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                SecretFileError::Exists {
                    path: path.to_owned(),
                }
            } else {
                SecretFileError::Write {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        let pem = self.to_pkcs8_pem();
        file.write_all(pem.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|source| SecretFileError::Write {
                path: path.to_owned(),
                source,
            })
    }

    /// Standard base64 of the 64-byte ed25519 signature over `message`.
    pub fn sign_raw(&self, message: &[u8]) -> String {
        AuthorSignature::Raw {
            sig: self.sign_bytes(message),
        }
        .to_text()
    }

    /// A complete `.minisig` (prehashed `ED`), with the key id of
    /// [`PublicKey::to_minisign`]. Line breaks in `trusted_comment` become
    /// spaces: the format has one line for it.
    pub fn sign_minisign(&self, message: &[u8], trusted_comment: &str) -> String {
        let trusted_comment = trusted_comment.replace(['\r', '\n'], " ");
        let sig = self.sign_bytes(&minisign_prehash(message));
        let global_sig = self.sign_bytes(&minisign_global_message(&sig, &trusted_comment));
        AuthorSignature::Minisign {
            key_id: self.public().minisign_id_or_derived(),
            sig,
            trusted_comment,
            global_sig,
        }
        .to_text()
    }

    /// An armored SSHSIG (sha512), as `ssh-keygen -Y sign -n namespace` writes it.
    pub fn sign_sshsig(&self, message: &[u8], namespace: &str) -> String {
        let data = sshsig_signed_data(namespace, SshHash::Sha512, message);
        AuthorSignature::SshSig {
            public_key: self.public().bytes(),
            namespace: namespace.to_owned(),
            hash: SshHash::Sha512,
            sig: self.sign_bytes(&data),
        }
        .to_text()
    }

    /// The raw 64-byte ed25519 signature, for registry metadata.
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

/// Shows only the public fingerprint, never the seed.
impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public().fingerprint())
    }
}

fn malformed(e: String) -> SecretKeyError {
    SecretKeyError::Malformed(e)
}

fn parse_pkcs8(text: &str) -> Result<SecretKey, SecretKeyError> {
    parse_armoured(text, "PRIVATE KEY", "PKCS#8 key", parse_pkcs8_der)
}

/// Dearmours a `label` block, parses its bytes with `parse`, names `what`
/// in malformed-key messages, and wipes the decoded secret either way.
fn parse_armoured(
    text: &str,
    label: &str,
    what: &str,
    parse: fn(&[u8]) -> Result<SecretKey, SecretKeyError>,
) -> Result<SecretKey, SecretKeyError> {
    let m = |e: String| malformed(format!("{what}: {e}"));
    let bytes = Zeroizing::new(dearmor(text, label).map_err(m)?);
    parse(&bytes).map_err(|e| match e {
        SecretKeyError::Malformed(e) => m(e),
        other => other,
    })
}

/// OneAsymmetricKey (RFC 5958): v1 as openssl writes it, or v2 with the
/// public key, which must then match the seed.
fn parse_pkcs8_der(der: &[u8]) -> Result<SecretKey, SecretKeyError> {
    let mut outer = Der(der);
    let body = outer.expect(0x30, "the outer SEQUENCE")?;
    outer.finish("the outer SEQUENCE")?;
    let mut r = Der(body);
    let version = r.expect(0x02, "the version")?;
    if version != [0] && version != [1] {
        return Err(malformed(format!(
            "version {version:02x?}; expected 0 or 1"
        )));
    }
    let alg = r.expect(0x30, "the algorithm")?;
    if alg != ED25519_ALG {
        let name = match alg.get(2..) {
            Some([0x2b, 0x65, 0x71, ..]) => "Ed448",
            Some([0x2b, 0x65, 0x6e, ..]) => "X25519",
            Some([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, ..]) => "RSA",
            Some([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, ..]) => "EC",
            _ => "not ed25519",
        };
        return Err(SecretKeyError::Unsupported(format!(
            "the PKCS#8 key's algorithm is {name}; plugdex signs only with ed25519 keys \
             (`openssl genpkey -algorithm ed25519`)"
        )));
    }
    let octets = r.expect(0x04, "the private key")?;
    let mut inner = Der(octets);
    let seed = inner.expect(0x04, "the ed25519 seed")?;
    inner.finish("the ed25519 seed")?;
    if seed.len() != 32 {
        return Err(malformed(format!(
            "an ed25519 seed is 32 bytes, this one is {}",
            seed.len()
        )));
    }
    let key = SecretKey::from_seed(to_array(seed));
    while !r.0.is_empty() {
        let (tag, value) = r.next("an optional field")?;
        match tag {
            // [0] attributes: nothing in them matters for signing.
            0xa0 => {}
            // [1] publicKey, a BIT STRING with no unused bits.
            0x81 => {
                if value.first() != Some(&0) || value[1..] != key.public().bytes() {
                    return Err(malformed(
                        "the public key stored in the file does not match its private key; \
                         the file is corrupt"
                            .into(),
                    ));
                }
            }
            t => return Err(malformed(format!("unexpected field with tag {t:#04x}"))),
        }
    }
    Ok(key)
}

/// Just enough DER for PKCS#8: tag, definite length (short or long form), value.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    fn next(&mut self, what: &str) -> Result<(u8, &'a [u8]), SecretKeyError> {
        let truncated = || malformed(format!("truncated DER at {what}"));
        let (&tag, rest) = self.0.split_first().ok_or_else(truncated)?;
        let (&first, mut rest) = rest.split_first().ok_or_else(truncated)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 2 || rest.len() < n {
                return Err(malformed(format!("bad DER length at {what}")));
            }
            let (len_bytes, tail) = rest.split_at(n);
            rest = tail;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| acc << 8 | usize::from(b))
        };
        if len > rest.len() {
            return Err(truncated());
        }
        let (value, tail) = rest.split_at(len);
        self.0 = tail;
        Ok((tag, value))
    }

    fn expect(&mut self, tag: u8, what: &str) -> Result<&'a [u8], SecretKeyError> {
        let (t, value) = self.next(what)?;
        if t != tag {
            return Err(malformed(format!(
                "expected tag {tag:#04x} for {what}, found {t:#04x}"
            )));
        }
        Ok(value)
    }

    fn finish(&self, what: &str) -> Result<(), SecretKeyError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(malformed(format!("unexpected bytes after {what}")))
        }
    }
}

/// openssh-key-v1 (OpenSSH PROTOCOL.key), unencrypted, one key.
fn parse_openssh(text: &str) -> Result<SecretKey, SecretKeyError> {
    parse_armoured(
        text,
        "OPENSSH PRIVATE KEY",
        "OpenSSH private key",
        parse_openssh_blob,
    )
}

fn parse_openssh_blob(blob: &[u8]) -> Result<SecretKey, SecretKeyError> {
    let mut r = SshReader::new(blob);
    if r.take(OPENSSH_MAGIC.len(), "the magic")
        .map_err(malformed)?
        != OPENSSH_MAGIC
    {
        return Err(malformed(
            "the data does not start with `openssh-key-v1`".into(),
        ));
    }
    let cipher = r.string("the cipher name").map_err(malformed)?;
    let kdf = r.string("the KDF name").map_err(malformed)?;
    r.string("the KDF options").map_err(malformed)?;
    if cipher != b"none" {
        return Err(SecretKeyError::Encrypted(format!(
            "the OpenSSH key is protected by a passphrase (cipher `{}`). Either sign with \
             `ssh-keygen -Y sign -f KEY -n NAMESPACE FILE` and give plugdex the `.sig` file, \
             or decrypt a copy: `cp KEY plain && ssh-keygen -p -N '' -f plain` (it asks for \
             the old passphrase) and keep that copy private",
            clip(&String::from_utf8_lossy(cipher))
        )));
    }
    if kdf != b"none" {
        return Err(malformed(format!(
            "KDF `{}` with cipher `none`",
            clip(&String::from_utf8_lossy(kdf))
        )));
    }
    let count = r.u32("the key count").map_err(malformed)?;
    if count != 1 {
        return Err(malformed(format!(
            "the file holds {count} keys; plugdex reads files with exactly one"
        )));
    }
    let outer_public = match parse_ssh_ed25519_blob(r.string("the public key").map_err(malformed)?)
    {
        Ok(k) => k,
        Err(BlobError::Unsupported(t)) => {
            return Err(SecretKeyError::Unsupported(format!(
                "`{}` keys are not accepted; plugdex signs only with ed25519 keys \
                 (`ssh-keygen -t ed25519`)",
                clip(&t)
            )));
        }
        Err(BlobError::Malformed(e)) => return Err(malformed(e)),
    };
    let private = r.string("the private section").map_err(malformed)?;
    r.finish("the private section").map_err(malformed)?;

    let mut p = SshReader::new(private);
    let check1 = p.u32("the first check value").map_err(malformed)?;
    let check2 = p.u32("the second check value").map_err(malformed)?;
    if check1 != check2 {
        return Err(malformed(
            "the check values differ: the file is corrupt".into(),
        ));
    }
    if p.string("the key type").map_err(malformed)? != SSH_ED25519.as_bytes() {
        return Err(malformed(
            "the private section is not an ssh-ed25519 key".into(),
        ));
    }
    let public = p.string("the public key").map_err(malformed)?;
    // OpenSSH stores seed || public key.
    let secret = p.string("the private key").map_err(malformed)?;
    p.string("the comment").map_err(malformed)?;
    let padding = p.rest();
    if secret.len() != 64 || public.len() != 32 {
        return Err(malformed(format!(
            "ed25519 key sizes are 64 (private) and 32 (public), found {} and {}",
            secret.len(),
            public.len()
        )));
    }
    // Padding is 1, 2, 3, ... up to the 8-byte block size.
    if padding.len() >= 8
        || padding
            .iter()
            .enumerate()
            .any(|(i, &b)| usize::from(b) != i + 1)
    {
        return Err(malformed("bad padding after the key".into()));
    }
    let key = SecretKey::from_seed(to_array(&secret[..32]));
    let derived = key.public().bytes();
    if derived != *public || derived != secret[32..] || derived != outer_public {
        return Err(malformed(
            "the public key stored in the file does not match its private key; the file is \
             corrupt"
                .into(),
        ));
    }
    Ok(key)
}

/// Gives the passphrase of an encrypted key when asked (an environment
/// variable, a prompt); `None` when there is none to give.
pub type Passphrase<'a> = &'a dyn Fn() -> Option<Zeroizing<String>>;

/// What an encrypted key needs, and where to give it.
#[cfg(feature = "generator")]
const GIVE_PASSPHRASE: &str = "give its passphrase in the `PLUGDEX_KEY_PASSPHRASE` environment \
     variable or on a terminal when plugdex asks";

/// Decrypting keys: with the generator, through the RustCrypto crates; the
/// client alone never reads secret keys, and says so.
#[cfg(feature = "generator")]
mod encrypted {
    use zeroize::Zeroizing;

    use super::{GIVE_PASSPHRASE, Passphrase, SecretKey, SecretKeyError, parse_pkcs8_der};

    fn ask(
        passphrase: Passphrase<'_>,
        otherwise: &str,
    ) -> Result<Zeroizing<String>, SecretKeyError> {
        passphrase()
            .ok_or_else(|| SecretKeyError::Encrypted(format!("{GIVE_PASSPHRASE}; or {otherwise}")))
    }

    /// `-----BEGIN ENCRYPTED PRIVATE KEY-----`: PKCS#8 with PBES2 (what
    /// `openssl genpkey -aes256` and `openssl pkcs8 -topk8` write).
    pub fn pkcs8(
        text: &str,
        passphrase: Passphrase<'_>,
        otherwise: String,
    ) -> Result<SecretKey, SecretKeyError> {
        let der = Zeroizing::new(
            super::dearmor(text, "ENCRYPTED PRIVATE KEY")
                .map_err(|e| SecretKeyError::Malformed(format!("encrypted PKCS#8 key: {e}")))?,
        );
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
            .map_err(|e| SecretKeyError::Malformed(format!("encrypted PKCS#8 key: {e}")))?;
        let pass = ask(passphrase, &otherwise)?;
        let plain = info.decrypt(pass.as_bytes()).map_err(|e| {
            SecretKeyError::Decrypt(format!(
                "wrong passphrase, or an encryption plugdex does not read ({e})"
            ))
        })?;
        parse_pkcs8_der(plain.as_bytes())
    }

    /// An OpenSSH key with a cipher (bcrypt KDF), as `ssh-keygen -N PASS` writes it.
    pub fn openssh(
        text: &str,
        passphrase: Passphrase<'_>,
        why: String,
    ) -> Result<SecretKey, SecretKeyError> {
        let key = ssh_key::PrivateKey::from_openssh(text)
            .map_err(|e| SecretKeyError::Malformed(format!("OpenSSH private key: {e}")))?;
        let pass = ask(passphrase, &why)?;
        let plain = key.decrypt(pass.as_bytes()).map_err(|e| {
            SecretKeyError::Decrypt(format!(
                "wrong passphrase, or a cipher plugdex does not read ({e})"
            ))
        })?;
        let pair = plain.key_data().ed25519().ok_or_else(|| {
            SecretKeyError::Unsupported(
                "the OpenSSH key is not ed25519; plugdex signs only with ed25519 keys \
                 (`ssh-keygen -t ed25519`)"
                    .into(),
            )
        })?;
        let seed = Zeroizing::new(pair.private.to_bytes());
        let secret = SecretKey::from_seed(*seed);
        if secret.public().bytes() != pair.public.0 {
            return Err(SecretKeyError::Malformed(
                "the public key stored in the file does not match its private key; the file is \
                 corrupt"
                    .into(),
            ));
        }
        Ok(secret)
    }
}

#[cfg(not(feature = "generator"))]
mod encrypted {
    use super::{Passphrase, SecretKey, SecretKeyError};

    pub fn pkcs8(
        _: &str,
        _: Passphrase<'_>,
        otherwise: String,
    ) -> Result<SecretKey, SecretKeyError> {
        Err(SecretKeyError::Encrypted(format!(
            "this build of plugdex (the client alone) does not decrypt keys; {otherwise}"
        )))
    }

    pub fn openssh(_: &str, _: Passphrase<'_>, why: String) -> Result<SecretKey, SecretKeyError> {
        Err(SecretKeyError::Encrypted(why))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::keys::put_string;
    use crate::trust::signature::SigError;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    /// From `openssl genpkey -algorithm ed25519`.
    const OPENSSL_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIA6Bwsiq5N9sZCTwqQMYWou74uVGB2OYu5NT20rhnvL2
-----END PRIVATE KEY-----
";
    /// Its public key, from `openssl pkey -pubout -outform DER | tail -c 32 | base64`.
    const OPENSSL_PUB: &str = "oMynvRjNFEUZTk4fMMftW/qJKobmaKSxVPckBfW+wgM=";

    /// From `ssh-keygen -t ed25519 -N '' -C me@example`.
    const OPENSSH_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBhfOa1wAUO3V6mQrDeh/2FPmleUx0Zqhbs9pQ4FhrsEQAAAJBKjQLpSo0C
6QAAAAtzc2gtZWQyNTUxOQAAACBhfOa1wAUO3V6mQrDeh/2FPmleUx0Zqhbs9pQ4FhrsEQ
AAAEC/jnYO8+X0XFiUB6DSO5HmPXWn8sNpvvHNQtQAbj+afGF85rXABQ7dXqZCsN6H/YU+
aV5THRmqFuz2lDgWGuwRAAAACm1lQGV4YW1wbGUBAgM=
-----END OPENSSH PRIVATE KEY-----
";
    const OPENSSH_PUB: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGF85rXABQ7dXqZCsN6H/YU+aV5THRmqFuz2lDgWGuwR";

    #[test]
    fn pkcs8_round_trip_and_openssl_file() {
        let k = SecretKey::from_seed([3; 32]);
        let pem = k.to_pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"));
        assert_eq!(SecretKey::parse(&pem).unwrap().public(), k.public());
        let k = SecretKey::parse(OPENSSL_PEM).unwrap();
        assert_eq!(k.public().to_raw_base64(), OPENSSL_PUB);
        assert_eq!(k.to_pkcs8_pem(), OPENSSL_PEM);
        let crlf = OPENSSL_PEM.replace('\n', "\r\n");
        assert_eq!(SecretKey::parse(&crlf).unwrap().public(), k.public());
    }

    #[test]
    fn pkcs8_v2_with_public_key() {
        let k = SecretKey::from_seed([4; 32]);
        let mut der = vec![0x30, 0x51, 0x02, 0x01, 0x01];
        der.extend_from_slice(&[0x30, 0x05]);
        der.extend_from_slice(&ED25519_ALG);
        der.extend_from_slice(&[0x04, 0x22, 0x04, 0x20]);
        der.extend_from_slice(&[4; 32]);
        der.extend_from_slice(&[0x81, 0x21, 0x00]);
        der.extend_from_slice(&k.public().bytes());
        assert_eq!(der.len(), 0x53);
        let pem = armor("PRIVATE KEY", &der, 64);
        assert_eq!(SecretKey::parse(&pem).unwrap().public(), k.public());
        // A public key that does not match the seed.
        der[0x52] ^= 1;
        let pem = armor("PRIVATE KEY", &der, 64);
        assert!(matches!(
            SecretKey::parse(&pem),
            Err(SecretKeyError::Malformed(m)) if m.contains("does not match")
        ));
    }

    #[test]
    fn openssh_file_from_ssh_keygen() {
        let k = SecretKey::parse(OPENSSH_KEY).unwrap();
        let pk = PublicKey::parse(OPENSSH_PUB).unwrap();
        assert_eq!(k.public().bytes(), pk.bytes());
    }

    /// Builds an openssh-key-v1 file, to craft broken ones.
    fn openssh_file(
        cipher: &[u8],
        count: u32,
        check2: u32,
        secret_tail: Option<[u8; 32]>,
    ) -> String {
        let k = SecretKey::from_seed([5; 32]);
        let public = k.public().bytes();
        let mut pubblob = Vec::new();
        put_string(&mut pubblob, b"ssh-ed25519");
        put_string(&mut pubblob, &public);
        let mut private = Vec::new();
        private.extend_from_slice(&7u32.to_be_bytes());
        private.extend_from_slice(&check2.to_be_bytes());
        put_string(&mut private, b"ssh-ed25519");
        put_string(&mut private, &public);
        let mut secret = [5u8; 32].to_vec();
        secret.extend_from_slice(&secret_tail.unwrap_or(public));
        put_string(&mut private, &secret);
        put_string(&mut private, b"comment");
        let mut pad = 1;
        while private.len() % 8 != 0 {
            private.push(pad);
            pad += 1;
        }
        let mut blob = OPENSSH_MAGIC.to_vec();
        put_string(&mut blob, cipher);
        put_string(
            &mut blob,
            if cipher == b"none" {
                b"none"
            } else {
                b"bcrypt"
            },
        );
        put_string(&mut blob, b"");
        blob.extend_from_slice(&count.to_be_bytes());
        put_string(&mut blob, &pubblob);
        put_string(&mut blob, &private);
        armor("OPENSSH PRIVATE KEY", &blob, 70)
    }

    #[test]
    fn openssh_crafted_files() {
        let good = openssh_file(b"none", 1, 7, None);
        assert_eq!(
            SecretKey::parse(&good).unwrap().public(),
            SecretKey::from_seed([5; 32]).public()
        );
        // A real encrypted file is read (tests/secret_keys.rs); this crafted
        // one's private section is not encrypted data, which the generator's
        // decryption finds malformed before it asks for a passphrase.
        match SecretKey::parse(&openssh_file(b"aes256-ctr", 1, 7, None)) {
            #[cfg(feature = "generator")]
            Err(SecretKeyError::Malformed(m)) => assert!(m.contains("OpenSSH private key"), "{m}"),
            Err(SecretKeyError::Encrypted(m)) => {
                assert!(
                    m.contains("ssh-keygen -p") && m.contains("ssh-keygen -Y sign"),
                    "{m}"
                )
            }
            other => panic!("{other:?}"),
        }
        for (text, want) in [
            (openssh_file(b"none", 2, 7, None), "holds 2 keys"),
            (openssh_file(b"none", 1, 8, None), "check values differ"),
            (openssh_file(b"none", 1, 7, Some([1; 32])), "does not match"),
        ] {
            match SecretKey::parse(&text) {
                Err(SecretKeyError::Malformed(m)) => assert!(m.contains(want), "{want}: {m}"),
                other => panic!("{want}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_passphrase_is_asked_only_for_an_encrypted_key() {
        let asked = std::cell::Cell::new(0);
        let ask = || {
            asked.set(asked.get() + 1);
            None
        };
        SecretKey::parse_with(OPENSSL_PEM, &ask).unwrap();
        SecretKey::parse_with(&openssh_file(b"none", 1, 7, None), &ask).unwrap();
        assert_eq!(asked.get(), 0);
        let encrypted = openssh_file(b"aes256-ctr", 1, 7, None);
        assert!(SecretKey::parse_with(&encrypted, &ask).is_err());
        #[cfg(feature = "generator")]
        assert!(asked.get() <= 1);
    }

    #[test]
    fn base64_seed() {
        let k = SecretKey::from_seed([6; 32]);
        let text = format!("{}\n", STANDARD.encode([6u8; 32]));
        assert_eq!(SecretKey::parse(&text).unwrap().public(), k.public());
    }

    #[test]
    fn bad_inputs_say_what_to_do() {
        type Check = fn(&SecretKeyError) -> bool;
        let cases: [(&str, Check); 9] = [
            (
                "",
                |e| matches!(e, SecretKeyError::Malformed(m) if m.contains("empty")),
            ),
            (
                "AAAA",
                |e| matches!(e, SecretKeyError::Malformed(m) if m.contains("decodes to 3")),
            ),
            (
                "%%",
                |e| matches!(e, SecretKeyError::Malformed(m) if m.contains("base64")),
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----",
                |e| match e {
                    SecretKeyError::Malformed(m) => m.contains("encrypted PKCS#8 key"),
                    SecretKeyError::Encrypted(m) => m.contains("openssl pkey"),
                    _ => false,
                },
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\n",
                |e| matches!(e, SecretKeyError::Unsupported(m) if m.contains("RSA PRIVATE KEY")),
            ),
            (
                "untrusted comment: minisign encrypted secret key\nRWRTY0Iy",
                |e| matches!(e, SecretKeyError::Unsupported(m) if m.contains("minisign -S")),
            ),
            (
                OPENSSH_PUB,
                |e| matches!(e, SecretKeyError::Malformed(m) if m.contains("without `.pub`")),
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----",
                |e| matches!(e, SecretKeyError::Malformed(m) if m.contains("truncated DER")),
            ),
            // Ed448 (OID 1.3.101.113), as `openssl genpkey -algorithm ed448` writes it.
            (
                "-----BEGIN PRIVATE KEY-----\nMEcCAQAwBQYDK2VxBDsEOXe95EQ2X8jDwnA/96LaNnvSP0nhvyqWeMKrz+zug5gL\n\
                 XH7PkDYBe7CzVVU52Du+a2rHQ4TY1JF71w==\n-----END PRIVATE KEY-----",
                |e| matches!(e, SecretKeyError::Unsupported(m) if m.contains("Ed448")),
            ),
        ];
        for (text, ok) in cases {
            let e = SecretKey::parse(text).map(|_| ()).unwrap_err();
            assert!(ok(&e), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn files_round_trip_and_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plugdex.key");
        let k = SecretKey::from_seed([8; 32]);
        k.write_file(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(SecretKey::read_file(&path).unwrap().public(), k.public());
        let err = SecretKey::from_seed([9; 32]).write_file(&path).unwrap_err();
        assert!(matches!(err, SecretFileError::Exists { .. }), "{err}");
        assert_eq!(SecretKey::read_file(&path).unwrap().public(), k.public());

        let missing = dir.path().join("missing.key");
        let err = SecretKey::read_file(&missing).unwrap_err();
        assert!(err.to_string().contains("missing.key"), "{err}");
        let junk = dir.path().join("junk.key");
        std::fs::write(&junk, [0xff, 0xfe]).unwrap();
        let err = SecretKey::read_file(&junk).unwrap_err();
        assert!(
            matches!(&err, SecretFileError::Parse { path, .. } if path == &junk),
            "{err}"
        );
        assert!(err.to_string().contains("junk.key"), "{err}");
    }

    #[test]
    fn debug_does_not_leak_the_seed() {
        let k = SecretKey::from_seed([0x42; 32]);
        let d = format!("{k:?}");
        assert!(d.contains(&k.public().fingerprint()));
        assert!(!d.contains("66, 66"));
    }

    #[test]
    fn signatures_verify_and_minisign_comment_stays_one_line() {
        let k = SecretKey::generate();
        let pk = k.public();
        let text = k.sign_minisign(b"m", "two\nlines\r\n");
        assert_eq!(text.lines().count(), 4);
        let s = AuthorSignature::parse(&text).unwrap();
        assert_eq!(s.verify(&pk, b"m", ""), Ok(()));
        let raw = AuthorSignature::parse(&k.sign_raw(b"m")).unwrap();
        assert_eq!(raw.verify(&pk, b"m", ""), Ok(()));
        assert_eq!(raw.verify(&pk, b"n", ""), Err(SigError::Invalid));
        assert_ne!(
            SecretKey::generate().public().bytes(),
            pk.bytes(),
            "two generated keys must differ"
        );
    }
}
