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

/// The folders of an output's state (beside it) that record its standby tree.
fn standby_records(out: &Path) -> Vec<String> {
    let state = out.with_file_name(format!(
        ".{}.plugdex",
        out.file_name().unwrap().to_string_lossy()
    ));
    let mut names: Vec<String> = fs::read_dir(state)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("delta-") || n.starts_with("manifest-"))
        .collect();
    names.sort();
    names
}

/// Each plugin's own files are written while the check still runs; an
/// error found after (a rule across plugins) must publish none of them,
/// and the next build, which reuses the standby tree they went to, must
/// give exactly what a fresh build gives.
#[test]
fn files_emitted_before_a_cross_plugin_error_are_never_served_and_the_next_build_is_exact() {
    let dir = example_copy();
    let index = dir.path().join("index");
    let out = dir.path().join("dist");
    assert_eq!(build(&index, &out, &[]).0, 0);
    assert_eq!(build(&index, &out, &[]).0, 0); // the standby tree now exists
    let served = read_tree(&out);

    // A change whose own rules pass (a yank), beside a second folder whose
    // name clashes with an existing plugin's: found only across plugins.
    let manifest = index.join("plugins/wo/rd/word-count/versions/2.0.1.toml");
    let original = fs::read_to_string(&manifest).unwrap();
    fs::write(
        &manifest,
        original.replace("yanked = false", "yanked = \"breaks CRLF files\""),
    )
    .unwrap();
    let clash = index.join("plugins/ta/bl/table-tools");
    fs::create_dir_all(clash.join("versions")).unwrap();
    let from = index.join("plugins/ta/bl/Table_Tools");
    let info = fs::read_to_string(from.join("plugin.toml")).unwrap();
    fs::write(
        clash.join("plugin.toml"),
        info.replace("name = \"Table_Tools\"", "name = \"table-tools\""),
    )
    .unwrap();
    for entry in fs::read_dir(from.join("versions")).unwrap() {
        let entry = entry.unwrap();
        // Unsigned, so the copy's own rules pass.
        let text: String = fs::read_to_string(entry.path())
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("signature"))
            .map(|l| format!("{l}\n"))
            .collect();
        fs::write(clash.join("versions").join(entry.file_name()), text).unwrap();
    }
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("nothing was built"), "{stderr}");
    assert!(
        stderr.contains("table-tools/plugin.toml"),
        "the clash is the error: {stderr}"
    );
    assert!(read_tree(&out) == served, "nothing emitted early is served");
    assert!(
        standby_records(&out)
            .iter()
            .any(|n| n.starts_with("delta-")),
        "the standby is recorded for the next build: {:?}",
        standby_records(&out)
    );

    // Fixed: the next build reuses that standby and is exact.
    fs::remove_dir_all(&clash).unwrap();
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let fresh = dir.path().join("fresh");
    assert_eq!(build(&index, &fresh, &[]).0, 0);
    assert_same_tree(&out, &fresh);
    assert!(
        fs::read_to_string(out.join("index/wo/rd/word-count"))
            .unwrap()
            .contains("breaks CRLF files")
    );
    // And back: the files the failed build left in the standby are gone
    // from where they do not belong.
    fs::write(&manifest, original).unwrap();
    assert_eq!(build(&index, &out, &[]).0, 0);
    assert_eq!(build(&index, &out, &[]).0, 0);
    let fresh2 = dir.path().join("fresh2");
    assert_eq!(build(&index, &fresh2, &[]).0, 0);
    assert_same_tree(&out, &fresh2);
}

/// Pages that list many plugins (tags, owners, A–Z) are carried over from
/// the previous build when what they list did not change: after a change,
/// a rebuild still holds exactly what a fresh build holds.
#[test]
fn a_rebuild_after_a_description_changed_lists_the_new_one_everywhere() {
    let dir = example_copy();
    let index = dir.path().join("index");
    let out = dir.path().join("dist");
    assert_eq!(build(&index, &out, &[]).0, 0);
    let plugin = index.join("plugins/wo/rd/word-count/plugin.toml");
    let text = fs::read_to_string(&plugin).unwrap();
    let old = "description = \"Live word, character and reading-time counter";
    assert!(text.contains(old));
    fs::write(
        &plugin,
        text.replace(old, "description = \"Counts every word"),
    )
    .unwrap();
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let fresh = dir.path().join("fresh");
    assert_eq!(build(&index, &fresh, &[]).0, 0);
    assert_same_tree(&out, &fresh);
    for page in [
        "all/index.html",
        "tags/writing/index.html",
        "owners/samokafor/index.html",
    ] {
        let html = fs::read_to_string(out.join(page)).unwrap();
        assert!(html.contains("Counts every word"), "{page}");
    }
}

/// A rebuilt output holds what a fresh build of the same input holds, and
/// besides only the previous generation's `by-hash/` copies (kept for
/// clients that still hold the previous timestamp).
fn assert_same_tree(rebuilt: &Path, fresh: &Path) {
    let (a, b) = (read_tree(rebuilt), read_tree(fresh));
    let previous = |p: &str| p.starts_with("by-hash/") && !b.contains_key(p);
    let differ: Vec<&String> = a
        .keys()
        .chain(b.keys())
        .filter(|p| a.get(*p) != b.get(*p) && !previous(p))
        .collect();
    assert!(differ.is_empty(), "these files differ: {differ:?}");
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
        "schemas/v1/version.schema.json",
        "schemas/v1/index-line.schema.json",
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
        !list.contains("/schemas/"),
        "the schemas did not change:\n{list}"
    );
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

/// Whether `path` is a per-version API document.
fn is_version_document(path: &str) -> bool {
    path.starts_with("api/v1/plugins/") && path.contains("/versions/") && path.ends_with(".json")
}

#[test]
fn without_version_documents_the_output_only_loses_those_files() {
    let dir = example_copy();
    let index = dir.path().join("index");
    let (on, off) = (dir.path().join("on"), dir.path().join("off"));
    assert_eq!(build(&index, &on, &[]).0, 0);
    let registry = index.join("registry.toml");
    let mut text = fs::read_to_string(&registry).unwrap();
    text.push_str("\n[output]\nversion_documents = false\n");
    fs::write(&registry, text).unwrap();
    let (code, stderr) = build(&index, &off, &[]);
    assert_eq!(code, 0, "{stderr}");
    let (on, off) = (read_tree(&on), read_tree(&off));

    let versions: usize = on
        .iter()
        .filter(|(p, _)| p.starts_with("index/") && !p.starts_with("index/config"))
        .map(|(_, bytes)| bytes.iter().filter(|&&b| b == b'\n').count())
        .sum();
    let documents = on.keys().filter(|p| is_version_document(p)).count();
    assert!(
        documents > 0 && documents == versions,
        "{documents} of {versions}"
    );
    assert_eq!(off.keys().filter(|p| is_version_document(p)).count(), 0);

    // config.json says so; the host files no longer rewrite to them.
    let config: serde_json::Value = serde_json::from_slice(&off["config.json"]).unwrap();
    assert_eq!(config["version_documents"], serde_json::json!(false));
    let config: serde_json::Value = serde_json::from_slice(&on["config.json"]).unwrap();
    assert!(config.get("version_documents").is_none(), "{config}");
    let redirects =
        |t: &BTreeMap<String, Vec<u8>>| String::from_utf8(t["_redirects"].clone()).unwrap();
    assert!(redirects(&on).contains("/versions/:version "));
    assert!(!redirects(&off).contains("/versions/:version"));

    // Everything else is the same file, but what covers config.json.
    let signed_over = |p: &str| {
        [
            "config.json",
            "_redirects",
            "timestamp.json",
            "snapshot.json",
        ]
        .contains(&p)
            || p.starts_with("by-hash/")
    };
    for (path, bytes) in &on {
        if is_version_document(path) || signed_over(path) {
            continue;
        }
        assert_eq!(off.get(path), Some(bytes), "{path} differs or is missing");
    }
    for path in off.keys() {
        assert!(
            on.contains_key(path) || path.starts_with("by-hash/"),
            "{path} is new"
        );
    }
}

/// Sets every file under `dir` to a modification time an hour ago: files
/// older than a build are trusted by their stamps.
fn age_tree(dir: &Path) {
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let file = fs::File::options().write(true).open(entry.path()).unwrap();
            file.set_modified(past).unwrap();
        }
    }
}

/// How many plugins a build's stderr says it carried over from its cache.
fn carried(stderr: &str) -> usize {
    stderr
        .lines()
        .find_map(|l| l.strip_suffix(" plugins unchanged since the last build were carried over from its cache, not read again"))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[test]
fn folder_rebuilds_carry_unchanged_plugins_and_redo_changed_ones() {
    let dir = example_copy();
    let index = dir.path().join("index");
    age_tree(&index);
    let out = dir.path().join("dist");
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("every plugin was read: no build cache"),
        "{stderr}"
    );
    let plugins = fs::read_dir(index.join("plugins"))
        .unwrap()
        .flat_map(|shard| fs::read_dir(shard.unwrap().path()).unwrap())
        .flat_map(|e| {
            let p = e.unwrap().path();
            match p.join("plugin.toml").exists() {
                true => vec![p],
                false => fs::read_dir(p)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect(),
            }
        })
        .filter(|p| p.join("plugin.toml").exists())
        .count();

    // Nothing changed: every plugin carried, nothing written.
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(carried(&stderr), plugins, "{stderr}");
    assert!(stderr.contains("0 files written"), "{stderr}");

    // Touched but not changed (the time dates nothing: SOURCE_DATE_EPOCH is
    // set): the content is hashed again and found the same.
    let manifest = index.join("plugins/3/g/git/versions/1.0.0.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, &text).unwrap();
    age_tree(&index);
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(carried(&stderr), plugins, "{stderr}");
    assert!(stderr.contains("0 files written"), "{stderr}");

    // One version yanked: that plugin is read again, and the output is what
    // a fresh build of the changed index writes.
    fs::write(
        &manifest,
        text.replace("yanked = false", "yanked = \"broken\""),
    )
    .unwrap();
    age_tree(&index);
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(carried(&stderr), plugins - 1, "{stderr}");
    let fresh = dir.path().join("fresh");
    assert_eq!(build(&index, &fresh, &[]).0, 0);
    // The same files as a fresh build, but the previous generations'
    // `by-hash/` copies a rebuild keeps for clients that still hold them.
    let (got, want) = (read_tree(&out), read_tree(&fresh));
    let differs: Vec<&String> = got
        .keys()
        .chain(want.keys())
        .filter(|p| !p.starts_with("by-hash/") && got.get(*p) != want.get(*p))
        .collect();
    assert!(differs.is_empty(), "{differs:?}");
    let index_file = fs::read_to_string(out.join("index/3/g/git")).unwrap();
    assert!(index_file.contains("\"yanked\":\"broken\""), "{index_file}");

    // registry.toml changed: a full build.
    let registry = index.join("registry.toml");
    let text = fs::read_to_string(&registry).unwrap();
    fs::write(&registry, text.replace("title = \"", "title = \"New ")).unwrap();
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(carried(&stderr), 0, "{stderr}");
    assert!(stderr.contains("registry-wide inputs changed"), "{stderr}");
}

#[test]
fn a_file_changed_right_after_a_folder_build_is_read_again_though_its_stamp_is_the_same() {
    // Just copied: every file is as new as the build ("racy").
    let dir = example_copy();
    let index = dir.path().join("index");
    let out = dir.path().join("dist");
    assert_eq!(build(&index, &out, &[]).0, 0);
    // The same size, inode and modification time, another content: only
    // the content's hash can tell.
    let manifest = index.join("plugins/3/g/git/versions/1.0.0.toml");
    let before = fs::metadata(&manifest).unwrap();
    let text = fs::read_to_string(&manifest).unwrap();
    let changed = text.replace("yanked = false", "yanked = \"abc\"");
    assert_eq!(changed.len(), text.len());
    let mut file = fs::File::options().write(true).open(&manifest).unwrap();
    std::io::Write::write_all(&mut file, changed.as_bytes()).unwrap();
    file.set_modified(before.modified().unwrap()).unwrap();
    drop(file);
    let after = fs::metadata(&manifest).unwrap();
    assert_eq!(
        (before.len(), before.ino(), before.modified().unwrap()),
        (after.len(), after.ino(), after.modified().unwrap())
    );
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let index_file = fs::read_to_string(out.join("index/3/g/git")).unwrap();
    assert!(
        index_file.contains("\"yanked\":\"abc\""),
        "{stderr}\n{index_file}"
    );
}

#[test]
fn the_output_size_the_build_reports_is_what_the_output_holds() {
    let dir = example_copy();
    let index = dir.path().join("index");
    let out = dir.path().join("dist");
    let reported = |stderr: &str| {
        let line = stderr
            .lines()
            .find(|l| l.starts_with("output: "))
            .expect("the output line");
        line.to_owned()
    };
    let walked = |out: &Path| {
        let tree = read_tree(out);
        let bytes: usize = tree.values().map(Vec::len).sum();
        (tree.len(), bytes)
    };
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let (files, bytes) = walked(&out);
    let expected = format!(
        "output: {files} files, {}",
        plugdex::generate::hosting::human_bytes(bytes as u64)
    );
    assert_eq!(reported(&stderr), expected, "{stderr}");
    // Carried over from the cache, the same count.
    let (code, again) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{again}");
    assert!(carried(&again) > 0, "{again}");
    assert_eq!(reported(&again), expected);
}
