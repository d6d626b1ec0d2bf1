//! From what a user typed to a tantivy query: each word looked up in every
//! field through that field's analyzer, with boosts (name > tags >
//! capabilities, description > people > README), typo-tolerant on the
//! name, tags and description (edit distance 1 for words of 4+
//! characters, 2 for 8+), and the last word also as a prefix while it is
//! being typed. Every leaf keeps a label so `--explain` can say what matched.

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::tokenizer::TokenizerManager;

use super::Filters;
use super::schema::{self, Fields};

/// The fields a word is looked for in, with their analyzer and boost.
/// `typos` marks the fields fuzzy and prefix matching also apply to.
struct Target {
    label: &'static str,
    field: fn(&Fields) -> Field,
    analyzer: &'static str,
    boost: f32,
    typos: bool,
}

const TARGETS: &[Target] = &[
    Target {
        label: "name",
        field: |f| f.name_words,
        analyzer: schema::NAME,
        boost: 4.0,
        typos: true,
    },
    Target {
        label: "tags",
        field: |f| f.tags,
        analyzer: schema::ENGLISH,
        boost: 2.5,
        typos: true,
    },
    Target {
        label: "capabilities",
        field: |f| f.capabilities,
        analyzer: schema::ENGLISH,
        boost: 1.5,
        typos: false,
    },
    Target {
        label: "description",
        field: |f| f.description_text,
        analyzer: schema::ENGLISH,
        boost: 1.5,
        typos: true,
    },
    Target {
        label: "people",
        field: |f| f.people,
        analyzer: schema::PLAIN,
        boost: 1.0,
        typos: false,
    },
    Target {
        label: "readme",
        field: |f| f.readme,
        analyzer: schema::ENGLISH,
        boost: 0.4,
        typos: false,
    },
];

/// Fuzzy and prefix matches score a constant (they have no term statistics):
/// this fraction of the field's boost, so an exact word counts for more.
const INEXACT: f32 = 0.6;
/// The longest query considered, in words.
pub const MAX_WORDS: usize = 16;

/// One leaf of the query, with what `--explain` calls it.
pub struct Clause {
    pub label: String,
    pub query: Box<dyn Query>,
}

/// A query ready to run: the words' clauses and the filters.
pub struct Plan {
    /// Per word, its clauses (any of which matches the word).
    pub words: Vec<Vec<Clause>>,
    filters: Vec<(Occur, Box<dyn Query>)>,
}

/// The edit distance a word of `chars` characters tolerates.
pub fn typo_distance(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

fn tokens(analyzers: &TokenizerManager, analyzer: &str, text: &str) -> Vec<String> {
    let Some(mut analyzer) = analyzers.get(analyzer) else {
        return Vec::new();
    };
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, boost))
}

impl Plan {
    /// The plan for `text`. A word still being typed (the last one, unless
    /// `text` ends with a space) is also matched as a prefix.
    pub fn new(
        text: &str,
        filters: &Filters,
        fields: &Fields,
        analyzers: &TokenizerManager,
    ) -> Plan {
        let raw: Vec<&str> = text.split_whitespace().take(MAX_WORDS).collect();
        let typing = !text.ends_with(char::is_whitespace);
        let mut words = Vec::new();
        for (i, word) in raw.iter().enumerate() {
            let mut clauses = Vec::new();
            let last = typing && i + 1 == raw.len();
            for target in TARGETS {
                let field = (target.field)(fields);
                for token in tokens(analyzers, target.analyzer, word) {
                    let term = Term::from_field_text(field, &token);
                    clauses.push(Clause {
                        label: format!("{}:{token}", target.label),
                        query: boosted(
                            Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                            target.boost,
                        ),
                    });
                    let distance = typo_distance(token.chars().count());
                    if target.typos && distance > 0 {
                        clauses.push(Clause {
                            label: format!("{}:{token}~{distance}", target.label),
                            query: boosted(
                                Box::new(FuzzyTermQuery::new(term, distance, true)),
                                target.boost * INEXACT,
                            ),
                        });
                    }
                }
                // As-you-type: the word as typed, unstemmed ("calend" →
                // "calendar"), once it has two characters.
                if last && target.typos {
                    for token in tokens(analyzers, schema::PLAIN, word) {
                        if token.chars().count() < 2 {
                            continue;
                        }
                        clauses.push(Clause {
                            label: format!("{}:{token}*", target.label),
                            query: boosted(
                                Box::new(FuzzyTermQuery::new_prefix(
                                    Term::from_field_text(field, &token),
                                    0,
                                    false,
                                )),
                                target.boost * INEXACT,
                            ),
                        });
                    }
                }
            }
            if !clauses.is_empty() {
                words.push(clauses);
            }
        }
        Plan {
            words,
            filters: filter_clauses(filters, fields),
        }
    }

    /// The query: documents matching every word (`all`) or any word, and
    /// every filter. Filters do not score.
    pub fn query(&self, all: bool) -> Box<dyn Query> {
        let text: Box<dyn Query> = if self.words.is_empty() {
            Box::new(AllQuery)
        } else {
            let occur = if all { Occur::Must } else { Occur::Should };
            Box::new(BooleanQuery::new(
                self.words
                    .iter()
                    .map(|clauses| {
                        let word: Box<dyn Query> = Box::new(BooleanQuery::new(
                            clauses
                                .iter()
                                .map(|c| (Occur::Should, c.query.box_clone()))
                                .collect(),
                        ));
                        (occur, word)
                    })
                    .collect(),
            ))
        };
        if self.filters.is_empty() {
            return text;
        }
        let mut all_clauses = vec![(Occur::Must, text)];
        all_clauses.extend(self.filters.iter().map(|(o, q)| (*o, q.box_clone())));
        Box::new(BooleanQuery::new(all_clauses))
    }

    /// Whether the query has several words (then a search runs twice:
    /// plugins with every word first, then those with some).
    pub fn is_multi_word(&self) -> bool {
        self.words.len() > 1
    }
}

fn keyword(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        )),
        0.0,
    ))
}

fn filter_clauses(filters: &Filters, f: &Fields) -> Vec<(Occur, Box<dyn Query>)> {
    let mut out = Vec::new();
    for tag in &filters.tags {
        out.push((Occur::Must, keyword(f.tag, &tag.to_lowercase())));
    }
    if let Some(runtime) = &filters.runtime {
        out.push((Occur::Must, keyword(f.runtime, runtime)));
    }
    if let Some(tier) = filters.tier {
        out.push((Occur::Must, keyword(f.tier, schema::tier_name(tier))));
    }
    for permission in &filters.without_permissions {
        out.push((Occur::MustNot, keyword(f.permission, permission)));
    }
    out
}
