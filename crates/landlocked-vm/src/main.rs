//! `landlocked-vm`: any program on a kernel of the Landlock ABI matrix, and the kernels
//! themselves, listed, fetched into the cache and built from source.

use std::process::ExitCode;

const HELP: &str = "\
usage: landlocked-vm run [OPTIONS] -- PROGRAM [ARGS...]
       landlocked-vm matrix [--kernel NAME]... [--arch ARCH|all] [OPTIONS] -- PROGRAM [ARGS...]
       landlocked-vm kernels [--arch x86_64|aarch64|all] [list|fetch [NAME]...]
       landlocked-vm kernels [--arch x86_64|aarch64|all] build (VERSION | --source TARBALL)

The kernels of the Landlock ABI matrix: Debian's images of each suite (from Linux 5.10, no
Landlock, to 7.3, ABI 11) and kernels built from source with a minimal Landlock configuration,
cached in $LANDLOCKED_CACHE (else ~/.cache/landlocked). `landlocked-vm kernels --help` says
more.
";

fn main() -> ExitCode {
    // The guest's /init of `landlocked-vm run`.
    if std::process::id() == 1 {
        landlocked_vm::run::init::main();
    }
    // A closed pipe (`landlocked-vm kernels list | head`) ends the process quietly, as for any
    // Unix filter. SAFETY: restoring the default disposition installs no handler.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if raw.first().is_some_and(|a| a == "run") {
        return match landlocked_vm::run::parse(&raw[1..]) {
            Err(None) => {
                print!("{}", landlocked_vm::run::HELP);
                ExitCode::SUCCESS
            }
            Err(Some(e)) => fail(&e),
            Ok(options) => match landlocked_vm::run::run(&options) {
                Ok(status) => ExitCode::from(status.clamp(0, 255) as u8),
                Err(e) => fail(&e),
            },
        };
    }
    if raw.first().is_some_and(|a| a == "matrix") {
        return match landlocked_vm::run::matrix::matrix(&raw[1..]) {
            Err(None) => {
                print!("{}", landlocked_vm::run::matrix::HELP);
                ExitCode::SUCCESS
            }
            Err(Some(e)) => fail(&e),
            Ok(status) => ExitCode::from(status as u8),
        };
    }
    let args: Vec<String> = raw.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let result = match args.first().map(String::as_str) {
        Some("kernels") => landlocked_vm::kernels::command(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some("-V" | "--version") => {
            println!("landlocked-vm {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command `{other}` (landlocked-vm --help)")),
        None => Err("no command given: run, matrix or kernels (landlocked-vm --help)".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// An error of landlocked-vm itself: one line (usage may follow), exit 125.
fn fail(e: &str) -> ExitCode {
    eprintln!("landlocked-vm: {e}");
    ExitCode::from(125)
}
