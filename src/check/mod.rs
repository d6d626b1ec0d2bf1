//! `check`: loads every file of an index (in parallel, one plugin folder per
//! task), applies the per-file rules, then the rules that span plugins, and
//! yields the validated [`Registry`] when nothing is wrong.

mod artifacts;
mod cross;
mod signatures;

use std::path::Path;

use rayon::prelude::*;

use crate::diagnostic::{self, Diagnostic};
use crate::manifest::document::{Document, SourceFile};
use crate::manifest::name::PluginName;
use crate::manifest::types::RegistryConfig;
use crate::manifest::{self, ParsedPlugin};
use crate::model::{Plugin, Registry, RegistryKeys, Release, ReleaseTrust};
use crate::source::{IndexSource, PluginDir, REVIEWED_FILE, REVOCATIONS_FILE, SourceError};
use crate::trust::cache::VerifiedCache;
use signatures::TrustLists;

/// The outcome of checking an index.
#[derive(Debug)]
pub struct Checked {
    /// Every problem found, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// The validated registry; `None` when there is any error.
    pub registry: Option<Registry>,
    pub plugins: usize,
    pub versions: usize,
}

impl Checked {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// A plugin folder as loaded, before cross-plugin rules; parts may be missing.
pub(crate) struct Loaded {
    pub name: PluginName,
    pub dir: String,
    pub info: Option<ParsedPlugin>,
    pub readme: Option<String>,
    pub releases: Vec<Release>,
}

/// Checks the index at `root`. Fails only when `root` is not a readable folder;
/// everything else is a diagnostic.
pub fn check_index(root: &Path) -> Result<Checked, SourceError> {
    check_index_with(root, &VerifiedCache::default())
}

/// [`check_index`], taking signatures verified on an earlier run from `cache`
/// and recording the ones verified now.
pub fn check_index_with(root: &Path, cache: &VerifiedCache) -> Result<Checked, SourceError> {
    let source = IndexSource::open(root)?;
    let mut diags = Vec::new();
    let config = source.read_registry(&mut diags).and_then(|text| {
        manifest::parse_registry(
            SourceFile {
                path: &text.rel,
                text: &text.text,
            },
            &mut diags,
        )
    });
    let lists = read_trust_lists(&source, &mut diags);
    let dirs = source.plugin_dirs(&mut diags);
    // Without a valid registry.toml the per-plugin rules that need policy
    // still run against the defaults, so authors see all their problems.
    let fallback = RegistryConfig {
        id: String::new(),
        title: String::new(),
        description: None,
        base_url: String::new(),
        engine: String::new(),
        policy: Default::default(),
        signing: None,
    };
    let reg = config.as_ref().unwrap_or(&fallback);
    let results: Vec<(Loaded, Vec<Diagnostic>)> = dirs
        .par_iter()
        .map(|d| load_plugin(&source, d, reg))
        .collect();
    let mut loaded = Vec::with_capacity(results.len());
    for (l, d) in results {
        loaded.push(l);
        diags.extend(d);
    }
    let before = diags.len();
    let keys = config.as_ref().and_then(|c| {
        Some(signatures::verify_signing(
            &c.id,
            c.signing.as_ref()?,
            &mut diags,
        ))
    });
    cross::check(&loaded, reg, &mut diags);
    signatures::verify(&mut loaded, reg, &lists, cache, &mut diags);
    diags.extend(artifacts::verify(&source, &loaded, reg));
    resolve_positions(&source, &mut diags[before..]);
    diagnostic::sort(&mut diags);

    let plugins = loaded.len();
    let versions = loaded.iter().map(|l| l.releases.len()).sum();
    let has_errors = diags.iter().any(Diagnostic::is_error);
    let registry = match config {
        Some(config) if !has_errors => Some(into_registry(
            config,
            loaded,
            keys.flatten(),
            lists.revocations,
        )),
        _ => None,
    };
    Ok(Checked {
        diagnostics: diags,
        registry,
        plugins,
        versions,
    })
}

fn read_trust_lists(source: &IndexSource, diags: &mut Vec<Diagnostic>) -> TrustLists {
    let parse = |name: &str, diags: &mut Vec<Diagnostic>| source.read_optional(name, diags);
    let reviewed = parse(REVIEWED_FILE, diags).and_then(|t| {
        manifest::parse_reviewed(
            SourceFile {
                path: &t.rel,
                text: &t.text,
            },
            diags,
        )
    });
    let revocations = parse(REVOCATIONS_FILE, diags).and_then(|t| {
        manifest::parse_revocations(
            SourceFile {
                path: &t.rel,
                text: &t.text,
            },
            diags,
        )
    });
    TrustLists {
        reviewed: reviewed.unwrap_or_default(),
        revocations: revocations.unwrap_or_default(),
    }
}

/// Places cross-plugin findings, which name a field, by re-reading their files.
fn resolve_positions(source: &IndexSource, diags: &mut [Diagnostic]) {
    let mut files: Vec<String> = diags
        .iter()
        .filter(|d| d.pos.is_none() && d.field.is_some())
        .map(|d| d.file.clone())
        .collect();
    files.sort();
    files.dedup();
    for file in files {
        let mut ignored = Vec::new();
        let Some(text) = crate::source::read_text(
            &source.root().join(&file),
            &file,
            crate::source::MAX_TOML_BYTES,
            &mut ignored,
        ) else {
            continue;
        };
        if let Ok(doc) = Document::parse(SourceFile {
            path: &file,
            text: &text.text,
        }) {
            doc.resolve(diags);
        }
    }
}

fn load_plugin(
    source: &IndexSource,
    dir: &PluginDir,
    reg: &RegistryConfig,
) -> (Loaded, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let files = source.read_plugin(dir, &mut out);
    let info = files.plugin_toml.as_ref().and_then(|t| {
        manifest::parse_plugin(
            SourceFile {
                path: &t.rel,
                text: &t.text,
            },
            &dir.name,
            reg,
            &mut out,
        )
    });
    let mut releases: Vec<Release> = files
        .versions
        .iter()
        .filter_map(|(stem, t)| {
            let parsed = manifest::parse_version(
                SourceFile {
                    path: &t.rel,
                    text: &t.text,
                },
                stem,
                &dir.name,
                reg,
                &mut out,
            )?;
            Some(Release {
                file: t.rel.clone(),
                parsed,
                pubtime: 0,
                trust: ReleaseTrust::default(),
            })
        })
        .collect();
    releases.sort_by(|a, b| a.parsed.version.cmp(&b.parsed.version));
    let name = PluginName::parse(&dir.name).expect("source yields only folders with valid names");
    let loaded = Loaded {
        name,
        dir: dir.rel.clone(),
        info,
        readme: files.readme.map(|t| t.text),
        releases,
    };
    (loaded, out)
}

fn into_registry(
    config: RegistryConfig,
    loaded: Vec<Loaded>,
    keys: Option<RegistryKeys>,
    revocations: crate::manifest::types::RevocationList,
) -> Registry {
    let mut plugins: Vec<Plugin> = loaded
        .into_iter()
        .filter_map(|l| {
            Some(Plugin {
                info: l.info?,
                name: l.name,
                dir: l.dir,
                readme: l.readme,
                releases: l.releases,
            })
        })
        .collect();
    plugins.sort_by_cached_key(|p| p.name.canonical());
    Registry {
        config,
        plugins,
        keys,
        revocations,
    }
}
