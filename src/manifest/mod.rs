//! On-disk formats of the index repo: serde types, their JSON Schemas, and the
//! pure parse-and-validate functions for each file.

pub mod document;
pub mod rules;
pub mod schema;
pub mod structure;

use semver::{Version, VersionReq};
use serde::de::DeserializeOwned;

use crate::diagnostic::Diagnostic;
use crate::digest::Sha256;
use crate::format::published::{IndexDep, SignedFields};
use crate::format::types::{
    PluginManifest, RegistryConfig, ReviewedList, RevocationList, VersionManifest,
};
use document::{Document, FileRef, SourceFile};
use schema::FileKind;

/// A valid `plugin.toml`.
#[derive(Debug, Clone)]
pub struct ParsedPlugin {
    pub manifest: PluginManifest,
}

/// A version manifest that parsed, with its typed version and requirements.
#[derive(Debug, Clone)]
pub struct ParsedVersion {
    pub version: Version,
    /// Its `[dependencies]` parsed, in name order, and only in that form: a
    /// million small maps as written would dominate the memory of a large
    /// registry.
    pub manifest: ParsedManifest,
}

/// A version manifest whose dependencies and artifact digests are parsed.
pub type ParsedManifest = VersionManifest<Vec<Dep>, Sha256>;

impl ParsedVersion {
    /// What the author signs of this release: [`SignedFields::of_line`]
    /// gives the same fields from its published index line.
    pub fn signed_fields(&self) -> SignedFields {
        let m = &self.manifest;
        SignedFields {
            engine: m.engine.clone(),
            deps: m
                .dependencies
                .iter()
                .map(|d| IndexDep {
                    name: d.name.clone(),
                    req: d.req.to_string(),
                    optional: d.optional,
                })
                .collect(),
            permissions: m.permissions.clone(),
            runtime: m.runtime,
            entry: m.entry.clone(),
            channel: m.channel,
            caps: m.capabilities.clone(),
        }
    }
}

/// One dependency of a version, with its parsed requirement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Dep {
    pub name: String,
    pub req: VersionReq,
    pub optional: bool,
}

/// Parses, structure-checks and deserialises one file, then applies `rules`.
/// `None` when its structure is broken. Positions of rule findings are
/// resolved here, re-parsing the text only when there is something to place.
fn load<T: DeserializeOwned, R>(
    kind: FileKind,
    source: SourceFile<'_>,
    multiline_ok: &[&str],
    out: &mut Vec<Diagnostic>,
    rules: impl FnOnce(&T, FileRef<'_>, &mut Vec<Diagnostic>) -> Option<R>,
) -> Option<(T, R)> {
    let doc = match Document::parse(source) {
        Ok(doc) => doc,
        Err(errors) => {
            out.extend(errors);
            return None;
        }
    };
    doc.control_characters(multiline_ok, out);
    let structural = structure::check(&doc, kind);
    if !structural.is_empty() {
        out.extend(structural);
        return None;
    }
    let value = match doc.deserialize::<T>() {
        Ok(value) => value,
        Err(d) => {
            out.push(d);
            return None;
        }
    };
    let before = out.len();
    let extra = rules(&value, FileRef { path: source.path }, out);
    if out.len() > before
        && let Ok(doc) = Document::parse(source)
    {
        doc.resolve(&mut out[before..]);
    }
    Some((value, extra?))
}

pub fn parse_registry(source: SourceFile<'_>, out: &mut Vec<Diagnostic>) -> Option<RegistryConfig> {
    let (mut config, ()) = load(
        FileKind::Registry,
        source,
        &["description"],
        out,
        |c, file, out| {
            rules::registry(&file, c, out);
            Some(())
        },
    )?;
    // Invalid policy values were reported; the defaults stand in for them so
    // that every plugin is not reported again because of them.
    let defaults = crate::format::types::Policy::default();
    if config.policy.max_artifact_size == 0 {
        config.policy.max_artifact_size = defaults.max_artifact_size;
    }
    if config.policy.max_versions == 0 {
        config.policy.max_versions = defaults.max_versions;
    }
    Some(config)
}

/// Parses `plugin.toml` found in the folder named `folder`.
pub fn parse_plugin(
    source: SourceFile<'_>,
    folder: &str,
    reg: &RegistryConfig,
    out: &mut Vec<Diagnostic>,
) -> Option<ParsedPlugin> {
    let (manifest, ()) = load(
        FileKind::Plugin,
        source,
        &["message", "deprecated"],
        out,
        |p, file, out| {
            rules::plugin(&file, p, folder, reg, out);
            Some(())
        },
    )?;
    Some(ParsedPlugin { manifest })
}

/// Parses `versions/<stem>.toml` of the plugin in folder `plugin`.
pub fn parse_version(
    source: SourceFile<'_>,
    stem: &str,
    plugin: &str,
    reg: &RegistryConfig,
    out: &mut Vec<Diagnostic>,
) -> Option<ParsedVersion> {
    let (mut manifest, (version, digests)) = load(
        FileKind::Version,
        source,
        &["message", "deprecated", "signature"],
        out,
        |v: &VersionManifest, file, out| rules::version(&file, v, stem, plugin, reg, out),
    )?;
    let platforms = manifest.platforms.iter_mut().map(|p| &mut p.artifact);
    for artifact in manifest.artifact.iter_mut().chain(platforms) {
        if !artifact.is_self_hosted() {
            artifact.url = rules::normalised_url(&artifact.url);
        }
    }
    // A requirement that does not parse was reported by the rules; the
    // digests are those the rules parsed.
    let manifest = manifest.into_parsed(
        |written| {
            written
                .into_iter()
                .filter_map(|(name, spec)| {
                    Some(Dep {
                        req: VersionReq::parse(spec.requirement()).ok()?,
                        optional: spec.optional(),
                        name,
                    })
                })
                .collect()
        },
        digests,
    );
    Some(ParsedVersion { version, manifest })
}

/// Parses `reviewed.toml`. Which releases it names is checked against the index by `check`.
pub fn parse_reviewed(source: SourceFile<'_>, out: &mut Vec<Diagnostic>) -> Option<ReviewedList> {
    load(
        FileKind::Reviewed,
        source,
        &[],
        out,
        |_: &ReviewedList, _, _| Some(()),
    )
    .map(|(list, ())| list)
}

/// Parses `revocations.toml`.
pub fn parse_revocations(
    source: SourceFile<'_>,
    out: &mut Vec<Diagnostic>,
) -> Option<RevocationList> {
    load(
        FileKind::Revocations,
        source,
        &["reason"],
        out,
        |_: &RevocationList, _, _| Some(()),
    )
    .map(|(list, ())| list)
}
