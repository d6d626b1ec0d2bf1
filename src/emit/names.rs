//! The names list: every plugin with its latest version and description, in
//! name order, split into pages so autocompletion fetches only what it needs.

use super::{Listing, OutFile};
use crate::format::name::canonical;
use crate::format::published::{self, NameEntry, NamesIndex, NamesPage, NamesPageRef};

/// Names per page: about 1 MB of JSON at the longest descriptions.
pub const PER_PAGE: usize = 5000;

pub(super) fn emit(listings: &[&Listing], files: &mut Vec<OutFile>) {
    let mut refs = Vec::new();
    for (i, chunk) in listings.chunks(PER_PAGE).enumerate() {
        let path = format!("names/{}.json", i + 1);
        let names: Vec<NameEntry> = chunk
            .iter()
            .map(|l| NameEntry {
                name: l.name.clone(),
                latest: l.latest.clone(),
                description: l.description.clone(),
            })
            .collect();
        refs.push(NamesPageRef {
            path: path.clone(),
            first: canonical(&chunk[0].name),
            last: canonical(&chunk[chunk.len() - 1].name),
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
            total: listings.len(),
            pages: refs,
        },
    ));
}
