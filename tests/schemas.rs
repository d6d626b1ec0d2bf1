//! The JSON Schemas `build` publishes under `schemas/v1/`: each has its
//! `$id` under the base URL, is what `plugdex schema KIND` prints, and
//! accepts every document of the example's real (signed) output, checked
//! with a real validator (the `jsonschema` crate); broken documents are
//! refused.

mod common;

use std::collections::BTreeMap;

use common::{build, demo_key, read_tree};
use serde_json::{Value, json};

const BASE: &str = "https://plugins.inkwell.example/";

/// The example built signed: `(output tree, schema kind → validator)`.
fn built() -> (
    BTreeMap<String, Vec<u8>>,
    BTreeMap<String, jsonschema::Validator>,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("dist");
    let key = demo_key("online.pem");
    let (code, stderr) = build(&common::example_index(), &out, &["--signing-key", &key]);
    assert_eq!(code, 0, "{stderr}");
    let tree = read_tree(&out);
    let mut validators = BTreeMap::new();
    for (path, bytes) in tree.iter().filter(|(p, _)| p.starts_with("schemas/")) {
        let kind = path
            .strip_prefix("schemas/v1/")
            .and_then(|p| p.strip_suffix(".schema.json"))
            .unwrap_or_else(|| panic!("{path}: not schemas/v1/{{kind}}.schema.json"));
        let schema: Value = serde_json::from_slice(bytes).expect("a schema is JSON");
        assert_eq!(schema["$id"], json!(format!("{BASE}{path}")), "{path}");
        // The published copy is what `plugdex schema KIND` prints, with its `$id`.
        let (code, stdout, stderr) = common::run(&["schema", kind]);
        assert_eq!(code, 0, "{stderr}");
        let mut printed: Value = serde_json::from_str(&stdout).expect("one JSON document");
        printed["$id"] = schema["$id"].clone();
        assert_eq!(printed, schema, "{path}");
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{path} is not a valid schema: {e}"));
        validators.insert(kind.to_owned(), validator);
    }
    (tree, validators)
}

/// Which schema a file of the output follows (`None`: no JSON document of its own).
fn kind_of(path: &str) -> Option<&'static str> {
    let api = path.strip_prefix("api/v1/");
    Some(match path {
        "config.json" => "config",
        "names.json" => "names",
        "revocations.json" => "revocations-json",
        "root.json" => "root",
        "timestamp.json" => "timestamp",
        _ if path.starts_with("names/") => "names-page",
        _ if api == Some("plugins.json") => "api-plugins",
        _ => {
            let rest = api?.strip_prefix("plugins/")?;
            let (first, tail) = rest.split_once('/').unwrap_or((rest, ""));
            match tail {
                "" if first.trim_end_matches(".json").parse::<u32>().is_ok() => "api-plugins",
                "" => "api-plugin",
                "versions.json" => "api-versions",
                "audit.json" => "api-audit",
                _ if tail.starts_with("versions/") => "index-line",
                _ => return None,
            }
        }
    })
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_document_of_the_example_build_follows_its_published_schema() {
    let (tree, validators) = built();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut check = |kind: &'static str, path: &str, doc: &Value| {
        let problems = errors(&validators[kind], doc);
        assert!(problems.is_empty(), "{path} ({kind}): {problems:#?}");
        *seen.entry(kind).or_default() += 1;
    };
    for (path, bytes) in &tree {
        if path.starts_with("index/") {
            for line in std::str::from_utf8(bytes).expect("UTF-8").lines() {
                check(
                    "index-line",
                    path,
                    &serde_json::from_str(line).expect("JSON"),
                );
            }
        } else if let Some(kind) = kind_of(path) {
            check(kind, path, &serde_json::from_slice(bytes).expect("JSON"));
        }
    }
    // The snapshot's nodes, from the timestamp down.
    let timestamp: Value = serde_json::from_slice(&tree["timestamp.json"]).expect("JSON");
    let mut stack = vec![timestamp["signed"]["snapshot"]["sha256"].clone()];
    while let Some(Value::String(hash)) = stack.pop() {
        let path = format!("by-hash/{hash}");
        let node: Value = serde_json::from_slice(&tree[&path]).expect("JSON");
        check("snapshot-node", &path, &node);
        if let Some(children) = node["children"].as_object() {
            stack.extend(children.values().map(|c| c["sha256"].clone()));
        }
    }
    // The index files' schemas accept the example's own TOML.
    let registry: Value = toml::from_str(
        &std::fs::read_to_string(common::example_index().join("registry.toml")).expect("read"),
    )
    .expect("TOML");
    check("registry", "index/registry.toml", &registry);
    let kinds: Vec<&str> = validators
        .keys()
        .map(String::as_str)
        .filter(|k| !matches!(*k, "plugin" | "version" | "reviewed" | "revocations"))
        .collect();
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        kinds,
        "every published document's schema was used: {seen:?}"
    );
    assert_eq!(
        seen["index-line"],
        76 * 2,
        "each line, and its version document"
    );
}

#[test]
fn broken_documents_are_refused() {
    let (tree, v) = built();
    let doc = |path: &str| -> Value { serde_json::from_slice(&tree[path]).expect("JSON") };
    let refused = |kind: &str, what: &str, d: Value| {
        assert!(
            !errors(&v[kind], &d).is_empty(),
            "{kind}: {what} was accepted: {d}"
        );
    };

    let mut config = doc("config.json");
    config.as_object_mut().unwrap().remove("base_url");
    refused("config", "no base_url", config);
    let mut config = doc("config.json");
    config["keys"] = json!("not a list");
    refused("config", "keys as a string", config);

    let line_text = tree
        .iter()
        .find(|(p, _)| p.starts_with("index/"))
        .map(|(_, b)| String::from_utf8(b.clone()).unwrap())
        .unwrap();
    let line: Value = serde_json::from_str(line_text.lines().next().unwrap()).unwrap();
    assert!(errors(&v["index-line"], &line).is_empty());
    let with = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut l = line.clone();
        f(l.as_object_mut().unwrap());
        l
    };
    refused(
        "index-line",
        "an unknown tier",
        with(&|l| drop(l.insert("tier".into(), json!("untrusted")))),
    );
    refused(
        "index-line",
        "a v1 line without its artifact",
        with(&|l| drop(l.remove("sha256"))),
    );
    refused(
        "index-line",
        "a v3 line",
        with(&|l| drop(l.insert("v".into(), json!(3)))),
    );
    refused(
        "index-line",
        "a digest that is not 64 lowercase hex digits",
        with(&|l| drop(l.insert("sha256".into(), json!("AB".repeat(32))))),
    );
    let platform = json!([{"os": "linux", "arch": "x86_64", "sha256": "ab".repeat(32),
        "size": 1, "dl": "https://x/a"}]);
    refused(
        "index-line",
        "a v1 line with platforms",
        with(&|l| drop(l.insert("platforms".into(), platform.clone()))),
    );
    // v2: platforms, with or without the single artifact; never neither.
    let v2 = |l: &mut serde_json::Map<String, Value>| {
        l.insert("v".into(), json!(2));
        l.insert("platforms".into(), platform.clone());
    };
    assert!(errors(&v["index-line"], &with(&v2)).is_empty());
    let only_platforms = with(&|l| {
        v2(l);
        for k in ["sha256", "size", "dl"] {
            l.remove(k);
        }
    });
    assert!(
        errors(&v["index-line"], &only_platforms).is_empty(),
        "{:?}",
        errors(&v["index-line"], &only_platforms)
    );
    refused(
        "index-line",
        "a v2 line with no artifact",
        with(&|l| {
            l.insert("v".into(), json!(2));
            for k in ["sha256", "size", "dl"] {
                l.remove(k);
            }
        }),
    );
    refused(
        "index-line",
        "a platform of an unknown OS",
        with(&|l| {
            v2(l);
            l["platforms"][0]["os"] = json!("plan9");
        }),
    );
    // Readers ignore keys they do not know: so does the schema.
    assert!(
        errors(
            &v["index-line"],
            &with(&|l| drop(l.insert("new".into(), json!(1))))
        )
        .is_empty()
    );

    let mut ts = doc("timestamp.json");
    ts["signed"].as_object_mut().unwrap().remove("snapshot");
    refused("timestamp", "no snapshot", ts);
    let mut root = doc("root.json");
    root["threshold"] = json!(-1);
    refused("root", "a negative threshold", root);
    let mut names = doc("names.json");
    names["pages"] = json!([{"path": "names/1.json"}]);
    refused("names", "a page without its range", names);

    // An index file's schema still refuses unknown keys (`check` relies on it).
    let mut registry: Value = toml::from_str(
        &std::fs::read_to_string(common::example_index().join("registry.toml")).expect("read"),
    )
    .expect("TOML");
    registry["titel"] = json!("typo");
    refused("registry", "an unknown key", registry);
}
