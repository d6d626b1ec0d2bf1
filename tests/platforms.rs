//! Per-platform artifacts end to end: `plugdex release --artifact
//! PLATFORM=FILE` on a copy of the example, the signed build's v2 index
//! line, and the client against real nginx taking the artifact of the
//! platform it is given, refusing a platform the release does not ship and
//! a tampered platform artifact.

mod common;

use common::run;
use std::path::{Path, PathBuf};

use plugdex::client::resolve::Request;
use plugdex::client::{Client, ClientError};
use plugdex::format::published::IndexLine;
use plugdex::format::types::Platform;
use plugdex::trust::verify::VerifyError;

fn sha256_hex(bytes: &[u8]) -> String {
    plugdex::digest::hex(&plugdex::digest::sha256(bytes))
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// The example with `native-tool` 1.0.0 released for `linux-x86_64` (from
/// git 1.0.0's archive) and `macos` (git 2.0.0's), signed by its owner.
fn index_with_native_release(tmp: &Path) -> PathBuf {
    let index = tmp.join("index");
    common::copy_tree(&common::example_index(), &index);
    let (code, _, stderr) = run(&[
        "new",
        "native-tool",
        "--index",
        path(&index),
        "--owner",
        "tnovak",
        "--key",
        &common::demo_key("tnovak.pub"),
        "--description",
        "A native tool with one build per platform.",
    ]);
    assert_eq!(code, 0, "{stderr}");
    for (platform, from) in [("linux-x86_64", "git-1.0.0"), ("macos", "git-2.0.0")] {
        std::fs::copy(
            index.join(format!("artifacts/git/{from}.tar.gz")),
            tmp.join(format!("native-tool-1.0.0-{platform}.tar.gz")),
        )
        .unwrap();
    }
    let artifact = |platform: &str| {
        format!(
            "{platform}={}",
            tmp.join(format!("native-tool-1.0.0-{platform}.tar.gz"))
                .display()
        )
    };
    let (code, _, stderr) = run(&[
        "release",
        "native-tool",
        "1.0.0",
        "--index",
        path(&index),
        "--artifact",
        &artifact("linux-x86_64"),
        "--artifact",
        &artifact("macos"),
        "--engine",
        "^1",
        "--entry",
        "bin/inkwell-git",
        "--runtime",
        "native",
        "--sign",
        &common::demo_key("tnovak"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("linux-x86_64: "), "{stderr}");
    assert!(stderr.contains("signed native-tool 1.0.0"), "{stderr}");
    index
}

fn manifest(index: &Path) -> PathBuf {
    index.join("plugins/na/ti/native-tool/versions/1.0.0.toml")
}

#[test]
fn release_writes_platform_tables_and_a_statement_naming_each_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    let index = index_with_native_release(tmp.path());
    let text = std::fs::read_to_string(manifest(&index)).unwrap();
    assert!(!text.contains("[artifact]"), "{text}");
    assert_eq!(text.matches("[[platforms]]").count(), 2, "{text}");
    assert!(text.contains("os = \"linux\"\narch = \"x86_64\""), "{text}");
    assert!(
        text.contains("artifacts/native-tool/native-tool-1.0.0-macos.tar.gz"),
        "{text}"
    );
    let (code, statement, stderr) = run(&[
        "statement",
        "--index",
        path(&index),
        path(&manifest(&index)),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let linux = sha256_hex(
        &std::fs::read(index.join("artifacts/native-tool/native-tool-1.0.0-linux-x86_64.tar.gz"))
            .unwrap(),
    );
    assert!(
        statement.starts_with("plugdex release statement v2\n"),
        "{statement}"
    );
    assert!(
        statement.contains(&format!(
            "platform: linux-x86_64\nplatform-sha256: {linux}\n"
        )),
        "{statement}"
    );
    assert!(statement.contains("platform: macos\n"), "{statement}");

    // Swapping one platform's artifact (file and digest both) breaks the
    // owner's signature: the statement covers every platform.
    let other = std::fs::read(index.join("artifacts/git/git-1.1.0.tar.gz")).unwrap();
    std::fs::write(
        index.join("artifacts/native-tool/native-tool-1.0.0-linux-x86_64.tar.gz"),
        &other,
    )
    .unwrap();
    let swapped = text.replace(&linux, &sha256_hex(&other)).replacen(
        &format!(
            "size = {}",
            std::fs::metadata(tmp.path().join("native-tool-1.0.0-linux-x86_64.tar.gz"))
                .unwrap()
                .len()
        ),
        &format!("size = {}", other.len()),
        1,
    );
    std::fs::write(manifest(&index), swapped).unwrap();
    let (code, _, stderr) = run(&["check", "--index", path(&index)]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[signature-invalid]"), "{stderr}");
    assert!(
        !stderr.contains("artifact-mismatch"),
        "only the signature fails: {stderr}"
    );
}

/// A signed build of the index for `url`, served by nginx.
struct Served {
    _tmp: tempfile::TempDir,
    out: PathBuf,
    url: String,
    _nginx: common::Nginx,
}

fn serve() -> Served {
    let tmp = tempfile::tempdir().unwrap();
    let index = index_with_native_release(tmp.path());
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/");
    let out = tmp.path().join("dist");
    // Built now, so the timestamp has not expired for a client of now.
    let built = common::plugdex_cmd()
        .env(
            "SOURCE_DATE_EPOCH",
            jiff::Timestamp::now().as_second().to_string(),
        )
        .args(["build", "--index", path(&index), "--out", path(&out)])
        .args([
            "--signing-key",
            &common::demo_key("online.pem"),
            "--base-url",
            &url,
        ])
        .output()
        .expect("run plugdex build");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let (nginx, _) = common::start_nginx(tmp.path(), &out, port, "");
    Served {
        _tmp: tmp,
        out,
        url,
        _nginx: nginx,
    }
}

impl Served {
    fn line(&self) -> (String, IndexLine) {
        let text = std::fs::read_to_string(self.out.join("index/na/ti/native-tool")).unwrap();
        let line = serde_json::from_str(text.trim_end()).expect("one index line");
        (text, line)
    }

    fn client(&self, home: &Path, platform: &str) -> Client {
        let platform: Platform = platform.parse().unwrap();
        let options = common::client_options(&self.url, home, jiff::Timestamp::now().as_second())
            .platform(platform);
        Client::new(options).expect("client")
    }
}

fn plan(client: &Client) -> Result<plugdex::client::commands::Plan<'_>, ClientError> {
    client.plan_install(&[Request::parse("native-tool").unwrap()])
}

#[test]
fn the_build_writes_a_v2_line_and_clients_take_their_platform_artifact() {
    let served = serve();
    let (text, line) = served.line();
    // A v2 line: v1 readers skip it; no single artifact, one per platform.
    assert!(text.starts_with("{\"v\":2,"), "{text}");
    assert_eq!((&line.sha256, &line.size, &line.dl), (&None, &None, &None));
    let platforms: Vec<String> = line
        .platforms
        .iter()
        .map(|p| p.selector().to_string())
        .collect();
    assert_eq!(platforms, ["linux-x86_64", "macos"]);
    for p in &line.platforms {
        let local =
            p.dl.strip_prefix(&served.url)
                .expect("self-hosted under the base URL");
        assert!(
            local.starts_with(&format!("artifacts/{}/", p.sha256)),
            "{local}"
        );
        let bytes = std::fs::read(served.out.join(local)).expect("the artifact is in the output");
        assert_eq!(
            (bytes.len() as u64, plugdex::digest::Sha256::of(&bytes)),
            (p.size, p.sha256)
        );
    }
    // Every other plugin's lines stay v1.
    let git = std::fs::read_to_string(served.out.join("index/3/g/git")).unwrap();
    assert!(git.lines().all(|l| l.starts_with("{\"v\":1,")), "{git}");

    for (platform, expected) in [
        ("linux-x86_64", &line.platforms[0]),
        ("macos-aarch64", &line.platforms[1]),
        ("macos-x86_64", &line.platforms[1]),
    ] {
        let home = tempfile::tempdir().unwrap();
        let client = served.client(home.path(), platform);
        let report = client.apply(plan(&client).expect("plan")).expect("install");
        assert_eq!(report.changes.len(), 1);
        let lock = std::fs::read_to_string(home.path().join("plugins.lock")).unwrap();
        let lock = plugdex::client::lock::Lock::parse(&lock).unwrap();
        let locked = lock.get("native-tool").expect("locked");
        assert_eq!(
            (&locked.sha256, &locked.dl),
            (&expected.sha256, &expected.dl),
            "{platform}"
        );
        assert!(
            home.path()
                .join("plugins/native-tool/bin/inkwell-git")
                .is_file()
        );
    }

    // A platform the release does not ship: refused, saying what it ships.
    let home = tempfile::tempdir().unwrap();
    let err = plan(&served.client(home.path(), "windows-x86_64"))
        .err()
        .expect("refused");
    assert!(matches!(err, ClientError::NoPlatform { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "native-tool 1.0.0 has no artifact for windows-x86_64; it ships for linux-x86_64, macos"
    );
    assert!(!home.path().join("plugins").exists());

    // The same through the CLI's `--platform`: exit 1, and the hint.
    let out = common::plugdex_cmd()
        .env("PLUGDEX_CONFIG", home.path().join("config.toml"))
        .env_remove("PLUGDEX_REGISTRY")
        .args([
            "install",
            "--yes",
            "--engine",
            "1.5.0",
            "--registry",
            &served.url,
        ])
        .args(["--platform", "windows-aarch64", "--dir"])
        .arg(home.path().join("plugins"))
        .arg("native-tool")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("has no artifact for windows-aarch64"),
        "{stderr}"
    );
    assert!(stderr.contains("--platform OS-ARCH"), "{stderr}");
    let out = common::plugdex_cmd()
        .args(["install", "--platform", "linx-x86_64", "native-tool"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did you mean `linux`?"), "{stderr}");
}

#[test]
fn a_tampered_platform_artifact_is_refused_and_nothing_is_installed() {
    let served = serve();
    let (_, line) = served.line();
    let macos = &line.platforms[1];
    let local = served.out.join(macos.dl.strip_prefix(&served.url).unwrap());
    let mut bytes = std::fs::read(&local).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&local, &bytes).unwrap();
    let home = tempfile::tempdir().unwrap();
    let client = served.client(home.path(), "macos-aarch64");
    let err = client
        .apply(plan(&client).expect("plan"))
        .expect_err("refused");
    assert!(
        matches!(
            &err,
            ClientError::Verify {
                source: VerifyError::Artifact { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("its SHA-256 differs"), "{err}");
    assert!(!home.path().join("plugins/native-tool").exists());
    // The other platform's artifact is untouched and installs.
    let home = tempfile::tempdir().unwrap();
    let client = served.client(home.path(), "linux-x86_64");
    client.apply(plan(&client).expect("plan")).expect("install");
}
