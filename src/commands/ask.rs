//! Questions on the terminal, asked only when there is one: every answer
//! also has a flag, so scripts and CI never wait on a prompt.

use std::io::{BufRead, IsTerminal};

use crate::error::{CliError, Exit};
use crate::printer;

/// `answer` when given; else the user's reply to `question` on a terminal
/// (`default` when they just press Enter); else `default`, or an error
/// naming `flag` when there is none.
pub fn answer(
    given: Option<String>,
    question: &str,
    default: Option<&str>,
    flag: &str,
) -> Result<String, CliError> {
    if let Some(given) = given {
        return Ok(given);
    }
    if !std::io::stdin().is_terminal() {
        return default.map(str::to_owned).ok_or_else(|| {
            CliError::failed(format!(
                "no {question} given, and there is no terminal to ask on"
            ))
            .hint(Some(format!("pass `{flag}`")))
        });
    }
    loop {
        match default {
            Some(d) => printer::err(&format!("{question} [{d}]: ")),
            None => printer::err(&format!("{question}: ")),
        }
        let mut line = String::new();
        let read = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::context(Exit::Failed, "cannot read the answer", e))?;
        if read == 0 {
            return Err(
                CliError::failed(format!("no {question} given (end of input)"))
                    .hint(Some(format!("pass `{flag}`"))),
            );
        }
        match (line.trim(), default) {
            ("", Some(d)) => return Ok(d.to_owned()),
            ("", None) => continue,
            (text, _) => return Ok(text.to_owned()),
        }
    }
}
