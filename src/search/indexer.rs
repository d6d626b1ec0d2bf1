//! Builds a bundle from plugins' [`SearchDoc`]s: one segment written on the
//! calling thread in the order given (name order), stored fields
//! uncompressed (the host's brotli or gzip compresses the transfer better
//! than per-block lz4 would, and reads skip a decompression), then packed
//! with the random segment id replaced by a fixed one, so the same
//! documents always give the same bytes.

use std::collections::BTreeMap;
use std::path::Path;

use tantivy::directory::RamDirectory;
use tantivy::index::SegmentComponent;
use tantivy::store::Compressor;
use tantivy::{
    Directory, Index, IndexSettings, SingleSegmentIndexWriter, TantivyDocument, TantivyError,
};

use super::bundle::{self, BundleError, SEGMENT_ID};
use super::schema::{self, FLAG_ALL_YANKED, FLAG_DEPRECATED, Fields, SearchDoc};

/// Memory the one segment may use before tantivy would want to flush; far
/// above what 100,000 plugins need, so there is always one segment.
const MEMORY_BUDGET: usize = 1 << 30;

const COMPONENTS: [SegmentComponent; 6] = [
    SegmentComponent::Postings,
    SegmentComponent::Positions,
    SegmentComponent::Terms,
    SegmentComponent::Store,
    SegmentComponent::FastFields,
    SegmentComponent::FieldNorms,
];

/// What a bundle takes of each document besides its text: the downloads
/// (`build --stats` supplies them without copying every document) and
/// whether the README is indexed (the browser's bundle leaves it out).
#[derive(Clone, Copy)]
pub struct Indexing<'a> {
    pub downloads: &'a dyn Fn(&SearchDoc) -> u64,
    pub readme: bool,
}

impl Indexing<'_> {
    /// Each document as it is: its own downloads, its README indexed.
    pub const AS_IS: Indexing<'static> = Indexing {
        downloads: &|d| d.downloads,
        readme: true,
    };
}

/// The bundle of `docs`, which must be sorted by canonical name (the order
/// ties rank in).
pub fn build(docs: &[SearchDoc]) -> Result<Vec<u8>, BundleError> {
    build_with(docs.iter(), Indexing::AS_IS)
}

/// [`build`] over borrowed documents, indexed as `how` says.
pub fn build_with<'d>(
    docs: impl Iterator<Item = &'d SearchDoc> + Clone,
    how: Indexing<'_>,
) -> Result<Vec<u8>, BundleError> {
    let (schema, fields) = schema::schema();
    let settings = IndexSettings {
        docstore_compression: Compressor::None,
        docstore_compress_dedicated_thread: false,
        ..IndexSettings::default()
    };
    let dir = RamDirectory::create();
    let mut writer: SingleSegmentIndexWriter<TantivyDocument> = Index::builder()
        .schema(schema)
        .settings(settings)
        .tokenizers(schema::analyzers())
        .single_segment_index_writer(dir.clone(), MEMORY_BUDGET)?;
    let epoch = docs.clone().map(|d| d.updated).max().unwrap_or(0);
    for doc in docs {
        writer.add_document(document(doc, &fields, how))?;
    }
    let index = writer.finalize()?;
    let metas = index.searchable_segment_metas()?;
    let mut files = BTreeMap::new();
    let meta_json = dir
        .atomic_read(Path::new("meta.json"))
        .map_err(TantivyError::from)?;
    let mut meta_json = String::from_utf8(meta_json).expect("tantivy writes meta.json as UTF-8");
    if let Some(meta) = metas.first() {
        let id = meta.id().uuid_string();
        // meta.json spells the id hyphenated, file names without hyphens.
        meta_json = meta_json.replace(&hyphenated(&id), &hyphenated(SEGMENT_ID));
        for component in COMPONENTS {
            let path = meta.relative_path(component);
            if !dir.exists(&path).map_err(TantivyError::from)? {
                continue;
            }
            let bytes = dir.atomic_read(&path).map_err(TantivyError::from)?;
            let name = path.to_string_lossy().replace(&id, SEGMENT_ID);
            files.insert(name, bytes);
        }
    }
    files.insert("meta.json".to_owned(), meta_json.into_bytes());
    drop(dir);
    Ok(bundle::pack(&files, epoch))
}

/// `0123…` as `01234567-89ab-cdef-…`: a UUID's 32 hex digits in its 8-4-4-4-12 form.
fn hyphenated(simple: &str) -> String {
    let mut out = String::with_capacity(36);
    for (i, c) in simple.chars().enumerate() {
        if matches!(i, 8 | 12 | 16 | 20) {
            out.push('-');
        }
        out.push(c);
    }
    out
}

fn document(d: &SearchDoc, f: &Fields, how: Indexing<'_>) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.name, &d.name);
    if let Some(version) = &d.version {
        doc.add_text(f.version, version);
    }
    doc.add_text(f.description, &d.description);
    doc.add_text(
        f.tier,
        d.tier.map(schema::tier_name).unwrap_or("experimental"),
    );
    doc.add_text(f.name_key, schema::name_key(&d.name));
    let name_words = schema::name_words(&d.name);
    doc.add_text(f.name_plain, &name_words);
    doc.add_text(f.name_words, name_words);
    doc.add_text(f.description_text, &d.description);
    doc.add_text(f.text_plain, &d.description);
    for tag in &d.tags {
        doc.add_text(f.tags, tag);
        doc.add_text(f.tag, tag);
        doc.add_text(f.text_plain, tag);
    }
    for person in &d.people {
        doc.add_text(f.people, person);
    }
    for capability in &d.capabilities {
        doc.add_text(f.capabilities, capability);
    }
    if how.readme && !d.readme.is_empty() {
        doc.add_text(f.readme, &d.readme);
    }
    if let Some(runtime) = &d.runtime {
        doc.add_text(f.runtime, runtime);
    }
    if let Some(channel) = &d.channel {
        doc.add_text(f.channel, channel);
    }
    for permission in &d.permissions {
        doc.add_text(f.permission, permission);
    }
    for engine in &d.engines {
        doc.add_text(f.engine, engine);
    }
    doc.add_u64(f.tier_rank, schema::tier_rank(d.tier));
    doc.add_u64(f.downloads, (how.downloads)(d));
    doc.add_i64(f.created, d.created);
    doc.add_i64(f.updated, d.updated);
    let mut flags = 0;
    if d.deprecated {
        flags |= FLAG_DEPRECATED;
    }
    if d.all_yanked() {
        flags |= FLAG_ALL_YANKED;
    }
    doc.add_u64(f.flags, flags);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::bundle::BundleDirectory;
    use tantivy::directory::OwnedBytes;

    fn docs() -> Vec<SearchDoc> {
        (0..300)
            .map(|i| SearchDoc {
                name: format!("plugin-{i:03}"),
                version: Some("1.0.0".into()),
                description: format!("Does thing number {i} with calendars and kanban boards"),
                tags: vec!["productivity".into()],
                engines: vec![">=1.0.0".into()],
                created: 1_700_000_000 + i,
                updated: 1_700_000_000 + 2 * i,
                downloads: i as u64,
                ..SearchDoc::default()
            })
            .collect()
    }

    #[test]
    fn the_same_documents_always_give_the_same_bytes() {
        let (a, b) = (build(&docs()).unwrap(), build(&docs()).unwrap());
        let (da, db) = (
            BundleDirectory::open(OwnedBytes::new(a.clone())).unwrap(),
            BundleDirectory::open(OwnedBytes::new(b.clone())).unwrap(),
        );
        for name in da.names() {
            assert_eq!(
                da.atomic_read(Path::new(&name)).unwrap(),
                db.atomic_read(Path::new(&name)).unwrap(),
                "{name} differs between two builds"
            );
        }
        assert!(a == b, "the bundles differ");
    }
}
