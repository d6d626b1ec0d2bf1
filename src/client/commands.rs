//! The client's commands as library calls: `plan_install` / `plan_update`
//! (resolve and verify signatures, download nothing) then `apply` (download,
//! verify artifacts, install as one transaction); `remove`, `list`, `info`.
//! Splitting plan from apply lets a caller show permissions and ask first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::client::ClientError;
use crate::client::cache::Cache;
use crate::client::config::Registry;
use crate::client::http::{Fetcher, Stats};
use crate::client::install::{self, Paths};
use crate::client::lock::{Lock, Locked};
use crate::client::remote::{PluginFile, Remote};
use crate::client::resolve::{self, Policy, Request};
use crate::client::transport::{Transport, UreqTransport};
use crate::client::unpack::Limits;
use crate::format::name::canonical;
use crate::format::published::Tier;
use crate::format::types::Platform;
use crate::format::types::{Channel, Permission, Yanked};
use crate::trust::verify::{VerifiedRelease, VerifyError};

/// How the client runs. Made with `Options::new` and the setters below
/// (`#[non_exhaustive]`: a new option is a new setter, never a break); the
/// fields stay public to read and to change.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    pub registry: Registry,
    /// The plugins folder; the lock file and state live beside it.
    pub dir: PathBuf,
    /// The HTTP cache; `None` disables it.
    pub cache_dir: Option<PathBuf>,
    /// Use the cache only.
    pub offline: bool,
    pub policy: Policy,
    /// Now, in seconds since the epoch (timestamps expire against it).
    pub now: i64,
    /// Bound on each HTTP request.
    pub timeout: Duration,
    pub limits: Limits,
    /// The platform whose artifacts are installed (`--platform`); `None`
    /// when this machine is outside the vocabulary (then only releases with
    /// one artifact for every platform install).
    pub platform: Option<Platform>,
}

impl Options {
    /// Installing from `registry` into the plugins folder `dir`: no cache,
    /// online, the default policy (no engine check, stable channel, no
    /// experimental releases), the clock's time, 30-second requests and the
    /// default archive caps.
    pub fn new(registry: Registry, dir: impl Into<PathBuf>) -> Options {
        Options {
            registry,
            dir: dir.into(),
            cache_dir: None,
            offline: false,
            policy: Policy::default(),
            now: jiff::Timestamp::now().as_second(),
            timeout: Duration::from_secs(30),
            limits: Limits::default(),
            platform: Platform::current(),
        }
    }

    pub fn cache_dir(mut self, cache_dir: Option<PathBuf>) -> Options {
        self.cache_dir = cache_dir;
        self
    }

    pub fn offline(mut self, offline: bool) -> Options {
        self.offline = offline;
        self
    }

    pub fn policy(mut self, policy: Policy) -> Options {
        self.policy = policy;
        self
    }

    pub fn now(mut self, now: i64) -> Options {
        self.now = now;
        self
    }

    /// Installs the artifacts of `platform` rather than this machine's.
    pub fn platform(mut self, platform: Platform) -> Options {
        self.platform = Some(platform);
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Options {
        self.timeout = timeout;
        self
    }

    pub fn limits(mut self, limits: Limits) -> Options {
        self.limits = limits;
        self
    }
}

pub struct Client {
    pub(super) opts: Options,
    pub(super) fetcher: Fetcher,
    paths: Paths,
}

/// One plugin that changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub name: String,
    /// The installed version; `null` for a new plugin.
    pub from: Option<String>,
    /// The version to install; `null` when the plugin is removed.
    pub to: Option<String>,
    pub tier: Option<Tier>,
    /// What the new version declares it needs.
    pub permissions: Vec<Permission>,
    /// Installed because another plugin needs it.
    pub dependency: bool,
}

/// What `apply` would do.
pub struct Plan<'c> {
    /// The plugins folder stays locked from planning to applying.
    guard: install::FolderLock,
    remote: Remote<'c>,
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
    releases: Vec<(String, VerifiedRelease)>,
    remove: Vec<String>,
    lock: Lock,
}

/// What a command did, for the printer (`--format json` prints it as is).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
    pub http: Stats,
}

/// One line of `list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed {
    pub name: String,
    pub vers: String,
    pub registry: String,
    /// The requirement asked for; `null` for a dependency.
    pub requested: Option<String>,
    /// The highest version the policy allows; `null` when unknown (another registry).
    pub latest: Option<String>,
    pub yanked: Option<String>,
    pub deprecated: Option<String>,
    pub revoked: Option<String>,
}

/// `info`: verified index facts, and descriptive facts from the API.
/// Everything a user may trust (versions, tiers, signers, permissions,
/// yanks, revocations) comes from the signed index; the API document, which
/// the snapshot does not cover, gives only the descriptive fields marked so.
#[derive(Debug, Clone, Serialize)]
pub struct Info {
    pub name: String,
    /// From the API document (not covered by the registry's signature), as
    /// are `license`, `owners` and `homepage`.
    pub description: Option<String>,
    pub license: Option<String>,
    pub owners: Vec<String>,
    pub homepage: Option<String>,
    pub latest: Option<String>,
    pub installed: Option<String>,
    pub versions: Vec<InfoVersion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InfoVersion {
    pub vers: String,
    pub channel: Channel,
    pub engine: String,
    pub tier: Tier,
    /// The owner key the release's signature verifies under (raw base64), as
    /// published (the text, when it is not a key).
    pub signer: Option<String>,
    pub permissions: Vec<Permission>,
    pub yanked: Option<String>,
    pub deprecated: Option<String>,
    pub revoked: Option<String>,
}

fn yanked_reason(y: &Yanked) -> Option<String> {
    match y {
        Yanked::No => None,
        Yanked::Reason(r) => Some(r.clone()),
    }
}

impl Client {
    /// A client sending through the default transport (`UreqTransport`).
    pub fn new(opts: Options) -> Result<Client, ClientError> {
        Client::with_transport(opts, UreqTransport::new())
    }

    /// A client sending every request through a host application's HTTP
    /// stack. The protocol (conditional requests, redirect checks, body
    /// caps, the cache) stays plugdex's; `opts.timeout` reaches the
    /// transport as `Request::timeout`.
    pub fn with_transport(
        opts: Options,
        transport: impl Transport + 'static,
    ) -> Result<Client, ClientError> {
        let fetcher = Fetcher::with_transport(
            Box::new(transport),
            &opts.registry.url,
            opts.registry.token.clone(),
            opts.cache_dir.as_deref().map(Cache::new),
            opts.offline,
            opts.timeout,
        );
        let paths = Paths::new(&opts.dir)?;
        Ok(Client {
            opts,
            fetcher,
            paths,
        })
    }

    /// HTTP counters so far.
    pub fn stats(&self) -> Stats {
        self.fetcher.stats()
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Opens the registry and records what it learnt (the timestamp version)
    /// of a registry already trusted. A first use's root keys are pinned only
    /// by [`Client::apply`], once the user went ahead: looking (`info`,
    /// `list`) or declining a plan pins nothing.
    pub(super) fn open(&self) -> Result<Remote<'_>, ClientError> {
        let state = self.paths.read_state()?;
        let remote = Remote::open(
            &self.fetcher,
            &self.opts.registry,
            state.registries.get(&self.opts.registry.url),
            self.opts.now,
        )?;
        if !remote.pinned_now {
            self.remember(&remote)?;
        }
        Ok(remote)
    }

    /// Writes what `remote` learnt (pins, timestamp version) to the state file.
    fn remember(&self, remote: &Remote<'_>) -> Result<(), ClientError> {
        let mut state = self.paths.read_state()?;
        let url = &self.opts.registry.url;
        if state.registries.get(url) != Some(&remote.state) {
            state.registries.insert(url.clone(), remote.state.clone());
            self.paths.write_state(&state)?;
        }
        Ok(())
    }

    /// Plans installing `requests` on top of what is installed.
    pub fn plan_install(&self, requests: &[Request]) -> Result<Plan<'_>, ClientError> {
        let old = self.paths.read_lock()?;
        let mut roots = self.roots(&old);
        for r in requests {
            roots.insert(r.name.clone(), r.req.to_string());
        }
        self.plan(&old, roots, old.versions())
    }

    /// Plans updating `names` (every plugin of this registry when empty) to
    /// the highest versions that fit.
    pub fn plan_update(&self, names: &[String]) -> Result<Plan<'_>, ClientError> {
        let old = self.paths.read_lock()?;
        let mut prefer = old.versions();
        if names.is_empty() {
            prefer.clear();
        }
        for n in names {
            let n = canonical(n);
            if prefer.remove(&n).is_none() {
                return Err(ClientError::Lock {
                    path: self.paths.lock.clone(),
                    source: crate::client::lock::LockError::NotInstalled(n),
                });
            }
        }
        self.plan(&old, self.roots(&old), prefer)
    }

    /// The plugins of this registry the user asked for, with their requirements.
    fn roots(&self, lock: &Lock) -> BTreeMap<String, String> {
        lock.plugins
            .iter()
            .filter(|p| p.registry == self.opts.registry.url)
            .filter_map(|p| Some((p.name.clone(), p.requested.clone()?)))
            .collect()
    }

    fn plan(
        &self,
        old: &Lock,
        roots: BTreeMap<String, String>,
        prefer: BTreeMap<String, semver::Version>,
    ) -> Result<Plan<'_>, ClientError> {
        let url = self.opts.registry.url.clone();
        let guard = self.paths.lock_folder()?;
        let requests = roots
            .iter()
            .map(|(n, r)| Request::parse(&format!("{n}@{r}")))
            .collect::<Result<Vec<_>, _>>()?;
        let remote = self.open()?;
        let files = self.fetch_closure(&remote, &requests)?;
        let available: BTreeMap<String, Vec<_>> = files
            .iter()
            .map(|(n, f)| (n.clone(), f.lines.clone()))
            .collect();
        let resolution = resolve::resolve(&requests, &available, &prefer, &self.opts.policy)?;
        let mut lock = Lock {
            plugins: old
                .plugins
                .iter()
                .filter(|p| p.registry != url)
                .cloned()
                .collect(),
            ..Lock::default()
        };
        let (mut changes, mut releases, mut remove) = (Vec::new(), Vec::new(), Vec::new());
        for (name, line) in &resolution.chosen {
            // Step 4 for every chosen release, installed before or not.
            let release = files[name]
                .file
                .release(
                    line,
                    self.opts.policy.allow_experimental,
                    self.opts.platform,
                )
                .map_err(|source| match source {
                    VerifyError::NoPlatform {
                        name,
                        vers,
                        platform,
                        offered,
                    } => ClientError::NoPlatform {
                        name,
                        vers,
                        platform,
                        offered,
                    },
                    source => ClientError::Verify {
                        check: "author signature",
                        source,
                    },
                })?;
            let requested = roots.get(name).cloned();
            if let Some(other) = old.get(name).filter(|b| b.registry != url) {
                return Err(ClientError::OtherRegistry {
                    name: name.clone(),
                    registry: other.registry.clone(),
                });
            }
            let before = old.get(name);
            let locked = Locked::of(line, release.artifact(), &url, requested.clone());
            let unchanged = before
                .is_some_and(|b| b.vers == line.vers && b.sha256 == locked.sha256)
                && self.paths.dir.join(name).is_dir();
            if !unchanged {
                changes.push(Change {
                    name: name.clone(),
                    from: before.map(|b| b.vers.clone()),
                    to: Some(line.vers.clone()),
                    tier: Some(line.tier),
                    permissions: line.permissions.clone(),
                    dependency: requested.is_none(),
                });
                releases.push((name.clone(), release));
            }
            lock.plugins.push(locked);
        }
        for p in old.plugins.iter().filter(|p| p.registry == url) {
            if !resolution.chosen.contains_key(&p.name) {
                changes.push(gone(p));
                remove.push(p.name.clone());
            }
        }
        let mut warnings = resolution.warnings;
        if remote.pinned_now {
            warnings.insert(
                0,
                format!(
                    "first use of {url}: installing pins its root keys ({}) in `{}`; set `root_keys` in the config file to pin them yourself",
                    remote.state.root_keys.join(", "),
                    self.paths.state.display()
                ),
            );
        }
        Ok(Plan {
            guard,
            remote,
            changes,
            warnings,
            releases,
            remove,
            lock,
        })
    }

    /// The verified index files of the requested plugins and, level by
    /// level, of every plugin their versions depend on; each level in parallel.
    fn fetch_closure(
        &self,
        remote: &Remote<'_>,
        requests: &[Request],
    ) -> Result<BTreeMap<String, PluginFile>, ClientError> {
        let mut files: BTreeMap<String, PluginFile> = BTreeMap::new();
        let mut missing = BTreeSet::new();
        let mut todo: BTreeSet<String> = requests.iter().map(|r| r.name.clone()).collect();
        while !todo.is_empty() {
            let mut next = BTreeSet::new();
            for (name, file) in remote.plugins(&todo)? {
                match file {
                    Some(f) => {
                        next.extend(resolve::dependency_names(&f.lines));
                        files.insert(name, f);
                    }
                    None => {
                        missing.insert(name);
                    }
                }
            }
            todo = next
                .into_iter()
                .filter(|n| !files.contains_key(n) && !missing.contains(n))
                .collect();
        }
        if let Some(r) = requests.iter().find(|r| missing.contains(&r.name)) {
            return Err(ClientError::NoSuchPlugin {
                name: r.name.clone(),
                suggestions: remote.suggest(&r.name),
            });
        }
        Ok(files)
    }

    /// Downloads, verifies and installs a plan, all or nothing.
    pub fn apply(&self, plan: Plan<'_>) -> Result<Report, ClientError> {
        let (names, releases): (Vec<String>, Vec<VerifiedRelease>) =
            plan.releases.into_iter().unzip();
        let artifacts = plan.remote.download(releases)?;
        install::commit(
            &self.paths,
            &plan.guard,
            names.into_iter().zip(artifacts).collect(),
            &plan.remove,
            &plan.lock,
            self.opts.limits,
        )?;
        self.remember(&plan.remote)?;
        Ok(Report {
            changes: plan.changes,
            warnings: plan.warnings,
            http: self.stats(),
        })
    }

    /// Installed plugins, with what the registry says of them now.
    pub fn list(&self) -> Result<Vec<Listed>, ClientError> {
        let lock = self.paths.read_lock()?;
        let ours: BTreeSet<String> = lock
            .plugins
            .iter()
            .filter(|p| p.registry == self.opts.registry.url)
            .map(|p| p.name.clone())
            .collect();
        let files = match ours.is_empty() {
            true => BTreeMap::new(),
            false => self.open()?.plugins(&ours)?,
        };
        Ok(lock
            .plugins
            .iter()
            .map(|p| {
                let lines = files
                    .get(&p.name)
                    .and_then(Option::as_ref)
                    .map(|f| &f.lines[..]);
                let now = lines.and_then(|ls| ls.iter().find(|l| l.vers == p.vers));
                Listed {
                    name: p.name.clone(),
                    vers: p.vers.clone(),
                    registry: p.registry.clone(),
                    requested: p.requested.clone(),
                    latest: lines
                        .and_then(|ls| resolve::latest(ls, &self.opts.policy))
                        .map(|l| l.vers.clone()),
                    yanked: now.and_then(|l| yanked_reason(&l.yanked)),
                    deprecated: now.and_then(|l| l.deprecated.as_ref().map(|d| d.message.clone())),
                    revoked: now.and_then(|l| l.revoked.clone()),
                }
            })
            .collect())
    }

    /// Everything known about one plugin.
    pub fn info(&self, name: &str) -> Result<Info, ClientError> {
        let remote = self.open()?;
        let name = canonical(name);
        let Some(file) = remote.plugin(&name)? else {
            return Err(ClientError::NoSuchPlugin {
                suggestions: remote.suggest(&name),
                name,
            });
        };
        // An API document about another plugin is not about this one.
        let doc = remote
            .plugin_doc(&name)
            .ok()
            .filter(|d| canonical(&d.name) == name);
        let lock = self.paths.read_lock()?;
        Ok(Info {
            description: doc.as_ref().map(|d| d.description.clone()),
            license: doc.as_ref().map(|d| d.license.clone()),
            owners: doc.as_ref().map(|d| d.owners.clone()).unwrap_or_default(),
            homepage: doc.as_ref().and_then(|d| d.homepage.clone()),
            latest: resolve::latest(&file.lines, &self.opts.policy).map(|l| l.vers.clone()),
            installed: lock.get(&name).map(|p| p.vers.clone()),
            versions: file
                .lines
                .iter()
                .map(|l| InfoVersion {
                    vers: l.vers.clone(),
                    channel: l.channel,
                    engine: l.engine.clone(),
                    tier: l.tier,
                    signer: l.signer.as_ref().map(ToString::to_string),
                    permissions: l.permissions.clone(),
                    yanked: yanked_reason(&l.yanked),
                    deprecated: l.deprecated.as_ref().map(|d| d.message.clone()),
                    revoked: l.revoked.clone(),
                })
                .collect(),
            name,
        })
    }
}

fn gone(p: &Locked) -> Change {
    Change {
        name: p.name.clone(),
        from: Some(p.vers.clone()),
        to: None,
        tier: None,
        permissions: Vec::new(),
        dependency: p.requested.is_none(),
    }
}

/// Removes plugins (and the dependencies nothing else needs); no network.
pub fn remove(dir: &std::path::Path, names: &[String]) -> Result<Vec<Change>, ClientError> {
    let paths = Paths::new(dir)?;
    let guard = paths.lock_folder()?;
    let old = paths.read_lock()?;
    let names: Vec<String> = names.iter().map(|n| canonical(n)).collect();
    let new = old.without(&names).map_err(|source| ClientError::Lock {
        path: paths.lock.clone(),
        source,
    })?;
    let removed: Vec<&Locked> = old
        .plugins
        .iter()
        .filter(|p| new.get(&p.name).is_none())
        .collect();
    let names: Vec<String> = removed.iter().map(|p| p.name.clone()).collect();
    install::commit(&paths, &guard, Vec::new(), &names, &new, Limits::default())?;
    Ok(removed.into_iter().map(gone).collect())
}
