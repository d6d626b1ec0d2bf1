//! Secret keys as authors keep them: passphrase-protected PKCS#8 (openssl,
//! PBES2 with PBKDF2 or scrypt) and OpenSSH (ssh-keygen, bcrypt) keys, made
//! by the real tools, read with the passphrase from `PLUGDEX_KEY_PASSPHRASE`.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::plugdex_cmd;

fn tool(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed (scripts/test.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `plugdex keygen --show KEY` with `passphrase` in the environment (or none)
/// and no terminal: (exit code, stdout, stderr).
fn show(key: &Path, passphrase: Option<&str>) -> (i32, String, String) {
    let mut cmd = plugdex_cmd();
    cmd.env_remove("PLUGDEX_KEY_PASSPHRASE")
        .stdin(Stdio::null());
    if let Some(p) = passphrase {
        cmd.env("PLUGDEX_KEY_PASSPHRASE", p);
    }
    let out = cmd.args(["keygen", "--show"]).arg(key).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The raw base64 public key of a PEM key, as openssl derives it.
fn openssl_public(dir: &Path, key: &str, pass: &str) -> String {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args([
            "pkey",
            "-in",
            key,
            "-passin",
            &format!("pass:{pass}"),
            "-pubout",
            "-outform",
            "DER",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(&out.stdout[out.stdout.len() - 32..])
}

fn assert_refused(key: &Path, passphrase: Option<&str>, says: &str) {
    let (code, stdout, stderr) = show(key, passphrase);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains(says), "{stderr}");
    assert!(
        stderr.contains(&key.display().to_string()),
        "the error names the file: {stderr}"
    );
}

#[test]
fn openssl_encrypted_pkcs8_keys_are_read_with_their_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    tool(
        dir,
        "openssl",
        &["genpkey", "-algorithm", "ed25519", "-out", "plain.pem"],
    );
    // PBES2 with PBKDF2 and AES-256-CBC (genpkey's), and with scrypt (pkcs8 -scrypt).
    tool(
        dir,
        "openssl",
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "plain.pem",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:hunter2",
            "-out",
            "pbkdf2.pem",
        ],
    );
    tool(
        dir,
        "openssl",
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "plain.pem",
            "-scrypt",
            "-passout",
            "pass:hunter2",
            "-out",
            "scrypt.pem",
        ],
    );
    let expected = openssl_public(dir, "plain.pem", "");
    for name in ["pbkdf2.pem", "scrypt.pem"] {
        let key = dir.join(name);
        assert!(
            std::fs::read_to_string(&key)
                .unwrap()
                .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        );
        let (code, public, stderr) = show(&key, Some("hunter2"));
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_eq!(public, expected, "{name}");
        assert_refused(&key, Some("wrong"), "wrong passphrase");
        assert_refused(&key, None, "PLUGDEX_KEY_PASSPHRASE");
    }
}

#[test]
fn ssh_keygen_passphrase_keys_sign_releases_that_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    tool(
        dir,
        "ssh-keygen",
        &[
            "-q", "-t", "ed25519", "-N", "hunter2", "-C", "me", "-f", "enc",
        ],
    );
    let (code, public, stderr) = show(&dir.join("enc"), Some("hunter2"));
    assert_eq!(code, 0, "{stderr}");
    let pub_line = std::fs::read_to_string(dir.join("enc.pub")).unwrap();
    let parsed = plugdex::trust::keys::PublicKey::parse(&pub_line).unwrap();
    assert_eq!(public, parsed.to_raw_base64());
    assert_refused(&dir.join("enc"), Some("wrong"), "wrong passphrase");
    assert_refused(&dir.join("enc"), None, "PLUGDEX_KEY_PASSPHRASE");

    // Signing with it: a plugin owned by this key, released and signed.
    let index = dir.join("index");
    common::copy_tree(&common::example_index(), &index);
    let key_arg = dir.join("enc.pub");
    let run = |args: &[&str]| {
        let out = plugdex_cmd()
            .env("PLUGDEX_KEY_PASSPHRASE", "hunter2")
            .stdin(Stdio::null())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let index_arg = index.to_str().unwrap();
    let (code, stderr) = run(&[
        "new",
        "sealed",
        "--index",
        index_arg,
        "--owner",
        "me-too",
        "--key",
        key_arg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let artifact = common::example_index().join("artifacts/git/git-1.0.0.tar.gz");
    let (code, stderr) = run(&[
        "release",
        "sealed",
        "1.0.0",
        "--index",
        index_arg,
        "--artifact",
        artifact.to_str().unwrap(),
        "--engine",
        "^1",
        "--entry",
        "bin/inkwell-git",
        "--runtime",
        "native",
        "--sign",
        dir.join("enc").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let manifest = index.join("plugins/se/al/sealed/versions/1.0.0.toml");
    let (code, stderr) = run(&["verify", "--index", index_arg, manifest.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
}
