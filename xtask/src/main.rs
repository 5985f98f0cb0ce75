//! Project automation: `cargo xtask <command>`. One std binary, no dependencies.

mod apt;
mod cache;
mod cpio;
mod fuzz;
mod kbuild;
mod kernels;
mod protocol;
mod run;
mod uapi;
mod vmtest;

use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
usage: cargo xtask <command>

commands:
  uapi        fetch the Linux 7.3 uapi headers (Debian's linux-libc-dev, experimental) into the
              cache and print the include directory
  test        everything CI checks: fetch what the tests need, then run the test suites,
              the conformance suite on every kernel of the manifest included
  kernels     [--arch ARCH] [list|fetch]: the kernels vmtest boots, and their image cache
  kernels build (VERSION | --source TARBALL) [--arch x86_64|aarch64|all]
              build a minimal Landlock kernel image (kernel.org tarball checked against its
              published sha256, or a local tarball) into the cache
  vmtest      [--arch ARCH] [--kernel NAME|PATH]...: the conformance suite on real kernels
              under QEMU (`cargo xtask vmtest --help`)
  fuzz-smoke [SECONDS]
              a short run of each fuzz target (policy files, the LL_* variables), SECONDS
              each (30 by default); installs cargo-fuzz from crates.io if it is missing
";

fn kernels_build(args: &[String]) -> Result<(), String> {
    let mut source = None;
    let mut targets = kbuild::Target::ALL.to_vec();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--source" => {
                source = Some(PathBuf::from(it.next().ok_or("--source needs a tarball")?))
            }
            "--arch" => {
                let arch = it.next().ok_or("--arch needs x86_64, aarch64 or all")?;
                targets = if arch == "all" {
                    kbuild::Target::ALL.to_vec()
                } else {
                    vec![kbuild::Target::parse(arch)?]
                };
            }
            v if !v.starts_with('-') && source.is_none() => source = Some(kbuild::download(v)?),
            other => return Err(format!("kernels build: unexpected `{other}`")),
        }
    }
    let tarball = source.ok_or("kernels build needs a VERSION or --source TARBALL")?;
    for target in targets {
        let built = kbuild::build(&tarball, target)?;
        let abi = built.abi.map_or_else(|| "no Landlock".to_owned(), |a| format!("ABI {a}"));
        let how = if built.cached {
            "cached".to_owned()
        } else {
            format!("built in {} s", built.seconds)
        };
        println!(
            "{} Linux {} ({abi}, {how}): {}",
            target.name(),
            built.version,
            built.image.display()
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("uapi") => uapi::fetch().map(|dir| println!("{}", dir.display())),
        Some("test") => run::test(&args[1..]),
        Some("fuzz-smoke") => fuzz::smoke(&args[1..]),
        Some("kernels") if args.get(1).map(String::as_str) == Some("build") => {
            kernels_build(&args[2..])
        }
        Some("kernels") => kernels::command(&args[1..]),
        Some("vmtest") => vmtest::command(&args[1..]),
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
