//! Thin entry point: parse the command line, call the library, map the outcome
//! to an exit status (0 ok, 1 invalid input, 2 usage or internal error).

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use plugdex::check::Keep;
use plugdex::cli::{Cli, Command};
use plugdex::manifest::schema::FileKind;
use plugdex::printer::{self, Format};
use plugdex::trust::secret::SecretKey;

mod client_cmd;

// Checking a large index makes millions of small allocations; mimalloc
// makes them markedly cheaper than glibc's allocator (see README figures).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Pack files are mapped in windows of 1 GiB, up to 8 GiB in all, and every
/// page read counts in resident memory until unmapped. `build` holds the
/// most (the model, then the writer's lists), so small windows under a small
/// limit keep the pack of a million-version index (365 MiB) from adding up
/// with it. A whole-index `check` keeps only facts, and with large windows
/// it does not map and unmap them thousands of times (a million-version
/// `check --rev` takes about a second less, at 1.0 GiB). `check --base`
/// reads a handful of plugins and keeps the small windows.
fn set_pack_windows(command: &Command) {
    let (window, limit) = match command {
        Command::Check { base: None, .. } => (64 << 20, 512 << 20),
        _ => (16 << 20, 96 << 20),
    };
    // SAFETY: called before any other thread exists, as the functions
    // require: only the command line has been parsed.
    unsafe {
        let _ = git2::opts::set_mwindow_size(window);
        let _ = git2::opts::set_mwindow_mapped_limit(limit);
    }
}

enum Outcome {
    Ok,
    Invalid,
}

fn main() -> ExitCode {
    plugdex::timings::start();
    // Reading an index from a commit touches each object once: libgit2's
    // object cache only holds memory (a few hundred MiB at 100,000 plugins),
    // and re-hashing every object read costs seconds where git itself does
    // not (`git fsck` verifies a repository; artifacts are verified by
    // SHA-256 and releases by signature anyway).
    git2::opts::enable_caching(false);
    git2::opts::strict_hash_verification(false);
    let cli = Cli::parse();
    set_pack_windows(&cli.command);
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Invalid) => ExitCode::from(1),
        Err(e) => {
            // A closed pipe (`plugdex check | head`) is not a failure.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<Outcome, Box<dyn std::error::Error>> {
    match cli.command {
        Command::Check {
            index,
            format,
            base: None,
            rev,
            ..
        } => {
            let checked = match rev {
                Some(rev) => {
                    plugdex::check::check_rev(&index, &rev, Keep::Diagnostics).map_err(|e| {
                        let hint = e.hint();
                        hinted(e, hint)
                    })?
                }
                None => plugdex::check::check_index_keeping(&index, Keep::Diagnostics)?,
            };
            let outcome = report_checked(&checked, format, &index)?;
            plugdex::timings::mark("report");
            // The process ends here: handing a million manifests back to the
            // allocator one by one would only delay the exit.
            std::mem::forget(checked);
            Ok(outcome)
        }
        Command::Check {
            index,
            format,
            base: Some(base),
            rev: _,
            head,
            author,
            summary,
            fetch,
        } => check_change(&index, format, &base, &head, author, summary, fetch),
        Command::Build {
            index,
            out,
            base_url,
            changed,
            signing_key,
            allow_unsigned,
            previous,
            expires_in,
            format,
            rev,
            allow_signing_time_skew,
        } => {
            let signing_key = match (signing_key, std::env::var("PLUGDEX_SIGNING_KEY")) {
                (Some(path), _) => Some(read_secret_key(&path)?),
                (None, Ok(text)) if !text.trim().is_empty() => {
                    Some(SecretKey::parse(&text).map_err(|e| {
                        format!("`PLUGDEX_SIGNING_KEY` does not hold a usable key: {e}")
                    })?)
                }
                _ => None,
            };
            let opts = plugdex::generate::Options {
                index: index.clone(),
                out: out.clone(),
                base_url,
                signing_key,
                expiry_secs: i64::from(expires_in) * 24 * 3600,
                rev,
                allow_unsigned,
                previous,
                allow_signing_time_skew,
            };
            let report = match plugdex::generate::build(&opts, &printer::progress_bar("plugins")) {
                Err(plugdex::generate::BuildError::Write(e)) => {
                    let hint = e.hint();
                    return Err(hinted(e, hint));
                }
                Err(e) if e.hint().is_some() => {
                    let hint = e.hint();
                    return Err(hinted(e, hint));
                }
                r => r?,
            };
            let outcome = report_checked(&report.checked, format, &index)?;
            let Some(built) = report.built else {
                eprintln!("error: nothing was built; `{}` is unchanged", out.display());
                return Ok(outcome);
            };
            if let Some(path) = changed {
                plugdex::generate::write_changed_list(&path, &built.summary)
                    .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            }
            eprint!("{}", printer::build_summary(&built, &report.checked, &out));
            Ok(Outcome::Ok)
        }
        Command::Serve { dir, addr } => {
            plugdex::serve::run(&dir, &addr)?;
            Ok(Outcome::Ok)
        }
        Command::Keygen {
            show: Some(path), ..
        } => {
            println!("{}", read_secret_key(&path)?.public().to_raw_base64());
            Ok(Outcome::Ok)
        }
        Command::Keygen { out, .. } => {
            let out = out.ok_or("give `--out FILE` or `--show FILE`")?;
            let key = SecretKey::generate();
            key.write_file(&out)?;
            let public = key.public();
            eprintln!(
                "wrote the secret key to `{}`; keep it private",
                out.display()
            );
            println!("{}", public.to_raw_base64());
            eprintln!(
                "public key (raw base64, above on stdout); the same key for other tools:\n  {}\n  minisign: {}",
                public.to_openssh("plugdex"),
                public.to_minisign().lines().last().unwrap_or_default()
            );
            Ok(Outcome::Ok)
        }
        Command::Statement { index, manifest } if plugdex::sign::is_plugin_toml(&manifest) => {
            let file = plugdex::sign::OwnersFile::read(&index, &manifest).map_err(sign_error)?;
            print!("{}", file.statement());
            eprintln!("ssh-keygen namespace: {}", file.namespace());
            Ok(Outcome::Ok)
        }
        Command::Statement { index, manifest } => {
            let file = read_release(&index, &manifest)?;
            print!("{}", file.statement());
            eprintln!("ssh-keygen namespace: {}", file.namespace());
            Ok(Outcome::Ok)
        }
        Command::Sign {
            index,
            key,
            format,
            manifests,
        } => {
            let key = read_secret_key(&key)?;
            for manifest in &manifests {
                if plugdex::sign::is_plugin_toml(manifest) {
                    let file =
                        plugdex::sign::OwnersFile::read(&index, manifest).map_err(sign_error)?;
                    file.sign(&key, format)?;
                    eprintln!(
                        "signed the owners of {} with key {}",
                        file.plugin.manifest.name,
                        key.public().fingerprint()
                    );
                    continue;
                }
                let file = read_release(&index, manifest)?;
                plugdex::sign::sign(&file, &key, format)?;
                eprintln!(
                    "signed {} {} with key {}",
                    file.plugin,
                    file.parsed.manifest.version,
                    key.public().fingerprint()
                );
            }
            Ok(Outcome::Ok)
        }
        Command::Verify { index, manifest } => {
            let file = read_release(&index, &manifest)?;
            match file.verify() {
                Ok(key) => {
                    eprintln!(
                        "ok: {} {} is signed by owner key {}",
                        file.plugin,
                        file.parsed.manifest.version,
                        key.fingerprint()
                    );
                    Ok(Outcome::Ok)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(Outcome::Invalid)
                }
            }
        }
        Command::Delegate { index, root_key } => {
            let key = read_secret_key(&root_key)?;
            let checked_config = plugdex::sign::read_registry(&index)?;
            let signing = checked_config.signing.as_ref().ok_or(
                "`registry.toml` has no `[signing]` table; add `root_keys` and `online_key` first",
            )?;
            let online = plugdex::trust::keys::PublicKey::parse(&signing.online_key)
                .map_err(|e| format!("`signing.online_key` is not usable: {e}"))?;
            let text = plugdex::trust::statement::delegation_text(
                &checked_config.id,
                &online.to_raw_base64(),
            );
            println!("{}", key.sign_raw(text.as_bytes()));
            eprintln!("add the line above to `signing.online_key_signatures` in `registry.toml`");
            Ok(Outcome::Ok)
        }
        Command::Schema { write: None, .. } => {
            let mut out = std::io::stdout().lock();
            for kind in FileKind::ALL {
                out.write_all(kind.schema_text().as_bytes())?;
            }
            Ok(Outcome::Ok)
        }
        Command::Schema {
            write: Some(dir),
            check,
        } => {
            let mut stale = Vec::new();
            for kind in FileKind::ALL {
                let path = dir.join(kind.schema_file());
                let current = std::fs::read_to_string(&path).ok();
                if current.as_deref() == Some(kind.schema_text().as_str()) {
                    continue;
                }
                if check {
                    stale.push(path.display().to_string());
                } else {
                    std::fs::create_dir_all(&dir)
                        .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
                    std::fs::write(&path, kind.schema_text())
                        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
            }
            if stale.is_empty() {
                Ok(Outcome::Ok)
            } else {
                eprintln!(
                    "error: out-of-date schemas: {}\n   = hint: run `plugdex schema --write {}`",
                    stale.join(", "),
                    dir.display()
                );
                Ok(Outcome::Invalid)
            }
        }
        Command::Status {
            registry,
            deep,
            warn_days,
            root_keys,
            timeout,
        } => {
            let url = if registry.ends_with('/') {
                registry
            } else {
                format!("{registry}/")
            };
            let report = plugdex::status::check(&plugdex::status::Options {
                url,
                root_keys,
                deep,
                warn_secs: i64::from(warn_days) * 24 * 3600,
                timeout: std::time::Duration::from_secs(timeout),
                now: jiff::Timestamp::now().as_second(),
            })?;
            let mut out = std::io::stdout().lock();
            for f in &report.findings {
                writeln!(out, "{}: {}", if f.ok { "ok" } else { "error" }, f.text)?;
            }
            Ok(if report.healthy() {
                Outcome::Ok
            } else {
                Outcome::Invalid
            })
        }
        Command::Client(command) => match client_cmd::run(command)? {
            true => Ok(Outcome::Ok),
            false => Ok(Outcome::Invalid),
        },
    }
}

/// Prints diagnostics and the one-line verdict of a check.
fn report_checked(
    checked: &plugdex::check::Checked,
    format: Format,
    index: &std::path::Path,
) -> std::io::Result<Outcome> {
    let rendered = printer::render(format, &checked.diagnostics, index);
    match format {
        Format::Human => eprint!("{rendered}"),
        _ => std::io::stdout().write_all(rendered.as_bytes())?,
    }
    let (errors, warnings) = (checked.errors(), checked.warnings());
    let scope = format!("{} plugins, {} versions", checked.plugins, checked.versions);
    if errors > 0 {
        eprintln!("error: {} in {scope}", count(errors, "error", warnings));
        Ok(Outcome::Invalid)
    } else {
        eprintln!(
            "checked {scope}: {}",
            if warnings > 0 {
                count(0, "error", warnings)
            } else {
                "no problems".to_owned()
            }
        );
        Ok(Outcome::Ok)
    }
}

fn check_change(
    index: &std::path::Path,
    format: Format,
    base: &str,
    head: &str,
    author: Option<String>,
    summary: Option<std::path::PathBuf>,
    fetch: bool,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    use plugdex::check::change::{self, Class};
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let author = author
        .or_else(|| env("PLUGDEX_AUTHOR"))
        .or_else(|| env("GITHUB_ACTOR"));
    let req = change::Request {
        index,
        base,
        head,
        author: author.as_deref(),
        fetch: fetch.then(|| change::fetch::over_http(Default::default())),
    };
    let verdict = change::check_change(&req).map_err(|e| {
        let hint = e.hint();
        hinted(e, hint)
    })?;
    let rendered = printer::render_verdict(format, &verdict, index);
    match format {
        Format::Human => eprint!("{rendered}"),
        _ => std::io::stdout().write_all(rendered.as_bytes())?,
    }
    let markdown = change::summary::markdown(&verdict);
    if let Some(path) = summary {
        std::fs::write(&path, &markdown)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    if let Some(path) = env("GITHUB_STEP_SUMMARY") {
        append(&path, &markdown)?;
    }
    if let Some(path) = env("GITHUB_OUTPUT") {
        append(
            &path,
            &format!("classification={}\n", verdict.classification.as_str()),
        )?;
    }
    let errors = verdict.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = verdict.diagnostics.len() - errors;
    let scope = if verdict.full_check {
        " (the whole index was checked: a registry file changed)"
    } else {
        ""
    };
    eprintln!(
        "{}: {}{scope}",
        verdict.classification.as_str(),
        if errors + warnings == 0 {
            "no problems".to_owned()
        } else {
            count(errors, "error", warnings)
        }
    );
    Ok(match verdict.classification {
        Class::Rejected => Outcome::Invalid,
        _ => Outcome::Ok,
    })
}

/// Appends to a file GitHub Actions reads after the step (summary, outputs).
fn append(path: &str, text: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot write `{path}`: {e}"))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write `{path}`: {e}"))?;
    Ok(())
}

fn read_secret_key(path: &std::path::Path) -> Result<SecretKey, Box<dyn std::error::Error>> {
    Ok(SecretKey::read_file(path)?)
}

/// Reads one release, printing the manifest's problems if it has any.
fn read_release(
    index: &std::path::Path,
    manifest: &std::path::Path,
) -> Result<plugdex::sign::ReleaseFile, Box<dyn std::error::Error>> {
    plugdex::sign::ReleaseFile::read(index, manifest).map_err(sign_error)
}

/// Prints a manifest's problems before saying it cannot be signed.
fn sign_error(e: plugdex::sign::SignError) -> Box<dyn std::error::Error> {
    match e {
        plugdex::sign::SignError::Invalid(path, diags) => {
            eprint!(
                "{}",
                printer::render(Format::Human, &diags, std::path::Path::new("."))
            );
            format!(
                "`{}` must be valid before it can be signed or verified; fix the problems above",
                path.display()
            )
            .into()
        }
        e => e.into(),
    }
}

/// An error with a `hint:` line after it.
fn hinted(e: impl std::fmt::Display, hint: Option<String>) -> Box<dyn std::error::Error> {
    match hint {
        Some(h) => format!("{e}\n  hint: {h}").into(),
        None => e.to_string().into(),
    }
}

fn count(errors: usize, _: &str, warnings: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{} and {}", plural(e, "error"), plural(w, "warning")),
    }
}
