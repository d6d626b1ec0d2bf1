//! plugdex's search engine for the browser: `plugdex::search::Searcher`
//! (the same bundle reader, query plan and ranking as `plugdex search`)
//! behind a small C ABI that `assets/search/worker.js` drives. No
//! wasm-bindgen: the glue is handwritten, so no CLI version has to match.
//!
//! The ABI (all lengths in bytes; strings are UTF-8):
//! * `plugdex_alloc(len) -> ptr`: a buffer the caller fills and then hands
//!   to `plugdex_open` or `plugdex_search`, which take ownership of it.
//! * `plugdex_open(ptr, len) -> status`: opens the bundle in the buffer.
//! * `plugdex_search(ptr, len) -> status`: runs the JSON request in the
//!   buffer: `{"query", "tag", "runtime", "tier", "withoutPermission",
//!   "engine", "limit"}` (`tag` and `withoutPermission`: a string or a list).
//! * `plugdex_output_ptr()`, `plugdex_output_len()`: the last call's answer,
//!   JSON: the results (`plugdex search --format json`'s shape) when the
//!   status is 0, `{"error": "…"}` otherwise. Valid until the next call.
//!
//! It imports one function, `env.random_fill(ptr, len)`, for getrandom.

use std::cell::RefCell;

use plugdex::search::schema::parse_tier;
use plugdex::search::{Filters, OwnedBytes, Searcher};
use serde::Deserialize;

thread_local! {
    static SEARCHER: RefCell<Option<Searcher>> = const { RefCell::new(None) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Results when a request names no limit, and the most it may ask for:
/// `plugdex search`'s.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Request {
    query: String,
    tag: Option<OneOrMany>,
    runtime: Option<String>,
    tier: Option<String>,
    without_permission: Option<OneOrMany>,
    engine: Option<String>,
    limit: Option<usize>,
}

#[derive(Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

impl Request {
    fn filters(&self) -> Result<Filters, String> {
        let tier = match &self.tier {
            None => None,
            Some(name) => Some(parse_tier(name).ok_or_else(|| format!("unknown tier {name:?}"))?),
        };
        let engine = match &self.engine {
            None => None,
            Some(v) => Some(
                semver::Version::parse(v)
                    .map_err(|e| format!("engine {v:?} is not a version (like 1.5.0): {e}"))?,
            ),
        };
        Ok(Filters {
            tags: self
                .tag
                .clone()
                .map(OneOrMany::into_vec)
                .unwrap_or_default(),
            runtime: self.runtime.clone(),
            tier,
            without_permissions: self
                .without_permission
                .clone()
                .map(OneOrMany::into_vec)
                .unwrap_or_default(),
            engine,
        })
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn plugdex_alloc(len: usize) -> *mut u8 {
    Box::into_raw(vec![0u8; len].into_boxed_slice()).cast()
}

/// The buffer `plugdex_alloc(len)` returned, back in Rust's hands.
///
/// # Safety
/// `ptr` and `len` are one `plugdex_alloc` call's, not yet taken.
unsafe fn take(ptr: *mut u8, len: usize) -> Vec<u8> {
    unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) }.into_vec()
}

fn answer(result: Result<Vec<u8>, String>) -> u32 {
    let (status, bytes) = match result {
        Ok(json) => (0, json),
        Err(error) => (
            1,
            serde_json::to_vec(&serde_json::json!({ "error": error })).unwrap_or_default(),
        ),
    };
    OUTPUT.with(|out| *out.borrow_mut() = bytes);
    status
}

/// # Safety
/// `ptr` and `len` are a `plugdex_alloc` call's; the engine takes the buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn plugdex_open(ptr: *mut u8, len: usize) -> u32 {
    let bytes = unsafe { take(ptr, len) };
    answer(match Searcher::open(OwnedBytes::new(bytes)) {
        Ok(searcher) => {
            let docs = searcher.len();
            SEARCHER.with(|s| *s.borrow_mut() = Some(searcher));
            Ok(format!("{{\"plugins\":{docs}}}").into_bytes())
        }
        Err(e) => Err(e.to_string()),
    })
}

/// # Safety
/// `ptr` and `len` are a `plugdex_alloc` call's; the engine takes the buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn plugdex_search(ptr: *mut u8, len: usize) -> u32 {
    let bytes = unsafe { take(ptr, len) };
    answer(search(&bytes))
}

fn search(request: &[u8]) -> Result<Vec<u8>, String> {
    let request: Request =
        serde_json::from_slice(request).map_err(|e| format!("bad search request: {e}"))?;
    let filters = request.filters()?;
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(format!("limit {limit} is out of range (1 to {MAX_LIMIT})"));
    }
    SEARCHER.with(|s| {
        let s = s.borrow();
        let searcher = s.as_ref().ok_or("no bundle is open")?;
        let results = searcher
            .search(&request.query, &filters, limit)
            .map_err(|e| e.to_string())?;
        serde_json::to_vec(&results).map_err(|e| e.to_string())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn plugdex_output_ptr() -> *const u8 {
    OUTPUT.with(|out| out.borrow().as_ptr())
}

#[unsafe(no_mangle)]
pub extern "C" fn plugdex_output_len() -> usize {
    OUTPUT.with(|out| out.borrow().len())
}

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn random_fill(ptr: *mut u8, len: usize);
}

/// getrandom's custom backend (`--cfg getrandom_backend="custom"`, set in
/// .cargo/config.toml): the page's crypto.getRandomValues.
///
/// # Safety
/// getrandom calls it with a writable buffer of `len` bytes.
#[unsafe(no_mangle)]
unsafe extern "Rust" fn __getrandom_v03_custom(
    dest: *mut u8,
    len: usize,
) -> Result<(), getrandom::Error> {
    unsafe { random_fill(dest, len) };
    Ok(())
}
