//! Transcripts of the main commands: exit status, stdout and stderr pinned
//! as snapshots in `tests/snapshots/`, so a changed message shows as a diff.
//! Temporary paths are redacted (`[TMP]`, `[ROOT]`). After a deliberate
//! change, `SNAPSHOTS=overwrite cargo test --test transcripts` rewrites them;
//! review the diff.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use snapbox::cmd::Command;
use snapbox::{Assert, Redactions, file};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary as every suite spawns it (`common::plugdex_cmd`), in the
/// crate's folder, with `tmp` (when given) redacted as `[TMP]`.
fn plugdex(tmp: Option<&Path>) -> Command {
    let mut redactions = Redactions::new();
    if let Some(tmp) = tmp {
        redactions
            .insert("[TMP]", tmp.to_path_buf())
            .expect("placeholder");
    }
    redactions.insert("[ROOT]", root()).expect("placeholder");
    let assert = Assert::new()
        .action_env("SNAPSHOTS")
        .redact_with(redactions);
    Command::from_std(common::plugdex_cmd())
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .with_assert(assert)
}

/// The base fixture with an unknown field (alpha's `licence`, line 3) and
/// a padded description (a warning).
fn broken_index() -> tempfile::TempDir {
    let dir = common::base_copy();
    let edit = |rel: &str, from: &str, to: &str| {
        let path = dir.path().join(rel);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replace(from, to)).unwrap();
    };
    edit(
        "plugins/al/ph/alpha/plugin.toml",
        "license = ",
        "licence = ",
    );
    edit(
        "plugins/be/ta/beta-tool/plugin.toml",
        "description = \"A helper",
        "description = \" A helper",
    );
    dir
}

#[test]
fn check_of_a_valid_index() {
    plugdex(None)
        .args(["check", "--index", "index"])
        .assert()
        .code(0)
        .stdout_eq("")
        .stderr_eq(file!["snapshots/check-valid.stderr"]);
}

#[test]
fn check_of_an_index_with_errors() {
    let dir = broken_index();
    plugdex(Some(dir.path()))
        .arg("check")
        .arg("--index")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout_eq("")
        .stderr_eq(file!["snapshots/check-errors.stderr"]);
    plugdex(Some(dir.path()))
        .arg("check")
        .arg("--index")
        .arg(dir.path())
        .args(["--format", "json"])
        .assert()
        .code(1)
        .stdout_eq(file!["snapshots/check-errors.json"]);
}

#[test]
fn check_of_a_missing_folder() {
    plugdex(None)
        .args(["check", "--index", "/nonexistent/plugdex-index"])
        .assert()
        .code(2)
        .stdout_eq("")
        .stderr_eq(file!["snapshots/check-missing.stderr"]);
}

#[test]
fn keygen_of_an_unreadable_key() {
    plugdex(None)
        .args(["keygen", "--show", "/nonexistent/me.pem"])
        .assert()
        .code(2)
        .stderr_eq(file!["snapshots/keygen-missing.stderr"]);
}

#[test]
fn verify_of_an_invalid_manifest() {
    let dir = common::base_copy();
    let manifest = dir.path().join("plugins/al/ph/alpha/versions/1.0.0.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, format!("frobnicate = 1\n{text}")).unwrap();
    plugdex(Some(dir.path()))
        .arg("verify")
        .arg("--index")
        .arg(dir.path())
        .arg(&manifest)
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/verify-invalid.stderr"]);
}

#[test]
fn schema_check_of_stale_schemas() {
    let dir = tempfile::tempdir().unwrap();
    plugdex(Some(dir.path()))
        .args(["schema", "--check", "--write"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/schema-stale.stderr"]);
}

#[test]
fn client_of_an_unreachable_registry() {
    let home = tempfile::tempdir().unwrap();
    plugdex(Some(home.path()))
        .args([
            "info",
            "git",
            "--registry",
            "http://127.0.0.1:9/",
            "--timeout",
            "5",
        ])
        .arg("--dir")
        .arg(home.path().join("plugins"))
        .arg("--cache-dir")
        .arg(home.path().join("cache"))
        .assert()
        .code(2)
        .stdout_eq("")
        .stderr_eq(file!["snapshots/client-unreachable.stderr"]);
}

#[test]
fn a_usage_error() {
    plugdex(None)
        .args(["check", "--format", "xml"])
        .assert()
        .code(2)
        .stderr_eq(file!["snapshots/usage.stderr"]);
}
