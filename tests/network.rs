//! The client on real networks, against a small HTTP/1.1 server on loopback
//! that serves a real signed build and misbehaves on purpose: it fails the
//! first requests (a `503`, a connection closed without an answer) and
//! compresses JSON (gzip, brotli) for clients that ask.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plugdex::client::commands::Client;
use plugdex::client::http::{FetchError, Fetcher, Retry};
use plugdex::client::resolve::Request;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// `503 Service Unavailable`.
    Unavailable,
    /// The connection closed after the request, with no answer.
    Dropped,
}

#[derive(Default)]
struct Behaviour {
    /// Path → failures still to give.
    failures: HashMap<String, (Failure, u32)>,
    /// Compress bodies of `.json` and index files with this coding when asked.
    coding: Option<&'static str>,
    /// Path → requests seen.
    hits: HashMap<String, u32>,
    /// Body bytes sent.
    sent: u64,
}

struct Server {
    url: String,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl Server {
    fn hits(&self, path: &str) -> u32 {
        self.behaviour
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }
    fn fail(&self, path: &str, failure: Failure, times: u32) {
        self.behaviour
            .lock()
            .unwrap()
            .failures
            .insert(path.to_owned(), (failure, times));
    }
    fn sent(&self) -> u64 {
        self.behaviour.lock().unwrap().sent
    }
}

fn compress(coding: &str, body: &[u8]) -> Vec<u8> {
    match coding {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(body).unwrap();
            e.finish().unwrap()
        }
        "br" => {
            let mut child = std::process::Command::new("brotli")
                .args(["-c", "-"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("the `brotli` program (scripts/test.sh installs it)");
            child.stdin.take().unwrap().write_all(body).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success());
            out.stdout
        }
        other => panic!("{other}"),
    }
}

/// Serves the files under `root` (once it is set) on a free loopback port.
fn start(root: Arc<Mutex<PathBuf>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let behaviour = Arc::new(Mutex::new(Behaviour::default()));
    let shared = Arc::clone(&behaviour);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let behaviour = Arc::clone(&shared);
            let root = root.lock().unwrap().clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                let accepts = head
                    .lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("accept-encoding:"))
                    .map(|l| l.to_ascii_lowercase())
                    .unwrap_or_default();
                let mut b = behaviour.lock().unwrap();
                *b.hits.entry(path.clone()).or_default() += 1;
                if let Some((failure, left)) = b.failures.get_mut(&path).filter(|(_, n)| *n > 0) {
                    *left -= 1;
                    let failure = *failure;
                    drop(b);
                    if failure == Failure::Unavailable {
                        let _ = stream.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    }
                    return;
                }
                let file = root.join(path.trim_start_matches('/'));
                let Ok(body) = std::fs::read(&file) else {
                    drop(b);
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    return;
                };
                let metadata = !path.contains("/artifacts/");
                let (body, encoding) = match b.coding {
                    Some(c) if metadata && accepts.contains(c) => {
                        (compress(c, &body), format!("Content-Encoding: {c}\r\n"))
                    }
                    _ => (body, String::new()),
                };
                b.sent += body.len() as u64;
                drop(b);
                let _ = stream.write_all(
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{encoding}Connection: close\r\n\r\n", body.len()).as_bytes(),
                );
                let _ = stream.write_all(&body);
            });
        }
    });
    Server { url, behaviour }
}

/// The example built, signed, for `server`'s URL, and served by it.
fn serve_example(tmp: &Path) -> Server {
    let root = Arc::new(Mutex::new(PathBuf::new()));
    let server = start(Arc::clone(&root));
    let out = tmp.join("dist");
    let status = common::plugdex_cmd()
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["build", "--index"])
        .arg(common::example_index())
        .arg("--out")
        .arg(&out)
        .args([
            "--base-url",
            &server.url,
            "--signing-key",
            &common::demo_key("online.pem"),
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    *root.lock().unwrap() = out;
    server
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn install(
    server: &Server,
    home: &Path,
    name: &str,
) -> Result<plugdex::client::commands::Report, plugdex::client::ClientError> {
    let client = Client::new(common::client_options(&server.url, home, now())).unwrap();
    let plan = client.plan_install(&[Request::parse(name).unwrap()])?;
    client.apply(plan)
}

fn fast_fetcher(url: &str) -> Fetcher {
    Fetcher::new(url, None, None, false, Duration::from_secs(5)).retry(Retry {
        tries: 3,
        first_delay: Duration::from_millis(10),
    })
}

#[test]
fn transient_failures_are_retried_with_backoff_three_tries_at_most() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve_example(tmp.path());
    // A 503, then a connection closed without an answer, then the file.
    server.fail("/config.json", Failure::Unavailable, 1);
    let f = fast_fetcher(&server.url);
    assert!(f.get("config.json").is_ok());
    assert_eq!(server.hits("/config.json"), 2);
    server.fail("/root.json", Failure::Dropped, 2);
    assert!(f.get("root.json").is_ok());
    assert_eq!(server.hits("/root.json"), 3);
    assert_eq!(f.stats().retries, 3);

    // Three failures in a row: the third is the answer.
    server.fail("/names.json", Failure::Unavailable, 3);
    let err = f.get("names.json").unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 503, .. }),
        "{err}"
    );
    assert_eq!(server.hits("/names.json"), 3);
    // A 404 is an answer, not a failure on the way.
    assert!(matches!(
        f.get("nothing-here"),
        Err(FetchError::NotFound { .. })
    ));
    assert_eq!(server.hits("/nothing-here"), 1);

    // The default policy waits between tries (250 ms, then 1 s).
    server.fail("/timestamp.json", Failure::Unavailable, 1);
    let started = std::time::Instant::now();
    Fetcher::new(&server.url, None, None, false, Duration::from_secs(5))
        .get("timestamp.json")
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_install_survives_a_flaky_server_but_a_tampered_artifact_is_fetched_once() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve_example(tmp.path());
    server.fail("/timestamp.json", Failure::Dropped, 1);
    server.fail("/index/3/g/git", Failure::Unavailable, 2);
    let report =
        install(&server, &tmp.path().join("a"), "git").expect("install through the failures");
    assert!(report.http.retries >= 3, "{:?}", report.http);
    assert!(tmp.path().join("a/plugins/git").is_dir());

    // Bytes that arrive and do not verify are refused at once, not fetched again.
    let dist = tmp.path().join("dist");
    let artifact = walkdir::WalkDir::new(dist.join("artifacts"))
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy() == "markdown-preview-2.1.0.tar.gz")
        .expect("the artifact")
        .into_path();
    let mut bytes = std::fs::read(&artifact).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&artifact, bytes).unwrap();
    let served = format!(
        "/{}",
        artifact.strip_prefix(&dist).unwrap().to_str().unwrap()
    );
    let err = install(&server, &tmp.path().join("b"), "markdown-preview").unwrap_err();
    assert!(err.to_string().contains("markdown-preview"), "{err}");
    assert_eq!(
        server.hits(&served),
        1,
        "a verification failure was retried: {err}"
    );
}

#[test]
fn json_comes_compressed_with_gzip_or_brotli_and_artifacts_as_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve_example(tmp.path());
    install(&server, &tmp.path().join("plain"), "citations").expect("install");
    let plain = server.sent();
    for coding in ["gzip", "br"] {
        server.behaviour.lock().unwrap().coding = Some(coding);
        let before = server.sent();
        let home = tmp.path().join(coding);
        let report = install(&server, &home, "citations").expect("install compressed");
        let sent = server.sent() - before;
        assert_eq!(report.http.bytes, sent, "received bytes count as sent");
        assert!(
            sent * 2 < plain,
            "{coding}: {sent} bytes, uncompressed {plain}"
        );
        eprintln!(
            "figure: install citations with {coding}: {sent} bytes on the wire, {plain} without ({:.1}x)",
            plain as f64 / sent as f64
        );
        assert_eq!(
            common::read_tree(&home.join("plugins")),
            common::read_tree(&tmp.path().join("plain/plugins")),
            "{coding}: another install"
        );
    }
}

/// A private CA and a certificate for 127.0.0.1 it signed, made with openssl.
fn private_ca(dir: &Path) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("openssl (scripts/test.sh installs it)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ed25519",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=plugdex test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "ed25519",
        "-nodes",
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
}

/// `openssl s_server -WWW`: HTTPS for the files under `root`, until dropped.
struct TlsServer(std::process::Child);

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn https_server(root: &Path, certs: &Path, port: u16) -> TlsServer {
    let child = std::process::Command::new("openssl")
        .current_dir(root)
        .args([
            "s_server",
            "-quiet",
            "-WWW",
            "-accept",
            &port.to_string(),
            "-cert",
        ])
        .arg(certs.join("srv.pem"))
        .arg("-key")
        .arg(certs.join("srv.key"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("openssl s_server");
    // Dropped (killed and reaped) on every path, the panic's included.
    let server = TlsServer(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("openssl s_server did not listen on {port}");
}

#[test]
fn a_registry_behind_a_private_ca_works_with_ssl_cert_file() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    private_ca(&certs);
    let port = common::free_port();
    let url = format!("https://127.0.0.1:{port}/");
    let out = tmp.path().join("dist");
    let built = common::plugdex_cmd()
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["build", "--index"])
        .arg(common::example_index())
        .arg("--out")
        .arg(&out)
        .args([
            "--base-url",
            &url,
            "--signing-key",
            &common::demo_key("online.pem"),
        ])
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let _server = https_server(&out, &certs, port);

    // The library: a transport trusting the CA's file; the system store does not know it.
    let trusting = plugdex::client::transport::UreqTransport::with_ca_file(&certs.join("ca.pem"));
    let f = Fetcher::with_transport(
        Box::new(trusting),
        &url,
        None,
        None,
        false,
        Duration::from_secs(10),
    );
    assert!(f.get("config.json").unwrap().starts_with(b"{"));
    let system = plugdex::client::transport::UreqTransport::with_system_roots();
    let f = Fetcher::with_transport(
        Box::new(system),
        &url,
        None,
        None,
        false,
        Duration::from_secs(10),
    );
    let err = f.get("config.json").unwrap_err();
    assert!(err.to_string().contains("TLS"), "{err}");
    assert_eq!(
        f.stats().retries,
        0,
        "a certificate that does not verify was retried"
    );

    // The CLI: `SSL_CERT_FILE` names the bundle; without it the server is not trusted.
    let status = |cert_file: Option<&Path>| {
        let mut cmd = common::plugdex_cmd();
        cmd.env_remove("SSL_CERT_FILE")
            .args(["status", "--registry", &url, "--timeout", "10"]);
        if let Some(file) = cert_file {
            cmd.env("SSL_CERT_FILE", file);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, text) = status(Some(&certs.join("ca.pem")));
    assert_eq!(code, 0, "{text}");
    let (code, text) = status(None);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.to_lowercase().contains("certificate") || text.contains("UnknownIssuer"),
        "{text}"
    );
    let (code, text) = status(Some(&tmp.path().join("missing.pem")));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cannot read `SSL_CERT_FILE`"), "{text}");
}
