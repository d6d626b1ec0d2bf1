//! Rules that span plugins: unique and non-confusable names, dependencies that
//! exist and can be met, no dependency cycles, replacements that exist,
//! version counts and duplicate versions.

use std::collections::HashMap;

use super::facts::PluginView;
use crate::diagnostic::{Code, Diagnostic, Step};
use crate::format::name::{PluginName, canonical, canonical_cow, skeleton};
use crate::format::types::RegistryConfig;
use crate::manifest::structure::suggest;

/// `plugins` sorted by folder: of two clashing names, the later one is reported.
pub(crate) fn check(plugins: &[PluginView<'_>], reg: &RegistryConfig, out: &mut Vec<Diagnostic>) {
    let by_canonical = names(plugins, out);
    let mut suggestions = HashMap::new();
    for p in plugins {
        versions(p, reg, out);
        dependencies(p, plugins, &by_canonical, &mut suggestions, out);
        replacements(p, &by_canonical, out);
    }
    cycles(plugins, &by_canonical, out);
}

fn plugin_toml(p: &PluginView<'_>) -> String {
    format!("{}/plugin.toml", p.dir)
}

fn name_site(p: &PluginView<'_>, code: Code, message: String) -> Diagnostic {
    Diagnostic::error(plugin_toml(p), code, message).at_field(field(&["name"]))
}

fn field(keys: &[&str]) -> Vec<Step> {
    keys.iter().map(|k| Step::Key((*k).to_owned())).collect()
}

/// Points at the dependency's name (the key), not its requirement.
fn dep_field(name: &str) -> Vec<Step> {
    let mut f = dep_req_field(name);
    f.push(Step::KeyName);
    f
}

/// Points at the dependency's requirement.
fn dep_req_field(name: &str) -> Vec<Step> {
    field(&["dependencies", name])
}

/// Canonical-name uniqueness and confusable skeletons. Returns canonical name → plugin index.
fn names(plugins: &[PluginView<'_>], out: &mut Vec<Diagnostic>) -> HashMap<String, usize> {
    let mut by_canonical: HashMap<String, usize> = HashMap::with_capacity(plugins.len());
    let mut by_skeleton: HashMap<String, usize> = HashMap::with_capacity(plugins.len());
    // Folders are sorted by path, so the first of a group is deterministic.
    for (i, p) in plugins.iter().enumerate() {
        let canonical = canonical(p.name);
        if let Some(&first) = by_canonical.get(&canonical) {
            out.push(
                name_site(p, Code::DuplicateName, format!("`{}` is the same name as `{}` (names ignore case and treat `-` and `_` alike)", p.name, plugins[first].name))
                    .hint(format!("choose another name; `{}` is taken", plugins[first].name)),
            );
            continue;
        }
        by_canonical.insert(canonical, i);
        let skeleton = skeleton(p.name);
        match by_skeleton.get(&skeleton) {
            Some(&first) => out.push(
                name_site(p, Code::ConfusableName, format!("`{}` looks like the existing plugin `{}`", p.name, plugins[first].name))
                    .hint("choose a name that differs by more than look-alike characters (0/o, 1/l/i, rn/m, separators)"),
            ),
            None => {
                by_skeleton.insert(skeleton, i);
            }
        }
    }
    by_canonical
}

fn versions(p: &PluginView<'_>, reg: &RegistryConfig, out: &mut Vec<Diagnostic>) {
    let max = reg.policy.max_versions as usize;
    let count = p.release_count();
    if count > max {
        out.push(
            Diagnostic::error(
                format!("{}/versions", p.dir),
                Code::TooManyVersions,
                format!("`{}` has {count} versions; the policy allows {max}", p.name),
            )
            .hint("ask the registry's maintainers to raise `policy.max_versions`"),
        );
    }
    // Releases are sorted, so versions equal but for build metadata are adjacent.
    for (prev, next) in p.releases().zip(p.releases().skip(1)) {
        let (a, b) = (prev.version, next.version);
        if a.cmp_precedence(b).is_eq() {
            out.push(
                Diagnostic::error(
                    next.file,
                    Code::DuplicateVersion,
                    format!("version `{b}` differs from `{a}` only in build metadata"),
                )
                .at_field(field(&["version"]))
                .hint("bump the version instead; build metadata does not make a new version"),
            );
        }
    }
}

fn dependencies(
    p: &PluginView<'_>,
    plugins: &[PluginView<'_>],
    by_canonical: &HashMap<String, usize>,
    suggestions: &mut HashMap<String, Option<String>>,
    out: &mut Vec<Diagnostic>,
) {
    for r in p.releases() {
        for dep in r.deps.iter() {
            let canonical = canonical_cow(dep.name);
            let Some(&target) = by_canonical.get(canonical.as_ref()) else {
                // Self-dependencies and bad names are reported per file.
                if canonical == self::canonical(p.name) || PluginName::parse(dep.name).is_err() {
                    continue;
                }
                // Memoised, and only names of similar length are compared: a
                // removed plugin that thousands depend on must not cost
                // thousands of scans of every name.
                let best = suggestions
                    .entry(canonical.into_owned())
                    .or_insert_with(|| {
                        let len = dep.name.len();
                        let near = plugins
                            .iter()
                            .map(|q| q.name)
                            .filter(|n| n.len().abs_diff(len) <= (len.max(3) / 3).max(1));
                        suggest(dep.name, near).map(str::to_owned)
                    });
                let hint = match best {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "check the spelling, or publish that plugin first".to_owned(),
                };
                out.push(
                    Diagnostic::error(
                        r.file,
                        Code::UnknownDependency,
                        format!("dependency `{}` is not a plugin in this registry", dep.name),
                    )
                    .at_field(dep_field(dep.name))
                    .hint(hint),
                );
                continue;
            };
            let t = &plugins[target];
            if t.name == p.name {
                continue; // reported per file as `self-dependency`
            }
            if t.name != dep.name {
                out.push(
                    Diagnostic::warning(
                        r.file,
                        Code::UnknownDependency,
                        format!(
                            "dependency `{}` is spelled `{}` by its plugin",
                            dep.name, t.name
                        ),
                    )
                    .at_field(dep_field(dep.name))
                    .hint(format!("write `{}`", t.name)),
                );
            }
            let satisfied = t
                .releases()
                .any(|c| !c.yanked && dep.req.matches(c.version));
            if !satisfied && t.release_count() != 0 {
                let available: Vec<String> = t
                    .releases()
                    .filter(|c| !c.yanked)
                    .rev()
                    .take(5)
                    .map(|c| c.version.to_string())
                    .collect();
                let hint = if available.is_empty() {
                    format!("every version of `{}` is yanked", t.name)
                } else {
                    format!("available (newest first): {}", available.join(", "))
                };
                out.push(
                    Diagnostic::error(
                        r.file,
                        Code::UnsatisfiableDependency,
                        format!(
                            "no non-yanked version of `{}` matches `{}`",
                            t.name, dep.req
                        ),
                    )
                    .at_field(dep_req_field(dep.name))
                    .hint(hint),
                );
            }
        }
    }
}

fn replacements(
    p: &PluginView<'_>,
    by_canonical: &HashMap<String, usize>,
    out: &mut Vec<Diagnostic>,
) {
    let exists = |name: &str| by_canonical.contains_key(canonical_cow(name).as_ref());
    let mut report = |file: String, name: &str| {
        out.push(
            Diagnostic::error(
                file,
                Code::UnknownReplacement,
                format!("replacement `{name}` is not a plugin in this registry"),
            )
            .at_field(field(&["deprecated", "replacement"]))
            .hint("name a published plugin, or drop `replacement`"),
        );
    };
    let plugin_level = p.replacement.map(|r| (plugin_toml(p), r));
    let version_level = p
        .releases()
        .filter_map(|v| v.replacement.map(|r| (v.file.to_owned(), r)));
    for (file, r) in plugin_level.into_iter().chain(version_level) {
        if PluginName::parse(r).is_ok() && !exists(r) {
            report(file, r);
        }
    }
}

/// Finds dependency cycles between plugins (an edge for any dependency of any
/// non-yanked version) with Tarjan's algorithm, iteratively so that deep
/// chains cannot overflow the stack. Reports each cycle once.
fn cycles(
    plugins: &[PluginView<'_>],
    by_canonical: &HashMap<String, usize>,
    out: &mut Vec<Diagnostic>,
) {
    let n = plugins.len();
    let edges: Vec<Vec<(usize, usize, usize)>> = plugins
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut e: Vec<(usize, usize, usize)> = p
                .releases()
                .enumerate()
                .filter(|(_, r)| !r.yanked)
                .flat_map(|(ri, r)| r.deps.iter().enumerate().map(move |(di, d)| (ri, di, d)))
                .filter_map(|(ri, di, d)| {
                    let t = *by_canonical.get(canonical_cow(d.name).as_ref())?;
                    (t != i).then_some((t, ri, di))
                })
                .collect();
            e.sort_unstable();
            e.dedup_by_key(|x| x.0);
            e
        })
        .collect();

    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    for start in 0..n {
        if index[start] != UNSEEN {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&mut (v, ref mut ei)) = work.last_mut() {
            if *ei == 0 && index[v] == UNSEEN {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&(w, _, _)) = edges[v].get(*ei) {
                *ei += 1;
                if index[w] == UNSEEN {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                loop {
                    let w = stack.pop().expect("v is on the stack");
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    report_cycle(plugins, &edges, component, out);
                }
            }
        }
    }
}

fn report_cycle(
    plugins: &[PluginView<'_>],
    edges: &[Vec<(usize, usize, usize)>],
    mut component: Vec<usize>,
    out: &mut Vec<Diagnostic>,
) {
    component.sort_unstable();
    let members: std::collections::HashSet<usize> = component.iter().copied().collect();
    // Breadth-first from the first member, inside the component, to the
    // shortest path that leads back to it: always a real cycle.
    let first = component[0];
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([first]);
    let mut last = first;
    'search: while let Some(v) = queue.pop_front() {
        for &(w, _, _) in &edges[v] {
            if w == first {
                last = v;
                break 'search;
            }
            if members.contains(&w) && !parent.contains_key(&w) {
                parent.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    let mut path = vec![first];
    let mut v = last;
    while v != first {
        path.push(v);
        v = parent[&v];
    }
    path[1..].reverse();
    path.push(first);
    let shown: Vec<&str> = path.iter().map(|&i| plugins[i].name).collect();
    let target = path.get(1).copied().unwrap_or(first);
    let (_, ri, di) = edges[first]
        .iter()
        .find(|(t, _, _)| *t == target)
        .copied()
        .unwrap_or((target, 0, 0));
    // `ri` indexes a release the edges were made from.
    let Some(release) = plugins[first].release(ri) else {
        return;
    };
    let mut d = Diagnostic::error(
        release.file,
        Code::DependencyCycle,
        format!("dependency cycle: {}", shown.join(" → ")),
    )
    .hint(
        "plugins cannot depend on each other in a circle; move the shared part into its own plugin",
    );
    if let Some(dep) = release.deps.get(di) {
        d = d.at_field(dep_field(dep.name));
    }
    out.push(d);
}
