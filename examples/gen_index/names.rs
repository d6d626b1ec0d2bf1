//! Unique, non-confusable plugin names built from the corpus names.

use std::collections::HashSet;

use plugdex::format::name::{BUILTIN_RESERVED, PluginName, skeleton};

use super::corpus::Corpus;
use super::util::Rng;

/// Words combined with corpus names: `<name>-<word>`, `<word>-<name>`, ...
pub const WORDS: &[&str] = &[
    "cli",
    "lsp",
    "fmt",
    "lint",
    "tools",
    "utils",
    "sync",
    "export",
    "import",
    "theme",
    "dark",
    "light",
    "extra",
    "plus",
    "lite",
    "pro",
    "core",
    "ext",
    "bridge",
    "adapter",
    "helper",
    "kit",
    "sdk",
    "api",
    "client",
    "server",
    "proxy",
    "cache",
    "watch",
    "preview",
    "graph",
    "calendar",
    "tasks",
    "notes",
    "git",
    "docker",
    "k8s",
    "wasm",
    "native",
    "shell",
    "zsh",
    "fish",
    "vim",
    "emacs",
    "web",
    "http",
    "grpc",
    "json",
    "yaml",
    "toml",
    "csv",
    "sql",
    "db",
    "auth",
    "vault",
    "secrets",
    "metrics",
    "trace",
    "logs",
    "debug",
    "test",
    "bench",
    "docs",
    "gen",
    "build",
    "deploy",
    "release",
    "backup",
    "search",
    "index",
    "viewer",
    "editor",
    "runner",
    "agent",
    "daemon",
    "hooks",
    "macros",
    "snippets",
    "icons",
    "fonts",
    "colors",
    "charts",
    "mermaid",
    "latex",
    "pdf",
    "markdown",
    "ai",
    "llm",
    "translate",
    "spell",
    "clipboard",
    "notify",
    "timer",
    "pomodoro",
    "kanban",
    "journal",
    "zen",
    "mini",
    "next",
    "legacy",
    "compat",
    "community",
];

/// Names reserved in the generated `registry.toml` (on top of the built-in list).
pub const REGISTRY_RESERVED: &[&str] = &["admin", "registry", "official", "bench-plugdex"];

#[derive(Debug, Clone)]
pub struct GenName {
    pub name: String,
    /// Index of the corpus entry the name was built from.
    pub base: usize,
    /// The word combined with the base, if any.
    pub word: Option<&'static str>,
}

struct Taken {
    canonical: HashSet<String>,
    skeletons: HashSet<String>,
}

impl Taken {
    fn new() -> Taken {
        let mut t = Taken {
            canonical: HashSet::new(),
            skeletons: HashSet::new(),
        };
        for r in BUILTIN_RESERVED.iter().chain(REGISTRY_RESERVED) {
            t.canonical.insert(plugdex::format::name::canonical(r));
            t.skeletons.insert(skeleton(r));
        }
        t
    }

    /// Takes `candidate` if it is a valid, free, non-confusable, non-reserved name.
    fn try_take(&mut self, candidate: &str) -> bool {
        let Ok(name) = PluginName::parse(candidate) else {
            return false;
        };
        if name.is_builtin_reserved() {
            return false;
        }
        let canonical = name.canonical();
        let skel = name.skeleton();
        if self.canonical.contains(&canonical) || self.skeletons.contains(&skel) {
            return false;
        }
        self.canonical.insert(canonical);
        self.skeletons.insert(skel);
        true
    }
}

fn capitalize_segments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
        start = c == '-' || c == '_';
    }
    out
}

/// Prefixes that nearly all names of one catalogue share (564 of the 615
/// Logseq names start with `logseq`). Derived names usually drop them, or a
/// single shard folder (`lo/gs`) would hold a quarter of a large index.
const COMMON_PREFIXES: &[&str] = &["logseq-plugin-", "logseq-"];

/// The corpus name `name` as the base of a derived name.
fn derivation_base<'a>(name: &'a str, rng: &mut Rng) -> &'a str {
    let canonical = plugdex::format::name::canonical(name);
    for p in COMMON_PREFIXES {
        if canonical.starts_with(p) && canonical.len() > p.len() {
            return if rng.chance(10) {
                name
            } else {
                &name[p.len()..]
            };
        }
    }
    name
}

/// `count` names, in generation order: first the corpus names themselves,
/// then deterministic combinations of corpus names and [`WORDS`].
pub fn generate(corpus: &Corpus, count: usize, seed: u64) -> Vec<GenName> {
    let mut taken = Taken::new();
    let mut out = Vec::with_capacity(count);

    for (i, e) in corpus.entries.iter().enumerate() {
        if out.len() == count {
            return out;
        }
        if taken.try_take(&e.name) {
            out.push(GenName {
                name: e.name.clone(),
                base: i,
                word: None,
            });
        }
    }

    let mut rng = Rng::stream(seed, 0, 0x4e41_4d45); // "NAME"
    let mut misses = 0u32;
    let mut counter = 0u64;
    while out.len() < count {
        let base = rng.below(corpus.entries.len() as u64) as usize;
        let b = derivation_base(&corpus.entries[base].name, &mut rng);
        let w = *rng.pick(WORDS);
        let (candidate, word) = if misses >= 32 {
            // Saturated: a counter always ends up unique.
            counter += 1;
            (format!("{b}-{w}-{counter}"), Some(w))
        } else {
            match rng.below(100) {
                0..=39 => (format!("{b}-{w}"), Some(w)),
                40..=54 => (format!("{w}-{b}"), Some(w)),
                55..=64 => (format!("{b}_{w}"), Some(w)),
                65..=71 => (capitalize_segments(&format!("{b}-{w}")), Some(w)),
                72..=76 => (capitalize_segments(&format!("{b}_{w}")), Some(w)),
                77..=89 => (format!("{b}-{w}-{}", rng.range(2, 99)), Some(w)),
                90..=94 => (format!("{b}{}", rng.range(2, 20)), None),
                _ => (format!("{w}_{b}_{}", rng.pick(WORDS)), Some(w)),
            }
        };
        if candidate.len() <= plugdex::format::name::MAX_NAME_LEN && taken.try_take(&candidate) {
            out.push(GenName {
                name: candidate,
                base,
                word,
            });
            misses = 0;
        } else {
            misses += 1;
        }
    }
    out
}
