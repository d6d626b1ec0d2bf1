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
        let (code, stderr) = build_at(&index, &out, epoch, &["--allow-signing-time-skew"]);
        assert_eq!(code, 2, "{epoch}: {stderr}");
        assert!(stderr.contains("SOURCE_DATE_EPOCH"), "{epoch}: {stderr}");
        assert!(stderr.contains("hint:"), "{epoch}: {stderr}");
        assert!(!out.exists(), "{epoch}: nothing may be written");
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
