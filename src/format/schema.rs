//! JSON Schemas of the published documents clients read, generated from
//! [`crate::format::published`] and [`crate::trust::metadata`]. `build`
//! publishes them under `schemas/v1/` beside the index files' schemas
//! (`crate::manifest::schema`), and `plugdex schema KIND` prints one.

use std::sync::LazyLock;

use serde_json::{Value, json};

use crate::format::published::{
    AuditDoc, Config, INDEX_V, INDEX_V_PLATFORMS, IndexLine, NamesIndex, NamesPage, PluginDoc,
    PluginsPage, Revocations, VersionsDoc,
};
use crate::trust::metadata::{Root, SnapshotNode, TimestampDocument};

/// One published document a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Config,
    IndexLine,
    ApiPlugin,
    ApiVersions,
    ApiAudit,
    ApiPlugins,
    Names,
    NamesPage,
    Revocations,
    Root,
    Timestamp,
    SnapshotNode,
}

impl DocKind {
    pub const ALL: [DocKind; 12] = [
        DocKind::Config,
        DocKind::IndexLine,
        DocKind::ApiPlugin,
        DocKind::ApiVersions,
        DocKind::ApiAudit,
        DocKind::ApiPlugins,
        DocKind::Names,
        DocKind::NamesPage,
        DocKind::Revocations,
        DocKind::Root,
        DocKind::Timestamp,
        DocKind::SnapshotNode,
    ];

    /// The name `plugdex schema` takes; the schema's file is `{name}.schema.json`.
    /// `revocations-json`: `revocations` is `revocations.toml`'s.
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Config => "config",
            DocKind::IndexLine => "index-line",
            DocKind::ApiPlugin => "api-plugin",
            DocKind::ApiVersions => "api-versions",
            DocKind::ApiAudit => "api-audit",
            DocKind::ApiPlugins => "api-plugins",
            DocKind::Names => "names",
            DocKind::NamesPage => "names-page",
            DocKind::Revocations => "revocations-json",
            DocKind::Root => "root",
            DocKind::Timestamp => "timestamp",
            DocKind::SnapshotNode => "snapshot-node",
        }
    }

    /// The schema as a JSON value, generated once per process.
    pub fn schema(self) -> &'static Value {
        static SCHEMAS: LazyLock<Vec<Value>> = LazyLock::new(|| {
            DocKind::ALL
                .into_iter()
                .map(|k| open_for_readers(k.generate()))
                .collect()
        });
        let at = DocKind::ALL
            .iter()
            .position(|k| *k == self)
            .expect("ALL lists every kind");
        &SCHEMAS[at]
    }

    fn generate(self) -> Value {
        use schemars::schema_for;
        let schema = match self {
            DocKind::Config => schema_for!(Config),
            DocKind::IndexLine => schema_for!(IndexLine),
            DocKind::ApiPlugin => schema_for!(PluginDoc),
            DocKind::ApiVersions => schema_for!(VersionsDoc),
            DocKind::ApiAudit => schema_for!(AuditDoc),
            DocKind::ApiPlugins => schema_for!(PluginsPage),
            DocKind::Names => schema_for!(NamesIndex),
            DocKind::NamesPage => schema_for!(NamesPage),
            DocKind::Revocations => schema_for!(Revocations),
            DocKind::Root => schema_for!(Root),
            DocKind::Timestamp => schema_for!(TimestampDocument),
            DocKind::SnapshotNode => schema_for!(SnapshotNode),
        };
        schema.to_value()
    }
}

/// Readers ignore keys they do not know (docs/output-format.md): the
/// manifest types some documents embed deny unknown keys, their published
/// copies must not.
fn open_for_readers(mut schema: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                    map.remove("additionalProperties");
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut schema);
    schema
}

/// What each `v` of an index line promises (`IndexLine::is_readable`): a v1
/// line has the single artifact and no `platforms`; a v2 line has the single
/// artifact or `platforms`, or both.
pub fn index_line_versions(schema: &mut schemars::Schema) {
    let single = json!({ "required": ["sha256", "size", "dl"] });
    schema.insert(
        "allOf".into(),
        json!([
            {
                "if": { "properties": { "v": { "const": INDEX_V } } },
                "then": {
                    "required": ["sha256", "size", "dl"],
                    "properties": { "platforms": { "maxItems": 0 } }
                }
            },
            {
                "if": { "properties": { "v": { "const": INDEX_V_PLATFORMS } } },
                "then": {
                    "anyOf": [single, { "required": ["platforms"], "properties": { "platforms": { "minItems": 1 } } }]
                }
            }
        ]),
    );
    if let Some(v) = schema
        .get_mut("properties")
        .and_then(|p| p.get_mut("v"))
        .and_then(Value::as_object_mut)
    {
        v.insert("enum".into(), json!([INDEX_V, INDEX_V_PLATFORMS]));
    }
}
