//! The `_headers` and `_redirects` files `serve` reads, and the request
//! paths it decodes before looking anything up.
//!
//! Input: files joined by `SEP`: `_headers`, `_redirects`, then request
//! targets, one a line. A decoded path never leaves the served folder: it
//! starts with `/` and has no `..` or `.` segment, NUL or backslash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plugdex::serve::{HostRules, content_type, request_path};
use plugdex_fuzz::Sections;

fuzz_target!(|data: &[u8]| {
    let s = Sections::split(data);
    let rules = HostRules::parse(&s.text(0), &s.text(1));
    for target in s.text(2).lines() {
        let Some(path) = request_path(target) else {
            continue;
        };
        assert!(path.starts_with('/'), "{target:?} → {path:?}");
        assert!(!path.contains(['\0', '\\']), "{target:?} → {path:?}");
        assert!(
            !path.split('/').any(|seg| seg == ".." || seg == "."),
            "{target:?} → {path:?}"
        );
        let _ = rules.headers_for(&path);
        let _ = rules.redirect_for(&path);
        let _ = content_type(&path);
    }
});
