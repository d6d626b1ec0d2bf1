//! The contents of one plugin's folder: `plugin.toml`, `versions/*.toml` and
//! an occasional `README.md`. Everything is a pure function of
//! (seed, plugin index, arguments), so plugins can be rendered in parallel.

use plugdex::format::name::PluginName;

use super::corpus::{Corpus, Source};
use super::names::GenName;
use super::util::{Rng, fnv1a, mix, one_line, push_array, push_kv, push_toml_str};

const STREAM_MAIN: u64 = 0x4d41_494e; // "MAIN"
const STREAM_VERSIONS: u64 = 0x5645_5253; // "VERS"
const STREAM_DEPRECATED: u64 = 0x4445_5052; // "DEPR"

pub const PERMISSIONS: &[&str] = &[
    "filesystem",
    "network",
    "process",
    "env",
    "clipboard",
    "notifications",
    "keychain",
];
/// Chance (percent) that a plugin needs each permission, in [`PERMISSIONS`] order.
const PERMISSION_ODDS: &[u64] = &[25, 30, 10, 20, 5, 10, 5];

const LICENSES: &[&str] = &[
    "MIT",
    "MIT",
    "MIT",
    "Apache-2.0",
    "Apache-2.0",
    "MIT OR Apache-2.0",
    "MIT OR Apache-2.0",
    "BSD-3-Clause",
    "BSD-2-Clause",
    "GPL-3.0-or-later",
    "GPL-2.0-only",
    "LGPL-2.1-or-later",
    "MPL-2.0",
    "ISC",
    "Unlicense",
    "0BSD",
    "Zlib",
    "AGPL-3.0-only",
    "Apache-2.0 WITH LLVM-exception",
    "(MIT OR Apache-2.0) AND BSD-3-Clause",
];

/// Ascending, so versions of one plugin move forward through them.
const ENGINE_REQS: &[&str] = &[
    ">=1.0.0, <2.0.0",
    "^1.2",
    "^1.4",
    ">=1.6.0, <2.0.0",
    "~1.8",
    ">=1.8.0",
    ">=2.0.0, <3.0.0",
    "^2.1",
    "~2.3",
    ">=2.4.0, <3.0.0",
];

const YANK_REASONS: &[&str] = &[
    "corrupted artifact, use the next release",
    "security: arbitrary file write in the extractor (CVE-2031-0001)",
    "published by mistake",
    "breaks startup on engine 1.x",
    "wrong \"engine\" requirement",
    "license violation in a bundled dependency",
];

const VERSION_DEPRECATIONS: &[&str] = &[
    "this release line is no longer maintained",
    "upgrade to the latest minor release",
    "known data-loss bug on Windows; please upgrade",
];

const CAPABILITIES: &[(&str, &str)] = &[
    ("search", "Full-text search over the plugin's data"),
    ("export", "Export the current document"),
    ("import", "Import items from another tool"),
    ("sync", "Two-way synchronisation with a remote service"),
    ("preview", "Live preview while editing"),
    ("format", "Reformat the selection"),
    ("lint", "Report problems in the open file"),
    ("render", "Render a diagram or chart"),
    ("notify", "Send a notification when something changes"),
    ("query", "Run a query and show the results"),
    ("status", "Report the plugin's health"),
    ("complete", "Suggest completions"),
];
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

const ASDF_DESCRIPTIONS: &[&str] = &[
    "{} plugin for the asdf version manager.",
    "Install and manage multiple versions of {}.",
    "Version manager plugin for {}: install, switch and pin versions per project.",
    "Installs {} release binaries and keeps per-project versions in sync.",
];

/// `{d}`: the base description without its final full stop; `{w}`: the word;
/// `{b}`: the base name.
const SUFFIXES: &[&str] = &[
    "{d} ({w} edition).",
    "{d} — with {w} support.",
    "{d}. Now with {w} integration.",
    "[{w}] {d}.",
    "Fork of {b}: {d}.",
];

const STOPWORDS: &[&str] = &[
    "the", "and", "for", "with", "from", "your", "you", "that", "this", "into", "are", "all",
    "any", "can", "not", "via", "its", "use", "using", "plus", "get", "set", "one", "out", "more",
    "has", "have", "was", "will", "when", "which", "also", "them", "than", "then", "other", "like",
    "just", "based", "allows", "support", "plugin", "plugins", "logseq", "kubectl",
];

#[derive(Debug, Clone)]
pub struct Ver {
    pub text: String,
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: bool,
    pub yanked: Option<&'static str>,
}

/// The `n` versions of plugin `idx`, oldest first: `0.1.0` (never yanked),
/// then patch/minor/major bumps and occasional alpha/beta/rc runs.
pub fn versions_of(seed: u64, idx: u64, n: usize) -> Vec<Ver> {
    let mut r = Rng::stream(seed, idx, STREAM_VERSIONS);
    let mut out = Vec::with_capacity(n);
    let stable = |a: u64, b: u64, c: u64| Ver {
        text: format!("{a}.{b}.{c}"),
        major: a,
        minor: b,
        patch: c,
        pre: false,
        yanked: None,
    };
    out.push(stable(0, 1, 0));
    let (mut ma, mut mi, mut pa) = (0u64, 1u64, 0u64);
    // (target, label index, number) of a running prerelease series
    let mut pending: Option<((u64, u64, u64), usize, u64)> = None;
    const LABELS: &[&str] = &["alpha", "beta", "rc"];
    while out.len() < n {
        let mut v = match pending {
            Some((t, l, k)) => {
                let x = r.below(100);
                if x < 30 {
                    pending = Some((t, l, k + 1));
                } else if x < 45 && l + 1 < LABELS.len() {
                    pending = Some((t, l + 1, 1));
                } else {
                    pending = None;
                }
                match pending {
                    Some((t, l, k)) => Ver {
                        text: format!("{}.{}.{}-{}.{}", t.0, t.1, t.2, LABELS[l], k),
                        major: t.0,
                        minor: t.1,
                        patch: t.2,
                        pre: true,
                        yanked: None,
                    },
                    None => {
                        (ma, mi, pa) = t;
                        stable(ma, mi, pa)
                    }
                }
            }
            None => match r.below(100) {
                0..=51 => {
                    pa += 1;
                    stable(ma, mi, pa)
                }
                52..=79 => {
                    mi += 1;
                    pa = 0;
                    stable(ma, mi, pa)
                }
                80..=88 => {
                    ma += 1;
                    mi = 0;
                    pa = 0;
                    stable(ma, mi, pa)
                }
                _ => {
                    let t = if r.chance(70) {
                        (ma, mi + 1, 0)
                    } else {
                        (ma + 1, 0, 0)
                    };
                    let l = match r.below(10) {
                        0..=1 => 0,
                        2..=8 => 1,
                        _ => 2,
                    };
                    pending = Some((t, l, 1));
                    Ver {
                        text: format!("{}.{}.{}-{}.1", t.0, t.1, t.2, LABELS[l]),
                        major: t.0,
                        minor: t.1,
                        patch: t.2,
                        pre: true,
                        yanked: None,
                    }
                }
            },
        };
        if r.chance(6) {
            v.yanked = Some(*r.pick(YANK_REASONS));
        }
        out.push(v);
    }
    out
}

/// The newest stable, non-yanked version (exists: `0.1.0` is never yanked).
pub fn latest_stable(vs: &[Ver]) -> &Ver {
    vs.iter()
        .rev()
        .find(|v| !v.pre && v.yanked.is_none())
        .expect("0.1.0 is stable and never yanked")
}

/// Whether the whole plugin `idx` is deprecated (about 1 in 200).
pub fn is_deprecated(seed: u64, idx: u64) -> bool {
    idx > 0 && Rng::stream(seed, idx, STREAM_DEPRECATED).below(200) == 0
}

/// A requirement that `v` satisfies, so that resolving every plugin to its
/// newest stable, non-yanked version always succeeds.
fn requirement(v: &Ver, r: &mut Rng) -> String {
    let (a, b, c) = (v.major, v.minor, v.patch);
    match r.below(8) {
        0 | 1 => format!("^{a}.{b}"),
        2 => format!("^{a}.{b}.{c}"),
        3 => format!("~{a}.{b}"),
        4 => format!(">={a}.{b}.0, <{}.0.0", a + 1),
        5 => ">=0.1.0".to_owned(),
        6 => format!("{a}.{b}.{c}"),
        _ => format!(">={a}.{b}.{c}"),
    }
}

pub struct Ctx<'a> {
    pub seed: u64,
    pub versions: usize,
    pub corpus: &'a Corpus,
    pub names: &'a [GenName],
}

pub struct PluginOut {
    /// Folder under `plugins/`, e.g. `he/ll/hello-world`.
    pub folder: String,
    /// (path relative to the plugin folder, contents)
    pub files: Vec<(String, String)>,
}

struct Dep {
    name: String,
    req: String,
    optional: bool,
    since: usize,
}

fn description_for(ctx: &Ctx, g: &GenName, r: &mut Rng) -> String {
    let entry = &ctx.corpus.entries[g.base];
    let base = match &entry.description {
        Some(d) => d.clone(),
        None => r.pick(ASDF_DESCRIPTIONS).replace("{}", &entry.name),
    };
    if g.name == entry.name {
        return base;
    }
    let d = match r.below(10) {
        0..=5 => r
            .pick(SUFFIXES)
            .replace("{w}", g.word.unwrap_or("community"))
            .replace("{b}", &entry.name)
            .replace("{d}", base.trim_end_matches(['.', ' '])),
        6..=8 => r.pick(&ctx.corpus.descriptions).clone(),
        _ => base,
    };
    let d = one_line(&d, 280);
    if d.is_empty() {
        format!("A plugin called {}.", g.name)
    } else {
        d
    }
}

fn tags_for(source: Source, word: Option<&str>, description: &str, r: &mut Rng) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    if r.chance(80) {
        tags.push(source.tag().to_owned());
    }
    if let Some(w) = word
        && r.chance(50)
        && !tags.iter().any(|t| t == w)
    {
        tags.push(w.to_owned());
    }
    let from_description = r.below(7) as usize;
    let mut added = 0;
    for tok in description.split(|c: char| !c.is_alphanumeric()) {
        if added >= from_description || tags.len() >= 10 {
            break;
        }
        if !tok.is_ascii()
            || !(3..=20).contains(&tok.len())
            || tok.bytes().all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let t = tok.to_ascii_lowercase();
        if STOPWORDS.contains(&t.as_str()) || tags.contains(&t) {
            continue;
        }
        tags.push(t);
        added += 1;
    }
    tags
}

fn schema_line(out: &mut String, ups: usize, file: &str) {
    out.push_str("#:schema ");
    for _ in 0..ups {
        out.push_str("../");
    }
    out.push_str("schemas/");
    out.push_str(file);
    out.push('\n');
}

pub fn render_plugin(ctx: &Ctx, idx: usize) -> PluginOut {
    let seed = ctx.seed;
    let g = &ctx.names[idx];
    let entry = &ctx.corpus.entries[g.base];
    let name = PluginName::parse(&g.name).expect("generated names are valid");
    let folder = name.folder();
    let canonical = name.canonical();
    let depth = folder.split('/').count() + 1; // plugin.toml → index root
    let mut r = Rng::stream(seed, idx as u64, STREAM_MAIN);
    let with_schema = r.chance(30);
    let mut files = Vec::with_capacity(ctx.versions + 2);

    // ---- plugin.toml
    let description = description_for(ctx, g, &mut r);
    let license = *r.pick(LICENSES);
    let tags = tags_for(entry.source, g.word, &description, &mut r);
    let original = g.name == entry.name;
    let fallback_login = "plugdex-bench".to_owned();
    let primary = match (&entry.owner, original) {
        (Some(o), true) => o.clone(),
        _ if ctx.corpus.logins.is_empty() => fallback_login,
        _ => r.pick(&ctx.corpus.logins).clone(),
    };
    let mut owners = vec![primary.clone()];
    if r.chance(15) && !ctx.corpus.logins.is_empty() {
        let other = r.pick(&ctx.corpus.logins).clone();
        if !other.eq_ignore_ascii_case(&primary) {
            owners.push(other);
        }
    }
    let repository = match (&entry.repository, original) {
        (Some(u), true) => Some(u.clone()),
        _ => match r.below(10) {
            0..=6 => Some(format!("https://github.com/{primary}/{}", g.name)),
            7 => Some(format!("https://codeberg.org/{primary}/{}", g.name)),
            _ => None,
        },
    };
    let homepage = match r.below(10) {
        0..=2 => repository.clone(),
        3..=4 => Some(format!(
            "https://{}.github.io/{}/",
            primary.to_ascii_lowercase(),
            g.name
        )),
        5 => Some(format!("https://docs.bench.plugdex.example/{canonical}/")),
        _ => None,
    };
    let authors: Vec<String> = (0..r.below(3))
        .map(|i| {
            let login = if i == 0 {
                &primary
            } else {
                r.pick(&ctx.corpus.logins)
            };
            if r.chance(50) {
                format!("{login} <{login}@users.noreply.github.com>")
            } else {
                login.clone()
            }
        })
        .collect();

    let mut p = String::with_capacity(1024);
    if with_schema {
        schema_line(&mut p, depth, "plugin.schema.json");
    }
    push_kv(&mut p, "name", &g.name);
    push_kv(&mut p, "description", &description);
    push_kv(&mut p, "license", license);
    if !tags.is_empty() || r.chance(20) {
        push_array(&mut p, "tags", &tags);
    }
    if let Some(h) = &homepage {
        push_kv(&mut p, "homepage", h);
    }
    if let Some(u) = &repository {
        push_kv(&mut p, "repository", u);
    }
    if !authors.is_empty() {
        push_array(&mut p, "authors", &authors);
    }
    if is_deprecated(seed, idx as u64) {
        let replacement = (0..8)
            .map(|_| r.below(ctx.names.len() as u64) as usize)
            .find(|&j| j != idx && !is_deprecated(seed, j as u64));
        match replacement {
            Some(j) => {
                p.push_str("deprecated = { message = ");
                push_toml_str(&mut p, &format!("Superseded by {}.", ctx.names[j].name));
                p.push_str(", replacement = ");
                push_toml_str(&mut p, &ctx.names[j].name);
                p.push_str(" }\n");
            }
            None => push_kv(&mut p, "deprecated", "No longer maintained."),
        }
    }
    for o in &owners {
        p.push_str("\n[[owners]]\n");
        push_kv(&mut p, "github", o);
        p.push_str("keys = []\n");
    }
    files.push(("plugin.toml".to_owned(), p));

    // ---- README.md
    if r.chance(8) {
        let title = entry
            .title
            .as_deref()
            .filter(|_| original)
            .unwrap_or(&g.name);
        let mut md = format!(
            "# {title}\n\n{description}\n\n## Installation\n\n```sh\nplugdex install {}\n```\n",
            g.name
        );
        if let Some(u) = &repository {
            md.push_str(&format!("\nSource code, issues and discussions: <{u}>.\n"));
        }
        files.push(("README.md".to_owned(), md));
    }

    // ---- versions
    let versions = versions_of(seed, idx as u64, ctx.versions);
    let runtime = match r.below(10) {
        0..=3 => "wasm",
        4..=6 => "script",
        7..=8 => "native",
        _ => "docker",
    };
    let snake = canonical.replace('-', "_");
    let entry_path = match (runtime, r.below(2)) {
        ("wasm", 0) => "plugin.wasm".to_owned(),
        ("wasm", _) => format!("dist/{snake}.wasm"),
        ("native", 0) => format!("lib/lib{snake}.so"),
        ("native", _) => format!("bin/{canonical}"),
        ("script", 0) => ["main.lua", "index.js", "src/main.py"][r.below(3) as usize].to_owned(),
        ("script", _) => format!("scripts/{canonical}.sh"),
        (_, 0) => "Dockerfile".to_owned(),
        (_, _) => "docker/compose.yaml".to_owned(),
    };
    let mut perms: u8 = 0;
    for (bit, odds) in PERMISSION_ODDS.iter().enumerate() {
        if r.chance(*odds) {
            perms |= 1 << bit;
        }
    }
    let engine_base = r.below(4) as usize;
    let mut deps: Vec<Dep> = Vec::new();
    if idx > 0 && r.chance(35) {
        for _ in 0..r.range(1, 3) {
            let target = if r.chance(50) {
                r.below(idx.min(500) as u64) as usize
            } else {
                r.below(idx as u64) as usize
            };
            if is_deprecated(seed, target as u64)
                || deps.iter().any(|d| d.name == ctx.names[target].name)
            {
                continue;
            }
            let target_versions = versions_of(seed, target as u64, ctx.versions);
            deps.push(Dep {
                name: ctx.names[target].name.clone(),
                req: requirement(latest_stable(&target_versions), &mut r),
                optional: r.chance(15),
                since: if r.chance(50) {
                    0
                } else {
                    r.below(ctx.versions as u64) as usize
                },
            });
        }
    }
    let mut caps: Vec<usize> = Vec::new();
    if r.chance(25) {
        for _ in 0..r.range(1, 3) {
            let c = r.below(CAPABILITIES.len() as u64) as usize;
            if !caps.contains(&c) {
                caps.push(c);
            }
        }
    }
    let cap_endpoint: Vec<Option<&str>> = caps
        .iter()
        .map(|_| {
            if r.chance(60) {
                Some(*r.pick(METHODS))
            } else {
                None
            }
        })
        .collect();

    let mirror = mix(seed);
    for (i, v) in versions.iter().enumerate() {
        let mut s = String::with_capacity(768);
        if with_schema {
            schema_line(&mut s, depth + 1, "version.schema.json");
        }
        push_kv(&mut s, "version", &v.text);
        let e =
            (engine_base + v.major as usize * 2 + v.minor as usize / 3).min(ENGINE_REQS.len() - 1);
        push_kv(&mut s, "engine", ENGINE_REQS[e]);
        push_kv(&mut s, "entry", &entry_path);
        push_kv(&mut s, "runtime", runtime);
        if v.pre {
            push_kv(&mut s, "channel", "beta");
        } else if r.chance(40) {
            push_kv(&mut s, "channel", "stable");
        }
        let mut p = perms;
        if r.chance(10) {
            p |= 1 << r.below(PERMISSIONS.len() as u64);
        }
        if p != 0 || r.chance(30) {
            let list: Vec<String> = PERMISSIONS
                .iter()
                .enumerate()
                .filter(|(bit, _)| p & (1 << bit) != 0)
                .map(|(_, s)| (*s).to_owned())
                .collect();
            push_array(&mut s, "permissions", &list);
        }
        match v.yanked {
            Some(reason) => push_kv(&mut s, "yanked", reason),
            None if r.chance(3) => s.push_str("yanked = false\n"),
            None => {}
        }
        if i + 1 < versions.len() && v.yanked.is_none() && r.chance(3) {
            let message = VERSION_DEPRECATIONS[r.below(VERSION_DEPRECATIONS.len() as u64) as usize];
            push_kv(&mut s, "deprecated", message);
        }

        let mut ar = Rng::new(fnv1a(format!("{}@{}", g.name, v.text).as_bytes()) ^ mirror);
        let sha = ar.hex64();
        let size = {
            let scale = 1u64 << ar.range(11, 25); // 2 KiB .. 32 MiB
            scale + ar.below(scale)
        };
        s.push_str("\n[artifact]\n");
        push_kv(
            &mut s,
            "url",
            &format!(
                "https://cdn.bench.plugdex.example/{0}/{0}-{1}.tar.gz",
                g.name, v.text
            ),
        );
        push_kv(&mut s, "sha256", &sha);
        s.push_str(&format!("size = {size}\n"));

        let active: Vec<&Dep> = deps.iter().filter(|d| d.since <= i).collect();
        if !active.is_empty() {
            s.push_str("\n[dependencies]\n");
            for d in active {
                s.push_str(&d.name);
                s.push_str(" = ");
                if d.optional {
                    s.push_str("{ version = ");
                    push_toml_str(&mut s, &d.req);
                    s.push_str(", optional = true }\n");
                } else {
                    push_toml_str(&mut s, &d.req);
                    s.push('\n');
                }
            }
        }

        for (c, method) in caps.iter().zip(&cap_endpoint) {
            let (cname, cdesc) = CAPABILITIES[*c];
            s.push_str("\n[[capabilities]]\n");
            push_kv(&mut s, "name", cname);
            push_kv(&mut s, "description", cdesc);
            if let Some(m) = method {
                push_kv(&mut s, "endpoint", &format!("/{cname}"));
                push_kv(&mut s, "method", m);
            }
        }
        files.push((format!("versions/{}.toml", v.text), s));
    }

    PluginOut { folder, files }
}
