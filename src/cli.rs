//! Command-line types only; `commands` maps them onto the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate as plugdex;
use crate::printer::Format;

#[derive(Debug, Parser)]
#[command(
    name = "plugdex",
    version = crate::commands::VERSION,
    about = "Turns a git repository of plugin manifests into a signed, static plugin registry, and installs plugins from one"
)]
pub struct Cli {
    /// Colour the messages on stderr: `auto` on a terminal (`NO_COLOR` and
    /// `CLICOLOR_FORCE` are honoured), `always` or `never`.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: crate::printer::ColorChoice,
    /// Print errors only.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail of what is done.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    pub fn verbosity(&self) -> crate::printer::Verbosity {
        use crate::printer::Verbosity;
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (_, true) => Verbosity::Verbose,
            _ => Verbosity::Normal,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate every manifest of an index repo and report every problem at once.
    ///
    /// Exit status: 0 when valid (warnings allowed), 1 when the index has
    /// errors, 2 on usage or internal errors.
    ///
    /// With `--base`, checks a change (a pull request) read from git: what it
    /// touches in full, plus ownership, immutability of published versions,
    /// new names and registry files; prints a classification
    /// (`auto-mergeable`, `needs-review` or `rejected`; exit 1 when rejected).
    Check {
        /// The index repo folder.
        #[arg(long, default_value = "index")]
        index: PathBuf,
        /// How to print diagnostics: `human` (stderr), `json` or `github` annotations (stdout).
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Check the index as committed in this revision (e.g. `HEAD`) instead
        /// of the folder: uncommitted edits are ignored.
        #[arg(long, value_name = "REV", conflicts_with = "base")]
        rev: Option<String>,
        /// Check the change from this revision (the pull request's base) to `--head`.
        #[arg(long)]
        base: Option<String>,
        /// The revision with the change.
        #[arg(long, default_value = "HEAD", requires = "base")]
        head: String,
        /// GitHub login of the change's author; default `$PLUGDEX_AUTHOR`, else `$GITHUB_ACTOR`.
        #[arg(long, requires = "base")]
        author: Option<String>,
        /// Write the verdict as Markdown here (also appended to `$GITHUB_STEP_SUMMARY` when set).
        #[arg(long, requires = "base")]
        summary: Option<PathBuf>,
        /// Download each new release's external artifact and verify its size and SHA-256.
        #[arg(long, requires = "base")]
        fetch: bool,
    },
    /// Check the index, then write the static registry: sparse index, API,
    /// names list, artifacts and host configuration.
    ///
    /// The previous output stays complete and untouched until the new one
    /// replaces it in one step; unchanged files are not rewritten.
    /// Exit status: 0 when built, 1 when the index has errors (nothing is
    /// written), 2 on usage or internal errors.
    Build {
        /// The index repo folder.
        #[arg(long, default_value = "index")]
        index: PathBuf,
        /// The output folder.
        #[arg(long, default_value = "dist")]
        out: PathBuf,
        /// Serve from this URL instead of `registry.toml`'s `base_url`.
        #[arg(long)]
        base_url: Option<String>,
        /// Write the paths that changed (one per line, `/`-prefixed) to this file.
        #[arg(long)]
        changed: Option<PathBuf>,
        /// The online signing key (PEM, OpenSSH or base64 seed). Also read from
        /// the `PLUGDEX_SIGNING_KEY` environment variable, which holds the key
        /// itself (a CI secret). Without either, a registry whose
        /// `registry.toml` has `[signing]` is refused (exit 2).
        #[arg(long)]
        signing_key: Option<PathBuf>,
        /// Build unsigned although `registry.toml` has `[signing]` (a local
        /// preview: every verifying client refuses it).
        #[arg(long)]
        allow_unsigned: bool,
        /// A copy of the previous output (the live site, or a cache of it):
        /// the previous generation's `by-hash/` files are kept from it when
        /// `--out` lacks them, as on a fresh CI runner.
        #[arg(long, value_name = "DIR")]
        previous: Option<PathBuf>,
        /// Days until the signed timestamp expires; rebuild (e.g. daily) before then.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=366))]
        expires_in: u32,
        /// How to print diagnostics: `human` (stderr), `json` or `github` annotations (stdout).
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Build the index as committed in this revision (e.g. `HEAD`) instead
        /// of the folder: uncommitted edits are ignored and every publication
        /// time comes from git. What CI should publish.
        #[arg(long, value_name = "REV")]
        rev: Option<String>,
        /// Sign a `SOURCE_DATE_EPOCH` more than an hour ahead of the clock.
        /// Without it such a build is refused: every client that installed
        /// from it would refuse normal builds as rollbacks until that time.
        #[arg(long)]
        allow_signing_time_skew: bool,
        /// Download counts for search ranking and the site's "Popular" list:
        /// JSON `{"<plugin>": {"downloads": N}, …}` (other keys ignored), e.g. a CDN's counts.
        #[arg(long, value_name = "FILE")]
        stats: Option<PathBuf>,
        /// Write no HTML site: only the registry, the API and the host files.
        #[arg(long)]
        no_site: bool,
    },
    /// Serve a built registry for local preview, with the headers and
    /// redirects its `_headers` and `_redirects` describe.
    ///
    /// With `--index`, first builds that index for the address served
    /// (base URL `http://ADDR/`, so self-hosted artifacts download from the
    /// preview), signed like `build`, into `--dir` (default `dist-preview`,
    /// never `dist`: a preview's URLs must not be published).
    Serve {
        /// The folder to serve: default `dist`, or `dist-preview` with `--index`.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8000")]
        addr: String,
        /// Build this index repo for the preview's own URL before serving it.
        #[arg(long)]
        index: Option<PathBuf>,
        /// The online signing key for the preview build (as `build --signing-key`;
        /// also `PLUGDEX_SIGNING_KEY`).
        #[arg(long, requires = "index")]
        signing_key: Option<PathBuf>,
        /// Build the preview unsigned although `registry.toml` has `[signing]`.
        #[arg(long, requires = "index")]
        allow_unsigned: bool,
    },
    /// Start a new index repo in DIR (new or empty): `registry.toml`, the
    /// JSON Schemas, `.taplo.toml`, workflows calling plugdex's reusable
    /// workflows, a README, and a root and an online key in `--keys` (outside
    /// the repo) with the delegation signed. Asks for what no flag gives,
    /// only on a terminal.
    Init {
        /// The folder of the new index repo.
        dir: PathBuf,
        /// The registry's id, a DNS-style name (e.g. `plugins.example.org`).
        #[arg(long)]
        id: Option<String>,
        /// Its human title (default: the id).
        #[arg(long)]
        title: Option<String>,
        /// The `https` URL it will be served from (default `https://ID/`).
        #[arg(long)]
        base_url: Option<String>,
        /// The host application's name, which plugins' `engine` requirements refer to.
        #[arg(long)]
        engine: Option<String>,
        /// Where to write `root.pem` and `online.pem` (default
        /// `$XDG_CONFIG_HOME/plugdex/keys/ID`, else `~/.config/plugdex/keys/ID`).
        #[arg(long, value_name = "KEYDIR")]
        keys: Option<PathBuf>,
    },
    /// Add a plugin: `plugins/SHARD/NAME/plugin.toml`, after checking the name
    /// is valid, free and not confusable with another; then check the index.
    New {
        /// The plugin's name.
        name: String,
        /// The index repo folder.
        #[arg(long, default_value = "index")]
        index: PathBuf,
        /// The owner's GitHub login (default: git config `github.user`).
        #[arg(long, value_name = "LOGIN")]
        owner: Option<String>,
        /// The owner's public key, or a file holding it (`~/.ssh/id_ed25519.pub`,
        /// a minisign `.pub`, raw base64).
        #[arg(long, value_name = "PUBLIC_KEY")]
        key: Option<String>,
        /// One line about the plugin.
        #[arg(long, default_value = "TODO: one line about what the plugin does")]
        description: String,
        /// Its SPDX license expression.
        #[arg(long, default_value = "MIT")]
        license: String,
    },
    /// Publish a version: `versions/VERSION.toml` with the artifact's size
    /// and SHA-256 (a file is copied into `artifacts/NAME/`, a URL downloaded
    /// once), facts carried over from the previous version unless given,
    /// signed with `--sign`; then check the index.
    Release {
        /// The plugin's name.
        name: String,
        /// The new version (SemVer; a pre-release goes on the beta channel).
        version: String,
        /// The index repo folder.
        #[arg(long, default_value = "index")]
        index: PathBuf,
        /// The artifact: a file to self-host, or an `https` URL. Repeat it as
        /// `PLATFORM=FILE|URL` for one artifact per platform (`linux-x86_64`,
        /// `macos-aarch64`, or `macos` for every CPU); a plain one beside them
        /// serves the other platforms.
        #[arg(long, value_name = "[PLATFORM=]FILE|URL", required = true)]
        artifact: Vec<String>,
        /// Sign the release with this secret key (as `plugdex sign --key`).
        #[arg(long, value_name = "SECRET_KEY_FILE")]
        sign: Option<PathBuf>,
        /// The SemVer requirement on the host engine (default: the previous version's).
        #[arg(long, value_name = "REQ")]
        engine: Option<String>,
        /// The entry point inside the artifact (default: the previous version's).
        #[arg(long)]
        entry: Option<String>,
        /// wasm, native, script or docker (default: the previous version's).
        #[arg(long, value_parser = crate::commands::release::parse_runtime)]
        runtime: Option<crate::format::types::Runtime>,
        /// Seconds the download of a URL may take.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Create an ed25519 key pair: the secret key as PKCS#8 PEM (readable by
    /// openssl), the public key printed in the forms `plugin.toml` accepts.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["out", "show"])))]
    Keygen {
        /// Where to write the secret key (created with mode 0600; never overwritten).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the public key of an existing secret key instead.
        #[arg(long)]
        show: Option<PathBuf>,
    },
    /// Print the canonical statement an owner signs for one release, to sign
    /// with minisign, ssh-keygen or openssl (see docs/trust.md, "Signing a release").
    Statement {
        /// The index repo folder.
        #[arg(long, default_value = "index")]
        index: PathBuf,
        /// The version manifest, e.g. `index/plugins/3/g/git/versions/1.2.0.toml`.
        manifest: PathBuf,
    },
    /// Sign releases and write the signature into their manifests.
    Sign {
        /// The index repo folder.
        #[arg(long, default_value = "index")]
        index: PathBuf,
        /// The secret key: PKCS#8 PEM (`plugdex keygen`, `openssl genpkey`) or an OpenSSH key;
        /// an encrypted one takes its passphrase from `PLUGDEX_KEY_PASSPHRASE` or a prompt.
        #[arg(long)]
        key: PathBuf,
        /// The signature format to write.
        #[arg(long, value_enum, default_value = "raw")]
        format: plugdex::sign::SigOutput,
        /// Version manifests to sign.
        #[arg(required = true)]
        manifests: Vec<PathBuf>,
    },
    /// Check one release's signature against its plugin's owner keys.
    Verify {
        /// The index repo folder.
        #[arg(long, default_value = "index")]
        index: PathBuf,
        /// The version manifest.
        manifest: PathBuf,
    },
    /// Sign, with a root key, the delegation to `registry.toml`'s online key;
    /// prints the signature to add to `signing.online_key_signatures`.
    Delegate {
        /// The index repo folder.
        #[arg(long, default_value = "index")]
        index: PathBuf,
        /// A root secret key.
        #[arg(long)]
        root_key: PathBuf,
    },
    /// Print the JSON Schema of one kind of index file or published document,
    /// or every index file's as one JSON object keyed by file name; or write
    /// the index files' into a folder.
    Schema {
        /// An index file (`registry`, `plugin`, `version`, `reviewed`,
        /// `revocations`) or a published document (`config`, `index-line`,
        /// `api-plugin`, `api-versions`, `api-audit`, `api-plugins`, `names`,
        /// `names-page`, `revocations-json`, `root`, `timestamp`, `snapshot-node`).
        #[arg(value_parser = [
            "registry", "plugin", "version", "reviewed", "revocations",
            "config", "index-line", "api-plugin", "api-versions", "api-audit", "api-plugins",
            "names", "names-page", "revocations-json", "root", "timestamp", "snapshot-node",
        ], conflicts_with = "write")]
        kind: Option<String>,
        /// Write `registry.schema.json`, `plugin.schema.json` and `version.schema.json` here.
        #[arg(long)]
        write: Option<PathBuf>,
        /// Exit 1 if the files in `--write` differ from the current schemas, instead of writing.
        #[arg(long, requires = "write")]
        check: bool,
    },
    /// Check a published registry as a client would: its signatures, the
    /// timestamp's expiry, and with `--deep` every file the snapshot names.
    ///
    /// Exit status: 0 when healthy, 1 when anything is wrong or the timestamp
    /// expires within `--warn-days`, 2 when the registry cannot be reached.
    Status {
        /// The registry's base URL.
        #[arg(long)]
        registry: String,
        /// Also fetch every file the snapshot names, and its `by-hash/` copy,
        /// and compare them with the snapshot (a mirror check).
        #[arg(long)]
        deep: bool,
        /// A timestamp expiring within this many days is a problem.
        #[arg(long, default_value_t = 2)]
        warn_days: u32,
        /// A root public key to pin (raw base64; repeat for several). Default:
        /// the keys `config.json` names.
        #[arg(long = "root-key", value_name = "KEY")]
        root_keys: Vec<String>,
        /// Seconds each HTTP request may take.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Print a shell completion script (e.g. `plugdex completions bash >
    /// /etc/bash_completion.d/plugdex`).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), made from these definitions:
    /// `plugdex man | man -l -`.
    Man,
    #[command(flatten)]
    Client(ClientCommand),
}

/// The client's commands: install from a published registry.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Install plugins (`NAME` or `NAME@REQ`) and their dependencies, after
    /// verifying the registry's signatures, each release's author signature
    /// and each artifact's hash. Shows the permissions and asks first.
    Install {
        #[arg(required = true, value_name = "NAME[@REQ]")]
        plugins: Vec<String>,
        #[command(flatten)]
        opts: ClientArgs,
    },
    /// Update installed plugins (all of this registry's when none are named).
    Update {
        plugins: Vec<String>,
        #[command(flatten)]
        opts: ClientArgs,
    },
    /// Remove plugins, and the dependencies nothing else needs.
    Remove {
        #[arg(required = true)]
        plugins: Vec<String>,
        #[command(flatten)]
        opts: ClientArgs,
    },
    /// List installed plugins, with the latest version available and whether
    /// the installed one is yanked, deprecated or revoked.
    List {
        #[command(flatten)]
        opts: ClientArgs,
    },
    /// Show a plugin's facts, versions, owners, permissions and trust tier.
    Info {
        plugin: String,
        #[command(flatten)]
        opts: ClientArgs,
    },
    /// Search a registry's plugins (offline from its cached, verified search
    /// bundle with `--offline`), or a local build with `--dist`. `--engine`
    /// keeps plugins with a non-yanked version whose engine requirement
    /// accepts that host version.
    Search {
        /// The words to look for (the last one also as a prefix, unless the query ends with a space).
        #[arg(required = true, value_name = "QUERY")]
        query: Vec<String>,
        #[command(flatten)]
        search: SearchArgs,
        #[command(flatten)]
        opts: ClientArgs,
    },
}

/// What `search` narrows and shows.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Search the bundle of a local build (the folder `build` wrote) instead of a registry.
    #[arg(long, value_name = "DIR", conflicts_with = "registry")]
    pub dist: Option<PathBuf>,
    /// How many results to show.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub limit: u16,
    /// Only plugins with this tag (repeat to require several).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only plugins whose latest version has this runtime.
    #[arg(long, value_parser = ["wasm", "native", "script", "docker"])]
    pub runtime: Option<String>,
    /// Only plugins whose latest version is in this trust tier.
    #[arg(long, value_parser = ["verified", "community", "experimental"])]
    pub tier: Option<String>,
    /// Only plugins whose latest version does not ask for this permission (repeatable).
    #[arg(long = "without-permission", value_name = "PERMISSION", value_parser = ["filesystem", "network", "process", "env", "clipboard", "notifications", "keychain"])]
    pub without_permissions: Vec<String>,
    /// Show why each result ranks where it does.
    #[arg(long)]
    pub explain: bool,
}

/// Options every client command takes.
#[derive(Debug, clap::Args)]
pub struct ClientArgs {
    /// The registry: a URL or a name from the config file (default: `PLUGDEX_REGISTRY`, then the config file's `default`).
    #[arg(long)]
    pub registry: Option<String>,
    /// The plugins folder; its lock file (`DIR.lock`) and state (`DIR.state.json`) live beside it.
    #[arg(long, default_value = "plugins")]
    pub dir: PathBuf,
    /// The HTTP cache (default: `PLUGDEX_CACHE_DIR`, `$XDG_CACHE_HOME/plugdex`, `~/.cache/plugdex`).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Use the cache only; no network.
    #[arg(long)]
    pub offline: bool,
    /// The host application's version: releases whose `engine` excludes it are skipped.
    #[arg(long)]
    pub engine: Option<semver::Version>,
    /// `beta` also offers pre-releases on the beta channel.
    #[arg(long, value_enum, default_value = "stable")]
    pub channel: ChannelArg,
    /// Allow releases of the `experimental` tier (not signed by their authors).
    #[arg(long)]
    pub allow_experimental: bool,
    /// Install without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Seconds each HTTP request may take.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Install the artifacts of this platform, `OS-ARCH` (e.g. `linux-x86_64`,
    /// `macos-aarch64`), instead of this machine's.
    #[arg(long, value_parser = parse_platform)]
    pub platform: Option<crate::format::types::Platform>,
    /// `human` (default) or `json` on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ClientFormat,
}

fn parse_platform(s: &str) -> Result<crate::format::types::Platform, String> {
    s.parse()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ChannelArg {
    Stable,
    Beta,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientFormat {
    Human,
    Json,
}
