//! The names list: every plugin with its latest version and description, in
//! name order, split into pages so autocompletion fetches only what it needs.

use super::{OutFile, latest_any};
use crate::model::Registry;
use crate::published::{self, NameEntry, NamesIndex, NamesPage, NamesPageRef};

/// Names per page: about 1 MB of JSON at the longest descriptions.
pub const PER_PAGE: usize = 5000;

pub(super) fn emit(reg: &Registry, files: &mut Vec<OutFile>) {
    let mut refs = Vec::new();
    for (i, chunk) in reg.plugins.chunks(PER_PAGE).enumerate() {
        let path = format!("names/{}.json", i + 1);
        let names: Vec<NameEntry> = chunk
            .iter()
            .map(|p| NameEntry {
                name: p.name.to_string(),
                latest: latest_any(p).map(|r| r.version().to_string()),
                description: p.info.manifest.description.clone(),
            })
            .collect();
        refs.push(NamesPageRef {
            path: path.clone(),
            first: chunk[0].name.canonical(),
            last: chunk[chunk.len() - 1].name.canonical(),
            count: chunk.len(),
        });
        files.push(OutFile::json(
            path,
            &NamesPage {
                v: published::API_V,
                names,
            },
        ));
    }
    files.push(OutFile::json(
        published::NAMES_PATH.to_owned(),
        &NamesIndex {
            v: published::API_V,
            total: reg.plugins.len(),
            pages: refs,
        },
    ));
}
