//! Relevance on judged queries: a real bundle built from two real plugin
//! catalogues (tests/corpus/: Logseq's marketplace and krew's index, with
//! their licences), queried with real plugins' words, typos, prefixes and
//! multi-word needs. The floors fail when ranking breaks (e.g. without the
//! name boost, typo tolerance or the every-word pass).

use std::path::Path;

use plugdex::search::{Filters, SearchDoc, Searcher};

fn epoch(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .unwrap_or(0)
}

fn corpus(file: &str) -> Vec<serde_json::Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn text(v: &serde_json::Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

/// Every plugin of both catalogues as `build` would index it: Logseq's
/// stars stand in for downloads.
pub fn documents() -> Vec<SearchDoc> {
    let mut docs = Vec::new();
    for p in corpus("logseq/manifests.jsonl") {
        let stats = &p["_stats"];
        let title = text(&p, "title");
        docs.push(SearchDoc {
            name: text(&p, "_dir"),
            version: Some("1.0.0".into()),
            description: format!("{title}: {}", text(&p, "description")),
            people: vec![text(&p, "author")],
            created: epoch(stats["created_at"].as_str().unwrap_or_default()),
            updated: epoch(stats["updated_at"].as_str().unwrap_or_default()),
            downloads: stats["stargazers_count"].as_u64().unwrap_or(0),
            ..SearchDoc::default()
        });
    }
    for p in corpus("krew/plugins.jsonl") {
        let long = text(&p, "description");
        docs.push(SearchDoc {
            name: text(&p, "name"),
            version: Some(text(&p, "version")),
            description: text(&p, "shortDescription"),
            readme: plugdex::search::schema::readme_text(&long),
            created: epoch(&text(&p, "first")),
            updated: epoch(&text(&p, "updated")),
            ..SearchDoc::default()
        });
    }
    docs.sort_by_key(|d| d.name.to_lowercase().replace('_', "-"));
    docs.dedup_by(|a, b| a.name.eq_ignore_ascii_case(&b.name));
    docs
}

/// (query, the plugins a user asking it wants; any of them counts).
const JUDGED: &[(&str, &[&str])] = &[
    ("kanban", &["logseq-kanban-plugin", "logseq-kanban-board"]),
    ("kanbna", &["logseq-kanban-plugin", "logseq-kanban-board"]),
    ("anki", &["logseq-anki-sync"]),
    ("mind map", &["logseq-mark-map", "logseq-mind-map"]),
    ("habit tracker", &["logseq-habit-tracker"]),
    ("habbit tracker", &["logseq-habit-tracker"]),
    ("heatmap", &["logseq-heatmap"]),
    ("heatmpa", &["logseq-heatmap"]),
    ("git", &["logseq-git"]),
    (
        "git sync",
        &["gitseq", "logseq-git", "logseq-github-auto-sync"],
    ),
    (
        "mermaid diagrams",
        &[
            "logseq-mermaid-plugin",
            "logseq-better-mermaid",
            "logseq-bermaid",
        ],
    ),
    (
        "mermai",
        &[
            "logseq-mermaid-plugin",
            "logseq-better-mermaid",
            "logseq-bermaid",
        ],
    ),
    (
        "google calendar sync",
        &[
            "logseq-calendars-plugin",
            "logseq-ical-sync",
            "logseq-google-agenda",
        ],
    ),
    (
        "kindle highlights",
        &["logseq-kindle-highlights", "logseq-kindle-import"],
    ),
    (
        "markdown table editor",
        &["logseq-markdown-table", "logseq-advanced-markdown-table"],
    ),
    ("chatgpt", &["logseq-chatgpt-plugin"]),
    (
        "telegram",
        &[
            "logseq-inbox-telegram-plugin",
            "loglink-integration",
            "logseq-local-telegram-bot",
        ],
    ),
    ("catppuccin", &["logseq-catppuccin"]),
    ("gruvbox theme", &["gruvbox-theme", "logseq-gruvbox-db"]),
    ("copy code block", &["logseq-copy-code-plugin"]),
    (
        "zotero",
        &["logseq-zoterolocal-plugin", "logseq-citation-manager"],
    ),
    (
        "pomodoro timer",
        &["logseq-pomodoro-timer", "logseq-pomodoro-technique"],
    ),
    (
        "pomodoro",
        &[
            "logseq-pomodoro-timer",
            "logseq-pomodoro-technique",
            "logseq-pomodoro-task-tracker",
        ],
    ),
    ("todoist", &["logseq-todoist-plugin"]),
    (
        "readwise",
        &[
            "logseq-readwise-official-plugin",
            "logseq-unofficial-readwise-plugin",
        ],
    ),
    ("excalidraw", &["logseq-excalidraw"]),
    ("vim", &["logseq-vim-shortcuts", "logseq-vim-editor"]),
    ("tabs", &["logseq-tabs"]),
    ("jira", &["logseq-jira"]),
    ("notion", &["logseq-notion-sync"]),
    ("hypothesis annotations", &["logseq-hypothesis"]),
    ("switch namespace", &["ns", "change-ns"]),
    ("switch context kubeconfig", &["ctx", "cs"]),
    ("decode secrets", &["view-secret"]),
    ("tcpdump packet capture", &["sniff", "dumpy"]),
    ("tree ownerReferences", &["tree"]),
    (
        "rbac permissions",
        &["who-can", "rbac-lookup", "access-matrix"],
    ),
    ("merge kubeconfig", &["konfig", "config-import"]),
    ("disk usage persistent volumes", &["df-pv"]),
    ("neat", &["neat"]),
    ("cert-manager", &["cert-manager"]),
    ("log tailing multiple pods", &["stern", "tail"]),
    ("outdated images", &["outdated"]),
    ("node shell", &["node-shell"]),
    ("oidc login", &["oidc-login"]),
];

/// Top-3 hit rate and mean reciprocal rank (of the first wanted plugin in the top 10).
pub fn measure(searcher: &Searcher, verbose: bool) -> (f64, f64) {
    let (mut top3, mut rr) = (0.0, 0.0);
    for (query, wanted) in JUDGED {
        let found = searcher
            .search(query, &Filters::default(), 10)
            .expect("the search runs");
        let rank = found
            .results
            .iter()
            .position(|h| wanted.contains(&h.name.as_str()));
        if verbose {
            let top: Vec<&str> = found
                .results
                .iter()
                .take(3)
                .map(|h| h.name.as_str())
                .collect();
            eprintln!("{query:>32}: rank {:?}  top {top:?}", rank.map(|r| r + 1));
        }
        if let Some(r) = rank {
            top3 += f64::from(u8::from(r < 3));
            rr += 1.0 / (r as f64 + 1.0);
        }
    }
    let n = JUDGED.len() as f64;
    (top3 / n, rr / n)
}

#[test]
fn judged_queries_find_the_plugins_users_want() {
    use plugdex::search::{OwnedBytes, indexer};
    let docs = documents();
    assert!(docs.len() > 1000, "both catalogues load: {}", docs.len());
    let bytes = indexer::build(&docs).expect("the bundle builds");
    assert_eq!(
        bytes,
        indexer::build(&docs).unwrap(),
        "the bundle is deterministic"
    );
    let searcher = Searcher::open(OwnedBytes::new(bytes)).expect("the bundle opens");
    let (top3, mrr) = measure(&searcher, true);
    eprintln!(
        "judged queries: {}, top-3 {top3:.3}, MRR {mrr:.3}",
        JUDGED.len()
    );
    assert!(
        top3 >= TOP3_FLOOR,
        "top-3 hit rate {top3:.3} fell below {TOP3_FLOOR}"
    );
    assert!(mrr >= MRR_FLOOR, "MRR {mrr:.3} fell below {MRR_FLOOR}");
}

/// Measured 0.978 and 0.983; plain BM25 (no boosts, typos, prefixes,
/// every-word pass or signals) gives 0.911 and 0.893, below both floors.
const TOP3_FLOOR: f64 = 0.95;
const MRR_FLOOR: f64 = 0.95;

/// The ranker skips scoring plugins that cannot reach the best `limit`
/// (`rank::SegmentRanker::below_floor`): the best 10 must be exactly the
/// first 10 of a search for 1,000, which skips nothing (it keeps up to
/// 8,000 before pruning, more than these documents), on queries that
/// match most plugins (prefixes, a stop word, multi-word needs).
#[test]
fn skipping_plugins_that_cannot_rank_changes_no_result() {
    use plugdex::search::{OwnedBytes, indexer};
    // The catalogues five times over (numbered names), so many queries
    // match more than the 512 kept before pruning starts.
    let base = documents();
    let mut docs: Vec<SearchDoc> = (0..5)
        .flat_map(|round| {
            base.iter().map(move |d| SearchDoc {
                name: format!("{}-{round}", d.name),
                ..d.clone()
            })
        })
        .collect();
    docs.sort_by_cached_key(|d| d.name.to_lowercase().replace('_', "-"));
    let searcher = Searcher::open(OwnedBytes::new(indexer::build(&docs).unwrap())).unwrap();
    let filters = Filters::default();
    let mut pruned_queries = 0;
    for query in [
        "c",
        "ca",
        "the",
        "plugin",
        "log",
        "kubectl",
        "sync notes",
        "disk usage persistent volumes",
        "log tailing multiple pods",
        "copy code block",
        "logseq ",
        "theme dark mode",
    ] {
        let ten = searcher.search(query, &filters, 10).unwrap();
        let all = searcher.search(query, &filters, 1000).unwrap();
        assert_eq!(ten.total, all.total, "{query}");
        let first: Vec<_> = all.results.iter().take(10).cloned().collect();
        assert_eq!(ten.results, first, "{query}");
        pruned_queries += usize::from(all.total > 512);
    }
    assert!(
        pruned_queries >= 4,
        "too few queries match enough plugins to prune"
    );
}
