//! `check --base REV`: checks a change to the index (a pull request), not
//! only its result. Reads the two commits' trees with git2, finds the
//! plugins the change touches, checks those (and the plugins they depend
//! on) in full at the head, then applies the rules only a change has:
//! ownership, immutability of published versions, new names, registry files.
//!
//! The cost follows the change, not the registry: a one-plugin pull request
//! reads that plugin at both commits and the plugins it names. Only a change
//! to `registry.toml`, `reviewed.toml` or `revocations.toml`, which can affect
//! every plugin, checks the whole head tree.

mod rules;
pub mod summary;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{Loaded, fallback_config, load_plugin, resolve_positions, run};
use crate::diagnostic::{self, Code, Diagnostic};
use crate::manifest::document::SourceFile;
use crate::manifest::types::RegistryConfig;
use crate::manifest::{self};
use crate::source::git::{ChangeKind, GitError, GitRepo, Rev};
use crate::source::plugin_dir_of;
use crate::source::tree::TreeSource;
use crate::source::{
    PLUGINS_DIR, PluginDir, REGISTRY_FILE, REVIEWED_FILE, REVOCATIONS_FILE, Source,
};
use crate::trust::cache::VerifiedCache;

/// What the change asks of the registry's maintainers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Every rule passes and nothing needs a person: merge it.
    AutoMergeable,
    /// Valid, but a maintainer must look: a new plugin, an owner change, a
    /// registry file, an unsigned release.
    NeedsReview,
    /// At least one error.
    Rejected,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::AutoMergeable => "auto-mergeable",
            Class::NeedsReview => "needs-review",
            Class::Rejected => "rejected",
        }
    }
}

/// Why a maintainer must look at a change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Review {
    /// The file concerned, relative to the index root, or to the repository
    /// root when `outside` the index.
    pub file: String,
    #[serde(skip)]
    pub outside: bool,
    pub reason: String,
}

/// What happened to one plugin, for the summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PluginChange {
    pub name: String,
    /// e.g. `new version 1.2.0, signed by an owner key`.
    pub events: Vec<String>,
}

/// The outcome of checking a change.
#[derive(Debug, serde::Serialize)]
pub struct Verdict {
    pub classification: Class,
    /// The commits compared, e.g. `origin/main (1a2b3c4d5e)`.
    pub base: String,
    pub head: String,
    pub author: Option<String>,
    pub plugins: Vec<PluginChange>,
    pub reviews: Vec<Review>,
    /// Rendered by the printer, like `check`'s.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
    /// Whether the whole head tree was checked (a registry file changed).
    pub full_check: bool,
}

/// What to compare.
pub struct Request<'a> {
    pub index: &'a Path,
    pub base: &'a str,
    pub head: &'a str,
    /// The GitHub login of who made the change.
    pub author: Option<&'a str>,
}

/// The index files whose change can affect every plugin.
const REGISTRY_FILES: [&str; 3] = [REGISTRY_FILE, REVIEWED_FILE, REVOCATIONS_FILE];

/// Checks the change from `base` to `head`. Fails only on git problems
/// (unknown revisions, missing history); everything else is in the verdict.
pub fn check_change(req: &Request<'_>) -> Result<Verdict, GitError> {
    let repo = GitRepo::open(req.index)?;
    let head = repo.resolve(req.head)?;
    let asked = repo.resolve(req.base)?;
    let base = repo.comparison_base(&asked, &head)?;
    let changes = repo.changes(&base, &head)?;

    let mut touched: BTreeMap<String, PluginDir> = BTreeMap::new();
    let mut changed_files: BTreeMap<String, ChangeKind> = BTreeMap::new();
    let mut reviews = Vec::new();
    let mut diags = Vec::new();
    let mut registry_changed = false;
    // Files outside `plugins/` that the change adds, decided once the new
    // releases are known: a new release's self-hosted artifact is part of it.
    let mut added_files = Vec::new();
    for c in &changes {
        let Some(rel) = c.path.strip_prefix(repo.prefix.as_str()) else {
            reviews.push(Review {
                file: c.path.clone(),
                outside: true,
                reason: "changes a file outside the index folder".into(),
            });
            continue;
        };
        changed_files.insert(rel.to_owned(), c.kind);
        if let Some(dir) = plugin_dir_of(rel) {
            touched.entry(dir.rel.clone()).or_insert(dir);
        } else if rel.starts_with(&format!("{PLUGINS_DIR}/")) {
            diags.push(
                Diagnostic::error(rel, Code::MisplacedPlugin, format!("`{rel}` is not inside a plugin folder at its shard path"))
                    .hint("a plugin's files live in `plugins/<shard>/<name>/`; see the layout in docs/index-format.md"),
            );
        } else if c.kind == ChangeKind::Added && !REGISTRY_FILES.contains(&rel) {
            added_files.push(rel.to_owned());
        } else {
            registry_changed |= REGISTRY_FILES.contains(&rel);
            let reason = match c.kind {
                ChangeKind::Added | ChangeKind::Modified if REGISTRY_FILES.contains(&rel) => {
                    "changes a registry file; a maintainer must review it"
                }
                ChangeKind::Deleted => {
                    "deletes a file outside `plugins/`; if a release's artifact, clients can no longer install it"
                }
                _ => {
                    "changes a file outside `plugins/`; if a release's artifact, its SHA-256 no longer matches"
                }
            };
            reviews.push(Review {
                file: rel.to_owned(),
                outside: false,
                reason: reason.into(),
            });
        }
    }

    let head_src = repo.index_at(&head)?;
    let base_src = repo.index_at(&base)?;
    let cache = VerifiedCache::default();
    let seeds: Vec<PluginDir> = if registry_changed {
        head_src.plugin_dirs()
    } else {
        touched
            .values()
            .filter(|d| head_src.exists(&d.rel))
            .cloned()
            .collect()
    };
    let checked = run(
        &head_src,
        seeds,
        &|n| head_src.find_plugin(n),
        &cache,
        Vec::new(),
    );
    let in_change = |file: &str| {
        changed_files.contains_key(file)
            || touched.keys().any(|d| {
                file.strip_prefix(d.as_str())
                    .is_some_and(|r| r.starts_with('/'))
            })
    };
    diags.extend(checked.diagnostics.into_iter().filter(|d| {
        // Name clashes of new plugins are judged against the base below;
        // any other finding counts when it is about what the change touched.
        !matches!(d.code, Code::DuplicateName | Code::ConfusableName) && in_change(&d.file)
    }));

    // Added files that a touched release names as its self-hosted artifact
    // are that release's (checked with it); any other added file needs a look.
    let artifacts: BTreeSet<&str> = checked
        .loaded
        .iter()
        .filter(|l| touched.contains_key(&l.dir))
        .flat_map(|l| &l.releases)
        .map(|r| &r.parsed.manifest.artifact)
        .filter(|a| a.is_self_hosted())
        .map(|a| a.url.as_str())
        .collect();
    for file in added_files
        .iter()
        .filter(|f| !artifacts.contains(f.as_str()))
    {
        reviews.push(Review {
            file: file.clone(),
            outside: false,
            reason:
                "adds a file outside `plugins/` that no release of this change uses as its artifact"
                    .into(),
        });
    }

    let base_reg = read_config(&base_src);
    let registry_id = checked
        .config
        .as_ref()
        .map_or(String::new(), |c| c.id.clone());
    let head_loaded: BTreeMap<&str, &Loaded> =
        checked.loaded.iter().map(|l| (l.dir.as_str(), l)).collect();
    let mut base_names: Option<Vec<PluginDir>> = None;
    let mut plugins = Vec::new();
    let mut rule_diags = Vec::new();
    for dir in touched.values() {
        let base_plugin = base_src
            .exists(&dir.rel)
            .then(|| load_plugin(&base_src, dir, &base_reg).0);
        let head_plugin = head_loaded.get(dir.rel.as_str()).copied();
        let files: Vec<(&str, ChangeKind)> = changed_files
            .iter()
            .filter(|(f, _)| {
                f.strip_prefix(dir.rel.as_str())
                    .is_some_and(|r| r.starts_with('/'))
            })
            .map(|(f, k)| (f.as_str(), *k))
            .collect();
        let ctx = rules::Context {
            registry: &registry_id,
            author: req.author,
            removed: &checked.lists.revocations.removed,
        };
        let outcome = match (base_plugin.as_ref(), head_plugin) {
            (None, Some(h)) => {
                let names = base_names.get_or_insert_with(|| base_src.plugin_dirs());
                let others: Vec<&PluginDir> = touched
                    .values()
                    .filter(|d| d.rel != dir.rel && !base_src.exists(&d.rel))
                    .collect();
                rules::new_plugin(&ctx, h, names, &others)
            }
            (Some(b), h) => rules::existing_plugin(&ctx, dir, b, h, &files),
            (None, None) => rules::Outcome::default(),
        };
        rule_diags.extend(outcome.diagnostics);
        reviews.extend(outcome.reviews);
        if !outcome.events.is_empty() {
            plugins.push(PluginChange {
                name: dir.name.clone(),
                events: outcome.events,
            });
        }
    }
    resolve_positions(&head_src, &mut rule_diags);
    diags.extend(rule_diags);
    diagnostic::sort(&mut diags);
    dedup_reviews(&mut reviews);

    let classification = if diags.iter().any(Diagnostic::is_error) {
        Class::Rejected
    } else if !reviews.is_empty() {
        Class::NeedsReview
    } else {
        Class::AutoMergeable
    };
    Ok(Verdict {
        classification,
        base: label(&base),
        head: label(&head),
        author: req.author.map(str::to_owned),
        plugins,
        reviews,
        diagnostics: diags,
        full_check: registry_changed,
    })
}

fn label(rev: &Rev) -> String {
    format!("{} ({})", rev.name, rev.short())
}

fn dedup_reviews(reviews: &mut Vec<Review>) {
    let mut seen = BTreeSet::new();
    reviews.retain(|r| seen.insert((r.file.clone(), r.reason.clone())));
}

/// The base's `registry.toml`, or defaults when it does not parse: the base
/// is only read for what plugins were, never judged.
fn read_config(src: &TreeSource) -> RegistryConfig {
    let mut ignored = Vec::new();
    src.read_registry(&mut ignored)
        .and_then(|t| {
            manifest::parse_registry(
                SourceFile {
                    path: &t.rel,
                    text: &t.text,
                },
                &mut ignored,
            )
        })
        .unwrap_or_else(fallback_config)
}
