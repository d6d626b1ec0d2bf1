//! The client commands: builds `client::Options` from flags, the
//! environment and the config file, asks before installing, and prints
//! (human text on stderr and stdout, or JSON on stdout). Every text the
//! client did not write (API documents, index lines, names, server messages)
//! goes through `untrusted` before it reaches the terminal.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use crate::cli::{ChannelArg, ClientArgs, ClientCommand, ClientFormat};
use crate::client::commands::{self, Change, Info, Listed, Report};
use crate::client::config::{self, ConfigFile};
use crate::client::resolve::{Policy, Request};
use crate::client::{Client, ClientError, Options};
use crate::error::{CliError, Exit};
use crate::format::types::Channel;
use crate::printer;
use crate::untrusted::shown;

pub fn run(command: ClientCommand) -> Result<Exit, CliError> {
    let outcome = execute(command);
    crate::timings::mark("client command");
    outcome.map(|()| Exit::Done)
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> CliError {
        let hint = e.hint();
        CliError::from_error(exit_of(&e), e).hint(hint)
    }
}

/// A registry, release or download that does not verify, a lock or state
/// file something else changed, or a request that cannot be met, is the
/// thing examined being bad (1); a registry that cannot be reached, a file
/// that cannot be read or written, a config that cannot be used, a format
/// newer than this plugdex reads, is the job failing (2).
fn exit_of(e: &ClientError) -> Exit {
    use crate::client::{lock::LockError, state::StateError, unpack::UnpackError};
    match e {
        ClientError::Config(_)
        | ClientError::Fetch(_)
        | ClientError::Lock {
            source: LockError::NewerFormat(_),
            ..
        }
        | ClientError::State {
            source: StateError::NewerFormat(_),
            ..
        }
        | ClientError::Io { .. }
        | ClientError::Busy { .. }
        | ClientError::BadDir { .. }
        // The archive was fine; writing it into the plugins folder failed.
        | ClientError::Unpack {
            source: UnpackError::Write { .. },
            ..
        } => Exit::Failed,
        ClientError::Verify { .. } if !e.is_verification_failure() => Exit::Failed,
        ClientError::NotARegistry { .. }
        | ClientError::UnsignedRegistry { .. }
        | ClientError::Malformed { .. }
        | ClientError::Verify { .. }
        | ClientError::NoSuchPlugin { .. }
        | ClientError::NoPlatform { .. }
        | ClientError::Resolve(_)
        | ClientError::Lock { .. }
        | ClientError::State { .. }
        | ClientError::Unpack { .. }
        | ClientError::OtherRegistry { .. }
        | ClientError::UnsafeName { .. }
        | ClientError::NoSearch { .. }
        | ClientError::Search(_) => Exit::Invalid,
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub(super) fn client(args: &ClientArgs) -> Result<Client, ClientError> {
    let path = config::default_path(&env);
    let file = match &path {
        Some(p) => ConfigFile::read(p)?,
        None => ConfigFile::default(),
    };
    let shown = path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the config file".into());
    let registry = file.select(args.registry.as_deref(), &env, &shown)?;
    let cache_dir = args
        .cache_dir
        .clone()
        .or_else(|| config::default_cache_dir(&env));
    let mut options = Options::new(registry, args.dir.clone());
    if let Some(platform) = args.platform {
        options = options.platform(platform);
    }
    Client::new(
        options
            .cache_dir(cache_dir)
            .offline(args.offline)
            .policy(Policy {
                engine: args.engine.clone(),
                channel: match args.channel {
                    ChannelArg::Stable => Channel::Stable,
                    ChannelArg::Beta => Channel::Beta,
                },
                allow_experimental: args.allow_experimental,
            })
            .timeout(Duration::from_secs(args.timeout.max(1))),
    )
}

fn execute(command: ClientCommand) -> Result<(), CliError> {
    match command {
        ClientCommand::Install { plugins, opts } => {
            let requests = plugins
                .iter()
                .map(|p| Request::parse(p))
                .collect::<Result<Vec<_>, _>>()
                .map_err(ClientError::from)?;
            let client = client(&opts)?;
            let plan = client.plan_install(&requests)?;
            confirm_and_apply(&client, plan, &opts)
        }
        ClientCommand::Update { plugins, opts } => {
            let client = client(&opts)?;
            let plan = client.plan_update(&plugins)?;
            confirm_and_apply(&client, plan, &opts)
        }
        ClientCommand::Remove { plugins, opts } => {
            let changes = commands::remove(&opts.dir, &plugins)?;
            print_changes(&opts, &changes, &[], None)
        }
        ClientCommand::List { opts } => {
            let listed = client(&opts)?.list()?;
            match opts.format {
                ClientFormat::Json => json_out(&serde_json::json!({ "plugins": listed })),
                ClientFormat::Human => Ok(printer::out(&render_list(&listed))?),
            }
        }
        ClientCommand::Search {
            query,
            search,
            opts,
        } => super::search::run(&query, &search, &opts),
        ClientCommand::Info { plugin, opts } => {
            let info = client(&opts)?.info(&plugin)?;
            match opts.format {
                ClientFormat::Json => json_out(&info),
                ClientFormat::Human => Ok(printer::out(&render_info(&info))?),
            }
        }
    }
}

pub(super) fn json_out(value: &impl serde::Serialize) -> Result<(), CliError> {
    // Author-controlled strings (descriptions, names, reasons) are escaped.
    let text = crate::untrusted::json_pretty(value)
        .map_err(|e| CliError::context(Exit::Failed, "cannot write JSON", e))?;
    Ok(printer::out(&format!("{text}\n"))?)
}

fn confirm_and_apply(
    client: &Client,
    plan: commands::Plan<'_>,
    opts: &ClientArgs,
) -> Result<(), CliError> {
    let installs = plan.changes.iter().any(|c| c.to.is_some());
    if installs && !opts.yes {
        printer::err(&render_changes(&plan.changes));
        for w in &plan.warnings {
            printer::warning(w);
        }
        if !std::io::stdin().is_terminal() {
            return Err(CliError::failed(
                "not installing without confirmation, and there is no terminal to ask on",
            )
            .hint(Some("review the plan above and pass `--yes`")));
        }
        printer::err("Install? [y/N] ");
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| CliError::context(Exit::Failed, "cannot read the answer", e))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(CliError::failed(
                "nothing was changed: the plan was declined",
            ));
        }
    }
    let report = client.apply(plan)?;
    print_changes(opts, &report.changes, &report.warnings, Some(&report))
}

fn print_changes(
    opts: &ClientArgs,
    changes: &[Change],
    warnings: &[String],
    report: Option<&Report>,
) -> Result<(), CliError> {
    if opts.format == ClientFormat::Json {
        return match report {
            Some(r) => json_out(r),
            None => json_out(&serde_json::json!({ "changes": changes })),
        };
    }
    for w in warnings.iter().filter(|_| opts.yes) {
        printer::warning(w);
    }
    if changes.is_empty() {
        printer::status("nothing to change; everything is up to date");
    } else {
        printer::status(render_changes(changes).trim_end_matches('\n'));
        printer::status(&format!("done: `{}` is up to date", opts.dir.display()));
    }
    if let Some(r) = report {
        printer::status(&format!(
            "http: {} requests ({} not modified), {} bytes received, {} from the cache",
            r.http.requests, r.http.not_modified, r.http.bytes, r.http.cache_hits
        ));
    }
    Ok(())
}

fn render_changes(changes: &[Change]) -> String {
    let mut s = String::new();
    for c in changes {
        let name = shown(&c.name);
        let what = match (c.from.as_deref().map(shown), c.to.as_deref().map(shown)) {
            (None, Some(to)) => format!("+ {name} {to}"),
            (Some(from), Some(to)) => format!("~ {name} {from} -> {to}"),
            (Some(from), None) => format!("- {name} {from}"),
            (None, None) => continue,
        };
        let mut notes = Vec::new();
        if c.dependency {
            notes.push("dependency".to_owned());
        }
        if let Some(tier) = c.tier {
            notes.push(format!("tier {}", word(tier)));
        }
        if c.to.is_some() {
            notes.push(permissions(&c.permissions));
        }
        match notes.is_empty() {
            true => s.push_str(&format!("  {what}\n")),
            false => s.push_str(&format!("  {what} ({})\n", notes.join("; "))),
        }
    }
    s
}

fn render_list(listed: &[Listed]) -> String {
    if listed.is_empty() {
        return "no plugins installed\n".into();
    }
    let mut s = String::new();
    for p in listed {
        let mut flags = Vec::new();
        match &p.latest {
            Some(l) if *l != p.vers => flags.push(format!("latest {}", shown(l))),
            Some(_) => flags.push("latest".into()),
            None => {}
        }
        flags.extend(notes(&[
            ("YANKED", &p.yanked),
            ("deprecated", &p.deprecated),
            ("REVOKED", &p.revoked),
        ]));
        s.push_str(&format!(
            "{} {} ({})\n",
            shown(&p.name),
            shown(&p.vers),
            flags.join("; ")
        ));
    }
    s
}

/// `KEY: value` for each value present, the value escaped.
fn notes(fields: &[(&str, &Option<String>)]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k}: {}", shown(v))))
        .collect()
}

/// What `info` prints: first the facts of the signed index, then, marked as
/// such, the descriptive fields of the unsigned API document.
fn render_info(info: &Info) -> String {
    let mut s = format!("{}\n", shown(&info.name));
    let field = |k: &str, v: Option<&String>| {
        v.map(|v| format!("  {k}: {}\n", shown(v)))
            .unwrap_or_default()
    };
    s.push_str(&field("latest", info.latest.as_ref()));
    s.push_str(&field("installed", info.installed.as_ref()));
    s.push_str("  versions (from the signed index):\n");
    for v in &info.versions {
        let mut notes_of = vec![
            word(v.channel),
            format!("tier {}", word(v.tier)),
            format!("engine {}", shown(&v.engine)),
            permissions(&v.permissions),
        ];
        if let Some(signer) = &v.signer {
            notes_of.push(format!("signed by key {}", shown(signer)));
        }
        notes_of.extend(notes(&[
            ("yanked", &v.yanked),
            ("deprecated", &v.deprecated),
            ("REVOKED", &v.revoked),
        ]));
        s.push_str(&format!(
            "    {} ({})\n",
            shown(&v.vers),
            notes_of.join("; ")
        ));
    }
    let described = info.description.is_some()
        || info.license.is_some()
        || info.homepage.is_some()
        || !info.owners.is_empty();
    if described {
        s.push_str("  described by the registry's API (not signed):\n");
        s.push_str(&field("  description", info.description.as_ref()));
        s.push_str(&field("  license", info.license.as_ref()));
        s.push_str(&field("  homepage", info.homepage.as_ref()));
        if !info.owners.is_empty() {
            let owners: Vec<String> = info.owners.iter().map(|o| shown(o)).collect();
            s.push_str(&format!("    owners: {}\n", owners.join(", ")));
        }
    }
    s
}

/// The serde name of an enum value (`community`, `network`, `beta`).
fn word(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".into(),
    }
}

fn permissions(perms: &[crate::format::types::Permission]) -> String {
    if perms.is_empty() {
        return "no permissions".into();
    }
    let words: Vec<String> = perms.iter().map(word).collect();
    format!("permissions: {}", words.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::unpack::{self, Limits, UnpackError};

    fn unpack_failure(source: UnpackError) -> Exit {
        CliError::from(ClientError::Unpack {
            name: "git".into(),
            vers: "1.2.0".into(),
            archive: "git-1.2.0.tar.gz".into(),
            source,
        })
        .exit
    }

    /// docs/cli.md: an archive that cannot be written out (here: its
    /// folder's parent is a file, which fails for root too) is the job
    /// failing, 2; a damaged archive is the thing examined being bad, 1.
    #[test]
    fn an_archive_that_cannot_be_written_is_exit_2_a_damaged_one_exit_1() {
        let tmp = tempfile::tempdir().unwrap();
        let not_a_folder = tmp.path().join("plugins");
        std::fs::write(&not_a_folder, b"").unwrap();
        let archive = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("index/artifacts/git/git-1.2.0.tar.gz"),
        )
        .unwrap();
        let err = unpack::unpack(&archive, &not_a_folder.join("git"), Limits::default())
            .expect_err("nothing can be written under a file");
        assert!(matches!(err, UnpackError::Write { .. }), "{err:?}");
        assert_eq!(unpack_failure(err), Exit::Failed);
        let damaged = unpack::unpack(&archive[..200], &tmp.path().join("x"), Limits::default())
            .expect_err("a truncated archive");
        assert!(matches!(damaged, UnpackError::Damaged(_)), "{damaged:?}");
        assert_eq!(unpack_failure(damaged), Exit::Invalid);
    }
}
