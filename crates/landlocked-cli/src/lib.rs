//! `landlocked`: run a command in a Landlock sandbox, say what the kernel offers, check policy
//! files. The binary is `main` below; the command line's declarations ([`cli::command`]) are
//! also what `cargo xtask man` renders.

/// `writeln!` into a `String` (which cannot fail): output is built whole, then written once.
macro_rules! emit {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

mod check;
pub mod cli;
mod denials;
mod learn;
pub(crate) mod run;
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

/// Writes `text` to standard output: a full disk is an error of its own (a closed pipe ends the
/// process quietly with SIGPIPE, as for any Unix filter).
pub(crate) fn write_stdout(text: &str) -> Result<(), Fail> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| fail(format!("cannot write the output: {e}")))
}

/// One line on stderr; a stderr that cannot be written to is no reason to stop (nor to panic).
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "landlocked: {line}");
}

/// One line on stderr, unless `quiet`.
pub fn warn(quiet: bool, message: &str) {
    if !quiet {
        say(&format!("warning: {}", one_line(message)));
    }
}

/// One line on stderr that is no warning (what was done), unless `quiet`.
pub fn warn_info(quiet: bool, message: &str) {
    if !quiet {
        say(&one_line(message));
    }
}

fn one_line(message: &str) -> String {
    message.replace(['\n', '\r'], " ")
}

fn dispatch(cli: Cli) -> Result<i32, Fail> {
    match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Learn(args) => learn::learn(*args),
        Command::Denials(args) => denials::denials(&args),
        Command::Status(args) if args.syscall_groups => status::syscall_groups(args.json),
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
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut cli::command(), "landlocked", &mut text);
            write_stdout(&String::from_utf8_lossy(&text))?;
            Ok(0)
        }
    }
}

/// Parses `args` (the program name first) and runs the command: its exit status.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    // Rust's runtime ignores SIGPIPE, which turns a closed pipe into a panic on the next write;
    // a filter should just end. The command executed inherits the default either way.
    // SAFETY: setting a signal's disposition to its default, before any thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let parsed = Cli::command().try_get_matches_from(args).and_then(|m| Cli::from_arg_matches(&m));
    let result = match parsed {
        Ok(cli) => dispatch(cli),
        Err(e) => usage::handle(e),
    };
    let code = match result {
        Ok(code) => code,
        Err(f) => {
            say(&one_line(&f.message));
            f.code
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(125))
}
