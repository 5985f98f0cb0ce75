//! The environment interface of the kernel's sample sandboxer (`samples/landlock/sandboxer.c`,
//! Linux 7.3), parsed in place: no allocation, no copy, every path a slice of the caller's
//! variable.
//!
//! [`SandboxerEnv::parse`] reads the variables through a lookup function and checks all of them
//! before anything is opened; the result gives a [`Policy`] and is itself the [`Rules`], walking
//! the colon-separated lists each time it is asked.
//!
//! | variable | meaning (as in the sample) |
//! | --- | --- |
//! | `LL_FS_RO` | required; paths allowed `execute`, `read_file`, `read_dir` |
//! | `LL_FS_RW` | required; paths allowed every right (the read ones and the sample's "roughly write" set) |
//! | `LL_TCP_BIND`, `LL_TCP_CONNECT`, `LL_UDP_BIND`, `LL_UDP_CONNECT_SEND` | ports allowed; unset leaves that access unrestricted, empty denies all of it |
//! | `LL_SCOPED` | `a` (abstract UNIX sockets) and/or `s` (signals), colon-separated |
//! | `LL_FORCE_LOG` | `1`: log denials after the command's `execve` (ABI 7) |
//! | `LL_FS_QUIET`, `LL_NET_QUIET` | paths and ports whose denials are not logged (ABI 10) |
//! | `LL_QUIET_ACCESS` | which denials are quiet: `all`, `read`, `write`, `tcp_bind`, `tcp_connect`, `udp_bind`, `udp_connect`, `abstract_unix_socket`, `signal`; required with a `*_QUIET` list |
//!
//! An empty `LL_FS_RO` or `LL_FS_RW` means no rule; otherwise every item is a path, even an
//! empty one (`a::b`), and a path that cannot be opened is skipped with a message, as the sample
//! does (hence [`OnMissing::Skip`] and [`Rules::skipped`]: see [`SandboxerEnv::with_skip_hook`]).
//! Empty items of port and quiet-access lists are ignored. A non-directory only gets the rights
//! that apply to files (the core does that).
//!
//! Best effort like the sample: what the kernel cannot restrict is reported, not refused. Where
//! the sample refuses outright, so does the policy, through [`Policy::min_abi`]: no Landlock at
//! all (ABI 1), `LL_FORCE_LOG` before ABI 7, any quiet variable before ABI 10
//! ([`SandboxerEnv::required_by`] names the variable). Two deliberate differences: a port list on a
//! kernel that cannot restrict that protocol is reported as not enforced (the sample fails when
//! the kernel rejects the rule), and a bad item is an error on every kernel (the sample does
//! not read `LL_SCOPED` at all before ABI 6).
//!
//! The command must not see these variables, as with the sample (which unsets them):
//! [`is_variable`] tells which environment entries to drop.

use core::fmt::{self, Write as _};

use crate::abi::Abi;
use crate::access::{AccessFs, AccessNet, Scope};
use crate::error::Error;
use crate::flags::RestrictSelfFlags;
use crate::policy::{
    Compat, Handled, OnMissing, PathSource, Policy, Rule, Rules, SkipReason, Threads,
};

/// Paths allowed to be read and executed.
pub const LL_FS_RO: &str = "LL_FS_RO";
/// Paths allowed to be read, executed and written.
pub const LL_FS_RW: &str = "LL_FS_RW";
/// Paths whose denials are not logged.
pub const LL_FS_QUIET: &str = "LL_FS_QUIET";
/// TCP ports allowed to bind.
pub const LL_TCP_BIND: &str = "LL_TCP_BIND";
/// TCP ports allowed to connect to.
pub const LL_TCP_CONNECT: &str = "LL_TCP_CONNECT";
/// Local UDP ports allowed to bind.
pub const LL_UDP_BIND: &str = "LL_UDP_BIND";
/// Remote UDP ports allowed to connect or send to.
pub const LL_UDP_CONNECT_SEND: &str = "LL_UDP_CONNECT_SEND";
/// Ports whose denials are not logged.
pub const LL_NET_QUIET: &str = "LL_NET_QUIET";
/// Scopes: `a`, `s`.
pub const LL_SCOPED: &str = "LL_SCOPED";
/// `1` to log denials.
pub const LL_FORCE_LOG: &str = "LL_FORCE_LOG";
/// Which denials quiet rules silence.
pub const LL_QUIET_ACCESS: &str = "LL_QUIET_ACCESS";

/// Every variable of the interface: the ones to keep from the sandboxed command. The list
/// variables come first, in the order of their rules.
pub const VARIABLES: [&str; 11] = [
    LL_FS_RO,
    LL_FS_RW,
    LL_FS_QUIET,
    LL_TCP_BIND,
    LL_TCP_CONNECT,
    LL_UDP_BIND,
    LL_UDP_CONNECT_SEND,
    LL_NET_QUIET,
    LL_SCOPED,
    LL_FORCE_LOG,
    LL_QUIET_ACCESS,
];

/// The sample's "roughly read" set, granted by `LL_FS_RO` (and quieted by `read`).
pub const ACCESS_RO: AccessFs = AccessFs::READ_EXECUTE;
/// Everything, granted by `LL_FS_RW`: the read set and the sample's "roughly write" set
/// ([`AccessFs::WRITE`], quieted by `write`). Also the filesystem rights the policy handles.
pub const ACCESS_RW: AccessFs = AccessFs::READ_EXECUTE.union(AccessFs::WRITE);

/// Whether `name` (without `=value`) is one of the interface's [`VARIABLES`].
pub fn is_variable(name: &[u8]) -> bool {
    VARIABLES.iter().any(|v| v.as_bytes() == name)
}

/// What the items of a list variable become.
#[derive(Clone, Copy)]
enum List {
    /// Paths, each granted these rights.
    Paths(AccessFs),
    /// Ports, each granted these rights.
    Ports(AccessNet),
}

/// The list variables, in the order the sample adds their rules (rules are numbered in this
/// order). An empty grant means a quiet rule.
const LISTS: [(&str, List); 8] = [
    (LL_FS_RO, List::Paths(ACCESS_RO)),
    (LL_FS_RW, List::Paths(ACCESS_RW)),
    (LL_FS_QUIET, List::Paths(AccessFs::empty())),
    (LL_TCP_BIND, List::Ports(AccessNet::BIND_TCP)),
    (LL_TCP_CONNECT, List::Ports(AccessNet::CONNECT_TCP)),
    (LL_UDP_BIND, List::Ports(AccessNet::BIND_UDP)),
    (LL_UDP_CONNECT_SEND, List::Ports(AccessNet::CONNECT_SEND_UDP)),
    (LL_NET_QUIET, List::Ports(AccessNet::empty())),
];

/// The `LL_QUIET_ACCESS` words (but `all`).
const QUIET_WORDS: [(&str, AccessFs, AccessNet, Scope); 8] = [
    ("read", ACCESS_RO, AccessNet::empty(), Scope::empty()),
    ("write", AccessFs::WRITE, AccessNet::empty(), Scope::empty()),
    ("tcp_bind", AccessFs::empty(), AccessNet::BIND_TCP, Scope::empty()),
    ("tcp_connect", AccessFs::empty(), AccessNet::CONNECT_TCP, Scope::empty()),
    ("udp_bind", AccessFs::empty(), AccessNet::BIND_UDP, Scope::empty()),
    ("udp_connect", AccessFs::empty(), AccessNet::CONNECT_SEND_UDP, Scope::empty()),
    ("abstract_unix_socket", AccessFs::empty(), AccessNet::empty(), Scope::ABSTRACT_UNIX_SOCKET),
    ("signal", AccessFs::empty(), AccessNet::empty(), Scope::SIGNAL),
];

/// Bad input in the variables. Each names the variable and, where there is one, the bad item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvError<'a> {
    /// `LL_FS_RO` or `LL_FS_RW` is not set (the sample requires both; empty means no rule).
    Missing(&'static str),
    /// A port list item that is not a decimal number.
    BadPort {
        /// The variable.
        variable: &'static str,
        /// The item.
        item: &'a [u8],
    },
    /// A port above 65535.
    PortOutOfRange {
        /// The variable.
        variable: &'static str,
        /// The item.
        item: &'a [u8],
    },
    /// An `LL_SCOPED` item other than `a` or `s`, or one given twice.
    BadScope(&'a [u8]),
    /// An `LL_FORCE_LOG` value other than `1`.
    BadForceLog(&'a [u8]),
    /// An unknown `LL_QUIET_ACCESS` item.
    BadQuietAccess(&'a [u8]),
    /// `LL_FS_QUIET` or `LL_NET_QUIET` (named) is set without `LL_QUIET_ACCESS`.
    QuietAccessRequired(&'static str),
}

impl fmt::Display for EnvError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EnvError::Missing(var) => {
                write!(f, "{var} is not set (set it to the paths to allow, or to \"\" for none)")
            }
            EnvError::BadPort { variable, item } => {
                write!(f, "{variable}: \"{}\" is not a port number", Bytes(item))
            }
            EnvError::PortOutOfRange { variable, item } => {
                write!(f, "{variable}: port {} is out of range (0 to 65535)", Bytes(item))
            }
            EnvError::BadScope(item) => write!(
                f,
                "{LL_SCOPED}: unknown or duplicate scope \"{}\" (expected \"a\" and/or \"s\")",
                Bytes(item)
            ),
            EnvError::BadForceLog(value) => {
                write!(f, "{LL_FORCE_LOG}: unknown value \"{}\" (only \"1\" is)", Bytes(value))
            }
            EnvError::BadQuietAccess(item) => {
                write!(f, "{LL_QUIET_ACCESS}: unknown access \"{}\"", Bytes(item))
            }
            EnvError::QuietAccessRequired(var) => {
                write!(f, "{LL_QUIET_ACCESS} must be set (e.g. to \"all\") when {var} is used")
            }
        }
    }
}

impl core::error::Error for EnvError<'_> {}

/// Where a rule comes from: its variable and its item there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuleSource<'a> {
    /// The variable (`LL_FS_RO`, ...).
    pub variable: &'static str,
    /// The path or port as written.
    pub item: &'a [u8],
}

impl fmt::Display for RuleSource<'_> {
    /// `LL_FS_RO "/usr"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} \"{}\"", self.variable, Bytes(self.item))
    }
}

/// Bytes shown as text on one line: UTF-8 as it is, control characters, `"` and `\` escaped,
/// other bytes as `\xNN`.
#[derive(Clone, Copy, Debug)]
pub struct Bytes<'a>(pub &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() || c == '"' || c == '\\' {
                    write!(f, "{}", c.escape_default())?;
                } else {
                    f.write_char(c)?;
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// A port as `strtoull` reads it in the sample: optional leading white space and `+`, then
/// decimal digits and nothing else (a `-` sign, which `strtoull` would wrap around, is refused).
fn parse_port(item: &[u8]) -> Result<u16, bool> {
    let start = item.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'));
    let mut digits = &item[start.unwrap_or(item.len())..];
    if let [b'+', rest @ ..] = digits {
        digits = rest;
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(false);
    }
    let mut port: u32 = 0;
    for &d in digits {
        port = port.saturating_mul(10).saturating_add(u32::from(d - b'0'));
    }
    u16::try_from(port).map_err(|_| true)
}

/// The items of a colon-separated list.
fn items(value: &[u8]) -> Items<'_> {
    Items(Some(value))
}

/// The iterator of [`items`]: what is left of the list, `None` after its last item.
///
/// `value.split(|&b| b == b':')` but for the inlining: `next` is one function here, where the
/// slice's `Split` would be copied into each of the eight loops over a list, a third of a
/// kilobyte in the static sandboxer.
struct Items<'a>(Option<&'a [u8]>);

impl<'a> Iterator for Items<'a> {
    type Item = &'a [u8];

    #[inline(never)]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.0?;
        let Some(at) = rest.iter().position(|&b| b == b':') else {
            self.0 = None;
            return Some(rest);
        };
        let (item, after) = rest.split_at(at);
        self.0 = after.get(1..);
        Some(item)
    }
}

/// The items of a list variable that make rules: for paths, none when the value is empty and
/// every item otherwise, even an empty one; for ports, the non-empty items.
fn list_items(list: List, value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let paths = matches!(list, List::Paths(_));
    let none = paths && value.is_empty();
    items(value).filter(move |i| !none && (paths || !i.is_empty()))
}

/// The sample's variables, checked, as a [`Policy`] and its [`Rules`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SandboxerEnv<'a> {
    policy: Policy,
    /// The value of each of [`LISTS`], if set.
    lists: [Option<&'a [u8]>; 8],
    /// The index after the last rule of each list (rules are numbered across lists).
    ends: [usize; 8],
    /// The variable that raised the minimum ABI above 1, and to what.
    required: Option<(Abi, &'static str)>,
}

impl<'a> SandboxerEnv<'a> {
    /// Reads and checks every variable through `lookup` (a variable's value, if set; the first
    /// one when the environment has it twice, as `getenv`). Nothing is opened.
    pub fn parse<F>(lookup: F) -> Result<SandboxerEnv<'a>, EnvError<'a>>
    where
        F: Fn(&str) -> Option<&'a [u8]>,
    {
        // Each variable is looked up once (the lookup is inlined wherever it is called).
        let mut values = [None; VARIABLES.len()];
        for (value, var) in values.iter_mut().zip(VARIABLES) {
            *value = lookup(var);
        }
        let [ro, rw, fs_quiet, _, _, _, _, net_quiet, scoped_var, force_log, quiet_access] = values;
        let mut lists = [None; LISTS.len()];
        lists.copy_from_slice(&values[..LISTS.len()]);
        if ro.is_none() {
            return Err(EnvError::Missing(LL_FS_RO));
        }
        if rw.is_none() {
            return Err(EnvError::Missing(LL_FS_RW));
        }

        // A port variable that is set handles its right, even empty (then nothing is allowed).
        let mut net = AccessNet::empty();
        for (value, &(variable, list)) in lists.iter().zip(LISTS.iter()) {
            let (Some(value), List::Ports(access)) = (value, list) else { continue };
            net |= access;
            for item in items(value).filter(|i| !i.is_empty()) {
                match parse_port(item) {
                    Ok(_) => {}
                    Err(false) => return Err(EnvError::BadPort { variable, item }),
                    Err(true) => return Err(EnvError::PortOutOfRange { variable, item }),
                }
            }
        }

        let mut scoped = Scope::empty();
        if let Some(value) = scoped_var.filter(|v| !v.is_empty()) {
            for item in items(value) {
                let scope = match item {
                    b"a" => Scope::ABSTRACT_UNIX_SOCKET,
                    b"s" => Scope::SIGNAL,
                    _ => return Err(EnvError::BadScope(item)),
                };
                if scoped.contains(scope) {
                    return Err(EnvError::BadScope(item));
                }
                scoped |= scope;
            }
        }

        let mut required = None;
        let mut log = RestrictSelfFlags::empty();
        if let Some(value) = force_log {
            if value != b"1" {
                return Err(EnvError::BadForceLog(value));
            }
            log = RestrictSelfFlags::LOG_NEW_EXEC_ON;
            required = Some((Abi::V7, LL_FORCE_LOG));
        }

        let (mut quiet_fs, mut quiet_net, mut quiet_scoped) =
            (AccessFs::empty(), AccessNet::empty(), Scope::empty());
        for (var, value) in [(LL_FS_QUIET, fs_quiet), (LL_NET_QUIET, net_quiet)] {
            if value.is_some() && quiet_access.is_none() {
                return Err(EnvError::QuietAccessRequired(var));
            }
        }
        if let Some(value) = quiet_access {
            for item in items(value).filter(|i| !i.is_empty()) {
                if item == b"all" {
                    // Everything handled: the negotiation keeps the handled part.
                    (quiet_fs, quiet_net, quiet_scoped) =
                        (AccessFs::all(), AccessNet::all(), Scope::all());
                    continue;
                }
                let Some(&(_, fs, net, scope)) =
                    QUIET_WORDS.iter().find(|(word, ..)| word.as_bytes() == item)
                else {
                    return Err(EnvError::BadQuietAccess(item));
                };
                quiet_fs |= fs;
                quiet_net |= net;
                quiet_scoped |= scope;
            }
        }
        // The sample refuses every quiet variable on a kernel without quiet rules (ABI 10).
        let quiet_vars =
            [(LL_FS_QUIET, fs_quiet), (LL_NET_QUIET, net_quiet), (LL_QUIET_ACCESS, quiet_access)];
        if let Some(&(var, _)) = quiet_vars.iter().find(|(_, value)| value.is_some()) {
            required = Some((Abi::V10, var));
        }

        let policy = Policy {
            // The sample handles every filesystem right it knows, masked by the kernel's ABI.
            fs: Handled::Supported,
            net: Handled::Only(net),
            scoped: Handled::Only(scoped),
            quiet_fs,
            quiet_net,
            quiet_scoped,
            log,
            threads: Threads::Process,
            no_new_privs: true,
            compat: Compat::BestEffort,
            // The sample fails without Landlock.
            min_abi: Some(required.map_or(Abi::V1, |(abi, _)| abi)),
            // Like the sample, which runs the command once Landlock is there.
            require_domain: false,
            on_missing: OnMissing::Skip,
        };
        let mut ends = [0; 8];
        let mut count = 0;
        for ((end, value), &(_, list)) in ends.iter_mut().zip(&lists).zip(LISTS.iter()) {
            count += value.map_or(0, |v| list_items(list, v).count());
            *end = count;
        }
        Ok(SandboxerEnv { policy, lists, ends, required })
    }

    /// The policy: every filesystem right handled, the network rights of the port variables that
    /// are set, the scopes of `LL_SCOPED`, best effort, no_new_privs, missing paths skipped.
    ///
    /// Its [`Policy::threads`] is [`Threads::Process`]; a caller that knows it is
    /// single-threaded may choose [`Threads::CallingThread`] and save the thread count.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The variable that requires an ABI above 1, and that ABI: `LL_FORCE_LOG` needs 7, the
    /// quiet variables 10. For the message when [`Error::AbiTooOld`] comes back.
    pub fn required_by(&self) -> Option<(Abi, &'static str)> {
        self.required
    }

    /// How many rules there are.
    pub fn rule_count(&self) -> usize {
        self.ends[self.ends.len() - 1]
    }

    /// Where rule `index` comes from (reading only its own variable).
    pub fn source(&self, index: usize) -> Option<RuleSource<'a>> {
        let k = self.ends.iter().position(|&end| index < end)?;
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        let (variable, list) = LISTS[k];
        let item = list_items(list, self.lists[k]?).nth(index - start)?;
        Some(RuleSource { variable, item })
    }

    /// An enforcement error with the rule it names (`rule 3`) replaced by its variable and item:
    /// `LL_FS_RW "/srv": the kernel refused the rule: ...`.
    pub fn explain<'s>(&'s self, error: &'s Error) -> Explained<'s, 'a> {
        Explained { env: self, error }
    }

    /// These rules, telling `hook` about each one skipped (a path that cannot be opened, or a
    /// rule the kernel cannot enforce), with its source; the sample prints the first kind.
    pub fn with_skip_hook<F>(&self, hook: F) -> WithSkipHook<'_, 'a, F>
    where
        F: Fn(RuleSource<'_>, SkipReason),
    {
        WithSkipHook { env: self, hook }
    }

    /// Calls `f` with each rule, its index and its source, in the sample's order.
    fn walk<E>(
        &self,
        f: &mut dyn FnMut(usize, RuleSource<'a>, Rule<'a>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut index = 0;
        for (value, &(variable, list)) in self.lists.iter().zip(LISTS.iter()) {
            let Some(value) = *value else { continue };
            for item in list_items(list, value) {
                let rule = match list {
                    List::Paths(access) => Rule::Path {
                        source: PathSource::Path(item),
                        access,
                        quiet: access.is_empty(),
                    },
                    // Checked by `parse`: every port parses here. Were one not to, its rule
                    // would be left out, which allows less, never more.
                    List::Ports(access) => match parse_port(item) {
                        Ok(port) => Rule::Port { port, access, quiet: access.is_empty() },
                        Err(_) => continue,
                    },
                };
                f(index, RuleSource { variable, item }, rule)?;
                index += 1;
            }
        }
        Ok(())
    }
}

impl Rules for SandboxerEnv<'_> {
    fn try_for_each<E>(
        &self,
        f: &mut dyn FnMut(usize, Rule<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.walk(&mut |index, _, rule| f(index, rule))
    }
}

/// [`SandboxerEnv`]'s rules with a hook for skipped ones ([`SandboxerEnv::with_skip_hook`]).
pub struct WithSkipHook<'e, 'a, F> {
    env: &'e SandboxerEnv<'a>,
    hook: F,
}

impl<F> fmt::Debug for WithSkipHook<'_, '_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithSkipHook").field("env", self.env).finish_non_exhaustive()
    }
}

impl<F: Fn(RuleSource<'_>, SkipReason)> Rules for WithSkipHook<'_, '_, F> {
    fn try_for_each<E>(
        &self,
        f: &mut dyn FnMut(usize, Rule<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.env.try_for_each(f)
    }

    fn skipped(&self, index: usize, rule: Rule<'_>, reason: SkipReason) {
        let _ = rule;
        if let Some(source) = self.env.source(index) {
            (self.hook)(source, reason);
        }
    }
}

/// An enforcement error told in terms of the variables ([`SandboxerEnv::explain`]).
#[derive(Debug)]
pub struct Explained<'s, 'a> {
    env: &'s SandboxerEnv<'a>,
    error: &'s Error,
}

impl fmt::Display for Explained<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = self.error.rule().and_then(|i| self.env.source(i));
        match (*self.error, source) {
            (Error::OpenPath { errno, .. }, Some(s)) => write!(f, "{s}: cannot open: {errno}"),
            (Error::InvalidPath { errno, .. }, Some(s)) => write!(f, "{s}: invalid path: {errno}"),
            (Error::AddRule { errno, .. }, Some(s)) => {
                write!(f, "{s}: the kernel refused the rule: {errno}")
            }
            (Error::AbiTooOld { required, found }, _)
                if self.env.required.is_some_and(|(abi, _)| abi == required) =>
            {
                let (_, var) = self.env.required.unwrap_or((required, "?"));
                write!(
                    f,
                    "{var} needs Landlock ABI {required} (Linux {}), this kernel has ABI {found}",
                    required.first_kernel()
                )
            }
            (error, _) => write!(f, "{error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{Errata, Kernel};
    use crate::errno::Errno;
    use crate::negotiate::negotiate;
    use crate::report::Report;
    use std::cell::RefCell;
    use std::format;
    use std::string::{String, ToString};
    use std::vec::Vec;

    /// Parses an environment given as `NAME=value` entries.
    fn env<'a>(entries: &[&'a str]) -> Result<SandboxerEnv<'a>, EnvError<'a>> {
        SandboxerEnv::parse(|name| {
            entries.iter().find_map(|&e: &&'a str| {
                let (n, v) = e.split_once('=').unwrap();
                (n == name).then_some(v.as_bytes())
            })
        })
    }

    fn rules<'a>(env: &SandboxerEnv<'a>) -> Vec<(String, Rule<'a>)> {
        let mut out = Vec::new();
        env.walk(&mut |i, source, rule| -> Result<(), ()> {
            assert_eq!(i, out.len());
            out.push((source.to_string(), rule));
            Ok(())
        })
        .unwrap();
        out
    }

    fn path(p: &str, access: AccessFs) -> Rule<'_> {
        Rule::Path { source: PathSource::Path(p.as_bytes()), access, quiet: false }
    }

    const BASE: [&str; 2] = ["LL_FS_RO=", "LL_FS_RW="];

    fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut v: Vec<&str> = BASE.to_vec();
        v.extend_from_slice(extra);
        v
    }

    #[test]
    fn both_path_variables_are_required() {
        assert_eq!(env(&["LL_FS_RW="]), Err(EnvError::Missing(LL_FS_RO)));
        assert_eq!(env(&["LL_FS_RO=/usr"]), Err(EnvError::Missing(LL_FS_RW)));
        assert_eq!(
            EnvError::Missing(LL_FS_RO).to_string(),
            "LL_FS_RO is not set (set it to the paths to allow, or to \"\" for none)"
        );
    }

    #[test]
    fn empty_paths_mean_no_rule_and_everything_denied() {
        let e = env(&BASE).unwrap();
        assert_eq!(e.rule_count(), 0);
        let p = e.policy();
        assert_eq!(p.fs, Handled::Supported);
        assert_eq!(p.net, Handled::Only(AccessNet::empty()));
        assert_eq!(p.scoped, Handled::Only(Scope::empty()));
        assert_eq!(p.log, RestrictSelfFlags::empty());
        assert_eq!((p.quiet_fs, p.quiet_net, p.quiet_scoped), Default::default());
        assert!(p.no_new_privs);
        assert_eq!(p.compat, Compat::BestEffort);
        assert_eq!(p.min_abi, Some(Abi::V1));
        assert_eq!(p.on_missing, OnMissing::Skip);
        assert_eq!(p.threads, Threads::Process);
        assert_eq!(e.required_by(), None);
    }

    #[test]
    fn read_only_and_read_write_paths_in_order() {
        let e = env(&["LL_FS_RW=/tmp:/dev/null", "LL_FS_RO=/usr:/etc/hosts"]).unwrap();
        assert_eq!(
            rules(&e),
            [
                ("LL_FS_RO \"/usr\"".to_string(), path("/usr", ACCESS_RO)),
                ("LL_FS_RO \"/etc/hosts\"".to_string(), path("/etc/hosts", ACCESS_RO)),
                ("LL_FS_RW \"/tmp\"".to_string(), path("/tmp", AccessFs::all())),
                ("LL_FS_RW \"/dev/null\"".to_string(), path("/dev/null", AccessFs::all())),
            ]
        );
        assert_eq!(ACCESS_RO, AccessFs::EXECUTE | AccessFs::READ_FILE | AccessFs::READ_DIR);
        assert_eq!(e.source(2), Some(RuleSource { variable: LL_FS_RW, item: b"/tmp" }));
        assert_eq!(e.source(4), None);
        assert_eq!(e.rule_count(), 4);
        for (i, (text, _)) in rules(&e).into_iter().enumerate() {
            assert_eq!(e.source(i).unwrap().to_string(), text);
        }
    }

    #[test]
    fn paths_are_slices_of_the_variable() {
        let value = String::from("LL_FS_RO=/a:/bb");
        let entries = [value.as_str(), "LL_FS_RW="];
        let e = env(&entries).unwrap();
        let Rule::Path { source: PathSource::Path(p), .. } = rules(&e)[1].1 else { panic!() };
        assert_eq!(p, b"/bb");
        assert!(value.as_bytes().as_ptr_range().contains(&p.as_ptr()), "the path was copied");
    }

    #[test]
    fn empty_items_of_a_path_list_are_paths_as_in_the_sample() {
        // Only a wholly empty value means "no rule"; `a::b` and `:` hold empty paths, which
        // cannot be opened and are skipped with a message.
        let e = env(&["LL_FS_RO=/a::/b", "LL_FS_RW=:"]).unwrap();
        let got: Vec<String> = rules(&e).into_iter().map(|(s, _)| s).collect();
        assert_eq!(
            got,
            [
                "LL_FS_RO \"/a\"",
                "LL_FS_RO \"\"",
                "LL_FS_RO \"/b\"",
                "LL_FS_RW \"\"",
                "LL_FS_RW \"\""
            ]
        );
    }

    #[test]
    fn unset_port_variables_leave_their_access_unrestricted() {
        let e = env(&with(&["LL_TCP_CONNECT=", "LL_UDP_BIND=53"])).unwrap();
        assert_eq!(
            e.policy().net,
            Handled::Only(AccessNet::CONNECT_TCP | AccessNet::BIND_UDP),
            "set (even empty) variables are handled, unset ones are not"
        );
        assert_eq!(
            rules(&e),
            [("LL_UDP_BIND \"53\"".to_string(), Rule::port(53, AccessNet::BIND_UDP))]
        );
        let all = env(&with(&[
            "LL_TCP_BIND=1",
            "LL_TCP_CONNECT=2",
            "LL_UDP_BIND=3",
            "LL_UDP_CONNECT_SEND=4",
        ]))
        .unwrap();
        assert_eq!(all.policy().net, Handled::Only(AccessNet::all()));
        let got: Vec<Rule<'_>> = rules(&all).into_iter().map(|(_, r)| r).collect();
        assert_eq!(
            got,
            [
                Rule::port(1, AccessNet::BIND_TCP),
                Rule::port(2, AccessNet::CONNECT_TCP),
                Rule::port(3, AccessNet::BIND_UDP),
                Rule::port(4, AccessNet::CONNECT_SEND_UDP),
            ]
        );
    }

    #[test]
    fn ports_parse_as_strtoull_in_the_sample() {
        let e = env(&with(&["LL_TCP_BIND=80::443:", "LL_TCP_CONNECT= +8080:0:65535"])).unwrap();
        let ports: Vec<u16> = rules(&e)
            .into_iter()
            .map(|(_, r)| match r {
                Rule::Port { port, .. } => port,
                _ => panic!(),
            })
            .collect();
        assert_eq!(ports, [80, 443, 8080, 0, 65535]);

        for (value, item) in [("abc", "abc"), ("80:8x", "8x"), ("-1", "-1"), ("+", "+"), (" ", " ")]
        {
            let entry = format!("LL_TCP_CONNECT={value}");
            let entries = with(&[entry.as_str()]);
            assert_eq!(
                env(&entries),
                Err(EnvError::BadPort { variable: LL_TCP_CONNECT, item: item.as_bytes() }),
                "{value}"
            );
        }
        for value in ["70000", "65536", "99999999999999999999999999"] {
            let entry = format!("LL_UDP_CONNECT_SEND=22:{value}");
            let entries = with(&[entry.as_str()]);
            let err = env(&entries).unwrap_err();
            assert_eq!(
                err,
                EnvError::PortOutOfRange { variable: LL_UDP_CONNECT_SEND, item: value.as_bytes() }
            );
            assert_eq!(
                err.to_string(),
                format!("LL_UDP_CONNECT_SEND: port {value} is out of range (0 to 65535)")
            );
        }
        assert_eq!(
            env(&with(&["LL_TCP_BIND=abc"])).unwrap_err().to_string(),
            "LL_TCP_BIND: \"abc\" is not a port number"
        );
    }

    #[test]
    fn scopes() {
        let scoped = |v: &str| {
            let entry = format!("LL_SCOPED={v}");
            env(&with(&[entry.as_str()])).map(|e| e.policy().scoped).map_err(|e| e.to_string())
        };
        assert_eq!(scoped("a:s"), Ok(Handled::Only(Scope::all())));
        assert_eq!(scoped("s"), Ok(Handled::Only(Scope::SIGNAL)));
        assert_eq!(scoped("a"), Ok(Handled::Only(Scope::ABSTRACT_UNIX_SOCKET)));
        assert_eq!(scoped(""), Ok(Handled::Only(Scope::empty())));
        assert_eq!(env(&BASE).unwrap().policy().scoped, Handled::Only(Scope::empty()));
        for (value, item) in [("a:a", "a"), ("x", "x"), ("a:", ""), ("s:a:s", "s"), ("A", "A")] {
            assert_eq!(
                scoped(value),
                Err(format!(
                    "LL_SCOPED: unknown or duplicate scope \"{item}\" (expected \"a\" and/or \"s\")"
                )),
                "{value}"
            );
        }
    }

    #[test]
    fn force_log_takes_only_1_and_needs_abi_7() {
        let e = env(&with(&["LL_FORCE_LOG=1"])).unwrap();
        assert_eq!(e.policy().log, RestrictSelfFlags::LOG_NEW_EXEC_ON);
        assert_eq!(e.policy().min_abi, Some(Abi::V7));
        assert_eq!(e.required_by(), Some((Abi::V7, LL_FORCE_LOG)));
        for bad in ["0", "", "yes", "1 "] {
            let entry = format!("LL_FORCE_LOG={bad}");
            let entries = with(&[entry.as_str()]);
            assert_eq!(env(&entries), Err(EnvError::BadForceLog(bad.as_bytes())));
        }
    }

    #[test]
    fn quiet_lists_need_quiet_access() {
        assert_eq!(
            env(&with(&["LL_FS_QUIET=/tmp"])),
            Err(EnvError::QuietAccessRequired(LL_FS_QUIET))
        );
        assert_eq!(
            env(&with(&["LL_NET_QUIET=53"])).unwrap_err().to_string(),
            "LL_QUIET_ACCESS must be set (e.g. to \"all\") when LL_NET_QUIET is used"
        );
        let e = env(&with(&[
            "LL_FS_QUIET=/tmp:/var",
            "LL_NET_QUIET=53",
            "LL_QUIET_ACCESS=read",
            "LL_TCP_BIND=8",
        ]))
        .unwrap();
        assert_eq!(
            rules(&e).into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
            [
                Rule::Path {
                    source: PathSource::Path(b"/tmp"),
                    access: AccessFs::empty(),
                    quiet: true
                },
                Rule::Path {
                    source: PathSource::Path(b"/var"),
                    access: AccessFs::empty(),
                    quiet: true
                },
                Rule::port(8, AccessNet::BIND_TCP),
                Rule::Port { port: 53, access: AccessNet::empty(), quiet: true },
            ]
        );
        assert_eq!(e.required_by(), Some((Abi::V10, LL_FS_QUIET)));
        assert_eq!(e.policy().min_abi, Some(Abi::V10));
        // Quiet-access alone (it quiets scope denials, which need no rule) also needs ABI 10.
        let alone = env(&with(&["LL_QUIET_ACCESS=signal", "LL_FORCE_LOG=1"])).unwrap();
        assert_eq!(alone.required_by(), Some((Abi::V10, LL_QUIET_ACCESS)));
        assert_eq!(alone.policy().quiet_scoped, Scope::SIGNAL);
    }

    #[test]
    fn quiet_access_words() {
        let quiet = |v: &str| {
            let entry = format!("LL_QUIET_ACCESS={v}");
            env(&with(&[entry.as_str()]))
                .map(|e| (e.policy().quiet_fs, e.policy().quiet_net, e.policy().quiet_scoped))
                .map_err(|e| e.to_string())
        };
        assert_eq!(quiet("all"), Ok((AccessFs::all(), AccessNet::all(), Scope::all())));
        assert_eq!(quiet("read:all"), quiet("all"));
        assert_eq!(quiet("read"), Ok((ACCESS_RO, AccessNet::empty(), Scope::empty())));
        assert_eq!(quiet("write::"), Ok((AccessFs::WRITE, AccessNet::empty(), Scope::empty())));
        assert_eq!(quiet("read:write"), Ok((AccessFs::all(), AccessNet::empty(), Scope::empty())));
        assert_eq!(
            quiet("tcp_bind:tcp_connect:udp_bind:udp_connect"),
            Ok((AccessFs::empty(), AccessNet::all(), Scope::empty()))
        );
        assert_eq!(
            quiet("abstract_unix_socket:signal"),
            Ok((AccessFs::empty(), AccessNet::empty(), Scope::all()))
        );
        assert_eq!(quiet(""), Ok(Default::default()));
        assert_eq!(
            quiet("read:udp_connect_send"),
            Err("LL_QUIET_ACCESS: unknown access \"udp_connect_send\"".to_string())
        );
        assert_eq!(
            EnvError::BadQuietAccess(b"READ").to_string(),
            "LL_QUIET_ACCESS: unknown access \"READ\""
        );
    }

    #[test]
    fn the_first_of_duplicate_entries_wins_as_with_getenv() {
        let e = env(&["LL_FS_RO=/first", "LL_FS_RO=/second", "LL_FS_RW="]).unwrap();
        assert_eq!(rules(&e)[0].0, "LL_FS_RO \"/first\"");
    }

    #[test]
    fn the_list_variables_come_first_in_rule_order() {
        for (i, (name, _)) in LISTS.iter().enumerate() {
            assert_eq!(VARIABLES[i], *name);
        }
    }

    #[test]
    fn variable_names() {
        for v in VARIABLES {
            assert!(is_variable(v.as_bytes()), "{v}");
            assert!(v.starts_with("LL_"));
        }
        assert!(!is_variable(b"LL_FS"));
        assert!(!is_variable(b"LL_FS_RO="));
        assert!(!is_variable(b"PATH"));
        let mut sorted = VARIABLES.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), VARIABLES.len());
    }

    #[test]
    fn bytes_are_shown_on_one_line() {
        assert_eq!(Bytes(b"/caf\xc3\xa9").to_string(), "/café");
        assert_eq!(Bytes(b"a\nb\"c\\").to_string(), "a\\nb\\\"c\\\\");
        assert_eq!(Bytes(b"\xff/x\xc3").to_string(), "\\xff/x\\xc3");
    }

    /// What enforcement on a given kernel would report for these variables.
    fn report_on(e: &SandboxerEnv<'_>, abi: Abi) -> Report {
        let plan = negotiate(&e.policy(), e, &Kernel::with_abi(abi, Errata::all())).unwrap();
        Report { domain: plan.attr.is_some(), ..plan.report }
    }

    #[test]
    fn udp_on_an_abi_7_kernel_is_reported_not_enforced() {
        let e = env(&with(&["LL_UDP_BIND=53", "LL_TCP_BIND=80"])).unwrap();
        let report = report_on(&e, Abi::V7);
        let missing = report.missing();
        assert_eq!(missing.net, AccessNet::BIND_UDP);
        // LL_FS_RW's resolve_unix is incidental to the group: not a request on ABI 7.
        assert_eq!(missing.fs, AccessFs::empty());
        let line = report.to_string();
        assert!(line.contains("partly enforced") && line.contains("bind_udp"), "{line}");
        // The same on ABI 10 and later is complete.
        assert!(report_on(&e, Abi::V10).missing().is_empty());
        // Without Landlock at all it is an error, as in the sample.
        let none = Kernel::without_landlock(crate::abi::Support::NotBuilt);
        assert!(matches!(negotiate(&e.policy(), &e, &none), Err(Error::Unavailable(_))));
    }

    #[test]
    fn scopes_and_logging_before_their_abi() {
        let e = env(&with(&["LL_SCOPED=a:s"])).unwrap();
        assert_eq!(report_on(&e, Abi::V5).missing().scoped, Scope::all());
        assert_eq!(report_on(&e, Abi::V6).missing().scoped, Scope::empty());
        let logged = env(&with(&["LL_FORCE_LOG=1"])).unwrap();
        let err = negotiate(&logged.policy(), &logged, &Kernel::with_abi(Abi::V6, Errata::all()))
            .unwrap_err();
        assert_eq!(err, Error::AbiTooOld { required: Abi::V7, found: Abi::V6 });
        assert_eq!(
            logged.explain(&err).to_string(),
            "LL_FORCE_LOG needs Landlock ABI 7 (Linux 6.15), this kernel has ABI 6"
        );
    }

    #[test]
    fn errors_name_the_variable_and_item() {
        let e = env(&["LL_FS_RO=/usr:/nope", "LL_FS_RW=/tmp", "LL_TCP_BIND=22"]).unwrap();
        let open = Error::OpenPath { rule: 1, errno: Errno::ENOENT };
        assert_eq!(
            e.explain(&open).to_string(),
            "LL_FS_RO \"/nope\": cannot open: No such file or directory (ENOENT)"
        );
        let add = Error::AddRule { rule: 3, errno: Errno::EINVAL };
        assert_eq!(
            e.explain(&add).to_string(),
            "LL_TCP_BIND \"22\": the kernel refused the rule: Invalid argument (EINVAL)"
        );
        let other = Error::RestrictSelf(Errno::EPERM);
        assert_eq!(e.explain(&other).to_string(), other.to_string());
    }

    #[test]
    fn the_skip_hook_gets_the_source() {
        let e = env(&["LL_FS_RO=/usr:/nope", "LL_FS_RW=", "LL_UDP_BIND=53"]).unwrap();
        let seen = RefCell::new(Vec::new());
        let hooked = e.with_skip_hook(|source, reason| {
            seen.borrow_mut().push((source.to_string(), reason));
        });
        let mut n = 0;
        hooked
            .try_for_each(&mut |_, _| -> Result<(), ()> {
                n += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(n, 3);
        hooked.skipped(1, path("/nope", ACCESS_RO), SkipReason::Missing(Errno::ENOENT));
        hooked.skipped(2, Rule::port(53, AccessNet::BIND_UDP), SkipReason::Unsupported);
        assert_eq!(
            *seen.borrow(),
            [
                ("LL_FS_RO \"/nope\"".to_string(), SkipReason::Missing(Errno::ENOENT)),
                ("LL_UDP_BIND \"53\"".to_string(), SkipReason::Unsupported),
            ]
        );
    }

    #[test]
    fn the_walk_stops_at_the_first_error() {
        let e = env(&["LL_FS_RO=/a:/b:/c", "LL_FS_RW="]).unwrap();
        let mut seen = 0;
        let r = e.try_for_each(&mut |i, _| {
            seen += 1;
            if i == 1 { Err("stop") } else { Ok(()) }
        });
        assert_eq!((r, seen), (Err("stop"), 2));
    }
}
