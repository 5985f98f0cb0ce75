//! What each guest runs: the suite through `landlocked-vm`, built static (release, the guest's
//! musl target) with the guest's `/init` and the programs the command-line cases run.

use std::ffi::OsString;
use std::path::PathBuf;

use landlocked_vm::run::{RunOptions, With};

use crate::kernels::Arch;
use crate::run::{cargo, run};
use crate::static_bin;

use super::{Options, target_dir};

/// A static binary of the workspace the guest needs.
#[derive(Clone, Copy, Debug)]
pub struct Program {
    /// The workspace package that builds it.
    pub package: &'static str,
    /// The binary's name in that package.
    pub bin: &'static str,
    /// Its role in the guest.
    pub role: Role,
}

/// Where a [`Program`] goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The guest's `/init` (`landlocked-vm`'s PID 1 mode).
    Init,
    /// The program run: the suite, also the probe its command-line cases run inside sandboxes.
    Suite,
    /// At this path in the guest, where the suite finds it (`Tools::guest`).
    At(&'static str),
}

/// Every binary of the guest built in release mode for the guest's musl target. The static
/// sandboxer joins them from `cargo xtask static` ([`SANDBOXER`]).
pub const PROGRAMS: &[Program] = &[
    Program { package: "landlocked-vm", bin: "landlocked-vm", role: Role::Init },
    Program { package: "landlocked-conformance", bin: "landlocked-conformance", role: Role::Suite },
    Program { package: "landlocked-cli", bin: "landlocked", role: Role::At("/bin/landlocked") },
];

/// Where the libc-free sandboxer goes in the guest; it is built by [`static_bin::build`] with
/// link settings of its own.
const SANDBOXER: &str = "/bin/landlocked-sandboxer";

/// Builds every program for each architecture.
pub(super) fn build(arches: &[Arch]) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--locked"]);
    for &arch in arches {
        cmd.args(["--target", arch.rust_target()]);
    }
    for program in PROGRAMS {
        cmd.args(["-p", program.package, "--bin", program.bin]);
    }
    run(&mut cmd)?;
    static_bin::build()?;
    Ok(())
}

/// `landlocked-vm run`'s options for the suite on `arch`.
pub(super) fn options(arch: Arch, opts: &Options) -> RunOptions {
    let built = |bin: &str| target_dir().join(arch.rust_target()).join("release").join(bin);
    let mut init = None;
    let mut command: Vec<OsString> = Vec::new();
    let mut with = Vec::new();
    for program in PROGRAMS {
        match program.role {
            Role::Init => init = Some(built(program.bin)),
            Role::Suite => command = vec![built(program.bin).into(), "--guest".into()],
            Role::At(guest) => with.push(With { host: built(program.bin), guest: guest.into() }),
        }
    }
    with.push(With { host: static_bin::output(arch.name()), guest: PathBuf::from(SANDBOXER) });
    if let Some(filter) = &opts.filter {
        command.push(filter.into());
    }
    let mut o = RunOptions::new(command);
    o.arch = Some(arch);
    o.init = init;
    o.with = with;
    o.timeout = opts.timeout;
    o.accel = opts.accel;
    o
}
