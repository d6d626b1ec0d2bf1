//! The client: installs plugins from a published registry, verifying
//! everything on the way. A host application embeds it with
//! `default-features = false, features = ["client"]` (no generator
//! dependencies).
//!
//! Data flows one way: `config` (which registry) → `http` + `cache`
//! (conditional fetches: the sans-I/O `protocol` driven through a
//! `transport`, which a host may replace) → `remote` (the verification chain of
//! `trust::verify`) → `resolve` (pure) → `unpack` + `install` (the plugins
//! folder, as one transaction) with `lock` and `state` beside it.
//! `commands` ties them into install / update / remove / list / info.

pub mod cache;
pub mod commands;
pub mod config;
pub mod http;
pub mod install;
pub mod lock;
pub mod protocol;
pub mod remote;
pub mod resolve;
#[cfg(feature = "search")]
pub mod search;
pub mod state;
pub mod transport;
pub mod unpack;

use std::path::PathBuf;

pub use commands::{Client, Options};
pub use transport::{Transport, UreqTransport};

use crate::trust::verify::VerifyError;

/// Everything that can stop a client command. Each message names the file,
/// URL or check involved; `hint` says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Fetch(#[from] http::FetchError),
    #[error("`{url}` is not a plugdex registry: it has no `config.json`")]
    NotARegistry { url: String },
    #[error("the registry at `{url}` is unsigned; plugdex installs only from signed registries")]
    UnsignedRegistry { url: String },
    #[error("`{url}` is not valid: {why}")]
    Malformed { url: String, why: String },
    #[error("verification failed ({check}): {source}")]
    Verify {
        check: &'static str,
        source: VerifyError,
    },
    #[error("no plugin named `{name}` in this registry{}", did_you_mean(.suggestions))]
    NoSuchPlugin {
        name: String,
        suggestions: Vec<String>,
    },
    #[error("{name} {vers} has no artifact for {platform}; it ships for {offered}")]
    NoPlatform {
        name: String,
        vers: String,
        platform: String,
        offered: String,
    },
    #[error(transparent)]
    Resolve(#[from] resolve::ResolveError),
    #[error("`{}`: {source}", path.display())]
    Lock {
        path: PathBuf,
        source: lock::LockError,
    },
    #[error("`{}`: {source}", path.display())]
    State {
        path: PathBuf,
        source: state::StateError,
    },
    #[error("cannot unpack {name} {vers} (`{archive}`): {source}")]
    Unpack {
        name: String,
        vers: String,
        /// The artifact's file name, as its URL ends.
        archive: String,
        source: unpack::UnpackError,
    },
    #[error("`{}`: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("another plugdex is changing `{}` right now", path.display())]
    Busy { path: PathBuf },
    #[error("{name} is installed from another registry, `{registry}`")]
    OtherRegistry { name: String, registry: String },
    #[error("`{}` cannot be a plugins folder (it has no name)", path.display())]
    BadDir { path: PathBuf },
    #[error(
        "the registry at `{url}` has no search bundle (it was built without search, or by an older plugdex)"
    )]
    NoSearch { url: String },
    #[error("the search bundle cannot be read: {0}")]
    Search(String),
    #[error("refusing to change `{name}` in `{}`: {why}", dir.display())]
    UnsafeName {
        name: String,
        dir: PathBuf,
        why: String,
    },
}

fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        s => format!(
            "; did you mean {}?",
            s.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl ClientError {
    /// Whether the error is a check of fetched bytes that failed (a
    /// signature, a hash, a format), as opposed to a failure to fetch them:
    /// when the bytes came from the cache, the cached copy may be damaged.
    pub fn is_verification_failure(&self) -> bool {
        match self {
            ClientError::Verify { source, .. } => !matches!(source, VerifyError::Fetch { .. }),
            ClientError::Malformed { .. } | ClientError::UnsignedRegistry { .. } => true,
            _ => false,
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            ClientError::Fetch(e) => return e.hint().map(str::to_owned),
            ClientError::NoPlatform { .. } => {
                "ask the plugin's author for a build for this platform, or install an older version that has one (`NAME@VERSION`); `--platform OS-ARCH` picks another platform's artifact"
            }
            ClientError::NotARegistry { .. } => {
                "check `--registry`: it is the URL of the folder holding `config.json`"
            }
            ClientError::UnsignedRegistry { .. } => {
                "ask the registry's maintainers to sign it (`plugdex build --signing-key`)"
            }
            ClientError::Verify {
                source: VerifyError::Expired { .. },
                ..
            } => {
                "the registry must be rebuilt (its timestamp is short-lived); nothing was installed"
            }
            ClientError::Verify {
                source: VerifyError::Rollback { .. },
                ..
            } => "someone serves an old copy of the registry; nothing was installed",
            ClientError::Verify {
                source: VerifyError::RootKeysDiffer,
                ..
            } => {
                "the registry's root keys changed; if the maintainers announced a rotation, pin the new keys in the config file"
            }
            ClientError::Verify {
                source: VerifyError::Fetch { .. },
                ..
            } => "check the registry URL and your connection; `--offline` works from the cache",
            ClientError::Verify { .. } => {
                "the registry or a mirror serves tampered files; nothing was installed"
            }
            ClientError::Resolve(resolve::ResolveError::Conflict { .. }) => {
                "relax one of the requirements, or `plugdex update` the plugins that require it"
            }
            ClientError::Busy { .. } => "wait for it to finish, then run this again",
            ClientError::NoSearch { .. } => {
                "ask its maintainers to rebuild it with this plugdex, or search a local build with `--dist`"
            }
            ClientError::OtherRegistry { .. } => {
                "remove it first, or use a separate `--dir` for each registry"
            }
            ClientError::Lock {
                source: lock::LockError::StillNeeded { .. } | lock::LockError::NotInstalled(_),
                ..
            } => return None,
            ClientError::Lock {
                source: lock::LockError::BadName { .. },
                ..
            } => {
                "remove that entry from the lock file (nothing outside the plugins folder is touched), or restore the file from a backup"
            }
            ClientError::Lock { .. } | ClientError::State { .. } => {
                "the file is damaged or from a newer plugdex; restore it from a backup, or remove it and reinstall"
            }
            _ => return None,
        };
        Some(hint.to_owned())
    }
}
