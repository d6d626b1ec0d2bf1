//! Snapshot suite of broken indexes.
//!
//! Each folder `tests/fixtures/broken/<case>/` is an overlay on the valid index
//! `tests/fixtures/base/`: its files replace or add to base files at the same
//! relative paths, and an optional `delete.txt` lists base paths (files or
//! folders, one a line, `#` starts a comment) removed first; an optional
//! `bug.txt` marks a snapshot that states the correct behaviour for a known
//! checker bug (its text is shown when the case fails, and blessing leaves
//! that snapshot alone: delete `bug.txt` once the bug is fixed). The harness builds
//! the index in a temporary folder, runs `check_index`, renders every
//! diagnostic on one line (see `common::render`) and compares the result with
//! the case's `expected.txt`. `PLUGDEX_BLESS=1 cargo test --test broken`
//! rewrites the snapshots instead.
//!
//! A case folder's name starts with the code it exercises (`warning-` first
//! for cases about a warning); the harness asserts that this code appears with
//! that severity, so no snapshot can be blessed into passing vacuously.
//! Every case folder must be listed in `cases!` below (one test each), and
//! every code that committed files can produce must have a case.

mod common;

use std::fs;
use std::path::Path;

use plugdex::check::Keep;
use plugdex::diagnostic::{Code, Severity};

/// Codes that need a symlink, a huge file, an unreadable file or names that
/// differ only in case: `tests/hostile.rs` covers them.
const NOT_COMMITTABLE: &[&str] = &["symlink", "file-too-large", "io"];
/// Codes only the printer makes (a file's problems past the first 100):
/// `tests/attacks_generator.rs` covers them.
const PRINTER_ONLY: &[&str] = &["more-diagnostics"];
/// Codes only a change has (`check --base`); tests/pr.rs has one git case each.
const CHANGE_ONLY: &[&str] = &[
    "artifact-unreachable",
    "not-an-owner",
    "owners-unauthorised",
    "published-changed",
    "version-deleted",
    "plugin-deleted",
];

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        const CASES: &[&str] = &[$(stringify!($name)),*];
        $(
            #[test]
            fn $name() {
                run_case(&stringify!($name).replace('_', "-"));
            }
        )*
    };
}

cases! {
    name_removed,
    // Keys and signatures
    key_invalid_weak_and_unsupported_keys,
    signature_missing_policy_requires,
    signature_malformed_garbage_and_legacy_minisign,
    signature_invalid_replayed_version_and_plugin,
    signature_invalid_another_registry,
    signature_invalid_wrong_key,
    signature_invalid_tampered_permissions,
    signature_invalid_malleated,
    signature_invalid_ssh_namespace,
    warning_key_revoked,
    unknown_release_reviewed_and_revoked,
    invalid_signing_threshold_and_delegation,
    // Self-hosted artifacts
    artifact_missing,
    artifact_mismatch_sha256,
    artifact_mismatch_size,
    artifact_mismatch_larger,
    // Reading files and the layout
    not_an_index_no_registry,
    unexpected_file_in_plugin_folder,
    unexpected_file_in_versions,
    unexpected_file_folder_in_versions,
    unexpected_file_in_plugins_root,
    unexpected_file_in_shard_folder,
    unexpected_file_versions_is_a_file,
    unexpected_file_registry_is_a_folder,
    unexpected_file_wrong_case_plugin_toml,
    misplaced_plugin_wrong_shard,
    misplaced_plugin_unsharded,
    misplaced_plugin_missing_letter_level,
    misplaced_plugin_two_letter_name_outside_2,
    misplaced_plugin_invalid_folder_name,
    missing_file_no_plugin_toml,
    missing_file_no_versions_folder,
    missing_file_empty_versions_folder,
    empty_file_version,
    empty_file_whitespace_only_plugin_toml,
    invalid_utf8_plugin_toml,
    invalid_utf8_readme,
    // TOML structure
    toml_syntax_unclosed_string,
    toml_syntax_missing_equals,
    toml_syntax_registry_still_checks_plugins,
    toml_syntax_registry_skips_signatures,
    duplicate_key_license,
    duplicate_key_table_header,
    unknown_field_licence,
    unknown_field_in_artifact,
    unknown_field_registry_base_url_dash,
    unknown_field_dependency_detail,
    missing_field_owners,
    missing_field_artifact_size,
    missing_field_registry_id,
    wrong_type_size_quoted,
    wrong_type_tags_string,
    wrong_type_many_structural_problems,
    invalid_value_runtime_typo,
    invalid_value_platform_typo,
    missing_artifact_native,
    duplicate_platform,
    overlapping_platforms,
    invalid_url_platform_artifact,
    invalid_value_channel,
    invalid_value_permission_typo,
    invalid_value_yanked_true,
    invalid_size_zero,
    invalid_value_size_negative,
    invalid_value_empty_deprecation,
    control_character_bidi_override,
    control_character_newline_in_description,
    control_character_in_key,
    // Names
    invalid_name_path_traversal,
    invalid_name_starts_with_digit,
    invalid_name_dependency,
    invalid_name_reserved_names_entry,
    name_mismatch_case,
    reserved_name_builtin_nul,
    reserved_name_registry_list,
    duplicate_name_foo_bar,
    confusable_name_he11o,
    confusable_name_rn_m,
    confusable_name_a1pha,
    // Plugin facts
    invalid_license_apache_2_0,
    invalid_license_unknown_id,
    invalid_description_whitespace_only,
    invalid_description_empty,
    invalid_description_too_long,
    warning_invalid_description_padded,
    invalid_tag_malformed_and_duplicate,
    invalid_tag_too_many,
    invalid_url_http_homepage,
    invalid_url_credentials,
    invalid_url_relative_dotdot,
    invalid_url_artifact_file_scheme,
    invalid_url_base_url,
    invalid_owner_malformed_and_duplicate,
    // Versions
    invalid_version_two_parts,
    version_mismatch,
    duplicate_version_build_metadata,
    too_many_versions,
    invalid_requirement_engine,
    invalid_requirement_dependency,
    invalid_sha256_uppercase,
    invalid_sha256_wrong_length,
    invalid_sha256_not_hex,
    invalid_size_over_cap,
    invalid_entry_parent,
    invalid_entry_absolute,
    invalid_entry_many_rule_problems,
    duplicate_permission,
    invalid_capability_method_without_endpoint,
    invalid_capability_duplicate_names,
    invalid_capability_bad_endpoint_name_description,
    // Across plugins
    unknown_dependency_typo,
    warning_unknown_dependency_spelling,
    self_dependency,
    unsatisfiable_dependency_only_yanked,
    unsatisfiable_dependency_no_match,
    dependency_cycle_two,
    dependency_cycle_three,
    dependency_cycle_branching,
    unknown_replacement_missing_plugin,
    unknown_replacement_self,
    unknown_replacement_version,
    // Registry
    invalid_registry_values,
}

fn broken_dir() -> std::path::PathBuf {
    common::fixtures().join("broken")
}

/// The code a case folder exercises and the severity it must have.
fn expected_code(case: &str) -> Option<(Code, Severity)> {
    let (rest, severity) = match case.strip_prefix("warning-") {
        Some(rest) => (rest, Severity::Warning),
        None => (case, Severity::Error),
    };
    Code::ALL
        .iter()
        .copied()
        .filter(|c| rest == c.as_str() || rest.starts_with(&format!("{}-", c.as_str())))
        .max_by_key(|c| c.as_str().len())
        .map(|c| (c, severity))
}

/// Builds the case's index in a temporary folder.
fn build(case_dir: &Path) -> tempfile::TempDir {
    let dir = common::base_copy();
    let delete = case_dir.join("delete.txt");
    if delete.exists() {
        let list = fs::read_to_string(&delete).expect("delete.txt is UTF-8");
        for line in list
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let target = dir.path().join(line);
            let meta = fs::symlink_metadata(&target)
                .unwrap_or_else(|_| panic!("{}: `{line}` is not a base path", delete.display()));
            if meta.is_dir() {
                fs::remove_dir_all(&target).expect("remove folder");
            } else {
                fs::remove_file(&target).expect("remove file");
            }
        }
    }
    overlay(case_dir, dir.path(), true);
    dir
}

fn overlay(from: &Path, to: &Path, top: bool) {
    let mut entries: Vec<_> = fs::read_dir(from)
        .expect("read case folder")
        .map(|e| e.expect("entry"))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if top && (name == "expected.txt" || name == "delete.txt" || name == "bug.txt") {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().expect("file type").is_dir() {
            if target.is_file() {
                fs::remove_file(&target).expect("replace a file by a folder");
            }
            fs::create_dir_all(&target).expect("create folder");
            overlay(&entry.path(), &target, false);
        } else {
            if target.is_dir() {
                fs::remove_dir_all(&target).expect("replace a folder by a file");
            }
            fs::copy(entry.path(), &target).expect("copy overlay file");
        }
    }
}

fn run_case(case: &str) {
    let case_dir = broken_dir().join(case);
    assert!(
        case_dir.is_dir(),
        "missing case folder {}",
        case_dir.display()
    );
    let (code, severity) = expected_code(case)
        .unwrap_or_else(|| panic!("case `{case}` does not start with a diagnostic code"));

    let index = build(&case_dir);
    let checked = plugdex::check::check_index(index.path()).expect("the index folder exists");
    let root = index.path().display().to_string();
    let actual = common::render(&checked.diagnostics).replace(&root, "<index>");
    // `plugdex check` keeps only the facts of each plugin it read: it must
    // find exactly what a check that keeps everything (a build's) finds.
    let lean = plugdex::check::check_index_keeping(index.path(), Keep::Diagnostics)
        .expect("the index folder exists");
    assert_eq!(
        common::render(&lean.diagnostics).replace(&root, "<index>"),
        actual,
        "`{case}`: keeping only facts changed the diagnostics"
    );
    assert_eq!(
        (lean.plugins, lean.versions),
        (checked.plugins, checked.versions)
    );
    assert!(lean.registry.is_none());

    let found = checked
        .diagnostics
        .iter()
        .any(|d| d.code == code && d.severity == severity);
    let expected_path = case_dir.join("expected.txt");
    let known_bug = case_dir.join("bug.txt").exists();
    let bless = std::env::var_os("PLUGDEX_BLESS").is_some_and(|v| v == "1");
    if bless && known_bug {
        eprintln!("not blessing `{case}`: its bug.txt marks a known checker bug");
    }
    if bless && !known_bug {
        fs::write(&expected_path, &actual).expect("write expected.txt");
    } else {
        let expected = fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "{} is missing; run with PLUGDEX_BLESS=1 to create it",
                expected_path.display()
            )
        });
        if expected != actual {
            let bug = fs::read_to_string(case_dir.join("bug.txt"))
                .map(|b| format!("\nThis snapshot states the CORRECT behaviour for a known checker bug; fix the checker, do not bless:\n{b}"))
                .unwrap_or_default();
            panic!(
                "snapshot mismatch for `{case}` ({}); `-` expected, `+` actual\n{}{bug}\n--- actual ---\n{actual}--- (rerun with PLUGDEX_BLESS=1 to accept) ---",
                expected_path.display(),
                diff(&expected, &actual)
            );
        }
    }
    assert!(
        found,
        "case `{case}` must produce {severity:?} [{}], got:\n{actual}",
        code.as_str()
    );
    assert!(
        checked.registry.is_none() || severity == Severity::Warning,
        "an index with errors yields no registry"
    );
}

/// A small line diff: lines only in `expected` start with `-`, only in `actual` with `+`.
fn diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    // Longest common subsequence, fine for snapshots of a few dozen lines.
    let mut lcs = vec![vec![0usize; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            out.push_str(&format!("  {}\n", e[i]));
            i += 1;
            j += 1;
        } else if i < e.len() && (j == a.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("- {}\n", e[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", a[j]));
            j += 1;
        }
    }
    out
}

#[test]
fn base_checks_clean() {
    let checked = plugdex::check::check_index(&common::base()).expect("base exists");
    assert_eq!(
        common::render(&checked.diagnostics),
        "",
        "the base index must be valid"
    );
    assert!(checked.registry.is_some());
    assert_eq!((checked.plugins, checked.versions), (3, 5));
}

#[test]
fn every_case_folder_has_a_test() {
    let mut on_disk: Vec<String> = fs::read_dir(broken_dir())
        .expect("tests/fixtures/broken")
        .map(|e| {
            e.expect("entry")
                .file_name()
                .into_string()
                .expect("UTF-8 case name")
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.replace('_', "-")).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every folder in tests/fixtures/broken needs an entry in `cases!` (and vice versa)"
    );
}

#[test]
fn every_case_names_a_code() {
    for case in CASES {
        let case = case.replace('_', "-");
        assert!(
            expected_code(&case).is_some(),
            "case `{case}` does not start with a diagnostic code"
        );
    }
}

#[test]
fn every_committable_code_has_a_case() {
    let covered: Vec<Code> = CASES
        .iter()
        .filter_map(|c| expected_code(&c.replace('_', "-")))
        .map(|(c, _)| c)
        .collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| {
            !NOT_COMMITTABLE.contains(&c.as_str())
                && !PRINTER_ONLY.contains(&c.as_str())
                && !CHANGE_ONLY.contains(&c.as_str())
                && !covered.contains(c)
        })
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a broken-index case: {missing:?}"
    );
    assert!(CASES.len() >= 45, "at least 45 cases");
}

#[test]
fn folder_prefix_picks_the_longest_code() {
    assert_eq!(
        expected_code("invalid-value-size-zero"),
        Some((Code::InvalidValue, Severity::Error))
    );
    assert_eq!(
        expected_code("invalid-version-two-parts"),
        Some((Code::InvalidVersion, Severity::Error))
    );
    assert_eq!(
        expected_code("warning-unknown-dependency-x"),
        Some((Code::UnknownDependency, Severity::Warning))
    );
    assert_eq!(
        expected_code("duplicate-key"),
        Some((Code::DuplicateKey, Severity::Error))
    );
    assert_eq!(expected_code("nothing-like-a-code"), None);
}

#[test]
fn yanked_versions_form_no_dependency_cycle() {
    // beta-tool 1.2.0 depends on alpha (which depends on beta-tool) but is yanked.
    let dir = common::base_copy();
    let file = dir
        .path()
        .join("plugins/be/ta/beta-tool/versions/1.2.0.toml");
    let mut text = fs::read_to_string(&file).expect("base file");
    text = text.replace(
        "runtime = \"script\"",
        "runtime = \"script\"\nyanked = \"pulled\"",
    );
    text.push_str("\n[dependencies]\nalpha = \"^1.0\"\n");
    fs::write(&file, text).expect("write");
    let checked = plugdex::check::check_index(dir.path()).expect("exists");
    assert_eq!(common::render(&checked.diagnostics), "");
    assert!(checked.registry.is_some());
}
