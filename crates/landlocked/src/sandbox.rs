//! The builder: what to allow, how strictly, then enforce it on this process or prepare it for
//! a child.

use std::os::fd::AsFd;
use std::path::Path;

use landlocked_core::{
    Abi, AccessFs, AccessNet, Compat, Handled, Kernel, Policy, RestrictSelfFlags, Scope, Threads,
};

use crate::error::Error;
use crate::prepare::Prepared;
use crate::report::Report;
use crate::rule::Rule;
use crate::seccomp::SyscallFilter;

/// A Landlock sandbox being described: the rights it allows back, and how strictly it must be
/// enforced.
///
/// [`Sandbox::new`] handles (denies unless a rule allows) every filesystem right the running
/// kernel can restrict: a kernel upgrade then restricts more, and a program that worked may be
/// denied something new (`resolve_unix` from ABI 9). [`Sandbox::for_abi`] handles exactly the
/// filesystem rights of one ABI on every kernel, and keeps what the network and scope options
/// ask within that ABI too: the same behaviour on every newer kernel, best effort on older
/// ones. What its options and rules ask beyond it (UDP rules or `resolve_unix` ones under ABI 7)
/// is restricted on no kernel: the report counts it missing ([`crate::Report::beyond_pin`]) and
/// a strict sandbox refuses it. `Handled::Supported` under a pin is what both the pin and the
/// kernel have; logging flags and quiet rules are the pin's too. Use `new` for a sandbox that should tighten by itself, `for_abi` for a program
/// that must keep working as kernels change.
///
/// A network right is handled once a port rule grants it or [`Sandbox::restrict_net`] asks for
/// it; a scope once [`Sandbox::scope`] asks for it. A restricted network is completed with
/// seccomp ([`Sandbox::network_seccomp`]): the sockets Landlock does not cover (MPTCP, SCTP,
/// raw, other families) and the protocols it cannot restrict on this kernel when no port of
/// them is allowed. Best effort by default (the most this kernel can do, the rest reported),
/// no_new_privs set, every thread covered where the kernel can (ABI 8).
///
/// Every setter takes the value it sets and returns the builder.
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
    pub(crate) policy: Policy,
    /// Network rights and scopes asked for on top of [`Handled::Supported`], resolved against
    /// the kernel when the sandbox is prepared.
    pub(crate) also_net: AccessNet,
    pub(crate) also_scoped: Scope,
    /// The ABI every right is kept within ([`Sandbox::for_abi`]).
    pub(crate) pinned: Option<Abi>,
    pub(crate) rules: Vec<Rule>,
    /// Skip path rules whose path does not exist (checked before the core opens them).
    pub(crate) ignore_missing: bool,
    /// Complete a restricted network with seccomp ([`Sandbox::network_seccomp`]).
    pub(crate) network_seccomp: bool,
    pub(crate) syscall_filter: Option<SyscallFilter>,
}

impl Default for Sandbox {
    fn default() -> Sandbox {
        Sandbox::new()
    }
}

impl Sandbox {
    fn with_policy(policy: Policy) -> Sandbox {
        Sandbox {
            policy,
            also_net: AccessNet::empty(),
            also_scoped: Scope::empty(),
            pinned: None,
            rules: Vec::new(),
            ignore_missing: false,
            network_seccomp: true,
            syscall_filter: None,
        }
    }

    /// Every filesystem right this kernel can restrict denied unless allowed; network and
    /// scopes as the rules and options say; best effort.
    pub fn new() -> Sandbox {
        Sandbox::with_policy(
            Policy::new()
                .with_net(Handled::Only(AccessNet::empty()))
                .with_scoped(Handled::Only(Scope::empty())),
        )
    }

    /// As [`Sandbox::new`], but with exactly the filesystem rights of `abi` handled, and every
    /// right asked or granted kept within `abi` (see the type's documentation); rights and
    /// scopes asked beyond `abi` are reported missing, or refused when strict.
    pub fn for_abi(abi: Abi) -> Sandbox {
        let mut sandbox = Sandbox::new();
        sandbox.policy = sandbox.policy.with_fs(Handled::Only(AccessFs::for_abi(abi)));
        sandbox.pinned = Some(abi);
        sandbox
    }

    /// A sandbox that handles nothing until told: only the rights its rules grant and those
    /// named with [`Sandbox::handle_fs`], [`Sandbox::restrict_net`] and [`Sandbox::scope`]
    /// (the semantics of a landlockconfig policy file).
    pub fn empty() -> Sandbox {
        Sandbox::with_policy(
            Policy::new()
                .with_fs(Handled::Only(AccessFs::empty()))
                .with_net(Handled::Only(AccessNet::empty()))
                .with_scoped(Handled::Only(Scope::empty())),
        )
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

    /// Allows `access` beneath the directory (or on the file) `fd` already refers to, opened
    /// by any means (`O_PATH` is enough). The descriptor is duplicated: the caller keeps its
    /// own.
    pub fn allow_fd(&mut self, fd: impl AsFd, access: AccessFs) -> &mut Sandbox {
        self.rules.push(Rule::fd(fd, access));
        self
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
    /// (`AccessNet::all()` denies all TCP and UDP binding and connecting). A right this kernel
    /// cannot restrict is then reported, whatever was set with [`Sandbox::handle_net`].
    pub fn restrict_net(&mut self, access: AccessNet) -> &mut Sandbox {
        match self.policy.net() {
            Handled::Only(set) => self.policy = self.policy.with_net(Handled::Only(set | access)),
            _ => self.also_net |= access,
        }
        self
    }

    /// Confines the sandbox to these IPC scopes: no connecting to abstract UNIX sockets
    /// created outside it, no signals to processes outside it (ABI 6). A scope this kernel
    /// cannot restrict is then reported, whatever was set with [`Sandbox::handle_scopes`].
    pub fn scope(&mut self, scopes: Scope) -> &mut Sandbox {
        match self.policy.scoped() {
            Handled::Only(set) => {
                self.policy = self.policy.with_scoped(Handled::Only(set | scopes));
            }
            _ => self.also_scoped |= scopes,
        }
        self
    }

    /// Sets exactly which filesystem rights are handled besides those rules grant
    /// ([`Handled::Supported`] by [`Sandbox::new`]).
    pub fn handle_fs(&mut self, handled: Handled<AccessFs>) -> &mut Sandbox {
        self.policy = self.policy.with_fs(handled);
        self
    }

    /// Sets exactly which network rights are handled besides those rules grant.
    pub fn handle_net(&mut self, handled: Handled<AccessNet>) -> &mut Sandbox {
        self.policy = self.policy.with_net(handled);
        self.also_net = AccessNet::empty();
        self
    }

    /// Sets exactly which scopes are enforced.
    pub fn handle_scopes(&mut self, handled: Handled<Scope>) -> &mut Sandbox {
        self.policy = self.policy.with_scoped(handled);
        self.also_scoped = Scope::empty();
        self
    }

    /// Denials of these rights are not logged on the objects of quiet rules, and denials of
    /// these scopes not at all (ABI 10). Adds to what was set before.
    pub fn quiet(&mut self, fs: AccessFs, net: AccessNet, scoped: Scope) -> &mut Sandbox {
        let (f, n, s) = self.policy.quiet();
        self.policy = self.policy.with_quiet(f | fs, n | net, s | scoped);
        self
    }

    /// Logging flags (ABI 7): [`RestrictSelfFlags::LOG_SAME_EXEC_OFF`],
    /// [`RestrictSelfFlags::LOG_NEW_EXEC_ON`], [`RestrictSelfFlags::LOG_SUBDOMAINS_OFF`]. Adds
    /// to what was set before.
    pub fn log(&mut self, flags: RestrictSelfFlags) -> &mut Sandbox {
        let log = self.policy.log() | flags.intersection(RestrictSelfFlags::LOG);
        self.policy = self.policy.with_log(log);
        self
    }

    /// Best effort (the default: enforce what the kernel can and report the rest) or strict
    /// (fail, before anything changes, unless the kernel can enforce all of the sandbox).
    pub fn compat(&mut self, compat: Compat) -> &mut Sandbox {
        self.policy = self.policy.with_compat(compat);
        self
    }

    /// Fails unless the kernel has at least this Landlock ABI, in any mode (the highest of
    /// several calls wins).
    pub fn min_abi(&mut self, abi: Abi) -> &mut Sandbox {
        let min = self.policy.min_abi().map_or(abi, |m| m.max(abi));
        self.policy = self.policy.with_min_abi(Some(min));
        self
    }

    /// With `true`, fails even in best effort unless a domain is enforced: when Landlock is
    /// missing, and when this kernel can enforce none of the sandbox (only UDP rules before
    /// ABI 10, only scopes before ABI 6). Without it, best effort runs unsandboxed there, and
    /// says so.
    pub fn require_landlock(&mut self, required: bool) -> &mut Sandbox {
        self.policy = self.policy.with_require_domain(required);
        self
    }

    /// With `true`, skips the rules whose path does not exist (`ENOENT`; listed in the report)
    /// instead of failing. Their rights stay denied everywhere else; other errors (`EACCES`,
    /// `ELOOP`, `ENOTDIR`) still fail.
    pub fn ignore_missing(&mut self, ignore: bool) -> &mut Sandbox {
        self.ignore_missing = ignore;
        self
    }

    /// Whether a restricted network is completed with a seccomp filter (the default: `true`).
    ///
    /// Landlock restricts TCP (ABI 4) and UDP (ABI 10) by port, and no other socket: an MPTCP
    /// socket connects to any TCP server. Once any network right is handled, the filter makes
    /// `socket` fail with `EACCES` for everything but unix, netlink and `AF_ALG` sockets and
    /// the IP protocols Landlock handles here, and denies io_uring (which creates sockets past
    /// `socket`). A protocol this kernel's Landlock cannot restrict (TCP before ABI 4, UDP
    /// before ABI 10) is denied entirely when both its rights are handled and no port of it is
    /// allowed; with a port allowed it stays reported as not enforced. The report says which
    /// layer enforces what ([`crate::Report::seccomp`]).
    ///
    /// A socket received from outside (inherited, passed over a unix socket) is beyond a
    /// filter of socket creation: only Landlock restricts binding and connecting it.
    pub fn network_seccomp(&mut self, complete: bool) -> &mut Sandbox {
        self.network_seccomp = complete;
        self
    }

    /// Installs this syscall filter too (systemd's `SystemCallFilter=`; see [`SyscallFilter`]),
    /// after Landlock. A kernel without seccomp filters fails the sandbox in strict mode and
    /// with [`Sandbox::require_landlock`]; otherwise the report says it is missing.
    pub fn syscall_filter(&mut self, filter: SyscallFilter) -> &mut Sandbox {
        self.syscall_filter = Some(filter);
        self
    }

    /// Whether to set no_new_privs (the default; without it enforcing needs `CAP_SYS_ADMIN`).
    pub fn no_new_privs(&mut self, set: bool) -> &mut Sandbox {
        self.policy = self.policy.with_no_new_privs(set);
        self
    }

    /// Which threads the sandbox must cover (the whole process by default).
    pub fn threads(&mut self, threads: Threads) -> &mut Sandbox {
        self.policy = self.policy.with_threads(threads);
        self
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Enforces the sandbox on the calling process (every thread where the kernel has `TSYNC`,
    /// ABI 8). Irreversible. Best effort without Landlock is `Ok` with
    /// [`crate::Status::NotEnforced`].
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
        crate::prepare::prepare(self, kernel)
    }
}
