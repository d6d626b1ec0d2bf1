//! Fetching with the cache: drives `protocol::Exchange` (conditional
//! requests, redirects, a size cap on every body, an error for each way a
//! network fails) through a `Transport`, by default `UreqTransport`. Content-addressed
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
//! never to artifact hosts elsewhere, and never into a message (`protocol`).

use crate::digest::Sha256;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use crate::client::cache::{Cache, Validators};
use crate::client::config::Token;
use crate::client::protocol::{Endpoint, Exchange, Outcome};
pub use crate::client::protocol::{FetchError, MAX_METADATA, MAX_REDIRECTS};
use crate::client::transport::{Response, Transport, TransportError, UreqTransport};

/// Counters of one run, for reports and figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// HTTP requests sent.
    pub requests: u64,
    /// Answers `200`.
    pub ok: u64,
    /// Answers `304 Not Modified` (the cached copy was reused).
    pub not_modified: u64,
    /// Body bytes received, as sent (compressed metadata counts compressed).
    pub bytes: u64,
    /// Requests sent again after a transient failure.
    pub retries: u64,
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

/// How often, and how patiently, a request that failed on the way (no
/// connection, a reset, a timeout, a `5xx`) is sent again. Only the
/// transport's failures are retried: an answer that arrived and does not
/// verify is final, as is a `4xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Tries in all, the first included (1: never retry).
    pub tries: u32,
    /// The wait before the first retry; each next one waits four times longer.
    pub first_delay: Duration,
}

impl Default for Retry {
    /// 3 tries, waiting 250 ms then 1 s.
    fn default() -> Retry {
        Retry {
            tries: 3,
            first_delay: Duration::from_millis(250),
        }
    }
}

impl Retry {
    fn delay(&self, failed_tries: u32) -> Duration {
        self.first_delay
            .saturating_mul(4u32.saturating_pow(failed_tries))
    }
}

/// A failure on the way, which the same request may not meet again: not a
/// certificate that does not verify, nor a body over its cap.
fn is_transient(answer: &Result<Response, TransportError>) -> bool {
    match answer {
        Ok(response) => response.status >= 500,
        Err(TransportError::Tls(_) | TransportError::TooLarge) => false,
        Err(_) => true,
    }
}

/// What a body is: metadata may come compressed, artifacts come as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Metadata,
    Artifact,
}

pub struct Fetcher {
    transport: Box<dyn Transport>,
    endpoint: Endpoint,
    cache: Option<Cache>,
    offline: bool,
    /// Bodies already fetched in this run, by URL, and whether each came
    /// from the cache unchecked (a `304`, or offline).
    memo: Mutex<HashMap<String, (Vec<u8>, bool)>>,
    stats: Mutex<Stats>,
    retry: Retry,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("base", &self.endpoint.base)
            .field("offline", &self.offline)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// `base` ends with `/`; `timeout` bounds each whole request. Sends
    /// through the default transport (`UreqTransport`).
    pub fn new(
        base: &str,
        token: Option<Token>,
        cache: Option<Cache>,
        offline: bool,
        timeout: Duration,
    ) -> Fetcher {
        Fetcher::with_transport(
            Box::new(UreqTransport::new()),
            base,
            token,
            cache,
            offline,
            timeout,
        )
    }

    /// [`Fetcher::new`], sending through a host application's transport.
    pub fn with_transport(
        transport: Box<dyn Transport>,
        base: &str,
        token: Option<Token>,
        cache: Option<Cache>,
        offline: bool,
        timeout: Duration,
    ) -> Fetcher {
        Fetcher {
            transport,
            endpoint: Endpoint {
                base: base.to_owned(),
                token,
                timeout,
            },
            cache,
            offline,
            memo: Mutex::new(HashMap::new()),
            stats: Mutex::new(Stats::default()),
            retry: Retry::default(),
        }
    }

    /// Retries transient failures as `retry` says (default: [`Retry::default`]).
    pub fn retry(mut self, retry: Retry) -> Fetcher {
        self.retry = retry;
        self
    }

    pub fn base(&self) -> &str {
        &self.endpoint.base
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
        let url = format!("{}{path}", self.endpoint.base);
        let immutable = path
            .strip_prefix(crate::trust::metadata::BY_HASH_DIR)
            .and_then(|h| h.parse::<Sha256>().ok());
        self.fetch(
            &url,
            MAX_METADATA,
            immutable.as_ref(),
            trace,
            Body::Metadata,
        )
    }

    /// The cached copy of a registry file, with no request (`None` when
    /// none is kept). The caller checks it (against pinned keys, or the
    /// snapshot's hash) before trusting it.
    pub fn cached(&self, path: &str) -> Option<Vec<u8>> {
        let url = format!("{}{path}", self.endpoint.base);
        if let Some((body, _)) = self.memo.lock().expect("memo lock").get(&url) {
            return Some(body.clone());
        }
        self.cache.as_ref()?.load(&url).map(|(body, _)| body)
    }

    /// A registry file the signed snapshot pins by `sha256`: the cached
    /// copy when it has that hash (no request), else fetched afresh.
    pub fn get_pinned(
        &self,
        path: &str,
        sha256: &Sha256,
        trace: &Trace,
    ) -> Result<Vec<u8>, FetchError> {
        let url = format!("{}{path}", self.endpoint.base);
        self.fetch(&url, MAX_METADATA, Some(sha256), trace, Body::Metadata)
    }

    /// A file under the base URL, fetched afresh and not kept: for reading
    /// every file once (`plugdex status --deep`), where keeping them all
    /// would hold the whole registry in memory.
    pub fn get_once(&self, path: &str) -> Result<Vec<u8>, FetchError> {
        let url = format!("{}{path}", self.endpoint.base);
        // No cached copy was offered, so the body is always fresh.
        self.request(&url, MAX_METADATA, None, Body::Metadata)
            .map(|(body, _)| body)
    }

    /// An artifact by its absolute URL, capped at the size the index names.
    /// A cached copy is used only when it has the digest given.
    pub fn download(
        &self,
        url: &str,
        size: u64,
        sha256: Option<&Sha256>,
    ) -> Result<Vec<u8>, FetchError> {
        self.fetch(url, size, sha256, &Trace::default(), Body::Artifact)
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
        sha256: Option<&Sha256>,
        trace: &Trace,
        kind: Body,
    ) -> Result<Vec<u8>, FetchError> {
        if let Some((body, unchecked)) = self.memo.lock().expect("memo lock").get(url) {
            if *unchecked {
                trace.record(url);
            }
            return Ok(body.clone());
        }
        let mut cached = self.cache.as_ref().and_then(|c| c.load(url));
        let hash_ok = |body: &[u8]| sha256.is_some_and(|h| Sha256::of(body) == *h);
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
        let (body, unchecked) = self.request(url, cap, cached, kind)?;
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

    /// The body, and whether it is the cached copy (a `304`): drives one
    /// `Exchange` through the transport, counting and caching on the way.
    fn request(
        &self,
        url: &str,
        cap: u64,
        cached: Option<(Vec<u8>, Validators)>,
        kind: Body,
    ) -> Result<(Vec<u8>, bool), FetchError> {
        let (cached_body, validators) = cached.unzip();
        let mut exchange = Exchange::new(url, cap, validators);
        if kind == Body::Metadata {
            exchange = exchange.compressed();
        }
        let mut failed_tries = 0;
        loop {
            let request = exchange.request(&self.endpoint);
            self.stats.lock().expect("stats lock").requests += 1;
            let answer = self.transport.send(request);
            let wire_bytes = answer.as_ref().map_or(0, |r| r.body.len() as u64);
            let transient = is_transient(&answer);
            let outcome = match exchange.interpret(answer) {
                Err(_) if transient && failed_tries + 1 < self.retry.tries => {
                    std::thread::sleep(self.retry.delay(failed_tries));
                    failed_tries += 1;
                    self.stats.lock().expect("stats lock").retries += 1;
                    continue;
                }
                outcome => outcome?,
            };
            match outcome {
                Outcome::Redirected => {}
                Outcome::NotModified => {
                    self.stats.lock().expect("stats lock").not_modified += 1;
                    let body = cached_body.expect("a 304 is accepted only with a cached copy");
                    return Ok((body, true));
                }
                Outcome::Fresh { body, store } => {
                    {
                        let mut stats = self.stats.lock().expect("stats lock");
                        stats.ok += 1;
                        stats.bytes += wire_bytes;
                    }
                    if let Some(cache) = &self.cache {
                        // A cache that cannot be written costs speed, not correctness.
                        let _ = cache.store(&body, &store);
                    }
                    return Ok((body, false));
                }
            }
        }
    }
}
