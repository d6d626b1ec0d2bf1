//! What the cross-plugin rules read of one plugin. [`PluginFacts`] is the
//! owned, serialisable form a rebuild cache keeps for plugins whose files did
//! not change; [`PluginView`] is the borrowed form the rules run over, made
//! from either that or a freshly loaded plugin, so the two can be mixed.

use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};

use super::Loaded;
use crate::format::types::Deprecation;
use crate::manifest::Dep;
use crate::model::{Plugin, Release};

/// One plugin's part in the cross-plugin rules (`cross`, removed names,
/// `reviewed.toml` and `revocations.toml`), and nothing more.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PluginFacts {
    /// The folder's name, as loaded.
    pub name: String,
    /// Folder relative to the index root.
    pub dir: String,
    /// `plugin.toml`'s `name`; `None` when `plugin.toml` did not load.
    pub info_name: Option<String>,
    /// `plugin.toml`'s `deprecated.replacement`.
    pub replacement: Option<String>,
    /// Sorted by version, oldest first, as loaded.
    pub releases: Vec<VersionFacts>,
}

/// One version manifest's part in the cross-plugin rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionFacts {
    /// Manifest path relative to the index root.
    pub file: String,
    pub version: Version,
    /// `version` as written: the trust lists name versions by this text.
    pub version_text: String,
    pub yanked: bool,
    /// In the manifest's order (name order).
    pub deps: Vec<DepFacts>,
    /// The version's `deprecated.replacement`.
    pub replacement: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DepFacts {
    pub name: String,
    pub req: VersionReq,
}

impl PluginFacts {
    /// The facts of a plugin as loaded, valid or not.
    pub(crate) fn of(l: &Loaded) -> PluginFacts {
        Self::of_view(PluginView::of_loaded(l))
    }

    /// The facts of a validated plugin, for the build cache.
    pub(crate) fn of_plugin(p: &Plugin) -> PluginFacts {
        Self::of_view(PluginView::of_plugin(p))
    }

    fn of_view(view: PluginView<'_>) -> PluginFacts {
        PluginFacts {
            name: view.name.to_owned(),
            dir: view.dir.to_owned(),
            info_name: view.info_name.map(str::to_owned),
            replacement: view.replacement.map(str::to_owned),
            releases: view
                .releases()
                .map(|r| VersionFacts {
                    file: r.file.to_owned(),
                    version: r.version.clone(),
                    version_text: r.version_text.to_owned(),
                    yanked: r.yanked,
                    deps: r
                        .deps
                        .iter()
                        .map(|d| DepFacts {
                            name: d.name.to_owned(),
                            req: d.req.clone(),
                        })
                        .collect(),
                    replacement: r.replacement.map(str::to_owned),
                })
                .collect(),
        }
    }
}

/// A plugin as the cross-plugin rules see it, borrowed from a [`Loaded`] or
/// a [`PluginFacts`]. Releases are read through on demand rather than copied
/// into a list: a check of a million versions must not hold a second copy.
#[derive(Clone, Copy)]
pub(crate) struct PluginView<'a> {
    pub name: &'a str,
    pub dir: &'a str,
    pub info_name: Option<&'a str>,
    pub replacement: Option<&'a str>,
    releases: Releases<'a>,
}

#[derive(Clone, Copy)]
enum Releases<'a> {
    Loaded(&'a [Release]),
    Facts(&'a [VersionFacts]),
}

/// One release as the rules see it; cheap to make, made on each access.
#[derive(Clone, Copy)]
pub(crate) struct ReleaseView<'a> {
    pub file: &'a str,
    pub version: &'a Version,
    pub version_text: &'a str,
    pub yanked: bool,
    pub deps: Deps<'a>,
    pub replacement: Option<&'a str>,
}

/// A release's dependencies, borrowed from either form.
#[derive(Clone, Copy)]
pub(crate) enum Deps<'a> {
    Loaded(&'a [Dep]),
    Facts(&'a [DepFacts]),
}

#[derive(Clone, Copy)]
pub(crate) struct DepView<'a> {
    pub name: &'a str,
    pub req: &'a VersionReq,
}

impl<'a> PluginView<'a> {
    pub(crate) fn of_plugin(p: &'a Plugin) -> PluginView<'a> {
        let manifest = &p.info.manifest;
        PluginView {
            name: p.name.as_str(),
            dir: &p.dir,
            info_name: Some(manifest.name.as_str()),
            replacement: manifest
                .deprecated
                .as_ref()
                .and_then(Deprecation::replacement),
            releases: Releases::Loaded(&p.releases),
        }
    }

    pub(crate) fn of_loaded(l: &'a Loaded) -> PluginView<'a> {
        let manifest = l.info.as_ref().map(|i| &i.manifest);
        PluginView {
            name: l.name.as_str(),
            dir: &l.dir,
            info_name: manifest.map(|m| m.name.as_str()),
            replacement: manifest
                .and_then(|m| m.deprecated.as_ref())
                .and_then(Deprecation::replacement),
            releases: Releases::Loaded(&l.releases),
        }
    }

    pub(crate) fn of_facts(f: &'a PluginFacts) -> PluginView<'a> {
        PluginView {
            name: &f.name,
            dir: &f.dir,
            info_name: f.info_name.as_deref(),
            replacement: f.replacement.as_deref(),
            releases: Releases::Facts(&f.releases),
        }
    }

    pub(crate) fn release_count(&self) -> usize {
        match self.releases {
            Releases::Loaded(r) => r.len(),
            Releases::Facts(r) => r.len(),
        }
    }

    /// Release `i`, oldest first.
    pub(crate) fn release(&self, i: usize) -> Option<ReleaseView<'a>> {
        Some(match self.releases {
            Releases::Loaded(r) => {
                let r = r.get(i)?;
                let m = &r.parsed.manifest;
                ReleaseView {
                    file: &r.file,
                    version: &r.parsed.version,
                    version_text: &m.version,
                    yanked: m.yanked.is_yanked(),
                    deps: Deps::Loaded(&r.parsed.manifest.dependencies),
                    replacement: m.deprecated.as_ref().and_then(Deprecation::replacement),
                }
            }
            Releases::Facts(r) => {
                let r = r.get(i)?;
                ReleaseView {
                    file: &r.file,
                    version: &r.version,
                    version_text: &r.version_text,
                    yanked: r.yanked,
                    deps: Deps::Facts(&r.deps),
                    replacement: r.replacement.as_deref(),
                }
            }
        })
    }

    /// The releases, oldest first.
    pub(crate) fn releases(
        &self,
    ) -> impl DoubleEndedIterator<Item = ReleaseView<'a>> + Clone + use<'a> {
        let view = *self;
        (0..self.release_count()).filter_map(move |i| view.release(i))
    }
}

impl<'a> Deps<'a> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Deps::Loaded(d) => d.len(),
            Deps::Facts(d) => d.len(),
        }
    }

    pub(crate) fn get(&self, i: usize) -> Option<DepView<'a>> {
        match *self {
            Deps::Loaded(d) => d.get(i).map(|d| DepView {
                name: &d.name,
                req: &d.req,
            }),
            Deps::Facts(d) => d.get(i).map(|d| DepView {
                name: &d.name,
                req: &d.req,
            }),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = DepView<'a>> + Clone + use<'a> {
        let deps = *self;
        (0..self.len()).filter_map(move |i| deps.get(i))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::check::verified::VerifiedCache;
    use crate::check::{
        Keep, NoHistory, Scope, Settings, TrustLists, cross_checks, fallback_config, run,
    };
    use crate::diagnostic::{Code, Diagnostic};
    use crate::source::FolderSource;

    /// `tests/fixtures/base` copied to `to`, with `files` written over it.
    fn index(to: &Path, files: &[(&str, &str)]) {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/base");
        for entry in walkdir::WalkDir::new(&base) {
            let entry = entry.unwrap();
            let dest = to.join(entry.path().strip_prefix(&base).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(dest).unwrap();
            } else {
                std::fs::copy(entry.path(), dest).unwrap();
            }
        }
        for (rel, text) in files {
            let dest = to.join(rel);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(dest, text).unwrap();
        }
    }

    const HELLO: &str = "name = \"hello\"\ndescription = \"x\"\nlicense = \"MIT\"\n\n[[owners]]\ngithub = \"dave\"\n";
    const HE11O: &str = "name = \"he11o\"\ndescription = \"x\"\nlicense = \"MIT\"\n\n[[owners]]\ngithub = \"dave\"\n";

    /// Every kind of cross-plugin finding the base fixture can be bent into.
    fn broken_index(to: &Path) {
        let alpha = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/base/plugins/al/ph/alpha/versions/1.1.0.toml"),
        )
        .unwrap();
        let beta = |version: &str, extra: &str| {
            format!(
                "version = \"{version}\"\nengine = \"^1.0\"\nentry = \"lib/beta.js\"\nruntime = \"script\"\n{extra}\n[artifact]\nurl = \"https://downloads.example.org/b.tar.gz\"\nsha256 = \"3123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\nsize = 520\n"
            )
        };
        index(
            to,
            &[
                // alpha 1.1.0 needs beta-tool ^1.2, whose only match is yanked;
                // beta-tool 1.0.0 needs alpha back: a cycle.
                (
                    "plugins/al/ph/alpha/versions/1.1.0.toml",
                    &alpha.replace("beta-tool = \"^1.0\"", "beta-tool = \"^1.2\""),
                ),
                (
                    "plugins/be/ta/beta-tool/versions/1.0.0.toml",
                    &beta(
                        "1.0.0",
                        "[deprecated]\nmessage = \"m\"\nreplacement = \"gone\"\n\n[dependencies]\nalpha = \"^1.0\"\nbeta-tol = \"^1\"\n",
                    ),
                ),
                (
                    "plugins/be/ta/beta-tool/versions/1.2.0.toml",
                    &beta("1.2.0", "yanked = \"broken\"\n"),
                ),
                ("plugins/he/ll/hello/plugin.toml", HELLO),
                ("plugins/he/11/he11o/plugin.toml", HE11O),
                (
                    "revocations.toml",
                    "[[removed]]\nname = \"Hello\"\nreason = \"r\"\n\n[[releases]]\nplugin = \"alpha\"\nversion = \"3.0.0\"\nreason = \"x\"\n",
                ),
                ("reviewed.toml", "[plugins]\ngm = [\"0.1.0\", \"9.9.9\"]\n"),
            ],
        );
    }

    fn checks(views: &[PluginView<'_>], lists: &TrustLists) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        cross_checks(views, &fallback_config(), lists, &mut out);
        out
    }

    #[test]
    fn facts_give_the_same_findings_as_loaded_plugins() {
        let tmp = tempfile::tempdir().unwrap();
        broken_index(tmp.path());
        let source = FolderSource::open(tmp.path()).unwrap();
        let mut diags = Vec::new();
        let dirs = source.plugin_dirs(&mut diags);
        let scope = Scope {
            dirs,
            diagnostics: diags,
            find: None,
            known: &[],
        };
        let settings = Settings {
            keep: Keep::Registry,
            verified: &VerifiedCache::default(),
            history: &NoHistory,
            stream: None,
        };
        let checked = run(&source, scope, &settings);
        let loaded = &checked.loaded;

        let of_loaded: Vec<PluginView<'_>> = loaded.iter().map(PluginView::of_loaded).collect();
        let expected = checks(&of_loaded, &checked.lists);
        let codes: Vec<Code> = expected.iter().map(|d| d.code).collect();
        for code in [
            Code::UnsatisfiableDependency,
            Code::DependencyCycle,
            Code::ConfusableName,
            Code::UnknownDependency,
            Code::UnknownReplacement,
            Code::NameRemoved,
            Code::UnknownRelease,
        ] {
            assert!(codes.contains(&code), "{code:?} missing from {expected:#?}");
        }

        // Through serde too, as a cache would hold them.
        let facts: Vec<PluginFacts> = loaded.iter().map(PluginFacts::of).collect();
        let json = serde_json::to_string(&facts).unwrap();
        let facts: Vec<PluginFacts> = serde_json::from_str(&json).unwrap();
        let of_facts: Vec<PluginView<'_>> = facts.iter().map(PluginView::of_facts).collect();
        assert_eq!(checks(&of_facts, &checked.lists), expected);

        // Mixed: every other plugin from its facts.
        let mixed: Vec<PluginView<'_>> = loaded
            .iter()
            .zip(&facts)
            .enumerate()
            .map(|(i, (l, f))| {
                if i % 2 == 0 {
                    PluginView::of_loaded(l)
                } else {
                    PluginView::of_facts(f)
                }
            })
            .collect();
        assert_eq!(checks(&mixed, &checked.lists), expected);
    }
}
