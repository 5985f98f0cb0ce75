//! Why a sandbox could not be set up: each error names the path, port, rule or file at fault.

use std::fmt;
use std::path::PathBuf;

use landlocked_core::Errno;

use crate::rule::Rule;
use crate::seccomp::SeccompError;

/// A failure to build or enforce a sandbox. When it is returned, the calling process has not
/// been restricted, except for [`landlocked_core::Error::RestrictSelf`] and
/// [`landlocked_core::Error::NoNewPrivs`] inside [`Error::Enforce`] and for
/// [`SeccompError::Install`], which only enforcement itself can raise.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A rule could not be added: its path cannot be opened or is malformed, or the kernel
    /// refused it.
    Rule {
        /// The rule's position among the sandbox's rules.
        index: usize,
        /// The rule, with its path or port and where it came from.
        rule: Box<Rule>,
        /// What went wrong.
        source: landlocked_core::Error,
    },
    /// Landlock is missing or too old for the request, a strict request cannot be met, or the
    /// kernel refused to create or enforce the ruleset.
    Enforce(landlocked_core::Error),
    /// A policy file cannot be read or is malformed.
    Policy(PolicyError),
    /// The seccomp layer cannot be built or installed.
    Seccomp(SeccompError),
    /// Strict: the sandbox is pinned to an ABI ([`crate::Sandbox::for_abi`]) and asks network
    /// rights or scopes that ABI lacks.
    BeyondPin(crate::report::BeyondPin),
}

impl Error {
    /// The kernel's error number, if the failure comes from a syscall.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Rule { source, .. } | Error::Enforce(source) => source.errno(),
            Error::Seccomp(SeccompError::Unavailable(errno) | SeccompError::Install(errno)) => {
                Some(*errno)
            }
            Error::Policy(_) | Error::Seccomp(_) | Error::BeyondPin(_) => None,
        }
    }

    /// The rule at fault, if one is.
    pub fn rule(&self) -> Option<&Rule> {
        match self {
            Error::Rule { rule, .. } => Some(rule),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    /// One line, naming the input at fault: `--ro /nope: cannot open: No such file or directory
    /// (ENOENT)`, `policy.toml:3:14: unknown filesystem right "reed_file"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Rule { rule, source, .. } => {
                let target = rule.target();
                match &rule.origin {
                    // An origin such as `--ro /usr` already names the target.
                    Some(origin) if origin.ends_with(&target.to_string()) => {
                        write!(f, "{origin}: ")?
                    }
                    Some(origin) => write!(f, "{origin}: {target}: ")?,
                    None => write!(f, "{target}: ")?,
                }
                write_rule_error(f, source)
            }
            Error::Enforce(e) => write!(f, "{e}"),
            Error::Policy(e) => write!(f, "{e}"),
            Error::Seccomp(e) => write!(f, "{e}"),
            Error::BeyondPin(b) => {
                let abi = b.abi.map_or(String::from("?"), |a| a.to_string());
                write!(
                    f,
                    "the sandbox is pinned to Landlock ABI {abi}, which cannot restrict {}",
                    b.missing()
                )
            }
        }
    }
}

/// The reason of a rule error, without the core's `rule N` prefix.
fn write_rule_error(f: &mut fmt::Formatter<'_>, e: &landlocked_core::Error) -> fmt::Result {
    match e.message() {
        Some((template, arg)) => landlocked_core::text::write(f, template, &[arg]),
        None => write!(f, "{e}"),
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Rule { source, .. } | Error::Enforce(source) => Some(source),
            Error::Policy(e) => Some(e),
            Error::Seccomp(e) => Some(e),
            Error::BeyondPin(_) => None,
        }
    }
}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Error {
        Error::Policy(e)
    }
}

/// A policy file that cannot be read, or is malformed at a line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// The file, as it was named.
    pub file: PathBuf,
    /// Where in the file, 1-based (line, column in characters); `None` when the file could not
    /// be read at all.
    pub position: Option<(usize, usize)>,
    /// What is wrong, on one line.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => {
                write!(f, "{}:{line}:{column}: {}", self.file.display(), self.message)
            }
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for PolicyError {}
