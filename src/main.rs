//! The entry point: parse the command line, set up the terminal and
//! libgit2, run the command, print its error once, and exit with its
//! status (docs/cli.md: 0 done, 1 the thing examined is bad, 2 the job
//! could not be done).

use std::process::ExitCode;

use clap::Parser;
use plugdex::cli::Cli;
use plugdex::error::Exit;

// Checking a large index makes millions of small allocations; mimalloc
// makes them markedly cheaper than glibc's allocator (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    plugdex::timings::start();
    let cli = Cli::parse();
    plugdex::printer::configure(cli.color, cli.verbosity());
    plugdex::commands::tune_libgit2(&cli.command);
    let exit = match plugdex::commands::run(cli) {
        Ok(exit) => exit,
        // The reader of stdout had enough (`plugdex schema | head -c1`).
        Err(e) if e.is_broken_pipe() => Exit::Done,
        Err(e) => {
            plugdex::printer::err(&plugdex::printer::error_report(&e));
            e.exit
        }
    };
    ExitCode::from(exit.code())
}
