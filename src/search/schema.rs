//! The bundle's schema and analyzers, and the searchable facts of one plugin
//! ([`SearchDoc`]). The indexer and every reader (the CLI, the browser's
//! wasm) register the same analyzers through [`analyzers`], so a
//! query is cut into the same terms the index holds.

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer, TokenizerManager,
};

use crate::format::published::Tier;

/// English prose: descriptions, tags, capabilities, READMEs.
pub const ENGLISH: &str = "plugdex_en";
/// Name words: stemmed, but no stop words ("the-one" keeps "the").
pub const NAME: &str = "plugdex_name";
/// People: folded and lowercased, never stemmed.
pub const PLAIN: &str = "plugdex_plain";
/// Whole values (tags, the name key, filter facets): lowercased, one token.
pub const KEYWORD: &str = "plugdex_keyword";

/// How much of a README is indexed, in bytes of its text: enough for its
/// opening paragraphs, bounded so one long README does not grow the bundle.
pub const README_BYTES: usize = 1500;

/// The searchable facts of one plugin, as `build` extracts them from the
/// model. Owned and serialisable: the build cache keeps them per plugin, and
/// the bundle is rebuilt only when one of them changes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    /// As the folder spells it.
    pub name: String,
    /// The latest version (stable, else beta); `None` when every version is yanked.
    pub version: Option<String>,
    pub description: String,
    pub tags: Vec<String>,
    /// Authors and owners' logins.
    pub people: Vec<String>,
    /// Capability names and descriptions of the latest version.
    pub capabilities: Vec<String>,
    /// The README's text, at most [`README_BYTES`] (see [`readme_text`]).
    pub readme: String,
    /// Trust tier of the latest version.
    pub tier: Option<Tier>,
    /// Runtime, channel and permissions of the latest version (lowercase).
    pub runtime: Option<String>,
    pub channel: Option<String>,
    pub permissions: Vec<String>,
    /// Engine requirements of every non-yanked version.
    pub engines: Vec<String>,
    /// First and latest publication, seconds since the epoch.
    pub created: i64,
    pub updated: i64,
    /// From `build --stats`; 0 when unknown.
    pub downloads: u64,
    pub deprecated: bool,
}

impl SearchDoc {
    pub fn all_yanked(&self) -> bool {
        self.version.is_none()
    }
}

/// The bundle's fields, looked up once from the schema.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// Stored: what a result shows.
    pub name: Field,
    pub version: Field,
    pub description: Field,
    pub tier: Field,
    /// The name lowercased with separators removed ([`name_key`]): exact matches.
    pub name_key: Field,
    /// The name's words ([`name_words`]).
    pub name_words: Field,
    pub description_text: Field,
    pub tags: Field,
    /// Tags as whole values, for `--tag`.
    pub tag: Field,
    pub people: Field,
    pub capabilities: Field,
    pub readme: Field,
    /// Facets for filters (indexed whole, and fast).
    pub runtime: Field,
    pub channel: Field,
    pub permission: Field,
    pub engine: Field,
    /// Fast fields the ranking reads.
    pub tier_rank: Field,
    pub downloads: Field,
    pub created: Field,
    pub updated: Field,
    /// [`FLAG_DEPRECATED`] | [`FLAG_ALL_YANKED`].
    pub flags: Field,
}

pub const FLAG_DEPRECATED: u64 = 1;
pub const FLAG_ALL_YANKED: u64 = 2;

fn text(analyzer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(record),
    )
}

fn keyword() -> TextOptions {
    text(KEYWORD, IndexRecordOption::Basic)
}

/// The schema every bundle has. Field order is part of the bundle format.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let freqs = IndexRecordOption::WithFreqs;
    let fields = Fields {
        name: b.add_text_field("name", STORED),
        version: b.add_text_field("version", STORED),
        description: b.add_text_field("description", STORED),
        tier: b.add_text_field("tier", STRING | STORED | FAST),
        name_key: b.add_text_field("name_key", keyword().set_fast("raw")),
        name_words: b.add_text_field("name_words", text(NAME, freqs)),
        description_text: b.add_text_field("description_text", text(ENGLISH, freqs)),
        tags: b.add_text_field("tags", text(ENGLISH, freqs)),
        tag: b.add_text_field("tag", keyword()),
        people: b.add_text_field("people", text(PLAIN, freqs)),
        capabilities: b.add_text_field("capabilities", text(ENGLISH, freqs)),
        readme: b.add_text_field("readme", text(ENGLISH, freqs)),
        runtime: b.add_text_field("runtime", STRING | FAST),
        channel: b.add_text_field("channel", STRING | FAST),
        permission: b.add_text_field("permission", STRING | FAST),
        engine: b.add_text_field("engine", TextOptions::default().set_fast("raw")),
        tier_rank: b.add_u64_field("tier_rank", FAST),
        downloads: b.add_u64_field("downloads", FAST),
        created: b.add_i64_field("created", FAST | INDEXED),
        updated: b.add_i64_field("updated", FAST),
        flags: b.add_u64_field("flags", FAST),
    };
    (b.build(), fields)
}

/// The analyzers the schema names. tantivy does not store analyzers in the
/// index: the indexer and every reader install these.
pub fn analyzers() -> TokenizerManager {
    let t = TokenizerManager::default();
    let stop_words =
        StopWordFilter::new(Language::English).expect("tantivy has English stop words");
    t.register(
        ENGLISH,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(stop_words)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    t.register(
        NAME,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    t.register(
        PLAIN,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    t.register(
        KEYWORD,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
    t
}

/// A name or query folded for exact comparison: lowercase letters and
/// digits only, so `Obsidian-Git`, `obsidian_git` and "obsidian git" agree.
pub fn name_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A name's words for the index: split at `-`, `_`, and camelCase and
/// letter-digit boundaries, followed by the whole name joined, so
/// `DataView-ext2` is found by "data", "view", "ext", "dataview" and "dataviewext2".
pub fn name_words(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for part in name.split(|c: char| !c.is_alphanumeric()) {
        let mut word = String::new();
        let mut prev: Option<char> = None;
        for c in part.chars() {
            let boundary = prev.is_some_and(|p| {
                (p.is_lowercase() && c.is_uppercase())
                    || (p.is_alphabetic() && c.is_ascii_digit())
                    || (p.is_ascii_digit() && c.is_alphabetic())
            });
            if boundary && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            word.push(c);
            prev = Some(c);
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    let whole = name_key(name);
    let mut out = words.join(" ");
    if words.len() > 1 {
        // The joined camelCase halves ("dataview") as well as the whole key.
        let letters: Vec<&String> = words
            .iter()
            .filter(|w| w.chars().all(char::is_alphabetic))
            .collect();
        if letters.len() > 1 && letters.len() < words.len() {
            out.push(' ');
            out.extend(letters.iter().flat_map(|w| w.chars()));
        }
        out.push(' ');
        out.push_str(&whole);
    }
    out
}

/// The text of a README worth indexing: fenced code, HTML tags, link
/// targets and Markdown punctuation dropped, at most [`README_BYTES`].
pub fn readme_text(markdown: &str) -> String {
    let mut out = String::with_capacity(README_BYTES);
    let mut in_fence = false;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut in_tag = false;
        let mut in_target = false;
        let mut prev = ' ';
        for c in line.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                '(' if prev == ']' => in_target = true,
                ')' if in_target => in_target = false,
                _ if in_tag || in_target => {}
                '#' | '*' | '`' | '[' | ']' | '|' | '!' | '_' | '>' => {}
                c if c.is_whitespace() && (out.is_empty() || out.ends_with(' ')) => {}
                c => {
                    if out.len() + c.len_utf8() > README_BYTES {
                        return out;
                    }
                    out.push(c);
                }
            }
            prev = c;
        }
        if !out.is_empty() && !out.ends_with(' ') {
            if out.len() + 1 > README_BYTES {
                return out;
            }
            out.push(' ');
        }
    }
    out.trim_end().to_owned()
}

/// The ranking's order of tiers: higher is more trusted.
pub fn tier_rank(tier: Option<Tier>) -> u64 {
    match tier {
        Some(Tier::Verified) => 2,
        Some(Tier::Community) => 1,
        Some(Tier::Experimental) | None => 0,
    }
}

pub fn tier_name(tier: Tier) -> &'static str {
    match tier {
        Tier::Verified => "verified",
        Tier::Community => "community",
        Tier::Experimental => "experimental",
    }
}

pub fn parse_tier(name: &str) -> Option<Tier> {
    match name {
        "verified" => Some(Tier::Verified),
        "community" => Some(Tier::Community),
        "experimental" => Some(Tier::Experimental),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_at_separators_and_case_changes() {
        assert_eq!(name_words("hello-world"), "hello world helloworld");
        assert_eq!(name_words("obsidian_git"), "obsidian git obsidiangit");
        assert_eq!(name_words("DataView"), "Data View dataview");
        assert_eq!(name_words("md2pdf"), "md 2 pdf mdpdf md2pdf");
        assert_eq!(name_words("kanban"), "kanban");
        assert_eq!(name_key("Obsidian-Git"), "obsidiangit");
        assert_eq!(name_key("obsidian git"), "obsidiangit");
    }

    #[test]
    fn readme_text_drops_code_links_and_markup_and_is_bounded() {
        let md =
            "# Title\n\nSee [the docs](https://x.example/a) <b>now</b>.\n```\ncode here\n```\nEnd";
        assert_eq!(readme_text(md), "Title See the docs now. End");
        let long = "word ".repeat(1000);
        let text = readme_text(&long);
        assert!(text.len() <= README_BYTES && text.len() > README_BYTES - 10);
    }
}
