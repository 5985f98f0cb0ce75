//! `landlocked`: run a command in a Landlock sandbox, say what the kernel offers, check policy
//! files. The binary is `main` below; the command line's declarations ([`cli::command`]) are
//! also what `cargo xtask man` renders.

mod check;
pub mod cli;
mod run;
mod status;
mod usage;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use cli::{Cli, Command};

/// A failure of landlocked itself: the exit status and the one-line message.
#[derive(Debug)]
pub struct Fail {
    pub code: i32,
    pub message: String,
}

/// A failure with exit status 125.
pub fn fail(message: impl Into<String>) -> Fail {
    Fail { code: 125, message: message.into() }
}

/// One line on stderr, unless `quiet`.
pub fn warn(quiet: bool, message: &str) {
    if !quiet {
        eprintln!("landlocked: warning: {}", one_line(message));
    }
}

fn one_line(message: &str) -> String {
    message.replace(['\n', '\r'], " ")
}

fn dispatch(cli: Cli) -> Result<i32, Fail> {
    match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Status(args) => status::status(args.json),
        Command::Check(args) => check::check(&args),
        Command::Completions(args) => {
            use clap_complete::Shell as S;
            let shell = match args.shell {
                cli::Shell::Bash => S::Bash,
                cli::Shell::Zsh => S::Zsh,
                cli::Shell::Fish => S::Fish,
                cli::Shell::Elvish => S::Elvish,
                cli::Shell::PowerShell => S::PowerShell,
            };
            clap_complete::generate(
                shell,
                &mut cli::command(),
                "landlocked",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
    }
}

/// Parses `args` (the program name first) and runs the command: its exit status.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let parsed = Cli::command().try_get_matches_from(args).and_then(|m| Cli::from_arg_matches(&m));
    let result = match parsed {
        Ok(cli) => dispatch(cli),
        Err(e) => usage::handle(e),
    };
    let code = match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("landlocked: {}", one_line(&f.message));
            f.code
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(125))
}
