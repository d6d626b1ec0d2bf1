//! `plugdex completions SHELL` and `plugdex man`: both made from the clap
//! definitions in `cli`, so they cannot fall behind the commands.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{CliError, Exit};
use crate::printer;

pub fn completions(shell: clap_complete::Shell) -> Result<Exit, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "plugdex", &mut script);
    printer::out(&String::from_utf8_lossy(&script))?;
    Ok(Exit::Done)
}

/// The manual page in roff: the top-level page, then one section per command.
pub fn man() -> Result<Exit, CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    printer::out(&String::from_utf8_lossy(&page))?;
    Ok(Exit::Done)
}
