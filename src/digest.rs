//! SHA-256 digests and their hex form, shared by every stage that pins content.

use std::fmt;
use std::str::FromStr;

use sha2::Digest as _;

pub type Sha256Digest = [u8; 32];

pub fn sha256(bytes: &[u8]) -> Sha256Digest {
    sha2::Sha256::digest(bytes).into()
}

/// A SHA-256 fed through `io::Write` (e.g. by `serde_json::to_writer`), so
/// a large document is hashed without being held whole.
#[derive(Default)]
pub struct Sha256Writer(sha2::Sha256);

impl Sha256Writer {
    pub fn finish(self) -> Sha256Digest {
        self.0.finalize().into()
    }
}

impl std::io::Write for Sha256Writer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A SHA-256 digest in a document: written as 64 lowercase hex digits, held
/// and compared as its 32 bytes. Deserialising refuses any other text, so a
/// digest from a manifest, a CDN or a lock file is checked where it is read.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256(pub Sha256Digest);

impl Sha256 {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256 {
        Sha256(sha256(bytes))
    }

    pub fn bytes(&self) -> &Sha256Digest {
        &self.0
    }

    /// The 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        hex(&self.0)
    }
}

impl From<Sha256Digest> for Sha256 {
    fn from(bytes: Sha256Digest) -> Sha256 {
        Sha256(bytes)
    }
}

/// Text that is not a SHA-256 digest: not 64 lowercase hex digits. The
/// message says what is wrong without repeating the text, which may come
/// from anywhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSha256 {
    #[error("a SHA-256 digest is 64 lowercase hex digits, not {0} characters")]
    Length(usize),
    #[error("a SHA-256 digest is 64 lowercase hex digits: write it in lowercase")]
    Uppercase,
    #[error("a SHA-256 digest is 64 lowercase hex digits: it has a character that is not one")]
    NotHex,
}

impl FromStr for Sha256 {
    type Err = InvalidSha256;

    fn from_str(s: &str) -> Result<Sha256, InvalidSha256> {
        parse_sha256_hex(s).map(Sha256).ok_or_else(|| {
            if s.chars().count() != 64 {
                InvalidSha256::Length(s.chars().count())
            } else if s.bytes().all(|b| b.is_ascii_hexdigit()) {
                InvalidSha256::Uppercase
            } else {
                InvalidSha256::NotHex
            }
        })
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({self})")
    }
}

impl serde::Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> serde::Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Sha256, D::Error> {
        struct Hex;
        impl serde::de::Visitor<'_> for Hex {
            type Value = Sha256;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a SHA-256 digest: 64 lowercase hex digits")
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Sha256, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Hex)
    }
}

#[cfg(feature = "generator")]
impl schemars::JsonSchema for Sha256 {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Sha256".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "SHA-256: 64 lowercase hex digits.",
            "pattern": "^[0-9a-f]{64}$"
        })
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Parses 64 lowercase hex digits.
pub fn parse_sha256_hex(s: &str) -> Option<Sha256Digest> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        let v = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        out[i] = v(pair[0])? << 4 | v(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_matches_known_digest() {
        let d = sha256(b"abc");
        let h = hex(&d);
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(parse_sha256_hex(&h), Some(d));
        assert_eq!(parse_sha256_hex(&h.to_uppercase()), None);
        assert_eq!(parse_sha256_hex("ab"), None);
    }

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn the_newtype_writes_lowercase_hex_and_reads_it_back() {
        let d = Sha256::of(b"abc");
        assert_eq!(d.to_string(), ABC);
        assert_eq!(d.hex(), ABC);
        assert_eq!(ABC.parse::<Sha256>(), Ok(d));
        assert_eq!(format!("{d:?}"), format!("Sha256({ABC})"));
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{ABC}\""));
        assert_eq!(serde_json::from_str::<Sha256>(&json).unwrap(), d);
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Pin {
            sha256: Sha256,
        }
        let toml = toml::to_string(&Pin { sha256: d }).unwrap();
        assert_eq!(toml, format!("sha256 = \"{ABC}\"\n"));
        assert_eq!(toml::from_str::<Pin>(&toml).unwrap(), Pin { sha256: d });
    }

    #[test]
    fn the_newtype_refuses_every_other_text_and_says_why() {
        let wrong = |text: &str| text.parse::<Sha256>().unwrap_err();
        assert_eq!(wrong(&ABC.to_uppercase()), InvalidSha256::Uppercase);
        assert_eq!(wrong(&ABC[..63]), InvalidSha256::Length(63));
        assert_eq!(wrong(&format!("{ABC}0")), InvalidSha256::Length(65));
        assert_eq!(wrong(""), InvalidSha256::Length(0));
        assert_eq!(wrong(&format!("{}g", &ABC[1..])), InvalidSha256::NotHex);
        assert_eq!(wrong(&format!(" {}", &ABC[1..])), InvalidSha256::NotHex);
        // 64 bytes but 63 characters: the length counts characters.
        assert_eq!(wrong(&format!("é{}", &ABC[2..])), InvalidSha256::Length(63));
        for bad in [
            format!("\"{}\"", ABC.to_uppercase()),
            "\"ab\"".into(),
            format!("\"{}g\"", &ABC[1..]),
            "42".into(),
            "null".into(),
        ] {
            let err = serde_json::from_str::<Sha256>(&bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("64 lowercase hex digits"), "{bad}: {err}");
        }
        let err = toml::from_str::<toml::Table>("sha256 = \"AB\"")
            .map(|t| t["sha256"].clone().try_into::<Sha256>())
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(err.contains("not 2 characters"), "{err}");
    }

    #[cfg(feature = "generator")]
    #[test]
    fn the_newtype_schema_is_a_lowercase_hex_string() {
        let schema = schemars::schema_for!(Sha256);
        assert_eq!(schema.get("type"), Some(&serde_json::json!("string")));
        assert_eq!(
            schema.get("pattern"),
            Some(&serde_json::json!("^[0-9a-f]{64}$"))
        );
    }
}
