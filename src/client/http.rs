//! Fetching over HTTP with the cache: conditional requests, a size cap on
//! every body, and an error for each way a network fails. Content-addressed
//! files (`by-hash/…`, artifacts) are immutable: a cached copy whose hash
//! matches is used without asking the server at all. Counters of requests,
//! statuses and bytes feed the figures (`Stats`).
//!
//! The registry's token goes only to URLs under the registry's base URL,
//! never to artifact hosts elsewhere, and never into a message.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use crate::client::cache::{CACHE_V, Cache, Validators};
use crate::client::config::Token;

/// Cap on one metadata file (index file, names page, snapshot node, …).
pub const MAX_METADATA: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("cannot reach `{url}`: {why}")]
    Unreachable { url: String, why: String },
    #[error("`{url}` did not answer in time")]
    Timeout { url: String },
    #[error("`{url}` does not exist (404)")]
    NotFound { url: String },
    #[error("`{url}` answered {status}")]
    Status { url: String, status: u16 },
    #[error("`{url}` is larger than {cap} bytes; refused")]
    TooLarge { url: String, cap: u64 },
    #[error("the answer from `{url}` was cut short or malformed: {why}")]
    Truncated { url: String, why: String },
    #[error("`{url}` is not in the cache, and `--offline` forbids fetching it")]
    Offline { url: String },
}

impl FetchError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            FetchError::Unreachable { .. } | FetchError::Timeout { .. } => {
                Some("check the registry URL and your connection; `--offline` works from the cache")
            }
            FetchError::Status { status, .. } if *status >= 500 => {
                Some("the registry's server failed; try again later")
            }
            FetchError::Status {
                status: 401 | 403, ..
            } => Some(
                "a private registry needs a token: set `PLUGDEX_TOKEN_<NAME>` or `token` in the config file",
            ),
            FetchError::Offline { .. } => Some("run once without `--offline` to fill the cache"),
            _ => None,
        }
    }
}

/// Counters of one run, for reports and figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// HTTP requests sent.
    pub requests: u64,
    /// Answers `200`.
    pub ok: u64,
    /// Answers `304 Not Modified` (the cached copy was reused).
    pub not_modified: u64,
    /// Body bytes received.
    pub bytes: u64,
    /// Immutable files served from the cache without a request.
    pub cache_hits: u64,
}

pub struct Fetcher {
    agent: ureq::Agent,
    base: String,
    token: Option<Token>,
    cache: Option<Cache>,
    offline: bool,
    /// Bodies already fetched in this run, by URL.
    memo: Mutex<HashMap<String, Vec<u8>>>,
    stats: Mutex<Stats>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("base", &self.base)
            .field("offline", &self.offline)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// `base` ends with `/`; `timeout` bounds each whole request.
    pub fn new(
        base: &str,
        token: Option<Token>,
        cache: Option<Cache>,
        offline: bool,
        timeout: Duration,
    ) -> Fetcher {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
            .timeout_global(Some(timeout))
            .user_agent(format!("plugdex/{}", env!("CARGO_PKG_VERSION")))
            .build();
        Fetcher {
            agent: ureq::Agent::new_with_config(config),
            base: base.to_owned(),
            token,
            cache,
            offline,
            memo: Mutex::new(HashMap::new()),
            stats: Mutex::new(Stats::default()),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn stats(&self) -> Stats {
        self.stats.lock().expect("stats lock").clone()
    }

    /// A registry file by its path relative to the base URL, revalidated
    /// with the cache (or, for `by-hash/{sha256}`, taken from it when the
    /// hash matches).
    pub fn get(&self, path: &str) -> Result<Vec<u8>, FetchError> {
        let url = format!("{}{path}", self.base);
        let immutable = path
            .strip_prefix(crate::trust::metadata::BY_HASH_DIR)
            .filter(|h| h.len() == 64);
        self.fetch(&url, MAX_METADATA, immutable)
    }

    /// A file under the base URL, fetched afresh and not kept: for reading
    /// every file once (`plugdex status --deep`), where keeping them all
    /// would hold the whole registry in memory.
    pub fn get_once(&self, path: &str) -> Result<Vec<u8>, FetchError> {
        let url = format!("{}{path}", self.base);
        self.request(&url, MAX_METADATA, None)
    }

    /// An artifact by its absolute URL, capped at the size the index names.
    pub fn download(&self, url: &str, size: u64, sha256: &str) -> Result<Vec<u8>, FetchError> {
        self.fetch(url, size, Some(sha256))
    }

    fn fetch(&self, url: &str, cap: u64, sha256: Option<&str>) -> Result<Vec<u8>, FetchError> {
        if let Some(body) = self.memo.lock().expect("memo lock").get(url) {
            return Ok(body.clone());
        }
        let cached = self.cache.as_ref().and_then(|c| c.load(url));
        let fresh_copy = cached.as_ref().filter(|(body, _)| {
            sha256.is_some_and(|h| crate::digest::hex(&crate::digest::sha256(body)) == h)
        });
        let body = if let Some((body, _)) = fresh_copy {
            self.stats.lock().expect("stats lock").cache_hits += 1;
            body.clone()
        } else if self.offline {
            cached.map(|(b, _)| b).ok_or_else(|| FetchError::Offline {
                url: url.to_owned(),
            })?
        } else {
            self.request(url, cap, cached)?
        };
        self.memo
            .lock()
            .expect("memo lock")
            .insert(url.to_owned(), body.clone());
        Ok(body)
    }

    fn request(
        &self,
        url: &str,
        cap: u64,
        cached: Option<(Vec<u8>, Validators)>,
    ) -> Result<Vec<u8>, FetchError> {
        let mut req = self.agent.get(url);
        if let Some(token) = &self.token
            && url.starts_with(&self.base)
        {
            req = req.header("Authorization", token.header_value());
        }
        if let Some((name, value)) = cached.as_ref().and_then(|(_, v)| v.conditional()) {
            req = req.header(name, value);
        }
        self.stats.lock().expect("stats lock").requests += 1;
        let mut resp = req.call().map_err(|e| network_error(url, cap, e))?;
        let status = resp.status().as_u16();
        match status {
            304 => {
                self.stats.lock().expect("stats lock").not_modified += 1;
                cached.map(|(b, _)| b).ok_or_else(|| FetchError::Truncated {
                    url: url.to_owned(),
                    why: "`304 Not Modified` for a file not in the cache".into(),
                })
            }
            200 => {
                let header = |name: &str| {
                    resp.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let validators = Validators {
                    v: CACHE_V,
                    url: url.to_owned(),
                    etag: header("etag"),
                    last_modified: header("last-modified"),
                };
                // ureq refuses to read once the limit is reached, even at the
                // end of the body: allow one byte more, then check.
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(cap + 1)
                    .read_to_vec()
                    .map_err(|e| network_error(url, cap, e))?;
                if body.len() as u64 > cap {
                    return Err(FetchError::TooLarge {
                        url: url.to_owned(),
                        cap,
                    });
                }
                {
                    let mut stats = self.stats.lock().expect("stats lock");
                    stats.ok += 1;
                    stats.bytes += body.len() as u64;
                }
                if let Some(cache) = &self.cache {
                    // A cache that cannot be written costs speed, not correctness.
                    let _ = cache.store(&body, &validators);
                }
                Ok(body)
            }
            404 | 410 => Err(FetchError::NotFound {
                url: url.to_owned(),
            }),
            _ => Err(FetchError::Status {
                url: url.to_owned(),
                status,
            }),
        }
    }
}

fn network_error(url: &str, cap: u64, e: ureq::Error) -> FetchError {
    let url = url.to_owned();
    match e {
        ureq::Error::Timeout(_) => FetchError::Timeout { url },
        ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge { url, cap },
        ureq::Error::HostNotFound => FetchError::Unreachable {
            url,
            why: "host not found".into(),
        },
        ureq::Error::ConnectionFailed => FetchError::Unreachable {
            url,
            why: "connection failed".into(),
        },
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
            ) =>
        {
            FetchError::Truncated {
                url,
                why: io.to_string(),
            }
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            FetchError::Timeout { url }
        }
        ureq::Error::Io(io) => FetchError::Unreachable {
            url,
            why: io.to_string(),
        },
        ureq::Error::Protocol(p) => FetchError::Truncated {
            url,
            why: p.to_string(),
        },
        other => FetchError::Unreachable {
            url,
            why: other.to_string(),
        },
    }
}
