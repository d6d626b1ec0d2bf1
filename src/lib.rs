//! plugdex: turns a git repository of plugin manifests into a signed, static
//! plugin registry, and is the client that installs from one.
//!
//! Data flows one way: `source` (reads the index repo) → `manifest` (parses and
//! validates one file) → `check` (cross-file rules) → `model` (the validated
//! registry) → emitters and writers in later stages.

pub mod build;
pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod digest;
pub mod emit;
pub mod manifest;
pub mod model;
pub mod printer;
pub mod published;
pub mod serve;
pub mod sign;
pub mod source;
pub mod trust;
pub mod write;
