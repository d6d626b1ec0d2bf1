//! The resolver: pure, no I/O. Given the index lines of every plugin that
//! may be needed, picks one version per plugin so that every requirement
//! (from the user and from the chosen plugins' dependencies) holds, the host
//! engine's version fits, the channel allows it, and the trust policy
//! accepts it.
//!
//! Choice: the locked version when it still fits (so `install` does not move
//! what is already installed), else the highest version that fits. There is
//! no backtracking: when the versions chosen so far leave a plugin with no
//! version meeting every requirement, the conflict is reported with each
//! requirement and who made it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use semver::{Version, VersionReq};

use crate::format::name::canonical;
use crate::format::published::{IndexLine, Tier};
use crate::format::types::Channel;
use crate::untrusted::shown;

/// What the user asked for: a plugin and a requirement (`*` when none given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub name: String,
    pub req: VersionReq,
}

impl Request {
    /// Parses `NAME` or `NAME@REQ` (`git@^1.2`, `git@1.2.0`, meaning `^1.2.0` as in cargo).
    pub fn parse(text: &str) -> Result<Request, ResolveError> {
        let (name, req) = match text.split_once('@') {
            Some((n, r)) => (n, r),
            None => (text, "*"),
        };
        let req = VersionReq::parse(req).map_err(|e| ResolveError::BadRequirement {
            text: text.to_owned(),
            why: e.to_string(),
        })?;
        if name.is_empty() {
            return Err(ResolveError::BadRequirement {
                text: text.to_owned(),
                why: "no plugin name before `@`".into(),
            });
        }
        Ok(Request {
            name: canonical(name),
            req,
        })
    }
}

/// What the host allows.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The host application's version; `None` skips the engine check.
    pub engine: Option<Version>,
    pub channel: Channel,
    /// Install releases of the `experimental` tier (unsigned).
    pub allow_experimental: bool,
}

/// Who made a requirement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Requirer {
    /// The command line (or a plugin installed by name, from the lock file).
    User,
    Plugin {
        name: String,
        vers: String,
    },
}

impl fmt::Display for Requirer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirer::User => f.write_str("you"),
            Requirer::Plugin { name, vers } => write!(f, "{name} {vers}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("`{text}` is not a plugin requirement: {why}")]
    BadRequirement { text: String, why: String },
    #[error("{}", no_such_plugin(name, by))]
    NoSuchPlugin { name: String, by: Requirer },
    #[error("{}", conflict(name, requirements, rejected))]
    Conflict {
        name: String,
        requirements: Vec<(Requirer, String)>,
        /// Each version of the plugin and why it does not fit.
        rejected: Vec<(String, String)>,
    },
    #[error("dependencies of `{name}` keep changing the choice of versions; give exact versions")]
    NoFixpoint { name: String },
}

fn no_such_plugin(name: &str, by: &Requirer) -> String {
    match by {
        Requirer::User => format!("no plugin named `{name}` in this registry"),
        other => format!("{other} depends on `{name}`, which is not in this registry"),
    }
}

fn conflict(name: &str, reqs: &[(Requirer, String)], rejected: &[(String, String)]) -> String {
    let mut s = format!("no version of `{name}` meets every requirement:");
    for (by, req) in reqs {
        s.push_str(&format!("\n  `{req}` required by {by}"));
    }
    if rejected.is_empty() {
        s.push_str("\n  it has no versions");
    }
    for (vers, why) in rejected {
        s.push_str(&format!("\n  {vers}: {why}"));
    }
    s
}

/// The outcome: one line per plugin, and notices for the user.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resolution {
    pub chosen: BTreeMap<String, IndexLine>,
    /// Deprecations and tier notices, one sentence each.
    pub warnings: Vec<String>,
}

/// The plugin names this set of lines may need next: every dependency of
/// every line (so that a caller can fetch them all before resolving).
pub fn dependency_names<'a>(lines: impl IntoIterator<Item = &'a IndexLine>) -> BTreeSet<String> {
    lines
        .into_iter()
        .flat_map(|l| l.deps.iter().filter(|d| !d.optional))
        .map(|d| canonical(&d.name))
        .collect()
}

/// Whether `vers` meets `req`; on the beta channel a pre-release counts as
/// its release (`1.3.0-beta.1` meets `^1.2`).
fn meets(req: &VersionReq, vers: &Version, channel: Channel) -> bool {
    req.matches(vers)
        || (channel == Channel::Beta && !vers.pre.is_empty() && {
            let mut release = vers.clone();
            release.pre = semver::Prerelease::EMPTY;
            req.matches(&release)
        })
}

/// Why `line` may not be installed at all (independently of requirements).
fn unfit(
    line: &IndexLine,
    vers: &Version,
    policy: &Policy,
    locked: Option<&Version>,
) -> Option<String> {
    if let Some(reason) = &line.revoked {
        return Some(format!("revoked: {}", shown(reason)));
    }
    if let crate::format::types::Yanked::Reason(r) = &line.yanked
        && locked != Some(vers)
    {
        return Some(format!("yanked: {}", shown(r)));
    }
    if line.channel == Channel::Beta && policy.channel == Channel::Stable {
        return Some("on the beta channel (use `--channel beta`)".into());
    }
    if line.tier == Tier::Experimental && !policy.allow_experimental {
        return Some("unsigned, tier experimental (use `--allow-experimental`)".into());
    }
    if let Some(engine) = &policy.engine {
        match VersionReq::parse(&line.engine) {
            Ok(req) if meets(&req, engine, Channel::Beta) => {}
            Ok(_) => return Some(format!("needs engine `{}`, not {engine}", line.engine)),
            Err(e) => {
                return Some(format!(
                    "engine requirement `{}` is invalid: {e}",
                    line.engine
                ));
            }
        }
    }
    None
}

/// The highest version the policy allows, whatever the requirements: what
/// `list` and `info` show as "latest".
pub fn latest<'a>(lines: &'a [IndexLine], policy: &Policy) -> Option<&'a IndexLine> {
    lines
        .iter()
        .filter_map(|l| Some((Version::parse(&l.vers).ok()?, l)))
        .filter(|(v, l)| unfit(l, v, policy, None).is_none())
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, l)| l)
}

/// Resolves `requests` against `available` (canonical name → its index
/// lines). `locked` holds the versions installed now: preferred when they
/// fit, and a locked yanked version stays allowed.
pub fn resolve(
    requests: &[Request],
    available: &BTreeMap<String, Vec<IndexLine>>,
    locked: &BTreeMap<String, Version>,
    policy: &Policy,
) -> Result<Resolution, ResolveError> {
    let mut chosen: BTreeMap<String, (Version, IndexLine)> = BTreeMap::new();
    // Each round recomputes the requirements from the user and the chosen
    // versions, then re-picks; it stops when nothing changes. Choices only
    // move when a new requirement excludes them, so this ends quickly.
    for _round in 0..64 {
        let mut reqs: BTreeMap<String, Vec<(Requirer, VersionReq)>> = BTreeMap::new();
        for r in requests {
            reqs.entry(r.name.clone())
                .or_default()
                .push((Requirer::User, r.req.clone()));
        }
        for (name, (vers, line)) in &chosen {
            for d in line.deps.iter().filter(|d| !d.optional) {
                let by = Requirer::Plugin {
                    name: name.clone(),
                    vers: vers.to_string(),
                };
                let req = VersionReq::parse(&d.req).map_err(|e| ResolveError::BadRequirement {
                    text: format!("{}@{} (from {by})", d.name, d.req),
                    why: e.to_string(),
                })?;
                reqs.entry(canonical(&d.name)).or_default().push((by, req));
            }
        }
        let mut next = BTreeMap::new();
        for (name, wanted) in &reqs {
            let lines = available
                .get(name)
                .ok_or_else(|| ResolveError::NoSuchPlugin {
                    name: name.clone(),
                    by: wanted[0].0.clone(),
                })?;
            next.insert(
                name.clone(),
                pick(name, lines, wanted, locked.get(name), policy)?,
            );
        }
        let same = next.len() == chosen.len()
            && next
                .iter()
                .all(|(n, (v, _))| chosen.get(n).is_some_and(|(c, _)| c == v));
        chosen = next;
        if same {
            return Ok(finish(chosen, policy));
        }
    }
    Err(ResolveError::NoFixpoint {
        name: requests.first().map(|r| r.name.clone()).unwrap_or_default(),
    })
}

fn pick(
    name: &str,
    lines: &[IndexLine],
    wanted: &[(Requirer, VersionReq)],
    locked: Option<&Version>,
    policy: &Policy,
) -> Result<(Version, IndexLine), ResolveError> {
    let mut fits = Vec::new();
    let mut rejected = Vec::new();
    for line in lines {
        let Ok(vers) = Version::parse(&line.vers) else {
            rejected.push((line.vers.clone(), "not a SemVer version".into()));
            continue;
        };
        let why = unfit(line, &vers, policy, locked).or_else(|| {
            wanted
                .iter()
                .find(|(_, req)| !meets(req, &vers, policy.channel))
                .map(|(by, req)| format!("does not meet `{req}` from {by}"))
        });
        match why {
            Some(why) => rejected.push((line.vers.clone(), why)),
            None => fits.push((vers, line)),
        }
    }
    let best = fits
        .iter()
        .find(|(v, _)| Some(v) == locked)
        .or_else(|| fits.iter().max_by(|a, b| a.0.cmp(&b.0)));
    match best {
        Some((v, line)) => Ok((v.clone(), (*line).clone())),
        None => Err(ResolveError::Conflict {
            name: name.to_owned(),
            requirements: wanted
                .iter()
                .map(|(by, req)| (by.clone(), req.to_string()))
                .collect(),
            rejected,
        }),
    }
}

fn finish(chosen: BTreeMap<String, (Version, IndexLine)>, policy: &Policy) -> Resolution {
    let mut warnings = Vec::new();
    for (name, (vers, line)) in &chosen {
        if let Some(d) = &line.deprecated {
            let instead = d
                .replacement
                .as_deref()
                .map(|r| format!("; use `{}` instead", shown(r)))
                .unwrap_or_default();
            warnings.push(format!(
                "{name} {vers} is deprecated: {}{instead}",
                shown(&d.message)
            ));
        }
        if let crate::format::types::Yanked::Reason(r) = &line.yanked {
            warnings.push(format!(
                "{name} {vers} is yanked ({}); kept because the lock file pins it",
                shown(r)
            ));
        }
        if line.tier == Tier::Experimental && policy.allow_experimental {
            warnings.push(format!("{name} {vers} is unsigned (tier experimental)"));
        }
    }
    Resolution {
        chosen: chosen.into_iter().map(|(n, (_, l))| (n, l)).collect(),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::published::IndexDep;
    use crate::format::types::{Runtime, Yanked};

    fn line(name: &str, vers: &str, deps: &[(&str, &str)]) -> IndexLine {
        IndexLine {
            v: 1,
            name: name.into(),
            vers: vers.into(),
            sha256: Some(crate::digest::Sha256([0; 32])),
            size: Some(1),
            dl: Some(format!("https://x.example/{name}-{vers}.tar.gz")),
            platforms: vec![],
            engine: ">=1.0.0, <2.0.0".into(),
            deps: deps
                .iter()
                .map(|(n, r)| IndexDep {
                    name: (*n).into(),
                    req: (*r).into(),
                    optional: false,
                })
                .collect(),
            permissions: vec![],
            runtime: Runtime::Wasm,
            entry: "main.wasm".into(),
            channel: if vers.contains('-') {
                Channel::Beta
            } else {
                Channel::Stable
            },
            caps: vec![],
            yanked: Yanked::No,
            deprecated: None,
            pubtime: "2026-01-01T00:00:00Z".into(),
            tier: Tier::Community,
            sig: Some("sig".into()),
            signer: Some(crate::format::published::Signer::Key(
                crate::trust::keys::RawKey::from(&crate::trust::SecretKey::generate().public()),
            )),
            revoked: None,
        }
    }

    fn registry(lines: Vec<IndexLine>) -> BTreeMap<String, Vec<IndexLine>> {
        let mut map: BTreeMap<String, Vec<IndexLine>> = BTreeMap::new();
        for l in lines {
            map.entry(l.name.clone()).or_default().push(l);
        }
        map
    }

    fn req(s: &str) -> Request {
        Request::parse(s).expect("request")
    }

    fn versions(r: &Resolution) -> Vec<String> {
        r.chosen
            .values()
            .map(|l| format!("{} {}", l.name, l.vers))
            .collect()
    }

    fn policy() -> Policy {
        Policy {
            engine: Some(Version::new(1, 5, 0)),
            ..Policy::default()
        }
    }

    #[test]
    fn picks_the_highest_fitting_version_and_follows_dependencies() {
        let reg = registry(vec![
            line("md", "0.4.0", &[]),
            line("md", "0.4.2", &[]),
            line("md", "0.5.0", &[]),
            line("git", "1.0.0", &[("md", "^0.4")]),
        ]);
        let r = resolve(&[req("git")], &reg, &BTreeMap::new(), &policy()).unwrap();
        assert_eq!(versions(&r), ["git 1.0.0", "md 0.4.2"]);
    }

    #[test]
    fn a_conflict_names_each_requirement_and_who_made_it() {
        let reg = registry(vec![
            line("md", "0.4.0", &[]),
            line("md", "0.5.0", &[]),
            line("git", "1.0.0", &[("md", "^0.4")]),
            line("toc", "2.0.0", &[("md", "^0.5")]),
        ]);
        let err =
            resolve(&[req("git"), req("toc")], &reg, &BTreeMap::new(), &policy()).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, ResolveError::Conflict { ref name, .. } if name == "md"),
            "{text}"
        );
        assert!(text.contains("`^0.4` required by git 1.0.0"), "{text}");
        assert!(text.contains("`^0.5` required by toc 2.0.0"), "{text}");
        assert!(
            text.contains("0.4.0: does not meet `^0.5` from toc 2.0.0"),
            "{text}"
        );
    }

    #[test]
    fn yanked_versions_are_excluded_unless_the_lock_file_pins_them() {
        let mut yanked = line("md", "0.4.2", &[]);
        yanked.yanked = Yanked::Reason("broken".into());
        let reg = registry(vec![line("md", "0.4.0", &[]), yanked]);
        let r = resolve(&[req("md")], &reg, &BTreeMap::new(), &policy()).unwrap();
        assert_eq!(versions(&r), ["md 0.4.0"]);
        let locked = BTreeMap::from([("md".to_owned(), Version::new(0, 4, 2))]);
        let r = resolve(&[req("md")], &reg, &locked, &policy()).unwrap();
        assert_eq!(versions(&r), ["md 0.4.2"]);
        assert!(r.warnings[0].contains("yanked"), "{:?}", r.warnings);
        // Asking for exactly the yanked version without a lock is refused.
        let err = resolve(&[req("md@=0.4.2")], &reg, &BTreeMap::new(), &policy()).unwrap_err();
        assert!(err.to_string().contains("0.4.2: yanked: broken"), "{err}");
    }

    #[test]
    fn the_engine_version_filters_releases() {
        let mut new = line("md", "1.0.0", &[]);
        new.engine = ">=2.0.0".into();
        let reg = registry(vec![line("md", "0.9.0", &[]), new]);
        let r = resolve(&[req("md")], &reg, &BTreeMap::new(), &policy()).unwrap();
        assert_eq!(versions(&r), ["md 0.9.0"]);
        let two = Policy {
            engine: Some(Version::new(2, 1, 0)),
            ..policy()
        };
        let err = resolve(&[req("md@^0.9")], &reg, &BTreeMap::new(), &two).unwrap_err();
        assert!(
            err.to_string()
                .contains("needs engine `>=1.0.0, <2.0.0`, not 2.1.0"),
            "{err}"
        );
    }

    #[test]
    fn beta_releases_only_on_the_beta_channel() {
        let reg = registry(vec![
            line("md", "1.0.0", &[]),
            line("md", "1.1.0-beta.1", &[]),
        ]);
        let stable = resolve(&[req("md@^1")], &reg, &BTreeMap::new(), &policy()).unwrap();
        assert_eq!(versions(&stable), ["md 1.0.0"]);
        let beta = Policy {
            channel: Channel::Beta,
            ..policy()
        };
        let r = resolve(&[req("md@^1")], &reg, &BTreeMap::new(), &beta).unwrap();
        assert_eq!(versions(&r), ["md 1.1.0-beta.1"]);
    }

    #[test]
    fn locked_versions_are_kept_when_they_still_fit() {
        let reg = registry(vec![line("md", "0.4.0", &[]), line("md", "0.4.2", &[])]);
        let locked = BTreeMap::from([("md".to_owned(), Version::new(0, 4, 0))]);
        let r = resolve(&[req("md")], &reg, &locked, &policy()).unwrap();
        assert_eq!(versions(&r), ["md 0.4.0"]);
    }

    #[test]
    fn revoked_and_unsigned_releases_follow_the_trust_policy() {
        let mut revoked = line("md", "0.5.0", &[]);
        revoked.revoked = Some("key compromised".into());
        let mut unsigned = line("md", "0.6.0", &[]);
        unsigned.tier = Tier::Experimental;
        let reg = registry(vec![line("md", "0.4.0", &[]), revoked, unsigned]);
        let r = resolve(&[req("md")], &reg, &BTreeMap::new(), &policy()).unwrap();
        assert_eq!(versions(&r), ["md 0.4.0"]);
        let allow = Policy {
            allow_experimental: true,
            ..policy()
        };
        let r = resolve(&[req("md")], &reg, &BTreeMap::new(), &allow).unwrap();
        assert_eq!(versions(&r), ["md 0.6.0"]);
        assert!(r.warnings[0].contains("unsigned"));
        let err = resolve(&[req("md@=0.5.0")], &reg, &BTreeMap::new(), &allow).unwrap_err();
        assert!(
            err.to_string().contains("revoked: key compromised"),
            "{err}"
        );
    }

    #[test]
    fn unknown_plugins_and_bad_requirements_are_reported() {
        let reg = registry(vec![line("git", "1.0.0", &[("nope", "^1")])]);
        let err = resolve(&[req("git")], &reg, &BTreeMap::new(), &policy()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "git 1.0.0 depends on `nope`, which is not in this registry"
        );
        assert!(Request::parse("git@not a req").is_err());
        assert_eq!(req("Git_Tools@1.2").name, "git-tools");
        assert_eq!(
            dependency_names(reg.values().flatten()),
            BTreeSet::from(["nope".to_owned()])
        );
    }
}
