//! Signature checks: every owner key parses and is strong, every release's
//! signature verifies (strictly) under a current or retired owner key, and
//! the registry's `[signing]` delegation holds. Each release gets its trust
//! tier here. Runs in parallel, one plugin per task.

use std::collections::{HashMap, HashSet};

use super::Parsed;
use super::facts::PluginView;
use crate::check::verified::VerifiedCache;
use crate::diagnostic::{Code, Diagnostic};
use crate::format::published::Tier;
use crate::format::types::{RegistryConfig, ReviewedList, RevocationList, Signing};
use crate::manifest::document::{FileRef, Key};
use crate::model::{RegistryKeys, ReleaseTrust};
use crate::source::{REGISTRY_FILE, REVIEWED_FILE, REVOCATIONS_FILE};
use crate::trust::keys::PublicKey;
use crate::trust::signature::{AuthorSignature, NoSigner, find_signer};
use crate::trust::statement::{self, ReleaseStatement, StatementArtifact};

fn f(name: &str) -> Key<'_> {
    Key::Field(name)
}

/// `reviewed.toml` and `revocations.toml`, as parsed (empty when absent).
#[derive(Debug, Default)]
pub(crate) struct TrustLists {
    pub reviewed: ReviewedList,
    pub revocations: RevocationList,
}

/// The keys of `revocations.toml`, parsed, with the reason each is revoked.
#[derive(Default)]
pub(crate) struct RevokedKeys {
    by_bytes: HashMap<[u8; 32], String>,
    /// In the file's order, as `revocations.json` lists them.
    pub listed: Vec<(PublicKey, String)>,
}

impl RevokedKeys {
    /// Why `key` is revoked, if it is.
    fn reason(&self, key: &PublicKey) -> Option<&String> {
        self.by_bytes.get(&key.bytes())
    }
}

/// The revoked keys of `revocations.toml`, reporting any that does not
/// parse. [`verify_plugin`] takes them.
pub(crate) fn revoked_keys(lists: &TrustLists, out: &mut Vec<Diagnostic>) -> RevokedKeys {
    let revocations = FileRef {
        path: REVOCATIONS_FILE,
    };
    let mut revoked_keys = RevokedKeys::default();
    for (i, k) in lists.revocations.keys.iter().enumerate() {
        match PublicKey::parse(&k.key) {
            Ok(key) => {
                revoked_keys.by_bytes.insert(key.bytes(), k.reason.clone());
                revoked_keys.listed.push((key, k.reason.clone()));
            }
            Err(e) => out.push(
                revocations
                    .error_at(
                        &[f("keys"), Key::Index(i), f("key")],
                        Code::KeyInvalid,
                        format!("revoked key does not parse: {e}"),
                    )
                    .hint("give the key exactly as the owner listed it in `plugin.toml`"),
            ),
        }
    }
    revoked_keys
}

/// Verifies one plugin's keys and releases: the trust of each release, in
/// the order of `plugin.releases`, and the problems in `out`.
/// Whether the trust lists name real releases is [`check_lists`]' job.
/// `reg` is `None` when `registry.toml` could not be read or its `id` is
/// invalid: every release statement names that id, so no signature could
/// verify and each would bury the one real cause under a bogus error. The
/// signatures are then not checked at all (the keys still are). Releases
/// whose signature is not checked (no valid `plugin.toml`, no registry id,
/// a signature that does not verify) are trusted as unsigned; a plugin with
/// such a problem has an error, so it is never published.
pub(crate) fn verify_plugin(
    plugin: &Parsed,
    reg: Option<&RegistryConfig>,
    lists: &TrustLists,
    revoked_keys: &RevokedKeys,
    cache: &VerifiedCache,
    out: &mut Vec<Diagnostic>,
) -> Vec<ReleaseTrust> {
    let unchecked = |name: &str| {
        plugin
            .releases
            .iter()
            .map(|r| ReleaseTrust::unsigned(revocation_of(lists, name, &r.parsed.manifest.version)))
            .collect()
    };
    let Some(info) = &plugin.info else {
        return unchecked(&plugin.name.to_string());
    };
    let manifest_file = format!("{}/plugin.toml", plugin.dir);
    let file = FileRef {
        path: &manifest_file,
    };
    let mut keys: Vec<PublicKey> = Vec::new();
    for (i, owner) in info.manifest.owners.iter().enumerate() {
        let lists = [("keys", &owner.keys), ("retired_keys", &owner.retired_keys)];
        for (field, list) in lists {
            for (j, text) in list.iter().enumerate() {
                match PublicKey::parse(text) {
                    Ok(key) => keys.push(key),
                    Err(e) => out.push(
                        file.error_at(
                            &[f("owners"), Key::Index(i), f(field), Key::Index(j)],
                            Code::KeyInvalid,
                            format!("key {} of owner `{}` is not usable: {e}", j + 1, owner.github),
                        )
                        .hint("paste the public key exactly: raw base64, the `RW...` line of a minisign `.pub` file, or an `ssh-ed25519 AAAA...` line"),
                    ),
                }
            }
        }
    }
    let name = info.manifest.name.as_str();
    let reviewed = lists.reviewed.plugins.get(name);
    let Some(reg) = reg else {
        return unchecked(name);
    };
    let namespace = statement::sshsig_namespace(&reg.id);
    let mut trusts = Vec::with_capacity(plugin.releases.len());
    for release in &plugin.releases {
        let m = &release.parsed.manifest;
        let rel = FileRef {
            path: &release.file,
        };
        let mut trust = ReleaseTrust::unsigned(revocation_of(lists, name, &m.version));
        let Some(sig_text) = &m.signature else {
            if reg.policy.require_signatures {
                out.push(
                    Diagnostic::error(&release.file, Code::SignatureMissing, format!("{name} {} is not signed, and this registry requires signatures", m.version))
                        .hint(format!("sign it: `plugdex sign --key KEY {}` (or see docs/trust.md, \"Signing a release\")", release.file)),
                );
            }
            trusts.push(trust);
            continue;
        };
        let sig = match AuthorSignature::parse(sig_text) {
            Ok(sig) => sig,
            Err(e) => {
                out.push(
                    rel.error_at(&[f("signature")], Code::SignatureMalformed, format!("`signature` is not a signature plugdex reads: {e}"))
                        .hint("paste the whole output of `plugdex sign`, `minisign -S` (the `.minisig` file) or `ssh-keygen -Y sign` (the `.sig` file)"),
                );
                trusts.push(trust);
                continue;
            }
        };
        let text = ReleaseStatement::of(
            &reg.id,
            name,
            &m.version,
            StatementArtifact::of_manifest(m),
            &release.parsed.signed_fields(),
        )
        .to_text();
        let signer = find_signer(&keys, |key| {
            let entry = VerifiedCache::entry(key, &text, sig_text);
            if cache.contains(&entry) {
                return Ok(());
            }
            sig.verify(key, text.as_bytes(), &namespace)?;
            cache.insert(entry);
            Ok(())
        });
        let signer = match signer {
            Ok(signer) => signer,
            Err(no_signer) => {
                let message = match no_signer {
                    NoSigner::Refused(e) => {
                        format!("the signature of {name} {} is refused: {e}", m.version)
                    }
                    NoSigner::NoKeys => format!(
                        "{name} {} is signed, but no owner of `{name}` lists a key",
                        m.version
                    ),
                    NoSigner::NoneVerifies => format!(
                        "the signature of {name} {} does not verify under any owner key of `{name}` ({})",
                        m.version,
                        keys.iter()
                            .map(PublicKey::fingerprint)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                out.push(
                rel.error_at(&[f("signature")], Code::SignatureInvalid, message).hint(format!(
                    "sign the statement that `plugdex statement {}` prints with an owner key listed in `plugin.toml`; any change to the artifact, dependencies, permissions or other facts needs a new signature",
                    release.file
                )),
            );
                trusts.push(trust);
                continue;
            }
        };
        if let Some(reason) = revoked_keys.reason(signer) {
            out.push(
                Diagnostic::warning(&release.file, Code::KeyRevoked, format!("{name} {} is signed by the revoked key {} ({reason}); it is published as revoked", m.version, signer.fingerprint()))
                    .hint("ask an owner to re-sign it with a current key"),
            );
            trust
                .revoked
                .get_or_insert_with(|| format!("signed by a revoked key: {reason}"));
        }
        trust.tier = if reviewed.is_some_and(|vs| vs.contains(&m.version)) {
            Tier::Verified
        } else {
            Tier::Community
        };
        trust.signer = Some(Box::new(signer.clone()));
        trusts.push(trust);
    }
    trusts
}

/// Why `revocations.toml` revokes `plugin` `version` (the whole plugin first), if it does.
fn revocation_of(lists: &TrustLists, plugin: &str, version: &str) -> Option<String> {
    let releases = &lists.revocations.releases;
    releases
        .iter()
        .find(|r| r.plugin == plugin && r.version.is_none())
        .or_else(|| {
            releases
                .iter()
                .find(|r| r.plugin == plugin && r.version.as_deref() == Some(version))
        })
        .map(|r| r.reason.clone())
}

/// `reviewed.toml` and `revocations.toml` must name releases that exist.
pub(crate) fn check_lists(
    plugins: &[PluginView<'_>],
    lists: &TrustLists,
    out: &mut Vec<Diagnostic>,
) {
    let mut versions: HashMap<&str, HashSet<&str>> = HashMap::new();
    for p in plugins {
        if let Some(name) = p.info_name {
            versions.insert(name, p.releases().map(|r| r.version_text).collect());
        }
    }
    let reviewed = FileRef {
        path: REVIEWED_FILE,
    };
    for (name, list) in &lists.reviewed.plugins {
        let Some(known) = versions.get(name.as_str()) else {
            out.push(
                reviewed
                    .error_at_key(
                        &[f("plugins"), f(name)],
                        Code::UnknownRelease,
                        format!("`reviewed.toml` lists `{name}`, which is not in the index"),
                    )
                    .hint("check the spelling; names are case-sensitive here"),
            );
            continue;
        };
        for (i, v) in list.iter().enumerate() {
            if !known.contains(v.as_str()) {
                out.push(
                    reviewed
                        .error_at(&[f("plugins"), f(name), Key::Index(i)], Code::UnknownRelease, format!("`{name}` has no version `{v}`"))
                        .hint("list only published versions, exactly as their `version` field spells them"),
                );
            }
        }
    }
    let revocations = FileRef {
        path: REVOCATIONS_FILE,
    };
    for (i, r) in lists.revocations.releases.iter().enumerate() {
        let found = versions
            .get(r.plugin.as_str())
            .map(|known| r.version.as_deref().is_none_or(|v| known.contains(v)));
        if found != Some(true) {
            let what = match &r.version {
                Some(v) => format!("`{} {v}`", r.plugin),
                None => format!("`{}`", r.plugin),
            };
            out.push(
                revocations
                    .error_at(
                        &[f("releases"), Key::Index(i)],
                        Code::UnknownRelease,
                        format!("the revocation of {what} names no release in the index"),
                    )
                    .hint("check the plugin name and version"),
            );
        }
    }
}

/// Checks `registry.toml`'s `[signing]`: keys parse, the threshold is
/// reachable, and at least `threshold` distinct root keys signed the
/// delegation to the online key.
pub(crate) fn verify_signing(
    id: &str,
    signing: &Signing,
    out: &mut Vec<Diagnostic>,
) -> Option<RegistryKeys> {
    let file = FileRef {
        path: REGISTRY_FILE,
    };
    let before = out.len();
    let mut root = Vec::new();
    for (i, text) in signing.root_keys.iter().enumerate() {
        match PublicKey::parse(text) {
            Ok(k) if root.iter().any(|r: &PublicKey| r.bytes() == k.bytes()) => out.push(
                file.error_at(
                    &[f("signing"), f("root_keys"), Key::Index(i)],
                    Code::InvalidSigning,
                    "this root key is listed twice",
                )
                .hint("each root key counts once towards the threshold; remove the copy"),
            ),
            Ok(k) => root.push(k),
            Err(e) => out.push(
                file.error_at(
                    &[f("signing"), f("root_keys"), Key::Index(i)],
                    Code::KeyInvalid,
                    format!("root key {} is not usable: {e}", i + 1),
                )
                .hint(
                    "generate root keys with `plugdex keygen` and keep the secret halves offline",
                ),
            ),
        }
    }
    if signing.threshold == 0 || signing.threshold as usize > signing.root_keys.len() {
        out.push(
            file.error_at(
                &[f("signing"), f("threshold")],
                Code::InvalidSigning,
                format!(
                    "`threshold` is {}, but `root_keys` lists {}",
                    signing.threshold,
                    signing.root_keys.len()
                ),
            )
            .hint("the threshold must be between 1 and the number of root keys"),
        );
    }
    let online = match PublicKey::parse(&signing.online_key) {
        Ok(k) => Some(k),
        Err(e) => {
            out.push(
                file.error_at(
                    &[f("signing"), f("online_key")],
                    Code::KeyInvalid,
                    format!("the online key is not usable: {e}"),
                )
                .hint("give the public half of the key CI signs with (`plugdex keygen` prints it)"),
            );
            None
        }
    };
    let online = online?;
    let mut delegation: Vec<(PublicKey, String)> = Vec::new();
    for (i, sig_text) in signing.online_key_signatures.iter().enumerate() {
        match statement::delegation_signer(id, &online, &root, sig_text) {
            Some(k) if !delegation.iter().any(|(b, _)| b.bytes() == k.bytes()) => {
                delegation.push((k.clone(), sig_text.trim().to_owned()));
            }
            Some(_) => {}
            None => out.push(
                file.error_at(&[f("signing"), f("online_key_signatures"), Key::Index(i)], Code::InvalidSigning, "this signature does not verify under any root key for this online key")
                    .hint("sign again with `plugdex delegate --root-key ROOT_KEY_FILE`, which prints the signature for the current `online_key`"),
            ),
        }
    }
    if delegation.len() < signing.threshold as usize && out.len() == before {
        out.push(
            file.error_at(
                &[f("signing"), f("online_key_signatures")],
                Code::InvalidSigning,
                format!(
                    "{} root keys signed the delegation; the threshold is {}",
                    delegation.len(),
                    signing.threshold
                ),
            )
            .hint("collect signatures from more root key holders with `plugdex delegate`"),
        );
    }
    (out.len() == before).then_some(RegistryKeys {
        root,
        threshold: signing.threshold,
        online,
        delegation,
    })
}
