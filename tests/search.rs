//! `plugdex search --dist` over real builds of the example index: the
//! transcript, the filters, `build --stats`, the bundle reused when nothing
//! searchable changed, and ranking rules a catalogue alone cannot show
//! (a copycat below the plugin it copies, demotion of deprecated and yanked).

mod common;

use std::path::{Path, PathBuf};

use plugdex::search::{Filters, OwnedBytes, SearchDoc, Searcher, indexer};
use snapbox::cmd::Command;
use snapbox::{Assert, Redactions, file};

/// The example built unsigned into a temporary `dist`.
fn built(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dist");
    let (code, stderr) = common::build(&common::example_index(), &out, extra);
    assert_eq!(code, 0, "{stderr}");
    (tmp, out)
}

/// `plugdex search ARGS --dist OUT --format json`: the result names, in order.
fn names(out: &Path, args: &[&str]) -> Vec<String> {
    let output = common::plugdex_cmd()
        .arg("search")
        .args(args)
        .arg("--dist")
        .arg(out)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let found: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

fn bundle_of(out: &Path) -> String {
    let config: plugdex::format::published::Config =
        serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
    config.search.unwrap().bundle
}

#[test]
fn search_prints_results_as_text_and_as_the_documented_json() {
    let (tmp, out) = built(&[]);
    let mut redactions = Redactions::new();
    redactions
        .insert("[TMP]", tmp.path().to_path_buf())
        .unwrap();
    let run = |args: &[&str]| {
        Command::from_std(common::plugdex_cmd())
            .arg("search")
            .args(args)
            .arg("--dist")
            .arg(&out)
            .with_assert(
                Assert::new()
                    .action_env("SNAPSHOTS")
                    .redact_with(redactions.clone()),
            )
    };
    run(&["citation", "styles"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/search-citation.stdout"]);
    run(&["citations", "--format", "json", "--limit", "2"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/search-citation.json"]);
    run(&["citatoins", "--explain", "--limit", "2"])
        .assert()
        .success()
        .stdout_eq(file!["snapshots/search-explain.stdout"]);
    // A build without a bundle (or not a build at all): named, with what to do.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    Command::from_std(common::plugdex_cmd())
        .args(["search", "git", "--dist"])
        .arg(&empty)
        .with_assert(
            Assert::new()
                .action_env("SNAPSHOTS")
                .redact_with(redactions.clone()),
        )
        .assert()
        .code(1)
        .stderr_eq(file!["snapshots/search-no-bundle.stderr"]);
}

#[test]
fn filters_compose() {
    let (_tmp, out) = built(&[]);
    let all = names(&out, &["markdown", "--limit", "100"]);
    assert!(all.len() > 3, "{all:?}");
    let wasm = names(&out, &["markdown", "--runtime", "wasm", "--limit", "100"]);
    assert!(!wasm.is_empty() && wasm.len() < all.len(), "{wasm:?}");
    assert!(wasm.contains(&"bibtex-parser".to_owned()) || wasm.iter().all(|n| all.contains(n)));
    let verified = names(&out, &["markdown", "--tier", "verified", "--limit", "100"]);
    assert!(verified.iter().all(|n| all.contains(n)) && verified.len() < all.len());
    // `git` asks for the network: gone with `--without-permission network`.
    assert_eq!(names(&out, &["git"]), ["git"]);
    assert!(names(&out, &["git", "--without-permission", "network"]).is_empty());
    // Composed: each filter narrows what the other kept.
    let both = names(
        &out,
        &[
            "markdown",
            "--runtime",
            "wasm",
            "--tier",
            "verified",
            "--limit",
            "100",
        ],
    );
    assert!(
        both.iter()
            .all(|n| wasm.contains(n) && verified.contains(n))
    );
    // Tags are whole values.
    let tagged = names(&out, &["sync", "--tag", "sync", "--limit", "100"]);
    assert!(!tagged.is_empty());
    assert!(names(&out, &["sync", "--tag", "syn"]).is_empty());
}

#[test]
fn engine_keeps_plugins_with_a_non_yanked_version_for_that_host() {
    let (_tmp, out) = built(&[]);
    // git 2.0.0 needs engine >=2; 1.x accepts 1.5.0 (the client tests install it).
    assert_eq!(names(&out, &["git", "--engine", "1.5.0"]), ["git"]);
    assert_eq!(names(&out, &["git", "--engine", "2.1.0"]), ["git"]);
    assert!(names(&out, &["git", "--engine", "0.1.0"]).is_empty());
}

/// The score and popularity factor of `name` for `query` (`--explain`, JSON).
fn explained(out: &Path, query: &str, name: &str) -> (f64, f64) {
    let output = common::plugdex_cmd()
        .args(["search", query, "--explain", "--format", "json", "--dist"])
        .arg(out)
        .output()
        .unwrap();
    let found: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let hit = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == name)
        .unwrap_or_else(|| panic!("{name} found for {query}: {found}"));
    (
        hit["score"].as_f64().unwrap(),
        hit["explain"]["factors"]["popularity"].as_f64().unwrap(),
    )
}

#[test]
fn stats_raise_popular_plugins_and_bad_stats_stop_the_build_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let index = common::example_index();
    let plain = tmp.path().join("plain");
    assert_eq!(common::build(&index, &plain, &[]).0, 0);
    let stats = tmp.path().join("stats.json");
    // Other keys are ignored; names match by canonical form.
    std::fs::write(
        &stats,
        r#"{"Pandoc_Export": {"downloads": 999999, "stars": 3}, "nobody": {"downloads": 1}}"#,
    )
    .unwrap();
    let popular = tmp.path().join("popular");
    let (code, stderr) = common::build(&index, &popular, &["--stats", stats.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let (before, neutral) = explained(&plain, "citation", "pandoc-export");
    let (after, factor) = explained(&popular, "citation", "pandoc-export");
    assert_eq!(neutral, 1.0);
    assert!(
        (factor - 1.6).abs() < 1e-3,
        "1 + 0.1 × log10(1,000,000): {factor}"
    );
    assert!((after / before - factor).abs() < 1e-3, "{before} → {after}");
    assert_ne!(
        bundle_of(&plain),
        bundle_of(&popular),
        "stats are part of the bundle"
    );

    for (text, what) in [
        ("{\"git\": {\"downloads\": -3}}", "invalid value"),
        ("{\"git\": ", "EOF"),
    ] {
        std::fs::write(&stats, text).unwrap();
        let out = tmp.path().join("bad");
        let (code, stderr) = common::build(&index, &out, &["--stats", stats.to_str().unwrap()]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(&stats.display().to_string()), "{stderr}");
        assert!(
            stderr.contains(what) && stderr.contains("downloads"),
            "{stderr}"
        );
        assert!(!out.exists(), "nothing written");
    }
}

#[test]
fn the_bundle_is_reused_until_a_searchable_fact_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    common::copy_tree(&common::example_index(), &index);
    let out = tmp.path().join("dist");
    let state = tmp.path().join(".dist.plugdex");
    assert_eq!(common::build(&index, &out, &[]).0, 0);
    let first = bundle_of(&out);
    let kept = std::fs::metadata(state.join("search.tantivy"))
        .unwrap()
        .modified()
        .unwrap();
    // Rebuilt from the same facts: the kept bundle is used, not written again.
    assert_eq!(common::build(&index, &out, &[]).0, 0);
    assert_eq!(bundle_of(&out), first);
    assert_eq!(
        std::fs::metadata(state.join("search.tantivy"))
            .unwrap()
            .modified()
            .unwrap(),
        kept,
        "not indexed again"
    );
    // A kept copy damaged on disk is not published: indexing again gives the same bundle.
    std::fs::write(state.join("search.tantivy"), b"junk").unwrap();
    assert_eq!(common::build(&index, &out, &[]).0, 0);
    assert_eq!(bundle_of(&out), first);
    let bytes = std::fs::read(out.join(&first)).unwrap();
    assert!(Searcher::open(OwnedBytes::new(bytes)).is_ok());
    // A description changes: a new bundle, which finds the new words.
    let toml = index.join("plugins/3/g/git/plugin.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(
        &toml,
        text.replacen("description = \"", "description = \"Zeppelin. ", 1),
    )
    .unwrap();
    assert_eq!(common::build(&index, &out, &[]).0, 0);
    assert_ne!(bundle_of(&out), first);
    assert_eq!(names(&out, &["zeppelin"]), ["git"]);
    assert!(
        !out.join(&first).exists(),
        "the old bundle is gone from the output"
    );
}

/// `config.json`'s `search` of the build in `out`.
fn search_config(out: &Path) -> plugdex::format::published::SearchConfig {
    let config: plugdex::format::published::Config =
        serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
    config.search.unwrap()
}

fn searcher_of(out: &Path, path: &str) -> Searcher {
    let bytes = std::fs::read(out.join(path)).unwrap();
    Searcher::open(OwnedBytes::new(bytes)).unwrap()
}

fn result_names(searcher: &Searcher, query: &str) -> Vec<String> {
    let found = searcher.search(query, &Filters::default(), 100).unwrap();
    found.results.into_iter().map(|h| h.name).collect()
}

#[test]
fn a_bundle_over_the_threshold_gets_a_browser_bundle_without_readme_text() {
    // The example is far under the default threshold: one bundle.
    let (_tmp, out) = built(&[]);
    assert_eq!(search_config(&out).browser, None);
    assert!(!out.join("search/browser").exists());

    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    common::copy_tree(&common::example_index(), &index);
    let registry = index.join("registry.toml");
    let mut toml = std::fs::read_to_string(&registry).unwrap();
    toml.push_str("\n[output]\nbrowser_search_bundle_over = 1\n");
    std::fs::write(&registry, toml).unwrap();
    let out = tmp.path().join("dist");
    assert_eq!(common::build(&index, &out, &[]).0, 0);
    let search = search_config(&out);
    let browser = search.browser.clone().expect("a browser bundle");
    let bytes = std::fs::read(out.join(&browser)).unwrap();
    let hash = plugdex::digest::hex(&plugdex::digest::sha256(&bytes));
    assert_eq!(browser, format!("search/browser/{hash}.tantivy"));
    assert!(
        bytes.len() < std::fs::metadata(out.join(&search.bundle)).unwrap().len() as usize,
        "smaller than the full bundle"
    );
    // No client reads it, so the snapshot does not cover it (no by-hash
    // copy), while the full bundle is covered.
    let files = common::read_tree(&out);
    let named = |sha: &str| files.keys().filter(|p| p.contains(sha)).count();
    assert_eq!(named(&hash), 1, "only the browser bundle itself");
    let full_hash = search
        .bundle
        .trim_start_matches("search/")
        .trim_end_matches(".tantivy");
    assert!(named(full_hash) > 1, "the full bundle has its by-hash copy");

    // The same plugins and the same ranking, without README words: a word
    // only a README has ("xelatex", pandoc-export's) is found by the CLI's
    // bundle only.
    let (full, lean) = (
        searcher_of(&out, &search.bundle),
        searcher_of(&out, &browser),
    );
    assert_eq!(full.len(), lean.len());
    assert!(result_names(&full, "xelatex").contains(&"pandoc-export".to_owned()));
    assert_eq!(result_names(&lean, "xelatex"), Vec::<String>::new());
    assert_eq!(
        names(&out, &["xelatex"])[0],
        "pandoc-export",
        "the CLI: the full one"
    );
    for query in ["git", "citations", "mermaid diagrams", "citatoins", "sync"] {
        let (a, b) = (result_names(&full, query), result_names(&lean, query));
        assert!(
            !b.is_empty(),
            "{query}: nothing found in the browser bundle"
        );
        assert_eq!(a[0], b[0], "{query}: the same best plugin ({a:?} / {b:?})");
    }

    // Deterministic, and kept with the full one: a rebuild of the same
    // facts reuses both.
    let state = tmp.path().join(".dist.plugdex");
    let kept = std::fs::metadata(state.join("search-browser.tantivy"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(common::build(&index, &out, &[]).0, 0);
    assert_eq!(search_config(&out), search);
    let modified = std::fs::metadata(state.join("search-browser.tantivy"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(modified, kept, "not indexed again");
    let again = tmp.path().join("again");
    assert_eq!(common::build(&index, &again, &[]).0, 0);
    assert_eq!(std::fs::read(again.join(&browser)).unwrap(), bytes);
    // Under the threshold again: the browser bundle goes.
    let toml = std::fs::read_to_string(&registry).unwrap();
    let toml = toml.replace(
        "browser_search_bundle_over = 1\n",
        "browser_search_bundle_over = 100000000\n",
    );
    std::fs::write(&registry, toml).unwrap();
    let (code, stderr) = common::build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(search_config(&out).browser, None);
    assert!(!out.join(&browser).exists());
    assert!(!state.join("search-browser.tantivy").exists());
}

fn doc(name: &str, description: &str, created: i64, updated: i64) -> SearchDoc {
    SearchDoc {
        name: name.into(),
        version: Some("1.0.0".into()),
        description: description.into(),
        tags: vec!["tasks".into()],
        created,
        updated,
        ..SearchDoc::default()
    }
}

#[test]
fn a_copycat_ranks_below_the_plugin_it_copies_and_deprecated_or_yanked_ones_sink() {
    const YEAR: i64 = 365 * 86_400;
    let now = 10 * YEAR;
    let words = "Kanban boards for your tasks, with drag and drop between columns";
    let mut docs = vec![
        // Established for years, last updated a year ago.
        doc("kanban-board", words, now - 4 * YEAR, now - YEAR),
        // Published this week with the same words (and a shorter name).
        doc("kanban-boards", words, now - 86_400, now),
        doc("old-kanban", "Kanban boards", now - 5 * YEAR, now - YEAR),
        doc("gone-kanban", "Kanban boards", now - 5 * YEAR, now - YEAR),
    ];
    docs[2].deprecated = true;
    docs[3].version = None;
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    let searcher = Searcher::open(OwnedBytes::new(indexer::build(&docs).unwrap())).unwrap();
    let order: Vec<String> = searcher
        .search("kanban boards drag and drop", &Filters::default(), 10)
        .unwrap()
        .results
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(
        order,
        ["kanban-board", "kanban-boards", "old-kanban", "gone-kanban"]
    );
    // Downloads decide between otherwise equal plugins.
    let mut twins = vec![
        doc("board-a", words, now - YEAR, now - YEAR),
        doc("board-b", words, now - YEAR, now - YEAR),
    ];
    twins[1].downloads = 5000;
    let twins = Searcher::open(OwnedBytes::new(indexer::build(&twins).unwrap())).unwrap();
    let first = &twins
        .search("kanban", &Filters::default(), 2)
        .unwrap()
        .results[0];
    assert_eq!(first.name, "board-b");
    // Typing the copycat's exact name still finds it first.
    let exact = searcher
        .search("kanban-boards", &Filters::default(), 1)
        .unwrap();
    assert_eq!(exact.results[0].name, "kanban-boards");
}
