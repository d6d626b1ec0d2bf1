//! `schemas/v1/`: the JSON Schemas of the index files and of the documents
//! clients read, each with an absolute `$id` under the registry's base URL,
//! so an index repo's `#:schema` lines can point at the registry's own copy.

use serde_json::Value;

use super::{Context, OutFile};
use crate::format::schema::DocKind;
use crate::manifest::schema::FileKind;

/// The folder of this schema set, relative to the output root. `v1` is the
/// set's version: a schema in it only ever widens (a new key, a new `v` of
/// a document); a change that would refuse a document it accepted moves
/// the whole set to `schemas/v2/`.
pub const SCHEMAS_DIR: &str = "schemas/v1/";

/// Every published schema: `(file name, schema)`, index files first.
pub fn all() -> Vec<(String, &'static Value)> {
    let index = FileKind::ALL
        .into_iter()
        .map(|k| (k.schema_file().to_owned(), k.schema()));
    let docs = DocKind::ALL
        .into_iter()
        .map(|k| (format!("{}.schema.json", k.name()), k.schema()));
    index.chain(docs).collect()
}

/// The schema files, each with its `$id`.
pub fn emit(cx: &Context, files: &mut Vec<OutFile>) {
    for (name, schema) in all() {
        let path = format!("{SCHEMAS_DIR}{name}");
        let mut schema = schema.clone();
        if let Value::Object(map) = &mut schema {
            map.insert(
                "$id".into(),
                Value::String(format!("{}{path}", cx.base_url)),
            );
        }
        let mut bytes = serde_json::to_vec_pretty(&schema).expect("a JSON value serialises");
        bytes.push(b'\n');
        files.push(OutFile { path, bytes });
    }
}
