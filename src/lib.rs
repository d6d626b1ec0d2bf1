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
//! verification chain (`format`, `trust`, `digest`) and the escaping of
//! untrusted text for terminals (`untrusted`) compile under either.

#[cfg(feature = "generator")]
pub mod audit;
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
pub mod format;
#[cfg(feature = "generator")]
mod free;
#[cfg(feature = "generator")]
pub mod generate;
#[cfg(feature = "generator")]
pub mod manifest;
#[cfg(feature = "generator")]
pub mod model;
#[cfg(feature = "generator")]
pub mod printer;
#[cfg(feature = "generator")]
pub mod scaffold;
#[cfg(feature = "search")]
pub mod search;
#[cfg(feature = "generator")]
pub mod serve;
#[cfg(feature = "generator")]
pub mod sign;
#[cfg(feature = "generator")]
pub mod site;
#[cfg(feature = "generator")]
pub mod source;
#[cfg(feature = "client")]
pub mod status;
#[cfg(feature = "generator")]
pub mod timestamp;
#[cfg(feature = "generator")]
pub mod timings;
pub mod trust;
pub mod untrusted;
#[cfg(feature = "generator")]
pub mod write;
