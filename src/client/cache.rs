//! The HTTP cache: one body and one small metadata file per URL, under the
//! hex SHA-256 of the URL (so no server-chosen path ever reaches the disk).
//! The metadata keeps the validators for conditional requests: the ETag
//! first, `Last-Modified` second. `Validators::parse` is its pure twin.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Version of a cache metadata file; other versions are cache misses.
pub const CACHE_V: u32 = 1;

/// What a later request sends to ask "has it changed?".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    pub v: u32,
    pub url: String,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
}

impl Validators {
    /// The pure twin of reading a metadata file: `None` when unusable.
    pub fn parse(text: &str, url: &str) -> Option<Validators> {
        serde_json::from_str::<Validators>(text)
            .ok()
            .filter(|m| m.v == CACHE_V && m.url == url)
    }

    /// The conditional header to send: `If-None-Match` with the ETag, else
    /// `If-Modified-Since` with the stored `Last-Modified`, else none.
    pub fn conditional(&self) -> Option<(&'static str, &str)> {
        match (&self.etag, &self.last_modified) {
            (Some(etag), _) => Some(("If-None-Match", etag)),
            (None, Some(date)) => Some(("If-Modified-Since", date)),
            (None, None) => None,
        }
    }
}

/// The cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: &Path) -> Cache {
        Cache {
            root: root.to_owned(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn body_path(&self, url: &str) -> PathBuf {
        let key = crate::digest::hex(&crate::digest::sha256(url.as_bytes()));
        self.root.join(&key[..2]).join(key)
    }

    /// The cached body and its validators; `None` on a miss or a damaged entry.
    pub fn load(&self, url: &str) -> Option<(Vec<u8>, Validators)> {
        let body = self.body_path(url);
        let meta = std::fs::read_to_string(body.with_extension("meta")).ok()?;
        let validators = Validators::parse(&meta, url)?;
        Some((std::fs::read(&body).ok()?, validators))
    }

    /// Drops a URL's entry (a copy found damaged); a missing one is fine.
    pub fn remove(&self, url: &str) {
        let body = self.body_path(url);
        // Metadata first: without it the body is never used.
        let _ = std::fs::remove_file(body.with_extension("meta"));
        let _ = std::fs::remove_file(body);
    }

    /// Stores a body and its validators; each file is written to a
    /// temporary name and renamed, so a reader never sees half a file.
    pub fn store(&self, body: &[u8], validators: &Validators) -> std::io::Result<()> {
        let path = self.body_path(&validators.url);
        let dir = path.parent().expect("a cache entry has a folder");
        std::fs::create_dir_all(dir)?;
        let meta = serde_json::to_vec(validators).expect("validators serialise");
        for (target, bytes) in [
            (path.clone(), body),
            (path.with_extension("meta"), &meta[..]),
        ] {
            let tmp = target.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &target)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(etag: Option<&str>, lm: Option<&str>) -> Validators {
        Validators {
            v: CACHE_V,
            url: "http://r/x".into(),
            etag: etag.map(str::to_owned),
            last_modified: lm.map(str::to_owned),
        }
    }

    #[test]
    fn the_etag_is_preferred_to_the_date() {
        let date = "Thu, 01 Jan 2026 00:00:00 GMT";
        assert_eq!(
            v(Some("\"a\""), Some(date)).conditional(),
            Some(("If-None-Match", "\"a\""))
        );
        assert_eq!(
            v(None, Some(date)).conditional(),
            Some(("If-Modified-Since", date))
        );
        assert_eq!(v(None, None).conditional(), None);
    }

    #[test]
    fn metadata_of_another_url_or_version_is_a_miss() {
        let text = serde_json::to_string(&v(Some("e"), None)).unwrap();
        assert!(Validators::parse(&text, "http://r/x").is_some());
        assert!(Validators::parse(&text, "http://r/y").is_none());
        assert!(Validators::parse(&text.replace("\"v\":1", "\"v\":2"), "http://r/x").is_none());
        assert!(Validators::parse("{", "http://r/x").is_none());
    }

    #[test]
    fn stores_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        assert!(cache.load("http://r/x").is_none());
        cache.store(b"body", &v(Some("e"), None)).unwrap();
        let (body, meta) = cache.load("http://r/x").unwrap();
        assert_eq!(
            (body.as_slice(), meta.etag.as_deref()),
            (&b"body"[..], Some("e"))
        );
        cache.remove("http://r/x");
        assert!(cache.load("http://r/x").is_none());
        cache.remove("http://r/x");
    }
}
