//! `check --base`: pull requests against real git repositories made in temp
//! folders, with commits by different authors. One test per rule.

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use common::{copy_tree, demo_key, example_index, plugdex_cmd};
use serde_json::Value;

const WORD_COUNT: &str = "plugins/wo/rd/word-count";

/// An index repo: the example index at the repository root, committed by a
/// maintainer on `main`, and a `pr` branch to change.
struct Repo {
    dir: tempfile::TempDir,
    /// The index folder inside the repository (`""` for the root).
    prefix: &'static str,
}

impl Repo {
    fn new() -> Repo {
        Repo::at("")
    }

    fn at(prefix: &'static str) -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tree(&example_index(), &dir.path().join(prefix));
        let repo = Repo { dir, prefix };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.commit("maintainer", "the example index");
        repo.git(&["checkout", "-q", "-b", "pr"]);
        repo
    }

    /// A path relative to the index folder.
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(self.prefix).join(rel)
    }

    fn index(&self) -> PathBuf {
        self.dir.path().join(self.prefix)
    }

    fn git(&self, args: &[&str]) -> String {
        common::git(self.dir.path(), args, &[])
    }

    fn commit(&self, who: &str, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&[
            "-c",
            &format!("user.name={who}"),
            "-c",
            &format!("user.email={who}@example.org"),
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
        ]);
    }

    fn edit(&self, rel: &str, f: impl FnOnce(String) -> String) {
        let path = self.path(rel);
        let text = fs::read_to_string(&path).expect("read file to edit");
        fs::write(&path, f(text)).expect("write edited file");
    }

    /// A new version of word-count (reusing 2.0.1's artifact), signed with `key` if any.
    fn add_word_count_version(&self, version: &str, key: Option<&str>) -> String {
        let rel = format!("{WORD_COUNT}/versions/{version}.toml");
        let text =
            fs::read_to_string(self.path(&format!("{WORD_COUNT}/versions/2.0.1.toml"))).unwrap();
        let unsigned = without_signature(&text)
            .replace("version = \"2.0.1\"", &format!("version = \"{version}\""));
        fs::write(self.path(&rel), unsigned).unwrap();
        if let Some(key) = key {
            self.sign(&rel, key);
        }
        rel
    }

    /// `plugdex sign --key KEY FILE`: a release, or the owners of a `plugin.toml`.
    fn sign(&self, rel: &str, key: &str) {
        let out = plugdex_cmd()
            .args(["sign", "--index"])
            .arg(self.index())
            .args(["--key", &demo_key(key)])
            .arg(self.path(rel))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "sign: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `plugdex check --base main --author WHO --format json`: (exit code, verdict).
    fn check(&self, author: &str) -> (i32, Value) {
        self.check_args(&["--base", "main", "--author", author, "--format", "json"])
    }

    fn check_args(&self, args: &[&str]) -> (i32, Value) {
        let out = self.run(args);
        let code = out.status.code().unwrap_or(-1);
        let verdict = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "verdict is not JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, verdict)
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        plugdex_cmd()
            .args(["check", "--index"])
            .arg(self.index())
            .args(args)
            .env_remove("GITHUB_ACTOR")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("GITHUB_OUTPUT")
            .output()
            .expect("run plugdex check")
    }
}

/// A version manifest without its (multi-line) `signature`.
fn without_signature(text: &str) -> String {
    match text.find("signature = '''") {
        Some(start) => {
            let end = text[start..].find("'''\n\n").unwrap() + start + 5;
            format!("{}{}", &text[..start], &text[end..])
        }
        None => text.to_owned(),
    }
}

fn class(v: &Value) -> &str {
    v["classification"].as_str().expect("classification")
}

/// `(code, file, line)` of each diagnostic.
fn codes(v: &Value) -> Vec<(String, String, Option<u64>)> {
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let file = d["file"].as_str().unwrap();
            (
                d["code"].as_str().unwrap().to_owned(),
                file.to_owned(),
                d["line"].as_u64(),
            )
        })
        .collect()
}

fn has_code(v: &Value, code: &str) -> bool {
    codes(v).iter().any(|(c, _, _)| c == code)
}

#[test]
fn an_owner_adds_a_signed_version_auto_mergeable() {
    let repo = Repo::new();
    repo.add_word_count_version("2.1.0", Some("samokafor.pem"));
    repo.commit("samokafor", "word-count 2.1.0");
    let (code, v) = repo.check("samokafor");
    assert_eq!(class(&v), "auto-mergeable", "{v:#}");
    assert_eq!(code, 0);
    let events = v["plugins"][0]["events"].to_string();
    assert!(
        events.contains("new version 2.1.0 (signed by owner key"),
        "{events}"
    );
}

#[test]
fn a_stranger_adds_a_version_rejected() {
    let repo = Repo::new();
    let rel = repo.add_word_count_version("2.1.0", None);
    repo.commit("mallory", "word-count 2.1.0");
    let (code, v) = repo.check("mallory");
    assert_eq!((code, class(&v)), (1, "rejected"), "{v:#}");
    let found = codes(&v);
    assert!(
        found
            .iter()
            .any(|(c, f, _)| c == "not-an-owner" && f.ends_with(&rel)),
        "{found:?}"
    );
}

#[test]
fn a_stranger_with_a_release_signed_by_an_owner_key_auto_mergeable() {
    // A release bot (or a co-maintainer) may open the PR: the owner's
    // signature, verified against the base's keys, speaks for the owner.
    let repo = Repo::new();
    repo.add_word_count_version("2.1.0", Some("samokafor.pem"));
    repo.commit("release-bot", "word-count 2.1.0");
    let (code, v) = repo.check("release-bot");
    assert_eq!((code, class(&v)), (0, "auto-mergeable"), "{v:#}");
}

#[test]
fn a_key_added_in_the_same_change_does_not_authorise_it() {
    // Mallory adds her own key to the owners and signs with it: the release
    // is signed by a key the base does not have, and the owners change is
    // not authorised.
    let repo = Repo::new();
    let out = plugdex_cmd()
        .args(["keygen", "--show", &demo_key("jweiss.pem")])
        .output()
        .unwrap();
    let mallory_key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    repo.edit(&format!("{WORD_COUNT}/plugin.toml"), |t| {
        t.replace("keys = [\"", &format!("keys = [\"{mallory_key}\", \""))
    });
    repo.add_word_count_version("2.1.0", Some("jweiss.pem"));
    repo.commit("mallory", "word-count 2.1.0");
    let (_, v) = repo.check("mallory");
    assert_eq!(class(&v), "rejected", "{v:#}");
    assert!(has_code(&v, "owners-unauthorised"), "{v:#}");
    assert!(has_code(&v, "not-an-owner"), "{v:#}");
}

#[test]
fn editing_a_published_sha256_rejected_at_its_line() {
    let repo = Repo::new();
    let rel = format!("{WORD_COUNT}/versions/2.0.1.toml");
    repo.edit(&rel, |t| t.replace("25b84cfe3b5d", "00000cfe3b5d"));
    repo.commit("samokafor", "oops");
    let (code, v) = repo.check("samokafor");
    assert_eq!((code, class(&v)), (1, "rejected"));
    let text = fs::read_to_string(repo.path(&rel)).unwrap();
    let line = text.lines().position(|l| l.starts_with("sha256")).unwrap() as u64 + 1;
    let found = codes(&v);
    assert!(
        found
            .iter()
            .any(|(c, f, l)| c == "published-changed" && f.ends_with(&rel) && *l == Some(line)),
        "{found:?}"
    );
    assert!(
        v["diagnostics"].to_string().contains("`artifact`.`sha256`"),
        "{v:#}"
    );
}

/// The snippet under a diagnostic of `check --base` is the head commit's
/// line, not the work tree's (the printer used to read the work tree back).
#[test]
fn a_change_shows_the_committed_line_not_the_work_tree() {
    let repo = Repo::new();
    let rel = format!("{WORD_COUNT}/versions/2.0.1.toml");
    repo.edit(&rel, |t| t.replace("25b84cfe3b5d", "00000cfe3b5d"));
    repo.commit("samokafor", "oops");
    repo.edit(&rel, |t| t.replace("00000cfe3b5d", "11111cfe3b5d"));
    let out = repo.run(&["--base", "main", "--author", "samokafor"]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("error[published-changed]"), "{text}");
    assert!(
        text.contains("00000cfe3b5d"),
        "the head's line is shown: {text}"
    );
    assert!(!text.contains("11111cfe3b5d"), "{text}");
}

#[test]
fn an_owner_yanks_auto_mergeable() {
    let repo = Repo::new();
    repo.edit(&format!("{WORD_COUNT}/versions/2.0.1.toml"), |t| {
        t.replace("yanked = false", "yanked = \"miscounts CJK text\"")
    });
    repo.commit("samokafor", "yank word-count 2.0.1");
    let (code, v) = repo.check("SamOkafor"); // GitHub logins ignore case
    assert_eq!((code, class(&v)), (0, "auto-mergeable"), "{v:#}");
    assert!(
        v["plugins"][0]["events"]
            .to_string()
            .contains("yanks 2.0.1: miscounts CJK text"),
        "{v:#}"
    );
}

#[test]
fn a_stranger_yanks_rejected() {
    let repo = Repo::new();
    repo.edit(&format!("{WORD_COUNT}/versions/2.0.1.toml"), |t| {
        t.replace("yanked = false", "yanked = \"sabotage\"")
    });
    repo.commit("mallory", "yank");
    let (_, v) = repo.check("mallory");
    assert_eq!(class(&v), "rejected");
    assert!(has_code(&v, "not-an-owner"));
}

/// Adds a new plugin `name` as a copy of word-count's folder.
fn add_plugin(repo: &Repo, name: &str, folder: &str) {
    let dir = repo.path(&format!("plugins/{folder}"));
    copy_tree(&repo.path(WORD_COUNT), &dir);
    repo.edit(&format!("plugins/{folder}/plugin.toml"), |t| {
        t.replace("name = \"word-count\"", &format!("name = \"{name}\""))
    });
    for v in fs::read_dir(dir.join("versions")).unwrap() {
        let path = v.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        // The copies' signatures cover word-count, not the new name.
        fs::write(&path, without_signature(&text)).unwrap();
    }
}

#[test]
fn a_new_plugin_needs_review() {
    let repo = Repo::new();
    add_plugin(&repo, "line-count", "li/ne/line-count");
    repo.commit("samokafor", "new plugin line-count");
    let (code, v) = repo.check("samokafor");
    assert_eq!((code, class(&v)), (0, "needs-review"), "{v:#}");
    let reviews = v["reviews"].to_string();
    assert!(
        reviews.contains("registers the new plugin `line-count`"),
        "{reviews}"
    );
}

#[test]
fn a_new_plugin_with_a_confusable_name_rejected() {
    let repo = Repo::new();
    add_plugin(&repo, "word-c0unt", "wo/rd/word-c0unt");
    repo.commit("mallory", "looks familiar");
    let (_, v) = repo.check("mallory");
    assert_eq!(class(&v), "rejected");
    let found = codes(&v);
    assert!(
        found.iter().any(|(c, f, l)| c == "confusable-name"
            && f.ends_with("word-c0unt/plugin.toml")
            && l.is_some()),
        "{found:?}"
    );
}

#[test]
fn a_new_plugin_with_a_taken_name_in_another_spelling_rejected() {
    let repo = Repo::new();
    add_plugin(&repo, "Word_Count", "wo/rd/Word_Count");
    repo.commit("mallory", "same name");
    let (_, v) = repo.check("mallory");
    assert!(has_code(&v, "duplicate-name"), "{v:#}");
}

#[test]
fn deleting_a_version_rejected() {
    let repo = Repo::new();
    let rel = format!("{WORD_COUNT}/versions/1.0.0.toml");
    fs::remove_file(repo.path(&rel)).unwrap();
    repo.commit("samokafor", "drop 1.0.0");
    let (_, v) = repo.check("samokafor");
    assert_eq!(class(&v), "rejected");
    assert!(
        codes(&v)
            .iter()
            .any(|(c, f, _)| c == "version-deleted" && f.ends_with(&rel)),
        "{v:#}"
    );
}

#[test]
fn deleting_or_renaming_a_plugin_rejected() {
    let repo = Repo::new();
    repo.git(&["mv", WORD_COUNT, "plugins/wo/rd/word-counter"]);
    repo.edit("plugins/wo/rd/word-counter/plugin.toml", |t| {
        t.replace("name = \"word-count\"", "name = \"word-counter\"")
    });
    repo.commit("samokafor", "rename");
    let (_, v) = repo.check("samokafor");
    assert_eq!(class(&v), "rejected");
    assert!(has_code(&v, "plugin-deleted"), "{v:#}");
}

#[test]
fn an_owner_change_signed_by_a_current_key_needs_review() {
    let repo = Repo::new();
    let toml = format!("{WORD_COUNT}/plugin.toml");
    repo.edit(&toml, |t| format!("{t}\n[[owners]]\ngithub = \"jweiss\"\n"));
    repo.sign(&toml, "samokafor.pem");
    repo.commit("jweiss", "add jweiss as an owner");
    let (code, v) = repo.check("jweiss");
    assert_eq!((code, class(&v)), (0, "needs-review"), "{v:#}");
    assert!(
        v["reviews"]
            .to_string()
            .contains("signed by the current owner key"),
        "{v:#}"
    );
}

#[test]
fn an_owner_change_by_a_stranger_without_signature_rejected() {
    let repo = Repo::new();
    repo.edit(&format!("{WORD_COUNT}/plugin.toml"), |t| {
        t.replace("github = \"samokafor\"", "github = \"mallory\"")
    });
    repo.commit("mallory", "mine now");
    let (_, v) = repo.check("mallory");
    assert_eq!(class(&v), "rejected");
    let found = codes(&v);
    assert!(
        found
            .iter()
            .any(|(c, _, l)| c == "owners-unauthorised" && l.is_some()),
        "{found:?}"
    );
}

#[test]
fn an_owner_change_by_the_owner_needs_review() {
    let repo = Repo::new();
    repo.edit(&format!("{WORD_COUNT}/plugin.toml"), |t| {
        format!("{t}\n[[owners]]\ngithub = \"jweiss\"\n")
    });
    repo.commit("samokafor", "co-owner");
    let (_, v) = repo.check("samokafor");
    assert_eq!(class(&v), "needs-review", "{v:#}");
}

#[test]
fn registry_files_need_review_and_are_checked_in_full() {
    let repo = Repo::new();
    repo.edit("registry.toml", |t| {
        t.replace("title = ", "title = \"Renamed\"\n#")
            .replacen("\n#", "\n# was: ", 1)
    });
    repo.commit("maintainer", "rename the registry");
    let (code, v) = repo.check("maintainer");
    assert_eq!((code, class(&v)), (0, "needs-review"), "{v:#}");
    assert_eq!(v["full_check"], Value::Bool(true));
    assert!(v["reviews"].to_string().contains("registry.toml"), "{v:#}");
}

#[test]
fn a_removed_name_is_not_given_out_again() {
    let repo = Repo::new();
    // A maintainer removed `word-count` on main (takedown): folder gone, name listed.
    repo.git(&["checkout", "-q", "main"]);
    fs::remove_dir_all(repo.path(WORD_COUNT)).unwrap();
    repo.edit("revocations.toml", |t| {
        format!("{t}\n[[removed]]\nname = \"word-count\"\nreason = \"malware\"\n")
    });
    repo.commit("maintainer", "remove word-count");
    // The removal itself needs review, not rejection.
    let (_, v) = repo.check_args(&[
        "--base",
        "main~1",
        "--head",
        "main",
        "--author",
        "maintainer",
        "--format",
        "json",
    ]);
    assert_eq!(class(&v), "needs-review", "{v:#}");
    // Someone registers the name again.
    repo.git(&["checkout", "-q", "-B", "pr", "main"]);
    repo.git(&["checkout", "main~1", "--", WORD_COUNT]);
    repo.commit("mallory", "free name!");
    let (_, v) = repo.check("mallory");
    assert_eq!(class(&v), "rejected");
    assert!(has_code(&v, "name-removed"), "{v:#}");
}

#[test]
fn what_the_base_branch_gained_since_is_not_the_change() {
    let repo = Repo::new();
    // The PR yanks a version...
    repo.edit(&format!("{WORD_COUNT}/versions/2.0.1.toml"), |t| {
        t.replace("yanked = false", "yanked = \"bug\"")
    });
    repo.commit("samokafor", "yank");
    // ...while main gains a new version of another plugin.
    repo.git(&["checkout", "-q", "main"]);
    add_plugin(&repo, "line-count", "li/ne/line-count");
    repo.commit("maintainer", "line-count");
    repo.git(&["checkout", "-q", "pr"]);
    let (code, v) = repo.check("samokafor");
    // Compared with the merge base, line-count is not "deleted" by the PR.
    assert_eq!((code, class(&v)), (0, "auto-mergeable"), "{v:#}");
    assert!(v["base"].as_str().unwrap().contains("merge base"), "{v:#}");
}

#[test]
fn github_format_annotates_lines_and_writes_summary_and_output() {
    let repo = Repo::new();
    let rel = format!("{WORD_COUNT}/versions/2.0.1.toml");
    repo.edit(&rel, |t| t.replace("size = 512", "size = 513"));
    repo.commit("mallory", "bigger");
    let summary = repo.path("summary.md");
    let output = repo.path("gh-output");
    let out = plugdex_cmd()
        .args(["check", "--index"])
        .arg(repo.index())
        .args(["--base", "main", "--format", "github"])
        .env("GITHUB_ACTOR", "mallory")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &output)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let text = fs::read_to_string(repo.path(&rel)).unwrap();
    let line = text.lines().position(|l| l.starts_with("size")).unwrap() + 1;
    assert!(
        stdout.lines().any(|l| l.starts_with("::error ")
            && l.contains(&format!("{rel},line={line},"))
            && l.contains("title=published-changed")),
        "{stdout}"
    );
    assert!(stdout.contains("title=not-an-owner"), "{stdout}");
    let md = fs::read_to_string(&summary).unwrap();
    assert!(md.contains("❌ **rejected**"), "{md}");
    assert!(md.contains("| `published-changed` |"), "{md}");
    assert!(md.contains("author `mallory`"), "{md}");
    assert_eq!(
        fs::read_to_string(&output).unwrap(),
        "classification=rejected\n"
    );
}

#[test]
fn a_shallow_clone_without_the_base_says_what_history_it_needs() {
    let repo = Repo::new();
    repo.add_word_count_version("2.1.0", Some("samokafor.pem"));
    repo.commit("samokafor", "word-count 2.1.0");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.dir.path().display());
    let out = Command::new("git")
        .args(["clone", "-q", "--depth=1", "--branch=pr", &url])
        .arg(clone.path().join("c"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = repo.git(&["rev-parse", "main"]).trim().to_owned();
    let out = plugdex_cmd()
        .args(["check", "--index"])
        .arg(clone.path().join("c"))
        .args(["--base", &base, "--author", "samokafor"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shallow clone"), "{stderr}");
    assert!(stderr.contains("fetch-depth: 0"), "{stderr}");
    // The head and its parent (the base) are enough: only the two trees are
    // compared, and GitHub's merge commit has the base as its first parent.
    let fetch = Command::new("git")
        .args(["fetch", "-q", "--depth=2", "origin", "pr"])
        .current_dir(clone.path().join("c"))
        .output()
        .unwrap();
    assert!(
        fetch.status.success(),
        "{}",
        String::from_utf8_lossy(&fetch.stderr)
    );
    let out = plugdex_cmd()
        .args(["check", "--index"])
        .arg(clone.path().join("c"))
        .args(["--base", &base, "--author", "samokafor", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        class(&v),
        "auto-mergeable",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_index_in_a_subfolder_and_changes_outside_it() {
    // The index may live in a folder of the repository (like plugdex's own
    // `index/`): plugin changes are judged as usual, and files beside the
    // index are a maintainer's business.
    let repo = Repo::at("index");
    repo.add_word_count_version("2.1.0", Some("samokafor.pem"));
    repo.commit("samokafor", "word-count 2.1.0");
    let (_, v) = repo.check("samokafor");
    assert_eq!(class(&v), "auto-mergeable", "{v:#}");
    fs::write(repo.dir.path().join("README.md"), "hello\n").unwrap();
    repo.commit("samokafor", "readme");
    let (_, v) = repo.check("samokafor");
    assert_eq!(class(&v), "needs-review", "{v:#}");
    let review = &v["reviews"][0];
    assert_eq!(review["file"], "README.md", "{v:#}");
    assert!(
        review["reason"]
            .as_str()
            .unwrap()
            .contains("outside the index folder")
    );
}

#[test]
fn build_publishes_the_audit_trail_from_the_commits() {
    let repo = Repo::new();
    repo.add_word_count_version("2.1.0", Some("samokafor.pem"));
    repo.commit("Sam Okafor", "word-count 2.1.0");
    repo.edit(&format!("{WORD_COUNT}/versions/2.0.1.toml"), |t| {
        t.replace("yanked = false", "yanked = \"miscounts CJK text\"")
    });
    repo.commit("Sam Okafor", "yank 2.0.1");
    repo.edit(&format!("{WORD_COUNT}/plugin.toml"), |t| {
        format!("{t}\n[[owners]]\ngithub = \"jweiss\"\n")
    });
    repo.commit("Jonas Weiss", "co-owner");
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let out = tempfile::tempdir().unwrap();
    let (code, stderr) = common::build(&repo.index(), &out.path().join("dist"), &[]);
    assert_eq!(code, 0, "{stderr}");
    let audit: Value = serde_json::from_slice(
        &fs::read(out.path().join("dist/api/v1/plugins/word-count/audit.json")).unwrap(),
    )
    .unwrap();
    let events: Vec<(String, String, String, String)> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_owned();
            (s("action"), s("version"), s("author"), s("detail"))
        })
        .collect();
    let has = |action: &str, version: &str, author: &str, detail: &str| {
        events
            .iter()
            .any(|(a, v, w, d)| a == action && v == version && w == author && d.contains(detail))
    };
    assert!(has("register", "", "maintainer", ""), "{events:?}");
    assert!(has("publish", "2.0.1", "maintainer", ""), "{events:?}");
    assert!(has("publish", "2.1.0", "Sam Okafor", ""), "{events:?}");
    assert!(
        has("yank", "2.0.1", "Sam Okafor", "miscounts CJK text"),
        "{events:?}"
    );
    assert!(
        has("owners", "", "Jonas Weiss", "added: jweiss"),
        "{events:?}"
    );
    // Oldest first, and the last event names the head commit.
    assert_eq!(events[0].0, "register");
    assert_eq!(
        audit["events"].as_array().unwrap().last().unwrap()["commit"],
        head.as_str()
    );
    let doc: Value = serde_json::from_slice(
        &fs::read(out.path().join("dist/api/v1/plugins/word-count.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        doc["links"]["audit"],
        "api/v1/plugins/word-count/audit.json"
    );
}

#[test]
fn a_new_release_with_its_own_self_hosted_artifact_auto_mergeable() {
    // The artifact file is part of the release; any other new file is not.
    let repo = Repo::new();
    let bytes = b"word-count 2.2.0, a stand-in artifact\n".repeat(10);
    let url = "artifacts/word-count/word-count-2.2.0.tar.gz";
    fs::write(repo.path(url), &bytes).unwrap();
    let rel = repo.add_word_count_version("2.2.0", None);
    let sha = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(&bytes);
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    repo.edit(&rel, |t| {
        t.replace("artifacts/word-count/word-count-2.0.1.tar.gz", url)
            .replace(
                "25b84cfe3b5d6a3af74ac146eb9c9e5ab9511b57a44a7fb19ba532d5fa99db70",
                &sha,
            )
            .replace("size = 512", &format!("size = {}", bytes.len()))
    });
    repo.sign(&rel, "samokafor.pem");
    repo.commit("samokafor", "word-count 2.2.0");
    let (code, v) = repo.check("samokafor");
    assert_eq!((code, class(&v)), (0, "auto-mergeable"), "{v:#}");

    // The artifact is verified from the commit: a wrong size is an error.
    repo.edit(&rel, |t| {
        t.replace(&format!("size = {}", bytes.len()), "size = 999")
    });
    repo.commit("samokafor", "wrong size");
    let (_, v) = repo.check("samokafor");
    assert!(has_code(&v, "artifact-mismatch"), "{v:#}");

    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    fs::write(repo.path("artifacts/notes.txt"), "hello").unwrap();
    repo.commit("samokafor", "a stray file");
    let (_, v) = repo.check("samokafor");
    assert_eq!(class(&v), "needs-review", "{v:#}");
    assert!(
        v["reviews"].to_string().contains("artifacts/notes.txt"),
        "{v:#}"
    );
}

/// `--fetch` against a real HTTP server on loopback. (The manifest rules
/// allow only `https` artifact URLs; the download and checks are the same.)
#[test]
fn fetch_verifies_external_artifacts_size_and_sha256() {
    use plugdex::check::change::fetch::{self, Artifact, Limits};
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let body = b"an external artifact\n".repeat(20);
    let served = body.clone();
    std::thread::spawn(move || {
        for req in server.incoming_requests() {
            let url = req.url().to_owned();
            let _ = match url.as_str() {
                "/good.tar.gz" | "/tampered.tar.gz" => {
                    req.respond(tiny_http::Response::from_data(served.clone()))
                }
                "/slow.tar.gz" => {
                    std::thread::sleep(std::time::Duration::from_secs(4));
                    req.respond(tiny_http::Response::from_data(served.clone()))
                }
                _ => req.respond(tiny_http::Response::empty(404)),
            };
        }
    });
    let sha = plugdex::digest::Sha256::of;
    let art = |name: &str, size: usize, sha256: plugdex::digest::Sha256| Artifact {
        file: format!("plugins/x/{name}.toml"),
        url: format!("http://127.0.0.1:{port}/{name}.tar.gz"),
        size: size as u64,
        sha256,
    };
    let limits = Limits {
        timeout: std::time::Duration::from_secs(2),
    };
    let download = fetch::over_http(limits);
    let check = |a: Artifact| fetch::verify(&[a], download.as_ref());

    assert!(check(art("good", body.len(), sha(&body))).is_empty());
    let tampered = check(art("tampered", body.len(), sha(b"something else")));
    assert_eq!(tampered.len(), 1);
    assert_eq!(tampered[0].code.as_str(), "artifact-mismatch");
    assert!(
        tampered[0].message.contains("SHA-256"),
        "{}",
        tampered[0].message
    );
    // Declared smaller than served: the download stops at the cap.
    let larger = check(art("good", 10, sha(&body)));
    assert!(
        larger[0]
            .message
            .contains("larger than the declared size of 10 bytes"),
        "{}",
        larger[0].message
    );
    let shorter = check(art("good", body.len() + 5, sha(&body)));
    assert!(
        shorter[0]
            .message
            .contains(&format!("is {} bytes", body.len())),
        "{}",
        shorter[0].message
    );
    let missing = check(art("missing", 5, sha(b"x")));
    assert_eq!(missing[0].code.as_str(), "artifact-unreachable");
    assert!(missing[0].message.contains("404"), "{}", missing[0].message);
    let slow = check(art("slow", body.len(), sha(&body)));
    assert_eq!(slow[0].code.as_str(), "artifact-unreachable");
    assert!(slow[0].message.contains("in time"), "{}", slow[0].message);
}
