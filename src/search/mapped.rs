//! A bundle file mapped read-only (native only): the searcher reads it in
//! place, with no copy and no lock file (tantivy's `MmapDirectory` wants to
//! create one beside the index, which a read-only cache need not allow).

use std::fs::File;
use std::io;
use std::path::Path;

use tantivy::directory::OwnedBytes;

/// The bytes of the file at `path`, mapped.
pub fn map(path: &Path) -> io::Result<OwnedBytes> {
    let file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        // An empty file cannot be mapped; it is not a bundle either, which
        // opening the bytes reports.
        return Ok(OwnedBytes::empty());
    }
    // SAFETY: bundles are immutable, content-addressed files, replaced by
    // writing a new file and renaming it, never written in place; a
    // truncation under the map by another program is outside that contract.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok(OwnedBytes::new(map))
}
