//! On-disk formats of the index repo: serde types, pure parse and validation.

pub mod name;
