//! The ranking: a text score from BM25 with field boosts (built in
//! [`super::query`]), an exact name match above everything, then the
//! plugin's signals as factors (popularity, trust tier, recency, how long it
//! has been published, and demotion of deprecated and all-yanked plugins).
//! [`Ranker`] runs a query's words in one pass over each segment, counting
//! which words each plugin matched, and applies the signals and the engine
//! filter; the CLI and the browser both rank through it.

use serde::Serialize;
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::{EnableScoring, Query, Scorer};
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED};

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
        // `libm`, not `f64::log10`/`powf`: natively those call the
        // platform's C library and in wasm Rust's port, which may differ in
        // the last bit; one implementation gives the CLI and the browser
        // the same factors.
        let popularity = 1.0 + 0.1 * libm::log10(1.0 + s.downloads as f64);
        let tier = 1.0 + 0.1 * s.tier_rank.min(2) as f64;
        let since_update = ((epoch - s.updated) as f64).max(0.0) / YEAR;
        let recency = 1.0 + 0.05 * libm::pow(0.5, since_update);
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

/// The final score of a document, [`rounded`].
pub fn score(text: Score, exact: bool, factors: &Factors) -> Score {
    rounded(text * factors.product() + if exact { EXACT_BONUS } else { 0.0 })
}

/// Low bits of a score's mantissa cleared to zero (16 significant bits
/// kept, about 5 decimal digits), rounding to nearest. BM25's logarithms
/// (inside tantivy, `f32::ln`) come from the C library natively and from
/// Rust's port in wasm and may differ in the last bits, so scores that
/// are equal in one could be a hair apart in the other; compared rounded,
/// they tie, and ties go to name order on both.
pub fn rounded(score: Score) -> Score {
    const DROPPED: u32 = 8;
    if !score.is_finite() {
        return score;
    }
    let bits = score.to_bits();
    let half = 1 << (DROPPED - 1);
    Score::from_bits((bits + half) & !((1 << DROPPED) - 1))
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

/// Runs a query's words over every document that passes the filters and
/// the engine filter, scores each match with [`score`], and keeps the best
/// `limit`: plugins matching every word first, then by score, ties in name
/// order (document order: the indexer adds documents sorted by name).
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
    /// Whether the plugin matched every word of the query.
    pub every_word: bool,
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
    /// At least every factor product in the segment ([`factor_bound`]).
    bound: Score,
    /// The worst of the best `limit` kept so far (every word, score), once
    /// there are `limit`: a later document that cannot rank before it is
    /// counted but not scored (documents come in name order, so a tie
    /// ranks after it).
    floor: Option<(bool, Score)>,
}

/// An upper bound of [`Factors::product`] for any plugin with at most
/// `max_downloads`: every other factor at its largest, demotion 1, with a
/// margin above the rounding of the f32 product and of [`rounded`].
fn factor_bound(max_downloads: u64) -> Score {
    let popularity = 1.0 + 0.1 * libm::log10(1.0 + max_downloads as f64);
    (popularity * 1.2 * 1.05 * 1.25 * 1.001) as Score
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

/// Ranks `a` before `b`: every word before some, then the higher score,
/// then the earlier document (name order).
fn before(a: &Ranked, b: &Ranked) -> std::cmp::Ordering {
    b.every_word
        .cmp(&a.every_word)
        .then_with(|| b.score.total_cmp(&a.score))
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
        let downloads = fast.u64(columns::DOWNLOADS)?;
        Ok(SegmentRanker {
            segment,
            epoch: self.epoch,
            bound: factor_bound(downloads.max_value()),
            floor: None,
            downloads,
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

impl Ranker {
    /// Ranks the documents matching any of `words` (each word's query) and
    /// `filter`, in one pass per segment: every word's scorer is advanced
    /// together, so each match's text score (the sum of its words') and
    /// whether it matched every word come from the same walk. `total`
    /// counts every match.
    pub fn rank(
        &self,
        searcher: &tantivy::Searcher,
        words: &[Box<dyn Query>],
        filter: Option<&dyn Query>,
    ) -> tantivy::Result<Collected> {
        let scoring = EnableScoring::enabled_from_searcher(searcher);
        let words = words
            .iter()
            .map(|q| q.weight(scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let filter = filter
            .map(|q| q.weight(EnableScoring::disabled_from_searcher(searcher)))
            .transpose()?;
        let mut all = Collected::default();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let mut segment = self.for_reader(ord as SegmentOrdinal, reader)?;
            let mut scorers = words
                .iter()
                .map(|w| w.scorer(reader, 1.0))
                .collect::<tantivy::Result<Vec<Box<dyn Scorer>>>>()?;
            let mut filter = filter.as_ref().map(|w| w.scorer(reader, 1.0)).transpose()?;
            let alive = reader.alive_bitset();
            while let Some(doc) = scorers.iter().map(|s| s.doc()).min() {
                if doc == TERMINATED {
                    break;
                }
                let mut text = 0.0;
                let mut matched = 0;
                for scorer in scorers.iter_mut().filter(|s| s.doc() == doc) {
                    text += scorer.score();
                    matched += 1;
                    scorer.advance();
                }
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    continue;
                }
                if let Some(filter) = filter.as_mut() {
                    if filter.doc() < doc {
                        filter.seek(doc);
                    }
                    if filter.doc() != doc {
                        continue;
                    }
                }
                segment.collect(doc, text, matched == scorers.len());
            }
            let fruit = segment.harvest();
            all.total += fruit.total;
            all.ranked.extend(fruit.ranked);
        }
        keep_best(&mut all.ranked, self.limit);
        Ok(all)
    }
}

impl SegmentRanker {
    fn collect(&mut self, doc: DocId, text: Score, every_word: bool) {
        if !self.engine_accepts(doc) {
            return;
        }
        self.found.total += 1;
        let exact = self.is_exact(doc);
        if !exact && self.below_floor(text, every_word) {
            return;
        }
        let factors = Factors::of(&self.signals(doc), self.epoch);
        self.found.ranked.push(Ranked {
            every_word,
            score: score(text, exact, &factors),
            text,
            exact,
            address: DocAddress::new(self.segment, doc),
        });
        // Bound the memory of a query that matches everything.
        if self.found.ranked.len() >= self.limit.max(64) * 8 {
            keep_best(&mut self.found.ranked, self.limit);
            self.floor = self
                .found
                .ranked
                .get(self.limit.wrapping_sub(1))
                .map(|worst| (worst.every_word, worst.score));
        }
    }

    /// Whether a document with this text score cannot rank before the
    /// floor, whatever its signals: the signals (two logarithms and a
    /// power per document) are then not read, which is most of what a
    /// query matching many plugins would spend on them. Exact name
    /// matches are never skipped (their bonus is not bounded here).
    fn below_floor(&self, text: Score, every_word: bool) -> bool {
        match self.floor {
            None => false,
            Some((floor_every, floor_score)) => {
                (floor_every && !every_word)
                    || (every_word == floor_every && text * self.bound < floor_score)
            }
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

    fn ranked(score: f32, doc: DocId, every_word: bool) -> Ranked {
        Ranked {
            every_word,
            score: rounded(score),
            text: score,
            exact: false,
            address: DocAddress::new(0, doc),
        }
    }

    #[test]
    fn scores_a_few_ulps_apart_tie_and_ties_go_to_name_order() {
        // What a last-bit difference in a logarithm does to a score: the
        // later document, a hair higher, must not jump ahead.
        let base = 12.25_f32; // low mantissa bits zero: +3 ulps stays in its bucket
        let hair = f32::from_bits(base.to_bits() + 3);
        let mut found = vec![ranked(hair, 7, true), ranked(base, 2, true)];
        keep_best(&mut found, 10);
        let docs: Vec<DocId> = found.iter().map(|r| r.address.doc_id).collect();
        assert_eq!(docs, [2, 7]);
        // A real difference still ranks.
        let mut found = vec![ranked(base, 2, true), ranked(base * 1.001, 7, true)];
        keep_best(&mut found, 10);
        assert_eq!(found[0].address.doc_id, 7);
        // Every word before some, whatever the scores.
        let mut found = vec![ranked(90.0, 1, false), ranked(1.0, 9, true)];
        keep_best(&mut found, 10);
        assert_eq!(found[0].address.doc_id, 9);
    }

    #[test]
    fn rounding_keeps_order_and_about_five_digits() {
        for x in [0.0_f32, 0.6, 1.0, 3.75, 12.345, 1012.5, 65_504.0] {
            let r = rounded(x);
            assert_eq!(rounded(r), r, "{x}: idempotent");
            assert!((r - x).abs() <= x * 2e-5, "{x} → {r}");
        }
        assert!(rounded(1.0) < rounded(1.001));
    }
}
