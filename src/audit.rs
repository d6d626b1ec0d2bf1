//! The audit trail, read from the walk `source::history` makes: what each
//! edit of a manifest means ([`read_edit`], handed to the walk) and each
//! plugin's trail of registrations, publications and edits ([`trail`]), which
//! the model keeps and `emit` publishes.

use std::sync::Arc;

use crate::format::types::{Owner, OwnerChanges, list_or_none};
use crate::source::history::{Edit, History};

/// One entry of a plugin's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Seconds since the epoch.
    pub time: i64,
    /// `None` when the change is not in a commit (the fallback rule).
    pub commit: Option<Arc<str>>,
    /// The commit's author name.
    pub author: Option<Arc<str>>,
    /// `register`, `publish`, `yank`, `unyank`, `deprecate`, `undeprecate`,
    /// `sign`, `resign`, `delete`, `owners`, `deprecate-plugin`, `undeprecate-plugin`.
    pub action: &'static str,
    pub version: Option<String>,
    pub detail: Option<String>,
}

/// The audit trail of the plugin in folder `dir`: its registration, the
/// publication of each of `releases` (`(manifest path, version, pubtime)`)
/// and every recorded event, oldest first.
pub fn trail<'a>(
    history: &History,
    dir: &str,
    releases: impl Iterator<Item = (&'a str, String, i64)>,
) -> Vec<AuditEntry> {
    let commit = |i: u32| history.commit(i);
    let mut entries: Vec<(i64, u32, AuditEntry)> = releases
        .map(|(file, version, pubtime)| {
            let added = history.added(file);
            let c = added.and_then(|a| commit(a.commit));
            let order = added.map_or(u32::MAX, |a| a.commit);
            let entry = AuditEntry {
                time: pubtime,
                commit: c.map(|c| c.id.clone()),
                author: c.map(|c| c.author.clone()),
                action: "publish",
                version: Some(version),
                detail: None,
            };
            (pubtime, order, entry)
        })
        .collect();
    for e in history.events(dir) {
        let c = commit(e.commit);
        entries.push((
            e.time,
            e.commit,
            AuditEntry {
                time: e.time,
                commit: c.map(|c| c.id.clone()),
                author: c.map(|c| c.author.clone()),
                action: e.edit.action,
                version: e.edit.version.clone(),
                detail: e.edit.detail.clone(),
            },
        ));
    }
    // Commits in mainline order; within one, registration first, then by version.
    let rank = |a: &str| u8::from(a != "register");
    entries.sort_by(|a, b| {
        (a.1, a.0, rank(a.2.action), &a.2.version, a.2.action).cmp(&(
            b.1,
            b.0,
            rank(b.2.action),
            &b.2.version,
            b.2.action,
        ))
    });
    entries.into_iter().map(|(_, _, e)| e).collect()
}

/// The edits between two texts of a manifest (a [`crate::source::history::ReadEdit`]):
/// none when either text is not TOML.
pub fn read_edit(old: &str, new: &str, version: Option<&str>) -> Vec<Edit> {
    let (Ok(old), Ok(new)) = (old.parse::<toml::Table>(), new.parse::<toml::Table>()) else {
        return Vec::new();
    };
    table_changes(&old, &new, version)
        .into_iter()
        .map(|(action, version, detail)| Edit {
            action,
            version,
            detail,
        })
        .collect()
}

/// The audit events between two versions of a manifest: yanks, deprecations
/// and signatures of a version (`version` is its file stem), or the owners
/// and deprecation of a plugin.
fn table_changes(
    old: &toml::Table,
    new: &toml::Table,
    version: Option<&str>,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let differs = |k: &str| old.get(k) != new.get(k);
    let text = |v: Option<&toml::Value>| match v {
        Some(toml::Value::String(s)) => Some(s.clone()),
        Some(toml::Value::Table(t)) => t.get("message").and_then(|m| m.as_str()).map(str::to_owned),
        _ => None,
    };
    let mut out = Vec::new();
    let Some(v) = version else {
        if differs("owners") {
            // Typed owners; a table an older format cannot read counts as none.
            let owners = |t: &toml::Table| -> Vec<Owner> {
                t.get("owners")
                    .cloned()
                    .and_then(|v| v.try_into().ok())
                    .unwrap_or_default()
            };
            let (before, after) = (owners(old), owners(new));
            let now: Vec<String> = after.iter().map(|o| o.github.clone()).collect();
            let detail = format!(
                "{}; now: {}",
                OwnerChanges::between(&before, &after),
                list_or_none(&now)
            );
            out.push(("owners", None, Some(detail)));
        }
        if differs("deprecated") {
            out.push(match text(new.get("deprecated")) {
                Some(m) => ("deprecate-plugin", None, Some(m)),
                None => ("undeprecate-plugin", None, None),
            });
        }
        return out;
    };
    let v = Some(v.to_owned());
    if differs("yanked") {
        out.push(match new.get("yanked") {
            Some(toml::Value::String(r)) => ("yank", v.clone(), Some(r.clone())),
            _ => ("unyank", v.clone(), None),
        });
    }
    if differs("deprecated") {
        out.push(match text(new.get("deprecated")) {
            Some(m) => ("deprecate", v.clone(), Some(m)),
            None => ("undeprecate", v.clone(), None),
        });
    }
    if differs("signature") {
        out.push((
            if old.contains_key("signature") {
                "resign"
            } else {
                "sign"
            },
            v,
            None,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions(old: &str, new: &str, version: Option<&str>) -> Vec<(&'static str, Option<String>)> {
        read_edit(old, new, version)
            .into_iter()
            .map(|e| (e.action, e.detail))
            .collect()
    }

    #[test]
    fn version_edits_are_named() {
        let v = Some("1.0.0");
        assert_eq!(
            actions("yanked = false", "yanked = \"broken\"", v),
            vec![("yank", Some("broken".into()))]
        );
        assert_eq!(
            actions("yanked = \"broken\"", "yanked = false", v),
            vec![("unyank", None)]
        );
        assert_eq!(
            actions("x = 1", "x = 1\nsignature = \"s\"", v),
            vec![("sign", None)]
        );
        assert_eq!(
            actions("signature = \"a\"", "signature = \"b\"", v),
            vec![("resign", None)]
        );
        assert_eq!(actions("x = 1", "x = 2", v), vec![]);
    }

    #[test]
    fn plugin_edits_are_named_and_text_that_is_not_toml_is_none() {
        let old = "[[owners]]\ngithub = \"a\"\n";
        let new = "[[owners]]\ngithub = \"a\"\n[[owners]]\ngithub = \"b\"\n";
        let edits = read_edit(old, new, None);
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].action, "owners");
        assert!(
            edits[0].detail.as_deref().is_some_and(|d| d.contains('b')),
            "{edits:?}"
        );
        assert_eq!(
            actions("", "deprecated = \"use c\"", None),
            vec![("deprecate-plugin", Some("use c".into()))]
        );
        assert_eq!(actions("= broken", "yanked = \"x\"", Some("1.0.0")), vec![]);
    }
}
