//! Sets `PLUGDEX_VERSION` for `plugdex --version`: the crate's version and,
//! when built from a git checkout of plugdex itself, the commit
//! (`0.1.0 (1a2b3c4d5e6f)`). Built from a crate tarball, or without git,
//! it is the version alone. No network; the same commit gives the same text.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder of the Cargo.toml being built, read when the script runs: `env!`
/// would bake in the folder the script was compiled for, and `cargo package`
/// runs the same compiled script on its copy of the crate.
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(manifest_dir())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let manifest_dir = &manifest_dir();
    // Only this crate's own checkout: a tarball unpacked inside some other
    // repository must not claim that repository's commit.
    let ours = git(&["rev-parse", "--show-toplevel"])
        .and_then(|top| Path::new(&top).canonicalize().ok())
        .is_some_and(|top| manifest_dir.canonicalize().is_ok_and(|dir| dir == top));
    let commit = ours
        .then(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .flatten();
    match &commit {
        Some(commit) => println!("cargo:rustc-env=PLUGDEX_VERSION={version} ({commit})"),
        None => println!("cargo:rustc-env=PLUGDEX_VERSION={version}"),
    }
    // Rebuilt when HEAD moves (a commit, a checkout), not on every build.
    if ours {
        for file in ["HEAD", "logs/HEAD"] {
            if let Some(path) = git(&["rev-parse", "--git-path", file]) {
                let path = manifest_dir.join(path);
                if path.exists() {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
            }
        }
    } else {
        // Not our checkout (e.g. `cargo package`'s copy, which shares this
        // build's target folder): a path that does not exist makes cargo run
        // this again next time, so a later build of the checkout itself is
        // never left with this run's version text.
        println!(
            "cargo:rerun-if-changed={}",
            manifest_dir.join(".git").display()
        );
    }
    println!("cargo:rerun-if-changed=build.rs");
}
