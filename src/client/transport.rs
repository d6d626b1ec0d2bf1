//! The seam between the client's protocol and an HTTP stack: plugdex's own
//! small `Request` / `Response` types, the `Transport` trait a host
//! application implements to bring its own HTTP client, and `UreqTransport`,
//! the default. A transport only moves bytes: it follows no redirects and
//! reads no cache; `protocol` decides what to send and what an answer means.
//!
//! Own types rather than the `http` crate's: a request carries a body cap
//! and a timeout, which `http::Request` has no place for, and plugdex's
//! public API stays free of another crate's major version. Adapting them to
//! any HTTP client is a few lines (see `examples/host.rs`).

use std::time::Duration;

/// One `GET` to send, as `protocol::Exchange::request` makes it. Its
/// `Debug` hides the `Authorization` value, so a logging host leaks no token.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// Always `GET` today.
    pub method: &'static str,
    pub url: String,
    /// Every header to send (the transport may add its own connection
    /// headers, never `Authorization` or conditional ones).
    pub headers: Vec<(&'static str, String)>,
    /// Most body bytes the caller accepts: read no further than one byte
    /// past it (answer `TransportError::TooLarge`, or the bytes so far).
    pub body_limit: u64,
    /// Bound on the whole exchange, connection included.
    pub timeout: Duration,
}

impl Request {
    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(self.headers.iter().map(|(n, v)| (*n, v.as_str())), name)
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<_> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let shown = if n.eq_ignore_ascii_case("authorization") {
                    "***"
                } else {
                    v
                };
                (n, shown)
            })
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body_limit", &self.body_limit)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What the server answered. Redirects are answers too: the transport
/// returns a `3xx` as it is, with its `Location`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body; only a `200`'s is read, so a transport may leave it empty
    /// for other statuses.
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response {
        Response {
            status,
            headers,
            body,
        }
    }

    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            name,
        )
    }
}

fn header<'h>(
    mut headers: impl Iterator<Item = (&'h str, &'h str)>,
    name: &str,
) -> Option<&'h str> {
    headers
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Why no answer came. The protocol adds the URL and the cap to the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    #[error("no answer in time")]
    Timeout,
    /// No connection (host not found, refused, TLS failed, …).
    #[error("{0}")]
    Unreachable(String),
    /// The answer was cut short or is not HTTP.
    #[error("{0}")]
    Truncated(String),
    /// The body went past `Request::body_limit`.
    #[error("body larger than the limit")]
    TooLarge,
    /// The server's TLS certificate did not verify (or TLS failed otherwise):
    /// never retried.
    #[error("TLS: {0}")]
    Tls(String),
}

/// An HTTP stack. Called from several threads at once (index files are
/// fetched in parallel), hence `Send + Sync`.
pub trait Transport: Send + Sync {
    fn send(&self, request: Request) -> Result<Response, TransportError>;
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        (**self).send(request)
    }
}

/// The default transport: `ureq` with rustls, no redirects followed, no
/// status treated as an error. Servers are verified against the operating
/// system's certificate store (rustls-platform-verifier), so a company CA
/// installed there works; `SSL_CERT_FILE` names a PEM bundle to use
/// instead. Proxies come from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
/// `NO_PROXY` (ureq reads them).
#[derive(Debug)]
pub struct UreqTransport {
    agent: ureq::Agent,
    /// Why the certificates could not be set up; every request fails with it.
    broken: Option<String>,
}

impl Default for UreqTransport {
    fn default() -> UreqTransport {
        UreqTransport::new()
    }
}

impl UreqTransport {
    /// Trusts `SSL_CERT_FILE`'s certificates when it is set, else the system's.
    pub fn new() -> UreqTransport {
        match std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
            Some(path) => UreqTransport::with_ca_file(std::path::Path::new(&path)),
            None => UreqTransport::with_system_roots(),
        }
    }

    /// Trusts the operating system's certificate store only.
    pub fn with_system_roots() -> UreqTransport {
        UreqTransport::with_roots(Ok(ureq::tls::RootCerts::PlatformVerifier))
    }

    /// Trusts only the certificates in the PEM file `path` (a private CA).
    pub fn with_ca_file(path: &std::path::Path) -> UreqTransport {
        UreqTransport::with_roots(read_roots(path))
    }

    fn with_roots(roots: Result<ureq::tls::RootCerts, String>) -> UreqTransport {
        let (roots, broken) = match roots {
            Ok(roots) => (roots, None),
            Err(why) => (ureq::tls::RootCerts::PlatformVerifier, Some(why)),
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
            .build();
        UreqTransport {
            agent: ureq::Agent::new_with_config(config),
            broken,
        }
    }
}

/// The certificates of a PEM bundle; an unreadable or empty one is an error
/// naming it.
fn read_roots(path: &std::path::Path) -> Result<ureq::tls::RootCerts, String> {
    let shown = path.display();
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read `SSL_CERT_FILE` `{shown}`: {e}"))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "`SSL_CERT_FILE` `{shown}` is not a PEM bundle: {e}"
                ));
            }
        }
    }
    if certs.is_empty() {
        return Err(format!("`SSL_CERT_FILE` `{shown}` holds no certificate"));
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&certs))
}

impl Transport for UreqTransport {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        if let Some(why) = &self.broken {
            return Err(TransportError::Unreachable(why.clone()));
        }
        let mut req = self
            .agent
            .get(&request.url)
            .config()
            .timeout_connect(Some(request.timeout.min(Duration::from_secs(10))))
            .timeout_global(Some(request.timeout))
            .build();
        for (name, value) in &request.headers {
            req = req.header(*name, value);
        }
        let mut resp = req.call().map_err(transport_error)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let body = if status == 200 {
            // ureq refuses to read once the limit is reached, even at the
            // end of the body: allow one byte more; the protocol checks.
            resp.body_mut()
                .with_config()
                .limit(request.body_limit.saturating_add(1))
                .read_to_vec()
                .map_err(transport_error)?
        } else {
            Vec::new()
        };
        Ok(Response::new(status, headers, body))
    }
}

fn transport_error(e: ureq::Error) -> TransportError {
    use std::io::ErrorKind;
    match e {
        ureq::Error::Timeout(_) => TransportError::Timeout,
        ureq::Error::BodyExceedsLimit(_) => TransportError::TooLarge,
        ureq::Error::HostNotFound => TransportError::Unreachable("host not found".into()),
        ureq::Error::ConnectionFailed => TransportError::Unreachable("connection failed".into()),
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset
            ) =>
        {
            TransportError::Truncated(io.to_string())
        }
        ureq::Error::Io(io) if io.kind() == ErrorKind::TimedOut => TransportError::Timeout,
        // rustls reports a handshake that failed (a certificate that does not
        // verify) as invalid data on the stream.
        ureq::Error::Io(io) if io.kind() == ErrorKind::InvalidData => {
            TransportError::Tls(io.to_string())
        }
        ureq::Error::Io(io) => TransportError::Unreachable(io.to_string()),
        ureq::Error::Protocol(p) => TransportError::Truncated(p.to_string()),
        e @ (ureq::Error::Tls(_) | ureq::Error::Rustls(_)) => TransportError::Tls(e.to_string()),
        other => TransportError::Unreachable(other.to_string()),
    }
}
