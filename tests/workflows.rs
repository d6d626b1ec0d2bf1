//! The GitHub workflows' logic, run for real outside GitHub:
//! `scripts/pr-verdict.py` (what labels, sets the status and merges) with a
//! fake `gh` on PATH that records every call, against verdicts the real
//! `plugdex check --base` wrote on a real git repository; the
//! `setup-plugdex` action's script against a fake release (packed by
//! `scripts/package-release.sh`) served by nginx; and the pinning rule for
//! every `uses:` in the workflows.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const REPO: &str = "inkwell/plugins";
const NUMBER: u64 = 7;
const WORD_COUNT: &str = "plugins/wo/rd/word-count/versions/2.0.1.toml";

/// The example index committed on `main`, and a `pr` commit that changes it.
struct Change {
    dir: tempfile::TempDir,
    head: String,
}

impl Change {
    /// An owner's yank (auto-mergeable) or a stranger's (rejected).
    fn yank() -> Change {
        let dir = tempfile::tempdir().expect("tempdir");
        common::copy_tree(&common::example_index(), dir.path());
        let git = |args: &[&str]| common::git(dir.path(), args, &[]);
        git(&["init", "-q", "-b", "main"]);
        git(&["add", "-A"]);
        let commit = |msg: &str| {
            git(&[
                "-c",
                "user.name=m",
                "-c",
                "user.email=m@example.org",
                "commit",
                "-q",
                "-m",
                msg,
            ])
        };
        commit("the example index");
        git(&["checkout", "-q", "-b", "pr"]);
        let file = dir.path().join(WORD_COUNT);
        let text = fs::read_to_string(&file).unwrap();
        fs::write(
            &file,
            text.replace("yanked = false", "yanked = \"miscounts\""),
        )
        .unwrap();
        git(&["add", "-A"]);
        commit("yank word-count 2.0.1");
        let head = git(&["rev-parse", "HEAD"]).trim().to_owned();
        Change { dir, head }
    }

    /// `plugdex check --base main --head SHA --format json`, as the
    /// workflow runs it, written to `verdict.json`.
    fn verdict(&self, author: &str) -> PathBuf {
        let out = common::plugdex_cmd()
            .args(["check", "--index"])
            .arg(self.dir.path())
            .args([
                "--base", "main", "--head", &self.head, "--author", author, "--format", "json",
            ])
            .env_remove("GITHUB_OUTPUT")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .expect("run check");
        assert!(
            out.status.code().unwrap_or(2) <= 1,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = self.dir.path().join("verdict.json");
        fs::write(&path, &out.stdout).unwrap();
        path
    }
}

/// A temp folder with the event payload, a fake `gh` and its call log.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    /// `head` is the pull request's head in the event; `now` is the head
    /// `gh api` reports when the script reads it again.
    fn new(head: &str, now: &str) -> Runner {
        let dir = tempfile::tempdir().expect("tempdir");
        let event = serde_json::json!({
            "action": "synchronize",
            "number": NUMBER,
            "pull_request": {"number": NUMBER, "head": {"sha": head}, "user": {"login": "samokafor"}},
            "repository": {"full_name": REPO},
        });
        fs::write(dir.path().join("event.json"), event.to_string()).unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir(&bin).unwrap();
        // Records each call as one line; answers the head query; a label
        // that is not on the pull request cannot be removed (as with gh).
        let gh = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{log}'\n\
             case \"$*\" in\n  'api repos/{REPO}/pulls/{NUMBER} --jq .head.sha') echo {now} ;;\n\
             \"pr edit {NUMBER} --repo {REPO} --remove-label\"*) exit 1 ;;\nesac\nexit 0\n",
            log = dir.path().join("gh.log").display()
        );
        let fake = bin.join("gh");
        fs::write(&fake, gh).unwrap();
        Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
        Runner { dir }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("python3")
            .arg(root().join("scripts/pr-verdict.py"))
            .args(args)
            .env("PATH", path)
            .env("GITHUB_EVENT_PATH", self.dir.path().join("event.json"))
            .env_remove("PLUGDEX_AUTO_MERGE")
            .env_remove("PLUGDEX_MERGE_METHOD")
            .envs(env.iter().copied())
            .current_dir(self.dir.path())
            .output()
            .expect("run pr-verdict.py")
    }

    /// Every `gh` call so far.
    fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.dir.path().join("gh.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The calls that change something (all but reading the head).
    fn changes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| !c.starts_with("api repos/") || c.contains("--method POST"))
            .collect()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_verdict_for_the_current_head_labels_and_sets_its_status() {
    let change = Change::yank();
    let verdict = change.verdict("samokafor");
    let summary = change.dir.path().join("summary.md");
    fs::write(&summary, "## auto-mergeable\n").unwrap();
    let gh = Runner::new(&change.head, &change.head);
    let out = gh.run(
        &[
            "label",
            "--verdict",
            verdict.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let calls = gh.changes();
    let add = format!("pr edit {NUMBER} --repo {REPO} --add-label auto-mergeable");
    assert!(calls.contains(&add), "{calls:#?}");
    let status = format!(
        "api --method POST repos/{REPO}/statuses/{} -f state=success -f context=plugdex/verdict -f description=auto-mergeable",
        change.head
    );
    assert!(calls.contains(&status), "{calls:#?}");
    for other in ["needs-review", "rejected"] {
        let remove = format!("pr edit {NUMBER} --repo {REPO} --remove-label {other}");
        assert!(calls.contains(&remove), "{calls:#?}");
    }
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with(&format!("pr comment {NUMBER}"))),
        "{calls:#?}"
    );
    // Labels are set for this pull request only, and not merged unasked.
    assert!(
        calls.iter().all(|c| !c.starts_with("pr merge")),
        "{calls:#?}"
    );
}

#[test]
fn a_rejected_verdict_fails_the_status_of_that_head() {
    let change = Change::yank();
    let verdict = change.verdict("a-stranger");
    let gh = Runner::new(&change.head, &change.head);
    let out = gh.run(&["label", "--verdict", verdict.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let calls = gh.changes();
    assert!(
        calls.contains(&format!(
            "pr edit {NUMBER} --repo {REPO} --add-label rejected"
        )),
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c.contains(&format!("statuses/{} -f state=failure", change.head))),
        "{calls:#?}"
    );
}

#[test]
fn a_forged_verdict_changes_nothing() {
    let change = Change::yank();
    let gh = Runner::new(&change.head, &change.head);
    let dir = change.dir.path();
    let real: serde_json::Value =
        serde_json::from_slice(&fs::read(change.verdict("a-stranger")).unwrap()).unwrap();
    // What a pull request's own run could upload: a verdict for another
    // commit, one claiming another pull request, an unknown class, junk.
    let other = "0123456789abcdef0123456789abcdef01234567";
    let mut for_other_commit = real.clone();
    for_other_commit["classification"] = "auto-mergeable".into();
    for_other_commit["head"] = format!("{other} (0123456789)").into();
    let mut unknown_class = real.clone();
    unknown_class["classification"] = "auto-mergeable; rm -rf /".into();
    let forged = [
        for_other_commit.to_string(),
        unknown_class.to_string(),
        "{\"classification\":\"auto-mergeable\",\"number\":1}".to_owned(),
        "not json".to_owned(),
    ];
    for (i, text) in forged.iter().enumerate() {
        let path = dir.join(format!("forged-{i}.json"));
        fs::write(&path, text).unwrap();
        for command in ["label", "merge"] {
            let out = gh.run(
                &[command, "--verdict", path.to_str().unwrap()],
                &[("PLUGDEX_AUTO_MERGE", "true")],
            );
            assert_eq!(
                out.status.code(),
                Some(1),
                "{command} {text}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains("nothing was changed"),
                "{}",
                stderr(&out)
            );
        }
    }
    assert_eq!(
        gh.calls(),
        Vec::<String>::new(),
        "a forged verdict reached gh"
    );
}

#[test]
fn a_head_that_moved_since_the_check_changes_nothing() {
    let change = Change::yank();
    let verdict = change.verdict("samokafor");
    let newer = "fedcba9876543210fedcba9876543210fedcba98";
    let gh = Runner::new(&change.head, newer);
    for command in ["label", "merge"] {
        let out = gh.run(
            &[command, "--verdict", verdict.to_str().unwrap()],
            &[("PLUGDEX_AUTO_MERGE", "true")],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("the head moved"), "{}", stderr(&out));
    }
    let out = gh.run(&["clear"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(gh.changes(), Vec::<String>::new());
    // It did read the head again, each time.
    assert_eq!(gh.calls().len(), 3);
}

#[test]
fn auto_merge_only_when_opted_in_for_the_checked_head() {
    let change = Change::yank();
    let verdict = change.verdict("samokafor");
    let v = verdict.to_str().unwrap();
    let merge = format!(
        "pr merge {NUMBER} --repo {REPO} --squash --match-head-commit {}",
        change.head
    );

    let gh = Runner::new(&change.head, &change.head);
    for off in [None, Some("false"), Some("yes")] {
        let env: Vec<(&str, &str)> = off.map(|v| ("PLUGDEX_AUTO_MERGE", v)).into_iter().collect();
        let out = gh.run(&["merge", "--verdict", v], &env);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("auto-merge is off"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(gh.changes(), Vec::<String>::new());

    let out = gh.run(
        &["merge", "--verdict", v],
        &[("PLUGDEX_AUTO_MERGE", "true")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(gh.changes(), vec![merge.clone()]);

    let gh = Runner::new(&change.head, &change.head);
    let out = gh.run(
        &["merge", "--verdict", v],
        &[
            ("PLUGDEX_AUTO_MERGE", "true"),
            ("PLUGDEX_MERGE_METHOD", "rebase"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(gh.changes(), vec![merge.replace("--squash", "--rebase")]);

    // A verdict that needs a maintainer is never merged.
    let gh = Runner::new(&change.head, &change.head);
    let rejected = change.verdict("a-stranger");
    let out = gh.run(
        &["merge", "--verdict", rejected.to_str().unwrap()],
        &[("PLUGDEX_AUTO_MERGE", "true")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(gh.changes(), Vec::<String>::new());
}

#[test]
fn a_new_push_clears_the_old_labels_and_marks_the_head_pending() {
    let change = Change::yank();
    let gh = Runner::new(&change.head, &change.head);
    let out = gh.run(&["clear"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let calls = gh.changes();
    for label in ["auto-mergeable", "needs-review", "rejected"] {
        assert!(
            calls.contains(&format!(
                "pr edit {NUMBER} --repo {REPO} --remove-label {label}"
            )),
            "{calls:#?}"
        );
    }
    assert!(
        calls
            .iter()
            .any(|c| c.contains(&format!("statuses/{} -f state=pending", change.head))),
        "{calls:#?}"
    );
}

// ---- setup-plugdex -------------------------------------------------------------

struct Release {
    tmp: tempfile::TempDir,
    url: String,
    archive: PathBuf,
    _nginx: common::Nginx,
}

/// A release `v0.1.0` holding the real plugdex binary for Linux x86_64,
/// packed by `scripts/package-release.sh`, with its SHA256SUMS, on nginx.
fn fake_release() -> Release {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = tmp.path().join("site");
    let dir = site.join("v0.1.0");
    fs::create_dir_all(&dir).unwrap();
    let out = Command::new(root().join("scripts/package-release.sh"))
        .args([
            "v0.1.0",
            "x86_64-unknown-linux-gnu",
            env!("CARGO_BIN_EXE_plugdex"),
        ])
        .arg(&dir)
        .output()
        .expect("run package-release.sh");
    assert!(out.status.success(), "{}", stderr(&out));
    let archive = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    let line = fs::read_to_string(archive.with_extension("gz.sha256")).unwrap();
    fs::write(dir.join("SHA256SUMS"), line).unwrap();
    fs::write(site.join("_nginx.conf"), "").unwrap();
    let port = common::free_port();
    let (nginx, addr) = common::start_nginx(tmp.path(), &site, port, "access_log off;");
    Release {
        tmp,
        url: format!("http://{addr}"),
        archive,
        _nginx: nginx,
    }
}

impl Release {
    fn install(&self, env: &[(&str, &str)]) -> (Output, String) {
        let runner_temp = tempfile::tempdir_in(self.tmp.path()).unwrap();
        let github_path = runner_temp.path().join("github_path");
        let out = Command::new(root().join("scripts/setup-plugdex.sh"))
            .env("PLUGDEX_VERSION", "v0.1.0")
            .env("PLUGDEX_RELEASE_URL", &self.url)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", runner_temp.path())
            .env("GITHUB_PATH", &github_path)
            .env_remove("PLUGDEX_SHA256")
            .envs(env.iter().copied())
            .output()
            .expect("run setup-plugdex.sh");
        let added = fs::read_to_string(&github_path).unwrap_or_default();
        std::mem::forget(runner_temp); // inside self.tmp, removed with it
        (out, added)
    }
}

fn sha256_of(path: &Path) -> String {
    plugdex::digest::hex(&plugdex::digest::sha256(&fs::read(path).unwrap()))
}

#[test]
fn setup_plugdex_installs_the_verified_release_on_path() {
    let release = fake_release();
    let pin = sha256_of(&release.archive);
    for env in [vec![], vec![("PLUGDEX_SHA256", pin.as_str())]] {
        let (out, added) = release.install(&env);
        assert!(out.status.success(), "{}", stderr(&out));
        let bin = PathBuf::from(added.trim());
        assert!(
            bin.ends_with("plugdex-v0.1.0-x86_64-unknown-linux-gnu"),
            "{added}"
        );
        let version = Command::new(bin.join("plugdex"))
            .arg("--version")
            .output()
            .unwrap();
        // `plugdex 0.1.0`, and ` (COMMIT)` when built from a git checkout (docs/cli.md).
        let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
        let plain = format!("plugdex {}", env!("CARGO_PKG_VERSION"));
        assert!(
            version == plain || version.starts_with(&format!("{plain} (")),
            "{version}"
        );
        assert!(bin.join("LICENSE-MIT").exists() && bin.join("LICENSE-APACHE").exists());
    }
}

#[test]
fn setup_plugdex_refuses_a_tampered_or_unpinned_archive() {
    let release = fake_release();
    // The pin is not this archive's hash.
    let wrong = "0".repeat(64);
    let (out, added) = release.install(&[("PLUGDEX_SHA256", &wrong)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("but the pinned sha256 is"),
        "{}",
        stderr(&out)
    );
    assert_eq!(added, "");
    // The archive changed after SHA256SUMS was written.
    let mut bytes = fs::read(&release.archive).unwrap();
    bytes.extend_from_slice(b"tampered");
    fs::write(&release.archive, bytes).unwrap();
    let (out, added) = release.install(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("but SHA256SUMS of v0.1.0 lists"),
        "{}",
        stderr(&out)
    );
    assert_eq!(added, "");
}

#[test]
fn setup_plugdex_says_what_is_wrong_with_its_inputs() {
    let release = fake_release();
    let cases = [
        (
            vec![("PLUGDEX_VERSION", "latest")],
            "must be a release tag like v0.1.0",
        ),
        (
            vec![("RUNNER_OS", "Plan9")],
            "no plugdex release for RUNNER_OS='Plan9'",
        ),
        (vec![("PLUGDEX_VERSION", "v9.9.9")], "cannot download"),
        (
            vec![("PLUGDEX_SHA256", "abc")],
            "must be 64 lowercase hex digits",
        ),
    ];
    for (env, message) in cases {
        let (out, added) = release.install(&env);
        assert_eq!(out.status.code(), Some(1), "{env:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{env:?}: {}", stderr(&out));
        assert_eq!(added, "");
    }
}

// ---- pinning -------------------------------------------------------------------

/// Every `uses:` of a workflow, a template or the composite action names a full
/// commit SHA with its version in a comment, or a local path.
#[test]
fn every_action_is_pinned_to_a_commit_with_its_version() {
    let mut files: Vec<PathBuf> = [".github/workflows", "docs/examples"]
        .iter()
        .flat_map(|d| fs::read_dir(root().join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    files.push(root().join("action.yml"));
    files.sort();
    let mut unpinned = Vec::new();
    let mut seen = 0;
    for file in &files {
        for (n, line) in fs::read_to_string(file).unwrap().lines().enumerate() {
            let Some(rest) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses: ")
            else {
                continue;
            };
            seen += 1;
            if rest.starts_with("./") {
                continue;
            }
            let (target, comment) = rest.split_once(" # ").unwrap_or((rest, ""));
            let sha = target.rsplit_once('@').map_or("", |(_, r)| r);
            let pinned = sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit());
            if !pinned || !comment.starts_with('v') && !comment.starts_with("stable") {
                unpinned.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(seen > 10, "no `uses:` found");
    assert!(
        unpinned.is_empty(),
        "unpinned actions:\n{}",
        unpinned.join("\n")
    );
    let dependabot = fs::read_to_string(root().join(".github/dependabot.yml")).unwrap();
    assert!(
        dependabot.contains("package-ecosystem: github-actions"),
        "{dependabot}"
    );
}
