//! Search figures at 10,000 plugins (and 100,000 with `SIZES="10000 100000"`),
//! each against its target or a peer measured in the same run:
//!
//! * bundle size raw, gzip -9 and brotli -q 11 (target ≤ 1.0 MB brotli);
//! * bundle build time, median of 3 (target ≤ 1 s on 2 cores);
//! * query p95 and median over judged, typo and prefix queries, warm
//!   (target ≤ 1 ms), against a naive substring scan of every description;
//!   and the p95 of each query's median, which a loaded machine moves less;
//! * `plugdex search --dist` whole command, median warm (target ≤ 20 ms),
//!   against `plugdex --version` (the process's own start-up);
//! * the browser's bundle (no README text) beside the full one: its sizes,
//!   build time and query figures, as ratios to the full bundle's.
//!
//! Documents are the real catalogues of tests/corpus/ (Logseq, krew) repeated
//! with numbered names until there are N: real words, real lengths.
//!
//!     cargo bench --bench search
//!     SIZES="10000 100000" cargo bench --bench search
//!     PROFILE="disk usage persistent volumes" cargo bench --bench search   # one query, for a profiler

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

/// A bundle's sizes and build time (median of 3), printed; its bytes.
fn built(what: &str, build: impl Fn() -> Vec<u8>) -> (Vec<u8>, Duration) {
    let mut builds = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        bytes = build();
        builds.push(t.elapsed());
    }
    let build = median(builds);
    let raw = bytes.len();
    let gz = gzip(&bytes);
    let mb = |b: usize| b as f64 / 1e6;
    println!("{what} raw    {:8.3} MB", mb(raw));
    println!(
        "{what} gzip   {:8.3} MB  ({:.0}% of raw)",
        mb(gz),
        100.0 * gz as f64 / raw as f64
    );
    match brotli(&bytes) {
        Some(br) => println!(
            "{what} brotli {:8.3} MB  (target 1.0 MB: {:.2}×)",
            mb(br),
            mb(br) / 1.0
        ),
        None => println!("{what} brotli: the `brotli` tool is not installed"),
    }
    println!(
        "{what} build  {:8.1} ms  (target 1000 ms: {:.2}×)",
        ms(build),
        ms(build) / 1000.0
    );
    (bytes, build)
}

/// Query figures over [`QUERIES`], 20 warm runs each, printed: the p95 and
/// median of single runs, the p95 of each query's median, and the slowest
/// queries. Returns the p95 and the median.
fn queries(what: &str, searcher: &Searcher) -> (Duration, Duration) {
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
    let (p95, p50) = (percentile(times.clone(), 0.95), median(times));
    println!(
        "{what} query p95 {:8.3} ms  median {:.3} ms  (target 1 ms: {:.2}×)",
        ms(p95),
        ms(p50),
        ms(p95),
    );
    println!(
        "{what} query p95 of each query's median {:.3} ms  (target 1 ms: {:.2}×)",
        ms(of_medians),
        ms(of_medians)
    );
    println!("{what} slowest (median) {}", slowest.join(", "));
    (p95, p50)
}

fn bench(n: usize) {
    println!("== {n} plugins");
    let docs = corpus_docs(n);
    let (bytes, build) = built("bundle", || {
        indexer::build(&docs).expect("the bundle builds")
    });
    let searcher = Searcher::open(OwnedBytes::new(bytes.clone())).expect("the bundle opens");
    let (p95, p50) = queries("bundle", &searcher);
    let lowered: Vec<String> = docs.iter().map(|d| d.description.to_lowercase()).collect();
    let mut scans = Vec::new();
    for q in QUERIES {
        let t = Instant::now();
        std::hint::black_box(lowered.iter().filter(|d| d.contains(q)).count());
        scans.push(t.elapsed());
    }
    println!(
        "naive substring scan of every description (peer), median {:.3} ms",
        ms(median(scans))
    );

    // The browser's bundle (written when the full one is over `[output]
    // browser_search_bundle_over`), against the full one measured above.
    let (lean, lean_build) = built("browser bundle", || {
        plugdex::emit::search::browser_bundle(&docs)
            .expect("the browser bundle builds")
            .bytes
    });
    let lean_searcher = Searcher::open(OwnedBytes::new(lean.clone())).expect("it opens");
    let (lean_p95, lean_p50) = queries("browser bundle", &lean_searcher);
    println!(
        "browser bundle / bundle: raw {:.2}×, gzip {:.2}×, build {:.2}×, query p95 {:.2}×, median {:.2}×",
        lean.len() as f64 / bytes.len() as f64,
        gzip(&lean) as f64 / gzip(&bytes) as f64,
        lean_build.as_secs_f64() / build.as_secs_f64(),
        lean_p95.as_secs_f64() / p95.as_secs_f64(),
        lean_p50.as_secs_f64() / p50.as_secs_f64(),
    );
    drop((lean, lean_searcher));

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

/// `PROFILE="QUERY"`: only that query, run for about 10 s at each size, for
/// a profiler (`perf record`, `valgrind --tool=callgrind`) to see where a
/// query's time goes; prints its median.
fn profile(n: usize, query: &str) {
    let docs = corpus_docs(n);
    let bytes = indexer::build(&docs).expect("the bundle builds");
    let searcher = Searcher::open(OwnedBytes::new(bytes)).expect("the bundle opens");
    let filters = Filters::default();
    let mut times = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        let t = Instant::now();
        std::hint::black_box(searcher.search(query, &filters, 10).unwrap());
        times.push(t.elapsed());
    }
    println!(
        "{n} plugins, {query:?}: median {:.3} ms over {} runs",
        ms(median(times.clone())),
        times.len()
    );
}

fn main() {
    let sizes = std::env::var("SIZES").unwrap_or_else(|_| "10000".into());
    let only = std::env::var("PROFILE").ok();
    for n in sizes.split_whitespace() {
        let n = n.parse().expect("SIZES is a list of numbers");
        match &only {
            Some(query) => profile(n, query),
            None => bench(n),
        }
    }
}
