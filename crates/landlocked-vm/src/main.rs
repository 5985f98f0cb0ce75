//! `landlocked-vm`: any program on a kernel of the Landlock ABI matrix, and the kernels
//! themselves, listed, fetched into the cache and built from source.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use landlocked_vm::cli::{Cli, Command};
use landlocked_vm::kernels::Arch;

fn main() -> ExitCode {
    // The guest's /init of `landlocked-vm run`.
    if std::process::id() == 1 {
        landlocked_vm::run::init::main();
    }
    // A closed pipe (`landlocked-vm kernels list | head`) ends the process quietly, as for any
    // Unix filter. SAFETY: restoring the default disposition installs no handler.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(&one_line(&e)),
    };
    let result = match cli.command {
        Command::Run(args) => {
            let options = args.common.options(args.kernel, args.arch.map(Arch::from));
            options.and_then(|o| landlocked_vm::run::run(&o)).map(return_status)
        }
        Command::Matrix(args) => {
            let arches = match args.arch.as_deref() {
                None => Ok(None),
                Some("all") => Ok(Some(Arch::ALL.to_vec())),
                Some("x86_64") => Ok(Some(vec![Arch::X86_64])),
                Some("aarch64") => Ok(Some(vec![Arch::Aarch64])),
                Some(other) => Err(format!("--arch takes x86_64, aarch64 or all, got `{other}`")),
            };
            let jobs = args.jobs.map_or_else(
                || std::thread::available_parallelism().map_or(2, |n| n.get()),
                |n| n as usize,
            );
            arches
                .and_then(|arches| {
                    let options = args.common.options(None, None)?;
                    landlocked_vm::run::matrix::matrix(&args.kernel, arches, jobs, options)
                })
                .map(return_status)
        }
        Command::Kernels { args } => {
            landlocked_vm::kernels::command(&args).map(|()| ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "landlocked-vm",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|e| fail(&e))
}

fn return_status(status: i32) -> ExitCode {
    ExitCode::from(status.clamp(0, 255) as u8)
}

/// A usage error as one line: what clap says before its usage.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let said: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .collect();
    let said = said.join(" ");
    said.strip_prefix("error: ").unwrap_or(&said).to_string() + " (landlocked-vm --help)"
}

/// An error of landlocked-vm itself: one line (usage may follow), exit 125.
fn fail(e: &str) -> ExitCode {
    landlocked_vm::errln!("landlocked-vm: {e}");
    ExitCode::from(125)
}
