//! The client's chain of checks against a real signed build of the example
//! index, and the attacks it must refuse: each test tampers with one thing
//! the way a hostile mirror or CDN could, and expects a precise error.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{build, demo_key, read_tree};
use plugdex::format::published::Tier;
use plugdex::format::types::Platform;
use plugdex::trust::secret::SecretKey;
use plugdex::trust::verify::{Anchor, TrustedTimestamp, VerifyError};
use plugdex::trust::{KeyFormat, PublicKey};

/// `SOURCE_DATE_EPOCH` of the test builds, and a moment inside the timestamp's week.
const BUILT: i64 = 1_767_225_600;
const NOW: i64 = BUILT + 3600;

struct Registry {
    _dir: tempfile::TempDir,
    files: BTreeMap<String, Vec<u8>>,
}

/// A temporary folder holding a copy of the example index at `index/`;
/// builds go to `dist/` beside it.
fn example_copy() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = dir.path().join("index");
    common::copy_tree(&common::example_index(), &index);
    let out = dir.path().join("dist");
    (dir, index, out)
}

fn signed_build() -> Registry {
    let (dir, index, out) = example_copy();
    let (code, stderr) = build(&index, &out, &["--signing-key", &demo_key("online.pem")]);
    assert_eq!(code, 0, "{stderr}");
    Registry {
        files: read_tree(&out),
        _dir: dir,
    }
}

fn anchor() -> Anchor {
    let root = SecretKey::read_file(Path::new(&demo_key("root.pem"))).expect("demo root key");
    Anchor {
        registry: "plugins.inkwell.example".into(),
        root_keys: vec![root.public()],
        threshold: 1,
    }
}

impl Registry {
    fn fetch(&self) -> impl FnMut(&str) -> Result<Vec<u8>, String> + '_ {
        |path: &str| {
            self.files
                .get(path)
                .cloned()
                .ok_or_else(|| "404 Not Found".to_owned())
        }
    }

    fn timestamp(&self) -> Result<TrustedTimestamp, VerifyError> {
        anchor()
            .verify_root(&self.files["root.json"])?
            .verify_timestamp(&self.files["timestamp.json"], NOW, None)
    }
}

#[test]
fn a_client_verifies_every_release_of_the_example_from_root_to_artifact() {
    let reg = signed_build();
    let ts = reg.timestamp().expect("the timestamp verifies");
    assert_eq!(ts.version(), BUILT);
    let mut fetch = reg.fetch();
    let mut tiers = BTreeMap::new();
    let mut verified_files = 0;
    for path in reg.files.keys().filter(|p| p.starts_with("index/")) {
        let file = ts
            .file(path, &mut fetch)
            .expect("the index file is in the snapshot");
        verified_files += 1;
        for line in file.index_lines() {
            *tiers.entry(format!("{:?}", line.tier)).or_insert(0) += 1;
            if line.revoked.is_some() {
                assert!(matches!(
                    file.release(&line, true, Platform::current()),
                    Err(VerifyError::Revoked { .. })
                ));
                continue;
            }
            let release = match file.release(&line, false, Platform::current()) {
                Err(VerifyError::Unsigned { .. }) => {
                    assert_eq!(line.tier, Tier::Experimental);
                    file.release(&line, true, Platform::current())
                        .expect("allowed when asked")
                }
                r => r.unwrap_or_else(|e| panic!("{} {}: {e}", line.name, line.vers)),
            };
            let local = line
                .dl
                .as_deref()
                .expect("a single artifact")
                .split_once(".example/")
                .expect("self-hosted")
                .1;
            let artifact = reg.files[local].clone();
            release
                .verify_artifact(artifact)
                .expect("the artifact matches");
        }
    }
    assert_eq!(verified_files, 18);
    // Every signature format and every tier is exercised by the example.
    assert_eq!(tiers["Verified"], 6, "{tiers:?}");
    assert_eq!(tiers["Experimental"], 3, "{tiers:?}");
    assert_eq!(tiers["Community"], 67, "{tiers:?}");
    for file in ["config.json", "names.json", "revocations.json", "root.json"] {
        ts.file(file, &mut fetch)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    // Absence is provable: a name the registry lacks is not in the snapshot.
    assert_eq!(
        ts.lookup("index/no/su/no-such-plugin", &mut fetch),
        Ok(None)
    );
}

#[test]
fn a_stale_index_file_from_a_cdn_falls_back_to_its_by_hash_copy() {
    let mut reg = signed_build();
    let path = "index/3/g/git";
    let good = reg.files[path].clone();
    let ts = reg.timestamp().expect("timestamp");
    reg.files
        .insert(path.into(), b"{\"stale\":true}\n".to_vec());
    let file = ts
        .file(path, &mut reg.fetch())
        .expect("the by-hash copy is used");
    assert_eq!(file.bytes(), &good[..]);
}

#[test]
fn an_index_file_that_does_not_match_the_snapshot_is_refused() {
    let mut reg = signed_build();
    let path = "index/3/g/git";
    let ts = reg.timestamp().expect("timestamp");
    let tampered = String::from_utf8(reg.files[path].clone())
        .expect("UTF-8")
        .replace(
            "\"permissions\":[\"filesystem\"",
            "\"permissions\":[\"keychain\"",
        );
    let by_hash: Vec<String> = reg
        .files
        .iter()
        .filter(|(p, b)| p.starts_with("by-hash/") && **b == reg.files[path])
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(by_hash.len(), 1, "one content-addressed copy");
    reg.files.insert(path.into(), tampered.clone().into_bytes());
    reg.files.insert(by_hash[0].clone(), tampered.into_bytes());
    assert_eq!(
        ts.file(path, &mut reg.fetch()).unwrap_err(),
        VerifyError::Mismatch { path: path.into() }
    );
}

#[test]
fn an_expired_timestamp_is_refused() {
    let reg = signed_build();
    let online = anchor().verify_root(&reg.files["root.json"]).expect("root");
    let week_later = BUILT + 7 * 24 * 3600;
    let err = online
        .verify_timestamp(&reg.files["timestamp.json"], week_later, None)
        .unwrap_err();
    assert_eq!(
        err,
        VerifyError::Expired {
            expires: "2026-01-08T00:00:00Z".into()
        }
    );
    assert!(err.to_string().contains("expired at 2026-01-08T00:00:00Z"));
}

#[test]
fn a_timestamp_older_than_one_already_seen_is_a_rollback() {
    let reg = signed_build();
    let online = anchor().verify_root(&reg.files["root.json"]).expect("root");
    let err = online
        .verify_timestamp(&reg.files["timestamp.json"], NOW, Some(BUILT + 1))
        .unwrap_err();
    assert_eq!(
        err,
        VerifyError::Rollback {
            seen: BUILT + 1,
            found: BUILT
        }
    );
    // The same version again is not a rollback (a client re-checking).
    online
        .verify_timestamp(&reg.files["timestamp.json"], NOW, Some(BUILT))
        .expect("same version");
}

#[test]
fn a_timestamp_edited_after_signing_or_signed_by_another_key_is_refused() {
    let reg = signed_build();
    let online = anchor().verify_root(&reg.files["root.json"]).expect("root");
    let text = String::from_utf8(reg.files["timestamp.json"].clone()).expect("UTF-8");
    // A mirror extends the expiry to keep serving an old snapshot.
    let extended = text.replace("2026-01-08T00:00:00Z", "2027-01-08T00:00:00Z");
    assert_ne!(extended, text);
    assert_eq!(
        online
            .verify_timestamp(extended.as_bytes(), NOW, None)
            .unwrap_err(),
        VerifyError::TimestampSignature
    );
    // Re-signed by a key the root did not delegate to.
    let other = SecretKey::read_file(Path::new(&demo_key("jweiss.pem"))).expect("key");
    let body =
        &text[text.find("{\"v\"").expect("body")..text.find(",\"signatures\"").expect("sigs")];
    let mut message = b"plugdex timestamp v1\n".to_vec();
    message.extend_from_slice(body.as_bytes());
    let forged = format!(
        "{{\"signed\":{body},\"signatures\":[{{\"key\":\"{}\",\"sig\":\"{}\"}}]}}\n",
        other.public().to_raw_base64(),
        other.sign_raw(&message)
    );
    assert_eq!(
        online
            .verify_timestamp(forged.as_bytes(), NOW, None)
            .unwrap_err(),
        VerifyError::TimestampSignature
    );
}

#[test]
fn a_root_not_signed_by_the_pinned_root_keys_is_refused() {
    let reg = signed_build();
    // A client pinned a different root key.
    let other = SecretKey::read_file(Path::new(&demo_key("jweiss.pem"))).expect("key");
    let wrong = Anchor {
        root_keys: vec![other.public()],
        ..anchor()
    };
    assert_eq!(
        wrong.verify_root(&reg.files["root.json"]).unwrap_err(),
        VerifyError::RootKeysDiffer
    );
    // The root lists the pinned key, but its delegation signature was swapped
    // for one over another online key.
    let root: serde_json::Value = serde_json::from_slice(&reg.files["root.json"]).expect("json");
    let mut forged = root.clone();
    forged["online_key"] = other.public().to_raw_base64().into();
    let bytes = serde_json::to_vec(&forged).expect("json");
    assert_eq!(
        anchor().verify_root(&bytes).unwrap_err(),
        VerifyError::Delegation {
            found: 0,
            threshold: 1
        }
    );
    // A root for another registry.
    let wrong_registry = Anchor {
        registry: "plugins.other.example".into(),
        ..anchor()
    };
    assert!(matches!(
        wrong_registry.verify_root(&reg.files["root.json"]),
        Err(VerifyError::WrongRegistry { .. })
    ));
}

#[test]
fn a_root_or_timestamp_holding_a_key_that_is_not_a_published_key_is_malformed() {
    let reg = signed_build();
    let root: serde_json::Value = serde_json::from_slice(&reg.files["root.json"]).expect("json");
    let online_text = root["online_key"].as_str().expect("online_key").to_owned();
    let online = PublicKey::parse(&online_text).expect("the online key");
    // The identity point: 44 characters of base64, but a key of small order.
    let small_order = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let cases: [(&[&str], String, &str); 4] = [
        (&["online_key"], small_order.into(), "small order"),
        // The same key in a form authors may write, but documents do not.
        (&["online_key"], online.to_openssh(""), "not 80 characters"),
        (
            &["root_keys", "0"],
            format!("{online_text} "),
            "not 45 characters",
        ),
        (
            &["delegation", "0", "key"],
            "!".repeat(44),
            "not valid base64",
        ),
    ];
    for (at, value, why_want) in cases {
        let mut edited = root.clone();
        let field = at
            .iter()
            .fold(&mut edited, |v, k| match k.parse::<usize>() {
                Ok(i) => &mut v[i],
                Err(_) => &mut v[*k],
            });
        *field = value.clone().into();
        let bytes = serde_json::to_vec(&edited).expect("json");
        match anchor().verify_root(&bytes) {
            Err(VerifyError::Malformed { path, why }) => {
                assert_eq!(path, "root.json");
                assert!(why.contains(why_want), "{at:?} = {value:?}: {why}");
            }
            other => panic!("{at:?} = {value:?}: {other:?}"),
        }
    }
    // A timestamp signature naming its key in another form is not read either.
    let online_root = anchor().verify_root(&reg.files["root.json"]).expect("root");
    let text = String::from_utf8(reg.files["timestamp.json"].clone()).expect("UTF-8");
    let needle = format!("\"key\":\"{online_text}\"");
    assert!(text.contains(&needle), "{text}");
    let minisign = online.to_minisign();
    let other_form = text.replace(
        &needle,
        &format!("\"key\":\"{}\"", minisign.lines().nth(1).expect("key line")),
    );
    assert!(matches!(
        online_root.verify_timestamp(other_form.as_bytes(), NOW, None),
        Err(VerifyError::Malformed { ref path, .. }) if path == "timestamp.json"
    ));
    online_root
        .verify_timestamp(text.as_bytes(), NOW, None)
        .expect("the timestamp as signed");
}

#[test]
fn a_line_whose_author_signature_was_replayed_is_refused() {
    let reg = signed_build();
    let ts = reg.timestamp().expect("timestamp");
    let file = ts.file("index/3/g/git", &mut reg.fetch()).expect("file");
    let lines = file.index_lines();
    // Lines not in the trusted file are refused outright...
    let mut replayed = lines[1].clone();
    replayed.sig = lines[0].sig.clone();
    assert!(matches!(
        file.release(&replayed, false, Platform::current()),
        Err(VerifyError::Malformed { .. })
    ));
    // ...and a tampered artifact is caught at the last step.
    let release = file
        .release(&lines[0], false, Platform::current())
        .expect("signed");
    let err = release.verify_artifact(b"evil".to_vec()).unwrap_err();
    assert!(err.to_string().contains("4 bytes, not the"), "{err}");
}

#[test]
fn the_previous_snapshot_stays_for_one_more_build() {
    let (_dir, index, out) = example_copy();
    let key = demo_key("online.pem");
    assert_eq!(build(&index, &out, &["--signing-key", &key]).0, 0);
    let first = read_tree(&out);
    // Yank a version: its plugin's index file and the snapshot change.
    let manifest = index.join("plugins/3/g/git/versions/1.0.0.toml");
    let text = std::fs::read_to_string(&manifest).expect("read");
    std::fs::write(
        &manifest,
        text.replace("yanked = false", "yanked = \"broken\""),
    )
    .expect("write");
    let expired_later = ["--signing-key", &key];
    assert_eq!(build(&index, &out, &expired_later).0, 0);
    let second = read_tree(&out);
    // A client holding the first timestamp can still walk its snapshot.
    let stale = Registry {
        files: second.clone(),
        _dir: tempfile::tempdir().expect("tempdir"),
    };
    let online = anchor().verify_root(&second["root.json"]).expect("root");
    let old_ts = online
        .verify_timestamp(&first["timestamp.json"], NOW, None)
        .expect("first timestamp");
    let file = old_ts
        .file("index/3/g/git", &mut stale.fetch())
        .expect("the old index file is still served by hash");
    assert_eq!(file.bytes(), &first["index/3/g/git"][..]);
    // Two builds later it is gone: retention is one generation, not forever.
    std::fs::write(
        &manifest,
        text.replace("yanked = false", "yanked = \"again\""),
    )
    .expect("write");
    assert_eq!(build(&index, &out, &expired_later).0, 0);
    let third = read_tree(&out);
    let old_copies = first
        .keys()
        .filter(|p| p.starts_with("by-hash/") && !second.contains_key(*p));
    assert_eq!(old_copies.count(), 0);
    let first_only: Vec<&String> = first
        .keys()
        .filter(|p| p.starts_with("by-hash/") && !third.contains_key(*p))
        .collect();
    assert!(
        !first_only.is_empty(),
        "the first build's changed files are dropped after two builds"
    );
}

#[test]
fn build_without_a_key_says_loudly_that_the_registry_is_unsigned() {
    let (_dir, index, out) = example_copy();
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("THIS REGISTRY IS UNSIGNED"), "{stderr}");
    let files = read_tree(&out);
    let ts: serde_json::Value = serde_json::from_slice(&files["timestamp.json"]).expect("json");
    assert_eq!(ts["signatures"], serde_json::json!([]));
    let online = anchor().verify_root(&files["root.json"]).expect("root");
    assert_eq!(
        online
            .verify_timestamp(&files["timestamp.json"], NOW, None)
            .unwrap_err(),
        VerifyError::TimestampSignature
    );
}

#[test]
fn build_refuses_a_signing_key_that_is_not_the_online_key() {
    let (_dir, index, out) = example_copy();
    let (code, stderr) = build(&index, &out, &["--signing-key", &demo_key("root.pem")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is not the registry's online key"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn the_signing_key_can_come_from_the_environment() {
    let (_dir, index, out) = example_copy();
    let pem = std::fs::read_to_string(demo_key("online.pem")).expect("key");
    let output = common::plugdex_cmd()
        .args(["build", "--index"])
        .arg(&index)
        .arg("--out")
        .arg(&out)
        .env("PLUGDEX_SIGNING_KEY", pem)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("signed: timestamp.json is signed"),
        "{stderr}"
    );
}

#[test]
fn owner_keys_in_every_accepted_format_appear_in_the_example() {
    let mut formats = std::collections::HashSet::new();
    for entry in walkdir::WalkDir::new(common::example_index().join("plugins")) {
        let entry = entry.expect("walk");
        if entry.file_name() != "plugin.toml" {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("read");
        let doc: toml::Table = text.parse().expect("toml");
        for owner in doc["owners"].as_array().expect("owners") {
            for key in owner
                .get("keys")
                .and_then(|k| k.as_array())
                .into_iter()
                .flatten()
            {
                let key = PublicKey::parse(key.as_str().expect("string")).expect("valid key");
                formats.insert(format!("{:?}", key.format()));
            }
        }
    }
    for f in [KeyFormat::Raw, KeyFormat::Minisign, KeyFormat::OpenSsh] {
        assert!(
            formats.contains(&format!("{f:?}")),
            "{f:?} missing: {formats:?}"
        );
    }
}

fn plugdex(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = common::plugdex_cmd()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run plugdex");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `check` refuses an owner key that does not parse (`key-invalid`), so
/// `verify` must not pass the release by skipping that key and trying the rest.
#[test]
fn verify_refuses_an_owner_key_that_does_not_parse_as_check_does() {
    let (dir, _, _) = example_copy();
    let d = dir.path();
    let (code, public, stderr) = plugdex(&["keygen", "--out", "me.pem"], d);
    assert_eq!(code, 0, "{stderr}");
    let manifest = "index/plugins/li/ve/live-preview/versions/0.3.0.toml";
    let (code, _, stderr) = plugdex(&["sign", "--key", "me.pem", manifest], d);
    assert_eq!(code, 0, "{stderr}");
    let plugin_toml = d.join("index/plugins/li/ve/live-preview/plugin.toml");
    let text = std::fs::read_to_string(&plugin_toml).expect("read");
    let keys = format!("keys = [\"not a key\", \"{}\"]", public.trim());
    std::fs::write(&plugin_toml, text.replacen("keys = []", &keys, 1)).expect("write");
    let (code, _, stderr) = plugdex(&["check", "--index", "index"], d);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("key-invalid"), "{stderr}");
    let (code, _, stderr) = plugdex(&["verify", manifest], d);
    assert_eq!(code, 1, "verify agrees with check: {stderr}");
    assert!(stderr.contains("is not usable"), "{stderr}");
}

#[test]
fn an_author_without_tools_uses_keygen_sign_and_verify() {
    let (dir, _, _) = example_copy();
    let d = dir.path();
    let (code, public, stderr) = plugdex(&["keygen", "--out", "me.pem"], d);
    assert_eq!(code, 0, "{stderr}");
    let public = public.trim().to_owned();
    PublicKey::parse(&public).expect("keygen prints a valid key");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(d.join("me.pem"))
        .expect("key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the secret key is private");
    let (code, _, stderr) = plugdex(&["keygen", "--out", "me.pem"], d);
    assert_eq!(code, 2);
    assert!(stderr.contains("already exists"), "{stderr}");

    // Sign a release of live-preview (unsigned in the example) before the key is an owner key.
    let manifest = "index/plugins/li/ve/live-preview/versions/0.3.0.toml";
    let (code, _, stderr) = plugdex(&["sign", "--key", "me.pem", manifest], d);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = plugdex(&["verify", manifest], d);
    assert_eq!(code, 1, "not an owner key yet: {stderr}");
    assert!(
        stderr.contains("no owner of the plugin lists a key"),
        "{stderr}"
    );
    let (code, _, stderr) = plugdex(&["check", "--index", "index"], d);
    assert_eq!(code, 1);
    assert!(stderr.contains("signature-invalid"), "{stderr}");

    // Register the key: now verify and check pass, and the release is `community`.
    let plugin_toml = d.join("index/plugins/li/ve/live-preview/plugin.toml");
    let text = std::fs::read_to_string(&plugin_toml).expect("read");
    let text = text.replacen("keys = []", &format!("keys = [\"{public}\"]"), 1);
    std::fs::write(&plugin_toml, text).expect("write");
    let (code, _, stderr) = plugdex(&["verify", manifest], d);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.starts_with("ok: live-preview 0.3.0 is signed by owner key"),
        "{stderr}"
    );
    let (code, _, stderr) = plugdex(&["check", "--index", "index"], d);
    assert_eq!(code, 0, "{stderr}");

    // The statement is what was signed; any fact changed afterwards breaks it.
    let (code, statement, _) = plugdex(&["statement", manifest], d);
    assert_eq!(code, 0);
    assert!(statement.starts_with("plugdex release statement v1\nregistry: plugins.inkwell.example\nplugin: live-preview\nversion: 0.3.0\n"), "{statement}");
    let path = d.join(manifest);
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace("runtime = \"wasm\"", "runtime = \"native\""),
    )
    .expect("write");
    let (code, _, stderr) = plugdex(&["verify", manifest], d);
    assert_eq!(code, 1, "{stderr}");
    // Re-signing in another format replaces the signature and keeps the file valid TOML.
    for format in ["ssh", "minisign", "raw"] {
        let (code, _, stderr) = plugdex(
            &["sign", "--key", "me.pem", "--format", format, manifest],
            d,
        );
        assert_eq!(code, 0, "{stderr}");
        let (code, _, stderr) = plugdex(&["verify", manifest], d);
        assert_eq!(code, 0, "{format}: {stderr}");
    }
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(text.matches("signature =").count(), 1, "{text}");
}

#[test]
fn an_author_signs_with_minisign_and_ssh_keygen_as_the_readme_says() {
    let (dir, _, _) = example_copy();
    let d = dir.path();
    let manifest = "index/plugins/li/ve/live-preview/versions/0.2.0.toml";
    let run = |cmd: &str| {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(d)
            .env("PLUGDEX", env!("CARGO_BIN_EXE_plugdex"))
            .output()
            .unwrap_or_else(|e| panic!("sh: {e}"));
        assert!(
            out.status.success(),
            "`{cmd}` failed (install minisign and openssh-client; .ci/run does):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // minisign, exactly as documented.
    run("minisign -G -W -p author.pub -s author.key");
    run(&format!(
        "\"$PLUGDEX\" statement {manifest} > statement.txt"
    ));
    run("minisign -S -s author.key -m statement.txt");
    let minisign_pub = run("tail -n 1 author.pub").trim().to_owned();
    // ssh-keygen, exactly as documented.
    run("ssh-keygen -q -t ed25519 -N '' -C author@example -f id_plugdex");
    let ns = run(&format!(
        "\"$PLUGDEX\" statement {manifest} 2>&1 >/dev/null | sed 's/^ssh-keygen namespace: //'"
    ));
    run(&format!(
        "ssh-keygen -Y sign -f id_plugdex -n {} statement.txt",
        ns.trim()
    ));
    let ssh_pub = run("cut -d' ' -f1-2 id_plugdex.pub").trim().to_owned();

    let plugin_toml = d.join("index/plugins/li/ve/live-preview/plugin.toml");
    let text = std::fs::read_to_string(&plugin_toml).expect("read");
    let text = text.replacen(
        "keys = []",
        &format!("keys = [\"{minisign_pub}\", \"{ssh_pub}\"]"),
        1,
    );
    std::fs::write(&plugin_toml, text).expect("write");
    let path = d.join(manifest);
    let original = std::fs::read_to_string(&path).expect("read");
    for sig_file in ["statement.txt.minisig", "statement.txt.sig"] {
        let sig = std::fs::read_to_string(d.join(sig_file)).expect("signature file");
        // Top-level keys go before the first table, as the README says.
        let at = original.find("\n[").expect("a table") + 1;
        let signed = format!(
            "{}signature = '''\n{sig}'''\n\n{}",
            &original[..at],
            &original[at..]
        );
        std::fs::write(&path, signed).expect("write");
        let (code, _, stderr) = plugdex(&["verify", manifest], d);
        assert_eq!(code, 0, "{sig_file}: {stderr}");
    }
}

#[test]
fn a_rebuild_takes_verified_signatures_from_the_cache_but_never_a_changed_one() {
    let (_dir, index, out) = example_copy();
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("verified by an earlier build"), "{stderr}");
    // Another base URL: every plugin is read and checked again (the build
    // cache carries none over), but their signatures are not verified again.
    let (code, stderr) = build(&index, &out, &["--base-url", "https://mirror.example.org/"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("carried over"), "{stderr}");
    assert!(
        stderr.contains("73 author signatures were verified by an earlier build"),
        "{stderr}"
    );
    // A fact changed under an unchanged signature: the cache must not hide it.
    let manifest = index.join("plugins/3/g/git/versions/1.0.0.toml");
    let text = std::fs::read_to_string(&manifest).expect("read");
    std::fs::write(
        &manifest,
        text.replace("runtime = \"native\"", "runtime = \"wasm\""),
    )
    .expect("write");
    let (code, stderr) = build(&index, &out, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("signature-invalid"), "{stderr}");
}
