//! What a sandbox enforces, and the rules it skipped.

use std::fmt;

use landlocked_core::{Errno, Kernel, Missing, Status, Support};

use crate::rule::Rule;

/// A rule left out because its path could not be opened (with
/// [`crate::Sandbox::ignore_missing`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The rule.
    pub rule: Rule,
    /// Why its path could not be opened.
    pub errno: Errno,
}

/// What the kernel enforces of a sandbox: fully, partly (and what is missing), or not at all.
#[must_use = "the sandbox may be partial or absent: check the report's status"]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub(crate) inner: landlocked_core::Report,
    pub(crate) skipped: Vec<Skipped>,
}

impl Report {
    /// Full, partial or not enforced.
    pub fn status(&self) -> Status {
        self.inner.status()
    }

    /// Whether everything requested is enforced.
    pub fn is_fully_enforced(&self) -> bool {
        self.inner.is_fully_enforced()
    }

    /// Everything requested that is not enforced.
    pub fn missing(&self) -> Missing {
        self.inner.missing()
    }

    /// The kernel the sandbox was negotiated with.
    pub fn kernel(&self) -> Kernel {
        self.inner.kernel
    }

    /// Rules skipped because their path could not be opened.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The enforcement core's full report (per-kind coverage, threads, no_new_privs, errata).
    pub fn core(&self) -> &landlocked_core::Report {
        &self.inner
    }

    /// One line saying what is not enforced, or `None` when everything is: what a program
    /// should tell its user (`Landlock ABI 7: partly enforced, not enforced: net: bind_udp`).
    pub fn warning(&self) -> Option<String> {
        match self.status() {
            Status::Full => None,
            Status::Partial => Some(format!(
                "this kernel ({}) cannot enforce all of the sandbox, not enforced: {}",
                abi_text(self.inner.kernel.support),
                self.missing()
            )),
            Status::NotEnforced => Some(match self.inner.kernel.support {
                Support::Available { .. } if self.missing().is_empty() => {
                    "the sandbox restricts nothing: running unsandboxed".to_string()
                }
                Support::Available { .. } => format!(
                    "this kernel ({}) can enforce none of the sandbox ({}): running unsandboxed",
                    abi_text(self.inner.kernel.support),
                    self.missing()
                ),
                other => format!("Landlock is {other}: running unsandboxed"),
            }),
        }
    }
}

fn abi_text(support: Support) -> String {
    match support {
        Support::Available { version, .. } => format!("Landlock ABI {version}"),
        other => format!("Landlock {other}"),
    }
}

impl fmt::Display for Report {
    /// The core's one-line summary, then the number of skipped paths if any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)?;
        if !self.skipped.is_empty() {
            write!(f, "; {} missing paths skipped", self.skipped.len())?;
        }
        Ok(())
    }
}

impl From<landlocked_core::Report> for Report {
    /// A core report, with no skipped rule.
    fn from(inner: landlocked_core::Report) -> Report {
        Report { inner, skipped: Vec::new() }
    }
}
