//! `check`: loads every file of an index (in parallel, one plugin folder per
//! task), applies the per-file rules, then the rules that span plugins, and
//! yields the validated [`Registry`] when nothing is wrong and it was asked
//! to keep it ([`Keep`]).

mod artifacts;
pub mod change;
mod cross;
pub(crate) mod facts;
pub mod history;
pub mod progress;
mod signatures;
pub mod verified;

use std::collections::HashSet;
use std::path::Path;

use rayon::prelude::*;

use crate::audit::AuditEntry;
use crate::check::verified::VerifiedCache;
use crate::diagnostic::{self, Code, Diagnostic, Sources, Step};
use crate::format::name::{PluginName, canonical};
use crate::format::types::RegistryConfig;
use crate::manifest::document::{Document, SourceFile};
use crate::manifest::{self, ParsedPlugin, ParsedVersion};
use crate::model::{Plugin, Registry, RegistryKeys, RegistryMeta, Release, ReleaseTrust};
use crate::source::git::GitError;
use crate::source::tree::index_at_rev;
use crate::source::{
    FolderSource, PluginDir, REVIEWED_FILE, REVOCATIONS_FILE, Source, SourceError, Text,
};
use facts::{PluginFacts, PluginView};
pub use history::{GitHistory, NoHistory, ReleaseHistory};
use signatures::TrustLists;

/// The outcome of checking an index.
#[derive(Debug)]
pub struct Checked {
    /// Every problem found, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of the files the diagnostics point into, as checked.
    pub sources: Sources,
    /// The validated registry; `None` when there is any error, or when the
    /// check kept only diagnostics ([`Keep::Diagnostics`]).
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

/// A plugin folder as loaded, before cross-plugin rules; parts may be
/// missing. Its releases are whole [`Release`]s once its signatures are
/// checked; before that ([`Parsed`]) they are [`VersionFile`]s.
pub(crate) struct Loaded<R = Release> {
    pub name: PluginName,
    pub dir: String,
    pub info: Option<ParsedPlugin>,
    pub readme: Option<String>,
    /// Sorted by version, oldest first.
    pub releases: Vec<R>,
    /// Who changed what, when (empty until its releases are whole).
    pub audit: Vec<AuditEntry>,
}

/// A plugin folder as parsed, its signatures not yet checked.
pub(crate) type Parsed = Loaded<VersionFile>;

/// A version manifest as parsed, with its path relative to the index root.
pub(crate) struct VersionFile {
    pub file: String,
    pub parsed: ParsedVersion,
}

impl Parsed {
    /// The plugin with whole releases: each with the trust its signature
    /// check gave it (`trust`, one per release) and its publication time,
    /// and the plugin's audit trail.
    fn into_loaded(self, trust: Vec<ReleaseTrust>, history: &dyn ReleaseHistory) -> Loaded {
        debug_assert_eq!(trust.len(), self.releases.len());
        let releases = self
            .releases
            .into_iter()
            .zip(trust)
            .map(|(v, trust)| Release {
                pubtime: history.pubtime(&v.file),
                file: v.file,
                parsed: v.parsed,
                trust,
            })
            .collect::<Vec<_>>();
        Loaded {
            audit: history.audit(&self.dir, &releases),
            name: self.name,
            dir: self.dir,
            info: self.info,
            readme: self.readme,
            releases,
        }
    }
}

impl Loaded {
    /// The plugin made whole, when its `plugin.toml` parsed.
    fn into_plugin(self) -> Option<Plugin> {
        Some(Plugin {
            name: self.name,
            dir: self.dir,
            info: self.info?,
            readme: self.readme,
            releases: self.releases,
            audit: self.audit,
        })
    }

    /// Lends the plugin, made whole, to `f` (when its `plugin.toml` parsed).
    fn lend(self, f: impl FnOnce(&Plugin)) -> Loaded {
        if self.info.is_none() {
            return self;
        }
        let plugin = self.into_plugin().expect("its plugin.toml parsed");
        f(&plugin);
        Loaded::from(plugin)
    }
}

impl From<Plugin> for Loaded {
    fn from(p: Plugin) -> Loaded {
        Loaded {
            name: p.name,
            dir: p.dir,
            info: Some(p.info),
            readme: p.readme,
            releases: p.releases,
            audit: p.audit,
        }
    }
}

/// Takes each plugin of a check that keeps the registry as soon as the
/// plugin's own rules passed, while others are still being read: a build
/// emits it then, so parsing and writing overlap. The rules that span
/// plugins have not run yet, so nothing made from it may be published
/// before the check ends without errors.
pub(crate) trait Stream: Sync {
    fn plugin(&self, config: &RegistryConfig, plugin: &Plugin);
}

/// What a check keeps of the plugins it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every parsed plugin, to build from: [`Checked::registry`] when valid.
    Registry,
    /// Only what the rules that span plugins need. Each plugin's parse is
    /// freed as soon as its own rules ran, so a check of a large index holds
    /// a small part of the memory (and a fresh page costs time to fault in).
    /// [`Checked::registry`] is `None`.
    Diagnostics,
}

/// Checks the index at `root`. Fails only when `root` is not a readable folder;
/// everything else is a diagnostic.
pub fn check_index(root: &Path) -> Result<Checked, SourceError> {
    check_index_keeping(root, Keep::Registry)
}

/// [`check_index`], keeping what `keep` says.
pub fn check_index_keeping(root: &Path, keep: Keep) -> Result<Checked, SourceError> {
    Ok(check_source(
        &FolderSource::open(root)?,
        &VerifiedCache::default(),
        keep,
    ))
}

/// Checks the index folder `index` as committed in `rev` (`check --rev`).
/// Fails only on git problems (not a repository, unknown revision, no index
/// folder in that commit); everything else is a diagnostic.
pub fn check_rev(index: &Path, rev: &str, keep: Keep) -> Result<Checked, GitError> {
    let source = index_at_rev(index, rev)?;
    Ok(check_source(&source, &VerifiedCache::default(), keep))
}

/// Checks every plugin of an index, from a folder or a commit: the same
/// rules and the same diagnostics, with paths relative to the index root.
pub fn check_source<S: Source>(source: &S, cache: &VerifiedCache, keep: Keep) -> Checked {
    let mut diagnostics = Vec::new();
    let dirs = source.all_plugin_dirs(&mut diagnostics);
    let scope = Scope {
        dirs,
        diagnostics,
        find: None,
        known: &[],
    };
    let settings = Settings {
        keep,
        verified: cache,
        history: &NoHistory,
        stream: None,
    };
    run(source, scope, &settings).finish()
}

/// Checks what `scope` names of `source` (a build: no `find`), keeping the
/// registry, its releases dated by `history`, each plugin handed to `stream`
/// as soon as its own rules passed. The rules that span plugins see the
/// plugins read and `scope.known`; the registry holds only those read.
pub(crate) fn check_some<S: Source>(
    source: &S,
    scope: Scope<'_>,
    cache: &VerifiedCache,
    history: &dyn ReleaseHistory,
    stream: &dyn Stream,
) -> Checked {
    let settings = Settings {
        keep: Keep::Registry,
        verified: cache,
        history,
        stream: Some(stream),
    };
    run(source, scope, &settings).finish()
}

/// What one check reads.
pub(crate) struct Scope<'a> {
    /// The plugin folders asked for.
    pub dirs: Vec<PluginDir>,
    /// Problems found while listing `dirs`.
    pub diagnostics: Vec<Diagnostic>,
    /// Looks up the plugins that `dirs` name, to read them too (a pull
    /// request's check); `None` when `dirs` is every plugin there is to read.
    pub find: Option<&'a FindPlugin<'a>>,
    /// Plugins not read again (a build's cache holds their facts), sorted by
    /// folder: the cross-plugin rules see them beside those read.
    pub known: &'a [PluginView<'a>],
}

/// How one check treats what it reads.
pub(crate) struct Settings<'a> {
    pub keep: Keep,
    /// Signatures verified before, not verified again.
    pub verified: &'a VerifiedCache,
    /// Dates each release and gives each plugin its audit trail.
    pub history: &'a dyn ReleaseHistory,
    /// Takes each plugin whose own rules passed (with [`Keep::Registry`]).
    pub stream: Option<&'a dyn Stream>,
}

/// Everything one check run found, before it becomes a [`Checked`].
pub(crate) struct Run {
    pub config: Option<RegistryConfig>,
    pub lists: TrustLists,
    /// The plugins read, sorted by folder (with [`Keep::Registry`]).
    pub loaded: Vec<Loaded>,
    /// The facts of the plugins read, sorted by folder (with [`Keep::Diagnostics`]).
    pub facts: Vec<PluginFacts>,
    pub keep: Keep,
    pub keys: Option<RegistryKeys>,
    /// `revocations.toml`'s keys, parsed, in its order.
    revoked_keys: Vec<(crate::trust::keys::PublicKey, String)>,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

impl Run {
    fn finish(self) -> Checked {
        let plugins = self.loaded.len() + self.facts.len();
        let versions = self.loaded.iter().map(|l| l.releases.len()).sum::<usize>()
            + self.facts.iter().map(|f| f.releases.len()).sum::<usize>();
        let has_errors = self.diagnostics.iter().any(Diagnostic::is_error);
        let registry = match self.config {
            Some(config) if !has_errors && self.keep == Keep::Registry => {
                let meta = RegistryMeta {
                    config,
                    keys: self.keys,
                    revoked_keys: self.revoked_keys,
                    revocations: self.lists.revocations,
                };
                Some(into_registry(meta, self.loaded))
            }
            _ => None,
        };
        Checked {
            diagnostics: self.diagnostics,
            sources: self.sources,
            registry,
            plugins,
            versions,
        }
    }
}

/// Looks a plugin up by name, for the plugins a change's plugins name.
pub(crate) type FindPlugin<'a> = dyn Fn(&str) -> Option<PluginDir> + Sync + 'a;

/// Reads and checks the plugins in `dirs` and, through `find` when given,
/// every plugin they name (dependencies, replacements), transitively: a
/// pull request's check reads what it touches and what that depends on, not
/// the registry. A whole-index check has no `find`: it reads every plugin
/// already, and collecting the names they reference would be wasted work.
pub(crate) fn run<S: Source>(source: &S, scope: Scope<'_>, settings: &Settings<'_>) -> Run {
    let Scope {
        dirs,
        diagnostics: mut diags,
        find,
        known: others,
    } = scope;
    let &Settings {
        keep,
        verified: cache,
        history,
        stream,
    } = settings;
    let mut sources = Sources::default();
    let config = read_config(source, &mut diags, &mut sources);
    let lists = read_trust_lists(source, &mut diags, &mut sources);
    // Without a valid registry.toml the per-plugin rules that need policy
    // still run against the defaults, so authors see all their problems.
    let fallback = fallback_config();
    let reg = config.as_ref().unwrap_or(&fallback);
    let revoked_keys = signatures::revoked_keys(&lists, &mut diags);
    // Release signatures name the registry's id: without a readable one they
    // are not checked (see `signatures::verify_plugin`).
    let signing_reg = config
        .as_ref()
        .filter(|c| manifest::rules::is_dns_name(&c.id));
    let mut known: HashSet<String> = match find {
        Some(_) => dirs.iter().map(|d| canonical(&d.name)).collect(),
        None => HashSet::new(),
    };
    // Artifacts are read only for the plugins asked for, not for those
    // pulled in as dependencies (whose artifacts did not change).
    let seeds: HashSet<String> = dirs.iter().map(|d| d.rel.clone()).collect();
    // Each plugin's own rules, signatures and artifacts, right after it is
    // parsed, so that with `Keep::Diagnostics` only its facts outlive it.
    let examine = |read: Read| {
        let Read {
            plugin,
            texts,
            diagnostics: mut out,
        } = read;
        let trust =
            signatures::verify_plugin(&plugin, signing_reg, &lists, &revoked_keys, cache, &mut out);
        let mut l = plugin.into_loaded(trust, history);
        if seeds.contains(&l.dir) {
            out.extend(artifacts::verify(source, &l, reg));
        }
        if let (Some(stream), Some(config), Keep::Registry) = (stream, &config, keep)
            && !out.iter().any(Diagnostic::is_error)
        {
            l = l.lend(|p| stream.plugin(config, p));
        }
        // Findings of signatures and artifacts name a field: placed now,
        // while the texts are in hand, rather than read back at the end.
        place(&texts, &mut out);
        let mut cited = Sources::default();
        for t in texts {
            cited.keep_if_cited(&out, &t.rel, t.text);
        }
        let refs = match find {
            Some(_) => referenced_names(&l),
            None => Vec::new(),
        };
        let kept = match keep {
            Keep::Registry => Kept::Loaded(l),
            Keep::Diagnostics => Kept::Facts(PluginFacts::of(&l)),
        };
        (kept, refs, out, cited)
    };
    let mut loaded: Vec<Loaded> = Vec::new();
    let mut facts: Vec<PluginFacts> = Vec::new();
    let mut todo = dirs;
    while !todo.is_empty() {
        let mut refs = Vec::new();
        for (kept, r, d, texts) in load_all(source, &todo, reg, &examine) {
            match kept {
                Kept::Loaded(l) => loaded.push(l),
                Kept::Facts(f) => facts.push(f),
            }
            refs.extend(r);
            diags.extend(d);
            sources.extend(texts);
        }
        let Some(find) = find else { break };
        todo = refs
            .into_iter()
            .filter(|n| known.insert(canonical(n)))
            .filter_map(|n| find(&n))
            .collect();
    }
    loaded.sort_by(|a, b| a.dir.cmp(&b.dir));
    facts.sort_by(|a, b| a.dir.cmp(&b.dir));
    crate::timings::mark("read and parse");
    let keys = config
        .as_ref()
        .and_then(|c| signatures::verify_signing(&c.id, c.signing.as_ref()?, &mut diags));
    let mut views: Vec<PluginView<'_>> = loaded
        .iter()
        .map(PluginView::of_loaded)
        .chain(facts.iter().map(PluginView::of_facts))
        .collect();
    if !others.is_empty() {
        views.extend_from_slice(others);
        views.sort_by(|a, b| a.dir.cmp(b.dir));
    }
    cross_checks(&views, reg, &lists, &mut diags);
    drop(views);
    crate::timings::mark("cross-plugin rules");
    // Findings of the cross-plugin rules name a field of a file no longer
    // in hand; every plugin's own findings are placed already.
    resolve_positions(source, &mut diags, &mut sources);
    diagnostic::sort(&mut diags);
    crate::timings::mark("sort");
    Run {
        config,
        lists,
        loaded,
        facts,
        keep,
        keys,
        revoked_keys: revoked_keys.listed,
        diagnostics: diags,
        sources,
    }
}

/// What [`run`] keeps of one plugin.
// One per plugin, moved once into its list: boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
enum Kept {
    Loaded(Loaded),
    Facts(PluginFacts),
}

/// Every rule that spans plugins, over `views` sorted by folder (`dir`) as
/// `run` sorts what it loads: of two clashing names the later folder is the
/// one reported. Views of loaded plugins and of cached [`facts::PluginFacts`]
/// may be mixed. Positions are left for [`resolve_positions`].
pub(crate) fn cross_checks(
    views: &[PluginView<'_>],
    reg: &RegistryConfig,
    lists: &TrustLists,
    out: &mut Vec<Diagnostic>,
) {
    cross::check(views, reg, out);
    removed_names(views, lists, out);
    signatures::check_lists(views, lists, out);
}

/// A removed plugin's name stays taken: nobody may register it again.
fn removed_names(views: &[PluginView<'_>], lists: &TrustLists, out: &mut Vec<Diagnostic>) {
    for l in views {
        let c = canonical(l.name);
        if let Some(r) = lists
            .revocations
            .removed
            .iter()
            .find(|r| canonical(&r.name) == c)
        {
            out.push(
                Diagnostic::error(format!("{}/plugin.toml", l.dir), Code::NameRemoved, format!("the plugin `{}` was removed from this registry ({}); its name is not given out again", r.name, r.reason))
                    .at_field(vec![Step::Key("name".into())])
                    .hint("choose another name"),
            );
        }
    }
}

/// Reads and validates `registry.toml`; `None` (with diagnostics) when it is
/// missing or invalid. Its text goes to `sources` when a diagnostic points into it.
pub(crate) fn read_config<S: Source>(
    source: &S,
    diags: &mut Vec<Diagnostic>,
    sources: &mut Sources,
) -> Option<RegistryConfig> {
    let text = source.read_registry(diags)?;
    let config = manifest::parse_registry(
        SourceFile {
            path: &text.rel,
            text: &text.text,
        },
        diags,
    );
    sources.keep_if_cited(diags, &text.rel, text.text);
    config
}

/// The registry settings the per-plugin rules use when `registry.toml` is
/// missing or invalid: the defaults, so authors still see all their problems.
pub(crate) fn fallback_config() -> RegistryConfig {
    RegistryConfig {
        id: String::new(),
        title: String::new(),
        description: None,
        base_url: String::new(),
        engine: String::new(),
        policy: Default::default(),
        signing: None,
        hosting: None,
        site: None,
        output: None,
    }
}

/// The plugins a plugin's files name: dependencies and replacements.
fn referenced_names(l: &Loaded) -> Vec<String> {
    let mut names: Vec<String> = l
        .releases
        .iter()
        .flat_map(|r| {
            let deps = r
                .parsed
                .manifest
                .dependencies
                .iter()
                .map(|d| d.name.clone());
            let repl = r
                .parsed
                .manifest
                .deprecated
                .as_ref()
                .and_then(|d| d.replacement())
                .map(str::to_owned);
            deps.chain(repl)
        })
        .collect();
    if let Some(r) = l
        .info
        .as_ref()
        .and_then(|i| i.manifest.deprecated.as_ref())
        .and_then(|d| d.replacement())
    {
        names.push(r.to_owned());
    }
    names
}

fn read_trust_lists<S: Source>(
    source: &S,
    diags: &mut Vec<Diagnostic>,
    sources: &mut Sources,
) -> TrustLists {
    let reviewed = source.read_optional(REVIEWED_FILE, diags).and_then(|t| {
        let list = manifest::parse_reviewed(
            SourceFile {
                path: &t.rel,
                text: &t.text,
            },
            diags,
        );
        sources.keep_if_cited(diags, &t.rel, t.text);
        list
    });
    let revocations = source.read_optional(REVOCATIONS_FILE, diags).and_then(|t| {
        let list = manifest::parse_revocations(
            SourceFile {
                path: &t.rel,
                text: &t.text,
            },
            diags,
        );
        sources.keep_if_cited(diags, &t.rel, t.text);
        list
    });
    TrustLists {
        reviewed: reviewed.unwrap_or_default(),
        revocations: revocations.unwrap_or_default(),
    }
}

/// Places cross-plugin findings, which name a field, by re-reading their
/// files (unless `sources` kept them already; what is read is kept there for
/// the printer). Grouped by file first, so each file's are placed in one pass.
pub(crate) fn resolve_positions<S: Source>(
    source: &S,
    diags: &mut [Diagnostic],
    sources: &mut Sources,
) {
    diags.sort_by(|a, b| a.file.cmp(&b.file));
    let mut rest = diags;
    while let Some(first) = rest.first() {
        let same = rest.partition_point(|d| d.file == first.file);
        let (group, after) = std::mem::take(&mut rest).split_at_mut(same);
        rest = after;
        if !group.iter().any(|d| d.pos.is_none() && d.field.is_some()) {
            continue;
        }
        let file = group[0].file.clone();
        if !sources.contains(&file) {
            let mut ignored = Vec::new();
            let Some(text) = source.read_text(&file, crate::source::MAX_TOML_BYTES, &mut ignored)
            else {
                continue;
            };
            sources.insert(file.clone(), text.text);
        }
        let text = sources.get(&file).unwrap_or_default();
        if let Ok(doc) = Document::parse(SourceFile { path: &file, text }) {
            doc.resolve(group);
        }
    }
}

/// Loads the plugins in `dirs` in parallel and hands each to `then`. A
/// source that reads best from one thread (git: its pack lookups take locks
/// that two readers fight over) is read by one thread while the rayon
/// workers parse what it has read.
fn load_all<S: Source, T: Send>(
    source: &S,
    dirs: &[PluginDir],
    reg: &RegistryConfig,
    then: &(impl Fn(Read) -> T + Sync),
) -> Vec<T> {
    if !source.reads_best_serially() {
        return dirs
            .par_iter()
            .map(|d| then(read_plugin(source, d, reg)))
            .collect();
    }
    std::thread::scope(|s| {
        // Bounded, so the reader stays at most this far ahead of the parsers.
        let (tx, rx) = std::sync::mpsc::sync_channel(256);
        s.spawn(move || {
            for d in dirs {
                let mut out = Vec::new();
                let files = source.read_plugin(d, &mut out);
                if tx.send((d, files, out)).is_err() {
                    break;
                }
            }
        });
        rx.into_iter()
            .par_bridge()
            .map(|(d, files, out)| then(parse_plugin_files(d, files, reg, out)))
            .collect()
    })
}

pub(crate) fn load_plugin<S: Source>(
    source: &S,
    dir: &PluginDir,
    reg: &RegistryConfig,
) -> (Parsed, Vec<Diagnostic>) {
    let read = read_plugin(source, dir, reg);
    (read.plugin, read.diagnostics)
}

fn read_plugin<S: Source>(source: &S, dir: &PluginDir, reg: &RegistryConfig) -> Read {
    let mut out = Vec::new();
    let files = source.read_plugin(dir, &mut out);
    parse_plugin_files(dir, files, reg, out)
}

/// Parses and checks the files of one plugin folder, as read; the text of
/// each file a diagnostic points into is kept for the printer.
fn parse_plugin_files(
    dir: &PluginDir,
    files: crate::source::PluginFiles,
    reg: &RegistryConfig,
    mut out: Vec<Diagnostic>,
) -> Read {
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
    let mut releases: Vec<VersionFile> = files
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
            Some(VersionFile {
                file: t.rel.clone(),
                parsed,
            })
        })
        .collect();
    releases.sort_by(|a, b| a.parsed.version.cmp(&b.parsed.version));
    let name = PluginName::parse(&dir.name).expect("source yields only folders with valid names");
    let parsed = Parsed {
        name,
        dir: dir.rel.clone(),
        info,
        readme: files.readme.map(|t| t.text),
        releases,
        audit: Vec::new(),
    };
    let texts = files
        .plugin_toml
        .into_iter()
        .chain(files.versions.into_iter().map(|(_, t)| t));
    Read {
        plugin: parsed,
        texts: texts.collect(),
        diagnostics: out,
    }
}

/// One plugin folder as read and parsed, with the texts of its manifests,
/// kept until its own checks have placed their findings.
struct Read {
    plugin: Parsed,
    texts: Vec<Text>,
    diagnostics: Vec<Diagnostic>,
}

/// Places the findings in `diags` that name a field of one of `texts`,
/// from the texts in hand: only a file with such a finding is parsed for it.
fn place(texts: &[Text], diags: &mut [Diagnostic]) {
    for t in texts {
        if !diags
            .iter()
            .any(|d| d.pos.is_none() && d.field.is_some() && d.file == t.rel)
        {
            continue;
        }
        if let Ok(doc) = Document::parse(SourceFile {
            path: &t.rel,
            text: &t.text,
        }) {
            doc.resolve(diags);
        }
    }
}

fn into_registry(meta: RegistryMeta, loaded: Vec<Loaded>) -> Registry {
    let mut plugins: Vec<Plugin> = loaded.into_iter().filter_map(Loaded::into_plugin).collect();
    plugins.sort_by_cached_key(|p| p.name.canonical());
    Registry { meta, plugins }
}
