//! The rules only a change has, applied to one plugin as it was at the base
//! and as it is at the head. Pure: both sides are already read and parsed.

use serde_json::Value;

use crate::check::{Loaded, Parsed};
use crate::diagnostic::{Code, Diagnostic, Step};
use crate::format::name::{canonical, skeleton};
use crate::format::types::{Owner, OwnerChanges, PluginManifest, RemovedPlugin, Yanked};
use crate::manifest::ParsedVersion;
use crate::model::Release;
use crate::source::PluginDir;
use crate::source::git::ChangeKind;
use crate::trust::keys::PublicKey;
use crate::trust::signature::AuthorSignature;
use crate::trust::statement::{owners_namespace, owners_text};

use super::Review;

pub(super) struct Context<'a> {
    pub registry: &'a str,
    pub author: Option<&'a str>,
    pub removed: &'a [RemovedPlugin],
}

#[derive(Default)]
pub(super) struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub reviews: Vec<Review>,
    pub events: Vec<String>,
}

impl Outcome {
    fn review(&mut self, file: impl Into<String>, reason: impl Into<String>) {
        self.reviews.push(Review {
            file: file.into(),
            outside: false,
            reason: reason.into(),
        });
    }
}

fn key(k: &str) -> Step {
    Step::Key(k.to_owned())
}

/// A plugin the base does not have: its name must be free and not look like
/// a taken or removed one; a maintainer reviews every new plugin.
pub(super) fn new_plugin(
    ctx: &Context<'_>,
    head: &Loaded,
    base: &[PluginDir],
    also_new: &[&PluginDir],
) -> Outcome {
    let mut out = Outcome::default();
    let toml = format!("{}/plugin.toml", head.dir);
    let name = head.name.as_str();
    let (c, s) = (head.name.canonical(), head.name.skeleton());
    let at_name = |d: Diagnostic| d.at_field(vec![key("name")]);
    if let Some(taken) = base.iter().find(|d| canonical(&d.name) == c) {
        out.diagnostics.push(
            at_name(Diagnostic::error(&toml, Code::DuplicateName, format!("`{name}` is the same name as the existing plugin `{}` (names ignore case and treat `-` and `_` alike)", taken.name)))
                .hint(format!("choose another name; `{}` is taken", taken.name)),
        );
    } else if let Some(like) = base
        .iter()
        .map(|d| d.name.as_str())
        .chain(ctx.removed.iter().map(|r| r.name.as_str()))
        .chain(
            also_new
                .iter()
                .filter(|d| d.rel < head.dir)
                .map(|d| d.name.as_str()),
        )
        .find(|other| skeleton(other) == s && canonical(other) != c)
    {
        out.diagnostics.push(
            at_name(Diagnostic::error(&toml, Code::ConfusableName, format!("`{name}` looks like the plugin name `{like}`")))
                .hint("choose a name that differs by more than look-alike characters (0/o, 1/l/i, rn/m, separators)"),
        );
    }
    let owners = head
        .info
        .as_ref()
        .map(|i| logins(&i.manifest.owners))
        .unwrap_or_default();
    out.events.push(format!(
        "new plugin with {} version{}, owners: {}",
        head.releases.len(),
        if head.releases.len() == 1 { "" } else { "s" },
        if owners.is_empty() {
            "none".to_owned()
        } else {
            owners.join(", ")
        }
    ));
    let mut reason = format!(
        "registers the new plugin `{name}`: a maintainer checks the name and its first owners ({})",
        owners.join(", ")
    );
    if let Some(a) = ctx.author
        && !owners.iter().any(|o| o.eq_ignore_ascii_case(a))
    {
        reason.push_str(&format!("; the author `{a}` is not among them"));
    }
    out.review(toml, reason);
    out
}

/// A plugin the base has: who may change it, and what may change.
pub(super) fn existing_plugin(
    ctx: &Context<'_>,
    dir: &PluginDir,
    base: &Parsed,
    head: Option<&Loaded>,
    files: &[(&str, ChangeKind)],
) -> Outcome {
    let mut out = Outcome::default();
    let toml = format!("{}/plugin.toml", dir.rel);
    let Some(head) = head else {
        if ctx
            .removed
            .iter()
            .any(|r| canonical(&r.name) == base.name.canonical())
        {
            out.events.push("removed by a maintainer".into());
            out.review(&toml, format!("removes the plugin `{}`", dir.name));
        } else {
            out.diagnostics.push(
                Diagnostic::error(&toml, Code::PluginDeleted, format!("the plugin `{}` cannot be deleted or renamed", dir.name))
                    .hint("deprecate it in `plugin.toml` (optionally naming a replacement) and yank versions that must not be installed; only a maintainer removes plugins, listing them under `[[removed]]` in `revocations.toml`"),
            );
        }
        return out;
    };
    let base_owners: &[Owner] = base.info.as_ref().map_or(&[], |i| &i.manifest.owners);
    if base.info.is_none() {
        out.review(
            &toml,
            "the base's `plugin.toml` does not parse, so its owners are unknown",
        );
    }
    let base_keys: Vec<PublicKey> = base_owners
        .iter()
        .flat_map(|o| &o.keys)
        .filter_map(|k| PublicKey::parse(k).ok())
        .collect();
    let is_owner = ctx
        .author
        .is_some_and(|a| base_owners.iter().any(|o| o.github.eq_ignore_ascii_case(a)));
    let by_owner_key =
        |k: Option<&PublicKey>| k.is_some_and(|k| base_keys.iter().any(|b| b.bytes() == k.bytes()));
    let stranger = |file: &str, what: &str| {
        let who = ctx.author.map_or_else(
            || "an unknown author (no `--author`)".to_owned(),
            |a| format!("`{a}`"),
        );
        Diagnostic::error(file, Code::NotAnOwner, format!("{who} {what}, but is not an owner of `{}` (owners: {})", dir.name, logins(base_owners).join(", ")))
            .hint("ask an owner to open the pull request, or sign the release with an owner's key (`plugdex sign`)")
    };

    for &(file, kind) in files {
        let rest = &file[dir.rel.len() + 1..];
        match (rest, kind) {
            ("plugin.toml", ChangeKind::Modified) => {
                let (Some(b), Some(h)) = (base.info.as_ref(), head.info.as_ref()) else {
                    continue;
                };
                plugin_toml(
                    ctx,
                    &mut out,
                    file,
                    &dir.name,
                    &b.manifest,
                    &h.manifest,
                    is_owner,
                    &base_keys,
                    &stranger,
                );
            }
            ("README.md", _) => {
                out.events.push("updates the README".into());
                if !is_owner {
                    out.diagnostics.push(stranger(file, "changes the README"));
                }
            }
            (_, ChangeKind::Deleted) if rest.starts_with("versions/") => {
                out.diagnostics.push(
                    Diagnostic::error(file, Code::VersionDeleted, format!("`{file}` is a published version and cannot be deleted"))
                        .hint("restore the file and set `yanked = \"<reason>\"` in it instead; clients then skip the version unless a lock file pins it"),
                );
            }
            (_, ChangeKind::Added) if rest.starts_with("versions/") => {
                let Some(r) = release(head, file) else {
                    continue;
                };
                let signed = by_owner_key(r.trust.signer.as_deref());
                let how = match &r.trust.signer {
                    Some(k) if signed => format!("signed by owner key {}", k.fingerprint()),
                    Some(k) => format!(
                        "signed by key {}, not a current owner key of the base",
                        k.fingerprint()
                    ),
                    None => "unsigned".to_owned(),
                };
                out.events
                    .push(format!("new version {} ({how})", r.parsed.version));
                if !is_owner && !signed {
                    out.diagnostics
                        .push(stranger(file, "publishes a new version"));
                }
                if r.trust.signer.is_none() {
                    out.review(
                        file,
                        format!(
                            "publishes {} {} unsigned (tier experimental)",
                            dir.name, r.parsed.version
                        ),
                    );
                }
            }
            (_, ChangeKind::Modified) if rest.starts_with("versions/") => {
                let base_version = base.releases.iter().find(|r| r.file == file);
                let (Some(b), Some(h)) = (base_version, release(head, file)) else {
                    continue;
                };
                published_version(
                    &mut out,
                    file,
                    &b.parsed,
                    h,
                    is_owner,
                    by_owner_key(h.trust.signer.as_deref()),
                    &stranger,
                );
            }
            // Anything else in a plugin folder is reported by the layout rules.
            _ => {}
        }
    }
    out
}

fn release<'a>(l: &'a Loaded, file: &str) -> Option<&'a Release> {
    l.releases.iter().find(|r| r.file == file)
}

fn logins(owners: &[Owner]) -> Vec<String> {
    owners.iter().map(|o| o.github.clone()).collect()
}

#[allow(clippy::too_many_arguments)]
fn plugin_toml(
    ctx: &Context<'_>,
    out: &mut Outcome,
    file: &str,
    name: &str,
    base: &PluginManifest,
    head: &PluginManifest,
    is_owner: bool,
    base_keys: &[PublicKey],
    stranger: &dyn Fn(&str, &str) -> Diagnostic,
) {
    let new_owners = owners_text(ctx.registry, name, &head.owners);
    // A key that does not parse has no statement (`check` reports the key
    // itself): the owners are then compared as written.
    let changed = match (&owners_text(ctx.registry, name, &base.owners), &new_owners) {
        (Ok(old), Ok(new)) => old != new,
        _ => base.owners != head.owners,
    };
    if changed {
        let signer = head.owners_signature.as_deref().and_then(|sig| {
            let new_owners = new_owners.as_ref().ok()?;
            let sig = AuthorSignature::parse(sig).ok()?;
            base_keys.iter().find(|k| {
                sig.verify(k, new_owners.as_bytes(), &owners_namespace(ctx.registry))
                    .is_ok()
            })
        });
        let what = format!(
            "changes the owners ({})",
            OwnerChanges::between(&base.owners, &head.owners)
        );
        out.events.push(what.clone());
        match (is_owner, signer) {
            (_, Some(k)) => out.review(file, format!("{what}, signed by the current owner key {}", k.fingerprint())),
            (true, None) => out.review(file, format!("{what}, made by a current owner")),
            (false, None) => out.diagnostics.push(
                Diagnostic::error(file, Code::OwnersUnauthorised, format!("{what} without a current owner's authorisation"))
                    .at_field(vec![key("owners")])
                    .hint("a current owner must open the pull request, or sign the new owners: `plugdex statement <plugin.toml>` prints the text, `plugdex sign --key <owner key> <plugin.toml>` writes `owners_signature`"),
            ),
        }
    }
    let strip = |m: &PluginManifest| PluginManifest {
        owners: Vec::new(),
        owners_signature: None,
        ..m.clone()
    };
    if strip(base) != strip(head) {
        if base.deprecated.is_none() && head.deprecated.is_some() {
            out.events.push("deprecates the plugin".into());
        }
        out.events.push("updates plugin.toml".into());
        if !is_owner {
            out.diagnostics
                .push(stranger(file, "changes `plugin.toml`"));
        }
    }
}

/// A published version may only change its lifecycle fields and signature.
fn published_version(
    out: &mut Outcome,
    file: &str,
    base: &ParsedVersion,
    head: &Release,
    is_owner: bool,
    signed_by_owner: bool,
    stranger: &dyn Fn(&str, &str) -> Diagnostic,
) {
    let immutable = immutable_changes(base, &head.parsed);
    for field in &immutable {
        let shown = field
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(".");
        out.diagnostics.push(
            Diagnostic::error(file, Code::PublishedChanged, format!("{shown} of the published version {} cannot change", base.version))
                .at_field(field.iter().map(|s| key(s)).collect())
                .hint("publish a new version instead; only `yanked`, `deprecated` and `signature` of a published version may change"),
        );
    }
    let (bm, hm) = (&base.manifest, &head.parsed.manifest);
    let v = &head.parsed.version;
    let mut lifecycle = false;
    if bm.yanked != hm.yanked {
        lifecycle = true;
        out.events.push(match &hm.yanked {
            Yanked::Reason(r) => format!("yanks {v}: {r}"),
            Yanked::No => format!("un-yanks {v}"),
        });
    }
    if bm.deprecated != hm.deprecated {
        lifecycle = true;
        out.events.push(if hm.deprecated.is_some() {
            format!("deprecates {v}")
        } else {
            format!("un-deprecates {v}")
        });
    }
    let resigned = bm.signature != hm.signature;
    if resigned {
        out.events.push(format!("re-signs {v}"));
    }
    // A new signature by a current owner key speaks for the owner; yanking
    // and deprecating are not signed, so they need the owner themself.
    let only_resigned = resigned && !lifecycle && immutable.is_empty();
    let changed = resigned || lifecycle || !immutable.is_empty();
    if changed && !is_owner && !(only_resigned && signed_by_owner) {
        out.diagnostics.push(stranger(
            file,
            &format!("changes the published version {v}"),
        ));
    }
}

/// The fields of a version manifest that differ, other than `yanked`,
/// `deprecated` and `signature`; tables are compared one level down so the
/// diagnostic points at e.g. `artifact.sha256`.
fn immutable_changes(base: &ParsedVersion, head: &ParsedVersion) -> Vec<Vec<String>> {
    let strip = |p: &ParsedVersion| {
        let mut v = serde_json::to_value(&p.manifest).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            for k in ["yanked", "deprecated", "signature", "dependencies"] {
                m.remove(k);
            }
        }
        v
    };
    let (Value::Object(b), Value::Object(h)) = (strip(base), strip(head)) else {
        return Vec::new();
    };
    let mut fields: Vec<Vec<String>> = Vec::new();
    let keys: std::collections::BTreeSet<&String> = b.keys().chain(h.keys()).collect();
    for k in keys {
        match (b.get(k), h.get(k)) {
            (Some(Value::Object(bo)), Some(Value::Object(ho))) if bo != ho => {
                let sub: std::collections::BTreeSet<&String> = bo.keys().chain(ho.keys()).collect();
                fields.extend(
                    sub.into_iter()
                        .filter(|s| bo.get(*s) != ho.get(*s))
                        .map(|s| vec![k.clone(), s.clone()]),
                );
            }
            (x, y) if x != y => fields.push(vec![k.clone()]),
            _ => {}
        }
    }
    let deps = |p: &ParsedVersion| {
        p.manifest
            .dependencies
            .iter()
            .map(|d| (canonical(&d.name), d.req.to_string(), d.optional))
            .collect::<Vec<_>>()
    };
    if deps(base) != deps(head) {
        fields.push(vec!["dependencies".into()]);
    }
    fields
}
