//! Regression tests for the generator-side findings of the hardening review
//! (issue 16): what a hostile plugin author or a careless CI setup could do
//! to `check`, `build`, the host files and `serve`. Each test drives the real
//! binary (and nginx, and real loopback sockets) the way the attack did.

mod common;

use std::path::{Path, PathBuf};

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The example index copied into a fresh temporary folder.
fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = dir.path().join("index");
    common::copy_tree(&common::example_index(), &index);
    (dir, index)
}

/// `plugdex build` of `index` into `out`, signed, with `SOURCE_DATE_EPOCH`
/// set to `epoch`; returns (exit code, stderr).
fn build_at(index: &Path, out: &Path, epoch: &str, extra: &[&str]) -> (i32, String) {
    let output = common::plugdex_cmd()
        .env("SOURCE_DATE_EPOCH", epoch)
        .arg("build")
        .arg("--index")
        .arg(index)
        .arg("--out")
        .arg(out)
        .args(["--signing-key", &common::demo_key("online.pem")])
        .args(extra)
        .output()
        .expect("run plugdex build");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

// ---- item 9: the signing time ------------------------------------------------

#[test]
fn build_refuses_a_signing_time_far_ahead_of_the_clock() {
    let (dir, index) = example_copy();
    let out = dir.path().join("dist");
    let month_ahead = (now() + 30 * 24 * 3600).to_string();
    let (code, stderr) = build_at(&index, &out, &month_ahead, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("SOURCE_DATE_EPOCH"), "{stderr}");
    assert!(stderr.contains("ahead of the clock"), "{stderr}");
    assert!(stderr.contains("--allow-signing-time-skew"), "{stderr}");
    assert!(!out.exists(), "nothing may be written");

    // Forced, it is signed as asked.
    let (code, stderr) = build_at(&index, &out, &month_ahead, &["--allow-signing-time-skew"]);
    assert_eq!(code, 0, "{stderr}");
    let timestamp = std::fs::read_to_string(out.join("timestamp.json")).unwrap();
    assert!(
        timestamp.contains(&format!("\"version\":{month_ahead}")),
        "{timestamp}"
    );

    // A reproducible build's commit time, in the past, is what CI sets.
    let out = dir.path().join("past");
    let (code, stderr) = build_at(&index, &out, "1767225600", &[]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn build_refuses_a_signing_time_whose_expiry_overflows() {
    let (dir, index) = example_copy();
    let out = dir.path().join("dist");
    for epoch in ["99999999999999", "9223372036854775807", "-1", "tomorrow"] {
        // The flag allows a skew, never a time that cannot be written.
        for extra in [&[][..], &["--allow-signing-time-skew"]] {
            let (code, stderr) = build_at(&index, &out, epoch, extra);
            assert_eq!(code, 2, "{epoch} {extra:?}: {stderr}");
            assert!(stderr.contains("SOURCE_DATE_EPOCH"), "{epoch}: {stderr}");
            assert!(stderr.contains("hint:"), "{epoch}: {stderr}");
            assert!(!out.exists(), "{epoch}: nothing may be written");
        }
    }
}

// ---- item 3: many diagnostics in one file ------------------------------------

/// `plugdex check --index INDEX --format FORMAT`: (exit code, stdout, stderr).
fn check(index: &Path, format: &str) -> (i32, String, String) {
    let output = common::plugdex_cmd()
        .args(["check", "--format", format, "--index"])
        .arg(index)
        .output()
        .expect("run plugdex check");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_of_a_file_with_50k_unknown_keys_prints_100_and_counts_the_rest() {
    let index = common::base_copy();
    let manifest = index.path().join("plugins/2/gm/plugin.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    // Top-level keys must come before the first table header.
    let first_table = text.find("\n[").map_or(text.len(), |i| i + 1);
    let junk: String = (0..50_000).map(|i| format!("x{i:x} = 0\n")).collect();
    text.insert_str(first_table, &junk);
    std::fs::write(&manifest, text).unwrap();

    let (code, _, human) = check(index.path(), "human");
    assert_eq!(code, 1, "{}", &human[..human.len().min(2000)]);
    assert_eq!(human.matches("error[unknown-field]").count(), 100);
    assert!(
        human.contains("error[more-diagnostics]: and 49900 more problems in this file (49900 errors, 0 warnings), not shown"),
        "{}",
        &human[human.len().saturating_sub(3000)..]
    );
    // The summary still counts every problem.
    assert!(
        human.contains("50000 errors"),
        "{}",
        &human[human.len().saturating_sub(500)..]
    );

    let (code, json, _) = check(index.path(), "json");
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON on stdout");
    let items = value["diagnostics"].as_array().unwrap();
    assert_eq!(items.len(), 101);
    assert_eq!(items[100]["code"], "more-diagnostics");
    assert_eq!(items[100]["severity"], "error");
    assert!(
        items[100]["message"]
            .as_str()
            .unwrap()
            .starts_with("and 49900 more")
    );

    let (code, github, _) = check(index.path(), "github");
    assert_eq!(code, 1);
    assert_eq!(github.matches("title=unknown-field::").count(), 100);
    assert_eq!(
        github
            .matches("title=more-diagnostics::and 49900 more")
            .count(),
        1
    );
}

// ---- item 5: artifact URLs and the host files ----------------------------------

const BETA_LATEST: &str = "plugins/be/ta/beta-tool/versions/1.2.0.toml";
const BETA_DOWNLOAD: &str = "/api/v1/plugins/beta-tool/download";

/// A copy of the base index whose `beta-tool` 1.2.0 (its latest, external
/// artifact) has `url` as written in TOML (`toml_string` is a TOML literal).
fn base_with_artifact_url(toml_string: &str) -> tempfile::TempDir {
    let index = common::base_copy();
    let file = index.path().join(BETA_LATEST);
    let text = std::fs::read_to_string(&file).unwrap();
    let old = "url = \"https://downloads.example.org/beta-tool-1.2.0.tar.gz\"";
    assert!(text.contains(old));
    std::fs::write(&file, text.replace(old, &format!("url = {toml_string}"))).unwrap();
    index
}

#[test]
fn check_refuses_artifact_urls_that_would_break_host_files() {
    for url in [
        // nginx: `return 302 "…\";` escapes the closing quote.
        r#""https://downloads.example.org/beta-tool-1.2.0.tar.gz\\""#,
        // _redirects: the space starts new fields, `200!` is a forced proxy.
        r#""https://downloads.example.org/x.tar.gz /evil 200!""#,
        r#""https://downloads.example.org/x.tar.gz\t200!""#,
        r#""https://downloads.example.org/x.tar.gz\u00a0x""#,
    ] {
        let index = base_with_artifact_url(url);
        let (code, json, stderr) = check(index.path(), "json");
        assert_eq!(code, 1, "{url}: {stderr}");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let found = value["diagnostics"].as_array().unwrap().iter().any(|d| {
            d["code"] == "invalid-url"
                && d["file"].as_str().unwrap().ends_with(BETA_LATEST)
                && d["line"] == 7
                && d["hint"].is_string()
        });
        assert!(found, "{url}: {json}");
    }
}

/// Builds `index` for `base_url` into `out`, expecting success.
fn build_ok(index: &Path, out: &Path, base_url: &str) {
    let (code, stderr) = common::build(index, out, &["--base-url", base_url]);
    assert_eq!(code, 0, "{stderr}");
}

/// The `_redirects` lines of a build: each must have exactly three fields.
fn redirect_lines(out: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(out.join("_redirects"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

#[test]
fn urls_check_allows_are_written_percent_encoded_and_nginx_accepts_them() {
    // Non-ASCII and characters nginx gives a meaning to, but nothing that splits.
    let index =
        base_with_artifact_url(r#""https://downloads.example.org/café/$host/{a};'b'`c\"d.tar.gz""#);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    let port = common::free_port();
    // A base URL with characters a host file must not carry raw either.
    build_ok(
        index.path(),
        &out,
        &format!("http://127.0.0.1:{port}/reg$x/"),
    );
    let expected =
        "https://downloads.example.org/caf%C3%A9/%24host/%7Ba%7D%3B%27b%27%60c%22d.tar.gz";
    let lines = redirect_lines(&out);
    assert!(lines.iter().all(|l| l.len() == 3), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l[0] == BETA_DOWNLOAD && l[1] == expected && l[2] == "302"),
        "{lines:?}"
    );
    let beta_index = std::fs::read_to_string(out.join("index/be/ta/beta-tool")).unwrap();
    assert!(beta_index.contains("caf%C3%A9"), "{beta_index}");
    // `start_nginx` runs `nginx -t` on the generated snippet first.
    let (_nginx, addr) = common::start_nginx(tmp.path(), &out, port, "access_log off;");
    let (status, headers, _) = get(&addr, BETA_DOWNLOAD);
    assert_eq!(status, 302);
    assert_eq!(header(&headers, "location"), Some(expected));
}

#[test]
fn host_files_escape_what_check_never_lets_through() {
    // The writers do not rely on `check`: raw hostile URLs give files that
    // nginx accepts and that have three fields a line.
    let hostile = [
        "https://e.example/x.tar.gz\\",
        "https://e.example/x.tar.gz /evil 200!",
        "https://e.example/x\t.tar.gz",
        "https://e.example/x\n/evil https://evil.example 200!",
        "https://e.example/é\r\";}\nlocation / { return 200 'owned'; }",
    ];
    let redirects: Vec<(String, String)> = hostile
        .iter()
        .enumerate()
        .map(|(i, u)| (format!("/p{i}/download"), (*u).to_owned()))
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    std::fs::create_dir_all(&out).unwrap();
    for file in plugdex::emit::host::host_files(&redirects) {
        std::fs::write(out.join(&file.path), &file.bytes).unwrap();
    }
    std::fs::write(out.join("index.html"), "home\n").unwrap();
    let lines = redirect_lines(&out);
    // The redirects, then the API's fixed rewrites (status 200).
    let rewrites = plugdex::emit::host::API_REWRITES.len();
    assert_eq!(lines.len(), hostile.len() + rewrites);
    let (redirects, rewritten) = lines.split_at(hostile.len());
    assert!(
        redirects.iter().all(|l| l.len() == 3 && l[2] == "302"),
        "{lines:?}"
    );
    assert!(
        rewritten.iter().all(|l| l.len() == 3 && l[2] == "200"),
        "{lines:?}"
    );
    let (_nginx, addr) =
        common::start_nginx(tmp.path(), &out, common::free_port(), "access_log off;");
    let (status, _, body) = get(&addr, "/");
    assert_eq!(status, 200);
    assert!(!String::from_utf8_lossy(&body).contains("owned"));
    let (status, headers, _) = get(&addr, "/p1/download");
    assert_eq!(status, 302);
    assert_eq!(
        header(&headers, "location"),
        Some("https://e.example/x.tar.gz%20/evil%20200!")
    );
}

// ---- items 5 and 6: serve --------------------------------------------------------

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One raw exchange over loopback: (status, headers lowercased, body). The
/// request is sent from another thread, so an answer that comes before the
/// whole request was sent is still read.
fn http(addr: &str, request: &str) -> Answer {
    try_http(addr, request.as_bytes())
        .unwrap_or_else(|| panic!("no answer to {:?}", &request[..request.len().min(80)]))
}

/// (status, headers lowercased, body).
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

fn try_http(addr: &str, request: &[u8]) -> Option<Answer> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let request = request.to_vec();
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(&request);
    });
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    drop(stream);
    let _ = sender.join();
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some((status, headers, bytes[split + 4..].to_vec()))
}

/// `GET path` with nothing else to say.
fn get(addr: &str, path: &str) -> Answer {
    http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

/// Replaces the file at `path` by a FIFO nobody writes to.
fn make_fifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `plugdex serve` as a child process, killed when dropped.
struct Serve {
    child: std::process::Child,
    addr: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Serve {
    let addr = format!("127.0.0.1:{}", common::free_port());
    let child = common::plugdex_cmd()
        .args(["serve", "--addr", &addr, "--dir"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start plugdex serve");
    let started = std::time::Instant::now();
    while TcpStream::connect(&addr).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "serve did not listen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Serve { child, addr }
}

/// The base index built into a temporary folder: (tmp, out).
fn built_base() -> (tempfile::TempDir, PathBuf) {
    let index = common::base_copy();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    build_ok(index.path(), &out, "http://127.0.0.1:1/");
    (tmp, out)
}

#[test]
fn serve_answers_a_non_ascii_redirect_without_panicking() {
    let (_tmp, out) = built_base();
    // A hand-edited (or older) `_redirects` with what header values cannot hold.
    std::fs::write(
        out.join("_redirects"),
        "/a/download https://e.example/café\u{1}.tar.gz 302\n",
    )
    .unwrap();
    let mut server = serve(&out);
    // More requests than the old server had worker threads.
    for _ in 0..6 {
        let (status, headers, _) = get(&server.addr, "/a/download");
        assert_eq!(status, 302);
        assert_eq!(
            header(&headers, "location"),
            Some("https://e.example/caf%C3%A9%01.tar.gz")
        );
    }
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "serve must keep running"
    );
}

#[test]
fn serve_does_not_follow_a_404_page_symlink_nor_block_on_a_fifo() {
    let (_tmp, out) = built_base();
    std::fs::remove_file(out.join("404.html")).ok();
    std::os::unix::fs::symlink("/etc/passwd", out.join("404.html")).unwrap();
    let server = serve(&out);
    let (status, _, body) = get(&server.addr, "/nothing");
    assert_eq!(status, 404);
    assert!(
        !String::from_utf8_lossy(&body).contains("root:"),
        "served the symlink's target"
    );
    drop(server);

    make_fifo(&out.join("404.html"));
    let server = serve(&out);
    // Every request answered, none waiting for a writer on the FIFO.
    for _ in 0..6 {
        let (status, _, body) = get(&server.addr, "/nothing");
        assert_eq!(status, 404);
        assert!(String::from_utf8_lossy(&body).contains("404"));
    }
    let (status, _, _) = get(&server.addr, "/config.json");
    assert_eq!(status, 200);

    // The host files are read with the same care: a FIFO `_headers` holds no rules.
    make_fifo(&out.join("_headers"));
    for _ in 0..6 {
        let (status, _, _) = get(&server.addr, "/config.json");
        assert_eq!(status, 200);
    }
}

#[test]
fn serve_refuses_huge_headers_with_431() {
    let (_tmp, out) = built_base();
    let server = serve(&out);
    let huge = format!(
        "GET /config.json HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(8 * 1024 * 1024)
    );
    let (status, _, _) = http(&server.addr, &huge);
    assert_eq!(status, 431);
    let many: String = (0..200).map(|i| format!("X-H{i}: v\r\n")).collect();
    let (status, _, _) = http(
        &server.addr,
        &format!("GET /config.json HTTP/1.1\r\nHost: x\r\n{many}Connection: close\r\n\r\n"),
    );
    assert_eq!(status, 431);
    // Still answering normal requests.
    let (status, _, _) = get(&server.addr, "/config.json");
    assert_eq!(status, 200);
}

#[test]
fn serve_refuses_duplicate_or_conflicting_content_length_with_400() {
    let (_tmp, out) = built_base();
    let server = serve(&out);
    for lengths in [
        "Content-Length: 0\r\nContent-Length: 5\r\n",
        "Content-Length: 0\r\nContent-Length: 0\r\n",
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        "Content-Length: -1\r\n",
    ] {
        let (status, _, _) = http(
            &server.addr,
            &format!(
                "GET /config.json HTTP/1.1\r\nHost: x\r\n{lengths}Connection: close\r\n\r\nhello"
            ),
        );
        assert_eq!(status, 400, "{lengths:?}");
    }
}
