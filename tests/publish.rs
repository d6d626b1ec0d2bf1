//! Publishing that cannot go dark: a signed registry is never built
//! unsigned by accident, a build on a fresh CI runner (no state) can keep
//! the previous generation's `by-hash/` files from a copy of the previous
//! output (`--previous`), and the summary says how big the output is.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::{build, copy_tree, demo_key, example_index, read_tree};

const YANKED: &str = "plugins/wo/rd/word-count/versions/2.0.1.toml";

fn example() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = dir.path().join("index");
    copy_tree(&example_index(), &index);
    (dir, index)
}

fn by_hash(out: &Path) -> BTreeSet<String> {
    fs::read_dir(out.join("by-hash"))
        .expect("by-hash/")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn signed(index: &Path, out: &Path, extra: &[&str]) -> String {
    let key = demo_key("online.pem");
    let mut args = vec!["--signing-key", key.as_str()];
    args.extend_from_slice(extra);
    let (code, stderr) = build(index, out, &args);
    assert_eq!(code, 0, "{stderr}");
    stderr
}

fn yank(index: &Path) {
    let file = index.join(YANKED);
    let text = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        text.replace("yanked = false", "yanked = \"miscounts\""),
    )
    .unwrap();
}

#[test]
fn a_registry_with_signing_is_not_built_unsigned_without_asking() {
    let (dir, index) = example();
    let out = dir.path().join("dist");
    let output = common::plugdex_cmd()
        .arg("build")
        .arg("--index")
        .arg(&index)
        .arg("--out")
        .arg(&out)
        .env_remove("PLUGDEX_SIGNING_KEY")
        .output()
        .expect("run build");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("has a `[signing]` table but no signing key was given"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: give the online key with `--signing-key FILE`"),
        "{stderr}"
    );
    // Nothing written: no output, and no state beside it.
    assert!(!out.exists());
    assert!(!dir.path().join(".dist.plugdex").exists());
    // Asked for, it builds unsigned and says so.
    let output = common::plugdex_cmd()
        .args(["build", "--allow-unsigned", "--index"])
        .arg(&index)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run build");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("THIS REGISTRY IS UNSIGNED"), "{stderr}");
    // Without `[signing]` there is nothing to refuse.
    let text = fs::read_to_string(index.join("registry.toml")).unwrap();
    let unsigned = text.split("[signing]").next().unwrap().to_owned();
    fs::write(index.join("registry.toml"), unsigned).unwrap();
    let (code, stderr) = common::build(&index, &dir.path().join("plain"), &[]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_fresh_runner_keeps_the_previous_generation_only_from_a_previous_copy() {
    let (dir, index) = example();
    let path = |name: &str| dir.path().join(name);
    // Generation A, and a copy of it as a cache or the live site holds it.
    signed(&index, &path("a"), &[]);
    copy_tree(&path("a"), &path("a-copy"));
    let gen_a = by_hash(&path("a"));
    yank(&index);

    // With its state, a build keeps generation A's by-hash/ files.
    signed(&index, &path("a"), &[]);
    let kept = by_hash(&path("a"));
    assert!(gen_a.is_subset(&kept));

    // A fresh runner (no output, no state) drops them: clients holding
    // A's timestamp fall back to by-hash/ files that are gone.
    signed(&index, &path("lost"), &[]);
    let lost = by_hash(&path("lost"));
    let only_a: BTreeSet<_> = gen_a.difference(&lost).collect();
    assert!(!only_a.is_empty(), "the yank changes the snapshot");
    assert!(only_a.iter().all(|f| kept.contains(*f)));

    // A cache restored in place is not the folder plugdex wrote (its
    // records follow the folder's identity), so it is refused, not replaced.
    copy_tree(&path("a-copy"), &path("restored"));
    let key = demo_key("online.pem");
    let (code, stderr) = build(&index, &path("restored"), &["--signing-key", &key]);
    assert_eq!(code, 2, "{stderr}");

    // `--previous` keeps them: the same output as the build that had its state.
    let previous = path("a-copy");
    signed(
        &index,
        &path("fresh"),
        &["--previous", previous.to_str().unwrap()],
    );
    assert_eq!(by_hash(&path("fresh")), kept);
    assert_eq!(read_tree(&path("fresh")), read_tree(&path("a")));

    // A copy whose content does not match its name is left out.
    let victim = only_a.iter().next().unwrap();
    fs::write(previous.join("by-hash").join(victim), b"tampered").unwrap();
    signed(
        &index,
        &path("fresh-2"),
        &["--previous", previous.to_str().unwrap()],
    );
    let got = by_hash(&path("fresh-2"));
    assert!(!got.contains(*victim));
    assert_eq!(got.len(), kept.len() - 1);
}

#[test]
fn the_summary_reports_the_output_size_and_host_limits_parse() {
    let (dir, index) = example();
    let text = fs::read_to_string(index.join("registry.toml")).unwrap();
    let hosted = text.replace(
        "[signing]",
        "[hosting]\ntarget = \"cloudflare-pages\"\n\n[signing]",
    );
    fs::write(index.join("registry.toml"), &hosted).unwrap();
    let stderr = signed(&index, &dir.path().join("dist"), &[]);
    let files = walkdir::WalkDir::new(dir.path().join("dist"))
        .into_iter()
        .filter(|e| e.as_ref().unwrap().file_type().is_file())
        .count();
    assert!(
        stderr.contains(&format!("output: {files} files, ")),
        "{stderr}"
    );
    // The example is far below Cloudflare Pages' 20,000 files.
    assert!(!stderr.contains("limit of"), "{stderr}");
    // An unknown host is an error at its line.
    let bad = hosted.replace("cloudflare-pages", "geocities");
    fs::write(index.join("registry.toml"), bad).unwrap();
    let (code, stderr) = build(
        &index,
        &dir.path().join("bad"),
        &["--signing-key", &demo_key("online.pem")],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("`hosting.target` must be one of `github-pages`, `cloudflare-pages`, `object-store`; found `geocities`"),
        "{stderr}"
    );
    assert!(stderr.contains("registry.toml:15:10"), "{stderr}");
}
