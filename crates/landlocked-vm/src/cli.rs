//! The command line, declared with clap: `run`, `matrix`, `kernels`, `completions`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::kernels::Arch;
use crate::qemu::Accel;
use crate::run::{RunOptions, With};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// The command line's declaration, for its man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}

#[derive(Parser, Debug)]
#[command(
    name = "landlocked-vm",
    version,
    about = "Any program, or a crate's cargo test, on the kernels of the Landlock ABI matrix",
    long_about = "Boots Debian's kernels (Linux 5.10 without Landlock to 7.3, ABI 11; x86_64 and \
                  aarch64) and kernels built from source under QEMU with a program as the guest's \
                  only one, and lists, fetches and builds them. The kernels are cached in \
                  $LANDLOCKED_CACHE, else ~/.cache/landlocked."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Boot a kernel with PROGRAM as the guest's only program; exit with its status
    #[command(
        long_about = "Boots the kernel with PROGRAM in an initramfs (its ELF interpreter and \
                      libraries along when it is dynamic), runs it in / with PATH, HOME, this \
                      environment's RUST_* variables and --env and no standard input, streams \
                      its standard output and error, and exits with its status once it has \
                      exited. A kernel panic, a timeout, a guest that \
                      does not power off or a program that cannot start: exit 125 and one line.",
        after_help = "Example, as cargo's runner:\n  CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUNNER=\"landlocked-vm run --kernel debian-6.1 --\" \\\n      cargo test --target x86_64-unknown-linux-musl"
    )]
    Run(RunArgs),
    /// Run PROGRAM on every kernel of the manifest (or those named), with a table
    #[command(long_about = "Runs PROGRAM as `run` does on every kernel of the manifest of the \
                      architecture (default: the host's; `all` needs --init for the other), or \
                      on those named, a few boots at a time, and prints a table of kernel, the \
                      Landlock support and page size it reported, PROGRAM's exit status and the \
                      time. Exits 1 when PROGRAM failed anywhere or a guest did.")]
    Matrix(MatrixArgs),
    /// List, fetch or build the kernels (`landlocked-vm kernels --help`)
    #[command(disable_help_flag = true)]
    Kernels {
        /// [--arch ARCH] [list | fetch [NAME]... | build (VERSION | --source TARBALL)]
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Print a shell's completions for landlocked-vm
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ArchArg {
    #[value(name = "x86_64")]
    X86_64,
    Aarch64,
}

impl From<ArchArg> for Arch {
    fn from(a: ArchArg) -> Arch {
        match a {
            ArchArg::X86_64 => Arch::X86_64,
            ArchArg::Aarch64 => Arch::Aarch64,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AccelArg {
    Tcg,
    Kvm,
}

#[derive(Args, Debug)]
pub struct Common {
    /// Added to the kernel command line of every kernel booted
    #[arg(long, value_name = "ARGS", default_value = "")]
    pub append: String,
    /// Seconds the whole boot may take (a day at most)
    #[arg(long, value_name = "S", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// The guest's memory, in MiB
    #[arg(long = "mem", value_name = "M", default_value_t = 512, value_parser = clap::value_parser!(u32).range(64..))]
    pub memory_mib: u32,
    /// Another file or directory the program needs, at the same path, or HOST at GUEST (a
    /// dynamic program of the guest's architecture with its libraries)
    #[arg(long, value_name = "PATH|HOST:GUEST")]
    pub with: Vec<OsString>,
    /// The guest's /init for a guest of another architecture: landlocked-vm built static for it
    #[arg(long, value_name = "PATH", env = "LANDLOCKED_VM_INIT")]
    pub init: Option<PathBuf>,
    /// Where a dynamic program of another architecture finds its interpreter and libraries
    /// (default for aarch64 on x86_64: /usr/aarch64-linux-gnu, Debian's libc6-arm64-cross)
    #[arg(long, value_name = "DIR")]
    pub sysroot: Option<PathBuf>,
    /// tcg, or kvm for a guest of the host's architecture, redone under TCG when the guest has
    /// not reached /init after 20 s
    #[arg(long, value_enum, default_value = "tcg")]
    pub accel: AccelArg,
    /// A variable for the program
    #[arg(long, value_name = "NAME=VALUE", value_parser = clap::builder::TypedValueParser::try_map(clap::builder::OsStringValueParser::new(), name_value))]
    pub env: Vec<(OsString, OsString)>,
    /// The program and its arguments
    #[arg(required = true, trailing_var_arg = true, value_name = "PROGRAM")]
    pub command: Vec<OsString>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// A kernel of `landlocked-vm kernels list` (default debian-7.3), or an image file
    #[arg(long, value_name = "NAME|PATH")]
    pub kernel: Option<String>,
    /// The guest's architecture (default: the program's)
    #[arg(long, value_enum)]
    pub arch: Option<ArchArg>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct MatrixArgs {
    /// A kernel to run on, by name or image file (repeatable; default: the whole manifest)
    #[arg(long, value_name = "NAME|PATH")]
    pub kernel: Vec<String>,
    /// x86_64, aarch64 or all (default: the host's)
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// Boots at a time (default: the number of CPUs)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    #[command(flatten)]
    pub common: Common,
}

/// `NAME=VALUE`, the value any bytes (a variable need not be UTF-8).
fn name_value(s: OsString) -> Result<(OsString, OsString), String> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let bytes = s.into_vec();
    match bytes.iter().position(|&b| b == b'=') {
        Some(eq) if eq > 0 => Ok((
            OsString::from_vec(bytes[..eq].to_vec()),
            OsString::from_vec(bytes[eq + 1..].to_vec()),
        )),
        _ => Err(format!(
            "takes NAME=VALUE, got `{}`",
            std::ffi::OsStr::from_bytes(&bytes).to_string_lossy()
        )),
    }
}

impl Common {
    pub fn options(self, kernel: Option<String>, arch: Option<Arch>) -> Result<RunOptions, String> {
        let with = self.with.iter().map(|w| With::parse(w)).collect::<Result<_, _>>()?;
        Ok(RunOptions {
            kernel,
            arch,
            append: self.append,
            timeout: Duration::from_secs(self.timeout),
            memory_mib: self.memory_mib,
            accel: match self.accel {
                AccelArg::Tcg => Accel::Tcg,
                AccelArg::Kvm => Accel::Kvm,
            },
            with,
            init: self.init.filter(|p| !p.as_os_str().is_empty()),
            sysroot: self.sysroot,
            env: self.env,
            command: self.command,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::ffi::OsStringExt;

    use super::*;

    #[test]
    fn variables_are_bytes() {
        let v = name_value(OsString::from_vec(b"A=\xff=b".to_vec())).unwrap();
        assert_eq!(v, ("A".into(), OsString::from_vec(b"\xff=b".to_vec())));
        assert_eq!(name_value("A=".into()).unwrap(), ("A".into(), "".into()));
        assert!(name_value("=x".into()).unwrap_err().contains("NAME=VALUE"));
        assert!(name_value("x".into()).is_err());
    }
}
