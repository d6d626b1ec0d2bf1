//! Which plugin folders a span of mainline commits touched. A build that
//! reuses cached results for unchanged plugins must redo every plugin whose
//! files changed in any commit of the span, even a change undone later: its
//! audit trail grew.

use std::collections::BTreeSet;
use std::path::Path;

use git2::{Oid, Repository};

use super::git::diff_trees;
use super::{PLUGINS_DIR, plugin_dir_of};

/// The plugin folders (relative to the index root, whose path in the
/// repository is `prefix`, `/`-terminated or empty) that commits between
/// `from` and `to` touched, when one is a first-parent ancestor of the other
/// at most `limit` commits away. `None` otherwise: the two histories
/// diverge (a rewrite), or are too far apart to be worth walking.
pub fn touched_between(
    repo: &Repository,
    prefix: &str,
    from: Oid,
    to: Oid,
    limit: usize,
) -> Option<BTreeSet<String>> {
    let span =
        mainline_span(repo, from, to, limit).or_else(|| mainline_span(repo, to, from, limit))?;
    let plugins = format!("{prefix}{PLUGINS_DIR}");
    let plugins_tree = |id: Oid| -> Option<git2::Tree<'_>> {
        let tree = repo.find_commit(id).ok()?.tree().ok()?;
        let entry = tree.get_path(Path::new(&plugins)).ok()?;
        repo.find_tree(entry.id()).ok()
    };
    let mut dirs = BTreeSet::new();
    for (commit, parent) in span {
        let (new, old) = (plugins_tree(commit), parent.and_then(plugins_tree));
        let mut on_change = |change: super::git::Change| {
            if let Some(dir) = change.path.strip_prefix(prefix).and_then(plugin_dir_of) {
                dirs.insert(dir.rel);
            }
        };
        diff_trees(
            repo,
            old.as_ref(),
            new.as_ref(),
            &format!("{plugins}/"),
            &mut on_change,
        )
        .ok()?;
    }
    Some(dirs)
}

/// The commits after `ancestor` up to `tip` on `tip`'s first-parent chain,
/// each with its first parent; `None` when `ancestor` is not on that chain
/// within `limit` commits.
fn mainline_span(
    repo: &Repository,
    ancestor: Oid,
    tip: Oid,
    limit: usize,
) -> Option<Vec<(Oid, Option<Oid>)>> {
    let mut span = Vec::new();
    let mut at = tip;
    while at != ancestor {
        if span.len() >= limit {
            return None;
        }
        let parent = repo.find_commit(at).ok()?.parent_id(0).ok();
        span.push((at, parent));
        at = parent?;
    }
    Some(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(repo: &Repository, files: &[(&str, &str)], parent: Option<Oid>) -> Oid {
        let mut index = git2::Index::new().unwrap();
        for (path, text) in files {
            let blob = repo.blob(text.as_bytes()).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: 0,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry).unwrap();
        }
        let tree = repo.find_tree(index.write_tree_to(repo).unwrap()).unwrap();
        let sig = git2::Signature::new("t", "t@example.org", &git2::Time::new(0, 0)).unwrap();
        let parents: Vec<git2::Commit<'_>> = parent
            .map(|p| repo.find_commit(p).unwrap())
            .into_iter()
            .collect();
        let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repo.commit(None, &sig, &sig, "c", &tree, &refs).unwrap()
    }

    #[test]
    fn a_change_undone_later_still_counts_and_diverged_histories_give_none() {
        let d = tempfile::tempdir().unwrap();
        let repo = Repository::init(d.path()).unwrap();
        let a = "index/plugins/3/a/abc/plugin.toml";
        let b = "index/plugins/he/ll/hello/versions/1.0.0.toml";
        let base = commit(&repo, &[(a, "1"), (b, "1")], None);
        let changed = commit(&repo, &[(a, "1"), (b, "2")], Some(base));
        let back = commit(&repo, &[(a, "1"), (b, "1")], Some(changed));
        let touched = touched_between(&repo, "index/", base, back, 100).unwrap();
        assert_eq!(
            touched.into_iter().collect::<Vec<_>>(),
            ["plugins/he/ll/hello"]
        );
        // Going back along the same line works too.
        let touched = touched_between(&repo, "index/", changed, base, 100).unwrap();
        assert_eq!(touched.len(), 1);
        assert!(
            touched_between(&repo, "index/", back, back, 100)
                .unwrap()
                .is_empty()
        );
        // A sibling line of history is not comparable.
        let other = commit(&repo, &[(a, "2"), (b, "1")], Some(base));
        assert!(touched_between(&repo, "index/", changed, other, 100).is_none());
        // Nor is one too far away.
        assert!(touched_between(&repo, "index/", base, back, 1).is_none());
    }
}
