//! `plugdex status`: is the published registry healthy? Fetches it as a
//! client would (the verification chain of `trust::verify`, through
//! `client::remote`), reports the signatures and the timestamp's expiry,
//! and with `deep` checks that every file the signed snapshot names is
//! served, and its `by-hash/` copy, with the hash and size it commits to.
//!
//! A scheduled workflow runs it against the live site, so a registry whose
//! refresh stopped is noticed days before clients start refusing it.

use std::time::Duration;

use crate::client::ClientError;
use crate::client::config::Registry;
use crate::client::http::{FetchError, Fetcher};
use crate::client::remote::Remote;
use crate::trust::metadata::{FileMeta, by_hash_path};

/// Files checked at once in a deep check.
const PARALLEL: usize = 8;

pub struct Options {
    /// The registry's base URL, ending with `/`.
    pub url: String,
    /// Root keys to pin (raw base64); empty: the ones `config.json` names.
    pub root_keys: Vec<String>,
    pub deep: bool,
    /// A timestamp expiring within this many seconds is a problem.
    pub warn_secs: i64,
    pub timeout: Duration,
    /// Seconds since the epoch.
    pub now: i64,
}

/// What was found: one line per check, `ok` or not.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

#[derive(Debug)]
pub struct Finding {
    pub ok: bool,
    pub text: String,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.ok)
    }

    fn ok(&mut self, text: String) {
        self.findings.push(Finding { ok: true, text });
    }

    fn problem(&mut self, text: String) {
        self.findings.push(Finding { ok: false, text });
    }
}

/// The status could not be determined (exit 2): the registry did not answer.
#[derive(Debug, thiserror::Error)]
#[error("cannot check `{url}`: {source}")]
pub struct StatusError {
    url: String,
    source: FetchError,
}

pub fn check(opts: &Options) -> Result<Report, StatusError> {
    let fetcher = Fetcher::new(&opts.url, None, None, false, opts.timeout);
    let registry = Registry {
        name: None,
        url: opts.url.clone(),
        token: None,
        root_keys: opts.root_keys.clone(),
        threshold: None,
    };
    let mut report = Report::default();
    let remote = match Remote::open(&fetcher, &registry, None, opts.now) {
        Ok(remote) => remote,
        Err(ClientError::Fetch(
            e @ (FetchError::Unreachable { .. } | FetchError::Timeout { .. }),
        )) => {
            return Err(StatusError {
                url: opts.url.clone(),
                source: e,
            });
        }
        Err(e) => {
            report.problem(e.to_string());
            return Ok(report);
        }
    };
    let pinned = if opts.root_keys.is_empty() {
        "the root keys `config.json` names (pin them with `--root-key`)"
    } else {
        "the pinned root keys"
    };
    report.ok(format!(
        "root.json: the online key is delegated by {pinned}"
    ));
    let ts = remote.timestamp();
    let left = expires_at(ts.expires()).map(|e| e - opts.now);
    let when = left.map_or_else(|| "?".to_owned(), in_words);
    let line = format!(
        "timestamp.json: signed by the online key, version {}, expires {} (in {when})",
        ts.version(),
        ts.expires()
    );
    match left {
        Some(left) if left > opts.warn_secs => report.ok(line),
        _ => report.problem(format!(
            "{line}: within the warning period; rebuild and publish the registry now"
        )),
    }
    if opts.deep {
        let mut fetch = |p: &str| fetcher.get(p).map_err(|e| e.to_string());
        match ts.all_files(&mut fetch) {
            Ok(files) => deep_check(&fetcher, &files, &mut report),
            Err(e) => report.problem(format!("snapshot: {e}")),
        }
    }
    Ok(report)
}

/// Every file and its `by-hash/` copy against the snapshot.
fn deep_check(
    fetcher: &Fetcher,
    files: &std::collections::BTreeMap<String, FileMeta>,
    report: &mut Report,
) {
    let files: Vec<(&String, &FileMeta)> = files.iter().collect();
    let chunk = files.len().div_ceil(PARALLEL).max(1);
    let problems: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut out = Vec::new();
                    for (path, meta) in part {
                        for served in [path.to_string(), by_hash_path(&meta.sha256)] {
                            if let Some(why) = mismatch(fetcher, &served, meta) {
                                out.push(format!("{served}: {why}"));
                            }
                        }
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a status thread panicked"))
            .collect()
    });
    let bad = problems.len();
    for p in problems {
        report.problem(p);
    }
    if bad == 0 {
        report.ok(format!(
            "snapshot: all {} files and their by-hash copies match it",
            files.len()
        ));
    }
}

fn mismatch(fetcher: &Fetcher, path: &str, meta: &FileMeta) -> Option<String> {
    match fetcher.get_once(path) {
        Ok(bytes) if meta.matches(&bytes) => None,
        Ok(bytes) => Some(format!(
            "served with {} bytes and SHA-256 {}, the snapshot says {} bytes and {}",
            bytes.len(),
            crate::digest::hex(&crate::digest::sha256(&bytes)),
            meta.size,
            meta.sha256
        )),
        Err(e) => Some(e.to_string()),
    }
}

fn expires_at(rfc3339: &str) -> Option<i64> {
    rfc3339
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
}

/// `6 days 23 h`, `5 h`, `-2 h` (already past).
fn in_words(secs: i64) -> String {
    let hours = secs / 3600;
    match (hours / 24, hours % 24) {
        (0, h) => format!("{h} h"),
        (d, 0) => format!("{d} days"),
        (d, h) => format!("{d} days {} h", h.abs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_in_days_and_hours() {
        assert_eq!(in_words(6 * 86400 + 23 * 3600 + 59), "6 days 23 h");
        assert_eq!(in_words(5 * 3600), "5 h");
        assert_eq!(in_words(2 * 86400), "2 days");
    }
}
