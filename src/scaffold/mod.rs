//! Writing index repos for people: `init` (a new registry), `new` (a plugin
//! folder in its shard) and `release` (a version manifest with its digest,
//! size and `#:schema` line). Each writes only new files and never
//! overwrites one; what it writes is then checked by `check` like any edit.

pub mod init;
pub mod plugin;
pub mod release;

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why a scaffold could not be written; each names the path and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("`{}` already exists; plugdex never overwrites it", .0.display())]
    Exists(PathBuf),
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Key(#[from] crate::trust::secret::SecretFileError),
}

impl ScaffoldError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ScaffoldError::Exists(_) => Some("move it away or pick another path".into()),
            _ => None,
        }
    }
}

/// Creates `path` (and its parents) with `bytes`; an existing file is an error.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<(), ScaffoldError> {
    let failed = |source| ScaffoldError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                ScaffoldError::Exists(path.to_owned())
            } else {
                failed(e)
            }
        })?;
    file.write_all(bytes).map_err(failed)
}

/// The `#:schema` line of a file `depth` folders below the index root.
pub(crate) fn schema_line(depth: usize, schema_file: &str) -> String {
    format!("#:schema {}schemas/{schema_file}\n", "../".repeat(depth))
}

/// A TOML basic string for `s`, quoted and escaped.
pub(crate) fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lines_climb_to_the_index_root() {
        assert_eq!(
            schema_line(0, "registry.schema.json"),
            "#:schema schemas/registry.schema.json\n"
        );
        assert_eq!(
            schema_line(5, "version.schema.json"),
            "#:schema ../../../../../schemas/version.schema.json\n"
        );
    }

    #[test]
    fn write_new_never_overwrites() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b.txt");
        write_new(&path, b"one").unwrap();
        assert!(matches!(
            write_new(&path, b"two"),
            Err(ScaffoldError::Exists(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
    }
}
