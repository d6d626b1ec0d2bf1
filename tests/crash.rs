//! Crash safety: builds killed with SIGKILL at random moments never leave a
//! torn output. After every kill the output folder is exactly one of the two
//! complete outputs (before or after), and the next build recovers.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

const PLUGINS: usize = 800;

fn write_plugin(root: &Path, i: usize, with_new_version: bool) {
    let name = format!("crash-plugin-{i:04}");
    let dir = root.join(format!("plugins/cr/as/{name}"));
    fs::create_dir_all(dir.join("versions")).unwrap();
    fs::write(
        dir.join("plugin.toml"),
        format!(
            "name = \"{name}\"\ndescription = \"Plugin number {i} of the crash test.\"\nlicense = \"MIT\"\n\n[[owners]]\ngithub = \"owner{i}\"\n"
        ),
    )
    .unwrap();
    let version = |v: &str| {
        format!(
            "version = \"{v}\"\nengine = \">=1.0.0\"\nentry = \"main.wasm\"\nruntime = \"wasm\"\n\n[artifact]\nurl = \"https://downloads.example.org/{name}-{v}.tar.gz\"\nsha256 = \"{:064x}\"\nsize = {}\n",
            i + 1,
            1000 + i
        )
    };
    fs::write(dir.join("versions/1.0.0.toml"), version("1.0.0")).unwrap();
    let newer = dir.join("versions/1.1.0.toml");
    if with_new_version {
        fs::write(newer, version("1.1.0")).unwrap();
    } else {
        let _ = fs::remove_file(newer);
    }
}

fn set_state(index: &Path, b: bool) {
    for i in 0..PLUGINS {
        write_plugin(index, i, b);
    }
}

/// A small deterministic generator, seeded from the clock and printed, so a
/// failing run can be replayed with `CRASH_SEED`.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

fn describe(
    tree: &BTreeMap<String, Vec<u8>>,
    a: &BTreeMap<String, Vec<u8>>,
    b: &BTreeMap<String, Vec<u8>>,
) -> String {
    let differs = |r: &BTreeMap<String, Vec<u8>>| {
        tree.iter().filter(|(k, v)| r.get(*k) != Some(*v)).count()
            + r.keys().filter(|k| !tree.contains_key(*k)).count()
    };
    format!(
        "{} files; {} differ from before, {} from after",
        tree.len(),
        differs(a),
        differs(b)
    )
}

/// The output without `by-hash/`: which earlier generations a build retains
/// there depends on the builds before it, so those files are checked apart,
/// by [`assert_snapshot_whole`].
fn view(tree: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    tree.into_iter()
        .filter(|(p, _)| !p.starts_with("by-hash/"))
        .collect()
}

/// Every file the current timestamp's snapshot references is present under
/// `by-hash/` with the content its name promises.
fn assert_snapshot_whole(out: &Path, context: &str) {
    let read = |p: &str| fs::read(out.join(p)).ok();
    let referenced = plugdex::trust::metadata::referenced(&read);
    assert!(!referenced.is_empty(), "{context}: no snapshot");
    for hash in referenced {
        let path = plugdex::trust::metadata::by_hash_path(&hash);
        let bytes = read(&path).unwrap_or_else(|| panic!("{context}: `{path}` is missing"));
        let content = plugdex::digest::hex(&plugdex::digest::sha256(&bytes));
        assert_eq!(path, format!("by-hash/{content}"), "{context}: torn copy");
    }
}

#[test]
fn killed_builds_leave_the_previous_output_whole() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    fs::create_dir_all(&index).unwrap();
    fs::write(
        index.join("registry.toml"),
        "id = \"crash.test.example\"\ntitle = \"Crash test\"\nbase_url = \"https://crash.test.example/\"\nengine = \"host\"\n",
    )
    .unwrap();

    // The two complete outputs, built without interruption.
    set_state(&index, false);
    let started = Instant::now();
    assert_eq!(common::build(&index, &dir.path().join("ref-a"), &[]).0, 0);
    let full = started.elapsed();
    let before = view(common::read_tree(&dir.path().join("ref-a")));
    set_state(&index, true);
    assert_eq!(common::build(&index, &dir.path().join("ref-b"), &[]).0, 0);
    let after = view(common::read_tree(&dir.path().join("ref-b")));
    assert_ne!(before, after);

    let out = dir.path().join("dist");
    set_state(&index, false);
    assert_eq!(common::build(&index, &out, &[]).0, 0);

    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("CRASH_SEED={seed}; an uninterrupted build takes {full:?}");
    let mut rng = Rng(seed);
    let mut target_b = true;
    let mut completed = 0;
    for round in 0..16 {
        set_state(&index, target_b);
        let mut child = common::plugdex_cmd()
            .args(["build", "--allow-unsigned", "--index"])
            .arg(&index)
            .arg("--out")
            .arg(&out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start build");
        // Anywhere from the start to past the end of a build (rebuilds that
        // recover a killed standby take longer than a fresh one).
        let delay = Duration::from_micros(rng.below(full.as_micros() as u64 * 5 / 2));
        std::thread::sleep(delay);
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        let status = child.wait().unwrap();
        let tree = view(common::read_tree(&out));
        assert_snapshot_whole(&out, &format!("round {round}, seed {seed}"));
        let is_before = tree == before;
        let is_after = tree == after;
        assert!(
            is_before || is_after,
            "round {round} (killed after {delay:?}, seed {seed}): torn output: {}",
            describe(&tree, &before, &after)
        );
        if status.success() {
            completed += 1;
        }
        // Next round builds towards the other state from whatever is there now.
        target_b = !is_after;
    }
    eprintln!("{completed} of 16 builds finished before the kill");
    // The next uninterrupted build recovers from whatever the kills left.
    set_state(&index, true);
    let (code, stderr) = common::build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        view(common::read_tree(&out)) == after,
        "the recovering build produced the wrong output"
    );
    let leftovers: Vec<_> = walkdir::WalkDir::new(&out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".plugdex-tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files in the output: {leftovers:?}"
    );
}
