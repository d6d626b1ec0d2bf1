//! plugdex: turns a git repository of plugin manifests into a signed, static
//! plugin registry, and is the client that installs from one.
//!
//! Data flows one way: `source` (reads the index repo) → `manifest` (parses and
//! validates one file) → `check` (cross-file rules) → `model` (the validated
//! registry) → emitters and writers in later stages.
//!
//! Cargo features: `generator` (check, build, serve, signing commands) and
//! `client` (`plugdex::client`: install from a published registry), both on
//! by default. A host application embeds the client alone with
//! `default-features = false, features = ["client"]`; the formats and the
//! verification chain (`published`, `trust`, `digest`) and the escaping of
//! untrusted text for terminals (`untrusted`) compile under either.

#[cfg(feature = "generator")]
pub mod build;
#[cfg(feature = "generator")]
pub mod check;
#[cfg(all(feature = "generator", feature = "client"))]
pub mod cli;
#[cfg(feature = "client")]
pub mod client;
#[cfg(all(feature = "generator", feature = "client"))]
pub mod commands;
#[cfg(feature = "generator")]
pub mod diagnostic;
pub mod digest;
#[cfg(feature = "generator")]
pub mod emit;
#[cfg(all(feature = "generator", feature = "client"))]
pub mod error;
#[cfg(feature = "generator")]
mod free;
#[cfg(feature = "generator")]
pub mod manifest;
/// The manifest types the published formats reuse (the client-only build).
#[cfg(not(feature = "generator"))]
pub mod manifest {
    #[path = "name.rs"]
    pub mod name;
    #[path = "types.rs"]
    pub mod types;
}
#[cfg(feature = "generator")]
pub mod model;
#[cfg(feature = "generator")]
pub mod printer;
pub mod published;
#[cfg(feature = "generator")]
pub mod serve;
#[cfg(feature = "generator")]
pub mod sign;
#[cfg(feature = "generator")]
pub mod source;
#[cfg(feature = "client")]
pub mod status;
#[cfg(feature = "generator")]
pub mod timings;
pub mod trust;
pub mod untrusted;
#[cfg(feature = "generator")]
pub mod write;
