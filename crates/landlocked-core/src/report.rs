//! What was and was not enforced, exactly.

use core::fmt;

use crate::abi::{Errata, Kernel, Support};
use crate::access::{AccessFs, AccessNet, Scope};
use crate::flags::RestrictSelfFlags;

/// A requested set beside the part of it that is enforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Coverage<A> {
    /// What the policy and its rules asked for.
    pub requested: A,
    /// What the domain enforces of it.
    pub enforced: A,
}

impl<A: bitflags::Flags + Copy> Coverage<A> {
    /// What was asked for and is not enforced.
    pub fn missing(&self) -> A {
        self.requested.difference(self.enforced)
    }
}

/// Whether a domain exists and covers the whole request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Everything requested is enforced.
    Full,
    /// A domain is enforced, but some of the request is not (see [`Report::missing`]).
    Partial,
    /// No domain at all: the process runs unrestricted by Landlock.
    NotEnforced,
}

/// Which threads the domain covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThreadCoverage {
    /// No domain was enforced.
    NoDomain,
    /// Every thread, through `TSYNC` (ABI 8).
    AllThreads,
    /// The process had one thread when it was restricted, so the domain covers all of it.
    SingleThread,
    /// Only the calling thread, as the policy asked ([`crate::Threads::CallingThread`]).
    CallingThreadByRequest,
    /// Only the calling thread although the policy asked for the process: other threads existed
    /// (or their number could not be read) and the kernel has no `TSYNC`.
    CallingThreadOnly {
        /// How many threads the process had, if known.
        threads: Option<u32>,
    },
}

/// How no_new_privs was set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoNewPrivs {
    /// The policy did not ask for it.
    NotRequested,
    /// With `prctl(PR_SET_NO_NEW_PRIVS)` before enforcing.
    Prctl,
    /// With the `NO_NEW_PRIVS` flag of `landlock_restrict_self` (ABI 11), atomically with the
    /// domain.
    RestrictFlag,
}

/// Rules added and skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RuleCounts {
    /// Rules the kernel accepted.
    pub added: u32,
    /// Path rules skipped because the path could not be opened ([`crate::OnMissing::Skip`]).
    pub skipped_missing: u32,
    /// Rules skipped because nothing they grant can be restricted by this kernel.
    pub skipped_unsupported: u32,
}

/// Everything requested that is not enforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Missing {
    /// Filesystem rights.
    pub fs: AccessFs,
    /// Network rights.
    pub net: AccessNet,
    /// Scopes.
    pub scoped: Scope,
    /// Quiet filesystem rights.
    pub quiet_fs: AccessFs,
    /// Quiet network rights.
    pub quiet_net: AccessNet,
    /// Quiet scopes.
    pub quiet_scoped: Scope,
    /// Quiet rules (the `QUIET` flag of `landlock_add_rule`).
    pub quiet_rules: bool,
    /// Logging flags.
    pub log: RestrictSelfFlags,
    /// The domain covers only the calling thread of a multi-threaded process.
    pub threads: bool,
}

impl Missing {
    /// Nothing is missing.
    #[inline]
    pub fn is_empty(&self) -> bool {
        *self == Missing::default()
    }
}

impl fmt::Display for Missing {
    /// `fs: resolve_unix; net: bind_udp, connect_send_udp; quiet rules`, the labels of
    /// [`crate::text::MISSING_LABELS`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [fs, net, scope, quiet_fs, quiet_net, quiet_scope, quiet_rules, log, threads] =
            crate::text::MISSING_LABELS;
        let parts: [(&str, Option<&dyn fmt::Display>); 9] = [
            (fs, (!self.fs.is_empty()).then_some(&self.fs)),
            (net, (!self.net.is_empty()).then_some(&self.net)),
            (scope, (!self.scoped.is_empty()).then_some(&self.scoped)),
            (quiet_fs, (!self.quiet_fs.is_empty()).then_some(&self.quiet_fs)),
            (quiet_net, (!self.quiet_net.is_empty()).then_some(&self.quiet_net)),
            (quiet_scope, (!self.quiet_scoped.is_empty()).then_some(&self.quiet_scoped)),
            (quiet_rules, self.quiet_rules.then_some(&"")),
            (log, (!self.log.is_empty()).then_some(&self.log)),
            (threads, self.threads.then_some(&"")),
        ];
        let mut sep = "";
        for (label, value) in parts {
            if let Some(value) = value {
                write!(f, "{sep}{label}{value}")?;
                sep = "; ";
            }
        }
        if sep.is_empty() {
            f.write_str("nothing")?;
        }
        Ok(())
    }
}

/// What the kernel enforces of a request. `#[must_use]`: a domain may be partial or absent, and
/// only this says so.
#[must_use = "the domain may be partial or absent: check the report's status"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The kernel's Landlock support and errata.
    pub kernel: Kernel,
    /// Whether `landlock_restrict_self` succeeded.
    pub domain: bool,
    /// Filesystem rights.
    pub fs: Coverage<AccessFs>,
    /// Network rights.
    pub net: Coverage<AccessNet>,
    /// Scopes.
    pub scoped: Coverage<Scope>,
    /// Quiet filesystem rights.
    pub quiet_fs: Coverage<AccessFs>,
    /// Quiet network rights.
    pub quiet_net: Coverage<AccessNet>,
    /// Quiet scopes.
    pub quiet_scoped: Coverage<Scope>,
    /// Quiet rules: whether any was requested, and whether the kernel marks them.
    pub quiet_rules: Coverage<bool>,
    /// Logging flags.
    pub log: Coverage<RestrictSelfFlags>,
    /// On ABI 1, linking or renaming into another directory is denied everywhere, whatever the
    /// rules grant: the kernel has no `refer` right to allow it with.
    pub refer_always_denied: bool,
    /// Which threads are covered.
    pub threads: ThreadCoverage,
    /// How no_new_privs was set.
    pub no_new_privs: NoNewPrivs,
    /// Rules added and skipped.
    pub rules: RuleCounts,
    /// Known errata that concern this domain and that the kernel has not fixed.
    pub errata_missing: Errata,
    /// Set by a caller that also denies, with seccomp, the sockets Landlock does not cover (the
    /// `landlocked` crate does): TCP rules then leave nothing out
    /// ([`Report::tcp_leaves_out_mptcp`] is false).
    pub sockets_filtered: bool,
}

impl Report {
    /// Full, partial or not enforced.
    pub fn status(&self) -> Status {
        if !self.domain {
            Status::NotEnforced
        } else if self.missing().is_empty() {
            Status::Full
        } else {
            Status::Partial
        }
    }

    /// Everything requested that is not enforced.
    #[inline]
    pub fn missing(&self) -> Missing {
        Missing {
            fs: self.fs.missing(),
            net: self.net.missing(),
            scoped: self.scoped.missing(),
            quiet_fs: self.quiet_fs.missing(),
            quiet_net: self.quiet_net.missing(),
            quiet_scoped: self.quiet_scoped.missing(),
            quiet_rules: self.quiet_rules.requested && !self.quiet_rules.enforced,
            log: self.log.missing(),
            threads: matches!(self.threads, ThreadCoverage::CallingThreadOnly { .. }),
        }
    }

    /// Whether everything requested is enforced.
    pub fn is_fully_enforced(&self) -> bool {
        self.status() == Status::Full
    }

    /// Whether TCP rights are enforced on a kernel where they apply to TCP sockets only (the
    /// fix of erratum 1): then an MPTCP socket, which falls back to plain TCP with any server,
    /// binds and connects where TCP cannot.
    pub fn tcp_leaves_out_mptcp(&self) -> bool {
        self.net.enforced.intersects(AccessNet::TCP)
            && self.kernel.errata.contains(Errata::TCP_SOCKET_IDENTIFICATION)
            && !self.sockets_filtered
    }

    /// The unfixed errata of the domain that weaken it (see [`Errata::WEAKENING`]).
    pub fn errata_weakening(&self) -> Errata {
        if self.domain {
            self.errata_missing.intersection(Errata::WEAKENING)
        } else {
            Errata::empty()
        }
    }
}

/// What [`Report::tcp_leaves_out_mptcp`] means, said wherever a report is.
pub const TCP_LEAVES_OUT_MPTCP: &str = "TCP rules do not cover MPTCP, SCTP or SMC sockets (an MPTCP socket connects to any TCP server)";

/// Writes `unfixed erratum N (name): meaning` for each erratum of `errata`, separated by `; `.
pub fn write_errata(f: &mut dyn fmt::Write, errata: Errata) -> fmt::Result {
    let mut sep = "";
    for (i, &(name, flag)) in Errata::NAMED.iter().enumerate() {
        if errata.contains(flag) {
            write!(f, "{sep}unfixed erratum {} ({name}): {}", i + 1, flag.meaning())?;
            sep = "; ";
        }
    }
    Ok(())
}

impl fmt::Display for Report {
    /// One line: `Landlock ABI 7: partly enforced, not enforced: net: bind_udp (12 rules)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kernel.support {
            Support::Available { version, .. } => write!(f, "Landlock ABI {version}: ")?,
            other => write!(f, "Landlock {other}: ")?,
        }
        match self.status() {
            Status::Full => f.write_str(crate::text::FULLY_ENFORCED)?,
            Status::Partial => write!(f, "{}{}", crate::text::PARTLY_ENFORCED, self.missing())?,
            Status::NotEnforced => {
                f.write_str(crate::text::NOT_ENFORCED)?;
                let missing = self.missing();
                if !missing.is_empty() {
                    write!(f, " (requested: {missing})")?;
                }
            }
        }
        let RuleCounts { added, skipped_missing, skipped_unsupported } = self.rules;
        write!(f, " ({added} rules")?;
        if skipped_missing > 0 {
            write!(f, ", {skipped_missing} skipped as missing")?;
        }
        if skipped_unsupported > 0 {
            write!(f, ", {skipped_unsupported} skipped as unsupported")?;
        }
        f.write_str(")")?;
        if self.refer_always_denied {
            write!(f, "; {}", crate::text::REFER_ALWAYS_DENIED)?;
        }
        if self.tcp_leaves_out_mptcp() {
            write!(f, "; {TCP_LEAVES_OUT_MPTCP}")?;
        }
        if self.domain && !self.errata_missing.is_empty() {
            f.write_str("; ")?;
            write_errata(f, self.errata_missing)?;
        }
        Ok(())
    }
}
