//! Landlock sandboxing for std programs.
//!
//! - [`Sandbox`]: a builder that reads like the intent (read these paths, write those, connect
//!   to port 443), then [`Sandbox::restrict_self`] for this process or [`CommandExt::sandbox`]
//!   for a child, both returning a [`Report`] of what the kernel enforces.
//! - [`restrict_paths`]: the one call for the common case.
//! - [`PolicyFile`]: landlockconfig policies in TOML or JSON.
//!
//! Built on `landlocked-core`, which does the negotiation with the running kernel: best effort
//! by default (the most the kernel can do, the rest reported), or strict.
//!
//! ```no_run
//! // Like the kernel's sample sandboxer with LL_FS_RO and LL_FS_RW.
//! let report = landlocked::restrict_paths(["/usr", "/etc"], ["/tmp"])?;
//! eprintln!("{report}");
//! # Ok::<(), landlocked::Error>(())
//! ```

pub mod audit;
mod command;
mod error;
#[cfg(feature = "trace")]
pub mod explain;
pub mod fd;
mod layers;
#[cfg(feature = "trace")]
pub mod learn;
#[cfg(feature = "loader")]
pub mod loader;
pub mod policy_file;
mod prepare;
mod report;
mod rule;
mod sandbox;
pub mod seccomp;
#[cfg(feature = "trace")]
pub mod trace;

pub use command::CommandExt;

/// `text` with its control characters (a newline, a terminal escape) shown as `?`: what a
/// name from a program or a log may hold, made safe to print on one line.
pub fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}
pub use error::{Error, PolicyError};
// Every type this crate takes or returns: its users need no `landlocked-core` of their own.
/// Why enforcement failed, in [`Error::Enforce`] and [`Error::Rule`].
pub use landlocked_core::Error as EnforceError;
/// Everything the kernel enforces of a sandbox, by kind ([`Report::domain`]).
pub use landlocked_core::Report as DomainReport;
pub use landlocked_core::{
    Abi, AccessFs, AccessNet, Compat, Coverage, Errata, Errno, Handled, Kernel, Missing,
    NoNewPrivs, RestrictSelfFlags, RuleCounts, Scope, Status, Support, ThreadCoverage, Threads,
};
pub use policy_file::PolicyFile;
pub use prepare::Prepared;
pub use report::{BeyondPin, Report, Skipped};
pub use rule::{Grant, HeldFd, Rule, Target};
pub use sandbox::Sandbox;
pub use seccomp::{
    CompiledFilter, DenyAction, SeccompError, SeccompReport, SyscallFilter, SyscallFilterError,
};

use std::path::Path;

/// Restricts the calling process to reading (and executing) beneath `read`, and to anything
/// beneath `write`: the kernel sample's `LL_FS_RO` and `LL_FS_RW`. Network and IPC are left
/// alone. Best effort: the report says what this kernel could not enforce.
pub fn restrict_paths<R, W>(
    read: impl IntoIterator<Item = R>,
    write: impl IntoIterator<Item = W>,
) -> Result<Report, Error>
where
    R: AsRef<Path>,
    W: AsRef<Path>,
{
    Sandbox::new().read_exec(read).read_write_exec(write).restrict_self()
}
