//! `plugdex serve` and nginx (with the generated `_nginx.conf`) serving a real
//! build over loopback: content types, cache headers, ETags and `304`s, the
//! download redirect, 404s, and refusal of malformed or escaping requests.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A built example registry in a temporary folder.
fn built() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_tree(&common::example_index(), &dir.path().join("index"));
    let out = dir.path().join("dist");
    let (code, stderr) = common::build(&dir.path().join("index"), &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    (dir, out)
}

/// One raw HTTP/1.1 exchange; returns (status, headers lowercased, body).
fn raw(addr: &str, request: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).expect("send");
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let body = bytes[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body)
}

fn get(addr: &str, path: &str, extra: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    raw(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n"),
    )
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// What any static host serving the build must answer, plugdex serve or nginx.
fn assert_serves_registry(addr: &str, out: &Path) {
    let (status, h, body) = get(addr, "/config.json", "");
    assert_eq!(status, 200);
    assert!(
        header(&h, "content-type")
            .unwrap()
            .starts_with("application/json"),
        "{h:?}"
    );
    assert_eq!(header(&h, "cache-control"), Some("public, max-age=300"));
    assert_eq!(header(&h, "access-control-allow-origin"), Some("*"));
    assert_eq!(body, std::fs::read(out.join("config.json")).unwrap());

    let (status, h, body) = get(addr, "/index/3/g/git", "");
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "content-type"),
        Some("application/x-ndjson; charset=utf-8")
    );
    assert_eq!(header(&h, "cache-control"), Some("public, max-age=300"));
    assert_eq!(header(&h, "x-content-type-options"), Some("nosniff"));
    assert_eq!(body, std::fs::read(out.join("index/3/g/git")).unwrap());

    // Conditional request: the ETag of the answer gives a 304 with no body.
    let etag = header(&h, "etag").expect("an ETag").to_owned();
    let (status, _, body) = get(
        addr,
        "/index/3/g/git",
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert_eq!(status, 304);
    assert!(body.is_empty());

    let (status, h, body) = get(addr, "/api/v1/plugins/git.json", "");
    assert_eq!(status, 200);
    assert!(
        header(&h, "content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let doc: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(doc["latest"]["stable"], "2.0.0");

    // The API's paths without `.json` serve the same documents (the seeds' paths).
    for (clean, file) in [
        ("/api/v1/plugins", "api/v1/plugins.json"),
        ("/api/v1/plugins/git", "api/v1/plugins/git.json"),
        (
            "/api/v1/plugins/git/versions",
            "api/v1/plugins/git/versions.json",
        ),
        (
            "/api/v1/plugins/git/versions/1.2.0",
            "api/v1/plugins/git/versions/1.2.0.json",
        ),
    ] {
        let (status, h, body) = get(addr, clean, "");
        assert_eq!(status, 200, "{clean}");
        assert!(
            header(&h, "content-type")
                .unwrap()
                .starts_with("application/json"),
            "{clean}: {h:?}"
        );
        assert_eq!(
            header(&h, "cache-control"),
            Some("public, max-age=300"),
            "{clean}"
        );
        assert_eq!(body, std::fs::read(out.join(file)).unwrap(), "{clean}");
    }
    assert_eq!(get(addr, "/api/v1/plugins/no-such-plugin", "").0, 404);

    // The download redirect, then the immutable, content-addressed artifact.
    let (status, h, _) = get(addr, "/api/v1/plugins/git/download", "");
    assert_eq!(status, 302);
    let location = header(&h, "location").expect("Location").to_owned();
    let local = location
        .strip_prefix("https://plugins.inkwell.example")
        .expect("base_url");
    assert!(local.ends_with("/git-2.0.0.tar.gz"), "{location}");
    let (status, h, body) = get(addr, local, "");
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(header(&h, "content-type"), Some("application/gzip"));
    let sha = local.split('/').nth(2).expect("/artifacts/{sha256}/file");
    assert_eq!(plugdex::digest::hex(&plugdex::digest::sha256(&body)), sha);

    // The site: clean URLs, one address per page, the strict policy, the 404 page.
    let (status, h, body) = get(addr, "/plugins/git/", "");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        header(&h, "content-security-policy"),
        Some(plugdex::emit::host::CONTENT_SECURITY_POLICY)
    );
    assert_eq!(
        body,
        std::fs::read(out.join("plugins/git/index.html")).unwrap()
    );
    let (status, h, _) = get(addr, "/plugins/git", "");
    assert_eq!(status, 301, "{h:?}");
    assert!(
        header(&h, "location").is_some_and(|l| l.ends_with("/plugins/git/")),
        "{h:?}"
    );
    let (status, h, body) = get(addr, "/", "");
    assert_eq!(
        (status, header(&h, "content-type")),
        (200, Some("text/html; charset=utf-8"))
    );
    assert_eq!(body, std::fs::read(out.join("index.html")).unwrap());
    let css = std::fs::read_dir(out.join("static"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.ends_with(".css"))
        .expect("a stylesheet");
    let (status, h, _) = get(addr, &format!("/static/{css}"), "");
    assert_eq!(status, 200);
    assert!(
        header(&h, "content-type").is_some_and(|t| t.starts_with("text/css")),
        "{h:?}"
    );
    assert_eq!(
        header(&h, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let (status, h, body) = get(addr, "/plugins/no-such-plugin/", "");
    assert_eq!(status, 404);
    assert!(
        header(&h, "content-type").is_some_and(|t| t.starts_with("text/html")),
        "{h:?}"
    );
    assert_eq!(body, std::fs::read(out.join("404.html")).unwrap());

    // Host configuration is not content; unknown paths are 404s.
    for hidden in [
        "/_headers",
        "/_redirects",
        "/_nginx.conf",
        "/index/3/g/nope",
    ] {
        assert_eq!(get(addr, hidden, "").0, 404, "{hidden}");
    }
    // Paths that try to leave the folder never reach a file.
    for escape in [
        "/../../../etc/passwd",
        "/index/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc/passwd",
    ] {
        let (status, _, body) = get(addr, escape, "");
        assert!(status == 400 || status == 404, "{escape}: {status}");
        assert!(
            !String::from_utf8_lossy(&body).contains("root:"),
            "{escape}"
        );
    }
}

struct Server {
    addr: String,
    _thread: std::thread::JoinHandle<()>,
}

fn start_plugdex_serve(dir: &Path) -> Server {
    let server = plugdex::serve::bind(dir, "127.0.0.1:0").expect("bind");
    let addr = server.local_addr().expect("bound address").to_string();
    let dir = dir.to_owned();
    let thread = std::thread::spawn(move || plugdex::serve::serve_forever(server, &dir));
    Server {
        addr,
        _thread: thread,
    }
}

#[test]
fn plugdex_serve_answers_like_a_static_host() {
    let (_dir, out) = built();
    let server = start_plugdex_serve(&out);
    assert_serves_registry(&server.addr, &out);
}

#[test]
fn plugdex_serve_refuses_malformed_requests_and_symlinks() {
    let (dir, out) = built();
    std::os::unix::fs::symlink("/etc/passwd", out.join("passwd")).unwrap();
    std::os::unix::fs::symlink(dir.path(), out.join("up")).unwrap();
    let server = start_plugdex_serve(&out);
    let addr = &server.addr;
    assert_eq!(raw(addr, "GARBAGE\r\n\r\n").0, 400);
    let status = raw(addr, "GET /config.json HTTP/9.9\r\n\r\n").0;
    assert!(
        status == 400 || status == 505,
        "unsupported HTTP version: {status}"
    );
    assert_eq!(get(addr, "/passwd", "").0, 404);
    assert_eq!(get(addr, "/up/index/registry.toml", "").0, 404);
    assert_eq!(get(addr, "/%00", "").0, 400);
    let (status, h, _) = raw(
        addr,
        "POST /config.json HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 405);
    assert_eq!(header(&h, "allow"), Some("GET, HEAD"));
    // HEAD: the headers of a GET, no body.
    let (status, h, body) = raw(
        addr,
        "HEAD /config.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    assert!(body.is_empty());
    assert_eq!(
        header(&h, "content-length"),
        Some(
            std::fs::metadata(out.join("config.json"))
                .unwrap()
                .len()
                .to_string()
                .as_str()
        )
    );
    // The 404 page is HTML.
    let (status, h, body) = get(addr, "/nothing-here", "");
    assert_eq!(status, 404);
    assert_eq!(header(&h, "content-type"), Some("text/html; charset=utf-8"));
    assert!(String::from_utf8_lossy(&body).contains("404"));
}

// ---- nginx -------------------------------------------------------------------

#[test]
fn nginx_with_the_generated_snippet_serves_the_registry() {
    let (dir, out) = built();
    let (_nginx, addr) =
        common::start_nginx(dir.path(), &out, common::free_port(), "access_log off;");
    assert_serves_registry(&addr, &out);
}
