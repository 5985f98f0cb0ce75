//! `landlocked-vm`: the kernels of the Landlock ABI matrix, listed, fetched into the cache and
//! built from source.

use std::process::ExitCode;

const HELP: &str = "\
usage: landlocked-vm kernels [--arch x86_64|aarch64|all] [list|fetch [NAME]...]
       landlocked-vm kernels [--arch x86_64|aarch64|all] build (VERSION | --source TARBALL)

The kernels of the Landlock ABI matrix: Debian's images of each suite (from Linux 5.10, no
Landlock, to 7.3, ABI 11) and kernels built from source with a minimal Landlock configuration,
cached in $LANDLOCKED_CACHE (else ~/.cache/landlocked). `landlocked-vm kernels --help` says
more.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
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
        None => Err("no command given: kernels (landlocked-vm --help)".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The first line says it; usage that follows goes to stderr as given.
            eprintln!("landlocked-vm: {e}");
            ExitCode::from(125)
        }
    }
}
