//! The binary's one error type: what went wrong, what the user can do about
//! it, the causes behind it, and the exit status it ends with. Every command
//! returns it; `main` prints it once through `printer::error_report`.

use std::error::Error as StdError;
use std::io;

/// The exit status, the same for every command (docs/cli.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Done,
    /// 1: the thing examined is bad (an invalid index, a rejected pull
    /// request, a signature or registry that does not verify, a download
    /// refused).
    Invalid,
    /// 2: the job could not be done (usage, I/O, network, internal error).
    Failed,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Done => 0,
            Exit::Invalid => 1,
            Exit::Failed => 2,
        }
    }
}

#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
    pub hint: Option<String>,
    /// The error the message was made from; its `source()` chain is printed
    /// as `caused by:` lines, each unless its text is already shown.
    pub cause: Option<Box<dyn StdError + 'static>>,
}

impl CliError {
    /// The job could not be done (exit 2).
    pub fn failed(message: impl Into<String>) -> CliError {
        CliError {
            exit: Exit::Failed,
            message: message.into(),
            hint: None,
            cause: None,
        }
    }

    /// The thing examined is bad (exit 1).
    pub fn invalid(message: impl Into<String>) -> CliError {
        CliError {
            exit: Exit::Invalid,
            ..CliError::failed(message)
        }
    }

    /// `e` as the message, its causes after it.
    pub fn from_error(exit: Exit, e: impl StdError + 'static) -> CliError {
        CliError {
            exit,
            message: e.to_string(),
            hint: None,
            cause: Some(Box::new(e)),
        }
    }

    /// A message of ours in front of `e`, which becomes the first cause.
    pub fn context(exit: Exit, message: impl Into<String>, e: impl StdError + 'static) -> CliError {
        CliError {
            exit,
            message: message.into(),
            hint: None,
            cause: Some(Box::new(e)),
        }
    }

    pub fn hint(mut self, hint: Option<impl Into<String>>) -> CliError {
        self.hint = hint.map(Into::into);
        self
    }

    /// The causes to print after the message: the chain below the error the
    /// message was made from (or from that error itself when the message is
    /// ours), leaving out any whose text is already in what came before, as
    /// messages that embed `{source}` would otherwise show it twice.
    pub fn causes(&self) -> Vec<String> {
        let mut shown = self.message.clone();
        let mut out = Vec::new();
        let mut next: Option<&(dyn StdError + 'static)> = self.cause.as_deref();
        while let Some(e) = next {
            let text = e.to_string();
            if !text.is_empty() && !shown.contains(&text) {
                shown.push('\n');
                shown.push_str(&text);
                out.push(text);
            }
            next = e.source();
        }
        out
    }

    /// A closed stdout (`plugdex schema | head -c1`): the reader had enough,
    /// which is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        let mut next: Option<&(dyn StdError + 'static)> = self.cause.as_deref();
        while let Some(e) = next {
            if e.downcast_ref::<io::Error>()
                .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            {
                return true;
            }
            next = e.source();
        }
        false
    }
}

/// An I/O error that reached the top without a path of its own: writing to
/// stdout or stderr, reading the terminal.
impl From<io::Error> for CliError {
    fn from(e: io::Error) -> CliError {
        CliError::context(Exit::Failed, "cannot write the output", e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read `x`: {source}")]
    struct Embeds {
        source: io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read `x`")]
    struct Wraps {
        source: io::Error,
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = || io::Error::new(io::ErrorKind::NotFound, "no such file");
        let e = CliError::from_error(Exit::Failed, Embeds { source: io() });
        assert_eq!(e.causes(), Vec::<String>::new());
        let e = CliError::from_error(Exit::Failed, Wraps { source: io() });
        assert_eq!(e.causes(), vec!["no such file".to_owned()]);
    }

    #[test]
    fn a_broken_pipe_is_found_below_the_message() {
        let pipe = io::Error::new(io::ErrorKind::BrokenPipe, "closed");
        assert!(CliError::from(pipe).is_broken_pipe());
        let other = io::Error::other("disk full");
        assert!(!CliError::from(other).is_broken_pipe());
    }
}
