//! The commands: one module each, mapping the parsed arguments onto the
//! library and printing through `printer`. Each returns the exit status, or
//! a [`CliError`] that `main` prints once.

mod ask;
mod build;
mod check;
mod client;
mod init;
mod keys;
mod manual;
mod new;
pub(crate) mod release;
mod schema;
mod search;
mod serve;
mod sign;
mod status;

use crate::cli::{Cli, Command};
use crate::error::{CliError, Exit};

/// `plugdex --version`: the version, and the commit it was built from when
/// built from a git checkout (build.rs).
pub const VERSION: &str = env!("PLUGDEX_VERSION");

pub fn run(cli: Cli) -> Result<Exit, CliError> {
    match cli.command {
        Command::Check {
            index,
            format,
            base: None,
            rev,
            ..
        } => check::index(&index, format, rev.as_deref()),
        Command::Check {
            index,
            format,
            base: Some(base),
            rev: _,
            head,
            author,
            summary,
            fetch,
        } => check::change(
            &index,
            format,
            &check::Change {
                base,
                head,
                author,
                summary,
                fetch,
            },
        ),
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
            stats,
            no_site,
        } => {
            let opts = crate::generate::Options {
                index,
                out,
                base_url,
                signing_key: build::signing_key(signing_key.as_deref())?,
                expiry_secs: i64::from(expires_in) * 24 * 3600,
                rev,
                allow_unsigned,
                previous,
                allow_signing_time_skew,
                stats,
                site: !no_site,
            };
            build::run(&opts, format, changed.as_deref())
        }
        Command::Serve {
            dir,
            addr,
            index,
            signing_key,
            allow_unsigned,
        } => serve::run(serve::Preview {
            dir,
            addr,
            index,
            signing_key,
            allow_unsigned,
        }),
        Command::Init {
            dir,
            id,
            title,
            base_url,
            engine,
            keys,
        } => init::run(init::InitArgs {
            dir,
            id,
            title,
            base_url,
            engine,
            keys,
        }),
        Command::New {
            name,
            index,
            owner,
            key,
            description,
            license,
        } => new::run(new::NewArgs {
            name,
            index,
            owner,
            key,
            description,
            license,
        }),
        Command::Release {
            name,
            version,
            index,
            artifact,
            sign,
            engine,
            entry,
            runtime,
            timeout,
        } => release::run(release::ReleaseArgs {
            name,
            version,
            index,
            artifact,
            sign,
            engine,
            entry,
            runtime,
            timeout,
        }),
        Command::Keygen {
            show: Some(path), ..
        } => keys::show(&path),
        Command::Keygen { out, .. } => keys::generate(out.as_deref()),
        Command::Delegate { index, root_key } => keys::delegate(&index, &root_key),
        Command::Statement { index, manifest } => sign::statement(&index, &manifest),
        Command::Sign {
            index,
            key,
            format,
            manifests,
        } => sign::sign(&index, &key, format, &manifests),
        Command::Verify { index, manifest } => sign::verify(&index, &manifest),
        Command::Schema {
            write: None, kind, ..
        } => schema::print(kind.as_deref()),
        Command::Schema {
            write: Some(dir),
            check,
            ..
        } => schema::write(&dir, check),
        Command::Status {
            registry,
            deep,
            warn_days,
            root_keys,
            timeout,
        } => status::run(registry, deep, warn_days, root_keys, timeout),
        Command::Completions { shell } => manual::completions(shell),
        Command::Man => manual::man(),
        Command::Client(command) => client::run(command),
    }
}

/// libgit2's global settings for this command; call before any thread
/// starts, as libgit2 requires.
///
/// Reading an index from a commit touches each object once: libgit2's
/// object cache only holds memory (a few hundred MiB at 100,000 plugins),
/// and re-hashing every object read costs seconds where git itself does not
/// (`git fsck` verifies a repository; artifacts are verified by SHA-256 and
/// releases by signature anyway).
///
/// Pack files are mapped in windows of 1 GiB, up to 8 GiB in all, and every
/// page read counts in resident memory until unmapped. `build` holds the
/// most (the model, then the writer's lists), so small windows under a small
/// limit keep the pack of a million-version index (365 MiB) from adding up
/// with it. A whole-index `check` keeps only facts, and with large windows
/// it does not map and unmap them thousands of times (a million-version
/// `check --rev` takes about a second less, at 1.0 GiB). `check --base`
/// reads a handful of plugins and keeps the small windows.
pub fn tune_libgit2(command: &Command) {
    git2::opts::enable_caching(false);
    git2::opts::strict_hash_verification(false);
    let (window, limit) = match command {
        Command::Check { base: None, .. } => (64 << 20, 512 << 20),
        _ => (16 << 20, 96 << 20),
    };
    // SAFETY: `main` calls this before any other thread exists, as the
    // functions require: only the command line has been parsed.
    unsafe {
        let _ = git2::opts::set_mwindow_size(window);
        let _ = git2::opts::set_mwindow_mapped_limit(limit);
    }
}

/// `n error(s) and m warning(s)`, leaving out a zero count.
fn count(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{} and {}", plural(e, "error"), plural(w, "warning")),
    }
}
