//! Project automation: `cargo xtask <command>`. One std binary; its dependencies read
//! `rust-toolchain.toml` and hyperfine's JSON, and render the command's man pages.

mod bench;
mod bench_trace;
mod elf;
mod fuzz;
mod man;
mod protocol;
mod run;
mod setup;
mod static_bin;
mod uapi;
mod vmtest;

use std::process::ExitCode;

// The kernels, their cache and the archive they come from: the landlocked-vm crate's.
use landlocked_vm::{apt, cache, kernels, sources};

const HELP: &str = "\
usage: cargo xtask <command>

commands:
  uapi        fetch the Linux 7.3 uapi headers (Debian's linux-libc-dev, experimental) into the
              cache and print the include directory
  setup       install what the tests need and this machine lacks: the Rust targets and
              components of rust-toolchain.toml, Debian's build tools and QEMU (as root; else
              prints the command to run as root)
  test        everything CI checks: the set-up, formatting and clippy, the test suites, the
              conformance suite on every kernel of the manifest, a short fuzz run
  kernels     [--arch ARCH] [list|fetch]: the kernels vmtest boots, and their image cache
  kernels     [--arch ARCH] build (VERSION | --source TARBALL): a minimal Landlock kernel
              built from kernel.org's tarball (sha256-checked) or a local one
  vmtest      [--arch ARCH] [--kernel NAME|PATH]...: the conformance suite on real kernels
              under QEMU (`cargo xtask vmtest --help`)
  bench-sandboxer
              compare landlocked-sandboxer with the kernel's sample (static musl build) with
              hyperfine: launch overhead and 2,000 path rules; prints both sizes
  bench-trace the overhead of landlocked learn and run --explain (ptrace and a seccomp
              filter) over the plain command, against strace's, with hyperfine: Python
              imports and a shell loop of 200 forks
  static      build the libc-free landlocked-sandboxer for x86_64 and aarch64 into
              target/static/<arch>/, check that both are fully static, run its scenarios
  man [DIR]   the man pages of landlocked and its subcommands, from its clap declarations,
              into target/man/ (or DIR)
  fuzz-smoke [SECONDS]
              a short run of each fuzz target (policy files, the LL_* variables), SECONDS
              each (30 by default); installs cargo-fuzz from crates.io if it is missing
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("uapi") => uapi::fetch().map(|dir| println!("{}", dir.display())),
        Some("setup") => setup::command(&args[1..]),
        Some("test") => run::test(&args[1..]),
        Some("fuzz-smoke") => fuzz::smoke(&args[1..]),
        Some("kernels") => kernels::command(&args[1..]),
        Some("vmtest") => vmtest::command(&args[1..]),
        Some("bench-sandboxer") => bench::command(&args[1..]),
        Some("bench-trace") => bench_trace::command(&args[1..]),
        Some("static") => static_bin::command(&args[1..]),
        Some("man") => man::command(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
