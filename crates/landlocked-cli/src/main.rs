//! `landlocked`: see the library.

fn main() -> std::process::ExitCode {
    landlocked_cli::main_with(std::env::args_os())
}
