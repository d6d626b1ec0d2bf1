//! The HTML site on the example index and on a hostile one: served by
//! `plugdex serve` and loaded in real headless Chromium (the XSS corpus,
//! axe-core, every link, the scripts' behaviour), checked by the Nu Html
//! Checker, and rebuilt incrementally. The browser tools come from
//! tests/browser/site (`npm ci`, which scripts/test.sh runs).

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/site")
}

fn require_node_modules() {
    assert!(
        browser_dir().join("node_modules/playwright-core").is_dir(),
        "tests/browser/site/node_modules is missing: run scripts/test.sh (it runs `npm ci` there)"
    );
}

/// An index copy, changed by `edit`, built unsigned for `http://127.0.0.1/`.
fn built(edit: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = dir.path().join("index");
    common::copy_tree(&common::example_index(), &index);
    edit(&index);
    let out = dir.path().join("dist");
    let (code, stderr) = common::build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    (dir, out)
}

struct Served {
    base: String,
    _thread: std::thread::JoinHandle<()>,
}

fn serve(out: &Path) -> Served {
    let server = plugdex::serve::bind(out, "127.0.0.1:0").expect("bind");
    let base = format!("http://{}", server.local_addr().expect("address"));
    let dir = out.to_owned();
    let thread = std::thread::spawn(move || plugdex::serve::serve_forever(server, &dir));
    Served {
        base,
        _thread: thread,
    }
}

/// Runs tests/browser/site/site.mjs in `mode` over `paths`; its JSON report.
fn chromium(mode: &str, base: &str, paths: &[&str]) -> serde_json::Value {
    require_node_modules();
    let out = Command::new("node")
        .arg(browser_dir().join("site.mjs"))
        .arg(mode)
        .arg(base)
        .args(paths)
        .current_dir(browser_dir())
        .output()
        .expect("run node (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "site.mjs {mode} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// A TOML basic string holding `text` (JSON's escapes are TOML's).
fn toml_str(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// Payloads for every free-text field: each sets `window.__xss` or opens a
/// dialog if it ever runs.
const PAYLOADS: &[&str] = &[
    "<script>window.__xss=1</script>",
    "<img src=x onerror=\"window.__xss=1\">",
    "\"><svg onload=window.__xss=1>",
    "'><iframe srcdoc=\"<script>parent.__xss=1</script>\"></iframe>",
    "</title></textarea><script>alert(1)</script>",
    "javascript:alert(1)",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<object data=\"data:text/html,<script>alert(1)</script>\"></object>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:/a/\">",
    "{{ 7*7 }}",
];

/// README-only payloads: Markdown's own ways in.
const README_PAYLOADS: &[&str] = &[
    "[click](javascript:alert(1))",
    "![img](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"&#106;avascript:alert(1)\">entity</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">tab</a>",
    "<img src=\"x\" onerror=alert(1) style=\"position:fixed\">",
    "<div style=\"background:url(javascript:alert(1))\">styled</div>",
    "<svg><script>alert(1)</script></svg>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<span class=\"site-header\" id=\"search-box\">clobber</span>",
    "```html\n<script>alert(1)</script>\n```",
];

/// Puts the payloads into live-preview (unsigned, so its texts may change)
/// and into the registry's own texts.
fn hostile(index: &Path) {
    let dir = index.join("plugins/li/ve/live-preview");
    let joined = PAYLOADS.join(" ");
    let mut plugin = format!(
        "name = \"live-preview\"\ndescription = {}\nlicense = \"MIT\"\ntags = [\"markdown\", \"preview\"]\n\
         homepage = \"https://github.com/old-ink/live-preview\"\nrepository = \"https://github.com/old-ink/live-preview\"\n\
         authors = [{}]\ndeprecated = {{ message = {}, replacement = \"markdown-preview\" }}\n\n[[owners]]\ngithub = \"old-ink\"\n",
        toml_str(&PAYLOADS[..4].join(" ")),
        PAYLOADS
            .iter()
            .map(|p| toml_str(p))
            .collect::<Vec<_>>()
            .join(", "),
        toml_str(&joined),
    );
    plugin.push('\n');
    fs::write(dir.join("plugin.toml"), plugin).unwrap();
    let version = |v: &str, yanked: &str| {
        format!(
            "version = \"{v}\"\nengine = \">=1.0.0, <2.0.0\"\nentry = \"main.wasm\"\nruntime = \"wasm\"\n\
             yanked = {yanked}\ndeprecated = {{ message = {} }}\n\n[artifact]\nurl = \"artifacts/live-preview/live-preview-{v}.tar.gz\"\n",
            toml_str(&joined),
        )
    };
    for v in ["0.1.0", "0.2.0", "0.3.0"] {
        let path = dir.join(format!("versions/{v}.toml"));
        let old = fs::read_to_string(&path).unwrap();
        let artifact = old.split("[artifact]").nth(1).unwrap();
        let (sha_size, caps) = artifact
            .split_once("[[capabilities]]")
            .unwrap_or((artifact, ""));
        let sha_size: String = sha_size
            .lines()
            .filter(|l| l.starts_with("sha256") || l.starts_with("size"))
            .map(|l| format!("{l}\n"))
            .collect();
        let yanked = if v == "0.1.0" {
            toml_str(&joined)
        } else {
            "false".into()
        };
        let mut text = version(v, &yanked);
        text.push_str(&sha_size);
        if !caps.is_empty() {
            text.push_str(&format!(
                "\n[[capabilities]]\nname = \"render\"\ndescription = {}\nendpoint = \"/render\"\nmethod = \"POST\"\n",
                // A capability's description has at most 280 characters.
                toml_str(&PAYLOADS[4..9].join(" "))
            ));
        }
        fs::write(path, text).unwrap();
    }
    let readme = format!(
        "# Hostile\n\n{}\n\n{}\n",
        PAYLOADS.join("\n\n"),
        README_PAYLOADS.join("\n\n")
    );
    fs::write(dir.join("README.md"), readme).unwrap();
    let registry = fs::read_to_string(index.join("registry.toml")).unwrap();
    let registry = registry
        .replace(
            "title = \"Inkwell Plugin Registry\"",
            &format!("title = {}", toml_str(&format!("Inkwell {}", PAYLOADS[0]))),
        )
        .replace(
            "install = \"inkwell --install-plugin {name}\"",
            &format!(
                "install = {}",
                toml_str(&format!("inkwell {} {{name}}", PAYLOADS[1]))
            ),
        );
    fs::write(index.join("registry.toml"), registry).unwrap();
}

#[test]
fn the_xss_corpus_runs_no_script_in_chromium() {
    let (_dir, out) = built(hostile);
    let page = fs::read_to_string(out.join("plugins/live-preview/index.html")).unwrap();
    assert!(
        page.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"),
        "the payloads are on the page, escaped"
    );
    let served = serve(&out);
    let paths = [
        "/plugins/live-preview/",
        "/plugins/markdown-preview/",
        "/",
        "/all/",
        "/tags/markdown/",
        "/owners/old-ink/",
        "/search/?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/no-such-page",
    ];
    let report = chromium("xss", &served.base, &paths);
    for page in report["pages"].as_array().unwrap() {
        let path = page["path"].as_str().unwrap();
        assert_eq!(page["events"], serde_json::json!([]), "{path}: {page}");
        assert_eq!(page["bad"], serde_json::json!([]), "{path}: {page}");
        assert_eq!(
            page["evaluated"], false,
            "{path}: a template expression in author text was evaluated"
        );
    }
    let plugin = &report["pages"][0];
    assert_eq!(plugin["status"], 200);
    assert_eq!(
        plugin["templateLiteral"], true,
        "author text is shown as written: {plugin}"
    );
    // Nothing of the feeds is markup either: the payloads are escaped text.
    let feed = fs::read_to_string(out.join("plugins/live-preview/feed.xml")).unwrap();
    assert!(
        !feed.contains("<script") && !feed.contains("<img"),
        "{feed}"
    );
}

fn example() -> &'static (tempfile::TempDir, PathBuf) {
    static BUILT: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| built(|_| {}))
}

#[test]
fn axe_finds_no_violations_in_light_and_dark() {
    let (_, out) = example();
    let served = serve(out);
    let paths = [
        "/",
        "/plugins/citations/",
        "/search/",
        "/search/?q=citation",
        "/tags/markdown/",
        "/no-such-page",
    ];
    let report = chromium("axe", &served.base, &paths);
    let pages = report["pages"].as_array().unwrap();
    assert_eq!(pages.len(), paths.len() * 2);
    let mut backgrounds = BTreeSet::new();
    for page in pages {
        assert_eq!(page["violations"], serde_json::json!([]), "{page}");
        assert_eq!(
            page["events"],
            serde_json::json!([]),
            "the pages pass the CSP: {page}"
        );
        assert!(page["passes"].as_u64().unwrap() > 10, "{page}");
        if page["path"] == "/search/?q=citation" {
            assert!(
                page["results"].as_u64().unwrap() >= 1,
                "checked with results listed: {page}"
            );
        }
        backgrounds.insert(page["theme"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        backgrounds.len(),
        2,
        "light and dark differ: {backgrounds:?}"
    );
}

#[test]
fn every_internal_link_and_asset_resolves() {
    let (_, out) = example();
    let served = serve(out);
    let report = chromium("links", &served.base, &[]);
    assert_eq!(
        report["broken"]["broken"],
        serde_json::json!([]),
        "{report}"
    );
    // Every page of the site was reached from the home page.
    let pages = walk(out)
        .into_iter()
        .filter(|p| p.ends_with("index.html"))
        .count();
    assert!(
        report["broken"]["checked"].as_u64().unwrap() as usize >= pages,
        "{report}"
    );
}

#[test]
fn theme_toggle_persists_slash_focuses_search_and_works_with_marks_versions() {
    let (_, out) = example();
    let served = serve(out);
    let report = chromium("behaviour", &served.base, &["/plugins/live-preview/"]);
    let c = &report["checks"];
    assert_eq!(c["slashFocusesSearch"], "search-box", "{c}");
    assert_eq!(c["toggleVisible"], true, "{c}");
    assert_eq!(c["themeAfterClick"], "dark", "{c}");
    assert_eq!(c["backgroundChanged"], true, "{c}");
    assert_eq!(
        c["themeAfterNavigation"], "dark",
        "the choice persists: {c}"
    );
    // live-preview 0.3.0 needs >=1.0.0, <2.0.0; 0.2.0 <1.5.0; 0.1.0 <1.3.0.
    let marks = |key: &str| -> Vec<String> {
        c[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[2].as_str().unwrap_or("unmarked").to_owned())
            .collect()
    };
    assert_eq!(marks("works14"), ["yes", "yes", "no"], "{c}");
    assert_eq!(marks("works21"), ["no", "no", "no"], "{c}");
    assert_eq!(c["versionRemembered"], "2.1.0", "{c}");
    assert_eq!(c["events"], serde_json::json!([]), "{c}");
}

/// Every file under `root`, relative, sorted.
fn walk(root: &Path) -> Vec<String> {
    common::read_tree(root).into_keys().collect()
}

#[test]
fn every_page_is_valid_html() {
    require_node_modules();
    let (_, out) = example();
    let jar = browser_dir().join("node_modules/vnu-jar/build/dist/vnu.jar");
    let pages: Vec<PathBuf> = walk(out)
        .into_iter()
        .filter(|p| p.ends_with(".html"))
        .map(|p| out.join(p))
        .collect();
    assert!(pages.len() > 40, "{}", pages.len());
    let result = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "text"])
        .args(&pages)
        .output()
        .expect("run java (scripts/test.sh installs default-jre-headless)");
    assert!(
        result.status.success(),
        "the Nu Html Checker found errors:\n{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn the_search_page_names_the_built_engine_and_links_the_listings_without_javascript() {
    let (_, out) = example();
    let page = fs::read_to_string(out.join("search/index.html")).unwrap();
    assert!(page.contains("id=\"search-results\""), "{page}");
    // The module the page loads on first search is one this build wrote.
    let engine = page
        .split("data-engine=\"/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the search form names the engine's module");
    assert!(
        engine.starts_with("search/plugdex-search.") && engine.ends_with(".js"),
        "{engine}"
    );
    assert!(out.join(engine).is_file(), "{engine} is not in the output");
    assert!(page.contains("Searching needs JavaScript."), "{page}");
    assert!(
        page.contains("href=\"/all/\"") && page.contains("href=\"/tags/\""),
        "{page}"
    );
    // No page loads the engine up front.
    for (path, bytes) in common::read_tree(out) {
        if path.ends_with(".html") {
            let text = String::from_utf8(bytes).unwrap();
            assert_eq!(
                text.matches("<script").count(),
                1,
                "{path}: one script, the site's"
            );
            assert!(!text.contains("style="), "{path}: no inline style");
        }
    }
}

/// The pages whose text holds `needle`.
fn pages_with(out: &Path, needle: &str) -> BTreeSet<String> {
    common::read_tree(out)
        .into_iter()
        .filter(|(p, b)| {
            (p.ends_with(".html") || p.ends_with(".xml"))
                && String::from_utf8_lossy(b).contains(needle)
        })
        .map(|(p, _)| p)
        .collect()
}

#[test]
fn one_plugins_change_rewrites_only_the_pages_that_show_it() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    common::copy_tree(&common::example_index(), &index);
    let out = dir.path().join("dist");
    let changed = dir.path().join("changed.txt");
    let changed_arg = changed.to_str().unwrap();
    let (code, stderr) = common::build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let toml = index.join("plugins/wo/rd/word-count/plugin.toml");
    let text = fs::read_to_string(&toml).unwrap();
    let old = text
        .lines()
        .find(|l| l.starts_with("description"))
        .unwrap()
        .to_owned();
    fs::write(
        &toml,
        text.replace(
            &old,
            "description = \"Counts words, fast: a new description.\"",
        ),
    )
    .unwrap();
    let (code, stderr) = common::build(&index, &out, &["--changed", changed_arg]);
    assert_eq!(code, 0, "{stderr}");
    let rewritten: BTreeSet<String> = fs::read_to_string(&changed)
        .unwrap()
        .lines()
        .map(|l| l.trim_start_matches('/').to_owned())
        .filter(|p| p.ends_with(".html") || p.ends_with(".xml"))
        .collect();
    let showing = pages_with(&out, "Counts words, fast");
    assert!(
        showing.contains("plugins/word-count/index.html"),
        "{showing:?}"
    );
    assert!(showing.contains("all/index.html"), "{showing:?}");
    assert_eq!(
        rewritten, showing,
        "exactly the pages that show the description were rewritten"
    );
}

#[test]
fn two_builds_of_the_same_index_are_byte_identical() {
    let (_, first) = example();
    let (_dir, second) = built(|_| {});
    let a = common::read_tree(first);
    let b = common::read_tree(&second);
    for (path, bytes) in &a {
        if path == "timestamp.json" || path.starts_with("by-hash/") {
            continue;
        }
        assert!(
            b.get(path) == Some(bytes),
            "{path} differs between two builds"
        );
    }
    assert_eq!(a.len(), b.len());
}

/// `plugdex build --allow-unsigned --rev HEAD --out OUT` in the git repository at `repo`.
fn build_rev(repo: &Path, out: &Path) -> (i32, String) {
    let output = common::plugdex_cmd()
        .args(["build", "--allow-unsigned", "--rev", "HEAD", "--index"])
        .arg(repo.join("index"))
        .arg("--out")
        .arg(out)
        .output()
        .expect("run plugdex build");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn commit_all(repo: &Path, message: &str) {
    let env = [
        ("GIT_AUTHOR_DATE", "2025-06-01T12:00:00Z"),
        ("GIT_COMMITTER_DATE", "2025-06-01T12:00:00Z"),
        ("GIT_AUTHOR_NAME", "maintainer"),
        ("GIT_AUTHOR_EMAIL", "m@example.org"),
        ("GIT_COMMITTER_NAME", "maintainer"),
        ("GIT_COMMITTER_EMAIL", "m@example.org"),
    ];
    common::git(repo, &["add", "-A"], &env);
    common::git(repo, &["commit", "-q", "-m", message], &env);
}

/// A plugin carried over from the build cache keeps its pages; when another
/// plugin starts depending on it, its page must list the new dependent.
#[test]
fn a_new_dependent_reaches_the_page_of_a_carried_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    common::copy_tree(&common::example_index(), &repo.join("index"));
    common::git(&repo, &["init", "-q", "-b", "main"], &[]);
    commit_all(&repo, "the example index");
    let inc = dir.path().join("inc");
    let (code, stderr) = build_rev(&repo, &inc);
    assert_eq!(code, 0, "{stderr}");
    let page = || fs::read_to_string(inc.join("plugins/word-count/index.html")).unwrap();
    assert!(
        !page().contains("href=\"/plugins/live-preview/\""),
        "not a dependent yet"
    );

    // live-preview (unsigned) now depends on word-count; word-count's folder is untouched.
    let manifest = repo.join("index/plugins/li/ve/live-preview/versions/0.3.0.toml");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(
        &manifest,
        text.replace(
            "[artifact]",
            "[dependencies]\nword-count = \">=0.1\"\n\n[artifact]",
        ),
    )
    .unwrap();
    commit_all(&repo, "live-preview uses word-count");
    let (code, stderr) = build_rev(&repo, &inc);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        page().contains("href=\"/plugins/live-preview/\""),
        "word-count's page lists its new dependent:\n{}",
        page()
    );

    // And the output is the one a fresh build makes.
    let fresh = dir.path().join("fresh");
    let (code, stderr) = build_rev(&repo, &fresh);
    assert_eq!(code, 0, "{stderr}");
    let (mut kept, fresh) = (common::read_tree(&inc), common::read_tree(&fresh));
    kept.retain(|p, _| !p.starts_with("by-hash/") || fresh.contains_key(p));
    let differ: Vec<&String> = kept
        .keys()
        .chain(fresh.keys())
        .filter(|p| kept.get(*p) != fresh.get(*p))
        .collect();
    assert!(differ.is_empty(), "{differ:?}");
}

#[test]
fn an_index_repo_overrides_a_template_and_a_theme_and_a_broken_override_names_its_line() {
    let (_dir, out) = built(|index| {
        fs::create_dir_all(index.join("templates")).unwrap();
        fs::write(
            index.join("templates/404.html"),
            "{% extends \"base.html\" %}{% block main %}<h1>Lost in {{ site.title }}</h1>{% endblock %}",
        )
        .unwrap();
        fs::create_dir_all(index.join("themes/default")).unwrap();
        fs::write(
            index.join("themes/default/site.css"),
            "body { color: #111; }\n",
        )
        .unwrap();
        fs::write(index.join("themes/base.css"), "main { margin: 0; }").unwrap();
    });
    let page = fs::read_to_string(out.join("404.html")).unwrap();
    assert!(
        page.contains("<h1>Lost in Inkwell Plugin Registry</h1>"),
        "{page}"
    );
    let css: Vec<String> = walk(&out)
        .into_iter()
        .filter(|p| p.starts_with("static/") && p.ends_with(".css"))
        .collect();
    assert_eq!(css.len(), 1);
    // The index repo's base, then its theme, in one stylesheet.
    assert_eq!(
        fs::read_to_string(out.join(&css[0])).unwrap(),
        "main { margin: 0; }\nbody { color: #111; }\n"
    );
    // Every other page still comes from the built-in templates.
    assert!(
        fs::read_to_string(out.join("index.html"))
            .unwrap()
            .contains("Recently updated")
    );

    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    common::copy_tree(&common::example_index(), &index);
    fs::create_dir_all(index.join("templates")).unwrap();
    fs::write(index.join("templates/tag.html"), "line one\n{% if %}\n").unwrap();
    let (code, stderr) = common::build(&index, &dir.path().join("dist"), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`templates/tag.html`:2"),
        "names the file and line: {stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!dir.path().join("dist").exists(), "nothing was written");

    let registry = fs::read_to_string(index.join("registry.toml")).unwrap();
    fs::remove_dir_all(index.join("templates")).unwrap();
    fs::write(
        index.join("registry.toml"),
        registry.replace("[site]\n", "[site]\ntheme = \"no-such-theme\"\n"),
    )
    .unwrap();
    let (code, stderr) = common::build(&index, &dir.path().join("dist"), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no-such-theme") && stderr.contains("default, paper"),
        "{stderr}"
    );
}

#[test]
fn the_paper_theme_is_a_built_in_alternative() {
    let (_dir, out) = built(|index| {
        let registry = fs::read_to_string(index.join("registry.toml")).unwrap();
        fs::write(
            index.join("registry.toml"),
            registry.replace("[site]\n", "[site]\ntheme = \"paper\"\n"),
        )
        .unwrap();
    });
    let css: Vec<String> = walk(&out)
        .into_iter()
        .filter(|p| p.starts_with("static/") && p.ends_with(".css"))
        .collect();
    let text = fs::read_to_string(out.join(&css[0])).unwrap();
    assert!(text.contains("Georgia"), "{text}");
    // The shared base comes first, the paper look after it.
    let base =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/base.css")).unwrap();
    assert!(text.starts_with(&base), "{text}");
    assert!(
        !text.contains("system-ui"),
        "not the default theme's type: {text}"
    );
    assert!(
        fs::read_to_string(out.join("index.html"))
            .unwrap()
            .contains("data-theme-name=\"paper\"")
    );
}

/// "Works with" decides in the browser what the client decides with the
/// semver crate: the two must agree.
#[test]
fn the_pages_requirement_matcher_agrees_with_the_semver_crate() {
    let (_, out) = example();
    let served = serve(out);
    let reqs = [
        "*",
        "1",
        "1.2",
        "1.2.3",
        "^1.2.3",
        "^0.2.3",
        "^0.0.3",
        "^0.2",
        "^0.0",
        "~1.2.3",
        "~1.2",
        "~1",
        "=1.2.3",
        "=1.2",
        ">1.2.3",
        ">1.2",
        ">=1.2.3",
        ">=1",
        "<1.2.3",
        "<1.2",
        "<=1.2.3",
        "<=1.2",
        ">=1.0.0, <2.0.0",
        ">=1.0.0, <1.5.0",
        "1.x",
        "1.2.*",
        ">=1.2.3-beta.2",
        "^1.2.3-alpha",
        "<2.0.0-rc.1",
    ];
    let versions = [
        "0.0.3",
        "0.0.4",
        "0.2.3",
        "0.2.9",
        "0.3.0",
        "1.0.0",
        "1.1.9",
        "1.2.0",
        "1.2.2",
        "1.2.3",
        "1.2.4",
        "1.3.0",
        "1.4.9",
        "1.5.0",
        "1.99.0",
        "2.0.0",
        "2.0.0-rc.1",
        "2.0.0-alpha",
        "1.2.3-alpha",
        "1.2.3-beta.3",
        "1.2.3-beta.10",
        "1.2.4-alpha",
        "3.0.0",
    ];
    let pairs: Vec<(&str, &str)> = reqs
        .iter()
        .flat_map(|r| versions.iter().map(move |v| (*r, *v)))
        .collect();
    let report = chromium(
        "semver",
        &served.base,
        &[&serde_json::to_string(&pairs).unwrap()],
    );
    let answers = report["answers"].as_array().unwrap();
    let wrong: Vec<String> = pairs
        .iter()
        .zip(answers)
        .filter_map(|((r, v), got)| {
            let want = semver::VersionReq::parse(r)
                .unwrap()
                .matches(&semver::Version::parse(v).unwrap());
            (got.as_bool() != Some(want))
                .then(|| format!("{r} vs {v}: page says {got}, semver says {want}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The plugin links of the home page's section `id`, in order.
fn home_section_links(home: &str, id: &str) -> Vec<String> {
    let Some(start) = home.find(&format!("<h2 id=\"{id}\">")) else {
        return Vec::new();
    };
    let section = &home[start..start + home[start..].find("</section>").unwrap()];
    section
        .split("<a href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_owned())
        .collect()
}

#[test]
fn the_home_page_lists_popular_plugins_by_downloads_only_with_stats() {
    let (_, out) = example();
    let home = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        !home.contains("id=\"popular\""),
        "no --stats, no popular list"
    );

    let dir = tempfile::tempdir().unwrap();
    // The home page of a build with `stats` as the `--stats` file.
    let home_with = |stats: &str| -> String {
        let file = dir.path().join("stats.json");
        fs::write(&file, stats).unwrap();
        let out = dir.path().join("dist");
        let (code, stderr) = common::build(
            &common::example_index(),
            &out,
            &["--stats", file.to_str().unwrap()],
        );
        assert_eq!(code, 0, "{stderr}");
        fs::read_to_string(out.join("index.html")).unwrap()
    };
    // Names as authors spell them, a tie broken by name, a zero and a
    // plugin the index does not have.
    let home = home_with(
        r#"{"Live-Preview": {"downloads": 1200, "updated": 1},
            "word-count": {"downloads": 50}, "citations": {"downloads": 50},
            "table-tools": {"downloads": 0}, "no-such-plugin": {"downloads": 99999}}"#,
    );
    assert_eq!(
        home_section_links(&home, "popular"),
        [
            "/plugins/live-preview/",
            "/plugins/citations/",
            "/plugins/word-count/"
        ],
        "{home}"
    );
    assert!(home.contains("1200 downloads"), "{home}");

    // Counts of nothing the index has: no section at all.
    let home = home_with(r#"{"no-such-plugin": {"downloads": 5}}"#);
    assert!(!home.contains("id=\"popular\""), "{home}");
}
