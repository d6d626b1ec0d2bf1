//! Command-line types only; `main` maps them onto the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::printer::Format;

#[derive(Debug, Parser)]
#[command(
    name = "plugdex",
    version,
    about = "Turns a git repository of plugin manifests into a signed, static plugin registry"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate every manifest of an index repo and report every problem at once.
    ///
    /// Exit status: 0 when valid (warnings allowed), 1 when the index has
    /// errors, 2 on usage or internal errors.
    Check {
        /// The index repo folder.
        #[arg(long, default_value = "index")]
        index: PathBuf,
        /// How to print diagnostics: `human` (stderr), `json` or `github` annotations (stdout).
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
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
        /// How to print diagnostics: `human` (stderr), `json` or `github` annotations (stdout).
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Serve a built registry for local preview, with the headers and
    /// redirects its `_headers` and `_redirects` describe.
    Serve {
        /// The folder `build` wrote.
        #[arg(long, default_value = "dist")]
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8000")]
        addr: String,
    },
    /// Print the JSON Schemas of the index files, or write them into a folder.
    Schema {
        /// Write `registry.schema.json`, `plugin.schema.json` and `version.schema.json` here.
        #[arg(long)]
        write: Option<PathBuf>,
        /// Exit 1 if the files in `--write` differ from the current schemas, instead of writing.
        #[arg(long, requires = "write")]
        check: bool,
    },
}
