//! From zero to a working registry, as a newcomer goes: the README's quick
//! start (`serve --index` previews the example signed, for its own address,
//! and `install` works against it), and `init` → `new` → `release` → `check`
//! → signed build → `serve` → `install` on a registry made from nothing.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use common::{demo_key, example_index, plugdex_cmd};

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
            let url = format!("http://{}", rest.split_whitespace().next().unwrap_or_default());
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
