//! What the caller asks for: the rights to handle, the rules that allow some of them back, and
//! how strictly the request must be met. Plain data, no syscall.

use crate::abi::Abi;
use crate::access::{AccessFs, AccessNet, Scope};
use crate::errno::Errno;
use crate::fd::BorrowedFd;
use crate::flags::RestrictSelfFlags;

/// Which rights of one kind a ruleset handles (denies unless a rule allows them).
///
/// Rights granted by rules are always handled too: a rule allowing a right only means something
/// when the right is denied elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled<A> {
    /// Everything the running kernel can restrict (the default). Rights it cannot restrict are
    /// not requested, so they are never reported missing, except those rules grant.
    Supported,
    /// Exactly these rights: each one the kernel cannot restrict is reported (best effort) or is
    /// an error (strict). An empty set leaves this kind of access unrestricted.
    Only(A),
}

/// How to treat what the running kernel cannot enforce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compat {
    /// Enforce everything the kernel can and report the rest (the kernel sample's behaviour).
    #[default]
    BestEffort,
    /// Every requested restriction must be enforceable; otherwise fail before anything about
    /// the process changes.
    Strict,
}

/// What to do with a path rule whose path cannot be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OnMissing {
    /// Fail with an error naming the rule (the default).
    #[default]
    Error,
    /// Skip the rule, whatever stops its path from being opened, as the kernel's sample does,
    /// and count it in the report. The rule still counts in what is handled: its rights stay
    /// denied everywhere, so that a missing path never widens the sandbox. (The std layer's
    /// `ignore_missing` skips only paths that do not exist, checking them itself first.)
    Skip,
}

/// Which threads the domain must cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Threads {
    /// The whole process (the default): `TSYNC` where the kernel has it (ABI 8); before that the
    /// process must be single-threaded, otherwise strict fails and best effort reports that only
    /// the calling thread is restricted.
    #[default]
    Process,
    /// Only the calling thread (and what it later creates), deliberately.
    CallingThread,
}

/// A complete request, without its rules (see [`Rules`]). Built with [`Policy::new`] or
/// [`Policy::for_abi`] and the `with_*` methods, read with the getters of the same names.
///
/// Which to start from: [`Policy::new`] handles everything the running kernel can restrict, so
/// a kernel upgrade restricts more (a program that worked may then be denied something new:
/// `resolve_unix` from ABI 9, UDP from ABI 10). [`Policy::for_abi`] handles exactly the rights
/// of one ABI, whatever the kernel: the same behaviour on every newer kernel, best effort on
/// older ones. Use the first for a sandbox that should tighten by itself, the second for a
/// program that must keep working as kernels change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub(crate) fs: Handled<AccessFs>,
    pub(crate) net: Handled<AccessNet>,
    pub(crate) scoped: Handled<Scope>,
    pub(crate) quiet_fs: AccessFs,
    pub(crate) quiet_net: AccessNet,
    pub(crate) quiet_scoped: Scope,
    pub(crate) log: RestrictSelfFlags,
    pub(crate) threads: Threads,
    pub(crate) no_new_privs: bool,
    pub(crate) compat: Compat,
    pub(crate) min_abi: Option<Abi>,
    pub(crate) require_domain: bool,
    pub(crate) on_missing: OnMissing,
}

impl Policy {
    /// Everything the kernel can restrict, best effort, no_new_privs set, missing paths an error.
    pub const fn new() -> Policy {
        Policy {
            fs: Handled::Supported,
            net: Handled::Supported,
            scoped: Handled::Supported,
            quiet_fs: AccessFs::empty(),
            quiet_net: AccessNet::empty(),
            quiet_scoped: Scope::empty(),
            log: RestrictSelfFlags::empty(),
            threads: Threads::Process,
            no_new_privs: true,
            compat: Compat::BestEffort,
            min_abi: None,
            require_domain: false,
            on_missing: OnMissing::Error,
        }
    }

    /// Exactly the rights and scopes of `abi`, on every kernel (see the type's documentation);
    /// otherwise as [`Policy::new`].
    pub const fn for_abi(abi: Abi) -> Policy {
        Policy::new()
            .with_fs(Handled::Only(AccessFs::for_abi(abi)))
            .with_net(Handled::Only(AccessNet::for_abi(abi)))
            .with_scoped(Handled::Only(Scope::for_abi(abi)))
    }

    /// Filesystem rights to handle.
    pub const fn fs(&self) -> Handled<AccessFs> {
        self.fs
    }
    /// Sets the filesystem rights to handle.
    pub const fn with_fs(mut self, fs: Handled<AccessFs>) -> Policy {
        self.fs = fs;
        self
    }

    /// Network rights to handle.
    pub const fn net(&self) -> Handled<AccessNet> {
        self.net
    }
    /// Sets the network rights to handle.
    pub const fn with_net(mut self, net: Handled<AccessNet>) -> Policy {
        self.net = net;
        self
    }

    /// Scopes to confine the domain to.
    pub const fn scoped(&self) -> Handled<Scope> {
        self.scoped
    }
    /// Sets the scopes to confine the domain to.
    pub const fn with_scoped(mut self, scoped: Handled<Scope>) -> Policy {
        self.scoped = scoped;
        self
    }

    /// Denials not to log (ABI 10): filesystem and network rights on the objects of quiet rules,
    /// and scopes.
    pub const fn quiet(&self) -> (AccessFs, AccessNet, Scope) {
        (self.quiet_fs, self.quiet_net, self.quiet_scoped)
    }
    /// Sets the denials not to log (ABI 10). Bits outside the handled rights mean nothing and
    /// are dropped.
    pub const fn with_quiet(mut self, fs: AccessFs, net: AccessNet, scoped: Scope) -> Policy {
        self.quiet_fs = fs;
        self.quiet_net = net;
        self.quiet_scoped = scoped;
        self
    }

    /// Logging flags (`LOG_*` of [`RestrictSelfFlags`], ABI 7).
    pub const fn log(&self) -> RestrictSelfFlags {
        self.log
    }
    /// Sets the logging flags; other bits are ignored (the core sets `TSYNC` and
    /// `NO_NEW_PRIVS` itself).
    pub const fn with_log(mut self, log: RestrictSelfFlags) -> Policy {
        self.log = log;
        self
    }

    /// Which threads the domain covers.
    pub const fn threads(&self) -> Threads {
        self.threads
    }
    /// Sets which threads the domain covers.
    pub const fn with_threads(mut self, threads: Threads) -> Policy {
        self.threads = threads;
        self
    }

    /// Whether no_new_privs is set (with the ABI 11 flag where the kernel has it, `prctl`
    /// before). Without it, enforcing needs `CAP_SYS_ADMIN`.
    pub const fn no_new_privs(&self) -> bool {
        self.no_new_privs
    }
    /// Sets whether no_new_privs is set.
    pub const fn with_no_new_privs(mut self, set: bool) -> Policy {
        self.no_new_privs = set;
        self
    }

    /// Best effort or strict.
    pub const fn compat(&self) -> Compat {
        self.compat
    }
    /// Sets best effort or strict.
    pub const fn with_compat(mut self, compat: Compat) -> Policy {
        self.compat = compat;
        self
    }

    /// The oldest ABI acceptable in any mode: an older kernel, or none, is an error.
    pub const fn min_abi(&self) -> Option<Abi> {
        self.min_abi
    }
    /// Sets the oldest ABI acceptable.
    pub const fn with_min_abi(mut self, abi: Option<Abi>) -> Policy {
        self.min_abi = abi;
        self
    }

    /// Whether a domain is required, even in best effort: Landlock missing, or a kernel that can
    /// enforce none of the request (only UDP before ABI 10, only scopes before 6), is then an
    /// error rather than running unsandboxed.
    pub const fn require_domain(&self) -> bool {
        self.require_domain
    }
    /// Sets whether a domain is required.
    pub const fn with_require_domain(mut self, required: bool) -> Policy {
        self.require_domain = required;
        self
    }

    /// Missing paths: error or skip.
    pub const fn on_missing(&self) -> OnMissing {
        self.on_missing
    }
    /// Sets what a path that cannot be opened does.
    pub const fn with_on_missing(mut self, on_missing: OnMissing) -> Policy {
        self.on_missing = on_missing;
        self
    }
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::new()
    }
}

/// Where a path rule's file hierarchy is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathSource<'a> {
    /// A path (absolute, or relative to the working directory), without its terminating NUL:
    /// any bytes but NUL, shorter than `PATH_MAX` (4096).
    Path(&'a [u8]),
    /// A descriptor the caller already opened (ideally `O_PATH`).
    Fd(BorrowedFd<'a>),
}

/// One rule: rights allowed back beneath a path or on a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule<'a> {
    /// Filesystem rights beneath a directory, or on one file (which gets only
    /// [`AccessFs::FILE`] rights, as in the kernel sample).
    Path {
        /// The file or directory.
        source: PathSource<'a>,
        /// Rights allowed beneath it.
        access: AccessFs,
        /// Mark it quiet (ABI 10): denials of the policy's quiet rights there are not logged.
        quiet: bool,
    },
    /// Network rights on a TCP or UDP port.
    Port {
        /// The port.
        port: u16,
        /// Rights allowed on it.
        access: AccessNet,
        /// Mark it quiet (ABI 10).
        quiet: bool,
    },
}

impl<'a> Rule<'a> {
    /// Allows `access` beneath `path`.
    pub const fn path(path: &'a [u8], access: AccessFs) -> Rule<'a> {
        Rule::Path { source: PathSource::Path(path), access, quiet: false }
    }

    /// Allows `access` on `port`.
    pub const fn port(port: u16, access: AccessNet) -> Rule<'a> {
        Rule::Port { port, access, quiet: false }
    }
}

/// Why a rule was not added to the ruleset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The path could not be opened (with [`OnMissing::Skip`]).
    Missing(Errno),
    /// Nothing it grants can be restricted by this kernel (a UDP port before ABI 10, a quiet-only
    /// rule before ABI 10, a directory right on a file): adding it would change nothing.
    Unsupported,
}

/// A source of rules, walked without allocation: a slice, or a parser over a caller's buffer
/// (the static sandboxer walks its `LL_*` variables).
///
/// It is walked twice, once to learn what the rules grant (before anything is opened) and once
/// to add them, so it must yield the same rules in the same order each time.
pub trait Rules {
    /// Calls `f` with each rule and its index, in order, stopping at the first error.
    fn try_for_each<E>(&self, f: &mut dyn FnMut(usize, Rule<'_>) -> Result<(), E>)
    -> Result<(), E>;

    /// Told about each rule that is skipped, so that the caller can say which (the kernel
    /// sample prints every path it could not open). Does nothing by default.
    fn skipped(&self, index: usize, rule: Rule<'_>, reason: SkipReason) {
        let _ = (index, rule, reason);
    }
}

impl Rules for [Rule<'_>] {
    fn try_for_each<E>(
        &self,
        f: &mut dyn FnMut(usize, Rule<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.iter().enumerate().try_for_each(|(i, r)| f(i, *r))
    }
}

impl<const N: usize> Rules for [Rule<'_>; N] {
    fn try_for_each<E>(
        &self,
        f: &mut dyn FnMut(usize, Rule<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.as_slice().try_for_each(f)
    }
}
