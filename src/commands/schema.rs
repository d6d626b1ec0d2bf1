//! `plugdex schema`: the JSON Schemas of the index files, printed, written
//! into a folder, or compared with the files there (`--check`, for CI).

use std::path::Path;

use crate::error::{CliError, Exit};
use crate::format::schema::DocKind;
use crate::manifest::schema::FileKind;
use crate::printer;

/// One JSON document: the schema of `kind` (its file name without
/// `.schema.json`: an index file's or a published document's), or every
/// index file's schema in an object keyed by file name.
pub fn print(kind: Option<&str>) -> Result<Exit, CliError> {
    let text = match kind {
        Some(name) => match FileKind::ALL
            .into_iter()
            .find(|k| k.schema_file().strip_suffix(".schema.json") == Some(name))
        {
            Some(kind) => kind.schema_text(),
            None => DocKind::ALL
                .into_iter()
                .find(|k| k.name() == name)
                .map(|k| pretty(k.schema()))
                .ok_or_else(|| CliError::failed(format!("no schema named `{name}`")))?,
        },
        None => {
            let all: serde_json::Map<String, serde_json::Value> = FileKind::ALL
                .into_iter()
                .map(|k| (k.schema_file().to_owned(), k.schema().clone()))
                .collect();
            let mut text = serde_json::to_string_pretty(&all)
                .map_err(|e| CliError::context(Exit::Failed, "cannot write JSON", e))?;
            text.push('\n');
            text
        }
    };
    printer::out(&text)?;
    Ok(Exit::Done)
}

/// Pretty JSON with a trailing newline, as `build` publishes it (less the `$id`).
fn pretty(schema: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(schema).expect("a JSON value serialises");
    s.push('\n');
    s
}

/// Writes the schemas that differ into `dir`, or with `check` only names them (exit 1).
pub fn write(dir: &Path, check: bool) -> Result<Exit, CliError> {
    let mut stale = Vec::new();
    for kind in FileKind::ALL {
        let path = dir.join(kind.schema_file());
        let text = kind.schema_text();
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
            continue;
        }
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::context(
                Exit::Failed,
                format!("cannot create `{}`", dir.display()),
                e,
            )
        })?;
        std::fs::write(&path, &text).map_err(|e| super::check::cannot_write(&path.display(), e))?;
        printer::status(&format!("wrote {}", path.display()));
    }
    if stale.is_empty() {
        return Ok(Exit::Done);
    }
    Err(
        CliError::invalid(format!("out-of-date schemas: {}", stale.join(", "))).hint(Some(
            format!("run `plugdex schema --write {}`", dir.display()),
        )),
    )
}
