//! A sandbox negotiated with a kernel and filled: the paths checked, the ruleset made, ready to
//! be enforced here or in a child.

use std::cell::RefCell;
use std::io;
use std::os::unix::ffi::OsStrExt;

use landlocked_core::{
    AccessFs, AccessNet, Compat, Errno, Handled, Kernel, PathSource, Plan, Policy, RulesSummary,
    Ruleset, Scope, SkipReason, Threads, negotiate_summary,
};

use crate::error::Error;
use crate::report::{Report, Skipped};
use crate::rule::{Grant, Rule};
use crate::sandbox::Sandbox;
use crate::seccomp::{self, SeccompError};

/// The core's policy for `sandbox` on `kernel`: what [`Sandbox::restrict_net`] and
/// [`Sandbox::scope`] asked on top of everything supported, and the pinned ABI's limits.
fn effective_policy(sandbox: &Sandbox, kernel: &Kernel) -> Policy {
    let abi = kernel.support.abi();
    let mut policy = sandbox.policy;
    if !sandbox.also_net.is_empty() {
        let supported = abi.map_or(AccessNet::empty(), AccessNet::for_abi);
        policy = policy.with_net(Handled::Only(supported | sandbox.also_net));
    }
    if !sandbox.also_scoped.is_empty() {
        let supported = abi.map_or(Scope::empty(), Scope::for_abi);
        policy = policy.with_scoped(Handled::Only(supported | sandbox.also_scoped));
    }
    if let Some(pin) = sandbox.pinned {
        let cap = |h: Handled<AccessNet>| match h {
            Handled::Only(set) => Handled::Only(set.intersection(AccessNet::for_abi(pin))),
            other => other,
        };
        policy = policy.with_net(cap(policy.net()));
        if let Handled::Only(set) = policy.scoped() {
            policy = policy.with_scoped(Handled::Only(set.intersection(Scope::for_abi(pin))));
        }
    }
    policy
}

/// Checks, negotiates and fills (see [`Sandbox::prepare`]).
pub(crate) fn prepare(sandbox: &Sandbox, kernel: &Kernel) -> Result<Prepared, Error> {
    let rules = &sandbox.rules;
    let rule_error = |index: usize, source| Error::Rule {
        index,
        rule: Box::new(rules[index].clone()),
        source: remap_rule(source, index),
    };
    // Paths are checked first, whatever the kernel, so that a missing one is reported even
    // where its rule would change nothing. A skipped rule still takes part in the negotiation:
    // what it grants stays handled, so a missing path never widens the sandbox; only adding it
    // is left out.
    let mut skipped = Vec::new();
    let mut present = Vec::with_capacity(rules.len());
    for (index, rule) in rules.iter().enumerate() {
        match &rule.grant {
            Grant::Path { path, .. } => {
                if let Err(e) = std::fs::metadata(path) {
                    let errno = io_errno(&e);
                    if !(sandbox.ignore_missing && errno == Errno::ENOENT) {
                        let source = landlocked_core::Error::OpenPath { rule: index, errno };
                        return Err(rule_error(index, source));
                    }
                    skipped.push(Skipped { rule: rule.clone(), errno });
                    continue;
                }
            }
            Grant::Fd { fd, .. } => {
                if let Err(errno) = &fd.0 {
                    let source = landlocked_core::Error::OpenPath { rule: index, errno: *errno };
                    return Err(rule_error(index, source));
                }
            }
            _ => {}
        }
        present.push(index);
    }
    let pin = sandbox.pinned;
    let all_rules: Vec<landlocked_core::Rule<'_>> =
        rules.iter().map(|r| core_rule(r, pin)).collect();
    let enforce_error = |e: landlocked_core::Error| match e.rule() {
        Some(i) => rule_error(i, e),
        None => Error::Enforce(e),
    };
    let summary =
        RulesSummary::of(all_rules.as_slice(), kernel.support.abi()).map_err(enforce_error)?;
    let requested = effective_policy(sandbox, kernel);
    let layers = layers(sandbox, &requested, &summary, kernel)?;
    // The core decides which granted rights count as requested: a read-write group's
    // `resolve_unix` on ABI 7 does not, `--unix` alone does (see `RulesSummary`).
    let unavailable =
        layers.unavailable.map(|errno| Error::Seccomp(SeccompError::Unavailable(errno)));
    let plan = match (negotiate_summary(&layers.landlock, &summary, kernel), unavailable) {
        // Landlock has nothing to do because the request was seccomp's: say why that fails.
        (
            Err(
                landlocked_core::Error::NothingToRestrict
                | landlocked_core::Error::NothingEnforceable { .. },
            ),
            Some(e),
        ) => return Err(e),
        (result, unavailable) => {
            let plan = result.map_err(enforce_error)?;
            if let Some(e) = unavailable {
                return Err(e);
            }
            plan
        }
    };
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
        skipped.push(Skipped { rule: rules[present[i]].clone(), errno });
    }
    let counts = ruleset.as_ref().map(Ruleset::counts).unwrap_or_default();
    // What a freshly forked child gets; `restrict_self` re-checks threads in-process.
    let mut expected = plan.expected_report(counts);
    expected.sockets_filtered = layers.seccomp.report.sockets.enforced;
    let expected = Report { inner: expected, skipped, seccomp: layers.seccomp.report };
    if layers.strict_here {
        // The core was told best effort, having nothing of its own to enforce: what it would
        // have refused is refused here.
        let missing = expected.missing();
        if !missing.is_empty() {
            return Err(Error::Enforce(match kernel.support.abi() {
                Some(abi) => landlocked_core::Error::Unsupported { abi, missing },
                None => landlocked_core::Error::Unavailable(kernel.support),
            }));
        }
    }
    let all_threads = requested.threads() == Threads::Process;
    Ok(Prepared { plan, ruleset, expected, filters: layers.seccomp.filters, all_threads })
}

/// The sandbox split between the two layers.
struct Layers {
    /// What Landlock is asked for: the request without what seccomp enforces in its place.
    landlock: Policy,
    seccomp: seccomp::Plan,
    /// The request was strict, but the core was told best effort (see [`layers`]).
    strict_here: bool,
    /// seccomp is needed and this kernel cannot install filters: why.
    unavailable: Option<Errno>,
}

/// Decides what seccomp does and what is left to Landlock.
///
/// A network protocol that Landlock cannot restrict on this kernel, with no port allowed, is
/// seccomp's ([`seccomp::net::covered`]): it leaves Landlock's request, so that it is neither
/// reported missing nor refused in strict mode. When that leaves Landlock nothing at all (a
/// network-only sandbox before ABI 4, a syscall filter alone), a missing Landlock or an empty
/// domain is no reason to refuse: seccomp is the sandbox. Only an explicitly empty filesystem
/// and scope request counts as nothing: everything-supported on a kernel without Landlock is
/// still a request that cannot be met.
fn layers(
    sandbox: &Sandbox,
    requested: &Policy,
    summary: &RulesSummary,
    kernel: &Kernel,
) -> Result<Layers, Error> {
    let relaxed =
        requested.with_compat(Compat::BestEffort).with_require_domain(false).with_min_abi(None);
    // Pure and infallible with nothing demanded: what Landlock alone would request and enforce.
    let alone = negotiate_summary(&relaxed, summary, kernel).map_err(Error::Enforce)?.report;
    let available = seccomp::available();
    // Without seccomp, a syscall filter is refused unless plain best effort, and strict mode
    // refuses the network's completion too; after Landlock's own refusals, which name more.
    let strict = requested.compat() == Compat::Strict;
    let needed = match &sandbox.syscall_filter {
        Some(_) => strict || requested.require_domain(),
        None => strict && sandbox.network_seccomp && !alone.net.requested.is_empty(),
    };
    let unavailable = available.err().filter(|_| needed);
    let network = (sandbox.network_seccomp && !alone.net.requested.is_empty()).then(|| {
        let granted = summary.net;
        seccomp::net::covered(alone.net.requested, alone.net.missing(), granted)
    });
    let seccomp = seccomp::plan(available.is_ok(), network, sandbox.syscall_filter.as_ref())
        .map_err(Error::Seccomp)?;
    let covered = seccomp.report.net;
    let mut landlock = *requested;
    if !covered.is_empty() {
        landlock = landlock.with_net(Handled::Only(alone.net.requested.difference(covered)));
    }
    let nothing = AccessFs::empty();
    let landlock_has_nothing = requested.fs() == Handled::Only(nothing)
        && summary.fs.is_empty()
        && requested.scoped() == Handled::Only(Scope::empty())
        && alone.net.requested.difference(covered).is_empty();
    let mut strict_here = false;
    if landlock_has_nothing && seccomp.report.is_active() {
        strict_here = requested.compat() == Compat::Strict;
        landlock = landlock.with_compat(Compat::BestEffort).with_require_domain(false);
    }
    Ok(Layers { landlock, seccomp, strict_here, unavailable })
}

/// A rule as the enforcement core takes it, borrowing the path's bytes or the descriptor; with
/// a pinned ABI, only that ABI's rights.
fn core_rule(rule: &Rule, pin: Option<landlocked_core::Abi>) -> landlocked_core::Rule<'_> {
    let fs = |access: AccessFs| pin.map_or(access, |abi| access & AccessFs::for_abi(abi));
    let net = |access: AccessNet| pin.map_or(access, |abi| access & AccessNet::for_abi(abi));
    let path_rule = |source, access| landlocked_core::Rule::Path {
        source,
        access: fs(access),
        quiet: rule.quiet,
    };
    match &rule.grant {
        Grant::Path { path, access } => {
            path_rule(PathSource::Path(path.as_os_str().as_bytes()), *access)
        }
        Grant::Fd { fd, access } => {
            // Checked in `prepare`: a failed duplicate never reaches here. Were one to, the
            // empty path cannot be opened, and the rule fails rather than naming another object.
            let source = match &fd.0 {
                Ok(fd) => PathSource::Fd(crate::fd::borrow_core(std::os::fd::AsFd::as_fd(&**fd))),
                Err(_) => PathSource::Path(b""),
            };
            path_rule(source, *access)
        }
        Grant::Port { port, access } => {
            landlocked_core::Rule::Port { port: *port, access: net(*access), quiet: rule.quiet }
        }
    }
}

/// Renumbers a core rule error to the sandbox's own rule index.
fn remap_rule(e: landlocked_core::Error, index: usize) -> landlocked_core::Error {
    use landlocked_core::Error as E;
    match e {
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
    filters: seccomp::Filters,
    /// Whether the seccomp filters go on every thread (`TSYNC`), as the policy asks.
    all_threads: bool,
}

impl Prepared {
    /// What enforcing will give in a freshly forked child (single-threaded), so what a sandboxed
    /// command gets.
    pub fn report(&self) -> &Report {
        &self.expected
    }

    /// Enforces the sandbox on the calling process: Landlock (and no_new_privs), then the
    /// seccomp filters. Irreversible.
    pub fn restrict_self(self) -> Result<Report, Error> {
        let mut inner = self.enforce_landlock().map_err(Error::Enforce)?;
        self.filters
            .install(self.all_threads)
            .map_err(|errno| Error::Seccomp(SeccompError::Install(errno)))?;
        inner.sockets_filtered = self.expected.inner.sockets_filtered;
        Ok(Report { inner, skipped: self.expected.skipped, seccomp: self.expected.seccomp })
    }

    fn enforce_landlock(&self) -> Result<landlocked_core::Report, landlocked_core::Error> {
        match &self.ruleset {
            Some(ruleset) => ruleset.enforce(),
            None => landlocked_core::enforce::without_domain(&self.plan),
        }
    }

    /// The same, between `fork` and `exec`: raw syscalls only, no allocation, the error as an
    /// errno.
    pub(crate) fn enforce_in_child(&self) -> io::Result<()> {
        let errno = |e: Errno| io::Error::from_raw_os_error(e.raw());
        // A failure without an errno of its own cannot happen in a child; EPERM stands in.
        let _report =
            self.enforce_landlock().map_err(|e| errno(e.errno().unwrap_or(Errno::EPERM)))?;
        self.filters.install(self.all_threads).map_err(errno)
    }
}
