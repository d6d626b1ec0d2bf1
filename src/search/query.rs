//! From what a user typed to a tantivy query: each word looked up in every
//! field through that field's analyzer, with boosts (name > tags >
//! capabilities, description > people > README), typo-tolerant on the
//! name, tags and description (edit distance 1 for words of 4+
//! characters, 2 for 8+), and the last word also as a prefix while it is
//! being typed. Every leaf keeps a label so `--explain` can say what matched.

use std::sync::Arc;

use tantivy::query::{
    AllQuery, AutomatonWeight, BooleanQuery, BoostQuery, ConstScoreQuery, DfaWrapper,
    EnableScoring, FuzzyTermQuery, Occur, Query, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::tokenizer::TokenizerManager;

use super::Filters;
use super::schema::{self, Fields};

/// A field a word is looked for in, with its analyzer and boost.
struct Target {
    label: &'static str,
    field: fn(&Fields) -> Field,
    analyzer: &'static str,
    boost: f32,
}

const fn target(
    label: &'static str,
    field: fn(&Fields) -> Field,
    analyzer: &'static str,
    boost: f32,
) -> Target {
    Target {
        label,
        field,
        analyzer,
        boost,
    }
}

/// Where a word is matched as analyzed (stemmed): BM25 with these boosts.
const TARGETS: &[Target] = &[
    target("name", |f| f.name_words, schema::NAME, 4.0),
    target("tags", |f| f.tags, schema::ENGLISH, 2.5),
    target("capabilities", |f| f.capabilities, schema::ENGLISH, 1.5),
    target("description", |f| f.description_text, schema::ENGLISH, 1.5),
    target("people", |f| f.people, schema::PLAIN, 1.0),
    target("readme", |f| f.readme, schema::ENGLISH, 0.4),
];

/// Where a word is matched with typos or as a prefix: unstemmed fields.
/// Such matches score a constant (they have no term statistics), below
/// what the same word matched exactly in the name or tags brings.
const INEXACT_TARGETS: &[Target] = &[
    target("name", |f| f.name_plain, schema::PLAIN, 2.4),
    target("text", |f| f.text_plain, schema::PLAIN, 1.2),
];
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

/// A token's automaton, for any field: `FuzzyTermQuery` would build it
/// again for every field it is asked of.
fn automaton(query: FuzzyTermQuery) -> Option<Arc<DfaWrapper>> {
    // Fails only for a term that is not text, which these never are.
    query.automaton().ok().map(Arc::new)
}

/// A term of no particular field: the automata are built from its text only.
fn plain(token: &str) -> Term {
    Term::from_field_text(Field::from_field_id(0), token)
}

/// Matches `field`'s terms the automaton accepts, scoring a constant (as a
/// `FuzzyTermQuery` does), with an automaton built once and shared.
#[derive(Clone)]
struct AutomatonQuery {
    field: Field,
    dfa: Arc<DfaWrapper>,
}

impl std::fmt::Debug for AutomatonQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutomatonQuery")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl Query for AutomatonQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<DfaWrapper>::new(
            self.field,
            Arc::clone(&self.dfa),
        )))
    }
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
                    clauses.push(Clause {
                        label: format!("{}:{token}", target.label),
                        query: boosted(
                            Box::new(TermQuery::new(
                                Term::from_field_text(field, &token),
                                IndexRecordOption::WithFreqs,
                            )),
                            target.boost,
                        ),
                    });
                }
            }
            debug_assert!(INEXACT_TARGETS.iter().all(|t| t.analyzer == schema::PLAIN));
            // The inexact fields share one analyzer, so each token's typo
            // and prefix automata are built once for all of them.
            for token in tokens(analyzers, schema::PLAIN, word) {
                let chars = token.chars().count();
                let distance = typo_distance(chars);
                let typo = (distance > 0)
                    .then(|| automaton(FuzzyTermQuery::new(plain(&token), distance, true)))
                    .flatten();
                // As-you-type: the word as typed ("calend" → "calendar"),
                // once it has two characters.
                let prefix = (last && chars >= 2)
                    .then(|| automaton(FuzzyTermQuery::new_prefix(plain(&token), 0, false)))
                    .flatten();
                for target in INEXACT_TARGETS {
                    let field = (target.field)(fields);
                    for (dfa, label) in [
                        (&typo, format!("{}:{token}~{distance}", target.label)),
                        (&prefix, format!("{}:{token}*", target.label)),
                    ] {
                        if let Some(dfa) = dfa {
                            clauses.push(Clause {
                                label,
                                query: boosted(
                                    Box::new(AutomatonQuery {
                                        field,
                                        dfa: Arc::clone(dfa),
                                    }),
                                    target.boost,
                                ),
                            });
                        }
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

    /// Each word's query (any of its clauses matches the word); for an
    /// empty query, one that matches every plugin. [`super::rank::Ranker`]
    /// runs them together and counts which words each plugin matched.
    pub fn word_queries(&self) -> Vec<Box<dyn Query>> {
        if self.words.is_empty() {
            return vec![Box::new(AllQuery)];
        }
        self.words
            .iter()
            .map(|clauses| {
                let word: Box<dyn Query> = Box::new(BooleanQuery::new(
                    clauses
                        .iter()
                        .map(|c| (Occur::Should, c.query.box_clone()))
                        .collect(),
                ));
                word
            })
            .collect()
    }

    /// The filters as one query (they do not score), or `None` without any.
    pub fn filter_query(&self) -> Option<Box<dyn Query>> {
        if self.filters.is_empty() {
            return None;
        }
        // A boolean query of only `MustNot` clauses matches nothing.
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(AllQuery))];
        clauses.extend(self.filters.iter().map(|(o, q)| (*o, q.box_clone())));
        Some(Box::new(BooleanQuery::new(clauses)))
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
