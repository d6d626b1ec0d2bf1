//! `check` of one file with many problems: `cargo bench --bench check_diagnostics`.
//! A `plugin.toml` with N unknown keys (N diagnostics) is checked and printed
//! (human format); the time per diagnostic is compared with a file of few
//! problems in the same run. Placing a diagnostic used to scan the file from
//! its start (quadratic: 16k keys 3 s, 32k 10.7 s, 123k over 30 s); it must
//! stay linear, so the run fails when the cost per diagnostic at the largest
//! size is more than `MAX_GROWTH` times that at the smallest.

use std::path::Path;
use std::time::Instant;

const FEW: usize = 1_000;
/// 123k short keys stay under the 1 MiB manifest cap.
const SIZES: &[usize] = &[16_000, 32_000, 123_000];
const MAX_GROWTH: f64 = 3.0;

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk the base index");
        let target = to.join(entry.path().strip_prefix(from).expect("under from"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("create folder");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Seconds to check and print an index whose one `plugin.toml` has `n` unknown keys.
fn seconds(n: usize) -> f64 {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/base");
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&base, dir.path());
    let manifest = dir.path().join("plugins/2/gm/plugin.toml");
    let mut text = std::fs::read_to_string(&manifest).expect("base plugin.toml");
    let first_table = text.find("\n[").map_or(text.len(), |i| i + 1);
    let junk: String = (0..n).map(|i| format!("x{i:x}=0\n")).collect();
    text.insert_str(first_table, &junk);
    std::fs::write(&manifest, text).expect("write plugin.toml");

    let started = Instant::now();
    let checked =
        plugdex::check::check_index_keeping(dir.path(), plugdex::check::Keep::Diagnostics)
            .expect("the index folder exists");
    let printed = plugdex::printer::render(
        plugdex::printer::Format::Human,
        &checked.diagnostics,
        &checked.sources,
        dir.path(),
    );
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        checked.diagnostics.len() >= n,
        "every unknown key is reported"
    );
    assert!(printed.contains("more-diagnostics"), "the output is capped");
    elapsed
}

fn main() {
    let few = seconds(FEW);
    let per_few = few / FEW as f64;
    println!(
        "{FEW:>7} unknown keys: {few:>7.3} s ({:.2} µs per diagnostic)",
        per_few * 1e6
    );
    let mut growth = 0.0;
    for &n in SIZES {
        let s = seconds(n);
        let per = s / n as f64;
        growth = per / per_few;
        println!(
            "{n:>7} unknown keys: {s:>7.3} s ({:.2} µs per diagnostic, {growth:.2}x the cost per diagnostic of {FEW})",
            per * 1e6
        );
    }
    if growth > MAX_GROWTH {
        eprintln!(
            "the cost per diagnostic grew {growth:.1}x from {FEW} to {} keys (at most {MAX_GROWTH}x): placing diagnostics is no longer linear",
            SIZES[SIZES.len() - 1]
        );
        std::process::exit(1);
    }
}
