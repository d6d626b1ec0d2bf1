//! Fetching over HTTP with the cache: conditional requests, a size cap on
//! every body, and an error for each way a network fails. Content-addressed
//! files (`by-hash/…`, artifacts) are immutable: a cached copy whose hash
//! matches is used without asking the server at all. Counters of requests,
//! statuses and bytes feed the figures (`Stats`).
//!
//! A cached copy is only as good as the disk it sits on: when a check of a
//! file fails and the file came from the cache (a `304` or an offline
//! copy), `recovering` drops those copies and runs the check once more with
//! unconditional requests; an immutable file whose cached copy has the wrong
//! hash is downloaded again without validators. A check that fails on fresh
//! downloads is final (no retry loop against a hostile server).
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

/// Most redirects followed for one file.
pub const MAX_REDIRECTS: u32 = 10;

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
    #[error(
        "`{url}` redirects to `{location}`; plugdex follows redirects to http:// and https:// URLs only"
    )]
    BadRedirect { url: String, location: String },
    #[error("`{url}` redirects more than {MAX_REDIRECTS} times")]
    TooManyRedirects { url: String },
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
            FetchError::BadRedirect { .. } => Some(
                "the server (or something between it and you) points outside the web; nothing was read from your disk",
            ),
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

/// The URLs one check read from the cache unchecked (see `Fetcher::recovering`).
#[derive(Debug, Default)]
pub struct Trace(Mutex<Vec<String>>);

impl Trace {
    fn record(&self, url: &str) {
        self.0.lock().expect("trace lock").push(url.to_owned());
    }
}

pub struct Fetcher {
    agent: ureq::Agent,
    base: String,
    token: Option<Token>,
    cache: Option<Cache>,
    offline: bool,
    /// Bodies already fetched in this run, by URL, and whether each came
    /// from the cache unchecked (a `304`, or offline).
    memo: Mutex<HashMap<String, (Vec<u8>, bool)>>,
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
            .max_redirects(0)
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
        self.get_traced(path, &Trace::default())
    }

    /// [`Fetcher::get`], recording in `trace` a body taken from the cache unchecked.
    pub fn get_traced(&self, path: &str, trace: &Trace) -> Result<Vec<u8>, FetchError> {
        let url = format!("{}{path}", self.base);
        let immutable = path
            .strip_prefix(crate::trust::metadata::BY_HASH_DIR)
            .filter(|h| h.len() == 64);
        self.fetch(&url, MAX_METADATA, immutable, trace)
    }

    /// A file under the base URL, fetched afresh and not kept: for reading
    /// every file once (`plugdex status --deep`), where keeping them all
    /// would hold the whole registry in memory.
    pub fn get_once(&self, path: &str) -> Result<Vec<u8>, FetchError> {
        let url = format!("{}{path}", self.base);
        // No cached copy was offered, so the body is always fresh.
        self.request(&url, MAX_METADATA, None).map(|(body, _)| body)
    }

    /// An artifact by its absolute URL, capped at the size the index names.
    pub fn download(&self, url: &str, size: u64, sha256: &str) -> Result<Vec<u8>, FetchError> {
        self.fetch(url, size, Some(sha256), &Trace::default())
    }

    /// Runs `check`, which fetches files through the trace it is given and
    /// verifies them. When it fails (`is_check_failure`) after reading files
    /// from the cache unchecked, those cached copies are dropped and `check`
    /// runs once more, fetching them unconditionally. Offline, or when every
    /// file was fresh, the failure stands.
    pub fn recovering<T, E>(
        &self,
        check: impl Fn(&Trace) -> Result<T, E>,
        is_check_failure: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        let trace = Trace::default();
        match check(&trace) {
            Err(e) if !self.offline && is_check_failure(&e) && self.forget(trace) => {
                check(&Trace::default())
            }
            done => done,
        }
    }

    /// Drops the copies `trace` read from this run's memo and the cache;
    /// whether there were any.
    fn forget(&self, trace: Trace) -> bool {
        let urls = trace.0.into_inner().expect("trace lock");
        let mut memo = self.memo.lock().expect("memo lock");
        for url in &urls {
            memo.remove(url);
            if let Some(cache) = &self.cache {
                cache.remove(url);
            }
        }
        !urls.is_empty()
    }

    fn fetch(
        &self,
        url: &str,
        cap: u64,
        sha256: Option<&str>,
        trace: &Trace,
    ) -> Result<Vec<u8>, FetchError> {
        if let Some((body, unchecked)) = self.memo.lock().expect("memo lock").get(url) {
            if *unchecked {
                trace.record(url);
            }
            return Ok(body.clone());
        }
        let mut cached = self.cache.as_ref().and_then(|c| c.load(url));
        let hash_ok = |body: &[u8]| {
            sha256.is_some_and(|h| crate::digest::hex(&crate::digest::sha256(body)) == h)
        };
        if let Some((body, _)) = cached.as_ref().filter(|(body, _)| hash_ok(body)) {
            self.stats.lock().expect("stats lock").cache_hits += 1;
            let body = body.clone();
            self.remember(url, &body, false);
            return Ok(body);
        }
        if self.offline {
            let body = cached.map(|(b, _)| b).ok_or_else(|| FetchError::Offline {
                url: url.to_owned(),
            })?;
            trace.record(url);
            self.remember(url, &body, true);
            return Ok(body);
        }
        if sha256.is_some() {
            // An immutable file whose cached copy has the wrong hash: the
            // copy is damaged, and its validators would only bring it back.
            cached = None;
        }
        let (body, unchecked) = self.request(url, cap, cached)?;
        if unchecked {
            trace.record(url);
        }
        self.remember(url, &body, unchecked);
        Ok(body)
    }

    fn remember(&self, url: &str, body: &[u8], unchecked: bool) {
        self.memo
            .lock()
            .expect("memo lock")
            .insert(url.to_owned(), (body.to_vec(), unchecked));
    }

    /// The body, and whether it is the cached copy (a `304`).
    fn request(
        &self,
        url: &str,
        cap: u64,
        cached: Option<(Vec<u8>, Validators)>,
    ) -> Result<(Vec<u8>, bool), FetchError> {
        // Redirects are followed here, not by ureq, so that each hop is
        // checked: http(s) only, and the token only under the base URL.
        let (mut hop, mut hops) = (url.to_owned(), 0);
        let mut resp = loop {
            let mut req = self.agent.get(&hop);
            if let Some(token) = &self.token
                && hop.starts_with(&self.base)
            {
                req = req.header("Authorization", token.header_value());
            }
            if let Some((name, value)) = cached.as_ref().and_then(|(_, v)| v.conditional()) {
                req = req.header(name, value);
            }
            self.stats.lock().expect("stats lock").requests += 1;
            let resp = req.call().map_err(|e| network_error(url, cap, e))?;
            let status = resp.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                break resp;
            }
            let location = resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| FetchError::Status {
                    url: url.to_owned(),
                    status,
                })?;
            let next = redirect_target(&hop, location).ok_or_else(|| FetchError::BadRedirect {
                url: url.to_owned(),
                location: crate::untrusted::shown(location),
            })?;
            hops += 1;
            if hops > MAX_REDIRECTS {
                return Err(FetchError::TooManyRedirects {
                    url: url.to_owned(),
                });
            }
            hop = next;
        };
        let status = resp.status().as_u16();
        match status {
            304 => {
                self.stats.lock().expect("stats lock").not_modified += 1;
                let body = cached
                    .map(|(b, _)| b)
                    .ok_or_else(|| FetchError::Truncated {
                        url: url.to_owned(),
                        why: "`304 Not Modified` for a file not in the cache".into(),
                    })?;
                Ok((body, true))
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
                Ok((body, false))
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

/// Where a `Location` header sent from `from` points, when it is an
/// http(s) URL: absolute, scheme-relative (`//host/…`), absolute-path or
/// relative to `from`'s folder.
fn redirect_target(from: &str, location: &str) -> Option<String> {
    let scheme_end = from.find("://")? + 3;
    let authority_end = from[scheme_end..]
        .find('/')
        .map_or(from.len(), |i| scheme_end + i);
    let target = if let Some((scheme, _)) = location.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        location.to_owned()
    } else if location.starts_with("//") {
        format!("{}{location}", &from[..scheme_end - 2])
    } else if location.starts_with('/') {
        format!("{}{location}", &from[..authority_end])
    } else if location.split('/').next().is_some_and(|p| p.contains(':')) {
        return None; // another scheme (`file:…`, `data:…`)
    } else {
        let path = &from[authority_end..];
        let folder = path.rfind('/').map_or("/", |i| &path[..=i]);
        format!("{}{folder}{location}", &from[..authority_end])
    };
    Some(target)
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

#[cfg(test)]
mod tests {
    use super::redirect_target;

    #[test]
    fn redirects_resolve_against_the_url_and_only_to_http() {
        let from = "http://r.example/a/b.json";
        for (location, to) in [
            ("https://cdn.example/x", Some("https://cdn.example/x")),
            ("HTTP://cdn.example/x", Some("HTTP://cdn.example/x")),
            ("//cdn.example/x", Some("http://cdn.example/x")),
            ("/c/d", Some("http://r.example/c/d")),
            ("e.json", Some("http://r.example/a/e.json")),
            ("file:///etc/passwd", None),
            ("FILE:///etc/passwd", None),
            ("file:/etc/passwd", None),
            ("data:text/plain,x", None),
            ("gopher://x/", None),
        ] {
            assert_eq!(redirect_target(from, location).as_deref(), to, "{location}");
        }
        assert_eq!(
            redirect_target("http://r.example", "x").as_deref(),
            Some("http://r.example/x")
        );
    }
}
