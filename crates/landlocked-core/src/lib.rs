//! Landlock without libc.
//!
//! `landlocked-core` talks to the kernel through its own inline-assembly syscall stubs (x86_64 and
//! aarch64), needs no allocator and no libc, and so works in a static binary's `_start`, in an
//! init process, and between `fork` and `exec`.
//!
//! - The raw layer: [`uapi`] (the kernel header's structs and constants), typed flag sets
//!   ([`AccessFs`], [`AccessNet`], [`Scope`], the syscall flags), [`Abi`] and [`Kernel`] probing,
//!   and thin wrappers over the three Landlock syscalls ([`ruleset`], [`rule`], [`restrict`]).
//! - The enforcement core: a [`Policy`] and its [`Rules`] are [`negotiate`](fn@negotiate)d against the
//!   running [`Kernel`] (a pure function), then [`enforce`](fn@enforce)d, giving a [`Report`] of exactly what
//!   is and is not enforced. Best effort or strict, a minimum ABI, no_new_privs, every thread.
//! - [`sandboxer_env`]: the kernel sample sandboxer's `LL_*` variables as a policy and its
//!   rules, parsed in place.
//! - [`seccomp`]: installing a seccomp filter program built elsewhere, with raw syscalls (the
//!   std crate compiles its filters; this installs them between `fork` and `exec`).
//! - The small set of other syscalls a sandboxer needs ([`fs`], [`process`]), with an [`Errno`]
//!   type and file descriptors ([`OwnedFd`], [`BorrowedFd`]) that never hold -1.
#![no_std]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

#[macro_use]
mod macros;

pub mod abi;
pub mod access;
mod arch;
pub mod enforce;
mod errno;
mod error;
pub mod exec;
pub mod fd;
pub mod flags;
pub mod fs;
pub mod negotiate;
pub mod nr;
pub mod policy;
pub mod process;
pub mod report;
pub mod restrict;
pub mod rule;
pub mod ruleset;
pub mod sandboxer_env;
pub mod seccomp;
pub mod text;
pub mod uapi;

pub use abi::{Abi, Errata, Kernel, Support};
pub use access::{AccessFs, AccessNet, Scope};
pub use enforce::Ruleset;
pub use enforce::{apply, enforce, enforce_on};
pub use errno::Errno;
pub use error::Error;
pub use fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
pub use flags::{AddRuleFlags, CreateRulesetFlags, RestrictSelfFlags};
pub use negotiate::{Plan, RulesSummary, negotiate, negotiate_summary};
pub use policy::{
    Compat, Handled, OnMissing, PathSource, Policy, Rule, Rules, SkipReason, Threads,
};
pub use report::{Coverage, Missing, NoNewPrivs, Report, RuleCounts, Status, ThreadCoverage};

/// The raw syscall stubs, for code that needs a syscall this crate does not wrap.
pub mod syscall {
    pub use crate::arch::{
        syscall0, syscall1, syscall1_noreturn, syscall2, syscall3, syscall4, syscall5, syscall6,
    };

    /// Decodes a raw syscall return: `-4095..=-1` is an error number, anything else a value.
    #[inline]
    pub fn decode(raw: usize) -> Result<usize, crate::Errno> {
        crate::Errno::decode(raw)
    }
}
