//! The client's verification chain over a registry a hostile CDN serves:
//! `root.json`, `timestamp.json`, the snapshot trie under `by-hash/`, a
//! sparse index file and its lines, each line's author signature, and the
//! resolver over the lines that came through.
//!
//! The harness signs what it builds with the demo registry's online key,
//! so the fuzzed index file gets past the snapshot into `index_lines` and
//! the resolver. Input: files joined by `SEP`: the index file
//! `index/2/md`; optionally a `root.json` to serve instead of the real one;
//! a `timestamp.json` to serve as is; the `signed` body of a timestamp,
//! which the harness signs with the online key (so the checks after the
//! signature see hostile values).
#![no_main]

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use plugdex::client::resolve::{Policy, Request, latest, resolve};
use plugdex::trust::metadata::{self, FileMeta, SigningInput, by_hash_path};
use plugdex::trust::secret::SecretKey;
use plugdex::trust::verify::Anchor;
use plugdex_fuzz::{Sections, fixture};

const REGISTRY: &str = "plugins.inkwell.example";
const INDEX_FILE: &str = "index/2/md";
/// Just after the golden registry's build time.
const NOW: i64 = 1_767_225_660;

struct Fixed {
    online: SecretKey,
    anchor: Anchor,
    config: Vec<u8>,
    root: Vec<u8>,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let key = |name: &str| {
            let text = fixture(&format!("tests/fixtures/demo-keys/{name}.pem"));
            SecretKey::parse(std::str::from_utf8(&text).unwrap()).unwrap()
        };
        Fixed {
            online: key("online"),
            anchor: Anchor {
                registry: REGISTRY.into(),
                root_keys: vec![key("root").public()],
                threshold: 1,
            },
            config: fixture("tests/golden/example/config.json"),
            root: fixture("tests/golden/example/root.json"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = Sections::split(data);
    let f = fixed();
    let index = s.get(0).unwrap_or_default().to_vec();
    let root = s.get(1).map_or_else(|| f.root.clone(), <[u8]>::to_vec);
    let mut store: HashMap<String, Vec<u8>> = HashMap::new();
    let mut covered = BTreeMap::new();
    for (path, bytes) in [
        ("config.json", f.config.clone()),
        ("root.json", root),
        (INDEX_FILE, index),
    ] {
        let meta = FileMeta::of(&bytes);
        store.insert(by_hash_path(&meta.sha256), bytes.clone());
        store.insert(path.to_owned(), bytes);
        covered.insert(path.to_owned(), meta);
    }
    let signed = metadata::sign(
        &covered,
        &SigningInput {
            registry: REGISTRY,
            key: Some(&f.online),
            now: NOW - 60,
            expiry_secs: metadata::DEFAULT_EXPIRY_SECS,
        },
    );
    store.extend(signed.files);
    if let Some(ts) = s.get(2) {
        store.insert(metadata::TIMESTAMP_PATH.into(), ts.to_vec());
    }
    if let Some(body) = s.get(3) {
        let body = String::from_utf8_lossy(body);
        let sig = f
            .online
            .sign_raw(&metadata::signed_message("timestamp", &body));
        let key = f.online.public().to_raw_base64();
        let doc = format!(
            "{{\"signed\":{body},\"signatures\":[{{\"key\":\"{key}\",\"sig\":\"{sig}\"}}]}}"
        );
        store.insert(metadata::TIMESTAMP_PATH.into(), doc.into_bytes());
    }
    let mut fetch = |p: &str| store.get(p).cloned().ok_or_else(|| format!("{p}: 404"));

    // What `build` reads of the previous output it keeps for old clients.
    metadata::referenced(&|p: &str| store.get(p).cloned());

    let Ok(online) = f.anchor.verify_root(&fetch("root.json").unwrap()) else {
        return;
    };
    let Ok(ts) = online.verify_timestamp(&fetch("timestamp.json").unwrap(), NOW, Some(NOW - 3600))
    else {
        return;
    };
    let _ = ts.lookup("index/2/zz", &mut fetch);
    let _ = ts.file("config.json", &mut fetch);
    let Ok(file) = ts.file(INDEX_FILE, &mut fetch) else {
        return;
    };
    let lines = file.index_lines();
    // Each line with its single artifact, and with the artifact of the
    // platform this runs on (a `[[platforms]]` entry where the line has one).
    for line in &lines {
        for platform in [None, plugdex::format::types::Platform::current()] {
            if let Ok(release) = file.release(line, true, platform) {
                let bytes = vec![0; (release.artifact().size as usize).min(64)];
                let _ = release.verify_artifact(bytes);
            }
        }
    }
    for policy in [
        Policy::default(),
        Policy {
            engine: Some(semver::Version::new(2, 1, 0)),
            channel: plugdex::format::types::Channel::Beta,
            allow_experimental: true,
        },
    ] {
        latest(&lines, &policy);
        let mut available = BTreeMap::new();
        for l in &lines {
            available
                .entry(plugdex::format::name::canonical(&l.name))
                .or_insert_with(Vec::new)
                .push(l.clone());
        }
        let requests: Vec<Request> = lines
            .iter()
            .filter_map(|l| Request::parse(&l.name).ok())
            .take(4)
            .collect();
        let _ = resolve(&requests, &available, &BTreeMap::new(), &policy);
    }
});
