//! `plugdex new NAME`: a plugin folder at its shard path, with a
//! `plugin.toml`, once the name is known to be valid, free and not
//! confusable with a plugin already there (or one removed for good).

use std::path::{Path, PathBuf};

use super::{ScaffoldError, quoted, schema_line, write_new};
use crate::format::name::PluginName;
use crate::format::types::RevocationList;
use crate::manifest::schema::FileKind;
use crate::source::{FolderSource, PLUGINS_DIR, Source as _};
use crate::trust::keys::PublicKey;

/// What `new` writes.
#[derive(Debug, Clone)]
pub struct NewPlugin {
    pub index: PathBuf,
    pub name: String,
    /// The owner's GitHub login.
    pub owner: String,
    /// The owner's public key as `plugin.toml` holds it (see [`key_line`]).
    pub key: Option<String>,
    pub description: String,
    pub license: String,
}

/// The one-line form of a public key for `plugin.toml`: `text` is the key
/// itself or the contents of its file (a minisign `.pub` file's key line).
pub fn key_line(text: &str) -> Result<String, ScaffoldError> {
    PublicKey::parse(text)
        .map_err(|e| ScaffoldError::Refused(format!("the owner key is not usable: {e}")))?;
    let text = text.trim();
    Ok(match text.strip_prefix("untrusted comment:") {
        Some(rest) => rest.lines().last().unwrap_or_default().trim().to_owned(),
        None => text.to_owned(),
    })
}

/// Writes `plugins/SHARD/NAME/plugin.toml`; returns its path.
pub fn new_plugin(opts: &NewPlugin) -> Result<PathBuf, ScaffoldError> {
    let name = PluginName::parse(&opts.name).map_err(|e| {
        ScaffoldError::Refused(format!("`{}` is not a valid plugin name: {e}", opts.name))
    })?;
    let config = crate::sign::read_registry(&opts.index).map_err(|_| {
        ScaffoldError::Refused(format!(
            "`{}` has no valid `registry.toml`; run `plugdex check --index {}`",
            opts.index.display(),
            opts.index.display()
        ))
    })?;
    let reserved = config
        .policy
        .reserved_names
        .iter()
        .any(|r| crate::format::name::canonical(r) == name.canonical());
    if name.is_builtin_reserved() || reserved {
        return Err(ScaffoldError::Refused(format!(
            "`{name}` is a reserved name; pick another"
        )));
    }
    for (taken, why) in taken_names(&opts.index)? {
        let Ok(taken_name) = PluginName::parse(&taken) else {
            continue;
        };
        if taken_name.canonical() == name.canonical() {
            return Err(ScaffoldError::Refused(format!(
                "the name `{name}` is taken: {why}"
            )));
        }
        if taken_name.skeleton() == name.skeleton() {
            return Err(ScaffoldError::Refused(format!(
                "`{name}` is confusable with `{taken}` ({why}); pick a name that does not look like it"
            )));
        }
    }
    let folder = name.folder();
    let dir = opts.index.join(PLUGINS_DIR).join(&folder);
    let depth = 1 + folder.split('/').count();
    let keys = match &opts.key {
        Some(key) => format!("keys = [{}]\n", quoted(key)),
        None => {
            "# keys = [\"ssh-ed25519 AAAA...\"]  # the public keys that sign your releases\n".into()
        }
    };
    let text = format!(
        "{schema}\nname = {name}\ndescription = {description}\nlicense = {license}\n\n\
         [[owners]]\ngithub = {owner}\n{keys}",
        schema = schema_line(depth, FileKind::Plugin.schema_file()),
        name = quoted(name.as_str()),
        description = quoted(&opts.description),
        license = quoted(&opts.license),
        owner = quoted(&opts.owner),
    );
    let path = dir.join("plugin.toml");
    write_new(&path, text.as_bytes())?;
    Ok(path)
}

/// Every name in use: plugin folders, and names removed for good in
/// `revocations.toml`, each with where it is.
fn taken_names(index: &Path) -> Result<Vec<(String, String)>, ScaffoldError> {
    let source = FolderSource::open(index).map_err(|e| ScaffoldError::Refused(e.to_string()))?;
    let mut ignored = Vec::new();
    let mut names: Vec<(String, String)> = source
        .all_plugin_dirs(&mut ignored)
        .into_iter()
        .map(|dir| (dir.name, format!("`{}` exists", dir.rel)))
        .collect();
    let revocations = index.join("revocations.toml");
    if let Ok(text) = std::fs::read_to_string(&revocations) {
        let list: RevocationList = toml::from_str(&text).map_err(|e| {
            ScaffoldError::Refused(format!("`{}` does not parse: {e}", revocations.display()))
        })?;
        names.extend(
            list.removed
                .into_iter()
                .map(|r| (r.name, "removed for good in `revocations.toml`".to_owned())),
        );
    }
    Ok(names)
}
