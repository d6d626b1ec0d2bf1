//! What a built output holds (files and bytes), against the limits of the
//! static host `registry.toml`'s `[hosting] target` names. Limits are the
//! hosts' published ones; exceeding them fails the deploy or drops files,
//! so `build` warns before a deploy does.

use crate::format::types::{HostTarget, Hosting};

/// Counted by the writer as the output is written, not by walking it: at
/// a million files the walk was most of a rebuild.
pub use crate::write::OutputSize;

/// A host's published limits; `None` where it has none that matters here.
pub struct Limits {
    pub name: &'static str,
    pub max_bytes: Option<u64>,
    pub max_files: Option<u64>,
    pub max_file_bytes: Option<u64>,
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

pub fn limits(target: HostTarget) -> Limits {
    match target {
        // "Published GitHub Pages sites may be no larger than 1 GB."
        HostTarget::GithubPages => Limits {
            name: "GitHub Pages",
            max_bytes: Some(GIB),
            max_files: None,
            max_file_bytes: None,
        },
        // 20,000 files per deployment (free plan), 25 MiB per file.
        HostTarget::CloudflarePages => Limits {
            name: "Cloudflare Pages",
            max_bytes: None,
            max_files: Some(20_000),
            max_file_bytes: Some(25 * MIB),
        },
        // Object stores behind a CDN have no limit a registry reaches.
        HostTarget::ObjectStore => Limits {
            name: "an object store",
            max_bytes: None,
            max_files: None,
            max_file_bytes: None,
        },
    }
}

/// One warning per limit the output exceeds.
pub fn check(hosting: Option<&Hosting>, size: &OutputSize) -> Vec<String> {
    let Some(target) = hosting.map(|h| h.target) else {
        return Vec::new();
    };
    let l = limits(target);
    let mut out = Vec::new();
    if let Some(max) = l.max_bytes.filter(|&m| size.bytes > m) {
        out.push(format!(
            "the output is {}, over {}'s limit of {} per site",
            human_bytes(size.bytes),
            l.name,
            human_bytes(max)
        ));
    }
    if let Some(max) = l.max_files.filter(|&m| size.files > m) {
        out.push(format!(
            "the output has {} files, over {}'s limit of {max} files per deployment",
            size.files, l.name
        ));
    }
    if let Some(max) = l.max_file_bytes.filter(|&m| size.largest > m) {
        out.push(format!(
            "the largest file is {}, over {}'s limit of {} per file",
            human_bytes(size.largest),
            l.name,
            human_bytes(max)
        ));
    }
    out
}

/// `1.5 GiB`, `12.0 MiB`, `830 B`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(files: u64, bytes: u64, largest: u64) -> OutputSize {
        OutputSize {
            files,
            bytes,
            largest,
        }
    }

    #[test]
    fn each_host_warns_only_past_its_own_limits() {
        let pages = Hosting {
            target: HostTarget::GithubPages,
        };
        let cloudflare = Hosting {
            target: HostTarget::CloudflarePages,
        };
        assert!(check(Some(&pages), &size(1_500_000, GIB, 10)).is_empty());
        let over = check(Some(&pages), &size(10, GIB + 1, 10));
        assert_eq!(over.len(), 1, "{over:?}");
        assert!(
            over[0].contains("GitHub Pages's limit of 1.0 GiB"),
            "{over:?}"
        );
        assert!(check(Some(&cloudflare), &size(20_000, 50 * GIB, 25 * MIB)).is_empty());
        let over = check(Some(&cloudflare), &size(20_001, 1, 25 * MIB + 1));
        assert_eq!(over.len(), 2, "{over:?}");
        assert!(over[0].contains("20001 files"), "{over:?}");
        assert!(check(None, &size(u64::MAX, u64::MAX, u64::MAX)).is_empty());
    }

    #[test]
    fn bytes_read_as_people_read_them() {
        assert_eq!(human_bytes(830), "830 B");
        assert_eq!(human_bytes(3 * GIB + GIB / 10), "3.1 GiB");
    }
}
