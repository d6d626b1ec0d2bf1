//! The client commands of the binary: builds `client::Options` from flags,
//! the environment and the config file, asks before installing, and prints
//! (human text on stderr and stdout, or JSON on stdout). Returns whether the
//! command succeeded; a refused or failed command prints `error:` (and
//! `hint:`) itself and exits 1.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use plugdex::cli::{ChannelArg, ClientArgs, ClientCommand, ClientFormat};
use plugdex::client::commands::{self, Change, Info, Listed, Report};
use plugdex::client::config::{self, ConfigFile};
use plugdex::client::resolve::{Policy, Request};
use plugdex::client::{Client, ClientError, Options};
use plugdex::manifest::types::Channel;

type BoxError = Box<dyn std::error::Error>;

pub fn run(command: ClientCommand) -> Result<bool, BoxError> {
    match execute(command) {
        Ok(()) => Ok(true),
        Err(Failure::Client(e)) => {
            eprintln!("error: {e}");
            if let Some(h) = e.hint() {
                eprintln!("hint: {h}");
            }
            Ok(false)
        }
        Err(Failure::Declined(why)) => {
            eprintln!("{why}");
            Ok(false)
        }
        Err(Failure::Other(e)) => Err(e),
    }
}

enum Failure {
    Client(ClientError),
    /// Nothing was done, on purpose (the user said no, or could not be asked).
    Declined(String),
    Other(BoxError),
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Failure {
        Failure::Client(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Other(e.into())
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn client(args: &ClientArgs) -> Result<Client, ClientError> {
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
    Client::new(Options {
        registry,
        dir: args.dir.clone(),
        cache_dir,
        offline: args.offline,
        policy: Policy {
            engine: args.engine.clone(),
            channel: match args.channel {
                ChannelArg::Stable => Channel::Stable,
                ChannelArg::Beta => Channel::Beta,
            },
            allow_experimental: args.allow_experimental,
        },
        now: jiff::Timestamp::now().as_second(),
        timeout: Duration::from_secs(args.timeout.max(1)),
        limits: Default::default(),
    })
}

fn execute(command: ClientCommand) -> Result<(), Failure> {
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
                ClientFormat::Human => {
                    print!("{}", render_list(&listed));
                    Ok(())
                }
            }
        }
        ClientCommand::Info { plugin, opts } => {
            let info = client(&opts)?.info(&plugin)?;
            match opts.format {
                ClientFormat::Json => json_out(&info),
                ClientFormat::Human => {
                    print!("{}", render_info(&info));
                    Ok(())
                }
            }
        }
    }
}

fn json_out(value: &impl serde::Serialize) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| Failure::Other(e.into()))?;
    writeln!(out)?;
    Ok(())
}

fn confirm_and_apply(
    client: &Client,
    plan: commands::Plan<'_>,
    opts: &ClientArgs,
) -> Result<(), Failure> {
    let installs = plan.changes.iter().any(|c| c.to.is_some());
    if installs && !opts.yes {
        eprint!("{}", render_changes(&plan.changes));
        for w in &plan.warnings {
            eprintln!("warning: {w}");
        }
        if !std::io::stdin().is_terminal() {
            return Err(Failure::Declined(
                "error: not installing without confirmation, and there is no terminal to ask on\nhint: review the plan above and pass `--yes`".into(),
            ));
        }
        eprint!("Install? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(Failure::Declined("nothing was changed".into()));
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
) -> Result<(), Failure> {
    if opts.format == ClientFormat::Json {
        return match report {
            Some(r) => json_out(r),
            None => json_out(&serde_json::json!({ "changes": changes })),
        };
    }
    for w in warnings.iter().filter(|_| opts.yes) {
        eprintln!("warning: {w}");
    }
    if changes.is_empty() {
        eprintln!("nothing to change; everything is up to date");
    } else {
        eprint!("{}", render_changes(changes));
        eprintln!("done: `{}` is up to date", opts.dir.display());
    }
    if let Some(r) = report {
        eprintln!(
            "http: {} requests ({} not modified), {} bytes received, {} from the cache",
            r.http.requests, r.http.not_modified, r.http.bytes, r.http.cache_hits
        );
    }
    Ok(())
}

fn render_changes(changes: &[Change]) -> String {
    let mut s = String::new();
    for c in changes {
        let what = match (&c.from, &c.to) {
            (None, Some(to)) => format!("+ {} {to}", c.name),
            (Some(from), Some(to)) => format!("~ {} {from} -> {to}", c.name),
            (Some(from), None) => format!("- {} {from}", c.name),
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
            Some(l) if *l != p.vers => flags.push(format!("latest {l}")),
            Some(_) => flags.push("latest".into()),
            None => {}
        }
        if let Some(r) = &p.yanked {
            flags.push(format!("YANKED: {r}"));
        }
        if let Some(d) = &p.deprecated {
            flags.push(format!("deprecated: {d}"));
        }
        if let Some(r) = &p.revoked {
            flags.push(format!("REVOKED: {r}"));
        }
        s.push_str(&format!("{} {} ({})\n", p.name, p.vers, flags.join("; ")));
    }
    s
}

fn render_info(info: &Info) -> String {
    let mut s = format!("{}\n", info.name);
    if let Some(d) = &info.description {
        s.push_str(&format!("  {d}\n"));
    }
    let field =
        |k: &str, v: Option<&String>| v.map(|v| format!("  {k}: {v}\n")).unwrap_or_default();
    s.push_str(&field("license", info.license.as_ref()));
    s.push_str(&field("homepage", info.homepage.as_ref()));
    if !info.owners.is_empty() {
        s.push_str(&format!("  owners: {}\n", info.owners.join(", ")));
    }
    s.push_str(&field("latest", info.latest.as_ref()));
    s.push_str(&field("installed", info.installed.as_ref()));
    s.push_str("  versions:\n");
    for v in &info.versions {
        let mut notes = vec![
            word(v.channel),
            format!("tier {}", word(v.tier)),
            format!("engine {}", v.engine),
            permissions(&v.permissions),
        ];
        for (k, val) in [
            ("yanked", &v.yanked),
            ("deprecated", &v.deprecated),
            ("REVOKED", &v.revoked),
        ] {
            if let Some(val) = val {
                notes.push(format!("{k}: {val}"));
            }
        }
        s.push_str(&format!("    {} ({})\n", v.vers, notes.join("; ")));
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

fn permissions(perms: &[plugdex::manifest::types::Permission]) -> String {
    if perms.is_empty() {
        return "no permissions".into();
    }
    let words: Vec<String> = perms.iter().map(word).collect();
    format!("permissions: {}", words.join(", "))
}
