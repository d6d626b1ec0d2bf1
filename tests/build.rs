//! `plugdex build` on the example index and on fixtures: golden output, the
//! strict format of index lines, determinism, refusal of invalid input,
//! incremental writes and publication times from real git history.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use common::{build, demo_key, read_tree};
use serde::Deserialize;

/// The example index copied out of the git repository, so its publication
/// times come from `SOURCE_DATE_EPOCH` and the golden files stay stable.
fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    common::copy_tree(&common::example_index(), &dir.path().join("index"));
    dir
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/example")
}

/// Artifacts are copies of files already in `index/`: the golden tree lists
/// them by digest instead of holding a second copy.
fn golden_view(tree: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let mut view = BTreeMap::new();
    let mut artifacts = String::new();
    for (path, bytes) in tree {
        // Content-addressed files are listed, not copied: `timestamp.json`
        // pins the snapshot nodes by hash, artifacts are fixtures and the
        // search engine is `assets/search/engine.wasm`.
        if path.starts_with("artifacts/") || path.starts_with("by-hash/") || path.ends_with(".wasm")
        {
            let digest = plugdex::digest::hex(&plugdex::digest::sha256(bytes));
            artifacts.push_str(&format!("{digest} {path}\n"));
        } else {
            view.insert(path.clone(), bytes.clone());
        }
    }
    view.insert("ARTIFACTS.txt".into(), artifacts.into_bytes());
    view
}

#[test]
fn golden_output_of_the_example_index() {
    let dir = example_copy();
    let out = dir.path().join("dist");
    let key = demo_key("online.pem");
    let (code, stderr) = build(&dir.path().join("index"), &out, &["--signing-key", &key]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("signed: timestamp.json is signed"),
        "{stderr}"
    );
    let actual = golden_view(&read_tree(&out));
    let golden = golden_dir();
    if std::env::var_os("PLUGDEX_BLESS").is_some() {
        let _ = fs::remove_dir_all(&golden);
        for (path, bytes) in &actual {
            let target = golden.join(path);
            fs::create_dir_all(target.parent().expect("parent")).expect("mkdir golden");
            fs::write(target, bytes).expect("write golden");
        }
        return;
    }
    let expected = read_tree(&golden);
    let (a, e): (Vec<&String>, Vec<&String>) = (actual.keys().collect(), expected.keys().collect());
    assert_eq!(
        a, e,
        "the set of output files changed; rerun with PLUGDEX_BLESS=1 to accept"
    );
    for (path, bytes) in &actual {
        assert!(
            &expected[path] == bytes,
            "`{path}` differs from tests/golden/example/{path}:\n{}\n(rerun with PLUGDEX_BLESS=1 to accept)",
            String::from_utf8_lossy(bytes)
        );
    }
    // Each self-hosted artifact is a byte-for-byte copy of the file in the index.
    for (path, bytes) in read_tree(&out)
        .iter()
        .filter(|(p, _)| p.starts_with("artifacts/"))
    {
        let digest = path.split('/').nth(1).expect("artifacts/{sha256}/{file}");
        assert_eq!(
            plugdex::digest::hex(&plugdex::digest::sha256(bytes)),
            digest,
            "{path}"
        );
    }
}

/// The sparse index line as documented, with nothing unknown allowed: a key
/// added or renamed without updating docs/output-format.md and this test fails here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StrictLine {
    v: u32,
    name: String,
    vers: semver::Version,
    sha256: String,
    size: u64,
    dl: String,
    engine: semver::VersionReq,
    deps: Vec<StrictDep>,
    permissions: Vec<String>,
    runtime: String,
    entry: String,
    channel: String,
    yanked: serde_json::Value,
    deprecated: Option<StrictDeprecated>,
    pubtime: String,
    #[serde(default)]
    caps: Vec<StrictCap>,
    tier: String,
    sig: Option<String>,
    signer: Option<String>,
    revoked: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StrictCap {
    name: String,
    description: String,
    endpoint: Option<String>,
    method: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StrictDep {
    name: String,
    req: semver::VersionReq,
    optional: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StrictDeprecated {
    message: String,
    replacement: Option<String>,
}

#[test]
fn index_lines_follow_the_strict_format() {
    let dir = example_copy();
    let out = dir.path().join("dist");
    assert_eq!(build(&dir.path().join("index"), &out, &[]).0, 0);
    let tree = read_tree(&out);
    let config: serde_json::Value =
        serde_json::from_slice(&tree["config.json"]).expect("config.json");
    let base = config["base_url"].as_str().expect("base_url").to_owned();
    let mut lines = 0;
    for (path, bytes) in tree.iter().filter(|(p, _)| p.starts_with("index/")) {
        // Lowercase paths only: a client that lowercases names must find every file.
        assert_eq!(path, &path.to_lowercase(), "{path}");
        let text = std::str::from_utf8(bytes).expect("UTF-8");
        assert!(text.ends_with('\n'));
        let mut previous: Option<semver::Version> = None;
        for raw in text.lines() {
            let line: StrictLine =
                serde_json::from_str(raw).unwrap_or_else(|e| panic!("{path}: {e}\n{raw}"));
            assert_eq!(line.v, 1);
            assert!(
                path.ends_with(&format!("/{}", line.name.to_lowercase().replace('_', "-"))),
                "{path} holds {}",
                line.name
            );
            assert!(
                previous.as_ref().is_none_or(|p| p < &line.vers),
                "{path}: versions out of order"
            );
            assert!(matches!(line.channel.as_str(), "stable" | "beta"));
            assert!(line.yanked == serde_json::Value::Bool(false) || line.yanked.is_string());
            assert_eq!(line.pubtime, "2026-01-01T00:00:00Z");
            // Signed lines carry the signature and its key; unsigned ones neither.
            match line.tier.as_str() {
                "verified" | "community" => assert!(
                    line.sig.is_some() && line.signer.is_some(),
                    "{path} {}",
                    line.vers
                ),
                "experimental" => assert!(
                    line.sig.is_none() && line.signer.is_none(),
                    "{path} {}",
                    line.vers
                ),
                other => panic!("{path}: unknown tier {other}"),
            }
            // Self-hosted downloads resolve to a content-addressed file of the output.
            let local = line
                .dl
                .strip_prefix(&base)
                .expect("the example hosts its artifacts");
            assert_eq!(
                local,
                format!(
                    "artifacts/{}/{}",
                    line.sha256,
                    local.rsplit('/').next().unwrap()
                )
            );
            let artifact = &tree[local];
            assert_eq!(artifact.len() as u64, line.size);
            assert_eq!(
                plugdex::digest::hex(&plugdex::digest::sha256(artifact)),
                line.sha256
            );
            // The API's version document carries the same line.
            let canonical = line.name.to_lowercase().replace('_', "-");
            let api: serde_json::Value = serde_json::from_slice(
                &tree[&format!("api/v1/plugins/{canonical}/versions/{}.json", line.vers)],
            )
            .expect("version doc");
            let raw_line: serde_json::Value = serde_json::from_str(raw).expect("json");
            for (k, v) in raw_line.as_object().expect("object") {
                assert_eq!(&api[k], v, "{path} {k}");
            }
            previous = Some(line.vers);
            lines += 1;
        }
    }
    assert_eq!(lines, 76, "one line per version of the example index");
}

#[test]
fn two_builds_of_the_same_input_are_byte_identical() {
    let dir = example_copy();
    let index = dir.path().join("index");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert_eq!(build(&index, &a, &[]).0, 0);
    assert_eq!(build(&index, &b, &[]).0, 0);
    assert_eq!(read_tree(&a), read_tree(&b));
    // A rebuild into the same folder changes nothing and rewrites nothing.
    let changed = dir.path().join("changed.txt");
    let (code, stderr) = build(&index, &a, &["--changed", changed.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 files written"), "{stderr}");
    assert_eq!(fs::read_to_string(&changed).unwrap(), "");
}

#[test]
fn an_invalid_index_is_not_built_and_the_output_stays() {
    let dir = example_copy();
    let index = dir.path().join("index");
    let out = dir.path().join("dist");
    assert_eq!(build(&index, &out, &[]).0, 0);
    let before = read_tree(&out);
    let manifest = index.join("plugins/3/g/git/versions/1.0.0.toml");
    let text = fs::read_to_string(&manifest)
        .unwrap()
        .replace("version = \"1.0.0\"", "version = \"one\"");
    fs::write(&manifest, text).unwrap();
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("invalid-version") && stderr.contains("nothing was built"),
        "{stderr}"
    );
    assert_eq!(read_tree(&out), before);
}

#[test]
fn a_folder_plugdex_did_not_write_is_never_replaced() {
    let dir = example_copy();
    let out = dir.path().join("mine");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("notes.txt"), "keep me").unwrap();
    let (code, stderr) = build(&dir.path().join("index"), &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("not a folder plugdex wrote") && stderr.contains("hint:"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(out.join("notes.txt")).unwrap(),
        "keep me"
    );
}

fn inode(path: &Path) -> (u64, i64, i64) {
    let m = fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (m.ino(), m.mtime(), m.mtime_nsec())
}

#[test]
fn a_rebuild_rewrites_only_what_changed() {
    let dir = example_copy();
    let index = dir.path().join("index");
    let out = dir.path().join("dist");
    assert_eq!(build(&index, &out, &[]).0, 0);
    let untouched = [
        "index/3/g/git",
        "api/v1/plugins/git.json",
        "api/v1/plugins/git/versions/1.0.0.json",
    ];
    let before: Vec<_> = untouched.iter().map(|p| inode(&out.join(p))).collect();

    // Yank one version of word-count.
    let manifest = index.join("plugins/wo/rd/word-count/versions/2.0.1.toml");
    let text = fs::read_to_string(&manifest).unwrap().replace(
        "yanked = false",
        "yanked = \"corrupts notes with CRLF line endings\"",
    );
    fs::write(&manifest, text).unwrap();
    let changed = dir.path().join("changed.txt");
    let (code, stderr) = build(&index, &out, &["--changed", changed.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let list = fs::read_to_string(&changed).unwrap();
    for expected in [
        "/index/wo/rd/word-count",
        "/api/v1/plugins/word-count.json",
        "/api/v1/plugins/word-count/versions.json",
        "/api/v1/plugins/word-count/versions/2.0.1.json",
    ] {
        assert!(
            list.lines().any(|l| l == expected),
            "{expected} missing from:\n{list}"
        );
    }
    assert!(!list.contains("/git"), "nothing of git changed:\n{list}");
    assert!(
        !list.contains("/api/v1/plugins/word-count/versions/1."),
        "older versions did not change:\n{list}"
    );
    let after: Vec<_> = untouched.iter().map(|p| inode(&out.join(p))).collect();
    assert_eq!(before, after, "unchanged files keep their inode and mtime");
    let line = fs::read_to_string(out.join("index/wo/rd/word-count")).unwrap();
    assert!(
        line.contains("\"yanked\":\"corrupts notes with CRLF line endings\""),
        "{line}"
    );
}

#[test]
fn the_download_redirect_targets_the_latest_stable_release() {
    let dir = example_copy();
    let out = dir.path().join("dist");
    let (code, _) = build(
        &dir.path().join("index"),
        &out,
        &["--base-url", "http://127.0.0.1:9/reg"],
    );
    assert_eq!(code, 0);
    let redirects = fs::read_to_string(out.join("_redirects")).unwrap();
    let git: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("api/v1/plugins/git.json")).unwrap()).unwrap();
    // git has 2.1.0-beta.1 on the beta channel; the redirect must ignore it.
    assert_eq!(git["latest"]["stable"], "2.0.0");
    assert_eq!(git["latest"]["beta"], "2.1.0-beta.1");
    let line = redirects
        .lines()
        .find(|l| l.starts_with("/api/v1/plugins/git/download "))
        .expect("git redirect");
    assert!(
        line.contains("http://127.0.0.1:9/reg/artifacts/")
            && line.ends_with("/git-2.0.0.tar.gz 302"),
        "{line}"
    );
    let config: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["base_url"], "http://127.0.0.1:9/reg/");
}

// ---- publication times from git -------------------------------------------

fn git(repo: &Path, args: &[&str], when: &str) {
    common::git(
        repo,
        args,
        &[
            ("GIT_AUTHOR_DATE", when),
            ("GIT_COMMITTER_DATE", when),
            ("GIT_AUTHOR_NAME", "Test"),
            ("GIT_AUTHOR_EMAIL", "test@example.org"),
            ("GIT_COMMITTER_NAME", "Test"),
            ("GIT_COMMITTER_EMAIL", "test@example.org"),
        ],
    );
}

fn pubtimes(out: &Path, index_file: &str) -> BTreeMap<String, String> {
    fs::read_to_string(out.join(index_file))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["vers"].as_str().unwrap().to_owned(),
                v["pubtime"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn pubtime_is_when_the_mainline_first_got_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    // The index sits in a subfolder of the repository, as in plugdex's own repo.
    common::copy_tree(&common::base(), &repo.join("registry"));
    let alpha = repo.join("registry/plugins/al/ph/alpha/versions");
    let v11 = fs::read_to_string(alpha.join("1.1.0.toml")).unwrap();
    fs::remove_file(alpha.join("1.1.0.toml")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"], "2025-01-01T00:00:00Z");
    git(&repo, &["add", "-A"], "2025-01-01T00:00:00Z");
    git(
        &repo,
        &["commit", "-q", "-m", "first plugins"],
        "2025-01-02T10:00:00Z",
    );
    // A pull request adds 1.1.0 on a branch; it is published when merged.
    git(
        &repo,
        &["checkout", "-q", "-b", "pr"],
        "2025-02-01T00:00:00Z",
    );
    fs::write(alpha.join("1.1.0.toml"), &v11).unwrap();
    git(&repo, &["add", "-A"], "2025-02-01T00:00:00Z");
    git(
        &repo,
        &["commit", "-q", "-m", "alpha 1.1.0"],
        "2025-02-01T08:00:00Z",
    );
    git(&repo, &["checkout", "-q", "main"], "2025-02-03T00:00:00Z");
    git(
        &repo,
        &["merge", "-q", "--no-ff", "-m", "merge alpha 1.1.0", "pr"],
        "2025-02-03T12:30:00Z",
    );
    // Yanking later edits the manifest but does not change when it was published.
    let yanked = v11.replace("yanked = false", "yanked = \"broken\"");
    assert_ne!(yanked, v11);
    fs::write(alpha.join("1.1.0.toml"), yanked).unwrap();
    git(
        &repo,
        &["commit", "-q", "-am", "yank alpha 1.1.0"],
        "2025-03-01T00:00:00Z",
    );

    let out = dir.path().join("dist");
    let (code, stderr) = build(&repo.join("registry"), &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let times = pubtimes(&out, "index/al/ph/alpha");
    assert_eq!(times["1.0.0"], "2025-01-02T10:00:00Z");
    assert_eq!(times["1.1.0"], "2025-02-03T12:30:00Z");

    // A version not committed yet falls back to SOURCE_DATE_EPOCH, and says so.
    let v12 = v11.replace("version = \"1.1.0\"", "version = \"1.2.0\"");
    fs::write(alpha.join("1.2.0.toml"), v12).unwrap();
    let (code, stderr) = build(&repo.join("registry"), &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("1 versions are not committed yet"),
        "{stderr}"
    );
    assert_eq!(
        pubtimes(&out, "index/al/ph/alpha")["1.2.0"],
        "2026-01-01T00:00:00Z"
    );
}
