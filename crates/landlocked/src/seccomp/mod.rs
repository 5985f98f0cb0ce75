//! The seccomp layer beside Landlock: what Landlock cannot restrict, denied by syscall.
//!
//! - The network, completed (`net`): sockets Landlock does not cover, and the protocols it
//!   cannot restrict on this kernel when no port of them is allowed.
//! - A syscall filter with systemd's syntax and groups ([`SyscallFilter`]).
//!
//! The filters are compiled (with `seccompiler`) when a sandbox is prepared, before anything
//! changes; installing them is raw syscalls only, after Landlock and no_new_privs, so it works
//! between `fork` and `exec`. Each filter first checks the architecture: a syscall of another
//! entry point of the kernel (i386 or x32 on x86_64, AArch32 on arm64) kills the process, so it
//! can never slip past a filter written for native numbers.

pub(crate) mod bpf;
mod filter;
mod groups;
pub(crate) mod net;
pub(crate) mod table;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use landlocked_core::seccomp::{self as raw, SockFilter};
use landlocked_core::{AccessNet, Coverage, Errno};

pub use filter::{DenyAction, SyscallFilter, SyscallFilterError};

/// What the network filter denies beside the rights it takes over, as reports say it.
pub(crate) const OTHER_SOCKETS: &str = "other sockets and io_uring";
/// TCP fast open, which Landlock's connect rule may miss before ABI 10, as reports say it.
pub(crate) const FAST_OPEN: &str = "TCP fast open";
/// What seccomp cannot stop without a Landlock domain, as reports say it.
pub(crate) const WITHOUT_DOMAIN: &str = "without a Landlock domain, the sandbox can trace other \
     processes of its user and have them do what it denies";
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
    /// TCP fast open (a connect inside `sendto`), which Landlock may not check before ABI 10:
    /// requested where Landlock restricts TCP connects on such a kernel.
    pub fast_open: Coverage<bool>,
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
        missed(&self.sockets) || missed(&self.fast_open) || missed(&self.syscall_filter)
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

/// What is asked of the seccomp layer, decided with Landlock's part ([`crate::layers`]).
#[derive(Clone, Debug)]
pub(crate) struct Request {
    /// Whether this kernel can install filters.
    pub available: bool,
    /// The network's completion, when the network is restricted.
    pub network: Option<net::Request>,
    pub syscall_filter: Option<SyscallFilter>,
}

impl Request {
    /// Whether any filter will be installed.
    pub fn is_active(&self) -> bool {
        self.available
            && (self.network.is_some()
                || self.syscall_filter.as_ref().is_some_and(|f| f.is_allow_list() || !f.is_empty()))
    }
}

/// What the seccomp layer will do: its report and its compiled filters.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub report: SeccompReport,
    pub filters: Filters,
}

/// Compiles the filters of `request`: the network's, then the syscall filter's.
pub(crate) fn plan(request: Request) -> Result<Plan, SeccompError> {
    let mut plan = Plan::default();
    plan.report.available = request.available;
    plan.report.sockets.requested = request.network.is_some();
    plan.report.fast_open.requested = request.network.is_some_and(|n| n.fast_open_unchecked());
    plan.report.syscall_filter.requested = request.syscall_filter.is_some();
    if !request.available {
        return Ok(plan);
    }
    let mut programs = Vec::new();
    if let Some(network) = request.network {
        programs.push(bpf::with_rules(net::rules(&network), Errno::EACCES)?);
        plan.report.net = network.covered;
        plan.report.sockets.enforced = true;
        plan.report.fast_open.enforced = plan.report.fast_open.requested;
    }
    if let Some(filter) = &request.syscall_filter {
        programs.extend(syscall_programs(filter)?);
        plan.report.syscall_filter.enforced = true;
    }
    plan.report.filters = programs.len() as u32;
    plan.filters = Filters { programs };
    Ok(plan)
}

/// The return value of a filter for `action`.
fn action(action: DenyAction) -> u32 {
    match action {
        DenyAction::Errno(errno) => raw::RET_ERRNO | errno.raw() as u32,
        DenyAction::Kill => raw::RET_KILL_PROCESS,
    }
}

/// The programs of a syscall filter: one per action, each a set of syscall numbers.
///
/// An allow-list is one filter allowing its entries (those with an action of their own too)
/// and denying the rest, then one per action of its `~NAME:ERRNO` entries. A deny-list is one
/// filter per action. The kernel runs all and takes the strictest result, so an entry's own
/// action is never overridden by the default.
fn syscall_programs(filter: &SyscallFilter) -> Result<Vec<Vec<SockFilter>>, SeccompError> {
    let seccomp = table::native("seccomp");
    let mut by_action: BTreeMap<DenyAction, BTreeSet<u32>> = BTreeMap::new();
    // (whether the program denies `seccomp`, the program)
    let mut programs: Vec<(bool, Vec<SockFilter>)> = Vec::new();
    if filter.is_allow_list() {
        let allowed: BTreeSet<u32> = filter.entries().keys().copied().collect();
        // As systemd: a syscall newer than the table fails with ENOSYS, so that programs fall
        // back to what they used before it, whatever the filter's action.
        let enosys = raw::RET_ERRNO | Errno::ENOSYS.raw() as u32;
        let main =
            bpf::number_set(&allowed, raw::RET_ALLOW, action(filter.action()), Some(enosys))?;
        programs.push((!allowed.contains(&seccomp), main));
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
        let program = bpf::number_set(&numbers, action(deny), raw::RET_ALLOW, None)?;
        programs.push((numbers.contains(&seccomp), program));
    }
    // A program that denies `seccomp` goes last: the others could not be installed after it.
    // (At most one does: each number has one action.)
    programs.sort_by_key(|(denies_seccomp, _)| *denies_seccomp);
    Ok(programs.into_iter().map(|(_, program)| program).collect())
}

#[cfg(test)]
mod tests;
