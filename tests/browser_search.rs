//! Browser search in real headless Chromium (Debian's `chromium`, driven by
//! `playwright-core` from tests/browser/): the example registry built by
//! `plugdex build`, the web assets `plugdex::search::web::assets()` gives
//! written beside it, served by `plugdex serve` on loopback under the site's
//! Content-Security-Policy; a page searches through the JS API, and every
//! answer must equal `plugdex search --dist` for the same query.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// The CSP the site serves its pages with.
const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'";

/// `(query, filters)`: words, a typo, a prefix, an exact name, filters, and
/// a query nothing matches.
fn requests() -> Vec<Value> {
    vec![
        json!({ "query": "sync" }),
        json!({ "query": "git" }),
        json!({ "query": "citations bibtex" }),
        json!({ "query": "mermiad diagrams" }),
        json!({ "query": "mark" }),
        json!({ "query": "preview", "filters": { "limit": 2 } }),
        json!({ "query": "export", "filters": { "tier": "verified" } }),
        json!({ "query": "notes", "filters": { "tag": "sync" } }),
        json!({ "query": "sync", "filters": { "withoutPermission": "network" } }),
        json!({ "query": "markdown", "filters": { "engine": "1.5.0" } }),
        json!({ "query": "qqqzzzxxy" }),
    ]
}

/// `plugdex search --dist DIST --format json` for one request.
fn cli_search(dist: &Path, request: &Value) -> Value {
    let mut cmd = common::plugdex_cmd();
    cmd.args(["search", "--format", "json", "--dist"]).arg(dist);
    let filters = request["filters"].as_object().cloned().unwrap_or_default();
    for (key, value) in &filters {
        let flag = match key.as_str() {
            "tag" => "--tag",
            "runtime" => "--runtime",
            "tier" => "--tier",
            "withoutPermission" => "--without-permission",
            "engine" => "--engine",
            "limit" => "--limit",
            other => panic!("no CLI flag for filter {other}"),
        };
        let value = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        cmd.args([flag, &value]);
    }
    cmd.arg("--").arg(request["query"].as_str().unwrap());
    let out = cmd.output().expect("run plugdex search");
    assert!(
        out.status.success(),
        "plugdex search {request}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("plugdex search prints JSON")
}

/// The browser's answer equals the CLI's: same plugins in the same order,
/// same fields, and scores equal to f32 rounding.
fn assert_same(request: &Value, browser: &Value, cli: &Value) {
    let strip = |v: &Value| {
        let mut v = v.clone();
        for hit in v["results"].as_array_mut().into_iter().flatten() {
            hit.as_object_mut().unwrap().remove("score");
        }
        v
    };
    assert_eq!(
        strip(browser),
        strip(cli),
        "browser and CLI disagree on {request}"
    );
    let scores = |v: &Value| -> Vec<f64> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["score"].as_f64().unwrap())
            .collect()
    };
    for (b, c) in scores(browser).iter().zip(scores(cli)) {
        assert!(
            (b - c).abs() <= 1e-5 * c.abs().max(1.0),
            "scores differ on {request}: browser {b}, CLI {c}"
        );
    }
}

fn tests_browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// The example registry with the web assets and a test page, ready to serve.
fn site(dir: &Path) -> PathBuf {
    site_with(dir, "")
}

/// [`site`], with `registry_toml` appended to the example's registry.toml.
fn site_with(dir: &Path, registry_toml: &str) -> PathBuf {
    common::copy_tree(&common::example_index(), &dir.join("index"));
    let registry = dir.join("index/registry.toml");
    let mut toml = fs::read_to_string(&registry).unwrap();
    toml.push_str(registry_toml);
    fs::write(&registry, toml).unwrap();
    let dist = dir.join("dist");
    let (code, stderr) = common::build(&dir.join("index"), &dist, &[]);
    assert_eq!(code, 0, "{stderr}");
    let assets = plugdex::search::web::assets();
    for file in &assets.files {
        let path = dist.join(&file.path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &file.bytes).unwrap();
    }
    // An inline script would break the CSP: the page's script is a file.
    fs::write(
        dist.join("search-test.html"),
        "<!doctype html><meta charset=utf-8><title>search</title><script type=module src=/search-test.js></script>\n",
    )
    .unwrap();
    fs::write(
        dist.join("search-test.js"),
        format!(
            "import {{ openSearch }} from \"/{}\";\n\
             const engine = openSearch({{ root: \"/\" }});\n\
             window.plugdexSearch = (query, filters) => engine.search(query, filters);\n\
             window.plugdexReady = true;\n",
            assets.module
        ),
    )
    .unwrap();
    let mut headers = fs::read_to_string(dist.join("_headers")).unwrap();
    // Every response, as a site sends it: a worker runs under the policy of
    // its own script's response, not the page's.
    headers.push_str(&format!("/*\n  Content-Security-Policy: {CSP}\n"));
    fs::write(dist.join("_headers"), headers).unwrap();
    dist
}

/// Runs tests/browser/search.mjs on `url` for `requests`.
fn run_browser(url: &str, requests: &[Value], dir: &Path) -> Value {
    let browser_dir = tests_browser_dir();
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "tests/browser/node_modules is missing: run scripts/test.sh (it runs npm ci there and installs chromium)"
    );
    let file = dir.join("requests.json");
    fs::write(&file, serde_json::to_vec(requests).unwrap()).unwrap();
    let out = Command::new("node")
        .arg(browser_dir.join("search.mjs"))
        .arg(url)
        .arg(&file)
        .output()
        .expect("run node (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "tests/browser/search.mjs failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("search.mjs prints JSON")
}

fn urls(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["url"].as_str().or(e.as_str()).unwrap().to_owned())
        .collect()
}

#[test]
fn browser_search_matches_the_cli_under_the_site_csp_and_loads_lazily() {
    let dir = tempfile::tempdir().unwrap();
    let dist = site(dir.path());
    let server = plugdex::serve::bind(&dist, "127.0.0.1:0").expect("bind");
    let addr = server.local_addr().unwrap();
    let served = dist.clone();
    std::thread::spawn(move || plugdex::serve::serve_forever(server, &served));

    let requests = requests();
    let report = run_browser(
        &format!("http://{addr}/search-test.html"),
        &requests,
        dir.path(),
    );

    assert_eq!(
        report["pageHeaders"]["content-security-policy"], CSP,
        "the page is served under the CSP"
    );
    assert_eq!(
        report["cspViolations"],
        json!([]),
        "the CSP blocked something"
    );

    // Lazy: the page loads the module only; nothing of search until a search.
    let before = urls(&report["beforeSearch"]);
    for url in &before {
        assert!(
            !url.ends_with(".wasm")
                && !url.ends_with(".tantivy")
                && !url.ends_with("config.json")
                && !url.contains("worker"),
            "fetched before any search: {url} (all: {before:?})"
        );
    }
    let first = urls(&report["firstSearch"]);
    for wanted in [
        ".wasm",
        ".tantivy",
        "/config.json",
        "plugdex-search-worker.",
    ] {
        assert!(
            first.iter().any(|u| u.contains(wanted)),
            "the first search fetched no {wanted}: {first:?}"
        );
    }
    assert_eq!(
        urls(&report["laterSearches"]),
        Vec::<String>::new(),
        "later searches fetch nothing"
    );

    let answers = report["answers"].as_array().unwrap();
    assert_eq!(answers.len(), requests.len());
    let mut matched_any = 0;
    for (request, browser) in requests.iter().zip(answers) {
        assert!(browser.get("error").is_none(), "{request}: {browser}");
        let cli = cli_search(&dist, request);
        assert_same(request, browser, &cli);
        matched_any += usize::from(browser["total"].as_u64().unwrap() > 0);
    }
    // The comparison means something only if most queries find plugins.
    assert!(
        matched_any >= requests.len() - 1,
        "too few queries matched: {answers:?}"
    );
}

#[test]
fn browser_search_reports_bad_filters_and_a_registry_without_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let dist = site(dir.path());
    let server = plugdex::serve::bind(&dist, "127.0.0.1:0").expect("bind");
    let addr = server.local_addr().unwrap();
    let served = dist.clone();
    std::thread::spawn(move || plugdex::serve::serve_forever(server, &served));

    let requests = vec![
        json!({ "query": "sync", "filters": { "tier": "golden" } }),
        json!({ "query": "sync", "filters": { "engine": "not-a-version" } }),
        json!({ "query": "sync", "filters": { "colour": "red" } }),
        // The engine still answers after refusing a request.
        json!({ "query": "sync" }),
    ];
    let report = run_browser(
        &format!("http://{addr}/search-test.html"),
        &requests,
        dir.path(),
    );
    let answers = report["answers"].as_array().unwrap();
    let error = |i: usize| answers[i]["error"].as_str().unwrap_or_default().to_owned();
    assert!(error(0).contains("golden"), "{}", answers[0]);
    assert!(error(1).contains("not-a-version"), "{}", answers[1]);
    assert!(error(2).contains("colour"), "{}", answers[2]);
    assert!(answers[3]["total"].as_u64().unwrap() > 0, "{}", answers[3]);

    // A registry whose config.json names no bundle: a clear error, not a hang.
    let config = dist.join("config.json");
    let mut value: Value = serde_json::from_slice(&fs::read(&config).unwrap()).unwrap();
    value.as_object_mut().unwrap().remove("search");
    fs::write(&config, serde_json::to_vec(&value).unwrap()).unwrap();
    let report = run_browser(
        &format!("http://{addr}/search-test.html"),
        &[json!({ "query": "sync" })],
        dir.path(),
    );
    let error = report["answers"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("names no search bundle"),
        "{}",
        report["answers"][0]
    );
}

#[test]
fn a_large_registrys_browser_bundle_is_what_the_browser_loads_and_searches() {
    let dir = tempfile::tempdir().unwrap();
    // Every bundle is "large" at a threshold of one byte.
    let dist = site_with(dir.path(), "\n[output]\nbrowser_search_bundle_over = 1\n");
    let config: Value =
        serde_json::from_slice(&fs::read(dist.join("config.json")).unwrap()).unwrap();
    let full = config["search"]["bundle"].as_str().unwrap().to_owned();
    let browser = config["search"]["browser"]
        .as_str()
        .expect("a browser bundle")
        .to_owned();
    let server = plugdex::serve::bind(&dist, "127.0.0.1:0").expect("bind");
    let addr = server.local_addr().unwrap();
    let served = dist.clone();
    std::thread::spawn(move || plugdex::serve::serve_forever(server, &served));

    // Words, a typo, a prefix and a word only a README has ("xelatex").
    let queries = [
        "sync",
        "citations bibtex",
        "mermiad diagrams",
        "mark",
        "xelatex",
    ];
    let requests: Vec<Value> = queries.iter().map(|q| json!({ "query": q })).collect();
    let report = run_browser(
        &format!("http://{addr}/search-test.html"),
        &requests,
        dir.path(),
    );
    let first = urls(&report["firstSearch"]);
    assert!(
        first.iter().any(|u| u.ends_with(&format!("/{browser}"))),
        "the browser bundle was not fetched: {first:?}"
    );
    assert!(
        !first.iter().any(|u| u.ends_with(&format!("/{full}"))),
        "the full bundle was fetched too: {first:?}"
    );
    // The same engine and ranking as natively over the same file.
    let bytes = fs::read(dist.join(&browser)).unwrap();
    let searcher =
        plugdex::search::Searcher::open(plugdex::search::OwnedBytes::new(bytes)).unwrap();
    let answers = report["answers"].as_array().unwrap();
    for ((request, query), browser) in requests.iter().zip(queries).zip(answers) {
        assert!(browser.get("error").is_none(), "{request}: {browser}");
        let native = searcher
            .search(query, &plugdex::search::Filters::default(), 10)
            .unwrap();
        assert_same(request, browser, &serde_json::to_value(native).unwrap());
    }
    assert!(answers[0]["total"].as_u64().unwrap() > 0);
    // README text is the command line's only.
    assert_eq!(answers[4]["total"], 0, "{}", answers[4]);
    assert!(cli_search(&dist, &requests[4])["total"].as_u64().unwrap() > 0);
}
