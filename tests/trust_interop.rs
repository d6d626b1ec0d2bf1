//! plugdex keys and signatures against the real tools authors use:
//! `minisign`, `ssh-keygen` and `openssl`. A missing tool fails the test (CI
//! installs them); these tests never skip.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use plugdex::trust::{
    AuthorSignature, KeyError, KeyFormat, PublicKey, SecretKey, SecretKeyError, SigError, SigFormat,
};

const NS: &str = "plugdex-test";
const MESSAGE: &[u8] = b"name = \"demo\"\nversion = \"1.2.3\"\n";

/// Runs a tool in `dir` with stdin from `/dev/null` (so a prompt fails
/// instead of hanging), failing with install advice if it is missing.
fn run(dir: &Path, program: &str, args: &[&str]) -> Output {
    run_with_stdin(dir, program, args, Stdio::null())
}

fn run_with_stdin(dir: &Path, program: &str, args: &[&str], stdin: Stdio) -> Output {
    match Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(stdin)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{program}` is not installed, and these interop tests need it. Install it \
             (Debian/Ubuntu: `sudo apt-get install minisign openssh-client openssl`; \
             macOS: `brew install minisign openssh openssl`); CI installs all three"
        ),
        Err(e) => panic!("cannot run `{program}`: {e}"),
    }
}

/// Like [`run`], and the tool must succeed.
fn ok(dir: &Path, program: &str, args: &[&str]) -> Output {
    let out = run(dir, program, args);
    assert_success(program, args, &out);
    out
}

fn assert_success(program: &str, args: &[&str], out: &Output) {
    assert!(
        out.status.success(),
        "`{program} {}` failed ({}):\n{}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("msg"), MESSAGE).expect("write msg");
    dir
}

#[test]
fn minisign_keys_and_signatures_verify() {
    let tmp = setup();
    let dir = tmp.path();
    ok(dir, "minisign", &["-G", "-W", "-p", "pub", "-s", "sec"]);
    ok(dir, "minisign", &["-S", "-s", "sec", "-m", "msg"]);

    let file = read(dir, "pub");
    let key = PublicKey::parse(&file).expect("minisign .pub file");
    assert_eq!(key.format(), KeyFormat::Minisign);
    assert!(key.minisign_id().is_some());
    let line = file.lines().nth(1).expect("base64 line");
    assert_eq!(PublicKey::parse(line).expect("bare RW... line"), key);
    // Our rendering is what minisign wrote.
    assert_eq!(key.to_minisign(), file);

    let sig = AuthorSignature::parse(&read(dir, "msg.minisig")).expect("parse .minisig");
    assert_eq!(sig.format(), SigFormat::Minisign);
    assert_eq!(sig.verify(&key, MESSAGE, NS), Ok(()));
    assert_eq!(sig.verify(&key, b"other", NS), Err(SigError::Invalid));
    // The same key as raw base64 has no id to compare; the math still holds.
    let raw = PublicKey::parse(&key.to_raw_base64()).unwrap();
    assert_eq!(sig.verify(&raw, MESSAGE, NS), Ok(()));

    ok(
        dir,
        "minisign",
        &["-S", "-l", "-s", "sec", "-m", "msg", "-x", "legacy.minisig"],
    );
    let err = AuthorSignature::parse(&read(dir, "legacy.minisig")).unwrap_err();
    assert_eq!(err, SigError::LegacyMinisign);
}

#[test]
fn ssh_keygen_keys_and_signatures_verify() {
    let tmp = setup();
    let dir = tmp.path();
    ok(
        dir,
        "ssh-keygen",
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "someone@example",
            "-f",
            "key",
        ],
    );
    ok(
        dir,
        "ssh-keygen",
        &["-Y", "sign", "-f", "key", "-n", NS, "msg"],
    );

    let key = PublicKey::parse(&read(dir, "key.pub")).expect("parse key.pub");
    assert_eq!(key.format(), KeyFormat::OpenSsh);
    let sig = AuthorSignature::parse(&read(dir, "msg.sig")).expect("parse msg.sig");
    assert_eq!(sig.format(), SigFormat::SshSig);
    assert_eq!(sig.verify(&key, MESSAGE, NS), Ok(()));
    assert_eq!(
        sig.verify(&key, MESSAGE, "file"),
        Err(SigError::Namespace {
            expected: "file".into(),
            found: NS.into()
        })
    );
    // Re-encoding gives ssh-keygen's bytes, armour wrapping included.
    assert_eq!(sig.to_text(), read(dir, "msg.sig"));

    let secret = SecretKey::parse(&read(dir, "key")).expect("parse the OpenSSH private key");
    assert_eq!(secret.public().bytes(), key.bytes());
    // Deterministic ed25519: plugdex makes the very same signature.
    assert_eq!(secret.sign_sshsig(MESSAGE, NS), read(dir, "msg.sig"));

    // A signature by another key is refused before any math.
    ok(
        dir,
        "ssh-keygen",
        &["-q", "-t", "ed25519", "-N", "", "-f", "other"],
    );
    let other = PublicKey::parse(&read(dir, "other.pub")).unwrap();
    assert_eq!(sig.verify(&other, MESSAGE, NS), Err(SigError::WrongKey));
}

#[test]
fn ssh_keygen_encrypted_and_non_ed25519_keys_are_explained() {
    let tmp = setup();
    let dir = tmp.path();
    ok(
        dir,
        "ssh-keygen",
        &["-q", "-t", "ed25519", "-N", "hunter2", "-f", "enc"],
    );
    match SecretKey::parse(&read(dir, "enc")) {
        Err(SecretKeyError::Encrypted(m)) => assert!(m.contains("ssh-keygen -p"), "{m}"),
        other => panic!("expected Encrypted, got {other:?}"),
    }
    // The advice works: decrypt a copy (with -P instead of the prompt).
    fs::copy(dir.join("enc"), dir.join("plain")).unwrap();
    ok(
        dir,
        "ssh-keygen",
        &["-p", "-P", "hunter2", "-N", "", "-f", "plain"],
    );
    let plain = SecretKey::parse(&read(dir, "plain")).expect("decrypted copy");
    let public = PublicKey::parse(&read(dir, "enc.pub")).unwrap();
    assert_eq!(plain.public().bytes(), public.bytes());

    ok(
        dir,
        "ssh-keygen",
        &["-q", "-t", "ecdsa", "-N", "", "-f", "ecdsa"],
    );
    match PublicKey::parse(&read(dir, "ecdsa.pub")) {
        Err(KeyError::Unsupported(m)) => {
            assert!(
                m.contains("ecdsa-sha2-nistp256") && m.contains("only ed25519"),
                "{m}"
            )
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    assert!(matches!(
        SecretKey::parse(&read(dir, "ecdsa")),
        Err(SecretKeyError::Unsupported(_))
    ));
}

#[test]
fn openssl_keys_and_signatures_verify() {
    let tmp = setup();
    let dir = tmp.path();
    ok(
        dir,
        "openssl",
        &["genpkey", "-algorithm", "ed25519", "-out", "k.pem"],
    );
    let der = ok(
        dir,
        "openssl",
        &["pkey", "-in", "k.pem", "-pubout", "-outform", "DER"],
    )
    .stdout;
    assert!(der.len() >= 32, "openssl printed {} bytes", der.len());
    // `... | tail -c 32 | base64`
    let published = STANDARD.encode(&der[der.len() - 32..]);
    let key = PublicKey::parse(&published).expect("raw key");
    assert_eq!(key.format(), KeyFormat::Raw);
    // Our SPKI rendering is openssl's DER.
    assert_eq!(key.to_spki_pem(), {
        let out = ok(dir, "openssl", &["pkey", "-in", "k.pem", "-pubout"]);
        String::from_utf8(out.stdout).unwrap()
    });

    ok(
        dir,
        "openssl",
        &[
            "pkeyutl", "-sign", "-inkey", "k.pem", "-rawin", "-in", "msg", "-out", "sig.bin",
        ],
    );
    let sig_bytes = fs::read(dir.join("sig.bin")).unwrap();
    let sig = AuthorSignature::parse(&STANDARD.encode(&sig_bytes)).expect("raw signature");
    assert_eq!(sig.format(), SigFormat::Raw);
    assert_eq!(sig.verify(&key, MESSAGE, NS), Ok(()));
    assert_eq!(sig.verify(&key, b"other", NS), Err(SigError::Invalid));

    let secret = SecretKey::parse(&read(dir, "k.pem")).expect("parse k.pem");
    assert_eq!(secret.public().bytes(), key.bytes());
    assert_eq!(secret.sign_bytes(MESSAGE).as_slice(), sig_bytes.as_slice());
}

#[test]
fn openssl_encrypted_key_is_explained() {
    let tmp = setup();
    let dir = tmp.path();
    ok(
        dir,
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "ed25519",
            "-aes256",
            "-pass",
            "pass:hunter2",
            "-out",
            "enc.pem",
        ],
    );
    match SecretKey::parse(&read(dir, "enc.pem")) {
        Err(SecretKeyError::Encrypted(m)) => assert!(m.contains("openssl pkey"), "{m}"),
        other => panic!("expected Encrypted, got {other:?}"),
    }
    // The advice works (with -passin instead of the prompt).
    ok(
        dir,
        "openssl",
        &[
            "pkey",
            "-in",
            "enc.pem",
            "-passin",
            "pass:hunter2",
            "-out",
            "plain.pem",
        ],
    );
    SecretKey::parse(&read(dir, "plain.pem")).expect("decrypted copy");
}

#[test]
fn tools_accept_what_plugdex_signs() {
    let tmp = setup();
    let dir = tmp.path();
    let secret = SecretKey::generate();
    let public = secret.public();

    // minisign, with the bare key and with the .pub file.
    fs::write(
        dir.join("msg.minisig"),
        secret.sign_minisign(MESSAGE, "plugin demo 1.2.3"),
    )
    .unwrap();
    let minisign_pub = public.to_minisign();
    fs::write(dir.join("minisign.pub"), &minisign_pub).unwrap();
    let line = minisign_pub.lines().nth(1).unwrap();
    let out = ok(
        dir,
        "minisign",
        &["-V", "-P", line, "-m", "msg", "-x", "msg.minisig"],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("plugin demo 1.2.3"),
        "minisign did not show the trusted comment"
    );
    ok(dir, "minisign", &["-V", "-p", "minisign.pub", "-m", "msg"]);
    // Prehashed, so minisign's strictest mode takes it too.
    ok(
        dir,
        "minisign",
        &["-V", "-H", "-p", "minisign.pub", "-m", "msg"],
    );

    // ssh-keygen -Y verify.
    fs::write(dir.join("msg.sig"), secret.sign_sshsig(MESSAGE, NS)).unwrap();
    fs::write(
        dir.join("allowed_signers"),
        format!(
            "someone@example namespaces=\"{NS}\" {}\n",
            public.to_openssh("")
        ),
    )
    .unwrap();
    let verify = [
        "-Y",
        "verify",
        "-f",
        "allowed_signers",
        "-I",
        "someone@example",
        "-n",
        NS,
        "-s",
        "msg.sig",
    ];
    let stdin = fs::File::open(dir.join("msg")).unwrap();
    let out = run_with_stdin(dir, "ssh-keygen", &verify, stdin.into());
    assert_success("ssh-keygen", &verify, &out);

    // openssl pkeyutl -verify with the SPKI PEM.
    fs::write(dir.join("pub.pem"), public.to_spki_pem()).unwrap();
    let sig_bin = STANDARD.decode(secret.sign_raw(MESSAGE)).unwrap();
    fs::write(dir.join("sig.bin"), &sig_bin).unwrap();
    let openssl_verify = [
        "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg", "-sigfile",
        "sig.bin",
    ];
    ok(dir, "openssl", &openssl_verify);

    // openssl signs with our PKCS#8 file and gets our bytes.
    fs::write(dir.join("k.pem"), secret.to_pkcs8_pem()).unwrap();
    let out = ok(
        dir,
        "openssl",
        &[
            "pkeyutl", "-sign", "-inkey", "k.pem", "-rawin", "-in", "msg",
        ],
    );
    assert_eq!(out.stdout, sig_bin);

    // The tools really check: each refuses the same signatures over CRLF text.
    fs::write(
        dir.join("msg"),
        String::from_utf8_lossy(MESSAGE).replace('\n', "\r\n"),
    )
    .unwrap();
    assert!(
        !run(
            dir,
            "minisign",
            &["-V", "-P", line, "-m", "msg", "-x", "msg.minisig"]
        )
        .status
        .success()
    );
    let stdin = fs::File::open(dir.join("msg")).unwrap();
    assert!(
        !run_with_stdin(dir, "ssh-keygen", &verify, stdin.into())
            .status
            .success()
    );
    assert!(!run(dir, "openssl", &openssl_verify).status.success());
}
