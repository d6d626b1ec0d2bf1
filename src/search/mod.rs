//! Search (feature `search`): the registry's search bundle and the one query
//! API both the CLI and the browser call. See [docs/search.md].
//!
//! * [`schema`]: the fields, the analyzers, a plugin's searchable facts
//!   ([`SearchDoc`]).
//! * [`indexer`]: [`SearchDoc`]s → bundle bytes (deterministic).
//! * [`bundle`]: the bundle's layout and [`BundleDirectory`], a read-only
//!   tantivy directory over its bytes.
//! * [`query`] and [`rank`]: what a query means and how results rank.
//! * [`Searcher`]: opens a bundle and answers [`Searcher::search`].
//!
//! Nothing here touches the file system, spawns threads or maps memory
//! (except [`mapped`], native only), so it compiles for
//! `wasm32-unknown-unknown`.
//!
//! [docs/search.md]: https://github.com/plugdex/plugdex/blob/main/docs/search.md

pub mod bundle;
pub mod indexer;
#[cfg(not(target_arch = "wasm32"))]
pub mod mapped;
pub mod query;
pub mod rank;
pub mod schema;
// The browser's engine, worker and module, for the build to write (the
// engine itself, compiled to wasm32, cannot embed itself).
#[cfg(all(feature = "generator", not(target_arch = "wasm32")))]
pub mod web;

use serde::Serialize;
use tantivy::schema::Value;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};

pub use bundle::{BundleDirectory, BundleError};
pub use rank::Factors;
pub use schema::SearchDoc;
/// The bytes a [`Searcher`] opens: `OwnedBytes::new(vec)`, or a map ([`mapped::map`]).
pub use tantivy::directory::OwnedBytes;

use crate::format::published::Tier;
use query::Plan;
use rank::{Ranked, Ranker};
use schema::Fields;

/// Filters that narrow a search; they compose (every one must hold).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filters {
    /// Plugins with every one of these tags.
    pub tags: Vec<String>,
    /// Plugins whose latest version has this runtime (`wasm`, `native`, …).
    pub runtime: Option<String>,
    /// Plugins whose latest version is in this tier.
    pub tier: Option<Tier>,
    /// Plugins whose latest version asks for none of these permissions.
    pub without_permissions: Vec<String>,
    /// Plugins with a non-yanked version whose engine requirement accepts
    /// this host version.
    pub engine: Option<semver::Version>,
}

/// One result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    pub name: String,
    /// The latest version; `None` when every version is yanked.
    pub version: Option<String>,
    pub description: String,
    pub tier: Tier,
    pub score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explanation>,
}

/// Why a result ranks where it does: `score = text × factors (+ 1000 when
/// the name is the query)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    pub text: f32,
    pub exact: bool,
    pub factors: Factors,
    /// Whether the plugin matched every word of the query.
    pub every_word: bool,
    /// The query's terms that matched, with their contribution to `text`.
    pub matched: Vec<(String, f32)>,
}

/// A search's answer, in rank order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Results {
    pub query: String,
    /// How many plugins match (before `limit`).
    pub total: usize,
    pub results: Vec<Hit>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("search failed: {0}")]
    Query(#[from] tantivy::TantivyError),
}

/// An open bundle.
pub struct Searcher {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    epoch: i64,
}

impl Searcher {
    /// Opens the bundle in `bytes` (an mmap, a `Vec<u8>`), without copying it.
    pub fn open(bytes: OwnedBytes) -> Result<Searcher, SearchError> {
        let dir = BundleDirectory::open(bytes)?;
        let epoch = dir.epoch();
        let mut index = Index::open(dir).map_err(BundleError::Index)?;
        index.set_tokenizers(schema::analyzers());
        let (expected, fields) = schema::schema();
        if index.schema() != expected {
            return Err(BundleError::Format(
                "its schema is not the one this plugdex reads; rebuild the registry".into(),
            )
            .into());
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(BundleError::Index)?;
        Ok(Searcher {
            index,
            reader,
            fields,
            epoch,
        })
    }

    /// How many plugins the bundle holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The best `limit` plugins for `query` that pass `filters`.
    pub fn search(
        &self,
        query: &str,
        filters: &Filters,
        limit: usize,
    ) -> Result<Results, SearchError> {
        self.run(query, filters, limit, false)
    }

    /// [`Searcher::search`], each hit with its [`Explanation`].
    pub fn explain(
        &self,
        query: &str,
        filters: &Filters,
        limit: usize,
    ) -> Result<Results, SearchError> {
        self.run(query, filters, limit, true)
    }

    fn run(
        &self,
        text: &str,
        filters: &Filters,
        limit: usize,
        explain: bool,
    ) -> Result<Results, SearchError> {
        let searcher = self.reader.searcher();
        let plan = Plan::new(text, filters, &self.fields, self.index.tokenizers());
        let ranker = Ranker {
            limit,
            epoch: self.epoch,
            exact_key: schema::name_key(text),
            engine: filters.engine.clone(),
        };
        let filter = plan.filter_query();
        let found = ranker.rank(&searcher, &plan.word_queries(), filter.as_deref())?;
        let mut results = Vec::with_capacity(found.ranked.len());
        for r in found.ranked {
            let doc: TantivyDocument = searcher.doc(r.address)?;
            let text_of = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            };
            let explanation = if explain {
                Some(self.explanation(&plan, &r)?)
            } else {
                None
            };
            results.push(Hit {
                name: text_of(self.fields.name).unwrap_or_default(),
                version: text_of(self.fields.version),
                description: text_of(self.fields.description).unwrap_or_default(),
                tier: text_of(self.fields.tier)
                    .and_then(|t| schema::parse_tier(&t))
                    .unwrap_or(Tier::Experimental),
                score: r.score,
                explain: explanation,
            });
        }
        Ok(Results {
            query: text.to_owned(),
            total: found.total,
            results,
        })
    }

    fn explanation(&self, plan: &Plan, r: &Ranked) -> Result<Explanation, SearchError> {
        let searcher = self.reader.searcher();
        let segment = searcher.segment_reader(r.address.segment_ord);
        let ranker = Ranker {
            limit: 0,
            epoch: self.epoch,
            exact_key: String::new(),
            engine: None,
        }
        .for_reader(r.address.segment_ord, segment)?;
        let mut matched = Vec::new();
        for clause in plan.words.iter().flatten() {
            if let Ok(e) = clause.query.explain(&searcher, r.address) {
                matched.push((clause.label.clone(), e.value()));
            }
        }
        Ok(Explanation {
            text: r.text,
            exact: r.exact,
            factors: Factors::of(&ranker.signals(r.address.doc_id), self.epoch),
            every_word: r.every_word,
            matched,
        })
    }
}
