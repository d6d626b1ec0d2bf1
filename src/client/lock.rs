//! The lock file: what is installed, exactly, with hashes. TOML, versioned
//! by `v`; `parse` is the pure twin of reading it, `to_text` of writing it.
//!
//! ```toml
//! v = 1
//!
//! [[plugin]]
//! name = "git"
//! vers = "2.0.0"
//! registry = "https://plugins.inkwell.example/"
//! sha256 = "db08…"
//! size = 635
//! dl = "https://plugins.inkwell.example/artifacts/db08…/git-2.0.0.tar.gz"
//! requested = "^2"        # absent for plugins installed as a dependency
//! deps = ["md"]
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::digest::Sha256;
use crate::format::published::{IndexLine, LineArtifact, Tier};
use crate::untrusted::shown_name;

/// Version of the lock file format.
pub const LOCK_V: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    pub v: u32,
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<Locked>,
}

impl Default for Lock {
    fn default() -> Lock {
        Lock {
            v: LOCK_V,
            plugins: Vec::new(),
        }
    }
}

/// One installed plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Locked {
    /// Canonical name; also the folder name under the plugins folder.
    pub name: String,
    pub vers: String,
    /// The registry it came from (its base URL).
    pub registry: String,
    pub sha256: Sha256,
    pub size: u64,
    pub dl: String,
    pub tier: Tier,
    /// The requirement the user asked for; absent for a dependency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<String>,
    /// Canonical names of the plugins it depends on.
    #[serde(default)]
    pub deps: Vec<String>,
}

impl Locked {
    /// `artifact`: the one of `line` installed, for this platform.
    pub fn of(
        line: &IndexLine,
        artifact: &LineArtifact,
        registry: &str,
        requested: Option<String>,
    ) -> Locked {
        Locked {
            name: crate::format::name::canonical(&line.name),
            vers: line.vers.clone(),
            registry: registry.to_owned(),
            sha256: artifact.sha256,
            size: artifact.size,
            dl: artifact.dl.clone(),
            tier: line.tier,
            requested,
            deps: line
                .deps
                .iter()
                .filter(|d| !d.optional)
                .map(|d| crate::format::name::canonical(&d.name))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    #[error("the lock file is not valid: {0}")]
    Syntax(String),
    #[error("the lock file has format version {0}; this plugdex reads version {LOCK_V} only")]
    NewerFormat(u32),
    #[error("{plugin} is needed by {by}; remove {by} too, or keep {plugin}")]
    StillNeeded { plugin: String, by: String },
    #[error("{0} is not installed")]
    NotInstalled(String),
    #[error(
        "the lock file's entry `{entry}` is not valid: its {field} `{name}` is not a plugin name ({why}); plugdex writes only plugin names, so something else changed the file"
    )]
    BadName {
        entry: String,
        field: &'static str,
        name: String,
        why: String,
    },
}

/// Whether `name` may name a plugin's folder: a canonical plugin name, by
/// the index's rules (`manifest::name`). Refuses `""`, `.`, `..`, absolute
/// paths, separators and anything else a path could be made of.
pub fn check_name(name: &str) -> Result<(), String> {
    let parsed = crate::format::name::PluginName::parse(name).map_err(|e| e.to_string())?;
    if parsed.canonical() != name {
        return Err(format!(
            "the lock file holds canonical names only (`{}`)",
            parsed.canonical()
        ));
    }
    Ok(())
}

impl Lock {
    /// The pure twin of reading the lock file.
    pub fn parse(text: &str) -> Result<Lock, LockError> {
        #[derive(Deserialize)]
        struct Head {
            v: u32,
        }
        let head: Head = toml::from_str(text).map_err(|e| LockError::Syntax(e.to_string()))?;
        if head.v != LOCK_V {
            return Err(LockError::NewerFormat(head.v));
        }
        let mut lock: Lock = toml::from_str(text).map_err(|e| LockError::Syntax(e.to_string()))?;
        // Names become paths under the plugins folder: a `../victim` in a
        // hand-edited lock file must never reach `remove` or the staging.
        for p in &lock.plugins {
            let names =
                std::iter::once(("name", &p.name)).chain(p.deps.iter().map(|d| ("dependency", d)));
            for (field, name) in names {
                check_name(name).map_err(|why| LockError::BadName {
                    entry: shown_name(&p.name),
                    field,
                    name: shown_name(name),
                    why: shown_name(&why),
                })?;
            }
        }
        lock.plugins.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(lock)
    }

    pub fn to_text(&self) -> String {
        let mut sorted = self.clone();
        sorted.plugins.sort_by(|a, b| a.name.cmp(&b.name));
        format!(
            "# Written by plugdex: the exact plugins installed beside this file. Do not edit.\n{}",
            toml::to_string(&sorted).expect("the lock file serialises")
        )
    }

    pub fn get(&self, name: &str) -> Option<&Locked> {
        self.plugins.iter().find(|p| p.name == name)
    }

    /// Versions installed now, by name (for the resolver's preference).
    pub fn versions(&self) -> BTreeMap<String, semver::Version> {
        self.plugins
            .iter()
            .filter_map(|p| Some((p.name.clone(), semver::Version::parse(&p.vers).ok()?)))
            .collect()
    }

    /// The lock after removing `names` and the dependencies nothing else
    /// needs any more. Refuses to remove a plugin another one still needs.
    pub fn without(&self, names: &[String]) -> Result<Lock, LockError> {
        for n in names {
            if self.get(n).is_none() {
                return Err(LockError::NotInstalled(n.clone()));
            }
        }
        let gone: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        for p in self
            .plugins
            .iter()
            .filter(|p| !gone.contains(p.name.as_str()))
        {
            if let Some(d) = p.deps.iter().find(|d| gone.contains(d.as_str())) {
                return Err(LockError::StillNeeded {
                    plugin: d.clone(),
                    by: p.name.clone(),
                });
            }
        }
        // Keep what the user asked for and, transitively, what it needs.
        let mut keep: BTreeSet<&str> = BTreeSet::new();
        let mut todo: Vec<&str> = self
            .plugins
            .iter()
            .filter(|p| p.requested.is_some() && !gone.contains(p.name.as_str()))
            .map(|p| p.name.as_str())
            .collect();
        while let Some(n) = todo.pop() {
            if keep.insert(n)
                && let Some(p) = self.get(n)
            {
                todo.extend(p.deps.iter().map(String::as_str));
            }
        }
        Ok(Lock {
            v: LOCK_V,
            plugins: self
                .plugins
                .iter()
                .filter(|p| keep.contains(p.name.as_str()))
                .cloned()
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locked(name: &str, requested: bool, deps: &[&str]) -> Locked {
        Locked {
            name: name.into(),
            vers: "1.0.0".into(),
            registry: "http://r.example/".into(),
            sha256: Sha256::of(b"a"),
            size: 10,
            dl: "http://r.example/a.tar.gz".into(),
            tier: Tier::Community,
            requested: requested.then(|| "*".to_owned()),
            deps: deps.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    #[test]
    fn round_trips_through_text_sorted_by_name() {
        let lock = Lock {
            v: LOCK_V,
            plugins: vec![locked("toc", true, &["md"]), locked("md", false, &[])],
        };
        let text = lock.to_text();
        assert!(text.starts_with("# Written by plugdex"), "{text}");
        assert!(text.contains("v = 1\n"), "{text}");
        let back = Lock::parse(&text).expect("parses");
        assert_eq!(back.plugins[0].name, "md");
        assert_eq!(back.plugins[1].requested.as_deref(), Some("*"));
        assert_eq!(back.versions()["toc"], semver::Version::new(1, 0, 0));
    }

    #[test]
    fn refuses_future_formats_and_garbage() {
        assert_eq!(Lock::parse("v = 2\n"), Err(LockError::NewerFormat(2)));
        assert!(matches!(Lock::parse("v = "), Err(LockError::Syntax(_))));
        assert!(matches!(
            Lock::parse("v = 1\n[[plugin]]\nname = 3\n"),
            Err(LockError::Syntax(_))
        ));
    }

    #[test]
    fn names_that_are_not_plugin_names_are_refused() {
        let entry = |name: &str, deps: &str| {
            format!(
                "v = 1\n[[plugin]]\nname = {}\nvers = \"1.0.0\"\nregistry = \"r\"\nsha256 = \"{}\"\nsize = 1\ndl = \"d\"\ntier = \"community\"\ndeps = [{deps}]\n",
                toml::Value::String(name.to_owned()),
                "a".repeat(64)
            )
        };
        for bad in [
            "",
            ".",
            "..",
            "../victim",
            "/etc",
            "a/b",
            "a\\b",
            "Git",
            "git\u{1b}[2K",
        ] {
            let err = Lock::parse(&entry(bad, "")).expect_err(bad);
            assert!(
                matches!(err, LockError::BadName { field: "name", .. }),
                "{bad:?}: {err}"
            );
            assert!(!err.to_string().contains('\x1b'), "{err}");
        }
        let err = Lock::parse(&entry("git", "\"../victim\"")).unwrap_err();
        assert_eq!(
            err,
            LockError::BadName {
                entry: "git".into(),
                field: "dependency",
                name: "../victim".into(),
                why: "the name starts with '.'; it must start with an ASCII letter".into(),
            }
        );
        assert!(Lock::parse(&entry("git", "\"md\"")).is_ok());
    }

    #[test]
    fn a_digest_that_is_not_lowercase_hex_refuses_the_file_at_its_line() {
        let lock = |sha256: &str| {
            format!(
                "v = 1\n[[plugin]]\nname = \"git\"\nvers = \"1.0.0\"\nregistry = \"r\"\nsha256 = \"{sha256}\"\nsize = 1\ndl = \"d\"\ntier = \"community\"\ndeps = []\n"
            )
        };
        let good = Sha256::of(b"git");
        let parsed = Lock::parse(&lock(&good.to_string())).unwrap();
        assert_eq!(parsed.get("git").unwrap().sha256, good);
        for bad in [good.to_string().to_uppercase(), "db08".into()] {
            let err = Lock::parse(&lock(&bad)).unwrap_err();
            let LockError::Syntax(message) = &err else {
                panic!("{bad}: {err:?}");
            };
            assert!(
                message.contains("line 6") && message.contains("64 lowercase hex digits"),
                "{bad}: {message}"
            );
        }
    }

    #[test]
    fn removing_drops_orphaned_dependencies_and_refuses_needed_ones() {
        let lock = Lock {
            v: LOCK_V,
            plugins: vec![
                locked("toc", true, &["md"]),
                locked("md", false, &[]),
                locked("git", true, &[]),
            ],
        };
        let after = lock.without(&["toc".into()]).expect("removable");
        let names: Vec<&str> = after.plugins.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["git"]);
        assert_eq!(
            lock.without(&["md".into()]),
            Err(LockError::StillNeeded {
                plugin: "md".into(),
                by: "toc".into()
            })
        );
        assert_eq!(
            lock.without(&["nope".into()]),
            Err(LockError::NotInstalled("nope".into()))
        );
    }
}
