//! `plugdex serve`: a preview server for a built registry. It answers as a
//! static host configured by the output's `_headers` and `_redirects` would:
//! same content types, cache headers and redirects, plus ETags with `304`s.
//! It serves only regular files inside its folder, opened one path component
//! at a time without following a symbolic link (the `404.html` page too).
//!
//! The HTTP/1.1 layer is its own, small on purpose: one `GET` or `HEAD` per
//! connection (`Connection: close`), a request head of at most [`MAX_HEAD`]
//! bytes (else `431`), no request body, and a `400` for a duplicate or
//! conflicting `Content-Length`. tiny_http, used before, reads header lines
//! without any bound (a 200 MB header took 230 MB) and takes the first of
//! two `Content-Length`s.

use std::fs;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rustix::fs::{FileType, Mode, OFlags};

use crate::digest;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("`{}` is not a folder; run `plugdex build` first", .0.display())]
    NoDir(PathBuf),
    #[error("cannot listen on `{addr}`: {why}")]
    Listen { addr: String, why: String },
}

/// Largest file served, so a stray huge file cannot exhaust memory.
const MAX_FILE: u64 = 512 * 1024 * 1024;

/// Rules read from `_headers` and `_redirects`.
#[derive(Debug, Default)]
pub struct HostRules {
    /// `(pattern, headers)`; a trailing `*` matches any rest of the path.
    headers: Vec<(String, Vec<(String, String)>)>,
    /// from → (to, status), for exact paths: a 100,000-plugin registry has
    /// as many, and each request looks one up.
    redirects: std::collections::HashMap<String, (String, u16)>,
    /// `(from, to)` of `200` rewrites, in order; `:name` matches one path
    /// segment, a trailing `*` the rest (`:splat` in `to`).
    rewrites: Vec<(String, String)>,
}

impl HostRules {
    /// Parses the Netlify-style files; unknown lines are skipped.
    pub fn parse(headers: &str, redirects: &str) -> HostRules {
        let mut rules = HostRules::default();
        for line in headers.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if line.starts_with(char::is_whitespace) {
                if let (Some(last), Some((k, v))) =
                    (rules.headers.last_mut(), trimmed.split_once(':'))
                {
                    last.1.push((k.trim().to_owned(), v.trim().to_owned()));
                }
            } else {
                rules.headers.push((trimmed.to_owned(), Vec::new()));
            }
        }
        for line in redirects.lines() {
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.is_empty() || parts[0].starts_with('#') {
                continue;
            }
            if let [from, to, rest @ ..] = parts.as_slice() {
                let status = rest.first().and_then(|s| s.parse::<u16>().ok());
                if status == Some(200) {
                    // A rewrite, to a path in the folder (Netlify also proxies URLs: not here).
                    if to.starts_with('/') {
                        rules.rewrites.push(((*from).to_owned(), (*to).to_owned()));
                    }
                    continue;
                }
                // A junk status is a plain redirect.
                let status = status.filter(|s| (300..400).contains(s)).unwrap_or(301);
                // The first rule for a path wins, as on Netlify.
                rules
                    .redirects
                    .entry((*from).to_owned())
                    .or_insert(((*to).to_owned(), status));
            }
        }
        rules
    }

    /// Reads the rules of the served folder `root`; a file that is missing,
    /// not a regular file (a link, a FIFO) or not UTF-8 holds no rules.
    fn load(root: &Path) -> HostRules {
        let read = |name: &str| {
            open_in_root(root, name)
                .and_then(|file| read_all(file).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .unwrap_or_default()
        };
        HostRules::parse(&read("_headers"), &read("_redirects"))
    }

    /// Headers for `path`: those of every matching rule, later ones winning.
    pub fn headers_for(&self, path: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (pattern, headers) in &self.headers {
            let hit = match pattern.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => path == pattern,
            };
            if hit {
                for (k, v) in headers {
                    out.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
                    out.push((k.clone(), v.clone()));
                }
            }
        }
        out
    }

    pub fn redirect_for(&self, path: &str) -> Option<(&str, u16)> {
        self.redirects
            .get(path)
            .map(|(to, status)| (to.as_str(), *status))
    }

    /// Where the first rewrite matching `path` points, placeholders filled in.
    pub fn rewrite_for(&self, path: &str) -> Option<String> {
        self.rewrites
            .iter()
            .find_map(|(from, to)| rewrite(from, to, path))
    }
}

/// `to` with `from`'s placeholders taken from `path`, when `path` matches.
fn rewrite(from: &str, to: &str, path: &str) -> Option<String> {
    let pattern: Vec<&str> = from.split('/').collect();
    let segments: Vec<&str> = path.split('/').collect();
    let mut values: Vec<(&str, String)> = Vec::new();
    for (i, p) in pattern.iter().enumerate() {
        if *p == "*" && i + 1 == pattern.len() {
            values.push(("splat", segments.get(i..)?.join("/")));
            return Some(fill(to, values));
        }
        let seg = segments.get(i)?;
        match p.strip_prefix(':') {
            Some(name) if !seg.is_empty() => values.push((name, (*seg).to_owned())),
            None if p == seg => {}
            _ => return None,
        }
    }
    (pattern.len() == segments.len()).then(|| fill(to, values))
}

/// `to` with each `:name` replaced, longer names first (`:name` must not
/// replace the start of `:names`).
fn fill(to: &str, mut values: Vec<(&str, String)>) -> String {
    values.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    let mut out = to.to_owned();
    for (name, value) in values {
        out = out.replace(&format!(":{name}"), &value);
    }
    out
}

/// The host rules of a served folder, parsed once and again only when
/// `_headers` or `_redirects` changed (a rebuild swaps the folder; each
/// request checks the files' identity, which costs two `stat`s, not a parse).
#[derive(Default)]
struct RulesCache(std::sync::Mutex<Option<(RulesStamp, Arc<HostRules>)>>);

/// What identifies the two files' contents: device, inode, size and
/// modification time of each (`None` when missing).
type RulesStamp = [Option<(u64, u64, u64, i64, i64)>; 2];

impl RulesCache {
    fn get(&self, root: &Path) -> Arc<HostRules> {
        let stamp = [stamp(root, "_headers"), stamp(root, "_redirects")];
        let mut cached = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, rules)) = cached.as_ref()
            && *seen == stamp
        {
            return Arc::clone(rules);
        }
        let rules = Arc::new(HostRules::load(root));
        *cached = Some((stamp, Arc::clone(&rules)));
        rules
    }
}

fn stamp(root: &Path, name: &str) -> Option<(u64, u64, u64, i64, i64)> {
    let file = open_in_root(root, name)?;
    let st = rustix::fs::fstat(&file).ok()?;
    Some((
        st.st_dev as u64,
        st.st_ino as u64,
        st.st_size as u64,
        st.st_mtime as i64,
        st.st_mtime_nsec as i64,
    ))
}

/// Largest request head (request line and headers) read; past it the answer
/// is `431`. A registry client sends a few hundred bytes.
pub const MAX_HEAD: usize = 16 * 1024;
/// Most header lines in a request head; past it the answer is `431` too.
const MAX_HEADERS: usize = 64;
/// Connections answered at once; more get a `503`.
const MAX_CONNECTIONS: usize = 64;
/// Time a client has to send its whole request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(20);
/// Timeout of each read and write on a connection.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// After answering, what a client still sends is read and dropped (so that
/// closing does not reset the connection before it read the answer), for at
/// most this long and this much.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: u64 = 64 * 1024 * 1024;

/// A bound listener; [`serve_forever`] answers on it.
pub struct Server {
    listener: TcpListener,
}

impl Server {
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// Serves `dir` on `addr` until the process ends.
pub fn run(dir: &Path, addr: &str) -> Result<(), ServeError> {
    let server = bind(dir, addr)?;
    let shown = server
        .local_addr()
        .map_or_else(|_| addr.to_owned(), |a| a.to_string());
    eprintln!(
        "serving `{}` on http://{shown} (Ctrl-C stops)",
        dir.display()
    );
    serve_forever(server, dir);
    Ok(())
}

/// Binds the listener; port 0 picks a free port.
pub fn bind(dir: &Path, addr: &str) -> Result<Server, ServeError> {
    if !dir.is_dir() {
        return Err(ServeError::NoDir(dir.to_owned()));
    }
    let listener = TcpListener::bind(addr).map_err(|e| ServeError::Listen {
        addr: addr.to_owned(),
        why: e.to_string(),
    })?;
    Ok(Server { listener })
}

/// A connection slot, given back when its thread ends (or never starts).
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Answers connections, each on its own thread, until the process ends. A
/// panic ends only the thread of its connection, never the server.
pub fn serve_forever(server: Server, dir: &Path) {
    let root = Arc::new(fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned()));
    let rules = Arc::new(RulesCache::default());
    let active = Arc::new(AtomicUsize::new(0));
    for stream in server.listener.incoming() {
        let Ok(mut stream) = stream else {
            // Out of file descriptors, or a connection reset before accept: wait a little.
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            let busy = Response::text(503, "503 too many connections\n");
            let _ = finish(&mut stream, &busy, false);
            continue;
        }
        let slot = Slot(Arc::clone(&active));
        let root = Arc::clone(&root);
        let rules = Arc::clone(&rules);
        let _ = std::thread::Builder::new()
            .name("serve".into())
            .spawn(move || {
                let _slot = slot;
                connection(stream, &root, &rules);
            });
    }
}

/// An answer, before it is written.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn text(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// Adds a header that is safe to write: a token name and a value
    /// without control characters (a `_headers` file could hold anything).
    fn header(&mut self, name: &str, value: &str) {
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        let value_ok = value
            .bytes()
            .all(|b| b == b'\t' || (b' '..0x7f).contains(&b));
        if name_ok && value_ok {
            self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            self.headers.push((name.to_owned(), value.to_owned()));
        }
    }
}

/// Why a request head was not read.
enum HeadError {
    /// The client went away or was too slow: nothing to answer.
    Gone,
    TooLarge,
}

/// Reads one request head (up to and including its blank line), at most
/// [`MAX_HEAD`] bytes and within [`HEAD_DEADLINE`].
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let started = Instant::now();
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let left = HEAD_DEADLINE
            .checked_sub(started.elapsed())
            .filter(|d| !d.is_zero())
            .ok_or(HeadError::Gone)?;
        let _ = stream.set_read_timeout(Some(left.min(IO_TIMEOUT)));
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(HeadError::Gone),
            Ok(n) => n,
        };
        let searched_from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = head_end(&buf[searched_from..]) {
            buf.truncate(searched_from + end);
            return Ok(buf);
        }
        if buf.len() > MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
    }
}

/// The length of the head in `buf`, through its blank line (`\r\n\r\n` or `\n\n`).
fn head_end(buf: &[u8]) -> Option<usize> {
    (0..buf.len()).find_map(|i| {
        let rest = &buf[i..];
        if rest.starts_with(b"\r\n\r\n") {
            Some(i + 4)
        } else if rest.starts_with(b"\n\n") {
            Some(i + 2)
        } else {
            None
        }
    })
}

/// A parsed request: what [`answer`] needs of it.
struct Request {
    head: bool,
    path: String,
    if_none_match: Vec<String>,
}

/// Parses a request head, or says how to refuse it.
fn parse_request(bytes: &[u8]) -> Result<Request, Response> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Response::text(431, "431 request header fields too large\n"));
        }
        Err(httparse::Error::Version) => {
            return Err(Response::text(505, "505 HTTP version not supported\n"));
        }
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(Response::text(400, "400 bad request\n"));
        }
    }
    let headers: &[httparse::Header<'_>] = req.headers;
    let named = |name: &'static str| -> Vec<String> {
        headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
            .collect()
    };
    // Two lengths, or a length beside chunked coding, are read differently
    // by different servers in a chain: request smuggling. Refused outright.
    let lengths = named("Content-Length");
    let chunked = !named("Transfer-Encoding").is_empty();
    if lengths.len() > 1 || (chunked && !lengths.is_empty()) {
        return Err(Response::text(
            400,
            "400 bad request: duplicate or conflicting Content-Length\n",
        ));
    }
    if lengths
        .first()
        .is_some_and(|l| l.is_empty() || !l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Response::text(
            400,
            "400 bad request: invalid Content-Length\n",
        ));
    }
    let method = req.method.unwrap_or_default();
    if method != "GET" && method != "HEAD" {
        let mut r = Response::text(405, "405 method not allowed\n");
        r.header("Allow", "GET, HEAD");
        return Err(r);
    }
    let Some(path) = request_path(req.path.unwrap_or_default()) else {
        return Err(Response::text(400, "400 bad request\n"));
    };
    Ok(Request {
        head: method == "HEAD",
        path,
        if_none_match: named("If-None-Match"),
    })
}

/// Reads, answers and closes one connection.
fn connection(mut stream: TcpStream, root: &Path, rules: &RulesCache) {
    let (response, head) = match read_head(&mut stream) {
        Err(HeadError::Gone) => return,
        Err(HeadError::TooLarge) => (
            Response::text(431, "431 request header fields too large\n"),
            false,
        ),
        Ok(bytes) => match parse_request(&bytes) {
            Err(refusal) => (refusal, false),
            Ok(request) => {
                let rules = rules.get(root);
                (answer(&request, root, &rules), request.head)
            }
        },
    };
    let _ = finish(&mut stream, &response, head);
}

/// Writes `response` (without its body for `HEAD`), then closes the
/// connection after dropping what the client still sends.
fn finish(stream: &mut TcpStream, response: &Response, head: bool) -> io::Result<()> {
    let reason = match response.status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    };
    let mut out = format!("HTTP/1.1 {} {reason}\r\n", response.status);
    out.push_str(&format!(
        "Date: {}\r\nConnection: close\r\n",
        httpdate::fmt_http_date(std::time::SystemTime::now())
    ));
    if response.status != 304 {
        out.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    }
    for (k, v) in &response.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    stream.write_all(out.as_bytes())?;
    if !head && response.status != 304 {
        stream.write_all(&response.body)?;
    }
    stream.flush()?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let _ = stream.set_read_timeout(Some(LINGER));
    let started = Instant::now();
    let mut rest = (&*stream).take(LINGER_BYTES);
    let mut sink = [0u8; 8192];
    while started.elapsed() < LINGER && matches!(rest.read(&mut sink), Ok(n) if n > 0) {}
    Ok(())
}

fn answer(request: &Request, root: &Path, rules: &HostRules) -> Response {
    let path = &request.path;
    if let Some((to, status)) = rules.redirect_for(path) {
        let mut r = Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        };
        // A hand-edited `_redirects` may hold anything: the header is made safe.
        r.header("Location", &crate::emit::host::host_safe(to));
        for (k, v) in rules.headers_for(path) {
            r.header(&k, &v);
        }
        return r;
    }
    let read = |path: &str| {
        open_under(root, path).and_then(|(file, served)| {
            let bytes = read_all(file).ok()?;
            Some((bytes, served))
        })
    };
    // A rewrite applies only where no file is, as on Netlify.
    let found = read(path).or_else(|| rules.rewrite_for(path).and_then(|to| read(&to)));
    let Some((bytes, served)) = found else {
        return not_found(root, rules);
    };
    // A folder's page is served at the folder's URL with its slash, as
    // static hosts do, so that one page has one address.
    if served.ends_with("/index.html") && !path.ends_with('/') && !path.ends_with("/index.html") {
        let mut r = Response {
            status: 301,
            headers: Vec::new(),
            body: Vec::new(),
        };
        r.header(
            "Location",
            &crate::emit::host::host_safe(&format!("{path}/")),
        );
        for (k, v) in rules.headers_for(&served) {
            r.header(&k, &v);
        }
        return r;
    }
    let etag = format!("\"{}\"", &digest::hex(&digest::sha256(&bytes))[..32]);
    let matches = request
        .if_none_match
        .iter()
        .any(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut r = Response {
        status: if matches { 304 } else { 200 },
        headers: Vec::new(),
        body: if matches { Vec::new() } else { bytes },
    };
    r.header("Content-Type", content_type(&served));
    r.header("ETag", &etag);
    for (k, v) in rules.headers_for(&served) {
        r.header(&k, &v);
    }
    r
}

fn not_found(root: &Path, rules: &HostRules) -> Response {
    // The page is opened like any served file: a symbolic link, a FIFO or a
    // device named `404.html` is not read.
    let body = open_under(root, "/404.html")
        .filter(|(_, served)| served == "/404.html")
        .and_then(|(file, _)| read_all(file).ok())
        .unwrap_or_else(|| {
            b"<!doctype html><meta charset=utf-8><title>Not found</title><h1>404 Not found</h1>\n"
                .to_vec()
        });
    let mut r = Response {
        status: 404,
        headers: Vec::new(),
        body,
    };
    r.header("Content-Type", "text/html; charset=utf-8");
    for (k, v) in rules.headers_for("/404.html") {
        if !k.eq_ignore_ascii_case("Cache-Control") && !k.eq_ignore_ascii_case("Content-Type") {
            r.header(&k, &v);
        }
    }
    r
}

/// The decoded path of a request target, or `None` when it is malformed or
/// tries to leave the root (`..`, NUL, backslashes, encoded slashes).
pub fn request_path(target: &str) -> Option<String> {
    let raw = target.split(['?', '#']).next()?;
    if !raw.starts_with('/') || raw.contains("%2f") || raw.contains("%2F") {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    if decoded.contains(['\0', '\\']) {
        return None;
    }
    if decoded
        .split('/')
        .any(|seg| seg == ".." || seg == "." || seg.starts_with("._"))
    {
        return None;
    }
    Some(decoded.into_owned())
}

/// How the served folder itself is opened (its path was canonicalised).
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC);

/// Opens the regular file a request path names under `root`, and the path
/// it is served as. Folders serve their `index.html`. Host configuration
/// files (`/_headers`, …) and dot-files are not content. Each component is
/// opened relative to the folder before it, following no symbolic link and
/// without blocking (a FIFO would otherwise hold the thread forever); what
/// was opened is then checked to be a folder or a regular file, so nothing
/// can be swapped in between a check and the open.
fn open_under(root: &Path, path: &str) -> Option<(fs::File, String)> {
    let rel = path.trim_start_matches('/');
    let segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| s.starts_with('.'))
        || segments.first().is_some_and(|s| s.starts_with('_'))
    {
        return None;
    }
    let mut dir = rustix::fs::open(root, DIR_FLAGS, Mode::empty()).ok()?;
    let mut served = String::from("/");
    for (i, seg) in segments.iter().enumerate() {
        let (fd, kind) = open_entry(&dir, seg)?;
        match kind {
            FileType::Directory => {
                dir = fd;
                served.push_str(seg);
                served.push('/');
            }
            FileType::RegularFile if i + 1 == segments.len() => {
                served.push_str(seg);
                return Some((fs::File::from(fd), served));
            }
            _ => return None,
        }
    }
    match open_entry(&dir, "index.html")? {
        (fd, FileType::RegularFile) => Some((fs::File::from(fd), served + "index.html")),
        _ => None,
    }
}

/// Opens the regular file `name` directly in `root`, as [`open_under`] would.
fn open_in_root(root: &Path, name: &str) -> Option<fs::File> {
    let dir = rustix::fs::open(root, DIR_FLAGS, Mode::empty()).ok()?;
    match open_entry(&dir, name)? {
        (fd, FileType::RegularFile) => Some(fs::File::from(fd)),
        _ => None,
    }
}

/// Opens `name` in `dir` without following a symbolic link or blocking, and
/// says what it is.
fn open_entry(dir: &OwnedFd, name: &str) -> Option<(OwnedFd, FileType)> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::empty()).ok()?;
    let stat = rustix::fs::fstat(&fd).ok()?;
    Some((fd, FileType::from_raw_mode(stat.st_mode)))
}

/// The whole of a served file; one over [`MAX_FILE`] is not served.
fn read_all(file: fs::File) -> io::Result<Vec<u8>> {
    let len = file.metadata()?.len();
    if len > MAX_FILE {
        return Err(io::Error::other("larger than the serving cap"));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_FILE).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The content type by extension, as `mime.types` would give it.
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit('/')
        .next()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    let artifact = crate::emit::host::ARTIFACT_TYPES
        .iter()
        .find(|(e, _)| Some(*e) == ext.as_deref());
    if let Some((_, ct)) = artifact {
        return ct;
    }
    match ext.as_deref() {
        Some("json") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("txt") | Some("md") => "text/plain; charset=utf-8",
        Some("xml") => "application/xml",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_that_leave_the_root_are_refused() {
        assert_eq!(
            request_path("/index/3/g/git?x=1").as_deref(),
            Some("/index/3/g/git")
        );
        assert_eq!(request_path("/a%20b").as_deref(), Some("/a b"));
        for bad in [
            "/../etc/passwd",
            "/a/%2e%2e/b",
            "/a%2fb",
            "relative",
            "/a\\b",
            "/%00",
            "/%ff",
        ] {
            assert_eq!(request_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn rewrites_fill_placeholders_and_splats() {
        let rules = HostRules::parse(
            "",
            "/a/:name/x /a/:name/x.json 200\n/a/:name /a/:name.json 200\n/s/* /t/:splat 200\n/r /elsewhere 302\n",
        );
        assert_eq!(rules.rewrite_for("/a/git").as_deref(), Some("/a/git.json"));
        assert_eq!(
            rules.rewrite_for("/a/git/x").as_deref(),
            Some("/a/git/x.json")
        );
        assert_eq!(rules.rewrite_for("/a/git/y"), None);
        assert_eq!(rules.rewrite_for("/a/"), None);
        assert_eq!(rules.rewrite_for("/s/1/2").as_deref(), Some("/t/1/2"));
        // A rewrite is no redirect, and a redirect no rewrite.
        assert_eq!(rules.redirect_for("/a/git"), None);
        assert_eq!(rules.rewrite_for("/r"), None);
        assert_eq!(rules.redirect_for("/r"), Some(("/elsewhere", 302)));
    }

    #[test]
    fn rules_are_parsed_once_until_a_file_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::write(root.join("_redirects"), "/a /b 302\n").unwrap();
        let cache = RulesCache::default();
        let first = cache.get(root);
        assert!(Arc::ptr_eq(&first, &cache.get(root)), "parsed again");
        // A rebuild writes a new file (another inode, as the writer's swap gives).
        fs::write(root.join("_redirects.new"), "/a /c 302\n").unwrap();
        fs::rename(root.join("_redirects.new"), root.join("_redirects")).unwrap();
        let second = cache.get(root);
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(second.redirect_for("/a"), Some(("/c", 302)));
    }

    #[test]
    fn header_rules_merge_with_later_winning() {
        let rules = HostRules::parse(
            "# c\n/*\n  X-A: 1\n  Cache-Control: no-cache\n/index/*\n  Cache-Control: public, max-age=300\n",
            "/x/download https://e.example/f 302\n",
        );
        let h = rules.headers_for("/index/2/ab");
        assert_eq!(
            h,
            vec![
                ("X-A".to_owned(), "1".to_owned()),
                ("Cache-Control".to_owned(), "public, max-age=300".to_owned())
            ]
        );
        assert_eq!(
            rules.redirect_for("/x/download"),
            Some(("https://e.example/f", 302))
        );
        assert_eq!(rules.redirect_for("/y"), None);
    }
}
