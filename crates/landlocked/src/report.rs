//! What a sandbox enforces, and the rules it skipped.

use std::fmt;

use landlocked_core::{
    Abi, AccessFs, AccessNet, Errno, Kernel, Missing, RestrictSelfFlags, Scope, Status, Support,
};

use crate::rule::Rule;
use crate::seccomp::{self, SeccompReport};

/// A rule left out because its path could not be opened (with
/// [`crate::Sandbox::ignore_missing`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// The rule.
    pub rule: Rule,
    /// Why its path could not be opened.
    pub errno: Errno,
}

/// What a sandbox pinned to an ABI ([`crate::Sandbox::for_abi`]) was asked beyond it: rights
/// and scopes its options and rules name that the ABI lacks, so restricted on no kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BeyondPin {
    /// The ABI the sandbox is pinned to, when something is beyond it.
    pub abi: Option<Abi>,
    /// Filesystem rights asked beyond it (`resolve_unix` rules under ABI 7).
    pub fs: AccessFs,
    /// Network rights asked beyond it.
    pub net: AccessNet,
    /// Scopes asked beyond it.
    pub scoped: Scope,
    /// Logging flags asked beyond it (`log_new_exec_on` under ABI 5).
    pub log: RestrictSelfFlags,
    /// Quiet rights (ABI 10) asked under an older pin.
    pub quiet_fs: AccessFs,
    /// See `quiet_fs`.
    pub quiet_net: AccessNet,
    /// See `quiet_fs`.
    pub quiet_scoped: Scope,
    /// Quiet rules (ABI 10) under an older pin.
    pub quiet_rules: bool,
}

impl BeyondPin {
    /// Nothing was asked beyond the pin.
    pub fn is_empty(&self) -> bool {
        self.missing().is_empty()
    }

    /// The rights and scopes beyond the pin, as missing ones.
    pub fn missing(&self) -> Missing {
        let mut missing = Missing::default();
        missing.fs = self.fs;
        missing.net = self.net;
        missing.scoped = self.scoped;
        missing.log = self.log;
        missing.quiet_fs = self.quiet_fs;
        missing.quiet_net = self.quiet_net;
        missing.quiet_scoped = self.quiet_scoped;
        missing.quiet_rules = self.quiet_rules;
        missing
    }

    /// `inner` with what is beyond the pin counted as requested and not enforced, so that
    /// every reading of the domain (its status, what is missing, its line) says so.
    pub(crate) fn fold_into(&self, inner: &mut landlocked_core::Report) {
        inner.fs.requested |= self.fs;
        inner.net.requested |= self.net;
        inner.scoped.requested |= self.scoped;
        inner.log.requested |= self.log;
        inner.quiet_fs.requested |= self.quiet_fs;
        inner.quiet_net.requested |= self.quiet_net;
        inner.quiet_scoped.requested |= self.quiet_scoped;
        inner.quiet_rules.requested |= self.quiet_rules;
    }
}

/// What the kernel enforces of a sandbox, by Landlock and by seccomp: fully, partly (and what
/// is missing), or not at all.
#[must_use = "the sandbox may be partial or absent: check the report's status"]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub(crate) inner: landlocked_core::Report,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) seccomp: SeccompReport,
    pub(crate) beyond_pin: BeyondPin,
}

impl Report {
    /// Full (everything requested is enforced by one layer or the other), partial, or not
    /// enforced (neither a Landlock domain nor a seccomp filter). seccomp without a Landlock
    /// domain is never full: without a domain, the process may trace others outside the
    /// sandbox and have them do what its filters deny.
    pub fn status(&self) -> Status {
        if !self.inner.domain && !self.seccomp.is_active() {
            Status::NotEnforced
        } else if self.inner.domain && self.missing().is_empty() && !self.seccomp.has_missing() {
            Status::Full
        } else {
            Status::Partial
        }
    }

    /// Whether everything requested is enforced.
    pub fn is_fully_enforced(&self) -> bool {
        self.status() == Status::Full
    }

    /// What was asked of Landlock and is not enforced, by this kernel or because a pinned ABI
    /// lacks it ([`Report::beyond_pin`]). Network rights enforced by seccomp instead are not
    /// asked of Landlock (see [`Report::seccomp`]).
    pub fn missing(&self) -> Missing {
        self.inner.missing()
    }

    /// What was asked beyond the ABI the sandbox is pinned to: part of [`Report::missing`].
    pub fn beyond_pin(&self) -> BeyondPin {
        self.beyond_pin
    }

    /// What the seccomp layer enforces: the network rights it takes over from Landlock, the
    /// other sockets, the syscall filter.
    pub fn seccomp(&self) -> &SeccompReport {
        &self.seccomp
    }

    /// The kernel the sandbox was negotiated with.
    pub fn kernel(&self) -> Kernel {
        self.inner.kernel
    }

    /// Rules skipped because their path could not be opened.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// Everything about the domain: per kind what was requested and what is enforced, threads,
    /// no_new_privs, rules added, errata.
    pub fn domain(&self) -> &crate::DomainReport {
        &self.inner
    }

    /// One line saying what is not enforced, or `None` when everything is: what a program
    /// should tell its user (`Landlock ABI 7: partly enforced, not enforced: net: bind_udp`).
    /// A domain enforced in full is still warned about when the kernel weakens it: TCP rules that
    /// leave MPTCP out (unless seccomp denies those sockets), unfixed errata that widen rights.
    pub fn warning(&self) -> Option<String> {
        let here = abi_text(self.inner.kernel.support);
        let mut caveats = Vec::new();
        if self.inner.tcp_leaves_out_mptcp() {
            caveats.push(landlocked_core::report::TCP_LEAVES_OUT_MPTCP.to_string());
        }
        let weakening = self.inner.errata_weakening();
        if !weakening.is_empty() {
            let mut text = String::new();
            let _ = landlocked_core::report::write_errata(&mut text, weakening);
            caveats.push(text);
        }
        let caveats = caveats.join("; ");
        match self.status() {
            Status::Full if caveats.is_empty() => None,
            Status::Full => {
                Some(format!("this kernel ({here}) enforces the sandbox, but {caveats}"))
            }
            Status::Partial => {
                let mut parts = Vec::new();
                let missing = self.missing_text();
                if !missing.is_empty() {
                    parts.push(format!("not enforced: {missing}"));
                }
                if self.seccomp.is_active() {
                    parts.push(self.seccomp_text());
                    if !self.inner.domain {
                        parts.push(crate::seccomp::WITHOUT_DOMAIN.to_string());
                    }
                }
                if !caveats.is_empty() {
                    parts.push(caveats);
                }
                let line = match self.inner.kernel.support {
                    Support::Available { .. } => format!(
                        "this kernel ({here}) cannot enforce all of the sandbox, {}",
                        parts.join("; ")
                    ),
                    other => format!("Landlock is {other}: {}", parts.join("; ")),
                };
                Some(line)
            }
            _ => Some(match self.inner.kernel.support {
                Support::Available { .. } if self.missing().is_empty() => {
                    "the sandbox restricts nothing: running unsandboxed".to_string()
                }
                Support::Available { .. } => format!(
                    "this kernel ({here}) can enforce none of the sandbox ({}): running unsandboxed",
                    self.missing_text()
                ),
                other => format!("Landlock is {other}: running unsandboxed"),
            }),
        }
    }

    /// Everything missing, from either layer, as the warning says it: Landlock's parts, then
    /// seccomp's (`net: bind_udp; other sockets and io_uring (no seccomp filters)`).
    pub fn missing_text(&self) -> String {
        let mut missing = self.inner.missing();
        let beyond = &self.beyond_pin;
        missing.fs.remove(beyond.fs);
        missing.net.remove(beyond.net);
        missing.scoped.remove(beyond.scoped);
        missing.log.remove(beyond.log);
        missing.quiet_fs.remove(beyond.quiet_fs);
        missing.quiet_net.remove(beyond.quiet_net);
        missing.quiet_scoped.remove(beyond.quiet_scoped);
        missing.quiet_rules &= !beyond.quiet_rules;
        let landlock = (!missing.is_empty()).then(|| missing.to_string());
        landlock
            .into_iter()
            .chain(self.beyond_pin_text())
            .chain(self.seccomp_missing())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// `net: bind_udp (beyond the pinned ABI 7)`.
    fn beyond_pin_text(&self) -> Option<String> {
        let b = &self.beyond_pin;
        let abi = b.abi.filter(|_| !b.is_empty())?;
        Some(format!("{} (beyond the pinned ABI {abi})", b.missing()))
    }

    /// What was asked of seccomp on a kernel that has no seccomp filters.
    fn seccomp_missing(&self) -> Option<String> {
        let s = &self.seccomp;
        let unavailable = |c: &landlocked_core::Coverage<bool>| c.requested && !c.enforced;
        let parts: Vec<&str> = [
            (unavailable(&s.sockets), seccomp::OTHER_SOCKETS),
            (unavailable(&s.fast_open), seccomp::FAST_OPEN),
            (unavailable(&s.syscall_filter), seccomp::SYSCALL_FILTER),
        ]
        .into_iter()
        .filter_map(|(missing, text)| missing.then_some(text))
        .collect();
        (!parts.is_empty()).then(|| format!("{} (no seccomp filters)", parts.join(", ")))
    }

    /// What seccomp enforces, as the report line says it: `seccomp: bind_tcp, connect_tcp
    /// (Landlock ABI 2 cannot), other sockets and io_uring, syscall filter`; empty parts when
    /// no filter is installed.
    pub fn seccomp_text(&self) -> String {
        let s = &self.seccomp;
        let mut parts = Vec::new();
        if !s.net.is_empty() {
            let why = match self.inner.kernel.support {
                Support::Available { version, .. } => format!("Landlock ABI {version} cannot"),
                _ => "without Landlock".to_string(),
            };
            parts.push(format!("{} ({why})", s.net));
        }
        if s.sockets.enforced {
            parts.push(seccomp::OTHER_SOCKETS.to_string());
        }
        if s.fast_open.enforced {
            parts.push(seccomp::FAST_OPEN.to_string());
        }
        if s.syscall_filter.enforced {
            parts.push(seccomp::SYSCALL_FILTER.to_string());
        }
        format!("seccomp: {}", parts.join(", "))
    }
}

fn abi_text(support: Support) -> String {
    match support {
        Support::Available { version, .. } => format!("Landlock ABI {version}"),
        other => format!("Landlock {other}"),
    }
}

impl fmt::Display for Report {
    /// The core's one-line summary, then what seccomp enforces and the number of skipped
    /// paths if any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)?;
        if let Some(beyond) = self.beyond_pin_text() {
            write!(f, "; of which {beyond}")?;
        }
        if self.seccomp.is_active() {
            write!(f, "; {}", self.seccomp_text())?;
            if !self.inner.domain {
                write!(f, "; {}", crate::seccomp::WITHOUT_DOMAIN)?;
            }
        }
        if let Some(missing) = self.seccomp_missing() {
            write!(f, "; not enforced: {missing}")?;
        }
        if !self.skipped.is_empty() {
            write!(f, "; {} missing paths skipped", self.skipped.len())?;
        }
        Ok(())
    }
}

impl From<landlocked_core::Report> for Report {
    /// A core report, with no skipped rule.
    fn from(inner: landlocked_core::Report) -> Report {
        Report {
            inner,
            skipped: Vec::new(),
            seccomp: SeccompReport::default(),
            beyond_pin: BeyondPin::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use landlocked_core::{Abi, AccessNet, Errata, Handled, Policy, RulesSummary};

    fn report(policy: &Policy, kernel: Kernel) -> Report {
        let plan =
            landlocked_core::negotiate_summary(policy, &RulesSummary::default(), &kernel).unwrap();
        Report::from(plan.expected_report(Default::default()))
    }

    #[test]
    fn a_full_domain_is_still_warned_about_when_the_kernel_weakens_it() {
        let fs = Policy::new()
            .with_net(Handled::Only(AccessNet::empty()))
            .with_scoped(Handled::Only(landlocked_core::Scope::empty()));
        let fixed = report(&fs, Kernel::with_abi(Abi::V7, Errata::all()));
        assert_eq!(fixed.status(), Status::Full);
        assert_eq!(fixed.warning(), None);
        let unfixed = report(&fs, Kernel::with_abi(Abi::V7, Errata::empty()));
        assert_eq!(unfixed.status(), Status::Full);
        let warning = unfixed.warning().unwrap();
        assert!(warning.contains("enforces the sandbox, but unfixed erratum 3"), "{warning}");
        // Unfixed errata that only restrict more are in the report, not in the warning.
        assert!(!warning.contains("erratum 4"), "{warning}");
        assert!(unfixed.to_string().contains("erratum 4"), "{unfixed}");

        let tcp = fs.with_net(Handled::Only(AccessNet::TCP));
        let warning = report(&tcp, Kernel::with_abi(Abi::V7, Errata::all())).warning().unwrap();
        assert!(warning.contains("TCP rules do not cover MPTCP"), "{warning}");
        let all = fs.with_net(Handled::Only(AccessNet::all()));
        let warning = report(&all, Kernel::with_abi(Abi::V7, Errata::all())).warning().unwrap();
        assert!(warning.contains("not enforced: net: bind_udp"), "{warning}");
        assert!(warning.contains("; TCP rules do not cover MPTCP"), "{warning}");
    }
}
