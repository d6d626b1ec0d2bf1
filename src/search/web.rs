//! The browser's search files (docs/search.md, "In the browser"): the
//! engine (`assets/search/engine.wasm`, built by
//! `scripts/build-search-engine.sh` from `search-wasm/`), its Web Worker and
//! the ES module pages import, embedded in the binary so `plugdex build`
//! needs no wasm toolchain.
//!
//! Each file is named by its content (`search/plugdex-search.<hash>.js`), so
//! hosts may cache them forever. The names chain: the worker names the
//! engine and the module names the worker, so a new engine renames all three.

use std::sync::OnceLock;

use crate::digest;

/// The engine, as `scripts/build-search-engine.sh` built it.
const ENGINE: &[u8] = include_bytes!("../../assets/search/engine.wasm");
const WORKER: &str = include_str!("../../assets/search/worker.js");
const MODULE: &str = include_str!("../../assets/search/plugdex-search.js");

/// Where the worker's source names the engine, and the module's the worker.
const ENGINE_SLOT: &str = "\"__PLUGDEX_SEARCH_ENGINE__\"";
const WORKER_SLOT: &str = "\"__PLUGDEX_SEARCH_WORKER__\"";

/// Folder of the output every file goes in.
pub const DIR: &str = "search";

/// One file the browser needs: its path in the output and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAsset {
    /// Relative to the output's root: `search/<name>.<hash>.<ext>`.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Every file browser search needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAssets {
    /// The engine, the worker and the module.
    pub files: Vec<WebAsset>,
    /// Path of the ES module pages import (`openSearch`), relative to the
    /// output's root: one of `files`.
    pub module: String,
}

/// The files, made once per process.
pub fn assets() -> &'static WebAssets {
    static ASSETS: OnceLock<WebAssets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let engine = named("plugdex-search-engine", "wasm", ENGINE.to_vec());
        let worker = named(
            "plugdex-search-worker",
            "js",
            fill(WORKER, ENGINE_SLOT, file_name(&engine.path)).into_bytes(),
        );
        let module = named(
            "plugdex-search",
            "js",
            fill(MODULE, WORKER_SLOT, file_name(&worker.path)).into_bytes(),
        );
        WebAssets {
            module: module.path.clone(),
            files: vec![engine, worker, module],
        }
    })
}

/// `search/{stem}.{first 16 hex digits of the SHA-256}.{ext}`.
fn named(stem: &str, ext: &str, bytes: Vec<u8>) -> WebAsset {
    let hash = digest::hex(&digest::sha256(&bytes));
    WebAsset {
        path: format!("{DIR}/{stem}.{}.{ext}", &hash[..16]),
        bytes,
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `source` with its one `slot` (a quoted placeholder) replaced by the
/// quoted `name`. The sources are this crate's own files: a missing slot is
/// a bug, caught by the tests.
fn fill(source: &str, slot: &str, name: &str) -> String {
    debug_assert_eq!(source.matches(slot).count(), 1, "{slot} must appear once");
    source.replacen(slot, &format!("\"./{name}\""), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_content_hashes_and_chain_engine_worker_module() {
        let assets = assets();
        let [engine, worker, module] = &assets.files[..] else {
            panic!(
                "three files: {:?}",
                assets.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            );
        };
        assert_eq!(assets.module, module.path);
        for file in &assets.files {
            let hash = digest::hex(&digest::sha256(&file.bytes));
            let name = file_name(&file.path);
            assert!(file.path.starts_with("search/"), "{}", file.path);
            assert!(
                name.contains(&format!(".{}.", &hash[..16])),
                "{name} is not named by its content"
            );
        }
        assert!(
            engine.bytes.starts_with(b"\0asm"),
            "the engine is a wasm module"
        );
        let worker_text = String::from_utf8(worker.bytes.clone()).unwrap();
        let module_text = String::from_utf8(module.bytes.clone()).unwrap();
        assert!(worker_text.contains(&format!("\"./{}\"", file_name(&engine.path))));
        assert!(module_text.contains(&format!("\"./{}\"", file_name(&worker.path))));
        assert!(
            !worker_text.contains("__PLUGDEX_SEARCH") && !module_text.contains("__PLUGDEX_SEARCH")
        );
    }
}
