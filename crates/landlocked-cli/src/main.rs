//! `landlocked`: run a command in a Landlock sandbox, say what the kernel offers, check policy
//! files.

mod args;
mod check;
mod run;
mod status;

use std::process::ExitCode;

use args::Args;

const HELP: &str = "\
usage: landlocked COMMAND [OPTIONS] [ARGS...]

Landlock sandboxing from the command line.

commands:
  run [OPTIONS] -- COMMAND [ARGS...]   run COMMAND in a sandbox
  status [--json]                      what this kernel's Landlock can enforce
  check [--json] POLICY                validate a policy file, say what this kernel would enforce
  help [COMMAND]                       this help, or a command's

Examples:
  landlocked run --ldd --ro /etc --rw /tmp -- sort /etc/passwd -o /tmp/sorted
  landlocked status --json
  landlocked check /etc/landlocked/web.toml

`landlocked COMMAND --help` tells more.
";

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

fn dispatch(args: &mut Args) -> Result<i32, Fail> {
    let Some(command) = args.next_word() else {
        return Err(fail("no command given: run, status, check or help (landlocked --help)"));
    };
    match command.to_string_lossy().as_ref() {
        "run" => run::run(args),
        "status" => status::status(args),
        "check" => check::check(args),
        "help" | "--help" | "-h" => {
            let topic = args.next_word();
            match topic.as_ref().map(|t| t.to_string_lossy()).as_deref() {
                None => print!("{HELP}"),
                Some("run") => print!("{}", run::HELP),
                Some("status") => print!("{}", status::HELP),
                Some("check") => print!("{}", check::HELP),
                Some(other) => return Err(fail(format!("help: unknown command {other}"))),
            }
            Ok(0)
        }
        "--version" | "-V" => {
            println!("landlocked {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        other => Err(fail(format!("unknown command {other} (run, status, check or help)"))),
    }
}

fn main() -> ExitCode {
    let mut args = Args::new(std::env::args_os().skip(1));
    let code = match dispatch(&mut args) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("landlocked: {}", one_line(&f.message));
            f.code
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(125))
}
