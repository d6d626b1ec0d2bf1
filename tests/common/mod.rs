//! Helpers shared by the integration suites: the fixture paths, copying the
//! base index into a temporary folder, and rendering diagnostics as text.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use plugdex::diagnostic::{Diagnostic, Severity};

/// `tests/fixtures`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// `tests/fixtures/base`: the minimal valid index every case starts from.
pub fn base() -> PathBuf {
    fixtures().join("base")
}

/// Copies a folder tree of regular files and folders (fixtures hold nothing else).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    let mut entries: Vec<_> = fs::read_dir(from)
        .unwrap_or_else(|e| panic!("read {}: {e}", from.display()))
        .map(|e| e.expect("directory entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let kind = entry.file_type().expect("file type");
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            assert!(
                kind.is_file(),
                "fixtures hold only files and folders: {}",
                entry.path().display()
            );
            fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

/// A fresh copy of the base index in a temporary folder.
pub fn base_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&base(), dir.path());
    dir
}

/// One diagnostic as one line, `{file}:{line}:{column}: {severity}[{code}]: {message}`,
/// plus `  hint: {hint}` on its own line. Newlines inside a message or hint are
/// written as `\n` so that each diagnostic stays on one line.
pub fn render(diags: &[Diagnostic]) -> String {
    let one_line = |s: &str| s.replace('\r', "\\r").replace('\n', "\\n");
    let mut out = String::new();
    for d in diags {
        let (line, column) = match d.pos {
            Some(p) => (p.line.to_string(), p.column.to_string()),
            None => ("-".to_owned(), "-".to_owned()),
        };
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "{}:{line}:{column}: {severity}[{}]: {}\n",
            d.file,
            d.code.as_str(),
            one_line(&d.message)
        ));
        if let Some(h) = &d.hint {
            out.push_str(&format!("  hint: {}\n", one_line(h)));
        }
    }
    out
}

/// Checks `root` on a thread with a small (2 MiB) stack, so that deep
/// recursion anywhere in the checker shows up as a crash in the tests.
pub fn check_small_stack(root: &Path) -> plugdex::check::Checked {
    let root = root.to_owned();
    std::thread::Builder::new()
        .name("check".to_owned())
        .stack_size(2 * 1024 * 1024)
        .spawn(move || plugdex::check::check_index(&root).expect("the index folder exists"))
        .expect("spawn")
        .join()
        .expect("check_index must not panic")
}

/// The example index of the repository (`index/`).
pub fn example_index() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("index")
}

/// Every regular file under `root`, by `/`-separated relative path.
pub fn read_tree(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap_or_else(|e| panic!("walk {}: {e}", root.display()));
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(root)
                .expect("under root")
                .to_str()
                .expect("UTF-8 path")
                .replace('\\', "/");
            files.insert(rel, fs::read(entry.path()).expect("read output file"));
        }
    }
    files
}

/// Runs the real binary with a fixed `SOURCE_DATE_EPOCH` (2026-01-01) and no CI progress bar.
pub fn plugdex_cmd() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_plugdex"));
    cmd.env("SOURCE_DATE_EPOCH", "1767225600")
        .env("CI", "true")
        .env_remove("RUST_BACKTRACE");
    cmd
}

/// `plugdex ARGS...` with no terminal on stdin: (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = plugdex_cmd()
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run plugdex");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `plugdex build --index INDEX --out OUT [extra...]`, returning (exit code,
/// stderr); unsigned (`--allow-unsigned`) unless `extra` gives a key.
pub fn build(index: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    let unsigned = (!extra.contains(&"--signing-key")).then_some("--allow-unsigned");
    let output = plugdex_cmd()
        .arg("build")
        .arg("--index")
        .arg(index)
        .arg("--out")
        .arg(out)
        .args(extra)
        .args(unsigned)
        .output()
        .expect("run plugdex build");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A demo key of `tests/fixtures/demo-keys/` (public on purpose; see scripts/sign-example.sh).
pub fn demo_key(name: &str) -> String {
    fixtures()
        .join("demo-keys")
        .join(name)
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

// ---- nginx -------------------------------------------------------------------

fn nginx_binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("nginx is needed for this end-to-end test: `apt-get install nginx` (.ci/run installs it)")
}

/// A running nginx, stopped when dropped.
pub struct Nginx(std::process::Child);

impl Nginx {
    /// Stops it now (the server "going away").
    pub fn stop(self) {}
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: the master must take its workers down with it.
        // SAFETY: kill(2) on a child we started and have not reaped.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

/// A loopback port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts nginx on `port` serving `root` (a build, with its `_nginx.conf`),
/// its files under `tmp/nginx/`; `log` is the access-log directive. Returns
/// once it listens.
pub fn start_nginx(tmp: &Path, root: &Path, port: u16, log: &str) -> (Nginx, String) {
    use std::process::{Command, Stdio};
    // nginx workers may run as an unprivileged user: let them read the tree.
    Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(tmp)
        .status()
        .expect("chmod");
    let prefix = tmp.join("nginx");
    fs::create_dir_all(prefix.join("logs")).unwrap();
    let mime = ["/etc/nginx/mime.types", "/usr/local/nginx/conf/mime.types"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("nginx's mime.types");
    let conf = format!(
        "daemon off;\nworker_processes 1;\npid {p}/nginx.pid;\nerror_log stderr warn;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  include {mime};\n  default_type application/octet-stream;\n  {log}\n\
           client_body_temp_path {p}/body; proxy_temp_path {p}/proxy; fastcgi_temp_path {p}/fastcgi;\n\
           uwsgi_temp_path {p}/uwsgi; scgi_temp_path {p}/scgi;\n\
           server {{\n    listen 127.0.0.1:{port};\n    root {out};\n    include {out}/_nginx.conf;\n  }}\n}}\n",
        p = prefix.display(),
        out = root.display(),
    );
    fs::write(prefix.join("nginx.conf"), conf).unwrap();
    let run = |test: bool| {
        let mut cmd = Command::new(nginx_binary());
        if test {
            cmd.arg("-t");
        }
        cmd.arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(prefix.join("nginx.conf"));
        cmd
    };
    let test = run(true).output().expect("nginx -t");
    assert!(
        test.status.success(),
        "the generated snippet must be valid nginx:\n{}",
        String::from_utf8_lossy(&test.stderr)
    );
    let nginx = Nginx(
        run(false)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx"),
    );
    let addr = format!("127.0.0.1:{port}");
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "nginx did not start listening"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (nginx, addr)
}

/// Runs `git` in `repo` with `envs`, isolated from the user's and system's
/// configuration; panics with git's message on failure; returns stdout.
pub fn git(repo: &Path, args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(repo)
        .envs(envs.iter().copied())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", repo)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Client options for `url` with the plugins folder and cache under `home`,
/// as of `now`, engine 1.5.0, five-second timeouts.
pub fn client_options(url: &str, home: &Path, now: i64) -> plugdex::client::Options {
    let registry = plugdex::client::config::Registry::new(url).expect("a registry URL");
    plugdex::client::Options::new(registry, home.join("plugins"))
        .cache_dir(Some(home.join("cache")))
        .policy(plugdex::client::resolve::Policy {
            engine: Some(semver::Version::new(1, 5, 0)),
            ..Default::default()
        })
        .now(now)
        .timeout(std::time::Duration::from_secs(5))
}
