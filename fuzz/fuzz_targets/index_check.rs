//! An index of one plugin, checked as `plugdex check` checks it and its
//! diagnostics rendered in every format `check` prints.
//!
//! Input: files joined by `SEP`, in this order: `registry.toml`,
//! `plugin.toml`, a version file's stem (`1.0.0`), that version file, the
//! plugin's folder name, the artifact the version file's relative
//! `artifact.url` names, `reviewed.toml`, `revocations.toml`, `README.md`.
//! A missing file is not written, so the rules for absent files run too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plugdex::check::{Keep, check_index_keeping};
use plugdex::format::name::PluginName;
use plugdex::printer::{Format, render};
use plugdex_fuzz::{Sections, is_plain_relative, scratch};
use std::fs;
use std::path::Path;

/// Writes a file of the index; one the file system refuses (a name too
/// long, a folder in the way) is simply not part of this input's index.
fn write(root: &Path, rel: &str, bytes: Option<&[u8]>) {
    if let Some(bytes) = bytes {
        let path = root.join(rel);
        let _ = fs::create_dir_all(path.parent().expect("a file has a folder"))
            .and_then(|()| fs::write(&path, bytes));
    }
}

/// The relative `artifact.url` of a version file, when it parses and is a
/// path the harness can create.
fn artifact_path(version: &[u8]) -> Option<String> {
    let table: toml::Table = toml::from_str(std::str::from_utf8(version).ok()?).ok()?;
    let url = table.get("artifact")?.get("url")?.as_str()?;
    is_plain_relative(url).then(|| url.to_owned())
}

fuzz_target!(|data: &[u8]| {
    let s = Sections::split(data);
    let dir = scratch();
    let root = dir.path();
    // The source refuses folders with invalid names before parsing them.
    let folder = String::from_utf8_lossy(s.get(4).unwrap_or(b"md")).into_owned();
    let name = PluginName::parse(&folder).unwrap_or_else(|_| PluginName::parse("md").unwrap());
    let plugin_dir = format!("plugins/{}", name.folder());
    let stem = s.text(2);
    let stem = if is_plain_relative(&stem) && !stem.contains('/') {
        stem
    } else {
        "1.0.0".to_owned()
    };
    write(root, "registry.toml", s.get(0));
    write(root, &format!("{plugin_dir}/plugin.toml"), s.get(1));
    write(
        root,
        &format!("{plugin_dir}/versions/{stem}.toml"),
        s.get(3),
    );
    if let (Some(version), Some(artifact)) = (s.get(3), s.get(5))
        && let Some(rel) = artifact_path(version)
        && !rel.starts_with("plugins")
    {
        // A path under `plugins/` would add files the layout rules report
        // instead of an artifact; anywhere else it is one.
        write(root, &rel, Some(artifact));
    }
    write(root, "reviewed.toml", s.get(6));
    write(root, "revocations.toml", s.get(7));
    write(root, &format!("{plugin_dir}/README.md"), s.get(8));

    let checked = check_index_keeping(root, Keep::Registry).expect("the index folder exists");
    assert!(
        checked.registry.is_none() || checked.errors() == 0,
        "a registry is kept only when nothing is wrong"
    );
    for format in [Format::Human, Format::Json, Format::Github] {
        render(format, &checked.diagnostics, &checked.sources, root);
    }
});
