//! A registry opened through the verification chain (`trust::verify`):
//! `config.json`, `root.json` and `timestamp.json` fetched in parallel, the
//! root checked against the pinned keys, the timestamp against expiry and
//! rollback, then every file read through the signed snapshot. Nothing this
//! module returns is unverified, except the API documents `info` shows,
//! which say so.
//!
//! A registry opened before (its keys pinned, `root.json` and `config.json`
//! cached) costs one request: the timestamp is revalidated, and the cached
//! root and config are used when the snapshot it signs still names their
//! hashes (the snapshot covers both). Anything else, or any check that
//! fails on the way, falls back to the full chain above.

use std::collections::{BTreeMap, BTreeSet};

use crate::client::ClientError;
use crate::client::config::Registry;
use crate::client::http::{Fetcher, Trace};
use crate::client::state::RegistryState;
use crate::format::name::{canonical, shard};
use crate::format::published::{CONFIG_PATH, Config, IndexLine, NamesIndex, NamesPage, PluginDoc};
use crate::trust::keys::{KeyError, PublicKey, RawKey};
use crate::trust::metadata::{ROOT_PATH, TIMESTAMP_PATH};
use crate::trust::verify::{
    Anchor, TrustedFile, TrustedTimestamp, VerifiedArtifact, VerifiedRelease, VerifyError,
};
use crate::untrusted::shown;

/// Most index files fetched at once.
const PARALLEL: usize = 8;

pub struct Remote<'f> {
    fetcher: &'f Fetcher,
    pub config: Config,
    ts: TrustedTimestamp,
    /// What to remember for next time (pins and the timestamp version).
    pub state: RegistryState,
    /// Whether the root keys were pinned on this run (trust on first use).
    pub pinned_now: bool,
}

/// One plugin's verified index file and its lines.
pub struct PluginFile {
    pub file: TrustedFile,
    pub lines: Vec<IndexLine>,
}

fn verify(check: &'static str) -> impl Fn(VerifyError) -> ClientError {
    move |source| ClientError::Verify { check, source }
}

impl<'f> Remote<'f> {
    /// Opens `registry`: steps 1 and 2 of the chain, and `config.json`
    /// through the snapshot. `known` is what the state file remembers.
    pub fn open(
        fetcher: &'f Fetcher,
        registry: &Registry,
        known: Option<&RegistryState>,
        now: i64,
    ) -> Result<Remote<'f>, ClientError> {
        fetcher.recovering(
            |trace| Remote::open_once(fetcher, registry, known, now, trace),
            ClientError::is_verification_failure,
        )
    }

    fn open_once(
        fetcher: &'f Fetcher,
        registry: &Registry,
        known: Option<&RegistryState>,
        now: i64,
        trace: &Trace,
    ) -> Result<Remote<'f>, ClientError> {
        if let Some(remote) = Remote::open_warm(fetcher, registry, known, now, trace) {
            return Ok(remote);
        }
        let [config, root, timestamp] =
            fetch_all(fetcher, [CONFIG_PATH, ROOT_PATH, TIMESTAMP_PATH], trace);
        let config = config.map_err(|e| match e {
            crate::client::http::FetchError::NotFound { url } => ClientError::NotARegistry { url },
            e => e.into(),
        })?;
        let unverified: Config =
            serde_json::from_slice(&config).map_err(|e| ClientError::Malformed {
                url: format!("{}{CONFIG_PATH}", fetcher.base()),
                why: shown(&e.to_string()),
            })?;
        if unverified.v != crate::format::published::CONFIG_V {
            return Err(ClientError::Malformed {
                url: format!("{}{CONFIG_PATH}", fetcher.base()),
                why: format!(
                    "format version {}, this plugdex reads {}",
                    unverified.v,
                    crate::format::published::CONFIG_V
                ),
            });
        }
        if unverified.keys.is_empty() {
            return Err(ClientError::UnsignedRegistry {
                url: fetcher.base().to_owned(),
            });
        }
        let pins =
            keys_to_trust(registry, known, &unverified).map_err(|e| ClientError::Malformed {
                url: "the pinned root keys".into(),
                why: shown(&e.to_string()),
            })?;
        let anchor = pins.anchor();
        let online = anchor.verify_root(&root?).map_err(verify("root keys"))?;
        let last_seen = known.map(|k| k.timestamp_version);
        let ts = online
            .verify_timestamp(&timestamp?, now, last_seen)
            .map_err(verify("timestamp"))?;
        let mut fetch = |p: &str| fetcher.get_traced(p, trace).map_err(|e| e.to_string());
        let trusted = ts
            .file(CONFIG_PATH, &mut fetch)
            .map_err(verify("config.json"))?;
        let config: Config =
            serde_json::from_slice(trusted.bytes()).map_err(|e| ClientError::Malformed {
                url: format!("{}{CONFIG_PATH}", fetcher.base()),
                why: shown(&e.to_string()),
            })?;
        let (state, pinned_now) = pins.remember(ts.version().max(last_seen.unwrap_or(i64::MIN)));
        Ok(Remote {
            fetcher,
            config,
            ts,
            state,
            pinned_now,
        })
    }

    /// A registry this client has opened before, with one request (the
    /// timestamp's): `None` when anything is not as it was (nothing cached,
    /// the root or config changed, a check failed), for the full chain to
    /// fetch afresh and report. The root keys are chosen as the full chain
    /// chooses them, the cached `config.json` standing in for a fetched one.
    fn open_warm(
        fetcher: &'f Fetcher,
        registry: &Registry,
        known: Option<&RegistryState>,
        now: i64,
        trace: &Trace,
    ) -> Option<Remote<'f>> {
        let root = fetcher.cached(ROOT_PATH)?;
        let unverified: Config = serde_json::from_slice(&fetcher.cached(CONFIG_PATH)?).ok()?;
        let pins = keys_to_trust(registry, known, &unverified).ok()?;
        let anchor = pins.anchor();
        let online = anchor.verify_root(&root).ok()?;
        let timestamp = fetcher.get_traced(TIMESTAMP_PATH, trace).ok()?;
        let last_seen = known.map(|k| k.timestamp_version);
        let ts = online.verify_timestamp(&timestamp, now, last_seen).ok()?;
        let mut fetch = |p: &str| fetcher.get(p).map_err(|e| e.to_string());
        // The root this timestamp's snapshot names must be the cached one:
        // a new root (new online key, new keys) goes through the full chain.
        if !ts.lookup(ROOT_PATH, &mut fetch).ok()??.matches(&root) {
            return None;
        }
        let config_meta = ts.lookup(CONFIG_PATH, &mut fetch).ok()??;
        let mut pinned = |p: &str| {
            if p == CONFIG_PATH {
                fetcher.get_pinned(p, &config_meta.sha256, trace)
            } else {
                fetcher.get_traced(p, trace)
            }
            .map_err(|e| e.to_string())
        };
        let trusted = ts.file(CONFIG_PATH, &mut pinned).ok()?;
        let config: Config = serde_json::from_slice(trusted.bytes()).ok()?;
        if config.v != crate::format::published::CONFIG_V || config.keys.is_empty() {
            return None;
        }
        let (state, pinned_now) = pins.remember(ts.version().max(last_seen.unwrap_or(i64::MIN)));
        Some(Remote {
            fetcher,
            config,
            ts,
            state,
            pinned_now,
        })
    }

    /// The verified timestamp: its version, expiry and snapshot.
    pub fn timestamp(&self) -> &TrustedTimestamp {
        &self.ts
    }

    /// Where a plugin's index file is.
    pub fn index_path(&self, name: &str) -> String {
        let c = canonical(name);
        format!(
            "{}/{}/{c}",
            self.config.index.trim_end_matches('/'),
            shard(&c)
        )
    }

    /// Step 3 for `path`. When neither the file nor its `by-hash/` copy
    /// could be fetched at all, the network error is reported, not a mismatch.
    /// A cached copy that fails the check is dropped and fetched again once.
    fn trusted_file(&self, path: &str, check: &'static str) -> Result<TrustedFile, ClientError> {
        self.fetcher.recovering(
            |trace| self.trusted_file_once(path, check, trace),
            ClientError::is_verification_failure,
        )
    }

    fn trusted_file_once(
        &self,
        path: &str,
        check: &'static str,
        trace: &Trace,
    ) -> Result<TrustedFile, ClientError> {
        let failures = std::cell::RefCell::new(Vec::new());
        let mut fetch = |p: &str| {
            self.fetcher.get_traced(p, trace).map_err(|e| {
                failures.borrow_mut().push(e.clone());
                e.to_string()
            })
        };
        match self.ts.file(path, &mut fetch) {
            Err(VerifyError::Mismatch { .. }) if failures.borrow().len() >= 2 => {
                Err(failures.into_inner().swap_remove(0).into())
            }
            r => r.map_err(verify(check)),
        }
    }

    /// A plugin's verified index file; `None` when the snapshot proves the
    /// registry has no such plugin.
    pub fn plugin(&self, name: &str) -> Result<Option<PluginFile>, ClientError> {
        let path = self.index_path(name);
        let mut fetch = |p: &str| self.fetcher.get(p).map_err(|e| e.to_string());
        if self
            .ts
            .lookup(&path, &mut fetch)
            .map_err(verify("snapshot"))?
            .is_none()
        {
            return Ok(None);
        }
        let file = self.trusted_file(&path, "index file")?;
        let lines = file.index_lines();
        Ok(Some(PluginFile { file, lines }))
    }

    /// Several plugins' index files, fetched in parallel.
    pub fn plugins(
        &self,
        names: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, Option<PluginFile>>, ClientError> {
        let names: Vec<&String> = names.iter().collect();
        let mut out = BTreeMap::new();
        for chunk in names.chunks(PARALLEL) {
            let results: Vec<_> = std::thread::scope(|s| {
                let handles: Vec<_> = chunk
                    .iter()
                    .map(|n| s.spawn(move || ((*n).clone(), self.plugin(n))))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a fetch thread panicked"))
                    .collect()
            });
            for (name, r) in results {
                out.insert(name, r?);
            }
        }
        Ok(out)
    }

    /// Names close to `name` from the (verified) names list, closest first.
    pub fn suggest(&self, name: &str) -> Vec<String> {
        let name = canonical(name);
        let Ok(index) = self.trusted_file(&self.config.names, "names list") else {
            return Vec::new();
        };
        let Ok(index) = serde_json::from_slice::<NamesIndex>(index.bytes()) else {
            return Vec::new();
        };
        // The page the name would fall in: typos rarely change the first letters.
        let Some(page) = index
            .pages
            .iter()
            .find(|p| name.as_str() <= p.last.as_str())
            .or(index.pages.last())
        else {
            return Vec::new();
        };
        let Ok(page) = self.trusted_file(&page.path, "names list") else {
            return Vec::new();
        };
        let Ok(page) = serde_json::from_slice::<NamesPage>(page.bytes()) else {
            return Vec::new();
        };
        close_names(&name, page.names.iter().map(|n| n.name.as_str()))
    }

    /// `api/v1/plugins/{name}.json`: descriptive facts, not covered by the
    /// signed snapshot (shown by `info`, never used to install).
    pub fn plugin_doc(&self, name: &str) -> Result<PluginDoc, ClientError> {
        let path = format!("{}plugins/{}.json", self.config.api, canonical(name));
        let once = |trace: &Trace| -> Result<PluginDoc, ClientError> {
            let bytes = self.fetcher.get_traced(&path, trace)?;
            serde_json::from_slice(&bytes).map_err(|e| ClientError::Malformed {
                url: format!("{}{path}", self.fetcher.base()),
                why: shown(&e.to_string()),
            })
        };
        self.fetcher
            .recovering(once, ClientError::is_verification_failure)
    }

    /// Steps 5: downloads and checks the artifacts of `releases`, in parallel.
    pub fn download(
        &self,
        releases: Vec<VerifiedRelease>,
    ) -> Result<Vec<VerifiedArtifact>, ClientError> {
        let mut out = Vec::new();
        let mut releases = releases.into_iter().peekable();
        while releases.peek().is_some() {
            let chunk: Vec<VerifiedRelease> = releases.by_ref().take(PARALLEL).collect();
            let results: Vec<_> = std::thread::scope(|s| {
                let handles: Vec<_> = chunk
                    .into_iter()
                    .map(|r| {
                        s.spawn(move || {
                            let a = r.artifact();
                            let bytes = self.fetcher.download(&a.dl, a.size, Some(&a.sha256))?;
                            r.verify_artifact(bytes).map_err(verify("artifact"))
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a download thread panicked"))
                    .collect()
            });
            for r in results {
                out.push(r?);
            }
        }
        Ok(out)
    }
}

/// Fetches several registry files at once.
fn fetch_all<const N: usize>(
    fetcher: &Fetcher,
    paths: [&str; N],
    trace: &Trace,
) -> [Result<Vec<u8>, crate::client::http::FetchError>; N] {
    std::thread::scope(|s| {
        let handles = paths.map(|p| s.spawn(move || fetcher.get_traced(p, trace)));
        handles.map(|h| h.join().expect("a fetch thread panicked"))
    })
}

/// Up to three names within a small edit distance of `name`, closest first.
pub fn close_names<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let max = (name.len() / 3).max(2);
    let mut close: Vec<(usize, &str)> = names
        .map(|n| (strsim::damerau_levenshtein(name, n), n))
        .filter(|(d, n)| *d <= max || (n.starts_with(name) && name.len() >= 3))
        .collect();
    close.sort();
    close
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_owned())
        .collect()
}

/// The root keys a client trusts for a registry, as [`keys_to_trust`] chose them.
struct Pins {
    id: String,
    keys: Vec<PublicKey>,
    /// The keys as the state file keeps them: as the config file or the
    /// state file wrote them, or `config.json`'s raw base64.
    text: Vec<String>,
    threshold: u32,
    /// Trust on first use: the keys are the ones `config.json` names.
    first_use: bool,
}

impl Pins {
    fn anchor(&self) -> Anchor {
        Anchor {
            registry: self.id.clone(),
            root_keys: self.keys.clone(),
            threshold: self.threshold,
        }
    }

    /// What the state file keeps, and whether the keys were pinned just now.
    fn remember(self, timestamp_version: i64) -> (RegistryState, bool) {
        let state = RegistryState {
            id: self.id,
            root_keys: self.text,
            threshold: self.threshold,
            timestamp_version,
        };
        (state, self.first_use)
    }
}

/// Which root keys to trust: the config file's, else those pinned before,
/// else (first use) the ones the unverified `config.json` names. The config
/// and state files hold text in any form [`PublicKey::parse`] reads;
/// `config.json`'s keys were checked as it was read.
fn keys_to_trust(
    registry: &Registry,
    known: Option<&RegistryState>,
    unverified: &Config,
) -> Result<Pins, KeyError> {
    let pinned = |id: &str, text: &[String], threshold: u32| -> Result<Pins, KeyError> {
        Ok(Pins {
            id: id.to_owned(),
            keys: text
                .iter()
                .map(|k| PublicKey::parse(k))
                .collect::<Result<_, _>>()?,
            text: text.to_vec(),
            threshold,
            first_use: false,
        })
    };
    if !registry.root_keys.is_empty() {
        let t = registry.threshold.unwrap_or(1);
        pinned(&unverified.id, &registry.root_keys, t)
    } else if let Some(k) = known {
        pinned(&k.id, &k.root_keys, k.threshold)
    } else {
        Ok(Pins {
            id: unverified.id.clone(),
            keys: unverified.keys.iter().map(|k| k.key().clone()).collect(),
            text: unverified.keys.iter().map(RawKey::to_string).collect(),
            threshold: unverified.threshold.unwrap_or(1),
            first_use: true,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn close_names_are_ranked_by_distance() {
        let names = ["git", "gist", "toc", "github-sync", "mermaid"];
        assert_eq!(
            super::close_names("gti", names.into_iter()),
            ["git", "gist"]
        );
        assert_eq!(
            super::close_names("mermiad", names.into_iter()),
            ["mermaid"]
        );
        assert!(super::close_names("zzzzzzzz", names.into_iter()).is_empty());
    }
}
