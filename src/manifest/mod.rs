//! On-disk formats of the index repo: serde types, their JSON Schemas, and the
//! pure parse-and-validate functions for each file.

pub mod document;
pub mod name;
pub mod rules;
pub mod schema;
pub mod structure;
pub mod types;

use semver::{Version, VersionReq};
use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, Pos};
use document::{Document, Key, SourceFile};
use schema::FileKind;
use types::{PluginManifest, RegistryConfig, VersionManifest};

/// A valid `plugin.toml` with the positions cross-file rules point at.
#[derive(Debug, Clone)]
pub struct ParsedPlugin {
    pub manifest: PluginManifest,
    pub name_pos: Pos,
    pub replacement_pos: Option<Pos>,
}

/// A version manifest that parsed, with its typed version and requirements.
#[derive(Debug, Clone)]
pub struct ParsedVersion {
    pub version: Version,
    pub engine: VersionReq,
    pub deps: Vec<DepSite>,
    pub manifest: VersionManifest,
    pub replacement_pos: Option<Pos>,
}

/// One dependency of a version, with where it is written.
#[derive(Debug, Clone)]
pub struct DepSite {
    pub name: String,
    pub req: VersionReq,
    pub optional: bool,
    pub pos: Pos,
}

/// Parses, structure-checks and deserialises one file; `None` when its
/// structure is broken (the problems are in `out`).
fn load<'a, T: DeserializeOwned>(
    kind: FileKind,
    source: SourceFile<'a>,
    multiline_ok: &[&str],
    out: &mut Vec<Diagnostic>,
) -> Option<(Document<'a>, T)> {
    let doc = match Document::parse(source) {
        Ok(doc) => doc,
        Err(errors) => {
            out.extend(errors);
            return None;
        }
    };
    doc.control_characters(multiline_ok, out);
    let structural = structure::check(&doc, kind.schema());
    if !structural.is_empty() {
        out.extend(structural);
        return None;
    }
    match doc.deserialize::<T>() {
        Ok(value) => Some((doc, value)),
        Err(d) => {
            out.push(d);
            None
        }
    }
}

pub fn parse_registry(source: SourceFile<'_>, out: &mut Vec<Diagnostic>) -> Option<RegistryConfig> {
    let (doc, config) = load::<RegistryConfig>(FileKind::Registry, source, &["description"], out)?;
    rules::registry(&doc, &config, out);
    Some(config)
}

/// Parses `plugin.toml` found in the folder named `folder`.
pub fn parse_plugin(source: SourceFile<'_>, folder: &str, reg: &RegistryConfig, out: &mut Vec<Diagnostic>) -> Option<ParsedPlugin> {
    let (doc, manifest) = load::<PluginManifest>(FileKind::Plugin, source, &["message", "deprecated"], out)?;
    rules::plugin(&doc, &manifest, folder, reg, out);
    let replacement_pos = replacement_pos(&doc, manifest.deprecated.as_ref());
    Some(ParsedPlugin {
        name_pos: doc.pos_of(&[Key::Field("name")]),
        replacement_pos,
        manifest,
    })
}

/// Parses `versions/<stem>.toml` of the plugin in folder `plugin`.
pub fn parse_version(source: SourceFile<'_>, stem: &str, plugin: &str, reg: &RegistryConfig, out: &mut Vec<Diagnostic>) -> Option<ParsedVersion> {
    let (doc, manifest) = load::<VersionManifest>(FileKind::Version, source, &["message", "deprecated"], out)?;
    let version = rules::version(&doc, &manifest, stem, plugin, reg, out)?;
    let engine = VersionReq::parse(&manifest.engine).ok()?;
    let deps = manifest
        .dependencies
        .iter()
        .filter_map(|(name, spec)| {
            Some(DepSite {
                name: name.clone(),
                req: VersionReq::parse(spec.requirement()).ok()?,
                optional: spec.optional(),
                pos: doc.pos_of(&[Key::Field("dependencies"), Key::Field(name)]),
            })
        })
        .collect();
    Some(ParsedVersion {
        replacement_pos: replacement_pos(&doc, manifest.deprecated.as_ref()),
        version,
        engine,
        deps,
        manifest,
    })
}

fn replacement_pos(doc: &Document<'_>, d: Option<&types::Deprecation>) -> Option<Pos> {
    d.and_then(|d| d.replacement())
        .map(|_| doc.pos_of(&[Key::Field("deprecated"), Key::Field("replacement")]))
}
