//! `build`: check the index, date each version from git, emit every file and
//! hand them to the atomic writer. Emitting fans out over plugins with rayon;
//! the model is immutable from there on.

mod cache;
pub mod hosting;
mod reuse;
pub mod search;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::audit;
use crate::check::facts::{PluginFacts, PluginView};
use crate::check::verified::VerifiedCache;
use crate::check::{self, Checked};
use crate::digest::{Sha256, Sha256Digest};
use crate::emit::{self, Context, Listing, OutFile};
use crate::format::name::canonical;
use crate::format::types::Artifact;
use crate::model::Registry;
use crate::site::{self, Site};
use crate::source::git::GitError;
use crate::source::history::{History, HistoryError, Origin};
use crate::source::tree::index_at_rev;
use crate::source::{ArtifactError, FolderSource, Source, SourceError};
use crate::timestamp::rfc3339;
use crate::timings;
use crate::trust::metadata::{self, FileMeta};
use crate::trust::secret::SecretKey;
use crate::write::{Summary, WriteError, Writer};
use cache::{Cache, CachedPlugin, Header, Packed, Unlisted};
use reuse::Plan;
use std::sync::Mutex;

#[derive(Debug)]
pub struct Options {
    pub index: PathBuf,
    pub out: PathBuf,
    /// Overrides `registry.toml`'s `base_url` (previews, mirrors, tests).
    pub base_url: Option<String>,
    /// The online signing key; without it the registry is built unsigned.
    pub signing_key: Option<SecretKey>,
    /// Seconds from the build time to the timestamp's expiry.
    pub expiry_secs: i64,
    /// Read the whole index from this commit instead of the folder
    /// (`--rev`): uncommitted edits are not built, and every publication
    /// time comes from git.
    pub rev: Option<String>,
    /// Build unsigned even though `registry.toml` has `[signing]` (previews).
    pub allow_unsigned: bool,
    /// A copy of the previous output (e.g. the live site, or a cache of it)
    /// to take the previous generation's `by-hash/` files from when `out`
    /// lacks them: a fresh CI runner has no previous output.
    pub previous: Option<PathBuf>,
    /// Sign a `SOURCE_DATE_EPOCH` more than [`MAX_SIGNING_SKEW_SECS`] ahead
    /// of the clock (`--allow-signing-time-skew`).
    pub allow_signing_time_skew: bool,
    /// Downloads per plugin for search ranking and the home page's popular
    /// plugins (`--stats FILE`).
    pub stats: Option<PathBuf>,
    /// Write the HTML site (`--no-site` turns it off).
    pub site: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("`--base-url` must be an absolute `http` or `https` URL: `{0}`")]
    BaseUrl(String),
    #[error("the self-hosted artifact `{path}` changed while building: {why}")]
    Artifact { path: String, why: String },
    #[error(
        "a signing key was given, but `registry.toml` has no `[signing]` table, so clients could not trust it"
    )]
    NoSigningTable,
    #[error("the signing key given ({given}) is not the registry's online key ({expected})")]
    WrongSigningKey { given: String, expected: String },
    #[error(
        "`registry.toml` has a `[signing]` table but no signing key was given: every client would refuse the unsigned registry; nothing was written"
    )]
    UnsignedRefused,
    #[error("cannot read the download counts in {path}: {why}")]
    Stats { path: PathBuf, why: String },
    #[error("the search bundle could not be built: {0}")]
    Search(String),
    #[error(transparent)]
    Site(#[from] crate::site::SiteError),
    /// Carried-over pages list dependents that changed: the build starts
    /// again without the cache (never shown: `build` handles it).
    #[error("a carried-over plugin's dependents changed")]
    DependentsChanged,
    #[error("`SOURCE_DATE_EPOCH` is `{value}`: {why}")]
    SigningTimeInvalid { value: String, why: &'static str },
    #[error(
        "`SOURCE_DATE_EPOCH` ({at}) is {ahead} ahead of the clock: clients that install from this build would refuse every normal build until then, as a rollback"
    )]
    SigningTimeAhead { at: String, ahead: String },
}

impl BuildError {
    pub fn hint(&self) -> Option<String> {
        match self {
            BuildError::NoSigningTable => Some("add `[signing]` with `root_keys`, `online_key` and `online_key_signatures` (docs/trust.md, \"Registry signing\"), or build without a key".into()),
            BuildError::UnsignedRefused => Some("give the online key with `--signing-key FILE` or the `PLUGDEX_SIGNING_KEY` environment variable; for a local preview only, `--allow-unsigned`".into()),
            BuildError::WrongSigningKey { .. } => Some("give the secret half of `signing.online_key`, or delegate to this key with `plugdex delegate`".into()),
            BuildError::Git(e) => e.hint(),
            BuildError::Stats { .. } => Some("give a JSON object of plugin names to objects with a `downloads` number, e.g. `{\"git\": {\"downloads\": 1200}}`".into()),
            BuildError::Site(e) => e.hint(),
            BuildError::SigningTimeInvalid { .. } => Some("set it to a whole number of seconds since 1970 (e.g. `git log -1 --format=%ct`), or unset it to use the clock".into()),
            BuildError::SigningTimeAhead { .. } => Some("set it to the commit time (`git log -1 --format=%ct`) or unset it; if the clock is wrong, fix it; `--allow-signing-time-skew` signs it anyway".into()),
            _ => None,
        }
    }
}

/// What a build did.
#[derive(Debug)]
pub struct Report {
    pub checked: Checked,
    /// `None` when the index has errors and nothing was written.
    pub built: Option<Built>,
}

#[derive(Debug)]
pub struct Built {
    pub summary: Summary,
    pub origin: Origin,
    /// Versions dated from git history (the rest used the fallback rule).
    pub dated_from_git: usize,
    /// Whether the timestamp is signed.
    pub signed: bool,
    /// Author signatures taken from the cache of earlier builds (not verified again).
    pub cached_signatures: usize,
    /// Plugins carried over from the build cache: not read, checked or emitted again.
    pub reused: usize,
    /// Why a build from a commit carried nothing over.
    pub fresh_because: Option<&'static str>,
    /// The timestamp's expiry, RFC 3339.
    pub expires: String,
    /// What the output holds, against the configured host's limits.
    pub size: hosting::OutputSize,
    /// The host's limits this output exceeds (`[hosting] target`).
    pub host_warnings: Vec<String>,
    pub elapsed: Duration,
}

pub fn build(opts: &Options, progress: &ProgressBar) -> Result<Report, BuildError> {
    // Before anything is read or written: a bad signing time writes nothing.
    let started = Started {
        at: Instant::now(),
        now: build_time(
            std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(),
            jiff::Timestamp::now().as_second(),
            opts,
        )?,
        stats: None,
    };
    let base_url = opts
        .base_url
        .as_deref()
        .map(normalise_base_url)
        .transpose()?;
    let stats = opts.stats.as_deref().map(search::Stats::load).transpose()?;
    let started = Started { stats, ..started };
    // History first: libgit2's pack maps and object cache are gone before
    // the registry model is built, so the two never add up in memory.
    match &opts.rev {
        None => {
            let source = FolderSource::open(&opts.index)?;
            match build_folder(
                opts,
                &source,
                None,
                base_url.clone(),
                started.clone(),
                progress,
            ) {
                Err(BuildError::DependentsChanged) => build_folder(
                    opts,
                    &source,
                    Some("a carried-over plugin's dependents changed"),
                    base_url,
                    started,
                    progress,
                ),
                done => done,
            }
        }
        Some(rev) => {
            let source = index_at_rev(&opts.index, rev)?;
            match build_at_rev(
                opts,
                &source,
                None,
                base_url.clone(),
                started.clone(),
                progress,
            ) {
                Err(BuildError::DependentsChanged) => build_at_rev(
                    opts,
                    &source,
                    Some("a carried-over plugin's dependents changed"),
                    base_url,
                    started,
                    progress,
                ),
                done => done,
            }
        }
    }
}

/// The fingerprint of the site's built-in inputs, `None` without a site:
/// part of what a build cache was made with.
fn site_fingerprint(opts: &Options) -> Option<String> {
    opts.site
        .then(|| site::defaults_fingerprint(&site::Inputs::built_in()))
}

/// A build of a folder, carrying over what the build cache allows (nothing with `fresh`).
fn build_folder(
    opts: &Options,
    source: &FolderSource,
    fresh: Option<&'static str>,
    base_url: Option<String>,
    started: Started,
    progress: &ProgressBar,
) -> Result<Report, BuildError> {
    let history = History::read(&opts.index, audit::read_edit)?;
    timings::mark("history");
    let site = site_fingerprint(opts);
    let plan = reuse::plan_folder(
        source,
        &opts.out,
        base_url.as_deref(),
        site.as_deref(),
        fresh,
    );
    timings::mark("plan");
    build_from(opts, source, plan, history, base_url, started, progress)
}

/// A build from a commit, carrying over what the build cache allows (nothing with `fresh`).
fn build_at_rev(
    opts: &Options,
    source: &crate::source::tree::TreeSource,
    fresh: Option<&'static str>,
    base_url: Option<String>,
    started: Started,
    progress: &ProgressBar,
) -> Result<Report, BuildError> {
    let site = site_fingerprint(opts);
    let plan = reuse::plan(
        source,
        &opts.out,
        base_url.as_deref(),
        site.as_deref(),
        fresh,
    );
    timings::mark("plan");
    // Carrying plugins over, only the ones read are dated: the walk
    // looks at their folders alone.
    let history = if plan.carried.is_empty() {
        History::read_at(&opts.index, source.commit(), audit::read_edit)?
    } else {
        History::read_at_for(
            &opts.index,
            source.commit(),
            &plan.load_set(),
            audit::read_edit,
        )?
    };
    timings::mark("history");
    build_from(opts, source, plan, history, base_url, started, progress)
}

/// The build proper, with manifests and artifacts read from one `source`:
/// check what the plan reads against what it carries, emit and write,
/// sign, swap the new tree in, and keep the cache for the next build.
fn build_from<S: Source>(
    opts: &Options,
    source: &S,
    plan: Plan,
    history: History,
    base_url: Option<String>,
    started: Started,
    progress: &ProgressBar,
) -> Result<Report, BuildError> {
    if opts.signing_key.is_none() && !opts.allow_unsigned && declares_signing(source) {
        return Err(BuildError::UnsignedRefused);
    }
    let (mut carry, read) = Carry::of(plan);
    // Opened before the check, which hands each plugin over to be emitted
    // as soon as its own rules passed: nothing is served before the commit,
    // and a build that stops before it records the standby for the next.
    let writer = Writer::open(&opts.out)?;
    let emitter = Emitter {
        writer: &writer,
        keep: carry.save.is_some(),
        covered: Mutex::new(BTreeMap::new()),
    };
    let early = Early {
        base_url: base_url.as_deref(),
        emitter: &emitter,
        emitted: Mutex::new(HashMap::new()),
        failed: Mutex::new(None),
    };
    let checked = check_step(opts, source, read, &mut carry, history, &early)?;
    let streamed = early.finish()?;
    let CheckStep {
        mut checked,
        origin,
        dependents,
        dated_from_git,
        cached_signatures,
    } = checked;
    let Some(registry) = checked.registry.take() else {
        return Ok(Report {
            checked,
            built: None,
        });
    };
    check_signing_key(opts, &registry)?;
    let cx = Context {
        base_url: base_url.unwrap_or_else(|| registry.meta.config.base_url.clone()),
    };
    let site = opts
        .site
        .then(|| {
            Site::load(
                source,
                &registry.meta.config,
                &cx,
                &site::Inputs::built_in(),
            )
        })
        .transpose()?;
    // Still to come: the carried files, each plugin's page and feed (its
    // own files were emitted during the check), the registry-wide files.
    let carried_files: usize = carry.plugins.iter().map(|c| c.cached.files.len()).sum();
    writer.reserve(carried_files + registry.plugins.len() * 2 + 64);
    carry.plugins.par_iter_mut().try_for_each(|c| {
        let size = c.cached.size;
        writer.carry(c.take_or_clone(|c| &mut c.files), &size)
    })?;
    timings::mark("carry over");
    progress.set_length(registry.plugins.len() as u64);
    // Everything after emitting works on paths and digests: the model is
    // consumed plugin by plugin as it is emitted, so it and the writer's
    // list of files never add up in memory.
    let registry_id = registry.meta.config.id.clone();
    let host = registry.meta.config.hosting.clone();
    let output = Output {
        cx: &cx,
        site: site.as_ref(),
        dependents: &dependents,
        source,
        emitter: &emitter,
        progress,
        out: &opts.out,
        stats: started.stats.as_ref(),
    };
    let emitted = write_all(
        registry,
        &mut carry.plugins,
        &carry.trees,
        streamed,
        &carry.pages,
        &output,
    )?;
    timings::mark("emit and write");
    let signing = metadata::SigningInput {
        registry: &registry_id,
        key: opts.signing_key.as_ref(),
        now: started.now,
        expiry_secs: opts.expiry_secs,
    };
    let signed = sign_step(opts, &writer, &emitted.covered, &signing)?;
    timings::mark("sign snapshot");
    let summary = writer.commit()?;
    timings::mark("commit");
    let reused = carry.plugins.len();
    let fresh_because = carry.fresh_because;
    carry.save_cache(emitted.plugins, emitted.pages, &summary);
    progress.finish_and_clear();
    let size = summary.size;
    let host_warnings = hosting::check(host.as_ref(), &size);
    Ok(Report {
        checked,
        built: Some(Built {
            summary,
            origin,
            dated_from_git,
            signed: signed.signed,
            cached_signatures,
            reused,
            fresh_because,
            expires: rfc3339(signing.now + signing.expiry_secs),
            size,
            host_warnings,
            elapsed: started.at.elapsed(),
        }),
    })
}

/// What a build carries over from its cache, and how it keeps the cache.
struct Carry {
    plugins: Vec<Carried>,
    /// The identity of each folder read, for its new cache entry.
    trees: HashMap<String, reuse::FolderId>,
    /// The cache chunks this build rewrites: those of the plugins read,
    /// removed or restamped (all of them without a cache to keep).
    dirty: BTreeSet<usize>,
    /// The cache's chunk files, when one was used.
    chunks: Option<Vec<String>>,
    save: Option<reuse::Save>,
    fresh_because: Option<&'static str>,
    /// The keys of the registry-wide pages the cached build made.
    pages: HashMap<String, Sha256Digest>,
}

/// What the check reads.
struct Read {
    load: Vec<crate::source::PluginDir>,
    diagnostics: Vec<crate::diagnostic::Diagnostic>,
}

impl Carry {
    fn of(plan: Plan) -> (Carry, Read) {
        let Plan {
            load,
            trees,
            diagnostics,
            carried,
            save,
            fresh_because,
            removed,
            restamped,
            chunks,
            pages,
        } = plan;
        let dirty: BTreeSet<usize> = match &chunks {
            Some(_) => load
                .iter()
                .map(|d| d.rel.as_str())
                .chain(removed.iter().map(String::as_str))
                .chain(restamped.iter().map(String::as_str))
                .map(cache::bucket)
                .collect(),
            None => (0..cache::BUCKETS).collect(),
        };
        // What the plugins of the other chunks hold is moved, not copied,
        // where it is used.
        let plugins = carried
            .into_iter()
            .map(|cached| Carried {
                chunk_rewritten: dirty.contains(&cache::bucket(&cached.dir)),
                cached,
            })
            .collect();
        let carry = Carry {
            plugins,
            trees,
            dirty,
            chunks,
            save,
            fresh_because,
            pages,
        };
        (carry, Read { load, diagnostics })
    }

    /// Saves the cache of this build: the carried plugins, the `emitted`
    /// ones and the keys of the registry-wide `pages`. Only the dirty
    /// chunks are rewritten.
    fn save_cache(
        self,
        emitted: Vec<Packed>,
        pages: Vec<(String, Sha256Digest)>,
        summary: &Summary,
    ) {
        let Some(save) = self.save else { return };
        let plugins: Vec<CachedPlugin> = self.plugins.into_iter().map(|c| c.cached).collect();
        let header = Header::new(save.context, save.commit, summary.served.clone());
        // Without it the next build is a full one, which is all a failure costs.
        if Cache::save(
            &save.path,
            header,
            &plugins,
            &emitted,
            self.chunks.as_deref(),
            &self.dirty,
            pages,
        )
        .is_err()
        {
            let _ = std::fs::remove_dir_all(&save.path);
        }
        crate::free::in_background((plugins, emitted));
        timings::mark("save build cache");
    }
}

/// What the check step hands on besides the model.
struct CheckStep {
    checked: Checked,
    origin: Origin,
    /// Each plugin's dependents, by canonical name, over every plugin.
    dependents: BTreeMap<String, Vec<String>>,
    /// Versions dated from git history, the carried ones included.
    dated_from_git: usize,
    cached_signatures: usize,
}

/// Checks the plugins `read`, with the carried ones standing in for
/// theirs in the cross-plugin rules, dated by `history` (freed after).
fn check_step<S: Source>(
    opts: &Options,
    source: &S,
    read: Read,
    carry: &mut Carry,
    history: History,
    stream: &dyn check::Stream,
) -> Result<CheckStep, BuildError> {
    // Signatures verified by earlier builds into this output are not verified again.
    let cache = match crate::write::state_dir(&opts.out) {
        Some(state) if std::fs::create_dir_all(&state).is_ok() => {
            VerifiedCache::load(&state.join("verified-signatures"))
        }
        _ => VerifiedCache::default(),
    };
    let carried = &mut carry.plugins;
    let others: Vec<PluginView<'_>> = carried
        .iter()
        .map(|c| PluginView::of_facts(&c.cached.facts))
        .collect();
    let dates = check::GitHistory::new(&history, &opts.index);
    let scope = check::Scope {
        dirs: read.load,
        diagnostics: read.diagnostics,
        find: None,
        known: &others,
    };
    let mut checked = check::check_some(source, scope, &cache, &dates, stream);
    drop(others);
    // Who depends on whom, over every plugin, before the carried facts go.
    let dependents = dependents_of(checked.registry.as_ref(), carried);
    let stale = |c: &Carried| {
        let now = dependents.get(&canonical(&c.cached.facts.name));
        now.map_or(&[][..], Vec::as_slice) != c.cached.dependents.as_slice()
    };
    if opts.site && checked.registry.is_some() && carried.iter().any(stale) {
        // A carried page would list the wrong dependents: rare (a
        // dependency added or dropped), so the whole build starts again.
        return Err(BuildError::DependentsChanged);
    }
    let carried_versions: usize = carried.iter().map(|c| c.cached.facts.releases.len()).sum();
    let dated_from_git = carried_versions + dates.dated_from_git();
    checked.plugins += carried.len();
    checked.versions += carried_versions;
    // Invariant: past the cross-plugin rules, a carried plugin's facts are
    // read only if its cache chunk is rewritten. The rest are freed here, so
    // the carry-over and the emit reuse their memory instead of new pages.
    carried
        .par_iter_mut()
        .filter(|c| !c.chunk_rewritten)
        .for_each(|c| drop(std::mem::take(&mut c.cached.facts.releases)));
    let cached_signatures = cache.hits();
    cache.save();
    // The walk's maps are not needed past this point; free them before emitting.
    let origin = history.origin.clone();
    drop(history);
    Ok(CheckStep {
        checked,
        origin,
        dependents,
        dated_from_git,
        cached_signatures,
    })
}

/// A signing key given must be the registry's online key.
fn check_signing_key(opts: &Options, registry: &Registry) -> Result<(), BuildError> {
    let Some(key) = &opts.signing_key else {
        return Ok(());
    };
    let Some(keys) = &registry.meta.keys else {
        return Err(BuildError::NoSigningTable);
    };
    if key.public().bytes() != keys.online.bytes() {
        return Err(BuildError::WrongSigningKey {
            given: key.public().fingerprint(),
            expected: keys.online.fingerprint(),
        });
    }
    Ok(())
}

/// Signs the snapshot of the `covered` files and writes it, keeping the
/// previous build's snapshot and copies one more generation, for clients
/// and CDN edges that still hold the previous timestamp.
fn sign_step(
    opts: &Options,
    writer: &Writer,
    covered: &BTreeMap<String, FileMeta>,
    signing: &metadata::SigningInput<'_>,
) -> Result<metadata::Signed, BuildError> {
    let signed = metadata::sign(covered, signing);
    for (path, bytes) in &signed.files {
        writer.put(path, bytes)?;
    }
    let read_previous = |p: &str| {
        std::fs::read(opts.out.join(p))
            .ok()
            .or_else(|| std::fs::read(opts.previous.as_ref()?.join(p)).ok())
    };
    for hash in metadata::referenced(&read_previous) {
        if signed.by_hash.binary_search(&hash).is_err() {
            let path = metadata::by_hash_path(&hash);
            if !writer.keep(&path)? {
                keep_from_previous(opts.previous.as_deref(), &path, writer)?;
            }
        }
    }
    Ok(signed)
}

/// Whether `registry.toml` asks for a signed registry. A file that does not
/// parse is left to the check, which reports it with its line.
fn declares_signing<S: Source>(source: &S) -> bool {
    let mut ignored = Vec::new();
    source
        .read_registry(&mut ignored)
        .and_then(|text| toml::from_str::<toml::Table>(&text.text).ok())
        .is_some_and(|table| table.contains_key("signing"))
}

/// Copies a previous generation's `by-hash/` file from `previous` into the
/// new output. The name is the content's SHA-256, so a copy that does not
/// match it (a torn download, a tampered mirror) is left out.
fn keep_from_previous(
    previous: Option<&Path>,
    path: &str,
    writer: &Writer,
) -> Result<(), BuildError> {
    let Some(dir) = previous else { return Ok(()) };
    let Ok(bytes) = std::fs::read(dir.join(path)) else {
        return Ok(());
    };
    let digest = crate::digest::sha256(&bytes);
    if metadata::by_hash_path(&Sha256(digest)) == path {
        writer.put_hashed(path, &bytes, digest)?;
    }
    Ok(())
}

/// A plugin carried over from the build cache, and whether its cache chunk
/// is rewritten: then its data is needed again when the cache is saved, so
/// what is handed on is copied, else moved out.
struct Carried {
    cached: CachedPlugin,
    chunk_rewritten: bool,
}

impl Carried {
    /// The part `field` picks, copied when the cache still needs it, else moved out.
    fn take_or_clone<T: Clone + Default>(
        &mut self,
        field: impl FnOnce(&mut CachedPlugin) -> &mut T,
    ) -> T {
        let keep = self.chunk_rewritten;
        let value = field(&mut self.cached);
        if keep {
            value.clone()
        } else {
            std::mem::take(value)
        }
    }
}

/// Where emitted files go, and what emitting reads besides the model.
struct Output<'a, S> {
    cx: &'a Context,
    site: Option<&'a Site>,
    /// Each plugin's dependents, by canonical name.
    dependents: &'a BTreeMap<String, Vec<String>>,
    /// Self-hosted artifacts are read from it.
    source: &'a S,
    emitter: &'a Emitter<'a>,
    progress: &'a ProgressBar,
    /// The output folder (its state folder keeps the last search bundle).
    out: &'a Path,
    /// `--stats`, when given.
    stats: Option<&'a search::Stats>,
}

/// The files one plugin emitted, as its cache entry records them.
#[derive(Default)]
struct Written {
    files: Vec<(String, Sha256Digest)>,
    size: crate::write::OutputSize,
    /// The ones the snapshot covers.
    covered: Vec<(String, FileMeta)>,
}

/// What emitting produced besides the files.
struct Emitted {
    /// The hash and size of each file the snapshot covers.
    covered: BTreeMap<String, FileMeta>,
    /// Cache entries of the plugins emitted (when the build keeps a cache).
    plugins: Vec<Packed>,
    /// The key of each registry-wide page that may be carried over next time.
    pages: Vec<(String, Sha256Digest)>,
}

/// Emits and writes every file not emitted yet (the plugins' own files
/// were, while the check ran: `streamed`), consuming the registry, with the
/// carried plugins' listings and covered files standing in for theirs.
fn write_all<S: Source>(
    registry: Registry,
    carried: &mut [Carried],
    tree_of: &HashMap<String, reuse::FolderId>,
    streamed: Mutex<HashMap<String, Written>>,
    previous_pages: &HashMap<String, Sha256Digest>,
    output: &Output<'_, S>,
) -> Result<Emitted, BuildError> {
    let Output {
        cx,
        site,
        dependents,
        source,
        emitter,
        progress,
        out,
        stats,
    } = *output;
    let (writer, keep) = (emitter.writer, emitter.keep);
    for c in carried.iter_mut() {
        let mine = c.take_or_clone(|c| &mut c.covered);
        emitter
            .covered
            .lock()
            .expect("no panics while held")
            .extend(mine);
    }
    let put = |file: &OutFile, mine: &mut Written| -> Result<(), BuildError> {
        Ok(emitter.put(file, mine)?)
    };
    // Listings before the plugins are consumed below; the registry-wide
    // files are made from them after, when the model's memory is free again.
    let own: Vec<Listing> = registry
        .plugins
        .par_iter()
        .map(|p| Listing::of(p, cx))
        .collect();
    let shape = emit::Shape::of(&registry.meta.config);
    // Two releases may share one artifact: copy each content-addressed file once.
    let artifacts: BTreeMap<String, Artifact<Sha256>> = registry
        .plugins
        .iter()
        .flat_map(|p| &p.releases)
        .flat_map(|r| r.parsed.manifest.artifacts().map(|(_, a)| a))
        .filter(|a| a.is_self_hosted())
        .map(|a| (emit::artifact_path(a), a.clone()))
        .collect();
    let plugins: Vec<Option<Unlisted>> = registry
        .plugins
        .into_par_iter()
        .map(|plugin| {
            let early = streamed
                .lock()
                .expect("no panics while held")
                .remove(&plugin.dir);
            let mut mine = match early {
                Some(mine) => mine,
                None => {
                    let mut mine = Written::default();
                    for file in emit::plugin(&plugin, cx, shape) {
                        put(&file, &mut mine)?;
                    }
                    mine
                }
            };
            let own_dependents = dependents
                .get(&plugin.name.canonical())
                .cloned()
                .unwrap_or_default();
            for file in site
                .map(|s| s.plugin(&plugin, &own_dependents))
                .transpose()?
                .into_iter()
                .flatten()
            {
                put(&file, &mut mine)?;
            }
            progress.inc(1);
            if !keep {
                return Ok(None);
            }
            for r in &plugin.releases {
                for (_, art) in r.parsed.manifest.artifacts() {
                    if art.is_self_hosted() {
                        mine.files.push((emit::artifact_path(art), art.sha256.0));
                        mine.size.add(art.size);
                    }
                }
            }
            let id = tree_of.get(&plugin.dir).cloned().unwrap_or_default();
            let cached = CachedPlugin {
                tree: id.tree,
                stamps: id.stamps,
                facts: PluginFacts::of_plugin(&plugin),
                dir: plugin.dir,
                // Put in from `own` once the registry-wide files are out.
                listing: Listing::default(),
                files: mine.files,
                size: mine.size,
                covered: mine.covered,
                dependents: own_dependents,
            };
            Ok(Some(Unlisted::of(&cached)))
        })
        .collect::<Result<_, BuildError>>()?;
    let mut listings: Vec<&Listing> = carried
        .iter()
        .map(|c| &c.cached.listing)
        .chain(&own)
        .collect();
    listings.sort_by_cached_key(|l| canonical(&l.name));
    let state = crate::write::state_dir(out);
    let bundles = search::bundles(
        &listings,
        stats.unwrap_or(&search::Stats::default()),
        registry
            .meta
            .config
            .output
            .clone()
            .unwrap_or_default()
            .browser_search_bundle_over,
        state.as_deref(),
    )?;
    timings::mark("search bundle");
    for file in emit::registry(&registry.meta, &listings, cx, Some(bundles)) {
        put(&file, &mut Written::default())?;
    }
    let previous = PreviousPages {
        keys: previous_pages,
        writer,
    };
    let mut pages = Vec::new();
    if let Some(site) = site {
        let put = |file: OutFile| Ok(emitter.put(&file, &mut Written::default())?);
        pages = site.registry(
            &listings,
            stats.map(search::Stats::by_name),
            &previous,
            &put,
        )?;
    }
    drop(listings);
    // Listings are kept only where the cache is written: this build's
    // plugins, and carried ones whose chunk is rewritten.
    for c in carried.iter_mut().filter(|c| !c.chunk_rewritten) {
        c.cached.listing = Listing::default();
    }
    let plugins: Vec<Packed> = plugins
        .into_par_iter()
        .zip(own)
        .filter_map(|(p, listing)| Some(p?.listed(&listing)))
        .collect();
    artifacts.par_iter().try_for_each(|(path, art)| {
        let bytes = source
            .read_artifact(&art.url, art.size)
            .map_err(|e: ArtifactError| BuildError::Artifact {
                path: art.url.clone(),
                why: e.to_string(),
            })?;
        // `check` verified it; a file swapped since then must not be published.
        let digest = crate::digest::sha256(&bytes);
        if Sha256(digest) != art.sha256 {
            return Err(BuildError::Artifact {
                path: art.url.clone(),
                why: "its SHA-256 no longer matches the manifest".into(),
            });
        }
        writer.put_hashed(path, &bytes, digest)?;
        Ok(())
    })?;
    Ok(Emitted {
        covered: std::mem::take(&mut *emitter.covered.lock().expect("no panics while held")),
        plugins,
        pages,
    })
}

/// The registry-wide pages of the build the cache describes, carried over
/// from the served tree when made from the same inputs.
struct PreviousPages<'a> {
    keys: &'a HashMap<String, Sha256Digest>,
    writer: &'a Writer,
}

impl site::Previous for PreviousPages<'_> {
    fn carry(&self, path: &str, key: &Sha256Digest) -> bool {
        // `keep` fails only on an unsafe path: then the page is rendered.
        self.keys.get(path) == Some(key) && self.writer.keep(path).unwrap_or(false)
    }
}

/// Puts emitted files into the writer, with each covered file's `by-hash/`
/// copy, keeping what the snapshot and the build cache need of them.
struct Emitter<'a> {
    writer: &'a Writer,
    /// Whether each plugin's files are recorded (`Written`) for the build cache.
    keep: bool,
    /// The hash and size of each file the snapshot covers.
    covered: Mutex<BTreeMap<String, FileMeta>>,
}

impl Emitter<'_> {
    /// Puts one file (and its `by-hash/` copy when the snapshot covers it),
    /// recording both in `mine` when the cache is kept.
    fn put(&self, file: &OutFile, mine: &mut Written) -> Result<(), WriteError> {
        let digest = self.writer.put(&file.path, &file.bytes)?;
        let len = file.bytes.len() as u64;
        if self.keep {
            mine.files.push((file.path.clone(), digest));
            mine.size.add(len);
        }
        if emit::is_covered(&file.path) {
            let meta = FileMeta {
                sha256: Sha256(digest),
                size: len,
            };
            let copy = metadata::by_hash_path(&meta.sha256);
            self.writer.put_hashed(&copy, &file.bytes, digest)?;
            if self.keep {
                mine.files.push((copy, digest));
                mine.size.add(len);
                mine.covered.push((file.path.clone(), meta.clone()));
            }
            self.covered
                .lock()
                .expect("no panics while held")
                .insert(file.path.clone(), meta);
        }
        Ok(())
    }
}

/// Emits each plugin's own files (its index file and API documents) as the
/// check hands it over, while other plugins are still being read: parsing
/// and file creation then keep both cores busy. What needs every plugin
/// (pages with dependents, listings, the search bundle) waits for the end.
struct Early<'a> {
    /// `--base-url`, which overrides `registry.toml`'s.
    base_url: Option<&'a str>,
    emitter: &'a Emitter<'a>,
    /// What each plugin emitted, by folder.
    emitted: Mutex<HashMap<String, Written>>,
    /// The first write that failed: the build stops with it after the check.
    failed: Mutex<Option<BuildError>>,
}

impl check::Stream for Early<'_> {
    fn plugin(&self, config: &crate::format::types::RegistryConfig, plugin: &crate::model::Plugin) {
        if self.failed.lock().expect("no panics while held").is_some() {
            return;
        }
        let cx = Context {
            base_url: self
                .base_url
                .map_or_else(|| config.base_url.clone(), str::to_owned),
        };
        let mut mine = Written::default();
        for file in emit::plugin(plugin, &cx, emit::Shape::of(config)) {
            if let Err(e) = self.emitter.put(&file, &mut mine) {
                self.failed
                    .lock()
                    .expect("no panics while held")
                    .get_or_insert(e.into());
                return;
            }
        }
        self.emitted
            .lock()
            .expect("no panics while held")
            .insert(plugin.dir.clone(), mine);
    }
}

impl Early<'_> {
    /// What was emitted, or the first write that failed.
    fn finish(self) -> Result<Mutex<HashMap<String, Written>>, BuildError> {
        match self.failed.into_inner().expect("no panics while held") {
            Some(e) => Err(e),
            None => Ok(self.emitted),
        }
    }
}

/// Each plugin's dependents (by canonical name): the plugins read in this
/// build, and the carried ones through their cached facts.
fn dependents_of(
    registry: Option<&Registry>,
    carried: &[Carried],
) -> BTreeMap<String, Vec<String>> {
    let read = registry.into_iter().flat_map(|r| &r.plugins).flat_map(|p| {
        p.releases
            .iter()
            .filter(|r| !r.is_yanked())
            .flat_map(move |r| {
                r.parsed
                    .manifest
                    .dependencies
                    .iter()
                    .map(move |d| (p.name.as_str(), d.name.as_str()))
            })
    });
    let cached = carried.iter().flat_map(|c| {
        let facts = &c.cached.facts;
        facts
            .releases
            .iter()
            .filter(|r| !r.yanked)
            .flat_map(move |r| {
                r.deps
                    .iter()
                    .map(move |d| (facts.name.as_str(), d.name.as_str()))
            })
    });
    site::dependents(read.chain(cached))
}

/// When a build started: the instant (for its duration) and the time it signs.
#[derive(Clone)]
struct Started {
    at: Instant,
    now: i64,
    /// `--stats`, read before anything else so bad input writes nothing.
    stats: Option<search::Stats>,
}

/// How far ahead of the clock `SOURCE_DATE_EPOCH` may be without
/// `--allow-signing-time-skew`: runners' clocks drift by seconds, not hours.
pub const MAX_SIGNING_SKEW_SECS: i64 = 3600;

/// The build time, which the timestamp signs as its version and counts its
/// expiry from: `SOURCE_DATE_EPOCH` when set (reproducible builds set it to
/// the commit time, in the past), else `clock`. A time ahead of the clock
/// would make every client that installs once refuse normal builds as a
/// rollback until then; one whose expiry cannot be written would sign an
/// expiry in 1970. Both are refused, the first unless allowed.
fn build_time(epoch: Option<&str>, clock: i64, opts: &Options) -> Result<i64, BuildError> {
    // Set but empty is unset, as CI templates often leave it.
    let Some(text) = epoch.filter(|t| !t.trim().is_empty()) else {
        return Ok(clock);
    };
    let invalid = |why| BuildError::SigningTimeInvalid {
        value: crate::diagnostic::printable(text),
        why,
    };
    // The reproducible-builds specification: a malformed value is an error.
    let at: i64 = text
        .trim()
        .parse()
        .map_err(|_| invalid("not a whole number of seconds since 1970"))?;
    if at < 0 {
        return Err(invalid("before 1970"));
    }
    let expiry_fits = at
        .checked_add(opts.expiry_secs)
        .is_some_and(|t| jiff::Timestamp::from_second(t).is_ok());
    if !expiry_fits {
        return Err(invalid(
            "too far in the future: the timestamp's expiry cannot be written",
        ));
    }
    if at - clock > MAX_SIGNING_SKEW_SECS && !opts.allow_signing_time_skew {
        return Err(BuildError::SigningTimeAhead {
            at: rfc3339(at),
            ahead: format!("{:.1} hours", (at - clock) as f64 / 3600.0),
        });
    }
    Ok(at)
}

/// An absolute `http(s)` URL ending with `/`.
fn normalise_base_url(raw: &str) -> Result<String, BuildError> {
    let url = url::Url::parse(raw).map_err(|_| BuildError::BaseUrl(raw.to_owned()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(BuildError::BaseUrl(raw.to_owned()));
    }
    let mut s = url.to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    Ok(s)
}

/// Writes the changed paths, one per line, for a CDN invalidation.
pub fn write_changed_list(path: &Path, summary: &Summary) -> std::io::Result<()> {
    let mut text = String::new();
    for p in &summary.changed {
        text.push('/');
        text.push_str(p);
        text.push('\n');
    }
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        assert_eq!(
            normalise_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            normalise_base_url("https://x.example/reg/").unwrap(),
            "https://x.example/reg/"
        );
        assert!(normalise_base_url("ftp://x.example/").is_err());
        assert!(normalise_base_url("/relative/").is_err());
    }

    fn options(allow_signing_time_skew: bool) -> Options {
        Options {
            index: PathBuf::new(),
            out: PathBuf::new(),
            base_url: None,
            signing_key: None,
            expiry_secs: 7 * 24 * 3600,
            rev: None,
            allow_unsigned: false,
            previous: None,
            allow_signing_time_skew,
            stats: None,
            site: true,
        }
    }

    #[test]
    fn signing_times_far_ahead_or_unwritable_are_refused() {
        let clock = 1_767_225_600;
        let opts = options(false);
        assert_eq!(build_time(None, clock, &opts).unwrap(), clock);
        // Reproducible builds sign the (past) commit time.
        assert_eq!(build_time(Some("1000"), clock, &opts).unwrap(), 1000);
        let minute_ahead = (clock + 60).to_string();
        assert!(build_time(Some(&minute_ahead), clock, &opts).is_ok());
        let month_ahead = (clock + 30 * 24 * 3600).to_string();
        assert!(matches!(
            build_time(Some(&month_ahead), clock, &opts),
            Err(BuildError::SigningTimeAhead { .. })
        ));
        assert!(build_time(Some(&month_ahead), clock, &options(true)).is_ok());
        assert_eq!(build_time(Some(" "), clock, &opts).unwrap(), clock);
        for bad in ["99999999999999", "9223372036854775807", "-5", "soon"] {
            assert!(
                matches!(
                    build_time(Some(bad), clock, &options(true)),
                    Err(BuildError::SigningTimeInvalid { .. })
                ),
                "{bad}"
            );
        }
    }
}
