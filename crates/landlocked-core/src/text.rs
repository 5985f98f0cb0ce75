//! Every message of the project about the kernel sample's variables and about enforcement, once:
//! templates with `%` for their arguments, filled here through `core::fmt` (the `Display` of
//! [`crate::Error`], [`crate::sandboxer_env::EnvError`], the std crate's errors) or by the static
//! sandboxer's own writer, which has no `core::fmt`.

use core::fmt;

use crate::abi::{Abi, Support};
use crate::errno::Errno;
use crate::error::Error;
use crate::sandboxer_env::{Bytes, EnvError, LL_FORCE_LOG, LL_QUIET_ACCESS, LL_SCOPED};

/// What a `%` of a template stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg<'a> {
    /// Text as it is (a variable's name).
    Text(&'a str),
    /// Bytes in double quotes, escaped as [`Bytes`] shows them: an item of a variable, a command.
    Quoted(&'a [u8]),
    /// A number in decimal.
    Num(u32),
    /// An error as `strerror` says it, with its name: `No such file or directory (ENOENT)`.
    Errno(Errno),
}

/// A message of one argument at most: its template and that argument (`Text("")` when none).
pub type Message1<'a> = (&'static str, Arg<'a>);

/// A message of two arguments at most.
pub type Message2<'a> = (&'static str, Arg<'a>, Arg<'a>);

const NONE: Arg<'static> = Arg::Text("");

/// Writes `template` with each `%` replaced by the next of `args`.
pub fn write(f: &mut dyn fmt::Write, template: &str, args: &[Arg<'_>]) -> fmt::Result {
    let mut args = args.iter();
    let mut rest = template;
    while let Some(at) = rest.find('%') {
        f.write_str(&rest[..at])?;
        rest = &rest[at + 1..];
        match args.next() {
            Some(Arg::Text(s)) => f.write_str(s)?,
            Some(Arg::Quoted(b)) => write!(f, "\"{}\"", Bytes(b))?,
            Some(Arg::Num(n)) => write!(f, "{n}")?,
            Some(Arg::Errno(e)) => write!(f, "{e}")?,
            None => {}
        }
    }
    f.write_str(rest)
}

/// What the kernel's Landlock support is, as a message says it.
pub const fn support(support: Support) -> &'static str {
    match support {
        Support::NotBuilt => "not built into this kernel",
        Support::Disabled => "disabled at boot",
        _ => "unavailable",
    }
}

/// What to do about missing Landlock, when something can be done.
pub const fn support_hint(support: Support) -> Option<&'static str> {
    match support {
        Support::NotBuilt => {
            Some("build the kernel with CONFIG_SECURITY_LANDLOCK=y and \"landlock\" in CONFIG_LSM")
        }
        Support::Disabled => Some("add \"landlock\" to CONFIG_LSM or to the lsm= boot parameter"),
        _ => None,
    }
}

/// The labels of the report line's parts, in the order of [`crate::Missing`]'s fields.
pub const MISSING_LABELS: [&str; 9] = [
    "fs: ",
    "net: ",
    "scope: ",
    "quiet fs: ",
    "quiet net: ",
    "quiet scope: ",
    "quiet rules",
    "log: ",
    "threads other than this one",
];

/// A report's status, as its one line says it.
pub const FULLY_ENFORCED: &str = "fully enforced";
/// A report's status, as its one line says it.
pub const PARTLY_ENFORCED: &str = "partly enforced, not enforced: ";
/// A report's status, as its one line says it.
pub const NOT_ENFORCED: &str = "not enforced, the process is not sandboxed";
/// What an ABI 1 domain does to every link and rename into another directory.
pub const REFER_ALWAYS_DENIED: &str = "ABI 1 denies every link or rename across directories";

impl EnvError<'_> {
    /// The message, without the program's name (kept as data, not calls, so that the static
    /// sandboxer writes every one with a single call).
    pub const fn message(&self) -> Message2<'_> {
        use Arg::{Quoted, Text};
        match *self {
            EnvError::Missing(var) => (
                "% is not set (set it to the paths to allow, or to \"\" for none)",
                Text(var),
                NONE,
            ),
            EnvError::BadPort { variable, item } => {
                ("%: % is not a port number", Text(variable), Quoted(item))
            }
            EnvError::PortOutOfRange { variable, item } => {
                ("%: port % is out of range (0 to 65535)", Text(variable), Quoted(item))
            }
            EnvError::BadScope(item) => (
                "%: unknown or duplicate scope % (expected \"a\" and/or \"s\")",
                Text(LL_SCOPED),
                Quoted(item),
            ),
            EnvError::BadForceLog(value) => {
                ("%: unknown value % (only \"1\" is)", Text(LL_FORCE_LOG), Quoted(value))
            }
            EnvError::BadQuietAccess(item) => {
                ("%: unknown access %", Text(LL_QUIET_ACCESS), Quoted(item))
            }
            EnvError::QuietAccessRequired(var) => {
                ("% must be set (e.g. to \"all\") when % is used", Text(LL_QUIET_ACCESS), Text(var))
            }
        }
    }
}

impl Error {
    /// What went wrong with a rule (whose path or port the caller names in front), with the
    /// syscall at fault, or with Landlock's availability, without the rule's number; `None` for
    /// the errors about the policy as a whole, which [`Error`]'s `Display` tells.
    pub const fn message(&self) -> Option<Message1<'static>> {
        use Arg::{Errno as E, Text};
        Some(match *self {
            Error::InvalidPath { errno: Errno::EINVAL, .. } => {
                ("the path contains a NUL byte", NONE)
            }
            Error::InvalidPath { errno, .. } => ("invalid path: %", E(errno)),
            Error::OpenPath { errno, .. } => ("cannot open: %", E(errno)),
            Error::AddRule { errno, .. } => ("the kernel refused the rule: %", E(errno)),
            Error::CreateRuleset(errno) => ("cannot create the ruleset: %", E(errno)),
            Error::NoNewPrivs(errno) => ("cannot set no_new_privs: %", E(errno)),
            Error::RestrictSelf(errno) => ("cannot enforce the ruleset: %", E(errno)),
            Error::Unavailable(Support::Unknown(errno)) => {
                ("the version query failed: %", E(errno))
            }
            Error::Unavailable(s) => ("Landlock is required but %", Text(support(s))),
            _ => return None,
        })
    }
}

/// `VAR needs Landlock ABI N, this kernel has ABI M`: the ABI one of the variables requires.
pub const NEEDS_ABI: &str = "% needs Landlock ABI %, this kernel has ABI %";

/// The arguments of [`NEEDS_ABI`].
pub const fn needs_abi(by: &str, required: Abi, found: Abi) -> [Arg<'_>; 3] {
    [Arg::Text(by), Arg::Num(required.version()), Arg::Num(found.version())]
}

/// A [`fmt::Display`] of a template and its arguments.
#[derive(Clone, Copy, Debug)]
pub struct Filled<'t, 'a>(pub &'t str, pub &'t [Arg<'a>]);

impl fmt::Display for Filled<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f, self.0, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};

    #[test]
    fn templates_are_filled_in_order() {
        let mut line = String::new();
        write(&mut line, "%: % and %", &[Arg::Text("A"), Arg::Quoted(b"b\"c"), Arg::Num(7)])
            .unwrap();
        assert_eq!(line, "A: \"b\\\"c\" and 7");
        assert_eq!(
            Filled("%!", &[Arg::Errno(Errno::ENOENT)]).to_string(),
            "No such file or directory (ENOENT)!"
        );
        let e = Error::OpenPath { rule: 2, errno: Errno::EACCES };
        assert_eq!(e.to_string(), "rule 2: cannot open: Permission denied (EACCES)");
        assert_eq!(Error::NothingToRestrict.to_string(), "the policy restricts nothing");
        assert_eq!(
            Error::AbiTooOld { required: Abi::V7, found: Abi::V6 }.to_string(),
            "Landlock ABI 7 (Linux 6.15) is required, this kernel has ABI 6"
        );
    }
}
