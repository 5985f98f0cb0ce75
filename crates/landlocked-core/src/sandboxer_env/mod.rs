//! The environment interface of the kernel's sample sandboxer (`samples/landlock/sandboxer.c`,
//! Linux 7.3), parsed in place: no allocation, no copy, every path a slice of the caller's
//! variable.
//!
//! [`SandboxerEnv::parse`] reads the variables through a lookup function and checks all of them
//! before anything is opened; the result gives a [`Policy`] and is itself the [`Rules`](crate::Rules), walking
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
//! does (hence [`OnMissing::Skip`] and [`Rules::skipped`](crate::Rules::skipped): see [`SandboxerEnv::with_skip_hook`]).
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
use crate::policy::{Compat, Handled, OnMissing, PathSource, Policy, Rule, SkipReason, Threads};

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
        let (template, first, second) = self.message();
        crate::text::write(f, template, &[first, second])
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

/// The sample's variables, checked, as a [`Policy`] and its [`Rules`](crate::Rules).
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

mod items;
mod walk;

use items::{items, list_items, parse_port};
pub use walk::{Explained, WithSkipHook};

#[cfg(test)]
mod tests;
