//! The seccomp layer beside Landlock: what Landlock cannot restrict, denied by syscall.
//!
//! - The network, completed ([`net`]): sockets Landlock does not cover, and the protocols it
//!   cannot restrict on this kernel when no port of them is allowed.
//! - A syscall filter with systemd's syntax and groups ([`SyscallFilter`]).
//!
//! The filters are compiled (with `seccompiler`) when a sandbox is prepared, before anything
//! changes; installing them is raw syscalls only, after Landlock and no_new_privs, so it works
//! between `fork` and `exec`. Each filter first checks the architecture: a syscall of another
//! entry point of the kernel (i386 or x32 on x86_64, AArch32 on arm64) kills the process, so it
//! can never slip past a filter written for native numbers.

mod filter;
mod groups;
pub(crate) mod net;
mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use landlocked_core::seccomp::{self as raw, SockFilter};
use landlocked_core::{AccessNet, Coverage, Errno};
use seccompiler::{SeccompAction, SeccompFilter, SeccompRule, TargetArch};

pub use filter::{DenyAction, SyscallFilter, SyscallFilterError};

/// What the network filter denies beside the rights it takes over, as reports say it.
pub(crate) const OTHER_SOCKETS: &str = "other sockets and io_uring";
/// The syscall filter, as reports say it.
pub(crate) const SYSCALL_FILTER: &str = "syscall filter";

/// Why the seccomp layer could not be set up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeccompError {
    /// This kernel cannot install seccomp filters (no `CONFIG_SECCOMP_FILTER`, or a filter
    /// already installed forbids it), and the request needs them.
    Unavailable(Errno),
    /// A filter would be longer than the kernel accepts.
    TooLarge {
        /// Its length in instructions.
        instructions: usize,
    },
    /// The kernel refused to install a filter (after Landlock was enforced).
    Install(Errno),
}

impl fmt::Display for SeccompError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeccompError::Unavailable(errno) => write!(
                f,
                "this kernel cannot install seccomp filters ({errno}; CONFIG_SECCOMP_FILTER)"
            ),
            SeccompError::TooLarge { instructions } => write!(
                f,
                "the seccomp filter has {instructions} instructions, more than the kernel's {}",
                raw::MAX_INSTRUCTIONS
            ),
            SeccompError::Install(errno) => write!(f, "cannot install the seccomp filter: {errno}"),
        }
    }
}

impl std::error::Error for SeccompError {}

/// What the seccomp layer enforces of a sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SeccompReport {
    /// Whether this kernel can install seccomp filters.
    pub available: bool,
    /// Network rights whose sockets cannot be created because Landlock cannot restrict them on
    /// this kernel (TCP before ABI 4, UDP before ABI 10) and no port of them is allowed.
    pub net: AccessNet,
    /// The sockets Landlock does not cover (other IP protocols such as MPTCP and SCTP, other
    /// address families, io_uring): requested when the network is restricted.
    pub sockets: Coverage<bool>,
    /// The syscall filter ([`crate::Sandbox::syscall_filter`]).
    pub syscall_filter: Coverage<bool>,
    /// How many filters are installed.
    pub filters: u32,
}

impl SeccompReport {
    /// Whether any filter is installed.
    pub fn is_active(&self) -> bool {
        self.filters > 0
    }

    /// Whether something asked of seccomp is not enforced (this kernel has no filters).
    pub fn has_missing(&self) -> bool {
        let missed = |c: &Coverage<bool>| c.requested && !c.enforced;
        missed(&self.sockets) || missed(&self.syscall_filter)
    }
}

/// The compiled filters of a sandbox, installed in order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filters {
    programs: Vec<Vec<SockFilter>>,
}

impl Filters {
    /// Installs every filter on the calling thread, or the whole process with `all_threads`.
    /// Raw syscalls only, no allocation.
    pub(crate) fn install(&self, all_threads: bool) -> Result<(), Errno> {
        let flags = if all_threads { raw::FILTER_FLAG_TSYNC } else { 0 };
        for program in &self.programs {
            raw::install(program, flags)?;
        }
        Ok(())
    }
}

/// A syscall filter compiled for this architecture ([`SyscallFilter::compile`]), to install on
/// this process or between `fork` and `exec` without a [`crate::Sandbox`].
#[derive(Clone, Debug)]
pub struct CompiledFilter(Filters);

impl SyscallFilter {
    /// Compiles the filter for this architecture; `Unavailable` when this kernel cannot install
    /// seccomp filters.
    pub fn compile(&self) -> Result<CompiledFilter, SeccompError> {
        available().map_err(SeccompError::Unavailable)?;
        Ok(CompiledFilter(Filters { programs: syscall_programs(self)? }))
    }
}

impl fmt::Display for CompiledFilter {
    /// What a report line says of it: `seccomp: syscall filter`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seccomp: {SYSCALL_FILTER}")
    }
}

impl CompiledFilter {
    /// Installs the filter on the calling thread, or on every thread with `all_threads`
    /// (`TSYNC`). The thread needs no_new_privs or `CAP_SYS_ADMIN`. Raw syscalls only, no
    /// allocation: it may run in a `pre_exec` hook. Irreversible.
    pub fn install(&self, all_threads: bool) -> Result<(), SeccompError> {
        self.0.install(all_threads).map_err(SeccompError::Install)
    }
}

/// Whether this kernel can install seccomp filters (with the actions the filters use), asked
/// once per process.
pub fn available() -> Result<(), Errno> {
    static AVAILABLE: std::sync::OnceLock<Result<(), Errno>> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(raw::available)
}

/// What the seccomp layer will do, decided when a sandbox is prepared.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub report: SeccompReport,
    pub filters: Filters,
}

/// The filters for a sandbox: the network's (when `restricted` network rights are requested,
/// with `covered` of them left to seccomp) and the syscall filter.
pub(crate) fn plan(
    available: bool,
    network: Option<AccessNet>,
    syscall_filter: Option<&SyscallFilter>,
) -> Result<Plan, SeccompError> {
    let mut plan = Plan::default();
    plan.report.available = available;
    plan.report.sockets.requested = network.is_some();
    plan.report.syscall_filter.requested = syscall_filter.is_some();
    if !available {
        return Ok(plan);
    }
    let mut programs = Vec::new();
    if let Some(covered) = network {
        let eacces = SeccompAction::Errno(Errno::EACCES.raw() as u32);
        programs.push(compile(net::rules(covered), SeccompAction::Allow, eacces)?);
        plan.report.net = covered;
        plan.report.sockets.enforced = true;
    }
    if let Some(filter) = syscall_filter {
        programs.extend(syscall_programs(filter)?);
        plan.report.syscall_filter.enforced = true;
    }
    plan.report.filters = programs.len() as u32;
    plan.filters = Filters { programs };
    Ok(plan)
}

fn action(action: DenyAction) -> SeccompAction {
    match action {
        DenyAction::Errno(errno) => SeccompAction::Errno(errno.raw() as u32),
        DenyAction::Kill => SeccompAction::KillProcess,
    }
}

/// The programs of a syscall filter: one per action, since a seccompiler filter has one.
///
/// An allow-list is one filter allowing its entries (those with an action of their own too)
/// and denying the rest, then one per action of its `~NAME:ERRNO` entries. A deny-list is one
/// filter per action. The kernel runs all and takes the strictest result, so an entry's own
/// action is never overridden by the default.
fn syscall_programs(filter: &SyscallFilter) -> Result<Vec<Vec<SockFilter>>, SeccompError> {
    let unconditional = |numbers: &BTreeSet<u32>| -> BTreeMap<i64, Vec<SeccompRule>> {
        numbers.iter().map(|&nr| (i64::from(nr), Vec::new())).collect()
    };
    let mut by_action: BTreeMap<DenyAction, BTreeSet<u32>> = BTreeMap::new();
    let mut programs = Vec::new();
    if filter.is_allow_list() {
        let allowed: BTreeSet<u32> = filter.entries().keys().copied().collect();
        programs.push(compile(
            unconditional(&allowed),
            action(filter.action()),
            SeccompAction::Allow,
        )?);
        for (&nr, entry_action) in filter.entries() {
            if let Some(a) = entry_action {
                by_action.entry(*a).or_default().insert(nr);
            }
        }
    } else {
        for (&nr, entry_action) in filter.entries() {
            by_action.entry(entry_action.unwrap_or(filter.action())).or_default().insert(nr);
        }
    }
    for (deny, numbers) in by_action {
        programs.push(compile(unconditional(&numbers), SeccompAction::Allow, action(deny))?);
    }
    Ok(programs)
}

#[cfg(target_arch = "x86_64")]
const TARGET: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const TARGET: TargetArch = TargetArch::aarch64;

/// Classic BPF opcodes for the x32 guard: `ld [k]`, `jge k`, `ret k`.
const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JGE_K: u16 = 0x35;
const BPF_RET_K: u16 = 0x06;

/// Before seccompiler's program, which checks the architecture (killing on another): on x86_64,
/// x32 syscalls carry the native architecture and `X32_SYSCALL_BIT` in their number, so they
/// are killed first.
fn guard() -> Vec<SockFilter> {
    if cfg!(target_arch = "x86_64") {
        vec![
            SockFilter { code: BPF_LD_W_ABS, jt: 0, jf: 0, k: raw::DATA_NR },
            SockFilter { code: BPF_JGE_K, jt: 0, jf: 1, k: raw::X32_SYSCALL_BIT },
            SockFilter { code: BPF_RET_K, jt: 0, jf: 0, k: raw::RET_KILL_PROCESS },
        ]
    } else {
        Vec::new()
    }
}

/// One filter: the guard, then seccompiler's program for `rules` (syscalls listed take
/// `matched` when one of their rules holds, everything else `mismatch`).
fn compile(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<Vec<SockFilter>, SeccompError> {
    let filter = SeccompFilter::new(rules, mismatch, matched, TARGET)
        .expect("the actions of a filter differ");
    let program: seccompiler::BpfProgram = match filter.try_into() {
        Ok(program) => program,
        Err(seccompiler::BackendError::FilterTooLarge(instructions)) => {
            return Err(SeccompError::TooLarge { instructions });
        }
        Err(e) => unreachable!("seccompiler refused a filter: {e}"),
    };
    let mut out = guard();
    out.extend(program.iter().map(|i| SockFilter { code: i.code, jt: i.jt, jf: i.jf, k: i.k }));
    if out.len() > raw::MAX_INSTRUCTIONS {
        return Err(SeccompError::TooLarge { instructions: out.len() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
