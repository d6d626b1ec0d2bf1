//! Unpacking a downloaded artifact (`.tar.gz` or `.zip`) into a plugin's
//! folder, with the caps against archive bombs.
//!
//! Input: one mode byte, then the archive. An even mode byte unpacks the
//! rest as given (a `.tar.gz` or `.zip`); an odd one gzips the rest first,
//! so the fuzzer mutates tar headers rather than deflate streams.
//!
//! Whatever the archive, nothing may be written outside the destination,
//! nothing but plain files and folders inside it, and no more than the
//! caps allow.
#![no_main]

use std::fs;
use std::io::Write;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use plugdex::client::unpack::{Limits, unpack};
use plugdex_fuzz::scratch;

const LIMITS: Limits = Limits {
    max_bytes: 1024 * 1024,
    max_entries: 64,
};

/// Files, folders and bytes under `dir`, refusing anything else.
fn census(dir: &Path, files: &mut u64, dirs: &mut u64, bytes: &mut u64) {
    for entry in fs::read_dir(dir).expect("read scratch folder") {
        let entry = entry.expect("read scratch entry");
        let kind = entry.file_type().expect("file type");
        let path = entry.path();
        if kind.is_dir() {
            *dirs += 1;
            census(&path, files, dirs, bytes);
        } else if kind.is_file() {
            *files += 1;
            *bytes += entry.metadata().expect("metadata").len();
        } else {
            panic!(
                "unpack created `{}`, neither a file nor a folder",
                path.display()
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, archive)) = data.split_first() else {
        return;
    };
    let archive = if mode % 2 == 1 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(archive).expect("gzip in memory");
        gz.finish().expect("gzip in memory")
    } else {
        archive.to_vec()
    };
    let scratch = scratch();
    let dest = scratch.path().join("plugin");
    let result = unpack(&archive, &dest, LIMITS);

    let names: Vec<_> = fs::read_dir(scratch.path())
        .expect("read scratch folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(
        names.iter().all(|n| n == "plugin"),
        "unpack wrote outside its destination: {names:?} ({result:?})"
    );
    let (mut files, mut dirs, mut bytes) = (0, 0, 0);
    if dest.exists() {
        census(&dest, &mut files, &mut dirs, &mut bytes);
    }
    // Folders an entry's path implies are not entries; files are.
    assert!(
        files <= LIMITS.max_entries,
        "{files} files and {dirs} folders"
    );
    // A failed file may hold the one byte past the cap that proved it too large.
    assert!(bytes <= LIMITS.max_bytes + 1, "{bytes} bytes written");
    if let Ok(done) = result {
        assert_eq!((done.files, done.bytes), (files, bytes));
    }
});
