//! The author's side of signatures: `statement`, `sign`, `verify` and
//! `delegate`. Each reads one manifest (and `registry.toml` for the registry
//! id) rather than the whole index, so it is instant on any registry.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Sources};
use crate::format::types::RegistryConfig;
use crate::manifest::document::SourceFile;
use crate::manifest::{self, ParsedPlugin, ParsedVersion};
use crate::source::{self, MAX_TOML_BYTES, REGISTRY_FILE};
use crate::trust::keys::PublicKey;
use crate::trust::secret::SecretKey;
use crate::trust::signature::{AuthorSignature, NoSigner, SigError, find_signer};
use crate::trust::statement::{self, ReleaseStatement, StatementArtifact};

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The file, its problems and its text (for the printer's snippets).
    #[error("`{}` has problems", .0.display())]
    Invalid(PathBuf, Vec<Diagnostic>, Sources),
    #[error("`{}` is not a version manifest inside an index (expected `<index>/plugins/…/<name>/versions/<version>.toml`)", .0.display())]
    NotAVersion(PathBuf),
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is not TOML that can be edited: {why}", path.display())]
    Edit { path: PathBuf, why: String },
    #[error("{0}")]
    Verify(String),
}

/// Reads and validates `registry.toml`.
pub fn read_registry(index: &Path) -> Result<RegistryConfig, SignError> {
    let mut diags = Vec::new();
    let mut sources = Sources::default();
    let path = index.join(REGISTRY_FILE);
    // Named by its whole path: the printer shows it relative to nothing.
    let rel = path.display().to_string();
    source::read_text(&path, &rel, MAX_TOML_BYTES, &mut diags)
        .and_then(|t| {
            let config = manifest::parse_registry(
                SourceFile {
                    path: &t.rel,
                    text: &t.text,
                },
                &mut diags,
            );
            sources.keep_if_cited(&diags, &t.rel, t.text);
            config
        })
        .filter(|_| !diags.iter().any(Diagnostic::is_error))
        .ok_or(SignError::Invalid(path, diags, sources))
}

/// Reads and validates the `plugin.toml` at `path` of plugin `name`.
fn read_plugin_toml(
    path: &Path,
    name: &str,
    config: &RegistryConfig,
    diags: &mut Vec<Diagnostic>,
    sources: &mut Sources,
) -> Option<ParsedPlugin> {
    let rel = path.display().to_string();
    source::read_text(path, &rel, MAX_TOML_BYTES, diags).and_then(|t| {
        let plugin = manifest::parse_plugin(
            SourceFile {
                path: &t.rel,
                text: &t.text,
            },
            name,
            config,
            diags,
        );
        sources.keep_if_cited(diags, &t.rel, t.text);
        plugin
    })
}

/// One release, read from its manifest.
pub struct ReleaseFile {
    pub path: PathBuf,
    pub config: RegistryConfig,
    pub plugin: String,
    pub parsed: ParsedVersion,
    /// The plugin's `plugin.toml`, when it parses.
    pub info: Option<ParsedPlugin>,
}

impl ReleaseFile {
    /// Reads `versions/<v>.toml` and the `registry.toml` of the index it is in.
    pub fn read(index: &Path, manifest_path: &Path) -> Result<ReleaseFile, SignError> {
        let not_version = || SignError::NotAVersion(manifest_path.to_owned());
        let stem = manifest_path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(not_version)?;
        let versions_dir = manifest_path.parent().ok_or_else(not_version)?;
        if versions_dir.file_name().and_then(|s| s.to_str()) != Some("versions") {
            return Err(not_version());
        }
        let plugin_dir = versions_dir.parent().ok_or_else(not_version)?;
        let plugin = plugin_dir
            .file_name()
            .and_then(|s| s.to_str())
            .ok_or_else(not_version)?
            .to_owned();
        let config = read_registry(index)?;
        let mut diags = Vec::new();
        let mut sources = Sources::default();
        let rel = manifest_path.display().to_string();
        let parsed =
            source::read_text(manifest_path, &rel, MAX_TOML_BYTES, &mut diags).and_then(|t| {
                let parsed = manifest::parse_version(
                    SourceFile {
                        path: &t.rel,
                        text: &t.text,
                    },
                    stem,
                    &plugin,
                    &config,
                    &mut diags,
                );
                sources.keep_if_cited(&diags, &t.rel, t.text);
                parsed
            });
        let info = read_plugin_toml(
            &plugin_dir.join("plugin.toml"),
            &plugin,
            &config,
            &mut Vec::new(),
            &mut Sources::default(),
        );
        match parsed {
            Some(parsed) if !diags.iter().any(Diagnostic::is_error) => Ok(ReleaseFile {
                path: manifest_path.to_owned(),
                config,
                plugin,
                parsed,
                info,
            }),
            _ => Err(SignError::Invalid(manifest_path.to_owned(), diags, sources)),
        }
    }

    /// The canonical statement an owner signs for this release.
    pub fn statement(&self) -> String {
        let m = &self.parsed.manifest;
        ReleaseStatement::of(
            &self.config.id,
            &self.plugin,
            &m.version,
            StatementArtifact::of_manifest(m),
            &self.parsed.signed_fields(),
        )
        .to_text()
    }

    pub fn namespace(&self) -> String {
        statement::sshsig_namespace(&self.config.id)
    }

    /// Verifies the manifest's signature under the plugin's owner keys
    /// (current and retired); returns the key it verifies under.
    pub fn verify(&self) -> Result<PublicKey, SignError> {
        let Some(text) = &self.parsed.manifest.signature else {
            return Err(SignError::Verify(format!(
                "`{}` has no `signature`",
                self.path.display()
            )));
        };
        let sig = AuthorSignature::parse(text).map_err(|e| SignError::Verify(e.to_string()))?;
        let info = self.info.as_ref().ok_or_else(|| {
            SignError::Verify(
                "the plugin's `plugin.toml` is missing or invalid, so its owner keys are unknown"
                    .into(),
            )
        })?;
        // A key that does not parse is refused, not skipped: `check` refuses
        // the plugin for it, and `verify` must not pass what `check` fails.
        let mut keys = Vec::new();
        for owner in &info.manifest.owners {
            for text in owner.keys.iter().chain(&owner.retired_keys) {
                let key = PublicKey::parse(text).map_err(|e| {
                    SignError::Verify(format!(
                        "a key of owner `{}` in the plugin's `plugin.toml` is not usable: {e}",
                        owner.github
                    ))
                })?;
                keys.push(key);
            }
        }
        let (statement, namespace) = (self.statement(), self.namespace());
        let signer = find_signer(&keys, |key| {
            sig.verify(key, statement.as_bytes(), &namespace)
        });
        signer.cloned().map_err(|no_signer| {
            SignError::Verify(match no_signer {
                NoSigner::NoKeys => "no owner of the plugin lists a key".into(),
                NoSigner::Refused(e) => {
                    format!("the signature does not verify under any owner key: {e}")
                }
                NoSigner::NoneVerifies => {
                    format!(
                        "the signature does not verify under any owner key: {}",
                        SigError::Invalid
                    )
                }
            })
        })
    }
}

/// How `sign` writes the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SigOutput {
    Raw,
    Minisign,
    Ssh,
}

/// Signs a release and writes `signature` into its manifest, keeping the
/// rest of the file as written. Returns the signature text.
pub fn sign(file: &ReleaseFile, key: &SecretKey, format: SigOutput) -> Result<String, SignError> {
    let statement = file.statement();
    let sig = match format {
        SigOutput::Raw => key.sign_raw(statement.as_bytes()),
        SigOutput::Minisign => key.sign_minisign(
            statement.as_bytes(),
            &format!(
                "plugdex release {} {}",
                file.plugin, file.parsed.manifest.version
            ),
        ),
        SigOutput::Ssh => key.sign_sshsig(statement.as_bytes(), &file.namespace()),
    };
    write_signature(&file.path, "signature", &sig)?;
    Ok(sig)
}

/// Writes `field = <signature>` into a TOML file, keeping the rest of it as
/// written, and replaces the file in one rename.
fn write_signature(path: &Path, field: &str, sig: &str) -> Result<(), SignError> {
    let text = std::fs::read_to_string(path).map_err(|source| SignError::Write {
        path: path.to_owned(),
        source,
    })?;
    let mut doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| SignError::Edit {
                path: path.to_owned(),
                why: e.to_string(),
            })?;
    let text_sig = sig.trim_end();
    let item = if text_sig.contains('\n') {
        // Multi-line formats read best as a literal multi-line string; parse
        // one so the edit keeps that form.
        let snippet: toml_edit::DocumentMut = format!("{field} = \'\'\'\n{text_sig}\n\'\'\'\n")
            .parse()
            .expect("a signature is printable ASCII without quotes");
        snippet[field].clone()
    } else {
        toml_edit::value(text_sig)
    };
    doc[field] = item;
    let tmp = path.with_extension("toml.plugdex-tmp");
    std::fs::write(&tmp, doc.to_string())
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|source| SignError::Write {
            path: path.to_owned(),
            source,
        })
}

/// A `plugin.toml` whose owners a current owner signs over to a new set
/// (the `owners_signature` that `check --base` accepts for an owner change).
pub struct OwnersFile {
    pub path: PathBuf,
    pub registry: String,
    pub plugin: ParsedPlugin,
}

impl OwnersFile {
    /// Reads `<plugin>/plugin.toml` and the `registry.toml` of its index.
    pub fn read(index: &Path, path: &Path) -> Result<OwnersFile, SignError> {
        let config = read_registry(index)?;
        let name = path
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            .ok_or_else(|| SignError::NotAVersion(path.to_owned()))?
            .to_owned();
        let mut diags = Vec::new();
        let mut sources = Sources::default();
        let plugin = read_plugin_toml(path, &name, &config, &mut diags, &mut sources);
        match plugin {
            Some(plugin) if !diags.iter().any(Diagnostic::is_error) => Ok(OwnersFile {
                path: path.to_owned(),
                registry: config.id,
                plugin,
            }),
            _ => Err(SignError::Invalid(path.to_owned(), diags, sources)),
        }
    }

    /// The text a current owner signs: the plugin's owners as this file lists them.
    pub fn statement(&self) -> Result<String, SignError> {
        let m = &self.plugin.manifest;
        statement::owners_text(&self.registry, &m.name, &m.owners)
            .map_err(|e| SignError::Verify(format!("`{}`: {e}", self.path.display())))
    }

    pub fn namespace(&self) -> String {
        statement::owners_namespace(&self.registry)
    }

    /// Signs the owners with `key` (which must be a key of the owners before
    /// the change) and writes `owners_signature`.
    pub fn sign(&self, key: &SecretKey, format: SigOutput) -> Result<String, SignError> {
        let text = self.statement()?;
        let sig = match format {
            SigOutput::Raw => key.sign_raw(text.as_bytes()),
            SigOutput::Minisign => key.sign_minisign(
                text.as_bytes(),
                &format!("plugdex owners {}", self.plugin.manifest.name),
            ),
            SigOutput::Ssh => key.sign_sshsig(text.as_bytes(), &self.namespace()),
        };
        write_signature(&self.path, "owners_signature", &sig)?;
        Ok(sig)
    }
}

/// Whether `path` names a `plugin.toml` (an owners statement) rather than a version manifest.
pub fn is_plugin_toml(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "plugin.toml")
}
