//! The client's HTTP protocol without I/O, as tame-index does for cargo's
//! sparse index: `Exchange::request` makes the request for one file
//! (conditional headers from the cache entry, the token only under the
//! registry's base URL) and `Exchange::interpret` reads the answer (fresh
//! body and what to cache, not modified, a redirect to follow, or an
//! error). Whoever drives it brings the `Transport`; `http::Fetcher` adds
//! the cache, the memo and the counters.
//!
//! Redirects are followed hop by hop here, not by the transport, so that
//! each hop is checked: http(s) only, at most `MAX_REDIRECTS`, and the
//! token never leaves the base URL.
//!
//! Metadata (JSON and index files, which compress several times) is asked
//! for with `Accept-Encoding: gzip, br` and decoded here, so any transport
//! gets it; the cap counts decoded bytes too, so a small compressed body
//! cannot expand past it. Artifacts are asked for as stored (no
//! `Accept-Encoding`), and an encoding nobody asked for is not undone: a
//! `.tar.gz` that a host labels `Content-Encoding: gzip` keeps its hash.

use std::time::Duration;

use crate::client::cache::{CACHE_V, Validators};
use crate::client::config::Token;
use crate::client::transport::{Request, Response, TransportError};

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

/// Who the requests go to: the registry's base URL (ending with `/`), its
/// token, and the bound on each request.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub base: String,
    pub token: Option<Token>,
    pub timeout: Duration,
}

/// What an answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A redirect that passed the checks: send `Exchange::request` again.
    Redirected,
    /// `304`: the cached copy whose validators were sent is current.
    NotModified,
    /// `200`: the body, and the validators to store with it in the cache.
    Fresh { body: Vec<u8>, store: Validators },
}

/// The fetch of one file, across its redirects.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The file's URL: errors name it, and the cache keys on it.
    url: String,
    /// Where the next request goes.
    hop: String,
    hops: u32,
    cap: u64,
    /// The cache entry's validators; `None` asks unconditionally.
    cached: Option<Validators>,
    /// Ask for, and decode, a gzip or brotli body (metadata only).
    compressed: bool,
}

/// What `Accept-Encoding` offers for metadata.
pub const ACCEPT_ENCODING: &str = "gzip, br";

impl Exchange {
    /// Fetching `url`, at most `cap` body bytes, revalidating the cached copy
    /// whose validators are `cached`.
    pub fn new(url: &str, cap: u64, cached: Option<Validators>) -> Exchange {
        Exchange {
            url: url.to_owned(),
            hop: url.to_owned(),
            hops: 0,
            cap,
            cached,
            compressed: false,
        }
    }

    /// Accepts a gzip or brotli body (decoded under the cap): for metadata,
    /// never for artifacts.
    pub fn compressed(mut self) -> Exchange {
        self.compressed = true;
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The request for the current hop.
    pub fn request(&self, endpoint: &Endpoint) -> Request {
        let mut headers = vec![(
            "User-Agent",
            format!("plugdex/{}", env!("CARGO_PKG_VERSION")),
        )];
        if let Some(token) = &endpoint.token
            && self.hop.starts_with(&endpoint.base)
        {
            headers.push(("Authorization", token.header_value()));
        }
        if let Some((name, value)) = self.cached.as_ref().and_then(Validators::conditional) {
            headers.push((name, value.to_owned()));
        }
        if self.compressed {
            headers.push(("Accept-Encoding", ACCEPT_ENCODING.to_owned()));
        }
        Request {
            method: "GET",
            url: self.hop.clone(),
            headers,
            body_limit: self.cap,
            timeout: endpoint.timeout,
        }
    }

    /// What the transport's answer to the last `request` means.
    pub fn interpret(
        &mut self,
        answer: Result<Response, TransportError>,
    ) -> Result<Outcome, FetchError> {
        let url = self.url.clone();
        let resp = answer.map_err(|e| match e {
            TransportError::Timeout => FetchError::Timeout { url: url.clone() },
            TransportError::TooLarge => FetchError::TooLarge {
                url: url.clone(),
                cap: self.cap,
            },
            TransportError::Unreachable(why) => FetchError::Unreachable {
                url: url.clone(),
                why,
            },
            e @ TransportError::Tls(_) => FetchError::Unreachable {
                url: url.clone(),
                why: e.to_string(),
            },
            TransportError::Truncated(why) => FetchError::Truncated {
                url: url.clone(),
                why,
            },
        })?;
        match resp.status {
            301 | 302 | 303 | 307 | 308 => {
                let location = resp.header("location").ok_or(FetchError::Status {
                    url: url.clone(),
                    status: resp.status,
                })?;
                let next = redirect_target(&self.hop, location).ok_or_else(|| {
                    FetchError::BadRedirect {
                        url: url.clone(),
                        location: crate::untrusted::shown(location),
                    }
                })?;
                self.hops += 1;
                if self.hops > MAX_REDIRECTS {
                    return Err(FetchError::TooManyRedirects { url });
                }
                self.hop = next;
                Ok(Outcome::Redirected)
            }
            304 if self.cached.is_some() => Ok(Outcome::NotModified),
            304 => Err(FetchError::Truncated {
                url,
                why: "`304 Not Modified` for a file not in the cache".into(),
            }),
            200 => {
                if resp.body.len() as u64 > self.cap {
                    return Err(FetchError::TooLarge { url, cap: self.cap });
                }
                let body = match resp.header("content-encoding").map(str::trim) {
                    Some(coding) if self.compressed && !coding.eq_ignore_ascii_case("identity") => {
                        decode(coding, &resp.body, self.cap).map_err(|e| match e {
                            Decode::TooLarge => FetchError::TooLarge {
                                url: url.clone(),
                                cap: self.cap,
                            },
                            Decode::Bad(why) => FetchError::Truncated {
                                url: url.clone(),
                                why,
                            },
                        })?
                    }
                    _ => resp.body.clone(),
                };
                let header = |name: &str| resp.header(name).map(str::to_owned);
                let store = Validators {
                    v: CACHE_V,
                    etag: header("etag"),
                    last_modified: header("last-modified"),
                    url,
                };
                Ok(Outcome::Fresh { body, store })
            }
            404 | 410 => Err(FetchError::NotFound { url }),
            status => Err(FetchError::Status { url, status }),
        }
    }
}

/// Why a compressed body was not decoded.
enum Decode {
    TooLarge,
    Bad(String),
}

/// The body `coding` (`gzip` or `br`) encodes, refused once it passes `cap`.
fn decode(coding: &str, body: &[u8], cap: u64) -> Result<Vec<u8>, Decode> {
    use std::io::Read as _;
    let reader: Box<dyn std::io::Read + '_> = match coding.to_ascii_lowercase().as_str() {
        "gzip" | "x-gzip" => Box::new(flate2::read::GzDecoder::new(body)),
        "br" => Box::new(brotli_decompressor::Decompressor::new(body, 4096)),
        other => {
            return Err(Decode::Bad(format!(
                "`Content-Encoding: {}` was not asked for",
                crate::untrusted::shown(other)
            )));
        }
    };
    let mut out = Vec::new();
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| Decode::Bad(format!("cannot decode the {coding} body: {e}")))?;
    if out.len() as u64 > cap {
        return Err(Decode::TooLarge);
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://r.example/reg/";

    fn endpoint(token: Option<&str>) -> Endpoint {
        Endpoint {
            base: BASE.into(),
            token: token.map(|t| Token::new(t.into())),
            timeout: Duration::from_secs(3),
        }
    }

    fn validators(etag: Option<&str>, last_modified: Option<&str>) -> Validators {
        Validators {
            v: CACHE_V,
            url: format!("{BASE}config.json"),
            etag: etag.map(str::to_owned),
            last_modified: last_modified.map(str::to_owned),
        }
    }

    fn answer(
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, TransportError> {
        let headers = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        Ok(Response::new(status, headers, body.to_vec()))
    }

    fn gzip(body: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(body).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn metadata_is_asked_compressed_and_decoded_under_the_cap() {
        let url = format!("{BASE}index/3/g/git");
        let mut ex = Exchange::new(&url, 1000, None).compressed();
        assert_eq!(
            ex.request(&endpoint(None)).header("accept-encoding"),
            Some(ACCEPT_ENCODING)
        );
        let zipped = gzip(b"{\"v\":1}");
        match ex.interpret(answer(200, &[("Content-Encoding", "gzip")], &zipped)) {
            Ok(Outcome::Fresh { body, .. }) => assert_eq!(body, b"{\"v\":1}"),
            other => panic!("{other:?}"),
        }
        // A megabyte of zeros in a kilobyte: refused at the cap, not inflated.
        let bomb = gzip(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 2000);
        let mut ex = Exchange::new(&url, 4096, None).compressed();
        assert!(matches!(
            ex.interpret(answer(200, &[("Content-Encoding", "gzip")], &bomb)),
            Err(FetchError::TooLarge { cap: 4096, .. })
        ));
        let mut ex = Exchange::new(&url, 4096, None).compressed();
        assert!(matches!(
            ex.interpret(answer(200, &[("Content-Encoding", "gzip")], b"not gzip")),
            Err(FetchError::Truncated { .. })
        ));
    }

    #[test]
    fn artifacts_are_asked_as_stored_and_never_decoded() {
        let url = format!("{BASE}artifacts/a.tar.gz");
        let mut ex = Exchange::new(&url, 1000, None);
        assert_eq!(ex.request(&endpoint(None)).header("accept-encoding"), None);
        // A host that labels a .tar.gz `Content-Encoding: gzip`: the bytes stay as sent.
        let stored = gzip(b"tar");
        match ex.interpret(answer(200, &[("Content-Encoding", "gzip")], &stored)) {
            Ok(Outcome::Fresh { body, .. }) => assert_eq!(body, stored),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_request_revalidates_the_cached_copy_etag_first() {
        let url = format!("{BASE}config.json");
        let date = "Thu, 01 Jan 2026 00:00:00 GMT";
        let req = Exchange::new(&url, 100, None).request(&endpoint(None));
        assert_eq!(
            (req.method, req.url.as_str(), req.body_limit),
            ("GET", &*url, 100)
        );
        assert_eq!(req.timeout, Duration::from_secs(3));
        assert!(req.header("if-none-match").is_none() && req.header("if-modified-since").is_none());
        assert!(req.header("accept-encoding").is_none());
        assert!(req.header("user-agent").unwrap().starts_with("plugdex/"));

        let both = Exchange::new(&url, 100, Some(validators(Some("\"e\""), Some(date))));
        let req = both.request(&endpoint(None));
        assert_eq!(req.header("If-None-Match"), Some("\"e\""));
        assert_eq!(req.header("If-Modified-Since"), None);
        let dated = Exchange::new(&url, 100, Some(validators(None, Some(date))));
        assert_eq!(
            dated.request(&endpoint(None)).header("if-modified-since"),
            Some(date)
        );
    }

    #[test]
    fn the_token_goes_only_under_the_base_url_and_is_not_shown() {
        let mut ex = Exchange::new(&format!("{BASE}config.json"), 100, None);
        let ep = endpoint(Some("s3cret"));
        let req = ex.request(&ep);
        assert_eq!(req.header("authorization"), Some("Bearer s3cret"));
        assert!(!format!("{req:?}").contains("s3cret"));
        // Redirected to another host: the token stays home.
        let moved = ex.interpret(answer(302, &[("Location", "https://cdn.example/c")], b""));
        assert_eq!(moved, Ok(Outcome::Redirected));
        let req = ex.request(&ep);
        assert_eq!(req.url, "https://cdn.example/c");
        assert_eq!(req.header("authorization"), None);
        // An artifact elsewhere never gets it either.
        let other = Exchange::new("http://r.example/other/a.zip", 100, None);
        assert_eq!(other.request(&ep).header("authorization"), None);
    }

    #[test]
    fn a_200_is_fresh_with_the_validators_to_store() {
        let url = format!("{BASE}config.json");
        let mut ex = Exchange::new(&url, 4, None);
        let got = ex.interpret(answer(
            200,
            &[("ETag", "\"x\""), ("Last-Modified", "yesterday")],
            b"body",
        ));
        let Ok(Outcome::Fresh { body, store }) = got else {
            panic!("{got:?}")
        };
        assert_eq!(body, b"body");
        assert_eq!(
            store,
            Validators {
                v: CACHE_V,
                url,
                etag: Some("\"x\"".into()),
                last_modified: Some("yesterday".into()),
            }
        );
    }

    #[test]
    fn a_304_needs_a_cached_copy() {
        let url = format!("{BASE}config.json");
        let mut with = Exchange::new(&url, 4, Some(validators(Some("e"), None)));
        assert_eq!(
            with.interpret(answer(304, &[], b"")),
            Ok(Outcome::NotModified)
        );
        let mut without = Exchange::new(&url, 4, None);
        let err = without.interpret(answer(304, &[], b"")).unwrap_err();
        assert!(matches!(err, FetchError::Truncated { .. }), "{err}");
        assert!(err.to_string().contains("not in the cache"), "{err}");
    }

    #[test]
    fn oversized_bodies_are_refused() {
        let url = format!("{BASE}a.zip");
        let too_large = Err(FetchError::TooLarge {
            url: url.clone(),
            cap: 3,
        });
        // A transport that ignored the limit, and one that stopped at it.
        assert_eq!(
            Exchange::new(&url, 3, None).interpret(answer(200, &[], b"four")),
            too_large
        );
        assert_eq!(
            Exchange::new(&url, 3, None).interpret(Err(TransportError::TooLarge)),
            too_large
        );
        let exact = Exchange::new(&url, 4, None).interpret(answer(200, &[], b"four"));
        assert!(matches!(exact, Ok(Outcome::Fresh { .. })), "{exact:?}");
    }

    #[test]
    fn redirects_are_checked_hop_by_hop() {
        let url = format!("{BASE}config.json");
        let mut ex = Exchange::new(&url, 4, None);
        for _ in 0..MAX_REDIRECTS {
            assert_eq!(
                ex.interpret(answer(307, &[("location", "next")], b"")),
                Ok(Outcome::Redirected)
            );
        }
        assert_eq!(
            ex.interpret(answer(307, &[("location", "next")], b"")),
            Err(FetchError::TooManyRedirects { url: url.clone() })
        );
        let err = Exchange::new(&url, 4, None)
            .interpret(answer(301, &[("Location", "file:///etc/passwd")], b""))
            .unwrap_err();
        assert!(matches!(err, FetchError::BadRedirect { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("`{url}` redirects to `file:///etc/passwd`"))
        );
        let err = Exchange::new(&url, 4, None).interpret(answer(302, &[], b""));
        assert_eq!(
            err,
            Err(FetchError::Status {
                url: url.clone(),
                status: 302
            })
        );
    }

    #[test]
    fn errors_name_the_file_not_the_hop() {
        let url = format!("{BASE}config.json");
        let mut ex = Exchange::new(&url, 4, None);
        ex.interpret(answer(302, &[("location", "//cdn.example/x")], b""))
            .unwrap();
        assert_eq!(
            ex.interpret(answer(404, &[], b"")),
            Err(FetchError::NotFound { url: url.clone() })
        );
        let mut ex = Exchange::new(&url, 4, None);
        assert_eq!(
            ex.interpret(answer(410, &[], b"")),
            Err(FetchError::NotFound { url: url.clone() })
        );
        assert_eq!(
            ex.interpret(answer(503, &[], b"")),
            Err(FetchError::Status {
                url: url.clone(),
                status: 503
            })
        );
        assert_eq!(
            ex.interpret(Err(TransportError::Timeout)),
            Err(FetchError::Timeout { url: url.clone() })
        );
        assert_eq!(
            ex.interpret(Err(TransportError::Unreachable("connection failed".into()))),
            Err(FetchError::Unreachable {
                url,
                why: "connection failed".into()
            })
        );
    }

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
