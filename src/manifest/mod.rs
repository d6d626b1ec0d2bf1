//! On-disk formats of the index repo: serde types, their JSON Schemas, and the
//! pure parse-and-validate functions for each file.

pub mod document;
pub mod name;
pub mod schema;
pub mod structure;
pub mod types;
