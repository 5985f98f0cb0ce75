//! Why a policy could not be enforced. Every variant about a rule carries the rule's index, so
//! that the caller can name the path or port at fault.

use core::fmt;

use crate::abi::{Abi, Support};
use crate::errno::Errno;
use crate::report::Missing;

/// An enforcement failure. When one is returned before [`Error::NoNewPrivs`] or
/// [`Error::RestrictSelf`] could happen, nothing about the calling process has changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Landlock is not available and the policy requires it (strict, a minimum ABI, or a
    /// required domain).
    Unavailable(Support),
    /// The kernel's ABI is older than the policy's minimum.
    AbiTooOld {
        /// The policy's minimum.
        required: Abi,
        /// The kernel's.
        found: Abi,
    },
    /// Strict: the kernel cannot enforce all of the request.
    Unsupported {
        /// The kernel's ABI.
        abi: Abi,
        /// What it cannot enforce.
        missing: Missing,
    },
    /// Strict, or a required domain: the policy handles nothing and has no rule, so there is
    /// nothing to enforce.
    NothingToRestrict,
    /// A domain is required ([`crate::Policy::require_domain`]) and the kernel can enforce none
    /// of the request.
    NothingEnforceable {
        /// The kernel's ABI.
        abi: Abi,
        /// Everything requested, none of it enforceable.
        requested: Missing,
    },
    /// A path rule's path holds a NUL byte (`EINVAL`) or is 4096 bytes or longer
    /// (`ENAMETOOLONG`).
    InvalidPath {
        /// The rule's index.
        rule: usize,
        /// Which of the two.
        errno: Errno,
    },
    /// A path rule's path could not be opened or examined.
    OpenPath {
        /// The rule's index.
        rule: usize,
        /// The kernel's answer (`ENOENT`, `EACCES`, ...).
        errno: Errno,
    },
    /// The kernel refused a rule.
    AddRule {
        /// The rule's index.
        rule: usize,
        /// The kernel's answer.
        errno: Errno,
    },
    /// The kernel refused to create the ruleset.
    CreateRuleset(Errno),
    /// Strict: other threads exist and the kernel has no `TSYNC` to restrict them.
    MultiThreaded {
        /// How many threads the process has, if `/proc` could tell.
        threads: Option<u32>,
    },
    /// Strict: the thread count could not be read (`/proc` not mounted?) and the kernel has no
    /// `TSYNC`.
    ThreadCount(Errno),
    /// `prctl(PR_SET_NO_NEW_PRIVS)` failed.
    NoNewPrivs(Errno),
    /// `landlock_restrict_self` failed (`EPERM` without no_new_privs or `CAP_SYS_ADMIN`,
    /// `E2BIG` past 16 nested domains).
    RestrictSelf(Errno),
}

impl Error {
    /// The index of the rule at fault, if a rule is.
    pub fn rule(&self) -> Option<usize> {
        match *self {
            Error::InvalidPath { rule, .. }
            | Error::OpenPath { rule, .. }
            | Error::AddRule { rule, .. } => Some(rule),
            _ => None,
        }
    }

    /// The kernel's error number, if the failure comes from a syscall.
    pub fn errno(&self) -> Option<Errno> {
        match *self {
            Error::InvalidPath { errno, .. }
            | Error::OpenPath { errno, .. }
            | Error::AddRule { errno, .. }
            | Error::CreateRuleset(errno)
            | Error::ThreadCount(errno)
            | Error::NoNewPrivs(errno)
            | Error::RestrictSelf(errno) => Some(errno),
            Error::Unavailable(Support::Unknown(errno)) => Some(errno),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    /// A message without the rule's path or port, which only the caller knows: it names the
    /// rule by index (`rule 3`), for the caller to replace.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((template, arg)) = self.message() {
            if let Some(rule) = self.rule() {
                write!(f, "rule {rule}: ")?;
            }
            return crate::text::write(f, template, &[arg]);
        }
        match *self {
            Error::AbiTooOld { required, found } => write!(
                f,
                "Landlock ABI {required} (Linux {}) is required, this kernel has ABI {found}",
                required.first_kernel()
            ),
            Error::Unsupported { abi, missing } => {
                write!(f, "this kernel (Landlock ABI {abi}) cannot enforce {missing}")
            }
            Error::NothingToRestrict => f.write_str("the policy restricts nothing"),
            Error::NothingEnforceable { abi, requested } => write!(
                f,
                "this kernel (Landlock ABI {abi}) can enforce none of the sandbox ({requested})"
            ),
            Error::MultiThreaded { threads } => {
                match threads {
                    Some(n) => write!(f, "the process has {n} threads")?,
                    None => f.write_str("the process has other threads")?,
                }
                f.write_str(
                    " and this kernel cannot restrict all of them (TSYNC needs Landlock ABI 8, \
                     Linux 7.0)",
                )
            }
            Error::ThreadCount(errno) => write!(
                f,
                "cannot tell whether the process has other threads (reading /proc/self/task: \
                 {errno}) and this kernel cannot restrict them all (TSYNC needs ABI 8)"
            ),
            // Every other error has a message of its own.
            _ => f.write_str("enforcement failed"),
        }
    }
}

impl core::error::Error for Error {}
