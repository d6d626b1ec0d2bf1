//! `plugdex schema`: the JSON Schemas of the index files, printed, written
//! into a folder, or compared with the files there (`--check`, for CI).

use std::path::Path;

use crate::error::{CliError, Exit};
use crate::manifest::schema::FileKind;
use crate::printer;

pub fn print() -> Result<Exit, CliError> {
    for kind in FileKind::ALL {
        printer::out(&kind.schema_text())?;
    }
    Ok(Exit::Done)
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
