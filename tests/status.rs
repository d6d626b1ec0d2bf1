//! `plugdex status` against a real build served by nginx on loopback: a
//! healthy registry, a tampered file (seen only with `--deep`), a timestamp
//! about to expire, and a registry that does not answer.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

struct Served {
    _tmp: tempfile::TempDir,
    out: PathBuf,
    url: String,
    _nginx: common::Nginx,
}

/// The example, built signed for its loopback URL with `extra` options, and served.
fn serve(extra: &[&str]) -> Served {
    let tmp = tempfile::tempdir().expect("tempdir");
    let index = tmp.path().join("index");
    common::copy_tree(&common::example_index(), &index);
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/");
    let out = tmp.path().join("dist");
    let key = common::demo_key("online.pem");
    let mut args = vec!["--signing-key", key.as_str(), "--base-url", url.as_str()];
    args.extend_from_slice(extra);
    // The build time is now: the timestamp's expiry counts from it.
    let built = common::plugdex_cmd()
        .env(
            "SOURCE_DATE_EPOCH",
            jiff::Timestamp::now().as_second().to_string(),
        )
        .arg("build")
        .arg("--index")
        .arg(&index)
        .arg("--out")
        .arg(&out)
        .args(&args)
        .output()
        .expect("run build");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let (nginx, _) = common::start_nginx(tmp.path(), &out, port, "access_log off;");
    Served {
        _tmp: tmp,
        out,
        url,
        _nginx: nginx,
    }
}

fn status(url: &str, extra: &[&str]) -> (i32, String) {
    let out: Output = common::plugdex_cmd()
        .args(["status", "--registry", url, "--timeout", "10"])
        .args(extra)
        .output()
        .expect("run status");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// A sparse index file of the example, for tampering.
fn an_index_file(out: &Path) -> PathBuf {
    out.join("index")
        .join(plugdex::format::name::shard("word-count"))
        .join("word-count")
}

#[test]
fn a_healthy_registry_is_ok_also_deep() {
    let s = serve(&[]);
    let (code, text) = status(&s.url, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("ok: timestamp.json: signed by the online key"),
        "{text}"
    );
    assert!(text.contains("(in 6 days 23 h)"), "{text}");
    let (code, text) = status(&s.url, &["--deep"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("files and their by-hash copies match it"),
        "{text}"
    );
    // Pinning the example's root key works as well.
    let (code, text) = status(
        &s.url,
        &["--root-key", "2NnyqCvq8MnG+OZR7rtb723XaXP/b5QjHNSlk8CL+GU="],
    );
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_tampered_file_is_found_by_the_deep_check() {
    let s = serve(&[]);
    let file = an_index_file(&s.out);
    let mut text = std::fs::read_to_string(&file).expect("index file");
    text.push('\n');
    std::fs::write(&file, text).expect("tamper");
    // The shallow check reads only the signed metadata: still fine.
    assert_eq!(status(&s.url, &[]).0, 0);
    let (code, text) = status(&s.url, &["--deep"]);
    assert_eq!(code, 1, "{text}");
    let shard = plugdex::format::name::shard("word-count");
    assert!(
        text.contains(&format!("error: index/{shard}/word-count: served with")),
        "{text}"
    );
}

#[test]
fn a_timestamp_about_to_expire_fails_before_clients_do() {
    let s = serve(&["--expires-in", "1"]);
    let (code, text) = status(&s.url, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("within the warning period"), "{text}");
    // With a shorter warning period it is still fine.
    assert_eq!(status(&s.url, &["--warn-days", "0"]).0, 0);
}

#[test]
fn a_wrong_root_key_or_an_unsigned_registry_is_wrong() {
    let s = serve(&[]);
    let (code, text) = status(
        &s.url,
        &["--root-key", "mUPGuFyv000Ct9LQZo7JKiNMO4zsmNG0xrDOtyvTIqQ="],
    );
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("error: verification failed (root keys)"),
        "{text}"
    );
    std::fs::remove_file(s.out.join("timestamp.json")).unwrap();
    let (code, text) = status(&s.url, &[]);
    assert_eq!(code, 1, "{text}");
}

#[test]
fn a_registry_that_does_not_answer_cannot_be_checked() {
    let url = format!("http://127.0.0.1:{}/", common::free_port());
    let (code, text) = status(&url, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("error: cannot check"), "{text}");
}
