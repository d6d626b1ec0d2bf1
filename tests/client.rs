//! The client end to end: a freshly built, signed example registry served
//! by a real nginx on loopback (with the generated `_nginx.conf`), and the
//! attacks and failures it must survive. Requests are counted in nginx's
//! access log. Network failures nginx cannot stage (5xx, truncated bodies,
//! stalls) come from a tiny canned server.

mod common;
/// The embedding example, run by `the_host_example_installs_through_its_own_transport`.
#[path = "../examples/host.rs"]
mod host;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use plugdex::client::cache::Cache;
use plugdex::client::http::{FetchError, Fetcher};
use plugdex::client::resolve::Request;
use plugdex::client::{Client, ClientError};
use plugdex::trust::verify::VerifyError;

/// A signed build of the example served by nginx, with an access log of
/// `status uri bytes` lines.
struct Served {
    tmp: tempfile::TempDir,
    out: PathBuf,
    url: String,
    port: u16,
    built: i64,
    nginx: Option<common::Nginx>,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Builds the example signed, as of `epoch`, for `url`, into `out`.
fn build_signed(tmp: &Path, out: &Path, url: &str, epoch: i64) {
    let index = tmp.join("index");
    if !index.exists() {
        common::copy_tree(&common::example_index(), &index);
    }
    let output = common::plugdex_cmd()
        .env("SOURCE_DATE_EPOCH", epoch.to_string())
        .arg("build")
        .arg("--index")
        .arg(&index)
        .arg("--out")
        .arg(out)
        .args([
            "--signing-key",
            &common::demo_key("online.pem"),
            "--base-url",
            url,
        ])
        .output()
        .expect("run plugdex build");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn serve() -> Served {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/");
    let out = tmp.path().join("dist");
    let built = now();
    build_signed(tmp.path(), &out, &url, built);
    let mut served = Served {
        tmp,
        out,
        url,
        port,
        built,
        nginx: None,
    };
    served.start();
    served
}

impl Served {
    fn start(&mut self) {
        let log = format!(
            "log_format counted '$status $request_uri $body_bytes_sent';\n  access_log {}/access.log counted;",
            self.tmp.path().join("nginx").display()
        );
        let (nginx, _) = common::start_nginx(self.tmp.path(), &self.out, self.port, &log);
        self.nginx = Some(nginx);
    }

    /// The server goes away.
    fn stop(&mut self) {
        self.nginx.take().expect("running").stop();
    }

    /// Access log so far: (status, path, body bytes).
    fn log(&self) -> Vec<(u16, String, u64)> {
        let text =
            std::fs::read_to_string(self.tmp.path().join("nginx/access.log")).unwrap_or_default();
        text.lines()
            .map(|l| {
                let mut f = l.split(' ');
                let status = f.next().unwrap().parse().unwrap();
                let path = f.next().unwrap().to_owned();
                (status, path, f.next().unwrap().parse().unwrap())
            })
            .collect()
    }

    fn client(&self, home: &Path, now: i64) -> Client {
        Client::new(common::client_options(&self.url, home, now)).expect("client")
    }

    /// A served file's path, for tampering.
    fn file(&self, path: &str) -> PathBuf {
        self.out.join(path)
    }

    /// The local path of a plugin version's artifact.
    fn artifact(&self, name: &str, vers: &str) -> PathBuf {
        let index = std::fs::read_to_string(self.file(&index_path(name))).unwrap();
        let line = index
            .lines()
            .map(|l| serde_json::from_str::<plugdex::format::published::IndexLine>(l).unwrap())
            .find(|l| l.vers == vers)
            .expect("version");
        let dl = line.dl.expect("a single artifact");
        self.file(dl.strip_prefix(&self.url).expect("self-hosted"))
    }
}

fn index_path(name: &str) -> String {
    format!("index/{}/{name}", plugdex::format::name::shard(name))
}

fn req(s: &str) -> Request {
    Request::parse(s).expect("request")
}

/// The plugins folder and its lock file, byte for byte.
fn installed(home: &Path) -> (BTreeMap<String, Vec<u8>>, Option<Vec<u8>>) {
    let dir = home.join("plugins");
    let tree = if dir.exists() {
        common::read_tree(&dir)
    } else {
        BTreeMap::new()
    };
    (tree, std::fs::read(home.join("plugins.lock")).ok())
}

/// The error planning to install `what` must end in.
fn refused(client: Client, what: &str) -> ClientError {
    client
        .plan_install(&[req(what)])
        .err()
        .expect("the plan must fail")
}

fn install(client: &Client, what: &str) -> plugdex::client::commands::Report {
    let plan = client.plan_install(&[req(what)]).expect("plan");
    client.apply(plan).expect("install")
}

#[test]
fn install_writes_plugins_and_lock_then_an_unchanged_update_is_only_304s() {
    let served = serve();
    let home = tempfile::tempdir().unwrap();
    let client = served.client(home.path(), now());
    let plan = client.plan_install(&[req("citations")]).expect("plan");
    let names: Vec<(&str, bool)> = plan
        .changes
        .iter()
        .map(|c| (c.name.as_str(), c.dependency))
        .collect();
    assert_eq!(names, [("bibtex-parser", true), ("citations", false)]);
    assert!(
        plan.warnings[0].contains(
            "installing pins its root keys (2NnyqCvq8MnG+OZR7rtb723XaXP/b5QjHNSlk8CL+GU=)"
        ),
        "trust on first use says so: {:?}",
        plan.warnings
    );
    let report = client.apply(plan).expect("install");
    assert_eq!(report.changes.len(), 2);
    let (tree, lock) = installed(home.path());
    assert!(tree.keys().any(|p| p.starts_with("citations/")), "{tree:?}");
    assert!(
        tree.keys().any(|p| p.starts_with("bibtex-parser/")),
        "{tree:?}"
    );
    let lock =
        plugdex::client::lock::Lock::parse(&String::from_utf8(lock.unwrap()).unwrap()).unwrap();
    let citations = lock.get("citations").expect("locked");
    assert_eq!(citations.vers, "1.2.0");
    assert_eq!(citations.requested.as_deref(), Some("*"));
    let artifact = std::fs::read(served.artifact("citations", "1.2.0")).unwrap();
    assert_eq!(citations.sha256, plugdex::digest::Sha256::of(&artifact));
    assert_eq!(lock.get("bibtex-parser").unwrap().requested, None);

    // A second run, as a new process: nothing changed, so every request is
    // conditional and answered 304 with no body; `root.json` and
    // `config.json` come from the cache, the snapshot naming their hashes.
    let before = served.log().len();
    let again = served.client(home.path(), now());
    let plan = again.plan_update(&[]).expect("plan");
    assert!(plan.changes.is_empty());
    let report = again.apply(plan).expect("update");
    let log = served.log()[before..].to_vec();
    let paths: Vec<&str> = log.iter().map(|(_, p, _)| p.as_str()).collect();
    assert_eq!(log.len(), 3, "the timestamp and two index files: {paths:?}");
    assert_eq!(paths[0], "/timestamp.json");
    assert!(log.iter().all(|(s, _, b)| *s == 304 && *b == 0), "{log:?}");
    assert_eq!(report.http.requests, 3);
    assert_eq!(report.http.not_modified, 3);
    assert_eq!(report.http.bytes, 0);
    assert!(
        report.http.cache_hits >= 1,
        "snapshot nodes come from the cache"
    );
    assert_eq!(installed(home.path()).0, tree);
}

#[test]
fn a_stale_index_file_falls_back_to_by_hash_but_a_tampered_one_is_refused() {
    let served = serve();
    let path = index_path("citations");
    let good = std::fs::read(served.file(&path)).unwrap();
    let tampered = String::from_utf8(good.clone())
        .unwrap()
        .replace("\"permissions\":[\"filesystem\"]", "\"permissions\":[]");
    assert_ne!(tampered.as_bytes(), good);
    std::fs::write(served.file(&path), &tampered).unwrap();

    // Only the served copy differs (a stale CDN): the by-hash copy is used.
    let home = tempfile::tempdir().unwrap();
    let before = served.log().len();
    install(&served.client(home.path(), now()), "citations");
    let hash = plugdex::digest::hex(&plugdex::digest::sha256(&good));
    assert!(
        served.log()[before..]
            .iter()
            .any(|(s, p, _)| *s == 200 && *p == format!("/by-hash/{hash}")),
        "the by-hash copy was fetched"
    );

    // Both copies tampered with: refused, nothing installed.
    std::fs::write(served.file(&format!("by-hash/{hash}")), &tampered).unwrap();
    let home = tempfile::tempdir().unwrap();
    let err = refused(served.client(home.path(), now()), "citations");
    assert!(
        matches!(err, ClientError::Verify { check: "index file", source: VerifyError::Mismatch { ref path } } if *path == index_path("citations")),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("tampered"));
    assert_eq!(installed(home.path()), (BTreeMap::new(), None));
}

#[test]
fn a_tampered_artifact_is_refused_and_nothing_is_installed() {
    let served = serve();
    let artifact = served.artifact("bibtex-parser", "1.3.0");
    let mut bytes = std::fs::read(&artifact).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&artifact, &bytes).unwrap();
    let home = tempfile::tempdir().unwrap();
    let client = served.client(home.path(), now());
    let plan = client.plan_install(&[req("citations")]).expect("plan");
    let err = client.apply(plan).expect_err("refused");
    assert!(
        matches!(err, ClientError::Verify { check: "artifact", source: VerifyError::Artifact { ref name, .. } } if name == "bibtex-parser"),
        "{err}"
    );
    assert!(err.to_string().contains("SHA-256 differs"), "{err}");
    assert_eq!(installed(home.path()), (BTreeMap::new(), None));
}

/// Signs the served build again with the online key, over its covered files
/// as they are now: what a broken generator holding the key would publish.
fn resign(served: &Served) {
    use plugdex::trust::metadata::{self, FileMeta, SigningInput};
    let covered: BTreeMap<String, FileMeta> = common::read_tree(&served.out)
        .into_iter()
        .filter(|(path, _)| plugdex::emit::is_covered(path))
        .map(|(path, bytes)| (path, FileMeta::of(&bytes)))
        .collect();
    let key = plugdex::trust::SecretKey::read_file(Path::new(&common::demo_key("online.pem")))
        .expect("the demo online key");
    let signed = metadata::sign(
        &covered,
        &SigningInput {
            registry: "plugins.inkwell.example",
            key: Some(&key),
            now: now(),
            expiry_secs: metadata::DEFAULT_EXPIRY_SECS,
        },
    );
    for (path, bytes) in signed.files {
        std::fs::write(served.file(&path), bytes).unwrap();
    }
}

#[test]
fn a_release_whose_signer_is_not_a_key_is_refused_not_replaced_by_an_older_one() {
    let served = serve();
    let path = index_path("git");
    let text = std::fs::read_to_string(served.file(&path)).unwrap();
    // The identity point: 44 characters of base64, but a key of small order.
    let small_order = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let tampered: String = text
        .lines()
        .map(|l| {
            if l.contains(r#""vers":"1.2.0""#) {
                let at = l.find(r#""signer":""#).expect("a signed line") + 10;
                format!("{}{small_order}{}\n", &l[..at], &l[at + 44..])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_ne!(tampered, text);
    std::fs::write(served.file(&path), &tampered).unwrap();
    resign(&served);

    // 1.2.0 is the newest git engine 1.5.0 allows: the line still reads, as
    // published, and installing refuses it rather than taking 1.1.0.
    let home = tempfile::tempdir().unwrap();
    let info = served.client(home.path(), now()).info("git").expect("info");
    let listed = info.versions.iter().find(|v| v.vers == "1.2.0");
    assert_eq!(
        listed.and_then(|v| v.signer.as_deref()),
        Some(small_order),
        "{info:?}"
    );
    assert_eq!(info.latest.as_deref(), Some("1.2.0"));
    let err = refused(served.client(home.path(), now()), "git");
    match &err {
        ClientError::Verify {
            check: "author signature",
            source: VerifyError::AuthorSignature { vers, why, .. },
        } => {
            assert_eq!(vers, "1.2.0");
            assert!(why.contains("its signer key is not usable"), "{why}");
            assert!(why.contains("small order"), "{why}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(installed(home.path()), (BTreeMap::new(), None));
    // Only that release: an older one asked for by name installs.
    install(&served.client(home.path(), now()), "git@~1.1");
    let lock = String::from_utf8(installed(home.path()).1.expect("a lock file")).unwrap();
    assert!(lock.contains("name = \"git\"\nvers = \"1.1.0\""), "{lock}");
}

#[test]
fn an_older_timestamp_after_a_newer_one_is_a_rollback_and_an_expired_one_is_refused() {
    let served = serve();
    let home = tempfile::tempdir().unwrap();
    install(&served.client(home.path(), now()), "git");
    let state = std::fs::read_to_string(home.path().join("plugins.state.json")).unwrap();
    assert!(
        state.contains(&format!("\"timestamp_version\": {}", served.built)),
        "{state}"
    );

    // A mirror serves yesterday's build's timestamp.
    let old = served.tmp.path().join("old");
    build_signed(
        served.tmp.path(),
        &old,
        &served.url,
        served.built - 24 * 3600,
    );
    std::fs::copy(old.join("timestamp.json"), served.file("timestamp.json")).unwrap();
    let before = installed(home.path());
    let err = served
        .client(home.path(), now())
        .plan_update(&[])
        .err()
        .expect("refused");
    assert!(
        matches!(err, ClientError::Verify { check: "timestamp", source: VerifyError::Rollback { seen, found } } if seen == served.built && found == served.built - 24 * 3600),
        "{err}"
    );
    assert_eq!(installed(home.path()), before);

    // The current timestamp, eight days later: expired (it lasts seven).
    let fresh = tempfile::tempdir().unwrap();
    let late = served.built + 8 * 24 * 3600;
    let err = refused(
        Client::new(common::client_options(&served.url, fresh.path(), late)).unwrap(),
        "git",
    );
    assert!(
        matches!(
            err,
            ClientError::Verify {
                check: "timestamp",
                source: VerifyError::Expired { .. }
            }
        ),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("rebuilt"));
}

#[test]
fn root_keys_pinned_in_the_config_or_on_first_use_are_enforced() {
    let served = serve();
    let other =
        plugdex::trust::secret::SecretKey::read_file(Path::new(&common::demo_key("jweiss.pem")))
            .expect("demo key")
            .public()
            .to_raw_base64();
    // Pinned in the config: a registry signed by other root keys is refused.
    let home = tempfile::tempdir().unwrap();
    let mut pinned = common::client_options(&served.url, home.path(), now());
    pinned.registry.root_keys = vec![other.clone()];
    let err = refused(Client::new(pinned).unwrap(), "git");
    assert!(
        matches!(
            err,
            ClientError::Verify {
                check: "root keys",
                source: VerifyError::RootKeysDiffer
            }
        ),
        "{err}"
    );
    // Pinned on first use: a later change of keys is refused too.
    install(&served.client(home.path(), now()), "git");
    let state_path = home.path().join("plugins.state.json");
    let state = std::fs::read_to_string(&state_path).unwrap();
    let root = "2NnyqCvq8MnG+OZR7rtb723XaXP/b5QjHNSlk8CL+GU=";
    std::fs::write(&state_path, state.replace(root, &other)).unwrap();
    let err = refused(served.client(home.path(), now()), "git");
    assert!(
        matches!(
            err,
            ClientError::Verify {
                check: "root keys",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_server_going_away_mid_install_leaves_the_plugins_folder_as_it_was() {
    let mut served = serve();
    let home = tempfile::tempdir().unwrap();
    install(&served.client(home.path(), now()), "git");
    let before = installed(home.path());
    assert!(before.1.is_some());

    // One of two artifacts is missing: the other was downloaded, but nothing changes.
    let artifact = served.artifact("bibtex-parser", "1.3.0");
    let saved = std::fs::read(&artifact).unwrap();
    std::fs::remove_file(&artifact).unwrap();
    let client = served.client(home.path(), now());
    let plan = client.plan_install(&[req("citations")]).expect("plan");
    let err = client.apply(plan).expect_err("fails");
    assert!(
        matches!(err, ClientError::Fetch(FetchError::NotFound { .. })),
        "{err}"
    );
    assert_eq!(installed(home.path()), before);
    std::fs::write(&artifact, saved).unwrap();

    // The server stops between planning and downloading.
    let client = served.client(home.path(), now());
    let plan = client.plan_install(&[req("citations")]).expect("plan");
    served.stop();
    let err = client.apply(plan).expect_err("fails");
    assert!(
        matches!(err, ClientError::Fetch(FetchError::Unreachable { .. })),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("--offline"));
    assert_eq!(installed(home.path()), before);

    // Offline, the cache still answers what was fetched before…
    let mut offline = common::client_options(&served.url, home.path(), now());
    offline.offline = true;
    let listed = Client::new(offline.clone())
        .unwrap()
        .list()
        .expect("offline list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].latest.as_deref(), Some("1.2.0"));
    // …and refuses what it never fetched.
    let err = refused(Client::new(offline).unwrap(), "mermaid-diagrams");
    assert!(err.to_string().contains("--offline"), "{err}");
}

#[test]
fn an_unknown_plugin_suggests_close_names() {
    let served = serve();
    let home = tempfile::tempdir().unwrap();
    let err = refused(served.client(home.path(), now()), "citatoins");
    assert!(
        matches!(err, ClientError::NoSuchPlugin { ref suggestions, .. } if suggestions[0] == "citations"),
        "{err}"
    );
    // The same through the command line, with its exit status.
    let (code, stderr, _) = cli(&served.url, home.path(), &["install", "gti", "--yes"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "error: no plugin named `gti` in this registry; did you mean `git`?\n"
    );
}

#[test]
fn the_command_line_asks_first_then_install_list_info_remove_print_json() {
    let served = serve();
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| cli(&served.url, home.path(), args);
    let (code, stderr, _) = run(&["install", "git", "--engine", "1.5.0"]);
    // No `--yes` and no terminal to ask on: a usage error (docs/cli.md).
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with(
            "  + git 1.2.0 (tier verified; permissions: filesystem, process, network, env)\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: review the plan above and pass `--yes`"),
        "{stderr}"
    );
    assert!(!home.path().join("plugins").exists());
    let json = |args: &[&str]| {
        let (code, stderr, stdout) = run(&[args, &["--format", "json"]].concat());
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        serde_json::from_slice::<serde_json::Value>(&stdout).expect("JSON on stdout")
    };
    let report = json(&["install", "git", "--engine", "1.5.0", "--yes"]);
    assert_eq!(report["changes"][0]["to"], "1.2.0");
    assert_eq!(report["changes"][0]["permissions"][0], "filesystem");
    let list = json(&["list", "--engine", "1.5.0"]);
    assert_eq!(list["plugins"][0]["vers"], "1.2.0");
    assert_eq!(list["plugins"][0]["latest"], "1.2.0");
    let info = json(&["info", "git"]);
    assert_eq!(info["installed"], "1.2.0");
    assert_eq!(info["latest"], "2.0.0", "no --engine: every engine");
    assert_eq!(info["owners"][0], "tnovak");
    assert_eq!(info["versions"][2]["tier"], "verified");
    let removed = json(&["remove", "git"]);
    assert_eq!(removed["changes"][0]["from"], "1.2.0");
    assert!(!home.path().join("plugins/git").exists());
    assert_eq!(json(&["list"])["plugins"], serde_json::json!([]));
}

/// The API documents are not signed: what they say reaches `--format json`
/// as the registry wrote it, but DEL, C1 controls and bidirectional marks
/// are `\u` escapes in the JSON text, as C0 controls are, so a terminal that
/// shows it raw cannot be steered. A JSON reader gets the same string back.
#[test]
fn json_output_escapes_every_control_and_bidi_character_a_registry_sends() {
    let served = serve();
    let doc = served.file("api/v1/plugins/git.json");
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&doc).unwrap()).unwrap();
    let hostile = "Git\u{7f} tools\u{85}\u{9b}2K\u{202e}evil\u{2066}\u{1b}[1m";
    value["description"] = hostile.into();
    std::fs::write(&doc, serde_json::to_vec(&value).unwrap()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let (code, stderr, stdout) = cli(
        &served.url,
        home.path(),
        &["info", "git", "--format", "json"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let text = String::from_utf8(stdout).unwrap();
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| c != '\n' && plugdex::untrusted::is_unprintable(c))
        .collect();
    assert!(raw.is_empty(), "raw {raw:?} in {text}");
    assert!(
        text.contains(r#""Git\u007f tools\u0085\u009b2K\u202eevil\u2066\u001b[1m""#),
        "{text}"
    );
    let info: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(info["description"], hostile);
}

/// Runs `plugdex ARGS --registry URL --dir HOME/plugins --cache-dir HOME/cache`
/// with no terminal: (exit code, stderr, stdout).
fn cli(url: &str, home: &Path, args: &[&str]) -> (Option<i32>, String, Vec<u8>) {
    let out = common::plugdex_cmd()
        .args(args)
        .args(["--registry", url])
        .arg("--dir")
        .arg(home.join("plugins"))
        .arg("--cache-dir")
        .arg(home.join("cache"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.stdout,
    )
}

// ---- failures nginx cannot stage -----------------------------------------------

/// A server that answers every connection with `answer(path)`, raw bytes.
fn canned(answer: fn(&str) -> Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                let authorised = head
                    .to_ascii_lowercase()
                    .contains("\r\nauthorization: bearer s3cret\r\n");
                let key = if authorised {
                    format!("{path}+auth")
                } else {
                    path
                };
                let _ = stream.write_all(&answer(&key));
            });
        }
    });
    url
}

fn fetcher(url: &str) -> Fetcher {
    Fetcher::new(url, None, None, false, Duration::from_secs(1))
}

#[test]
fn every_network_failure_has_its_own_error() {
    let url = canned(|path| match path {
        "/500" => b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".to_vec(),
        "/short" => b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"v\":1".to_vec(),
        "/big" => {
            let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".to_vec();
            r.extend_from_slice(&[b'x'; 100]);
            r
        }
        "/private+auth" => b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        "/private" => b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n".to_vec(),
        "/stall" => {
            std::thread::sleep(Duration::from_secs(3));
            Vec::new()
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
    });
    let f = fetcher(&url);
    assert!(matches!(
        f.get("500"),
        Err(FetchError::Status { status: 503, .. })
    ));
    assert!(
        matches!(f.get("short"), Err(FetchError::Truncated { .. })),
        "{:?}",
        f.get("short")
    );
    assert!(matches!(
        f.download(
            &format!("{url}big"),
            10,
            Some(&plugdex::digest::Sha256([0; 32]))
        ),
        Err(FetchError::TooLarge { cap: 10, .. })
    ));
    assert!(
        matches!(f.get("stall"), Err(FetchError::Timeout { .. })),
        "{:?}",
        f.get("stall")
    );
    assert!(matches!(f.get("nope"), Err(FetchError::NotFound { .. })));
    let closed = format!("http://127.0.0.1:{}/", common::free_port());
    let err = fetcher(&closed).get("config.json").unwrap_err();
    assert!(matches!(err, FetchError::Unreachable { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot reach `{closed}config.json`")),
        "{err}"
    );

    // The token goes to the registry, and only there.
    let token = || Some(plugdex::client::config::Token::new("s3cret".into()));
    let private = Fetcher::new(&url, token(), None, false, Duration::from_secs(1));
    assert_eq!(private.get("private").unwrap(), b"ok");
    let err = f.get("private").unwrap_err();
    assert!(matches!(err, FetchError::Status { status: 401, .. }));
    assert!(err.hint().unwrap().contains("PLUGDEX_TOKEN_"));
    let elsewhere = Fetcher::new(
        "http://127.0.0.1:9/",
        token(),
        None,
        false,
        Duration::from_secs(1),
    );
    let err = elsewhere
        .download(
            &format!("{url}private"),
            2,
            Some(&plugdex::digest::Sha256([0; 32])),
        )
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 401, .. }),
        "{err}"
    );
    assert!(!format!("{err} {err:?} {elsewhere:?}").contains("s3cret"));

    // A server without `config.json` is not a registry.
    let home = tempfile::tempdir().unwrap();
    let err = refused(
        Client::new(common::client_options(&url, home.path(), now())).unwrap(),
        "git",
    );
    assert!(matches!(err, ClientError::NotARegistry { .. }), "{err}");
    // The cache is not touched by failures.
    assert!(
        Cache::new(&home.path().join("cache"))
            .load(&format!("{url}config.json"))
            .is_none()
    );
}

/// `examples/host.rs` as a host would run it: installs from nginx through
/// its logging transport, and the plugins folder lists what it installed.
#[test]
fn the_host_example_installs_through_its_own_transport() {
    let served = serve();
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("plugins");
    let hosted = host::run(&served.url, "citations", &dir).expect("the example runs");
    assert!(hosted.installed.len() >= 2, "{:?}", hosted.installed);
    assert!(hosted.installed.iter().any(|n| n == "citations"));
    let mut listed: Vec<&str> = hosted.listed.iter().map(|l| l.name.as_str()).collect();
    listed.sort();
    let mut installed: Vec<&str> = hosted.installed.iter().map(String::as_str).collect();
    installed.sort();
    assert_eq!(listed, installed);
    assert!(dir.join("citations").is_dir());
    // Every request went through the host's transport, and nginx saw each.
    assert_eq!(
        hosted.requests.len(),
        served.log().len(),
        "{:#?}",
        hosted.requests
    );
    assert!(
        hosted
            .requests
            .iter()
            .any(|r| *r == format!("GET {}config.json -> 200", served.url)),
        "{:#?}",
        hosted.requests
    );
    // Run again: the cache answers, the transport sees only revalidations.
    let again = host::run(&served.url, "citations", &dir).expect("the example runs again");
    assert!(again.installed.is_empty(), "{:?}", again.installed);
    assert!(
        again.requests.iter().all(|r| r.ends_with("-> 304")),
        "{:#?}",
        again.requests
    );
}

// ---- search ------------------------------------------------------------------

/// The search bundle `config.json` names in the served build.
fn bundle_path(served: &Served) -> String {
    let config: plugdex::format::published::Config =
        serde_json::from_slice(&std::fs::read(served.file("config.json")).unwrap()).unwrap();
    config.search.expect("the build has a search bundle").bundle
}

fn search_names(stdout: &[u8]) -> Vec<String> {
    let found: serde_json::Value = serde_json::from_slice(stdout).expect("JSON on stdout");
    found["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn search_fetches_the_bundle_once_then_only_revalidates_the_timestamp_and_works_offline() {
    let mut served = serve();
    let bundle = format!("/{}", bundle_path(&served));
    let home = tempfile::tempdir().unwrap();
    let url = served.url.clone();
    let search = |args: &[&str]| {
        let (code, stderr, stdout) = cli(&url, home.path(), &[&["search"], args].concat());
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        search_names(&stdout)
    };
    let fetched = |log: &[(u16, String, u64)]| {
        log.iter()
            .filter(|(s, p, _)| *s == 200 && *p == bundle)
            .count()
    };
    assert_eq!(search(&["bibtex", "--format", "json"])[0], "bibtex-parser");
    assert_eq!(
        fetched(&served.log()),
        1,
        "the first search downloads the bundle"
    );

    let before = served.log().len();
    let names = search(&["citations", "--format", "json", "--tier", "verified"]);
    assert_eq!(names, ["citations"]);
    let log = served.log();
    let later = &log[before..];
    assert_eq!(
        fetched(later),
        0,
        "an unchanged bundle is not requested: {later:?}"
    );
    assert_eq!(
        later,
        [(304, "/timestamp.json".to_owned(), 0)],
        "a warm search is one conditional request, for the timestamp"
    );

    // A cached copy damaged on disk is never searched: it is fetched again.
    let cached = home
        .path()
        .join("cache/search")
        .join(bundle.rsplit('/').next().unwrap());
    let mut bytes = std::fs::read(&cached).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&cached, &bytes).unwrap();
    let before = served.log().len();
    assert_eq!(search(&["bibtex", "--format", "json"])[0], "bibtex-parser");
    assert_eq!(
        fetched(&served.log()[before..]),
        1,
        "the damaged copy was replaced"
    );

    // A rebuild with a changed README: the new snapshot names a new
    // config.json (it names the new bundle), fetched afresh, and the new bundle.
    let readme = served
        .tmp
        .path()
        .join("index/plugins/bi/bt/bibtex-parser/README.md");
    let mut text = std::fs::read_to_string(&readme).unwrap();
    text.push_str("\nAlso reads zyzzyva files.\n");
    std::fs::write(&readme, text).unwrap();
    build_signed(served.tmp.path(), &served.out, &served.url, now());
    let before = served.log().len();
    assert_eq!(search(&["zyzzyva", "--format", "json"]), ["bibtex-parser"]);
    let log = served.log();
    let fresh: Vec<&str> = log[before..]
        .iter()
        .filter(|(s, _, _)| *s == 200)
        .map(|(_, p, _)| p.as_str())
        .collect();
    let new_bundle = format!("/{}", bundle_path(&served));
    assert!(new_bundle != bundle, "a new bundle");
    assert!(
        fresh.contains(&"/config.json") && fresh.contains(&new_bundle.as_str()),
        "{fresh:?}"
    );

    served.stop();
    assert_eq!(
        search(&["bibtex", "--format", "json", "--offline"])[0],
        "bibtex-parser",
        "offline, from the cache"
    );
}

#[test]
fn a_tampered_or_substituted_search_bundle_is_refused() {
    let served = serve();
    let bundle = bundle_path(&served);
    let good = std::fs::read(served.file(&bundle)).unwrap();
    let hash = plugdex::digest::hex(&plugdex::digest::sha256(&good));
    // Another valid bundle (a different registry's) in place of this one.
    let other = plugdex::search::indexer::build(&[plugdex::search::SearchDoc {
        name: "evil".into(),
        version: Some("6.6.6".into()),
        description: "bibtex citations".into(),
        ..Default::default()
    }])
    .unwrap();
    for substitute in [other, {
        let mut b = good.clone();
        b[10] ^= 1;
        b
    }] {
        std::fs::write(served.file(&bundle), &substitute).unwrap();
        std::fs::write(served.file(&format!("by-hash/{hash}")), &substitute).unwrap();
        let home = tempfile::tempdir().unwrap();
        let (code, stderr, stdout) = cli(&served.url, home.path(), &["search", "bibtex"]);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stdout.is_empty(),
            "nothing searched: {}",
            String::from_utf8_lossy(&stdout)
        );
        assert!(
            stderr.contains("verification failed (search bundle)") && stderr.contains("tampered"),
            "{stderr}"
        );
        let kept = std::fs::read_dir(home.path().join("cache/search"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(kept, 0, "nothing refused is cached");
    }
    // Offline with nothing cached: a clear failure, not a search of nothing.
    let home = tempfile::tempdir().unwrap();
    let (code, stderr, _) = cli(&served.url, home.path(), &["search", "bibtex", "--offline"]);
    assert_eq!(code, Some(2), "{stderr}");
}
