//! The builder: what to allow, how strictly, then enforce it on this process or prepare it for
//! a child.

use std::cell::RefCell;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use landlocked_core::{
    Abi, AccessFs, AccessNet, Compat, Errno, Handled, Kernel, PathSource, Plan, Policy,
    RestrictSelfFlags, Ruleset, Scope, SkipReason, ThreadCoverage, Threads,
};

use crate::error::Error;
use crate::report::{Report, Skipped};
use crate::rule::{Grant, Rule};

/// A Landlock sandbox being described: the rights it allows back, and how strictly it must be
/// enforced.
///
/// By default it handles (denies unless a rule allows) every filesystem right the running
/// kernel can restrict; a network right only once a port rule grants it or
/// [`Sandbox::restrict_net`] asks for it; a scope only when [`Sandbox::scope`] asks for it.
/// It is best effort (the most this kernel can do, the rest reported), sets no_new_privs, and
/// covers every thread where the kernel can (ABI 8).
///
/// ```no_run
/// let report = landlocked::Sandbox::new()
///     .read_exec(["/usr", "/lib", "/etc"])
///     .read_write(["/tmp"])
///     .connect_tcp([443])
///     .restrict_self()?;
/// if let Some(warning) = report.warning() {
///     eprintln!("warning: {warning}");
/// }
/// # Ok::<(), landlocked::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sandbox {
    policy: Policy,
    rules: Vec<Rule>,
    /// Skip path rules whose path does not exist (checked here, before the core opens them).
    ignore_missing: bool,
}

impl Default for Sandbox {
    fn default() -> Sandbox {
        Sandbox::new()
    }
}

impl Sandbox {
    /// Every filesystem right denied unless allowed; network and scopes as the rules and options
    /// say; best effort.
    pub fn new() -> Sandbox {
        Sandbox {
            policy: Policy {
                fs: Handled::Supported,
                net: Handled::Only(AccessNet::empty()),
                scoped: Handled::Only(Scope::empty()),
                ..Policy::new()
            },
            rules: Vec::new(),
            ignore_missing: false,
        }
    }

    /// A sandbox that handles nothing until told: only the rights its rules grant and those
    /// named with [`Sandbox::handle_fs`], [`Sandbox::restrict_net`] and [`Sandbox::scope`]
    /// (the semantics of a landlockconfig policy file).
    pub fn empty() -> Sandbox {
        Sandbox {
            policy: Policy {
                fs: Handled::Only(AccessFs::empty()),
                net: Handled::Only(AccessNet::empty()),
                scoped: Handled::Only(Scope::empty()),
                ..Policy::new()
            },
            rules: Vec::new(),
            ignore_missing: false,
        }
    }

    fn paths<P: AsRef<Path>>(
        &mut self,
        paths: impl IntoIterator<Item = P>,
        access: AccessFs,
    ) -> &mut Sandbox {
        for path in paths {
            self.rules.push(Rule::path(path, access));
        }
        self
    }

    fn ports(&mut self, ports: impl IntoIterator<Item = u16>, access: AccessNet) -> &mut Sandbox {
        for port in ports {
            self.rules.push(Rule::port(port, access));
        }
        self
    }

    /// Allows reading files and listing directories beneath each path.
    pub fn read<P: AsRef<Path>>(&mut self, paths: impl IntoIterator<Item = P>) -> &mut Sandbox {
        self.paths(paths, AccessFs::READ)
    }

    /// Allows reading and executing beneath each path.
    pub fn read_exec<P: AsRef<Path>>(
        &mut self,
        paths: impl IntoIterator<Item = P>,
    ) -> &mut Sandbox {
        self.paths(paths, AccessFs::READ_EXECUTE)
    }

    /// Allows every change beneath each path (writing, creating, removing, renaming,
    /// truncating, device ioctls, connecting to UNIX sockets), but not reading.
    pub fn write<P: AsRef<Path>>(&mut self, paths: impl IntoIterator<Item = P>) -> &mut Sandbox {
        self.paths(paths, AccessFs::WRITE)
    }

    /// Allows reading and every change beneath each path, but not executing.
    pub fn read_write<P: AsRef<Path>>(
        &mut self,
        paths: impl IntoIterator<Item = P>,
    ) -> &mut Sandbox {
        self.paths(paths, AccessFs::READ.union(AccessFs::WRITE))
    }

    /// Allows everything beneath each path.
    pub fn read_write_exec<P: AsRef<Path>>(
        &mut self,
        paths: impl IntoIterator<Item = P>,
    ) -> &mut Sandbox {
        self.paths(paths, AccessFs::all())
    }

    /// Allows connecting and sending to the pathname UNIX sockets at or beneath each path
    /// (`resolve_unix`, ABI 9).
    pub fn unix_sockets<P: AsRef<Path>>(
        &mut self,
        paths: impl IntoIterator<Item = P>,
    ) -> &mut Sandbox {
        self.paths(paths, AccessFs::RESOLVE_UNIX)
    }

    /// Allows `access` beneath `path`.
    pub fn allow_path(&mut self, path: impl AsRef<Path>, access: AccessFs) -> &mut Sandbox {
        self.paths([path], access)
    }

    /// Allows binding TCP sockets to these ports (and restricts binding elsewhere).
    pub fn bind_tcp(&mut self, ports: impl IntoIterator<Item = u16>) -> &mut Sandbox {
        self.ports(ports, AccessNet::BIND_TCP)
    }

    /// Allows connecting TCP sockets to these ports (and restricts connecting elsewhere).
    pub fn connect_tcp(&mut self, ports: impl IntoIterator<Item = u16>) -> &mut Sandbox {
        self.ports(ports, AccessNet::CONNECT_TCP)
    }

    /// Allows binding UDP sockets to these ports (ABI 10).
    pub fn bind_udp(&mut self, ports: impl IntoIterator<Item = u16>) -> &mut Sandbox {
        self.ports(ports, AccessNet::BIND_UDP)
    }

    /// Allows connecting UDP sockets and sending datagrams to these ports (ABI 10).
    pub fn connect_udp(&mut self, ports: impl IntoIterator<Item = u16>) -> &mut Sandbox {
        self.ports(ports, AccessNet::CONNECT_SEND_UDP)
    }

    /// Adds one rule.
    pub fn rule(&mut self, rule: Rule) -> &mut Sandbox {
        self.rules.push(rule);
        self
    }

    /// Denies these network rights except on the ports rules allow, even if no rule names them
    /// (`AccessNet::all()` denies all TCP and UDP binding and connecting).
    pub fn restrict_net(&mut self, access: AccessNet) -> &mut Sandbox {
        if let Handled::Only(set) = &mut self.policy.net {
            *set |= access;
        }
        self
    }

    /// Confines the sandbox to these IPC scopes: no connecting to abstract UNIX sockets
    /// created outside it, no signals to processes outside it (ABI 6).
    pub fn scope(&mut self, scopes: Scope) -> &mut Sandbox {
        if let Handled::Only(set) = &mut self.policy.scoped {
            *set |= scopes;
        }
        self
    }

    /// Sets exactly which filesystem rights are handled ([`Handled::Supported`] by default).
    pub fn handle_fs(&mut self, handled: Handled<AccessFs>) -> &mut Sandbox {
        self.policy.fs = handled;
        self
    }

    /// Sets exactly which network rights are handled (besides those rules grant).
    pub fn handle_net(&mut self, handled: Handled<AccessNet>) -> &mut Sandbox {
        self.policy.net = handled;
        self
    }

    /// Sets exactly which scopes are enforced.
    pub fn handle_scopes(&mut self, handled: Handled<Scope>) -> &mut Sandbox {
        self.policy.scoped = handled;
        self
    }

    /// Denials of these rights are not logged on the objects of quiet rules, and denials of
    /// these scopes not at all (ABI 10).
    pub fn quiet(&mut self, fs: AccessFs, net: AccessNet, scoped: Scope) -> &mut Sandbox {
        self.policy.quiet_fs |= fs;
        self.policy.quiet_net |= net;
        self.policy.quiet_scoped |= scoped;
        self
    }

    /// Logging flags (ABI 7): [`RestrictSelfFlags::LOG_SAME_EXEC_OFF`],
    /// [`RestrictSelfFlags::LOG_NEW_EXEC_ON`], [`RestrictSelfFlags::LOG_SUBDOMAINS_OFF`].
    pub fn log(&mut self, flags: RestrictSelfFlags) -> &mut Sandbox {
        self.policy.log |= flags.intersection(RestrictSelfFlags::LOG);
        self
    }

    /// Enforces what the kernel can and reports the rest (the default).
    pub fn best_effort(&mut self) -> &mut Sandbox {
        self.policy.compat = Compat::BestEffort;
        self
    }

    /// Fails, before anything changes, unless the kernel can enforce all of the sandbox.
    pub fn strict(&mut self) -> &mut Sandbox {
        self.policy.compat = Compat::Strict;
        self
    }

    /// Fails unless the kernel has at least this Landlock ABI, in any mode.
    pub fn min_abi(&mut self, abi: Abi) -> &mut Sandbox {
        self.policy.min_abi = Some(self.policy.min_abi.map_or(abi, |m| m.max(abi)));
        self
    }

    /// Fails, even in best effort, unless a domain is enforced: when Landlock is missing, and
    /// when this kernel can enforce none of the sandbox (only UDP rules before ABI 10, only
    /// scopes before ABI 6). Without it, best effort runs unsandboxed there, and says so.
    pub fn require_landlock(&mut self) -> &mut Sandbox {
        self.policy.require_domain = true;
        self
    }

    /// Skips the rules whose path does not exist (`ENOENT`; listed in the report) instead of
    /// failing. Their rights stay denied everywhere else; other errors (`EACCES`, `ELOOP`,
    /// `ENOTDIR`) still fail.
    pub fn ignore_missing(&mut self, ignore: bool) -> &mut Sandbox {
        self.ignore_missing = ignore;
        self
    }

    /// Whether to set no_new_privs (the default; without it enforcing needs `CAP_SYS_ADMIN`).
    pub fn no_new_privs(&mut self, set: bool) -> &mut Sandbox {
        self.policy.no_new_privs = set;
        self
    }

    /// Which threads the sandbox must cover (the whole process by default).
    pub fn threads(&mut self, threads: Threads) -> &mut Sandbox {
        self.policy.threads = threads;
        self
    }

    /// The enforcement core's policy this builder describes.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Enforces the sandbox on the calling process (every thread where the kernel has `TSYNC`,
    /// ABI 8). Irreversible. Best effort without Landlock is `Ok` with
    /// [`landlocked_core::Status::NotEnforced`].
    pub fn restrict_self(&self) -> Result<Report, Error> {
        self.prepare()?.restrict_self()
    }

    /// Does everything short of enforcing, against the running kernel: probes it, negotiates,
    /// opens every path and fills the ruleset. Errors name the path, port or requirement at
    /// fault; nothing about the process changes.
    pub fn prepare(&self) -> Result<Prepared, Error> {
        self.prepare_on(&Kernel::probe())
    }

    /// [`Sandbox::prepare`] with a kernel already probed.
    pub fn prepare_on(&self, kernel: &Kernel) -> Result<Prepared, Error> {
        let rule_error = |index: usize, source| Error::Rule {
            index,
            rule: Box::new(self.rules[index].clone()),
            source: remap_rule(source, index),
        };
        // Paths are checked first, whatever the kernel, so that a missing one is reported even
        // where its rule would change nothing. A skipped rule still takes part in the
        // negotiation: what it grants stays handled, so a missing path never widens the
        // sandbox; only adding it is left out.
        let mut skipped = Vec::new();
        let mut present = Vec::with_capacity(self.rules.len());
        for (index, rule) in self.rules.iter().enumerate() {
            if let Grant::Path { path, .. } = &rule.grant {
                if let Err(e) = std::fs::metadata(path) {
                    let errno = io_errno(&e);
                    if !(self.ignore_missing && errno == Errno::ENOENT) {
                        return Err(rule_error(
                            index,
                            landlocked_core::Error::OpenPath { rule: index, errno },
                        ));
                    }
                    skipped.push(Skipped { rule: rule.clone(), errno });
                    continue;
                }
            }
            present.push(index);
        }
        let all_rules: Vec<landlocked_core::Rule<'_>> = self.rules.iter().map(core_rule).collect();
        // The core decides which granted rights count as requested: a read-write group's
        // `resolve_unix` on ABI 7 does not, `--unix` alone does (see `RulesSummary`).
        let plan = landlocked_core::negotiate(&self.policy, all_rules.as_slice(), kernel).map_err(
            |e| match e.rule() {
                Some(i) => rule_error(i, e),
                None => Error::Enforce(e),
            },
        )?;
        let present_rules: Vec<landlocked_core::Rule<'_>> =
            present.iter().map(|&i| all_rules[i]).collect();
        let recorder = Recorder { rules: &present_rules, skipped: RefCell::new(Vec::new()) };
        let ruleset = match Ruleset::new(&plan).map_err(Error::Enforce)? {
            Some(mut ruleset) => {
                ruleset.add_rules(&recorder).map_err(|e| match e.rule() {
                    Some(i) => rule_error(present[i], e),
                    None => Error::Enforce(e),
                })?;
                Some(ruleset)
            }
            None => None,
        };
        for (i, errno) in recorder.skipped.into_inner() {
            skipped.push(Skipped { rule: self.rules[present[i]].clone(), errno });
        }
        let counts = ruleset.as_ref().map(Ruleset::counts).unwrap_or_default();
        let mut expected = landlocked_core::Report { rules: counts, ..plan.report };
        if ruleset.is_some() {
            expected.domain = true;
            expected.threads = if plan.restrict_flags.contains(RestrictSelfFlags::TSYNC) {
                ThreadCoverage::AllThreads
            } else if plan.threads == Threads::CallingThread {
                ThreadCoverage::CallingThreadByRequest
            } else {
                // What a freshly forked child has; `restrict_self` re-checks in-process.
                ThreadCoverage::SingleThread
            };
        }
        Ok(Prepared { plan, ruleset, expected: Report { inner: expected, skipped } })
    }
}

/// A rule as the enforcement core takes it, borrowing the path's bytes.
fn core_rule(rule: &Rule) -> landlocked_core::Rule<'_> {
    match &rule.grant {
        Grant::Path { path, access } => landlocked_core::Rule::Path {
            source: PathSource::Path(path.as_os_str().as_bytes()),
            access: *access,
            quiet: rule.quiet,
        },
        Grant::Port { port, access } => landlocked_core::Rule::Port {
            port: u64::from(*port),
            access: *access,
            quiet: rule.quiet,
        },
    }
}

/// Renumbers a core rule error to the sandbox's own rule index.
fn remap_rule(e: landlocked_core::Error, index: usize) -> landlocked_core::Error {
    use landlocked_core::Error as E;
    match e {
        E::PortOutOfRange { port, .. } => E::PortOutOfRange { rule: index, port },
        E::InvalidPath { errno, .. } => E::InvalidPath { rule: index, errno },
        E::OpenPath { errno, .. } => E::OpenPath { rule: index, errno },
        E::AddRule { errno, .. } => E::AddRule { rule: index, errno },
        other => other,
    }
}

pub(crate) fn io_errno(e: &io::Error) -> Errno {
    e.raw_os_error().and_then(Errno::from_raw).unwrap_or(Errno::EIO)
}

/// The core rules, remembering which were skipped as missing (a race: the path vanished between
/// the check and the open).
struct Recorder<'r, 'p> {
    rules: &'r [landlocked_core::Rule<'p>],
    skipped: RefCell<Vec<(usize, Errno)>>,
}

impl landlocked_core::Rules for Recorder<'_, '_> {
    fn try_for_each<E>(
        &self,
        f: &mut dyn FnMut(usize, landlocked_core::Rule<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.rules.try_for_each(f)
    }

    fn skipped(&self, index: usize, _rule: landlocked_core::Rule<'_>, reason: SkipReason) {
        if let SkipReason::Missing(errno) = reason {
            self.skipped.borrow_mut().push((index, errno));
        }
    }
}

/// A sandbox negotiated with the kernel and filled, ready to be enforced here
/// ([`Prepared::restrict_self`]) or in a child ([`crate::CommandExt::sandbox`]).
#[derive(Debug)]
pub struct Prepared {
    plan: Plan,
    ruleset: Option<Ruleset>,
    expected: Report,
}

impl Prepared {
    /// What enforcing will give in a freshly forked child (single-threaded), so what a sandboxed
    /// command gets.
    pub fn report(&self) -> &Report {
        &self.expected
    }

    /// The negotiated plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Enforces the sandbox on the calling process. Irreversible.
    pub fn restrict_self(self) -> Result<Report, Error> {
        let inner = match &self.ruleset {
            Some(ruleset) => ruleset.enforce(),
            None => landlocked_core::restrict::without_domain(&self.plan),
        }
        .map_err(Error::Enforce)?;
        Ok(Report { inner, skipped: self.expected.skipped })
    }

    /// The same, between `fork` and `exec`: raw syscalls only, no allocation, the error as an
    /// errno.
    pub(crate) fn enforce_in_child(&self) -> io::Result<()> {
        let result = match &self.ruleset {
            Some(ruleset) => ruleset.enforce(),
            None => landlocked_core::restrict::without_domain(&self.plan),
        };
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(io::Error::from_raw_os_error(e.errno().map_or(libc_eperm(), Errno::raw))),
        }
    }
}

/// `EPERM`, for a failure that carries no errno of its own (none can happen in a child).
const fn libc_eperm() -> i32 {
    Errno::EPERM.raw()
}
