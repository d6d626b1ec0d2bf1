//! The formats plugdex reads and writes, compiled under both features: plugin
//! names ([`name`]), the manifest types authors write ([`types`]) and the
//! published registry formats clients read ([`published`]). The generator's
//! `manifest` parses and validates into these types; the client reads them.

pub mod name;
pub mod published;
pub mod types;
// The generator's only: the client builds without schemars.
#[cfg(feature = "generator")]
pub mod schema;
