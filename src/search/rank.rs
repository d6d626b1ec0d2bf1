//! The ranking: a text score from BM25 with field boosts (built in
//! [`super::query`]), an exact name match above everything, then the
//! plugin's signals as factors (popularity, trust tier, recency, how long it
//! has been published, and demotion of deprecated and all-yanked plugins).
//! [`Ranker`] is the tantivy collector that applies them and the engine
//! filter; the CLI and the browser both rank through it.

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::schema::{FLAG_ALL_YANKED, FLAG_DEPRECATED};

/// Added to an exact name match's score: it always ranks first.
pub const EXACT_BONUS: Score = 1000.0;
const DAY: f64 = 86_400.0;
const YEAR: f64 = 365.0 * DAY;

/// A plugin's signals, as its fast fields hold them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Signals {
    pub downloads: u64,
    pub tier_rank: u64,
    pub created: i64,
    pub updated: i64,
    pub flags: u64,
}

/// The factors the text score is multiplied by, each 1 when neutral.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Factors {
    /// 1 + 0.1 per decade of downloads (1,000,000 downloads: 1.6).
    pub popularity: f32,
    /// Verified 1.2, community 1.1, experimental 1.
    pub tier: f32,
    /// Up to 1.05 for a plugin updated just now, halving each year.
    pub recency: f32,
    /// Up to 1.25 for a plugin first published two or more years before
    /// the newest publication: an established plugin outranks a newcomer
    /// that copies its words.
    pub established: f32,
    /// 0.25 for a deprecated plugin, 0.1 when every version is yanked.
    pub demotion: f32,
}

impl Factors {
    /// `signals` measured at `epoch` (the bundle's newest publication).
    pub fn of(s: &Signals, epoch: i64) -> Factors {
        let popularity = 1.0 + 0.1 * (1.0 + s.downloads as f64).log10();
        let tier = 1.0 + 0.1 * s.tier_rank.min(2) as f64;
        let since_update = ((epoch - s.updated) as f64).max(0.0) / YEAR;
        let recency = 1.0 + 0.05 * 0.5f64.powf(since_update);
        let age = ((epoch - s.created) as f64).max(0.0) / YEAR;
        let established = 1.0 + 0.25 * (age / 2.0).min(1.0);
        let mut demotion = 1.0;
        if s.flags & FLAG_DEPRECATED != 0 {
            demotion *= 0.25;
        }
        if s.flags & FLAG_ALL_YANKED != 0 {
            demotion *= 0.1;
        }
        Factors {
            popularity: popularity as f32,
            tier: tier as f32,
            recency: recency as f32,
            established: established as f32,
            demotion,
        }
    }

    pub fn product(&self) -> f32 {
        self.popularity * self.tier * self.recency * self.established * self.demotion
    }
}

/// The final score of a document.
pub fn score(text: Score, exact: bool, factors: &Factors) -> Score {
    text * factors.product() + if exact { EXACT_BONUS } else { 0.0 }
}

/// Column names of the fast fields the ranker reads.
pub mod columns {
    pub const DOWNLOADS: &str = "downloads";
    pub const TIER_RANK: &str = "tier_rank";
    pub const CREATED: &str = "created";
    pub const UPDATED: &str = "updated";
    pub const FLAGS: &str = "flags";
    pub const NAME_KEY: &str = "name_key";
    pub const ENGINE: &str = "engine";
}

/// Collects every matching document that passes the engine filter, scores
/// it with [`score`], and keeps the best `limit` (ties: name order, which is
/// document order).
pub struct Ranker {
    pub limit: usize,
    pub epoch: i64,
    /// [`super::schema::name_key`] of the whole query.
    pub exact_key: String,
    /// Only documents with an engine requirement that accepts this version.
    pub engine: Option<semver::Version>,
}

/// One ranked document.
#[derive(Clone, Copy, Debug)]
pub struct Ranked {
    pub score: Score,
    pub text: Score,
    pub exact: bool,
    pub address: DocAddress,
}

/// What a search collects: how many matched, and the best ones in rank order.
#[derive(Debug, Default)]
pub struct Collected {
    pub total: usize,
    pub ranked: Vec<Ranked>,
}

pub struct SegmentRanker {
    segment: SegmentOrdinal,
    epoch: i64,
    downloads: Column<u64>,
    tier_rank: Column<u64>,
    created: Column<i64>,
    updated: Column<i64>,
    flags: Column<u64>,
    name_key: Option<(Column<u64>, u64)>,
    /// Per engine-requirement ordinal: whether it accepts the wanted version.
    engine: Option<(Column<u64>, Vec<bool>)>,
    found: Collected,
    limit: usize,
}

impl SegmentRanker {
    pub fn signals(&self, doc: DocId) -> Signals {
        Signals {
            downloads: self.downloads.first(doc).unwrap_or(0),
            tier_rank: self.tier_rank.first(doc).unwrap_or(0),
            created: self.created.first(doc).unwrap_or(0),
            updated: self.updated.first(doc).unwrap_or(0),
            flags: self.flags.first(doc).unwrap_or(0),
        }
    }

    pub fn is_exact(&self, doc: DocId) -> bool {
        self.name_key
            .as_ref()
            .is_some_and(|(column, ord)| column.first(doc) == Some(*ord))
    }

    fn engine_accepts(&self, doc: DocId) -> bool {
        match &self.engine {
            None => true,
            Some((column, accepted)) => column
                .values_for_doc(doc)
                .any(|ord| accepted.get(ord as usize).copied().unwrap_or(false)),
        }
    }
}

/// Ranks `a` before `b`: higher score, then earlier document.
fn before(a: &Ranked, b: &Ranked) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then_with(|| a.address.cmp(&b.address))
}

fn keep_best(found: &mut Vec<Ranked>, limit: usize) {
    if found.len() > limit {
        if limit > 0 {
            found.select_nth_unstable_by(limit - 1, before);
        }
        found.truncate(limit);
    }
    found.sort_by(before);
}

impl Ranker {
    pub fn for_reader(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentRanker> {
        let fast = reader.fast_fields();
        let name_key = match fast.str(columns::NAME_KEY)? {
            Some(column) => {
                ord_of(&column, &self.exact_key)?.map(|ord| (column.ords().clone(), ord))
            }
            None => None,
        };
        let engine = match (&self.engine, fast.str(columns::ENGINE)?) {
            (None, _) => None,
            (Some(_), None) => Some((Column::build_empty_column(reader.max_doc()), Vec::new())),
            (Some(version), Some(column)) => Some((
                column.ords().clone(),
                accepted_requirements(&column, version)?,
            )),
        };
        Ok(SegmentRanker {
            segment,
            epoch: self.epoch,
            downloads: fast.u64(columns::DOWNLOADS)?,
            tier_rank: fast.u64(columns::TIER_RANK)?,
            created: fast.i64(columns::CREATED)?,
            updated: fast.i64(columns::UPDATED)?,
            flags: fast.u64(columns::FLAGS)?,
            name_key,
            engine,
            found: Collected::default(),
            limit: self.limit,
        })
    }
}

fn ord_of(column: &StrColumn, key: &str) -> tantivy::Result<Option<u64>> {
    if key.is_empty() {
        return Ok(None);
    }
    Ok(column.dictionary().term_ord(key.as_bytes())?)
}

fn accepted_requirements(
    column: &StrColumn,
    version: &semver::Version,
) -> tantivy::Result<Vec<bool>> {
    let terms = column.dictionary().num_terms();
    let mut accepted = Vec::with_capacity(terms);
    let mut text = String::new();
    for ord in 0..terms as u64 {
        text.clear();
        column.ord_to_str(ord, &mut text)?;
        accepted.push(semver::VersionReq::parse(&text).is_ok_and(|req| req.matches(version)));
    }
    Ok(accepted)
}

impl Collector for Ranker {
    type Fruit = Collected;
    type Child = SegmentRanker;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentRanker> {
        self.for_reader(segment, reader)
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Collected>) -> tantivy::Result<Collected> {
        let mut all = Collected::default();
        for fruit in fruits {
            all.total += fruit.total;
            all.ranked.extend(fruit.ranked);
        }
        keep_best(&mut all.ranked, self.limit);
        Ok(all)
    }
}

impl SegmentCollector for SegmentRanker {
    type Fruit = Collected;

    fn collect(&mut self, doc: DocId, text: Score) {
        if !self.engine_accepts(doc) {
            return;
        }
        self.found.total += 1;
        let exact = self.is_exact(doc);
        let factors = Factors::of(&self.signals(doc), self.epoch);
        self.found.ranked.push(Ranked {
            score: score(text, exact, &factors),
            text,
            exact,
            address: DocAddress::new(self.segment, doc),
        });
        // Bound the memory of a query that matches everything.
        if self.found.ranked.len() >= self.limit.max(64) * 8 {
            keep_best(&mut self.found.ranked, self.limit);
        }
    }

    fn harvest(mut self) -> Collected {
        keep_best(&mut self.found.ranked, self.limit);
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_neutral_at_rest_and_demotions_bite() {
        let epoch = 10 * YEAR as i64;
        let fresh = Signals {
            created: epoch,
            updated: epoch - 400 * DAY as i64,
            ..Signals::default()
        };
        let f = Factors::of(&fresh, epoch);
        assert_eq!(
            (f.popularity, f.tier, f.established, f.demotion),
            (1.0, 1.0, 1.0, 1.0)
        );
        let old = Signals {
            created: 0,
            ..fresh
        };
        assert!(
            Factors::of(&old, epoch).product() > f.product(),
            "established beats new"
        );
        let yanked = Signals {
            flags: FLAG_ALL_YANKED,
            ..fresh
        };
        assert!(Factors::of(&yanked, epoch).product() < 0.2);
        assert!(
            score(0.01, true, &f) > score(500.0, false, &f),
            "an exact name match is first"
        );
    }
}
