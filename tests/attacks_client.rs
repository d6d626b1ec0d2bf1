//! Attacks on the client, one regression test each (issue 16): a hostile
//! plugin author (archives), a hostile local program (the lock file), a
//! damaged cache, a hostile CDN (the unsigned API document, redirects).
//! Registries are real signed builds of the example index, served by a real
//! nginx on loopback; hostile artifacts replace the one unsigned plugin's
//! (`live-preview` 0.3.0, tier experimental), whose hash and size are
//! changed in its manifest so that only the archive's content is hostile.

#![cfg(unix)]

mod common;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use plugdex::client::resolve::{Policy, Request};
use plugdex::client::{Client, ClientError, Options};

const HOSTILE: &str = "live-preview";
const HOSTILE_VERSION: &str = "plugins/li/ve/live-preview/versions/0.3.0.toml";

/// A signed build served by nginx, whose access log has
/// `status uri if-none-match` lines.
struct Served {
    tmp: tempfile::TempDir,
    out: PathBuf,
    url: String,
    _nginx: common::Nginx,
}

/// Builds the example index, changed by `prepare` first, and serves it.
fn serve(prepare: impl FnOnce(&Path)) -> Served {
    let tmp = tempfile::tempdir().expect("tempdir");
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/");
    let index = tmp.path().join("index");
    common::copy_tree(&common::example_index(), &index);
    prepare(&index);
    let out = tmp.path().join("dist");
    let built = common::plugdex_cmd()
        .env("SOURCE_DATE_EPOCH", now().to_string())
        .arg("build")
        .arg("--index")
        .arg(&index)
        .arg("--out")
        .arg(&out)
        .args(["--signing-key", &common::demo_key("online.pem")])
        .args(["--base-url", &url])
        .output()
        .expect("run plugdex build");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let log = format!(
        "log_format conditional '$status $request_uri \"$http_if_none_match\"';\n  access_log {}/access.log conditional;",
        tmp.path().join("nginx").display()
    );
    let (nginx, _) = common::start_nginx(tmp.path(), &out, port, &log);
    Served {
        tmp,
        out,
        url,
        _nginx: nginx,
    }
}

impl Served {
    /// The access-log lines for `uri` so far: (status, If-None-Match sent).
    fn requests(&self, uri: &str) -> Vec<(u16, bool)> {
        let log = fs::read_to_string(self.tmp.path().join("nginx/access.log")).unwrap_or_default();
        log.lines()
            .filter_map(|l| {
                let mut f = l.splitn(3, ' ');
                let status = f.next()?.parse().ok()?;
                let (path, sent) = (f.next()?, f.next()?);
                (path == uri).then_some((status, sent != "\"-\""))
            })
            .collect()
    }

    fn client(&self, home: &Path) -> Client {
        Client::new(options(&self.url, home)).expect("client")
    }

    /// `plugdex ARGS` against this registry, with no terminal.
    fn cli(&self, home: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
        run_cli(
            home,
            &[args, &["--registry", &self.url, "--yes"]].concat(),
            envs,
        )
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The common options, for every engine and with unsigned releases allowed.
fn options(url: &str, home: &Path) -> Options {
    let mut opts = common::client_options(url, home, now());
    opts.policy = Policy {
        allow_experimental: true,
        ..Policy::default()
    };
    opts
}

fn install(client: &Client, what: &str) -> Result<(), ClientError> {
    let plan = client.plan_install(&[Request::parse(what).expect("request")])?;
    client.apply(plan).map(drop)
}

/// One run of the binary.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The peak resident memory the run reported (`PLUGDEX_TIMINGS=1`), in MiB.
    fn peak_mib(&self) -> u64 {
        let line = self
            .stderr
            .lines()
            .find(|l| l.starts_with("timings: client command"))
            .unwrap_or_else(|| panic!("no timings line: {}", self.stderr));
        let peak = line.split("peak").nth(1).expect("peak");
        peak.trim()
            .trim_end_matches("MiB")
            .trim()
            .parse()
            .expect("MiB")
    }
}

/// Runs `plugdex ARGS --dir HOME/plugins --cache-dir HOME/cache` with `envs`.
fn run_cli(home: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let out = common::plugdex_cmd()
        .args(args)
        .arg("--dir")
        .arg(home.join("plugins"))
        .arg("--cache-dir")
        .arg(home.join("cache"))
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run plugdex");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Makes `bytes` the artifact of the hostile version (named `file`), with
/// its hash and size in the manifest.
fn hostile_artifact(index: &Path, file: &str, bytes: &[u8]) {
    let dir = index.join("artifacts").join(HOSTILE);
    fs::write(dir.join(file), bytes).unwrap();
    let manifest = index.join(HOSTILE_VERSION);
    let text = fs::read_to_string(&manifest).unwrap();
    let mut changed = String::new();
    for line in text.lines() {
        let line = match line.split(" = ").next() {
            Some("url") => format!("url = \"artifacts/{HOSTILE}/{file}\""),
            Some("sha256") => format!(
                "sha256 = \"{}\"",
                plugdex::digest::hex(&plugdex::digest::sha256(bytes))
            ),
            Some("size") => format!("size = {}", bytes.len()),
            _ => line.to_owned(),
        };
        changed.push_str(&line);
        changed.push('\n');
    }
    fs::write(manifest, changed).unwrap();
}

/// A `.tar.gz` of raw 512-byte headers and data, compressed by the real `gzip`.
fn tar_gz_with_gzip(entries: &[(&[u8], u8, u64, &[u8])]) -> Vec<u8> {
    let mut gzip = Command::new("gzip")
        .args(["-9", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gzip");
    let mut stdin = gzip.stdin.take().unwrap();
    let entries: Vec<(Vec<u8>, u8, u64, Vec<u8>)> = entries
        .iter()
        .map(|(n, t, s, d)| (n.to_vec(), *t, *s, d.to_vec()))
        .collect();
    let writer = std::thread::spawn(move || {
        for (name, kind, size, data) in entries {
            let mut h = [0u8; 512];
            h[..name.len()].copy_from_slice(&name);
            h[100..107].copy_from_slice(b"0000644");
            h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
            h[156] = kind;
            h[257..263].copy_from_slice(b"ustar ");
            h[263..265].copy_from_slice(b" \0");
            h[148..156].copy_from_slice(b"        ");
            let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
            h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
            stdin.write_all(&h).unwrap();
            // The data, zero-padded to the declared size and to 512 bytes.
            stdin.write_all(&data).unwrap();
            let mut left = size.div_ceil(512) * 512 - data.len() as u64;
            let zeros = vec![0u8; 1 << 20];
            while left > 0 {
                let n = left.min(zeros.len() as u64);
                stdin.write_all(&zeros[..n as usize]).unwrap();
                left -= n;
            }
        }
        stdin.write_all(&[0u8; 1024]).unwrap();
    });
    let mut gz = Vec::new();
    gzip.stdout.take().unwrap().read_to_end(&mut gz).unwrap();
    writer.join().unwrap();
    assert!(gzip.wait().unwrap().success());
    gz
}

fn nothing_installed(home: &Path) {
    assert!(!home.join(format!("plugins/{HOSTILE}")).exists());
    assert!(!home.join("plugins.lock").exists());
}

// ---- 1. tar extension headers --------------------------------------------------

#[test]
fn a_long_name_header_declaring_200_mib_is_refused_quickly_with_bounded_memory() {
    const DECLARED: u64 = 200 * 1024 * 1024;
    let bomb = tar_gz_with_gzip(&[
        (b"././@LongLink", b'L', DECLARED, b""),
        (b"main.wasm", b'0', 2, b"hi"),
    ]);
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let served = serve(|index| hostile_artifact(index, "bomb.tar.gz", &bomb));
    let home = tempfile::tempdir().unwrap();
    let run = served.cli(
        home.path(),
        &["install", HOSTILE, "--allow-experimental"],
        &[("PLUGDEX_TIMINGS", "1")],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "error: cannot unpack live-preview 0.3.0 (`bomb.tar.gz`): the archive has a GNU long name header of {DECLARED} bytes; at most 65536 are allowed"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.len() < 2048 && !run.stderr.contains('\0'),
        "a short error, no NUL flood: {} bytes",
        run.stderr.len()
    );
    // The 200 MiB were never read: far less than that was ever resident
    // (a normal install peaks near 40 MiB in a debug build).
    assert!(run.peak_mib() < 100, "peak {} MiB", run.peak_mib());
    nothing_installed(home.path());
}

// ---- 2. names in the lock file ---------------------------------------------------

/// A lock entry for `name` from `registry`; `requested` for one the user asked for.
fn lock_entry(name: &str, registry: &str, requested: bool) -> String {
    format!(
        "[[plugin]]\nname = \"{name}\"\nvers = \"1.0.0\"\nregistry = \"{registry}\"\nsha256 = \"{}\"\nsize = 1\ndl = \"{registry}x.tar.gz\"\ntier = \"community\"\n{}deps = []\n\n",
        "0".repeat(64),
        if requested { "requested = \"*\"\n" } else { "" }
    )
}

/// A plugins folder with `plugin` installed, a sibling folder `victim`
/// beside it, and a lock file that also lists `../victim` as a dependency
/// nothing needs any more (so a removal, or any plan, would delete it).
fn home_with_victim(registry: &str, plugin: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    fs::create_dir_all(home.path().join("plugins").join(plugin)).unwrap();
    fs::write(home.path().join("plugins").join(plugin).join("x"), "x").unwrap();
    fs::create_dir_all(home.path().join("victim")).unwrap();
    fs::write(home.path().join("victim/precious.txt"), "keep me").unwrap();
    let lock = format!(
        "v = 1\n\n{}{}",
        lock_entry("../victim", registry, false),
        lock_entry(plugin, registry, true)
    );
    fs::write(home.path().join("plugins.lock"), lock).unwrap();
    home
}

fn victim_intact(home: &Path) {
    assert_eq!(
        fs::read_to_string(home.join("victim/precious.txt"))
            .ok()
            .as_deref(),
        Some("keep me"),
        "the folder beside the plugins folder must survive"
    );
}

#[test]
fn a_lock_entry_leaving_the_plugins_folder_makes_remove_refuse() {
    let home = home_with_victim("http://127.0.0.1:9/", "other-plugin");
    let lock_before = fs::read(home.path().join("plugins.lock")).unwrap();
    let run = run_cli(home.path(), &["remove", "other-plugin"], &[]);
    victim_intact(home.path());
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let lock = home.path().join("plugins.lock");
    assert!(
        run.stderr.starts_with(&format!(
            "error: `{}`: the lock file's entry `../victim` is not valid: its name `../victim` is not a plugin name (the name starts with '.'; it must start with an ASCII letter)",
            lock.display()
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: remove that entry"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("os error"), "{}", run.stderr);
    assert!(home.path().join("plugins/other-plugin/x").exists());
    assert_eq!(fs::read(&lock).unwrap(), lock_before);
}

#[test]
fn a_lock_entry_leaving_the_plugins_folder_makes_install_and_update_refuse() {
    let served = serve(|_| {});
    for update in [false, true] {
        // `git` is locked at a version the registry does not have, so
        // either command plans to replace it, and to drop `../victim`.
        let home = home_with_victim(&served.url, "git");
        let client = served.client(home.path());
        let result = match update {
            true => client
                .plan_update(&[])
                .and_then(|plan| client.apply(plan))
                .map(drop),
            false => install(&client, "citations"),
        };
        victim_intact(home.path());
        let err = result.expect_err("refused");
        assert!(
            matches!(err, ClientError::Lock { .. })
                && err.to_string().contains(
                    "the lock file's entry `../victim` is not valid: its name `../victim` is not a plugin name"
                ),
            "update {update}: {err}"
        );
        assert!(home.path().join("plugins/git/x").exists(), "left as it was");
        assert!(!home.path().join("plugins/citations").exists());
    }
}

// ---- 4. a damaged cache -----------------------------------------------------------

/// Overwrites the cached body of `url` (its validators stay good).
fn damage_cached(home: &Path, url: &str) {
    let key = plugdex::digest::hex(&plugdex::digest::sha256(url.as_bytes()));
    let body = home.join("cache").join(&key[..2]).join(&key);
    let mut bytes = fs::read(&body).expect("cached");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x20;
    fs::write(&body, bytes).unwrap();
}

#[test]
fn a_damaged_cached_copy_with_a_good_etag_is_fetched_again_unconditionally() {
    let served = serve(|_| {});
    let home = tempfile::tempdir().unwrap();
    install(&served.client(home.path()), "git").expect("first install");

    // The cached `timestamp.json` rots; its ETag still matches the server's.
    damage_cached(home.path(), &format!("{}timestamp.json", served.url));
    let before = served.requests("/timestamp.json").len();
    let client = served.client(home.path());
    let plan = client.plan_update(&[]).expect("recovers");
    assert!(plan.changes.is_empty());
    assert_eq!(
        served.requests("/timestamp.json")[before..],
        [(304, true), (200, false)],
        "a conditional request, then one unconditional refetch"
    );
    drop(plan); // releases the plugins folder
    // The cache holds the good copy again: the next run is all 304s.
    let before = served.requests("/timestamp.json").len();
    served.client(home.path()).plan_update(&[]).expect("plan");
    assert_eq!(served.requests("/timestamp.json")[before..], [(304, true)]);

    // A cached artifact (immutable) rots: it is downloaded again, unconditionally.
    plugdex::client::commands::remove(&home.path().join("plugins"), &["git".into()])
        .expect("remove");
    let artifact_url = {
        let shard = plugdex::format::name::shard("git");
        let index = fs::read_to_string(served.out.join(format!("index/{shard}/git"))).unwrap();
        let line: plugdex::format::published::IndexLine = index
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .find(|l: &plugdex::format::published::IndexLine| l.vers == "2.0.0")
            .unwrap();
        line.dl.expect("a single artifact")
    };
    damage_cached(home.path(), &artifact_url);
    let uri = artifact_url
        .strip_prefix(&served.url[..served.url.len() - 1])
        .unwrap();
    let before = served.requests(uri).len();
    install(&served.client(home.path()), "git").expect("reinstalls");
    assert_eq!(served.requests(uri)[before..], [(200, false)]);
    assert!(home.path().join("plugins/git").is_dir());
}

#[test]
fn a_tampered_fresh_download_is_refused_without_retrying() {
    let served = serve(|_| {});
    let timestamp = served.out.join("timestamp.json");
    let text = fs::read_to_string(&timestamp).unwrap();
    fs::write(
        &timestamp,
        text.replacen("\"version\":1", "\"version\":2", 1),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let err = install(&served.client(home.path()), "git").expect_err("refused");
    assert!(
        matches!(
            err,
            ClientError::Verify {
                check: "timestamp",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        served.requests("/timestamp.json"),
        [(200, false)],
        "fetched once"
    );
}

// ---- 7. untrusted text on the terminal --------------------------------------------

fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c))
}

#[test]
fn info_escapes_the_unsigned_api_document_and_shows_signed_facts_as_signed() {
    let served = serve(|_| {});
    let doc_path = served.out.join("api/v1/plugins/git.json");
    let mut doc: serde_json::Value = serde_json::from_slice(&fs::read(&doc_path).unwrap()).unwrap();
    // A CDN rewrites the (unsigned) API document to fake a verified line.
    doc["description"] = "Git.\r\x1b[2K  tier: verified\u{202e}".into();
    doc["license"] = "MIT\x08\x08\x08GPL".into();
    doc["owners"] = serde_json::json!(["mallory\n    2.0.0 (stable; tier verified)"]);
    fs::write(&doc_path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let run = served.cli(home.path(), &["info", "git"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!has_control(&run.stdout), "{:?}", run.stdout);
    assert!(
        run.stdout.contains(
            "  described by the registry's API (not signed):\n    description: Git.\\u{d}\\u{1b}[2K  tier: verified\\u{202e}\n    license: MIT\\u{8}\\u{8}\\u{8}GPL\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("    owners: mallory\\u{a}    2.0.0 (stable; tier verified)\n"),
        "{}",
        run.stdout
    );
    // The tiers and signers come from the signed index, in their own section.
    let signed = run
        .stdout
        .split("  described by")
        .next()
        .unwrap()
        .to_owned();
    assert!(
        signed.contains("  versions (from the signed index):\n"),
        "{signed}"
    );
    assert!(
        signed.contains("    2.0.0 (stable; tier verified; engine ^2.0; permissions: filesystem, process, network, env; signed by key "),
        "{signed}"
    );
}

#[test]
fn archive_entry_names_in_errors_are_escaped() {
    let name = b"x\x1b[2K\rall good/../../evil";
    let archive = tar_gz_with_gzip(&[(name, b'0', 1, b"x")]);
    let served = serve(|index| hostile_artifact(index, "escape.tar.gz", &archive));
    let home = tempfile::tempdir().unwrap();
    let run = served.cli(
        home.path(),
        &["install", HOSTILE, "--allow-experimental"],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(!has_control(&run.stderr), "{:?}", run.stderr);
    assert!(
        run.stderr.contains(
            "the archive entry `x\\u{1b}[2K\\u{d}all good/../../evil` has an absolute path or leaves the plugin's folder"
        ),
        "{}",
        run.stderr
    );
    nothing_installed(home.path());
}

// ---- 8. zip and tar under one policy ----------------------------------------------

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Installs the hostile version with `archive` as its artifact: the error.
fn install_hostile(file: &str, archive: &[u8]) -> String {
    let served = serve(|index| hostile_artifact(index, file, archive));
    let home = tempfile::tempdir().unwrap();
    let err = install(&served.client(home.path()), HOSTILE).expect_err("refused");
    nothing_installed(home.path());
    err.to_string()
}

#[test]
fn zip_and_tar_refuse_duplicate_names_and_special_files_alike() {
    // Two entries named `main.wasm`: the second renamed in place.
    let mut dup = zip_of(&[("main.wasm", b"good"), ("main.wasX", b"evil")]);
    for at in 0..dup.len() - 9 {
        if &dup[at..at + 9] == b"main.wasX" {
            dup[at + 8] = b'm';
        }
    }
    let err = install_hostile("dup.zip", &dup);
    assert!(
        err.ends_with("the zip archive's directory lists a name twice"),
        "{err}"
    );
    let tar_dup = tar_gz_with_gzip(&[(b"main.wasm", b'0', 1, b"1"), (b"main.wasm", b'0', 1, b"2")]);
    let err = install_hostile("dup.tar.gz", &tar_dup);
    assert!(
        err.ends_with("the archive holds `main.wasm` twice"),
        "{err}"
    );

    // A FIFO: as a zip mode (file type bits 0o010000) and as a tar type.
    let mut fifo = zip_of(&[("main.wasm", b"x")]);
    let at = fifo.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    fifo[at + 5] = 3; // made by Unix
    fifo[at + 38..at + 42].copy_from_slice(&(0o010_644u32 << 16).to_le_bytes());
    let special =
        "is a device, FIFO, socket or other special file; only files and folders are allowed";
    let err = install_hostile("fifo.zip", &fifo);
    assert!(err.ends_with(&format!("`main.wasm` {special}")), "{err}");
    let err = install_hostile(
        "fifo.tar.gz",
        &tar_gz_with_gzip(&[(b"main.wasm", b'6', 0, b"")]),
    );
    assert!(err.ends_with(&format!("`main.wasm` {special}")), "{err}");
}

// ---- 10. clear messages -----------------------------------------------------------

#[test]
fn a_file_then_a_folder_of_the_same_name_names_the_archive_and_entry() {
    let archive = tar_gz_with_gzip(&[(b"lib", b'0', 1, b"1"), (b"lib/main.wasm", b'0', 1, b"2")]);
    let err = install_hostile("clash.tar.gz", &archive);
    assert_eq!(
        err,
        "cannot unpack live-preview 0.3.0 (`clash.tar.gz`): the archive holds `lib` both as a file and as a folder (entry `lib/main.wasm`)"
    );
    let long = format!("{}/main.wasm", "n".repeat(300));
    let archive = zip_of(&[(long.as_str(), b"x")]);
    let err = install_hostile("long.zip", &archive);
    assert!(
        err.starts_with("cannot unpack live-preview 0.3.0 (`long.zip`): the archive entry `nnn")
            && err.ends_with("has a name longer than 1024 bytes, or a part of it longer than 255"),
        "{err}"
    );
    assert!(
        !err.contains("staging") && !err.contains("os error"),
        "{err}"
    );
}

/// A server answering every request with a redirect to `location`.
fn redirecting_to(location: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let answer = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    url
}

#[test]
fn a_redirect_to_a_file_url_is_reported_as_such() {
    let url = redirecting_to("file:///etc/passwd");
    let home = tempfile::tempdir().unwrap();
    let err =
        install(&Client::new(options(&url, home.path())).unwrap(), "git").expect_err("refused");
    assert!(!matches!(err, ClientError::NotARegistry { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "`{url}config.json` redirects to `file:///etc/passwd`; plugdex follows redirects to http:// and https:// URLs only"
        )
    );
}
