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

pub mod fetch;
mod rules;
pub mod summary;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{
    Keep, Loaded, NoHistory, Scope, Settings, fallback_config, load_plugin, read_config,
    resolve_positions, run,
};
use crate::check::verified::VerifiedCache;
use crate::diagnostic::{self, Code, Diagnostic};
use crate::model::Release;
use crate::source::git::{Change, ChangeKind, GitError, GitRepo, Rev};
use crate::source::plugin_dir_of;
use crate::source::tree::TreeSource;
use crate::source::{
    PLUGINS_DIR, PluginDir, REGISTRY_FILE, REVIEWED_FILE, REVOCATIONS_FILE, Source,
};

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
    /// The head's text of the files the diagnostics point into.
    #[serde(skip)]
    pub sources: diagnostic::Sources,
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
    /// Download new releases' external artifacts with it and verify them
    /// (`--fetch`; `fetch::over_http` is the client's HTTP stack).
    pub fetch: Option<Box<dyn fetch::Download>>,
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
    let mut paths = Paths::sort(&repo.changes(&base, &head)?, &repo.prefix);
    let head_src = TreeSource::at(&repo, &head)?;
    let base_src = TreeSource::at(&repo, &base)?;

    // Every rule of `check` for what the change touches (the whole head when
    // a registry file changed), and the plugins those name.
    let seeds: Vec<PluginDir> = if paths.registry_changed {
        head_src.plugin_dirs()
    } else {
        paths
            .touched
            .values()
            .filter(|d| head_src.exists(&d.rel))
            .cloned()
            .collect()
    };
    let cache = VerifiedCache::default();
    let find = |n: &str| head_src.find_plugin(n);
    let scope = Scope {
        dirs: seeds,
        diagnostics: Vec::new(),
        find: Some(&find),
        known: &[],
    };
    let settings = Settings {
        keep: Keep::Registry,
        verified: &cache,
        history: &NoHistory,
        stream: None,
    };
    let mut checked = run(&head_src, scope, &settings);
    let mut diags = std::mem::take(&mut paths.diagnostics);
    diags.extend(
        std::mem::take(&mut checked.diagnostics)
            .into_iter()
            .filter(|d| {
                // Name clashes of new plugins are judged against the base below;
                // any other finding counts when it is about what the change touched.
                !matches!(d.code, Code::DuplicateName | Code::ConfusableName)
                    && paths.contains(&d.file)
            }),
    );
    let mut reviews = std::mem::take(&mut paths.reviews);
    reviews.extend(paths.stray_files(&checked.loaded));

    // The rules only a change has, plugin by plugin.
    let judged = judge_plugins(req, &paths, &checked, &base_src);
    let mut rule_diags = judged.diagnostics;
    if let Some(download) = &req.fetch {
        rule_diags.extend(fetch::verify(
            &paths.new_external_artifacts(&checked.loaded),
            download.as_ref(),
        ));
    }
    let mut sources = std::mem::take(&mut checked.sources);
    resolve_positions(&head_src, &mut rule_diags, &mut sources);
    diags.extend(rule_diags);
    diagnostic::sort(&mut diags);
    sources.retain_cited(&diags);
    reviews.extend(judged.reviews);
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
        plugins: judged.plugins,
        reviews,
        diagnostics: diags,
        sources,
        full_check: paths.registry_changed,
    })
}

/// The paths a change touched, sorted by what they are.
struct Paths {
    /// Plugin folders with a changed file, by folder.
    touched: BTreeMap<String, PluginDir>,
    /// Every changed path inside the index, relative to it.
    files: BTreeMap<String, ChangeKind>,
    /// Files outside `plugins/` the change adds: decided once the new
    /// releases are known, since a new release's self-hosted artifact is part of it.
    added_elsewhere: Vec<String>,
    registry_changed: bool,
    reviews: Vec<Review>,
    diagnostics: Vec<Diagnostic>,
}

impl Paths {
    fn sort(changes: &[Change], prefix: &str) -> Paths {
        let mut p = Paths {
            touched: BTreeMap::new(),
            files: BTreeMap::new(),
            added_elsewhere: Vec::new(),
            registry_changed: false,
            reviews: Vec::new(),
            diagnostics: Vec::new(),
        };
        for c in changes {
            let Some(rel) = c.path.strip_prefix(prefix) else {
                p.reviews.push(Review {
                    file: c.path.clone(),
                    outside: true,
                    reason: "changes a file outside the index folder".into(),
                });
                continue;
            };
            p.files.insert(rel.to_owned(), c.kind);
            let registry_file = REGISTRY_FILES.contains(&rel);
            if let Some(dir) = plugin_dir_of(rel) {
                p.touched.entry(dir.rel.clone()).or_insert(dir);
            } else if rel.starts_with(&format!("{PLUGINS_DIR}/")) {
                p.diagnostics.push(
                    Diagnostic::error(rel, Code::MisplacedPlugin, format!("`{rel}` is not inside a plugin folder at its shard path"))
                        .hint("a plugin's files live in `plugins/<shard>/<name>/`; see the layout in docs/index-format.md"),
                );
            } else if c.kind == ChangeKind::Added && !registry_file {
                p.added_elsewhere.push(rel.to_owned());
            } else {
                p.registry_changed |= registry_file;
                let reason = match c.kind {
                    _ if registry_file => "changes a registry file; a maintainer must review it",
                    ChangeKind::Deleted => {
                        "deletes a file outside `plugins/`; if a release's artifact, clients can no longer install it"
                    }
                    _ => {
                        "changes a file outside `plugins/`; if a release's artifact, its SHA-256 no longer matches"
                    }
                };
                p.reviews.push(Review {
                    file: rel.to_owned(),
                    outside: false,
                    reason: reason.into(),
                });
            }
        }
        p
    }

    /// Whether `file` (relative to the index) is changed or in a touched plugin.
    fn contains(&self, file: &str) -> bool {
        self.files.contains_key(file) || self.touched.keys().any(|d| inside(file, d))
    }

    /// The changed files of the plugin in `dir`.
    fn files_of(&self, dir: &str) -> Vec<(&str, ChangeKind)> {
        self.files
            .iter()
            .filter(|(f, _)| inside(f, dir))
            .map(|(f, k)| (f.as_str(), *k))
            .collect()
    }

    /// The head's releases of the plugins the change touches.
    fn releases<'l>(&self, loaded: &'l [Loaded]) -> impl Iterator<Item = &'l Release> {
        loaded
            .iter()
            .filter(|l| self.touched.contains_key(&l.dir))
            .flat_map(|l| &l.releases)
    }

    /// The external artifacts of the releases the change adds.
    fn new_external_artifacts(&self, loaded: &[Loaded]) -> Vec<fetch::Artifact> {
        self.releases(loaded)
            .filter(|r| self.files.get(&r.file) == Some(&ChangeKind::Added))
            .flat_map(|r| {
                r.parsed
                    .manifest
                    .artifacts()
                    .filter(|(_, a)| !a.is_self_hosted())
                    .map(|(_, a)| fetch::Artifact {
                        file: r.file.clone(),
                        url: a.url.clone(),
                        size: a.size,
                        sha256: a.sha256,
                    })
            })
            .collect()
    }

    /// Added files outside `plugins/` that no touched release uses as its artifact.
    fn stray_files(&self, loaded: &[Loaded]) -> Vec<Review> {
        let artifacts: BTreeSet<&str> = self
            .releases(loaded)
            .flat_map(|r| r.parsed.manifest.artifacts().map(|(_, a)| a))
            .filter(|a| a.is_self_hosted())
            .map(|a| a.url.as_str())
            .collect();
        self.added_elsewhere
            .iter()
            .filter(|f| !artifacts.contains(f.as_str()))
            .map(|f| Review {
                file: f.clone(),
                outside: false,
                reason: "adds a file outside `plugins/` that no release of this change uses as its artifact".into(),
            })
            .collect()
    }
}

/// Whether `file` is inside the folder `dir` (both relative to the index).
fn inside(file: &str, dir: &str) -> bool {
    file.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// What the change rules found, over all touched plugins.
struct Judged {
    diagnostics: Vec<Diagnostic>,
    reviews: Vec<Review>,
    plugins: Vec<PluginChange>,
}

/// Applies the change rules to each touched plugin, as the base had it and
/// as the head has it.
fn judge_plugins(
    req: &Request<'_>,
    paths: &Paths,
    checked: &super::Run,
    base_src: &TreeSource,
) -> Judged {
    // The base is only read for what plugins were, never judged: its
    // problems are ignored, and defaults stand in for a broken registry.toml.
    let base_reg = read_config(base_src, &mut Vec::new(), &mut Default::default())
        .unwrap_or_else(fallback_config);
    let registry_id = checked
        .config
        .as_ref()
        .map_or(String::new(), |c| c.id.clone());
    let head_loaded: BTreeMap<&str, &Loaded> =
        checked.loaded.iter().map(|l| (l.dir.as_str(), l)).collect();
    let ctx = rules::Context {
        registry: &registry_id,
        author: req.author,
        removed: &checked.lists.revocations.removed,
    };
    let mut base_names: Option<Vec<PluginDir>> = None;
    let mut judged = Judged {
        diagnostics: Vec::new(),
        reviews: Vec::new(),
        plugins: Vec::new(),
    };
    // The touched plugins the base does not have, looked up once.
    let new_dirs: Vec<&PluginDir> = paths
        .touched
        .values()
        .filter(|d| !base_src.exists(&d.rel))
        .collect();
    for dir in paths.touched.values() {
        let is_new = new_dirs.iter().any(|d| d.rel == dir.rel);
        let base_plugin = (!is_new).then(|| load_plugin(base_src, dir, &base_reg).0);
        let outcome = match (
            base_plugin.as_ref(),
            head_loaded.get(dir.rel.as_str()).copied(),
        ) {
            (None, Some(h)) => {
                // Only a new plugin needs every name of the base.
                let names = base_names.get_or_insert_with(|| base_src.plugin_dirs());
                let also_new: Vec<&PluginDir> = new_dirs
                    .iter()
                    .copied()
                    .filter(|d| d.rel != dir.rel)
                    .collect();
                rules::new_plugin(&ctx, h, names, &also_new)
            }
            (Some(b), h) => rules::existing_plugin(&ctx, dir, b, h, &paths.files_of(&dir.rel)),
            (None, None) => rules::Outcome::default(),
        };
        judged.diagnostics.extend(outcome.diagnostics);
        judged.reviews.extend(outcome.reviews);
        if !outcome.events.is_empty() {
            judged.plugins.push(PluginChange {
                name: dir.name.clone(),
                events: outcome.events,
            });
        }
    }
    judged
}

fn label(rev: &Rev) -> String {
    format!("{} ({})", rev.name, rev.short())
}

fn dedup_reviews(reviews: &mut Vec<Review>) {
    let mut seen = BTreeSet::new();
    reviews.retain(|r| seen.insert((r.file.clone(), r.reason.clone())));
}
