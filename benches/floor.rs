//! The floor a build is measured against: given a build's output tree,
//! creates the same folders and files with the same sizes in a fresh folder,
//! on 2 threads, and prints how long that took. Nothing else a build does
//! (reading, checking, hashing, signing, the atomic swap) is in it, so
//! `build time / floor time` is the build's overhead over file creation alone.
//!
//!   floor OUTPUT_TREE FRESH_FOLDER
//!
//! Built by benches/build.sh with `rustc -O` (std only, no Cargo target).
//! Prints one line: `floor: FILES files, BYTES bytes, SECONDS s`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// As many threads as the build's two cores.
const THREADS: usize = 2;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, from, to] = args.as_slice() else {
        eprintln!("usage: floor OUTPUT_TREE FRESH_FOLDER");
        std::process::exit(2);
    };
    let (from, to) = (Path::new(from), PathBuf::from(to));
    if to.exists() {
        eprintln!(
            "{} exists: the floor writes into a fresh folder",
            to.display()
        );
        std::process::exit(2);
    }
    // Listed before the clock starts: the build knows its files without a walk.
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    list(from, Path::new(""), &mut dirs, &mut files);
    let bytes: u64 = files.iter().map(|(_, size)| size).sum();
    let largest = files.iter().map(|(_, size)| *size).max().unwrap_or(0);
    let zeros = vec![0u8; largest as usize];

    let started = Instant::now();
    fs::create_dir_all(&to).expect("create the fresh folder");
    // Parents before children: `list` yields folders in walk order.
    for dir in &dirs {
        fs::create_dir(to.join(dir)).expect("create a folder");
    }
    // Interleaved, so both threads write into every part of the tree.
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (files, to, zeros) = (&files, &to, &zeros);
            scope.spawn(move || {
                for (path, size) in files.iter().skip(t).step_by(THREADS) {
                    let mut f = fs::File::create(to.join(path)).expect("create a file");
                    f.write_all(&zeros[..*size as usize]).expect("write a file");
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    println!("floor: {} files, {bytes} bytes, {secs:.2} s", files.len());
}

/// Every folder (in walk order, parents first) and file (with its size) under `root/rel`.
fn list(root: &Path, rel: &Path, dirs: &mut Vec<PathBuf>, files: &mut Vec<(PathBuf, u64)>) {
    let entries = fs::read_dir(root.join(rel)).expect("read the output tree");
    for entry in entries {
        let entry = entry.expect("read the output tree");
        let path = rel.join(entry.file_name());
        let kind = entry.file_type().expect("stat the output tree");
        if kind.is_dir() {
            dirs.push(path.clone());
            list(root, &path, dirs, files);
        } else if kind.is_file() {
            let size = entry.metadata().expect("stat the output tree").len();
            files.push((path, size));
        }
    }
}
