//! JSON Schemas generated from [`crate::format::types`]. Editors use them through the
//! `#:schema` comment; `check` walks every file against them.

use std::sync::LazyLock;

use serde_json::Value;

use crate::format::types::{
    PluginManifest, RegistryConfig, ReviewedList, RevocationList, VersionManifest,
};

/// Which file kind a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Registry,
    Plugin,
    Version,
    Reviewed,
    Revocations,
}

impl FileKind {
    pub const ALL: [FileKind; 5] = [
        FileKind::Registry,
        FileKind::Plugin,
        FileKind::Version,
        FileKind::Reviewed,
        FileKind::Revocations,
    ];

    /// File name of the published schema.
    pub fn schema_file(self) -> &'static str {
        match self {
            FileKind::Registry => "registry.schema.json",
            FileKind::Plugin => "plugin.schema.json",
            FileKind::Version => "version.schema.json",
            FileKind::Reviewed => "reviewed.schema.json",
            FileKind::Revocations => "revocations.schema.json",
        }
    }

    /// The schema as a JSON value, generated once per process.
    pub fn schema(self) -> &'static Value {
        static REGISTRY: LazyLock<Value> =
            LazyLock::new(|| schemars::schema_for!(RegistryConfig).to_value());
        static PLUGIN: LazyLock<Value> =
            LazyLock::new(|| schemars::schema_for!(PluginManifest).to_value());
        static VERSION: LazyLock<Value> =
            LazyLock::new(|| schemars::schema_for!(VersionManifest).to_value());
        static REVIEWED: LazyLock<Value> =
            LazyLock::new(|| schemars::schema_for!(ReviewedList).to_value());
        static REVOCATIONS: LazyLock<Value> =
            LazyLock::new(|| schemars::schema_for!(RevocationList).to_value());
        match self {
            FileKind::Registry => &REGISTRY,
            FileKind::Plugin => &PLUGIN,
            FileKind::Version => &VERSION,
            FileKind::Reviewed => &REVIEWED,
            FileKind::Revocations => &REVOCATIONS,
        }
    }

    /// The schema as pretty JSON with a trailing newline, as published.
    pub fn schema_text(self) -> String {
        let mut s = serde_json::to_string_pretty(self.schema()).expect("a JSON value serialises");
        s.push('\n');
        s
    }
}
