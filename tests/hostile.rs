//! Hostile inputs built at test time (they cannot be committed): symlinks,
//! huge files, deep nesting, names differing only in case, non-UTF-8 names,
//! FIFOs. Each test copies `tests/fixtures/base` into a temporary folder,
//! breaks it, and asserts the exact code and that `check_index` returns.
//! Checks run on a thread with a 2 MiB stack (see `common::check_small_stack`).

#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use plugdex::check::Checked;
use plugdex::diagnostic::{Code, Diagnostic, Severity};
use plugdex::printer::{self, Format};

const ALPHA: &str = "plugins/al/ph/alpha";
const GM: &str = "plugins/2/gm";

fn check(root: &Path) -> Checked {
    common::check_small_stack(root)
}

/// Runs the check with a deadline, for inputs that could block (FIFOs).
fn check_within(root: &Path, limit: Duration) -> Checked {
    let (tx, rx) = mpsc::channel();
    let root = root.to_owned();
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let _ = tx.send(plugdex::check::check_index(&root).expect("index exists"));
        })
        .expect("spawn");
    rx.recv_timeout(limit).unwrap_or_else(|_| {
        panic!("check_index did not return within {limit:?} (blocked, or panicked)")
    })
}

fn find<'a>(checked: &'a Checked, file: &str, code: Code) -> &'a Diagnostic {
    checked
        .diagnostics
        .iter()
        .find(|d| d.file == file && d.code == code)
        .unwrap_or_else(|| {
            panic!(
                "expected [{}] on `{file}`, got:\n{}",
                code.as_str(),
                common::render(&checked.diagnostics)
            )
        })
}

fn codes(checked: &Checked) -> Vec<&'static str> {
    checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

fn remove(root: &Path, rel: &str) {
    let p = root.join(rel);
    if fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
        fs::remove_dir_all(p).expect("remove folder");
    } else {
        fs::remove_file(p).expect("remove file");
    }
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Every output format, for asserting what never reaches the user.
fn all_output(checked: &Checked, root: &Path) -> String {
    let mut s = common::render(&checked.diagnostics);
    for format in [Format::Human, Format::Json, Format::Github] {
        s.push_str(&printer::render(
            format,
            &checked.diagnostics,
            &checked.sources,
            root,
        ));
    }
    s
}

// ---- symlinks -------------------------------------------------------------

#[test]
fn symlinks_are_refused_and_never_followed() {
    let passwd = fs::read_to_string("/etc/passwd")
        .unwrap_or_else(|_| "root:x:0:0:root:/root:/bin/sh\n".to_owned());
    let dir = common::base_copy();
    let root = dir.path();
    // A README pointing at /etc/passwd.
    remove(root, &format!("{ALPHA}/README.md"));
    std::os::unix::fs::symlink("/etc/passwd", root.join(ALPHA).join("README.md")).unwrap();
    // A whole plugin folder that is a link to a real, valid plugin folder elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    common::copy_tree(&root.join(GM), &elsewhere.path().join("gm"));
    remove(root, GM);
    std::os::unix::fs::symlink(elsewhere.path().join("gm"), root.join(GM)).unwrap();
    // A version file pointing at /etc/passwd, a dangling one and a loop.
    std::os::unix::fs::symlink(
        "/etc/passwd",
        root.join("plugins/be/ta/beta-tool/versions/9.9.9.toml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/nonexistent/1.0.0.toml",
        root.join(ALPHA).join("versions/7.0.0.toml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(".", root.join("plugins/al/ph/loop")).unwrap();
    // A shard folder that is a link to /etc.
    std::os::unix::fs::symlink("/etc", root.join("plugins/et")).unwrap();

    let checked = check(root);
    for file in [
        format!("{ALPHA}/README.md"),
        GM.to_owned(),
        "plugins/be/ta/beta-tool/versions/9.9.9.toml".to_owned(),
        format!("{ALPHA}/versions/7.0.0.toml"),
        "plugins/al/ph/loop".to_owned(),
        "plugins/et".to_owned(),
    ] {
        let d = find(&checked, &file, Code::Symlink);
        assert_eq!(d.severity, Severity::Error);
        assert!(
            d.pos.is_none(),
            "a symlink diagnostic has no position inside the (unread) file"
        );
    }
    // Only the real folders were loaded: gm was not followed.
    assert_eq!(
        checked.plugins,
        2,
        "{}",
        common::render(&checked.diagnostics)
    );
    assert!(checked.registry.is_none());
    let out = all_output(&checked, root);
    for line in passwd.lines().filter(|l| l.len() > 8) {
        assert!(
            !out.contains(line),
            "content of /etc/passwd leaked into the output: {line}"
        );
    }
    assert!(
        !out.contains("root:x:0:0"),
        "content of /etc/passwd leaked into the output"
    );
}

#[test]
fn symlinked_registry_and_plugins_folder_are_refused() {
    let dir = common::base_copy();
    let root = dir.path();
    remove(root, "registry.toml");
    std::os::unix::fs::symlink("/etc/passwd", root.join("registry.toml")).unwrap();
    let real = tempfile::tempdir().unwrap();
    common::copy_tree(&root.join("plugins"), &real.path().join("plugins"));
    remove(root, "plugins");
    std::os::unix::fs::symlink(real.path().join("plugins"), root.join("plugins")).unwrap();

    let checked = check(root);
    find(&checked, "registry.toml", Code::Symlink);
    find(&checked, "plugins", Code::Symlink);
    assert!(
        !codes(&checked).contains(&"not-an-index"),
        "a symlinked registry.toml exists; it is refused, not missing"
    );
    assert_eq!(
        checked.plugins, 0,
        "the symlinked plugins/ folder must not be walked"
    );
    assert!(!all_output(&checked, root).contains("root:x:0:0"));
}

// ---- sizes ------------------------------------------------------------------

#[test]
fn a_50_mb_manifest_is_refused_quickly() {
    let dir = common::base_copy();
    let root = dir.path();
    let big = root.join(ALPHA).join("versions/1.2.0.toml");
    let mut content = fs::read_to_string(root.join(ALPHA).join("versions/1.1.0.toml"))
        .unwrap()
        .replace("1.1.0", "1.2.0");
    let filler = "# padding padding padding padding padding padding padding padding padding\n";
    content.push_str(&filler.repeat(50 * 1024 * 1024 / filler.len() + 1));
    fs::write(&big, &content).unwrap();
    assert!(fs::metadata(&big).unwrap().len() >= 50 * 1024 * 1024);
    // A huge README and registry.toml too (sparse, so the test stays fast).
    for (rel, len) in [
        (format!("{ALPHA}/README.md"), 50 * 1024 * 1024),
        ("registry.toml".to_owned(), 50 * 1024 * 1024),
    ] {
        let f = fs::OpenOptions::new()
            .append(true)
            .open(root.join(&rel))
            .unwrap();
        f.set_len(len).unwrap();
    }

    let start = Instant::now();
    let checked = check(root);
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_secs(5),
        "checking took {elapsed:?}: the big files must not be read"
    );
    for (file, kib) in [
        (format!("{ALPHA}/versions/1.2.0.toml"), 1024),
        (format!("{ALPHA}/README.md"), 512),
        ("registry.toml".to_owned(), 1024),
    ] {
        let d = find(&checked, &file, Code::FileTooLarge);
        assert!(d.message.contains(&format!("{kib} KiB")), "{}", d.message);
        assert!(d.pos.is_none());
    }
}

#[test]
fn manifests_at_the_size_cap_are_read() {
    let dir = common::base_copy();
    let root = dir.path();
    let path = root.join(ALPHA).join("versions/1.1.0.toml");
    let mut content = fs::read_to_string(&path).unwrap();
    let cap = plugdex::source::MAX_TOML_BYTES as usize;
    while content.len() + 80 < cap {
        content.push_str(&format!("# {}\n", "x".repeat(76)));
    }
    content.push_str(&format!("#{}\n", "y".repeat(cap - content.len() - 2)));
    assert_eq!(content.len(), cap);
    fs::write(&path, &content).unwrap();
    let checked = check(root);
    assert!(
        checked.diagnostics.is_empty(),
        "a manifest of exactly 1 MiB is allowed:\n{}",
        common::render(&checked.diagnostics)
    );

    content.push('\n');
    fs::write(&path, &content).unwrap();
    let checked = check(root);
    find(
        &checked,
        &format!("{ALPHA}/versions/1.1.0.toml"),
        Code::FileTooLarge,
    );
}

// ---- deep nesting -----------------------------------------------------------

#[test]
fn deeply_nested_toml_is_a_syntax_error_not_a_stack_overflow() {
    const DEPTH: usize = 100_000;
    let arrays = format!("x = {}{}\n", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let tables = format!("x = {}1{}\n", "{ a = ".repeat(DEPTH), " }".repeat(DEPTH));
    let dotted = format!("{} = 1\n", vec!["a"; DEPTH].join("."));
    let headers = format!("[{}]\n", vec!["a"; DEPTH].join("."));
    let mixed = format!(
        "x = {}1{}\n",
        "[{ a = ".repeat(DEPTH / 2),
        " }]".repeat(DEPTH / 2)
    );
    let dir = common::base_copy();
    let root = dir.path();
    let version = fs::read_to_string(root.join(ALPHA).join("versions/1.0.0.toml")).unwrap();
    let files = [
        (
            format!("{ALPHA}/versions/1.0.0.toml"),
            format!("{version}{arrays}"),
        ),
        (format!("{ALPHA}/versions/1.1.0.toml"), tables.clone()),
        (
            "plugins/be/ta/beta-tool/versions/1.0.0.toml".to_owned(),
            dotted,
        ),
        (
            "plugins/be/ta/beta-tool/versions/1.2.0.toml".to_owned(),
            headers,
        ),
        (format!("{GM}/versions/0.1.0.toml"), mixed),
        (format!("{GM}/plugin.toml"), arrays.clone()),
        ("registry.toml".to_owned(), tables),
    ];
    for (rel, text) in &files {
        assert!(
            text.len() < plugdex::source::MAX_TOML_BYTES as usize,
            "{rel} must stay under the size cap"
        );
        fs::write(root.join(rel), text).unwrap();
    }
    let checked = check(root);
    for (rel, _) in &files {
        let d = find(&checked, rel, Code::TomlSyntax);
        assert!(d.pos.is_some());
    }
}

// ---- names ------------------------------------------------------------------

#[test]
fn plugin_folders_differing_only_in_case_are_duplicates() {
    let dir = common::base_copy();
    let root = dir.path();
    let upper = root.join("plugins/al/ph/Alpha");
    fs::create_dir(&upper).unwrap();
    let names: Vec<_> = fs::read_dir(root.join("plugins/al/ph"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    if names.len() < 2 {
        eprintln!("skipped: the file system is case-insensitive");
        return;
    }
    common::copy_tree(&root.join(ALPHA), &upper);
    let plugin = fs::read_to_string(upper.join("plugin.toml"))
        .unwrap()
        .replace("name = \"alpha\"", "name = \"Alpha\"");
    fs::write(upper.join("plugin.toml"), plugin).unwrap();

    let checked = check(root);
    let dups: Vec<&Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::DuplicateName)
        .collect();
    assert_eq!(dups.len(), 1, "{}", common::render(&checked.diagnostics));
    // `Alpha` sorts before `alpha`, so `alpha` is the one reported.
    assert_eq!(dups[0].file, format!("{ALPHA}/plugin.toml"));
    assert!(dups[0].message.contains("`Alpha`"), "{}", dups[0].message);
    assert!(dups[0].pos.is_some());
}

#[test]
fn non_utf8_file_names_are_reported_on_their_folder() {
    let dir = common::base_copy();
    let root = dir.path();
    let name = std::ffi::OsStr::from_bytes(b"1.2.0\xff.toml");
    fs::write(
        root.join(ALPHA).join("versions").join(name),
        "version = \"1.2.0\"\n",
    )
    .unwrap();
    fs::create_dir(
        root.join("plugins")
            .join(std::ffi::OsStr::from_bytes(b"\xfe\xfe")),
    )
    .unwrap();

    let checked = check(root);
    let d = find(&checked, &format!("{ALPHA}/versions"), Code::UnexpectedFile);
    assert!(d.message.contains("not UTF-8"), "{}", d.message);
    let d = find(&checked, "plugins", Code::UnexpectedFile);
    assert!(d.message.contains("not UTF-8"), "{}", d.message);
    assert_eq!(
        (checked.plugins, checked.versions),
        (3, 5),
        "the valid files are still checked"
    );
}

// ---- content ----------------------------------------------------------------

#[test]
fn invalid_utf8_content_is_reported_with_its_position() {
    let dir = common::base_copy();
    let root = dir.path();
    let rel = format!("{ALPHA}/versions/1.0.0.toml");
    fs::write(
        root.join(&rel),
        b"version = \"1.0.0\"\nengine = \"\xc3\xa9^1\xc0\"\n",
    )
    .unwrap();
    fs::write(root.join("registry.toml"), b"\xff").unwrap();

    let checked = check(root);
    let d = find(&checked, &rel, Code::InvalidUtf8);
    let pos = d.pos.expect("invalid-utf8 has a position");
    // Line 2, after `engine = "é^1`: 13 characters, so column 14; byte 18 + 14.
    assert_eq!(
        (pos.line, pos.column),
        (2, 14),
        "{}",
        common::render(&checked.diagnostics)
    );
    assert!(d.message.contains("byte 32"), "{}", d.message);
    let d = find(&checked, "registry.toml", Code::InvalidUtf8);
    assert_eq!(d.pos.map(|p| (p.line, p.column)), Some((1, 1)));
}

#[test]
fn control_characters_are_reported() {
    let dir = common::base_copy();
    let root = dir.path();
    let plugin = |description: &str| {
        format!(
            "name = \"alpha\"\ndescription = \"{description}\"\nlicense = \"MIT\"\n\n[[owners]]\ngithub = \"alice\"\n"
        )
    };
    // Escaped: a NUL, an ESC and a right-to-left isolate.
    fs::write(
        root.join(ALPHA).join("plugin.toml"),
        plugin("a\\u0000b\\u001b[2J\\u2067c"),
    )
    .unwrap();
    // Raw bidi override (valid TOML, invisible in most editors).
    fs::write(
        root.join("plugins/be/ta/beta-tool/plugin.toml"),
        "name = \"beta-tool\"\ndescription = \"safe\u{202E}txt.exe\"\nlicense = \"MIT\"\n\n[[owners]]\ngithub = \"bob\"\n",
    )
    .unwrap();
    // A raw BEL byte inside a string is not even TOML.
    fs::write(root.join(GM).join("plugin.toml"), "name = \"gm\"\ndescription = \"bell\u{7}\"\nlicense = \"MIT\"\n\n[[owners]]\ngithub = \"carol\"\n").unwrap();

    let checked = check(root);
    let d = find(
        &checked,
        &format!("{ALPHA}/plugin.toml"),
        Code::ControlCharacter,
    );
    assert_eq!(d.pos.map(|p| (p.line, p.column)), Some((2, 15)));
    let d = find(
        &checked,
        "plugins/be/ta/beta-tool/plugin.toml",
        Code::ControlCharacter,
    );
    assert_eq!(d.pos.map(|p| (p.line, p.column)), Some((2, 15)));
    assert!(d.message.contains("\\u{202e}"), "{}", d.message);
    let d = find(&checked, &format!("{GM}/plugin.toml"), Code::TomlSyntax);
    assert_eq!(d.pos.map(|p| p.line), Some(2));
}

/// Known bug: messages interpolate untrusted strings (keys, licences, URLs,
/// tags...) without escaping, so control characters and bidi overrides from
/// the index reach the terminal (ESC sequences, forged diagnostic lines).
#[test]
fn messages_never_echo_control_or_bidi_characters() {
    let dir = common::base_copy();
    let root = dir.path();
    // Structurally valid, so the per-field rules run and quote the values.
    fs::write(
        root.join(ALPHA).join("plugin.toml"),
        concat!(
            "name = \"alpha\"\n",
            "description = \"The first test plugin.\"\n",
            "license = \"MIT\\u001b[2J\"\n",
            "homepage = \"http://x\\nerror[fake]: forged line\"\n",
            "tags = [\"ok\\u202E\"]\n",
            "\n[[owners]]\ngithub = \"alice\\u0008\"\n",
        ),
    )
    .unwrap();
    // An unknown key is quoted by the schema walk.
    let beta = fs::read_to_string(root.join("plugins/be/ta/beta-tool/plugin.toml")).unwrap();
    fs::write(
        root.join("plugins/be/ta/beta-tool/plugin.toml"),
        format!("\"auth\\u0007ors\" = [\"Bob\"]\n{beta}"),
    )
    .unwrap();
    let checked = check(root);
    assert!(codes(&checked).contains(&"control-character"));
    let bad = |s: &str| {
        s.chars().any(|c| {
            c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
    };
    let offenders: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| bad(&d.message) || d.hint.as_deref().is_some_and(bad))
        .map(|d| format!("[{}] {:?}", d.code.as_str(), d.message))
        .collect();
    assert!(
        offenders.is_empty(),
        "messages must escape control and bidi characters:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn empty_files_are_reported() {
    let dir = common::base_copy();
    let root = dir.path();
    fs::write(root.join("registry.toml"), "").unwrap();
    fs::write(root.join(GM).join("plugin.toml"), "").unwrap();
    fs::write(root.join(ALPHA).join("versions/1.0.0.toml"), " \n\t\r\n").unwrap();
    let checked = check(root);
    for file in [
        "registry.toml".to_owned(),
        format!("{GM}/plugin.toml"),
        format!("{ALPHA}/versions/1.0.0.toml"),
    ] {
        find(&checked, &file, Code::EmptyFile);
    }
    assert!(
        !codes(&checked).contains(&"missing-file"),
        "an empty plugin.toml exists: {:?}",
        codes(&checked)
    );
    assert!(!codes(&checked).contains(&"not-an-index"));
}

// ---- special files ------------------------------------------------------------

#[test]
fn fifos_are_never_opened() {
    let dir = common::base_copy();
    let root = dir.path();
    mkfifo(&root.join(ALPHA).join("versions/1.2.0.toml"));
    remove(root, &format!("{ALPHA}/README.md"));
    mkfifo(&root.join(ALPHA).join("README.md"));
    remove(root, &format!("{GM}/plugin.toml"));
    mkfifo(&root.join(GM).join("plugin.toml"));
    remove(root, "registry.toml");
    mkfifo(&root.join("registry.toml"));
    mkfifo(&root.join("plugins/fifo"));

    let checked = check_within(root, Duration::from_secs(20));
    for file in [
        format!("{ALPHA}/versions/1.2.0.toml"),
        format!("{ALPHA}/README.md"),
        format!("{GM}/plugin.toml"),
        "registry.toml".to_owned(),
        "plugins/fifo".to_owned(),
    ] {
        let d = find(&checked, &file, Code::UnexpectedFile);
        assert_eq!(d.severity, Severity::Error);
    }
    assert!(!codes(&checked).contains(&"not-an-index"));
}

/// Root reads any folder, and CI runs as root: the check then runs as the
/// unprivileged `nobody` (uid 65534) in a child process, so the folder's
/// permissions are enforced either way.
#[test]
fn an_unreadable_folder_is_an_io_problem() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = common::base_copy();
    let root = dir.path();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let as_root = unsafe { libc::geteuid() } == 0;
    let mut cmd = if as_root {
        // The binary may sit under a folder `nobody` cannot enter: run a copy.
        let bin_dir = tempfile::tempdir().unwrap();
        let bin = bin_dir.path().join("plugdex");
        fs::copy(env!("CARGO_BIN_EXE_plugdex"), &bin).unwrap();
        for p in [bin_dir.path(), root] {
            fs::set_permissions(p, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut cmd = std::process::Command::new(&bin);
        cmd.uid(65534).gid(65534);
        // Kept alive until the command ran.
        std::mem::forget(bin_dir);
        cmd
    } else {
        common::plugdex_cmd()
    };
    let versions = root.join(GM).join("versions");
    fs::set_permissions(&versions, fs::Permissions::from_mode(0o000)).unwrap();
    let output = cmd
        .args(["check", "--format", "json", "--index"])
        .arg(root)
        .output()
        .expect("run plugdex check");
    fs::set_permissions(&versions, fs::Permissions::from_mode(0o755)).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an unreadable folder is an error (as root: {as_root}):\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON diagnostics");
    let io_on_versions = json["diagnostics"].as_array().unwrap().iter().any(|d| {
        // The command prints paths as given: under `--index`.
        d["file"] == root.join(GM).join("versions").to_str().unwrap()
            && d["code"] == Code::Io.as_str()
    });
    assert!(
        io_on_versions,
        "expected [io] on `{GM}/versions`:\n{stdout}"
    );
}

#[test]
fn a_missing_or_non_folder_index_is_an_error_not_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    assert!(plugdex::check::check_index(&dir.path().join("nope")).is_err());
    let file = dir.path().join("file");
    fs::write(&file, "x").unwrap();
    assert!(plugdex::check::check_index(&file).is_err());
    // An empty folder is checked: it is not an index.
    let checked = check(dir.path());
    find(&checked, "registry.toml", Code::NotAnIndex);
}
