//! `build --rev` and `check --rev`: the index read from a commit of a real
//! git repository made in a temp folder, not from the work tree.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{demo_key, plugdex_cmd, read_tree};

const GIT_1_0: &str = "plugins/3/g/git/versions/1.0.0.toml";

/// A repository with the example index committed in its `index/` folder
/// (nested, as in plugdex's own repository).
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        common::copy_tree(&common::example_index(), &dir.path().join("repo/index"));
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.commit("the example index");
        repo
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn index(&self) -> PathBuf {
        self.root().join("index")
    }

    /// An output folder outside the repository.
    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn git(&self, args: &[&str]) {
        let when = "2025-06-01T12:00:00Z";
        common::git(
            &self.root(),
            args,
            &[
                ("GIT_AUTHOR_DATE", when),
                ("GIT_COMMITTER_DATE", when),
                ("GIT_AUTHOR_NAME", "maintainer"),
                ("GIT_AUTHOR_EMAIL", "maintainer@example.org"),
                ("GIT_COMMITTER_NAME", "maintainer"),
                ("GIT_COMMITTER_EMAIL", "maintainer@example.org"),
            ],
        );
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// Breaks the TOML of git 1.0.0, puts a plugin folder where the shard
    /// layout does not allow it and a symlink among git's versions.
    fn break_index(&self) {
        let manifest = self.index().join(GIT_1_0);
        let text = fs::read_to_string(&manifest).unwrap();
        fs::write(&manifest, format!("{text}\ngarbage =\n")).unwrap();
        common::copy_tree(
            &self.index().join("plugins/3/g/git"),
            &self.index().join("plugins/gitx"),
        );
        std::os::unix::fs::symlink(
            "1.0.0.toml",
            self.index().join("plugins/3/g/git/versions/link.toml"),
        )
        .unwrap();
    }

    /// `plugdex ARGS... --index INDEX`.
    fn run(&self, args: &[&str]) -> Output {
        self.run_at(&self.index(), args)
    }

    fn run_at(&self, index: &Path, args: &[&str]) -> Output {
        plugdex_cmd()
            .args(args)
            .arg("--index")
            .arg(index)
            .output()
            .expect("run plugdex")
    }

    /// `plugdex build --out OUT [--rev REV]`, signed with the demo online key.
    fn build(&self, out: &str, rev: Option<&str>) -> Output {
        let key = demo_key("online.pem");
        let out = self.out(out);
        let mut args = vec!["build", "--signing-key", &key, "--out"];
        let out = out.to_str().expect("UTF-8 path");
        args.push(out);
        if let Some(rev) = rev {
            args.extend(["--rev", rev]);
        }
        self.run(&args)
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// A usage error: exit 2, a message containing `needle`, and a hint.
fn assert_usage_error(out: &Output, needle: &str, what: &str) {
    let text = stderr(out);
    assert_eq!(code(out), 2, "{what}: {text}");
    assert!(text.contains(needle), "{what}: {text}");
    assert!(text.contains("hint:"), "{what}: {text}");
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The output folder's files, by path.
fn files(out: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let tree = read_tree(out);
    assert!(tree.contains_key("timestamp.json"), "a signed build");
    tree
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (a, b) = (files(a), files(b));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (path, bytes) in &a {
        assert!(&b[path] == bytes, "`{path}` differs");
    }
}

#[test]
fn build_of_head_is_byte_identical_to_build_of_the_clean_work_tree() {
    let repo = Repo::new();
    let from_git = repo.build("from-git", Some("HEAD"));
    assert_eq!(code(&from_git), 0, "{}", stderr(&from_git));
    let from_folder = repo.build("from-folder", None);
    assert_eq!(code(&from_folder), 0, "{}", stderr(&from_folder));
    assert_same_tree(&repo.out("from-git"), &repo.out("from-folder"));
    // The publication times are the commit's, not SOURCE_DATE_EPOCH's.
    let git_index = fs::read_to_string(repo.out("from-git").join("index/3/g/git")).unwrap();
    assert!(
        git_index.contains("\"pubtime\":\"2025-06-01T12:00:00Z\""),
        "{git_index}"
    );
}

#[test]
fn uncommitted_edits_are_ignored_and_committed_ones_are_reported() {
    let repo = Repo::new();
    let clean = repo.build("clean", Some("HEAD"));
    assert_eq!(code(&clean), 0, "{}", stderr(&clean));

    // Broken in the work tree only: the folder check sees it, --rev does not.
    repo.break_index();
    let folder = repo.run(&["check", "--format", "json"]);
    assert_eq!(code(&folder), 1, "{}", stderr(&folder));
    let at_head = repo.run(&["check", "--rev", "HEAD"]);
    assert_eq!(code(&at_head), 0, "{}", stderr(&at_head));
    assert!(
        stderr(&at_head).contains("no problems"),
        "{}",
        stderr(&at_head)
    );
    let built = repo.build("edited", Some("HEAD"));
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    assert_same_tree(&repo.out("clean"), &repo.out("edited"));

    // Committed, the same problems at the same paths as the folder check.
    repo.commit("broken");
    let at_head = repo.run(&["check", "--rev", "HEAD", "--format", "json"]);
    assert_eq!(code(&at_head), 1, "{}", stderr(&at_head));
    assert_eq!(
        String::from_utf8_lossy(&at_head.stdout),
        String::from_utf8_lossy(&folder.stdout),
        "check --rev reports what the folder check reports"
    );
    let report: serde_json::Value = serde_json::from_slice(&at_head.stdout).unwrap();
    let files: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    let expected = repo.index().join(GIT_1_0);
    assert!(
        files.contains(&expected.to_str().unwrap()),
        "the broken manifest is named by its path: {files:?}"
    );
    let human = repo.run(&["check", "--rev", "HEAD"]);
    assert!(
        stderr(&human).contains(&format!("{}:", expected.display())),
        "{}",
        stderr(&human)
    );
    assert!(stderr(&human).contains("error[misplaced-plugin]"));
    assert!(stderr(&human).contains("error[symlink]"));

    // The previous commit is still clean, and builds as before.
    assert_eq!(code(&repo.run(&["check", "--rev", "HEAD~1"])), 0);
    let built = repo.build("broken", Some("HEAD"));
    assert_eq!(code(&built), 1, "{}", stderr(&built));
    assert!(!repo.out("broken").exists(), "nothing is written");
}

#[test]
fn an_unknown_revision_is_a_usage_error() {
    let repo = Repo::new();
    for cmd in ["check", "build"] {
        let out = repo.run(&[cmd, "--rev", "no-such-branch"]);
        assert_usage_error(
            &out,
            "error: `no-such-branch` is not a commit in this repository",
            cmd,
        );
    }
}

#[test]
fn an_index_folder_missing_from_the_commit_is_a_usage_error() {
    let repo = Repo::new();
    let elsewhere = repo.root().join("other");
    common::copy_tree(&common::example_index(), &elsewhere);
    let out = repo.run_at(&elsewhere, &["check", "--rev", "HEAD"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the index folder `other` is not in `HEAD`"),
        "{}",
        stderr(&out)
    );
    // Uncommitted, it is still checked as a folder.
    assert_eq!(code(&repo.run_at(&elsewhere, &["check"])), 0);
}

#[test]
fn rev_outside_a_git_repository_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&common::example_index(), &dir.path().join("index"));
    let index = dir.path().join("index");
    let out_dir = dir.path().join("dist");
    for args in [
        vec!["check", "--rev", "HEAD"],
        vec!["build", "--rev", "HEAD", "--out", out_dir.to_str().unwrap()],
    ] {
        let out = plugdex_cmd()
            .args(&args)
            .arg("--index")
            .arg(&index)
            .output()
            .unwrap();
        assert_usage_error(&out, "is not inside a git repository", &format!("{args:?}"));
        assert!(!out_dir.exists());
    }
}

#[test]
fn rev_cannot_be_combined_with_base() {
    let repo = Repo::new();
    let out = repo.run(&["check", "--rev", "HEAD", "--base", "main"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

/// Sets `yanked` in the manifests `rels` (relative to the index root).
fn set_yanked(repo: &Repo, rels: &[&str], value: &str) {
    for rel in rels {
        let path = repo.index().join(rel);
        let text = fs::read_to_string(&path).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("yanked = "))
            .expect("a yanked line")
            .to_owned();
        fs::write(&path, text.replace(&line, &format!("yanked = {value}"))).unwrap();
    }
}

/// Builds HEAD into the kept output `inc` (carrying over what its cache
/// allows) and into a fresh folder, and checks the two are byte-identical.
/// Returns `inc`'s stderr.
fn rebuild_matches_fresh(repo: &Repo, round: usize) -> String {
    let inc = repo.build("inc", Some("HEAD"));
    assert_eq!(code(&inc), 0, "round {round}: {}", stderr(&inc));
    let fresh = format!("fresh-{round}");
    let out = repo.build(&fresh, Some("HEAD"));
    assert_eq!(code(&out), 0, "round {round}: {}", stderr(&out));
    // The kept output also holds the previous build's snapshot copies (kept
    // one generation for clients holding the old timestamp); nothing else differs.
    let (mut kept, fresh) = (files(&repo.out("inc")), files(&repo.out(&fresh)));
    kept.retain(|p, _| !p.starts_with("by-hash/") || fresh.contains_key(p));
    let differ: Vec<&String> = kept
        .keys()
        .chain(fresh.keys())
        .filter(|p| kept.get(*p) != fresh.get(*p))
        .collect();
    assert!(differ.is_empty(), "round {round}: {differ:?}");
    stderr(&inc)
}

/// The error diagnostics of a failed build, as `(file, code)`, sorted.
fn errors(out: &Output) -> Vec<(String, String)> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON diagnostics");
    let mut found: Vec<(String, String)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_owned(),
                d["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn rebuilds_carry_unchanged_plugins_over_and_match_a_fresh_build() {
    let repo = Repo::new();
    let first = rebuild_matches_fresh(&repo, 0);
    assert!(
        first.contains("every plugin was read: no build cache"),
        "{first}"
    );

    // Nothing changed: every plugin is carried over.
    let again = rebuild_matches_fresh(&repo, 1);
    let total = read_tree(&repo.out("inc"))
        .keys()
        .filter(|p| p.starts_with("api/v1/plugins/") && p.ends_with("/versions.json"))
        .count();
    let assert_carried = |stderr: &str, n: usize| {
        let line = format!("{n} plugins unchanged since the last build were carried over");
        assert!(stderr.contains(&line), "{stderr}");
    };
    assert_carried(&again, total);

    // One plugin changed: the rest are carried over.
    set_yanked(&repo, &[GIT_1_0], "\"broken on Windows\"");
    repo.commit("yank git 1.0.0");
    let one = rebuild_matches_fresh(&repo, 2);
    assert_carried(&one, total - 1);

    // Changed and changed back between two builds: its audit trail grew,
    // so it is redone although its folder is as it was.
    let citations = "plugins/ci/ta/citations/versions/1.0.0.toml";
    set_yanked(&repo, &[citations], "\"oops\"");
    repo.commit("yank citations 1.0.0");
    set_yanked(&repo, &[citations], "false");
    repo.commit("unyank citations 1.0.0");
    let back = rebuild_matches_fresh(&repo, 3);
    assert_carried(&back, total - 1);

    // A change to a carried plugin's dependency breaks the carried plugin:
    // its error is reported as a fresh check reports it, and nothing is built.
    let all: Vec<String> = ["1.0.0", "1.1.0", "1.2.0", "2.0.0-beta.1"]
        .iter()
        .map(|v| format!("plugins/ci/ta/citations/versions/{v}.toml"))
        .collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    set_yanked(&repo, &all, "\"withdrawn\"");
    repo.commit("yank every citations version");
    let build_json = |out: &str| {
        let out = repo.out(out);
        let out = out.to_str().expect("UTF-8 path");
        repo.run(&[
            "build",
            "--allow-unsigned",
            "--format",
            "json",
            "--rev",
            "HEAD",
            "--out",
            out,
        ])
    };
    let (broken, fresh) = (build_json("inc"), build_json("fresh-broken"));
    assert_eq!((code(&broken), code(&fresh)), (1, 1), "{}", stderr(&broken));
    let found = errors(&broken);
    assert_eq!(found, errors(&fresh));
    assert!(
        found.iter().any(
            |(file, code)| file.contains("plugins/pa/nd/pandoc-export/versions/")
                && code == "unsatisfiable-dependency"
        ),
        "{found:?}"
    );
    set_yanked(&repo, &all, "false");
    repo.commit("unyank citations");
    rebuild_matches_fresh(&repo, 4);

    // A plugin removed, another added (unsigned: the copied signatures
    // would name the old plugin).
    repo.git(&["rm", "-r", "-q", "index/plugins/wo/rd/word-count"]);
    let citex = repo.index().join("plugins/ci/te/citex");
    common::copy_tree(&repo.index().join("plugins/ci/ta/citations"), &citex);
    let toml = citex.join("plugin.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(
        &toml,
        text.replace("name = \"citations\"", "name = \"citex\""),
    )
    .unwrap();
    for entry in fs::read_dir(citex.join("versions")).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("signature = "))
            .collect();
        fs::write(&path, kept.join("\n") + "\n").unwrap();
    }
    repo.commit("remove word-count, add citex");
    rebuild_matches_fresh(&repo, 5);

    // A registry-wide input changed: nothing is carried over.
    let registry = repo.index().join("registry.toml");
    let text = fs::read_to_string(&registry).unwrap();
    fs::write(&registry, text.replacen("title = \"", "title = \"The ", 1)).unwrap();
    repo.commit("retitle");
    let retitled = rebuild_matches_fresh(&repo, 6);
    assert!(
        retitled.contains("every plugin was read: registry-wide inputs changed"),
        "{retitled}"
    );

    // Going back to an earlier commit of the same line works too.
    repo.git(&["checkout", "-q", "HEAD~1"]);
    rebuild_matches_fresh(&repo, 7);
}

/// The snippet under a diagnostic of `check --rev` is the committed line,
/// not the work tree's (the printer used to read the work tree back).
#[test]
fn check_rev_shows_the_committed_line_not_the_work_tree() {
    let repo = Repo::new();
    let manifest = repo.index().join(GIT_1_0);
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(&manifest, format!("frobnicate = \"committed\"\n{text}")).unwrap();
    repo.commit("an unknown field");
    fs::write(&manifest, format!("# edited, not committed\n{text}")).unwrap();

    let out = repo.run(&["check", "--rev", "HEAD"]);
    let text = stderr(&out);
    assert_eq!(code(&out), 1, "{text}");
    assert!(text.contains("error[unknown-field]"), "{text}");
    assert!(
        text.contains("1 | frobnicate = \"committed\"\n"),
        "the committed line is shown: {text}"
    );
    assert!(!text.contains("edited, not committed"), "{text}");
}
