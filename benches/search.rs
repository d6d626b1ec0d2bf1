//! Search figures at 10,000 plugins (and 100,000 with `SIZES="10000 100000"`),
//! each against its target or a peer measured in the same run:
//!
//! * bundle size raw, gzip -9 and brotli -q 11 (target ≤ 1.0 MB brotli);
//! * bundle build time, median of 3 (target ≤ 1 s on 2 cores);
//! * query p95 and median over judged, typo and prefix queries, warm
//!   (target ≤ 1 ms), against a naive substring scan of every description;
//!   and the p95 of each query's median, which a loaded machine moves less;
//! * `plugdex search --dist` whole command, median warm (target ≤ 20 ms),
//!   against `plugdex --version` (the process's own start-up).
//!
//! Documents are the real catalogues of tests/corpus/ (Logseq, krew) repeated
//! with numbered names until there are N: real words, real lengths.
//!
//!     cargo bench --bench search
//!     SIZES="10000 100000" cargo bench --bench search

#[path = "../tests/search_relevance.rs"]
#[allow(dead_code)]
mod relevance;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use plugdex::search::{Filters, OwnedBytes, SearchDoc, Searcher, indexer};

const QUERIES: &[&str] = &[
    "kanban",
    "kanbna",
    "anki",
    "mind map",
    "habit tracker",
    "habbit tracker",
    "heatmap",
    "git sync",
    "mermaid diagrams",
    "mermai",
    "google calendar sync",
    "kindle highlights",
    "markdown table editor",
    "chatgpt",
    "telegram",
    "gruvbox theme",
    "copy code block",
    "zotero",
    "pomodoro timer",
    "todoist",
    "readwise",
    "excalidraw",
    "vim",
    "tabs",
    "jira",
    "notion",
    "switch namespace",
    "switch context kubeconfig",
    "decode secrets",
    "tcpdump packet capture",
    "rbac permissions",
    "merge kubeconfig",
    "disk usage persistent volumes",
    "neat",
    "cert-manager",
    "log tailing multiple pods",
    "outdated images",
    "node shell",
    "oidc login",
    "c",
    "ca",
    "cal",
    "calen",
    "calendar",
    "sync dropbox",
    "spaced repetition",
    "the",
];

fn corpus_docs(n: usize) -> Vec<SearchDoc> {
    let base = relevance::documents();
    let mut docs: Vec<SearchDoc> = (0..n)
        .map(|i| {
            let src = &base[i % base.len()];
            let round = i / base.len();
            SearchDoc {
                name: if round == 0 {
                    src.name.clone()
                } else {
                    format!("{}-{round}", src.name)
                },
                created: src.created - round as i64 * 86_400,
                ..src.clone()
            }
        })
        .collect();
    docs.sort_by_cached_key(|d| d.name.to_lowercase().replace('_', "-"));
    docs
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn gzip(bytes: &[u8]) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap().len()
}

/// Size with brotli -q 11 (the `brotli` tool; `None` when it is missing).
fn brotli(bytes: &[u8]) -> Option<usize> {
    let mut child = Command::new("brotli")
        .args(["-c", "-q", "11"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    out.status.success().then_some(out.stdout.len())
}

fn run(cmd: &mut Command) -> Duration {
    let t = Instant::now();
    let out = cmd.output().expect("run plugdex");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed()
}

fn bench(n: usize) {
    println!("== {n} plugins");
    let docs = corpus_docs(n);
    let mut builds = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        bytes = indexer::build(&docs).expect("the bundle builds");
        builds.push(t.elapsed());
    }
    let build = median(builds);
    let raw = bytes.len();
    let gz = gzip(&bytes);
    let br = brotli(&bytes);
    let mb = |b: usize| b as f64 / 1e6;
    println!("bundle raw    {:8.3} MB", mb(raw));
    println!(
        "bundle gzip   {:8.3} MB  ({:.0}% of raw)",
        mb(gz),
        100.0 * gz as f64 / raw as f64
    );
    match br {
        Some(br) => println!(
            "bundle brotli {:8.3} MB  (target 1.0 MB: {:.2}×)",
            mb(br),
            mb(br) / 1.0
        ),
        None => println!("bundle brotli: the `brotli` tool is not installed"),
    }
    println!(
        "bundle build  {:8.1} ms  (target 1000 ms: {:.2}×)",
        ms(build),
        ms(build) / 1000.0
    );

    let searcher = Searcher::open(OwnedBytes::new(bytes.clone())).expect("the bundle opens");
    let filters = Filters::default();
    for q in QUERIES {
        searcher.search(q, &filters, 10).unwrap();
    }
    let mut times = Vec::new();
    let mut per_query = vec![Vec::new(); QUERIES.len()];
    for _ in 0..20 {
        for (i, q) in QUERIES.iter().enumerate() {
            let t = Instant::now();
            std::hint::black_box(searcher.search(q, &filters, 10).unwrap());
            times.push(t.elapsed());
            per_query[i].push(t.elapsed());
        }
    }
    // Which queries make the tail: each one's median, slowest first. The
    // p95 of those medians is what a query costs; the p95 of single runs
    // also counts the runs a loaded machine delayed.
    let mut slowest: Vec<(Duration, &str)> = per_query
        .into_iter()
        .zip(QUERIES)
        .map(|(t, q)| (median(t), *q))
        .collect();
    let of_medians = percentile(slowest.iter().map(|(t, _)| *t).collect(), 0.95);
    slowest.sort_by(|a, b| b.cmp(a));
    let slowest: Vec<String> = slowest
        .iter()
        .take(4)
        .map(|(t, q)| format!("{q:?} {:.3} ms", ms(*t)))
        .collect();
    let lowered: Vec<String> = docs.iter().map(|d| d.description.to_lowercase()).collect();
    let mut scans = Vec::new();
    for q in QUERIES {
        let t = Instant::now();
        std::hint::black_box(lowered.iter().filter(|d| d.contains(q)).count());
        scans.push(t.elapsed());
    }
    let (p95, p50, scan) = (
        percentile(times.clone(), 0.95),
        median(times),
        median(scans),
    );
    println!(
        "query p95     {:8.3} ms  median {:.3} ms  (target 1 ms: {:.2}×; naive substring scan median {:.3} ms)",
        ms(p95),
        ms(p50),
        ms(p95),
        ms(scan)
    );
    println!(
        "query p95 of each query's median {:.3} ms  (target 1 ms: {:.2}×)",
        ms(of_medians),
        ms(of_medians)
    );
    println!("slowest (median) {}", slowest.join(", "));

    let dist = tempfile::tempdir().unwrap();
    let name = format!(
        "search/{}.tantivy",
        plugdex::digest::hex(&plugdex::digest::sha256(&bytes))
    );
    std::fs::create_dir_all(dist.path().join("search")).unwrap();
    std::fs::write(dist.path().join(&name), &bytes).unwrap();
    std::fs::write(
        dist.path().join("config.json"),
        serde_json::json!({
            "v": 1, "id": "bench", "title": "bench", "engine": "bench",
            "base_url": "http://127.0.0.1/", "dl": "", "index": "index/", "names": "names.json",
            "api": "api/v1/", "root": "root.json", "timestamp": "timestamp.json",
            "search": {"v": 1, "bundle": name},
        })
        .to_string(),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_plugdex");
    let search = || {
        let mut c = Command::new(bin);
        c.args(["search", "calendar", "sync", "--dist"])
            .arg(dist.path());
        c
    };
    let version = || {
        let mut c = Command::new(bin);
        c.arg("--version");
        c
    };
    run(&mut search());
    let cli = median((0..21).map(|_| run(&mut search())).collect());
    let start = median((0..21).map(|_| run(&mut version())).collect());
    println!(
        "CLI search    {:8.1} ms  (target 20 ms: {:.2}×; `plugdex --version` {:.1} ms)",
        ms(cli),
        ms(cli) / 20.0,
        ms(start)
    );
}

fn main() {
    let sizes = std::env::var("SIZES").unwrap_or_else(|_| "10000".into());
    for n in sizes.split_whitespace() {
        bench(n.parse().expect("SIZES is a list of numbers"));
    }
}
