//! Keys, signatures and the registry's signed metadata.
//!
//! - [`keys`], [`signature`], [`secret`]: ed25519 keys and author signatures
//!   in the formats authors already have (raw, minisign, OpenSSH SSHSIG),
//!   verified with `verify_strict` only;
//! - [`statement`]: the canonical texts that signatures cover;
//! - [`metadata`]: the registry's root, timestamp and snapshot (TUF-style);
//! - [`verify`]: the client's chain of checks, which cannot be skipped.

pub mod keys;
pub mod metadata;
pub mod secret;
pub mod signature;
pub mod statement;
pub mod verify;

pub use keys::{KeyError, KeyFormat, PublicKey, RawKey};
pub use secret::{SecretFileError, SecretKey, SecretKeyError};
pub use signature::{AuthorSignature, SigError, SigFormat, SshHash};
