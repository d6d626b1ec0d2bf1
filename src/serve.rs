//! `plugdex serve`: a preview server for a built registry. It answers as a
//! static host configured by the output's `_headers` and `_redirects` would:
//! same content types, cache headers and redirects, plus ETags with `304`s.
//! It never serves a path outside its folder, nor a symbolic link.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tiny_http::{Header, Method, Request, Response, Server};

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
    /// `(from, to, status)`.
    redirects: Vec<(String, String, u16)>,
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
                let status = rest.first().and_then(|s| s.parse().ok()).unwrap_or(301);
                rules
                    .redirects
                    .push(((*from).to_owned(), (*to).to_owned(), status));
            }
        }
        rules
    }

    fn load(dir: &Path) -> HostRules {
        let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap_or_default();
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
            .iter()
            .find(|(from, _, _)| from == path)
            .map(|(_, to, status)| (to.as_str(), *status))
    }
}

/// Serves `dir` on `addr` until the process ends.
pub fn run(dir: &Path, addr: &str) -> Result<(), ServeError> {
    let server = bind(dir, addr)?;
    eprintln!(
        "serving `{}` on http://{} (Ctrl-C stops)",
        dir.display(),
        server.server_addr()
    );
    serve_forever(server, dir);
    Ok(())
}

/// Binds the listener; port 0 picks a free port.
pub fn bind(dir: &Path, addr: &str) -> Result<Server, ServeError> {
    if !dir.is_dir() {
        return Err(ServeError::NoDir(dir.to_owned()));
    }
    Server::http(addr).map_err(|e| ServeError::Listen {
        addr: addr.to_owned(),
        why: e.to_string(),
    })
}

/// Answers requests on a few threads until the server is dropped.
pub fn serve_forever(server: Server, dir: &Path) {
    let server = Arc::new(server);
    let root = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let server = Arc::clone(&server);
            let root = root.clone();
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    // Re-read per request: a rebuild swaps the folder underneath.
                    let rules = HostRules::load(&root);
                    let _ = answer(request, &root, &rules);
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

fn header(k: &str, v: &str) -> Option<Header> {
    Header::from_bytes(k.as_bytes(), v.as_bytes()).ok()
}

fn answer(request: Request, root: &Path, rules: &HostRules) -> io::Result<()> {
    let head = *request.method() == Method::Head;
    if !matches!(request.method(), Method::Get | Method::Head) {
        let mut r = Response::from_string("405 method not allowed\n").with_status_code(405);
        r.add_header(header("Allow", "GET, HEAD").expect("valid header"));
        return request.respond(r);
    }
    let Some(path) = request_path(request.url()) else {
        return request.respond(Response::from_string("400 bad request\n").with_status_code(400));
    };
    if let Some((to, status)) = rules.redirect_for(&path) {
        let mut r = Response::empty(status);
        r.add_header(header("Location", to).expect("valid header"));
        for (k, v) in rules.headers_for(&path) {
            r.add_header(header(&k, &v).expect("valid header"));
        }
        return request.respond(r);
    }
    let (file_path, served) = match resolve(root, &path) {
        Some(found) => found,
        None => return not_found(request, root, rules),
    };
    let bytes = match read_file(&file_path) {
        Ok(b) => b,
        Err(_) => return not_found(request, root, rules),
    };
    let etag = format!("\"{}\"", &digest::hex(&digest::sha256(&bytes))[..32]);
    let matches = request
        .headers()
        .iter()
        .filter(|h| h.field.equiv("If-None-Match"))
        .any(|h| {
            h.value
                .as_str()
                .split(',')
                .any(|t| t.trim() == etag || t.trim() == "*")
        });
    let mut headers: Vec<(String, String)> = vec![
        ("Content-Type".into(), content_type(&served).into()),
        ("ETag".into(), etag),
    ];
    for (k, v) in rules.headers_for(&served) {
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case(&k));
        headers.push((k, v));
    }
    let status = if matches { 304 } else { 200 };
    let body = if matches || head {
        Vec::new()
    } else {
        bytes.clone()
    };
    let mut r = Response::from_data(body).with_status_code(status);
    if head {
        r = r.with_chunked_threshold(usize::MAX);
    }
    for (k, v) in &headers {
        if let Some(h) = header(k, v) {
            r.add_header(h);
        }
    }
    if head
        && !matches
        && let Some(h) = header("Content-Length", &bytes.len().to_string())
    {
        r.add_header(h);
    }
    request.respond(r)
}

fn not_found(request: Request, root: &Path, rules: &HostRules) -> io::Result<()> {
    let body = read_file(&root.join("404.html")).unwrap_or_else(|_| {
        b"<!doctype html><meta charset=utf-8><title>Not found</title><h1>404 Not found</h1>\n"
            .to_vec()
    });
    let mut r = Response::from_data(body).with_status_code(404);
    r.add_header(header("Content-Type", "text/html; charset=utf-8").expect("valid header"));
    for (k, v) in rules.headers_for("/404.html") {
        if !k.eq_ignore_ascii_case("Cache-Control") && !k.eq_ignore_ascii_case("Content-Type") {
            r.add_header(header(&k, &v).expect("valid header"));
        }
    }
    request.respond(r)
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

/// Maps a request path onto a regular file under `root`, following no
/// symbolic link. Folders serve their `index.html`. Host configuration files
/// (`/_headers`, …) and dot-files are not content.
fn resolve(root: &Path, path: &str) -> Option<(PathBuf, String)> {
    let rel = path.trim_start_matches('/');
    let segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    if segments.iter().any(|s| s.starts_with('.'))
        || segments.first().is_some_and(|s| s.starts_with('_'))
    {
        return None;
    }
    let mut current = root.to_owned();
    for seg in &segments {
        current.push(seg);
        let meta = fs::symlink_metadata(&current).ok()?;
        if meta.file_type().is_symlink() {
            return None;
        }
    }
    let meta = fs::symlink_metadata(&current).ok()?;
    if meta.is_dir() {
        let index = current.join("index.html");
        let m = fs::symlink_metadata(&index).ok()?;
        if !m.is_file() {
            return None;
        }
        let served = format!(
            "/{}",
            segments.iter().map(|s| format!("{s}/")).collect::<String>()
        ) + "index.html";
        return Some((index, served));
    }
    if !meta.is_file() {
        return None;
    }
    Some((current, format!("/{}", segments.join("/"))))
}

fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let file = fs::File::open(path)?;
    let mut bytes = Vec::new();
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
