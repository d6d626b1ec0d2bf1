//! The real plugin catalogues under `benches/data/corpus/`, embedded at
//! compile time so the generator needs no files at run time.

use super::util::one_line;

const ASDF: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/data/corpus/asdf/plugins.tsv"
));
const KREW: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/data/corpus/krew/plugins.tsv"
));
const LOGSEQ: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/data/corpus/logseq/manifests.jsonl"
));

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Asdf,
    Krew,
    Logseq,
}

impl Source {
    /// The tag plugins derived from this catalogue carry.
    pub fn tag(self) -> &'static str {
        match self {
            Source::Asdf => "version-manager",
            Source::Krew => "kubectl",
            Source::Logseq => "logseq",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub source: Source,
    pub name: String,
    /// Cleaned one-line description (≤ 280 characters), if the catalogue has one.
    pub description: Option<String>,
    /// Human title (logseq only).
    pub title: Option<String>,
    /// `https` URL of the upstream repository, if known.
    pub repository: Option<String>,
    /// Upstream owner's login, if it is a valid GitHub login.
    pub owner: Option<String>,
}

pub struct Corpus {
    pub entries: Vec<Entry>,
    /// Every real description, for plugins whose base entry has none.
    pub descriptions: Vec<String>,
    /// Valid, distinct GitHub logins seen in the catalogues.
    pub logins: Vec<String>,
}

/// A GitHub login: ASCII letters, digits and single inner hyphens, ≤ 39 characters.
pub fn is_github_login(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn clean_description(s: &str) -> Option<String> {
    let d = one_line(s, 280);
    if d.is_empty() { None } else { Some(d) }
}

impl Corpus {
    pub fn load() -> Corpus {
        let mut entries = Vec::new();

        for line in ASDF.lines() {
            let Some((name, url)) = line.split_once('\t') else {
                continue;
            };
            let url = url.trim();
            let repo = url.strip_suffix(".git").unwrap_or(url);
            let repository = repo.starts_with("https://").then(|| repo.to_owned());
            // https://github.com/<owner>/<repo>
            let owner = repo
                .strip_prefix("https://github.com/")
                .and_then(|rest| rest.split('/').next())
                .filter(|o| is_github_login(o))
                .map(str::to_owned);
            entries.push(Entry {
                source: Source::Asdf,
                name: name.trim().to_owned(),
                description: None,
                title: None,
                repository,
                owner,
            });
        }

        for line in KREW.lines() {
            let Some((name, desc)) = line.split_once('\t') else {
                continue;
            };
            entries.push(Entry {
                source: Source::Krew,
                name: name.trim().to_owned(),
                description: clean_description(desc),
                title: None,
                repository: None,
                owner: None,
            });
        }

        for line in LOGSEQ.lines() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line)
                .expect("benches/data/corpus/logseq/manifests.jsonl is JSON lines");
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
            let repo = s("repo");
            let owner = repo
                .split('/')
                .next()
                .filter(|o| is_github_login(o))
                .map(str::to_owned);
            let repository = (repo.split('/').count() == 2
                && repo
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)))
            .then(|| format!("https://github.com/{repo}"));
            entries.push(Entry {
                source: Source::Logseq,
                name: s("_dir"),
                description: clean_description(&s("description")),
                title: clean_description(&s("title")),
                repository,
                owner,
            });
        }

        let descriptions: Vec<String> = entries
            .iter()
            .filter_map(|e| e.description.clone())
            .collect();

        let mut seen = std::collections::HashSet::new();
        let mut logins = Vec::new();
        for e in &entries {
            if let Some(o) = &e.owner
                && seen.insert(o.to_ascii_lowercase())
            {
                logins.push(o.clone());
            }
        }

        Corpus {
            entries,
            descriptions,
            logins,
        }
    }
}
