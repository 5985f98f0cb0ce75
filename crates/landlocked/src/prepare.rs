//! A sandbox negotiated with a kernel and filled: the paths checked, the ruleset made, ready to
//! be enforced here or in a child.

use std::cell::RefCell;
use std::io;
use std::os::unix::ffi::OsStrExt;

use landlocked_core::{
    AccessFs, AccessNet, Compat, Errno, Kernel, PathSource, Plan, RulesSummary, Ruleset,
    SkipReason, Threads, negotiate_summary,
};

use crate::error::Error;
use crate::layers;
use crate::report::{BeyondPin, Report, Skipped};
use crate::rule::{Grant, Rule};
use crate::sandbox::Sandbox;
use crate::seccomp::{self, SeccompError};

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
    let mut all_rules: Vec<landlocked_core::Rule<'_>> =
        rules.iter().map(|r| core_rule(r, pin)).collect();
    let enforce_error = |e: landlocked_core::Error| match e.rule() {
        Some(i) if i < rules.len() => rule_error(i, e),
        _ => Error::Enforce(e),
    };
    let summary =
        RulesSummary::of(all_rules.as_slice(), kernel.support.abi()).map_err(enforce_error)?;
    let requested = layers::effective_policy(sandbox, kernel);
    let beyond_pin = match pin {
        Some(abi) => {
            let uncut: Vec<landlocked_core::Rule<'_>> =
                rules.iter().map(|r| core_rule(r, None)).collect();
            let asked = RulesSummary::of(uncut.as_slice(), Some(abi)).map_err(enforce_error)?;
            layers::beyond_pin(sandbox, &asked)
        }
        None => BeyondPin::default(),
    };
    if !beyond_pin.is_empty() && requested.compat() == Compat::Strict {
        return Err(Error::BeyondPin(beyond_pin));
    }
    let layers = layers::split(sandbox, &requested, &summary, kernel);
    if layers.anchor {
        // After the sandbox's own rules: it is no rule of theirs, in errors or reports.
        present.push(all_rules.len());
        all_rules.push(layers::ANCHOR_RULE);
    }
    let plan = match (negotiate_summary(&layers.landlock, &summary, kernel), layers.unavailable) {
        // Landlock has nothing to do because the request was seccomp's: say why that fails.
        (
            Err(
                landlocked_core::Error::NothingToRestrict
                | landlocked_core::Error::NothingEnforceable { .. },
            ),
            Some(errno),
        ) => return Err(Error::Seccomp(SeccompError::Unavailable(errno))),
        (result, unavailable) => {
            // Landlock's refusals first: they name more.
            let plan = result.map_err(enforce_error)?;
            if let Some(errno) = unavailable {
                return Err(Error::Seccomp(SeccompError::Unavailable(errno)));
            }
            plan
        }
    };
    let seccomp = seccomp::plan(layers.seccomp).map_err(Error::Seccomp)?;
    let present_rules: Vec<landlocked_core::Rule<'_>> =
        present.iter().map(|&i| all_rules[i]).collect();
    let recorder = Recorder { rules: &present_rules, skipped: RefCell::new(Vec::new()) };
    let ruleset = match Ruleset::new(&plan).map_err(Error::Enforce)? {
        Some(mut ruleset) => {
            ruleset.add_rules(&recorder).map_err(|e| match e.rule() {
                Some(i) => enforce_error(remap_rule(e, present[i])),
                None => Error::Enforce(e),
            })?;
            Some(ruleset)
        }
        None => None,
    };
    for (i, errno) in recorder.skipped.into_inner() {
        if let Some(rule) = rules.get(present[i]) {
            skipped.push(Skipped { rule: rule.clone(), errno });
        }
    }
    let counts = ruleset.as_ref().map(Ruleset::counts).unwrap_or_default();
    // What a freshly forked child gets; `restrict_self` re-checks threads in-process.
    let mut expected = plan.expected_report(counts);
    expected.sockets_filtered = seccomp.report.sockets.enforced;
    beyond_pin.fold_into(&mut expected);
    let expected = Report { inner: expected, skipped, seccomp: seccomp.report, beyond_pin };
    let all_threads = requested.threads() == Threads::Process;
    Ok(Prepared { plan, ruleset, expected, filters: seccomp.filters, all_threads })
}

/// A rule as the enforcement core takes it, borrowing the path's bytes or the descriptor; with
/// a pinned ABI, only that ABI's rights.
fn core_rule(rule: &Rule, pin: Option<landlocked_core::Abi>) -> landlocked_core::Rule<'_> {
    let fs = |access: AccessFs| pin.map_or(access, |abi| access & AccessFs::for_abi(abi));
    let net = |access: AccessNet| pin.map_or(access, |abi| access & AccessNet::for_abi(abi));
    // Quiet rules from ABI 10 only: under an older pin the flag is cut (and reported).
    let quiet = rule.quiet && pin.is_none_or(crate::layers::quiet_within);
    let path_rule =
        |source, access| landlocked_core::Rule::Path { source, access: fs(access), quiet };
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
            landlocked_core::Rule::Port { port: *port, access: net(*access), quiet }
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
    pub fn restrict_self(mut self) -> Result<Report, Error> {
        let mut inner = self.enforce_landlock().map_err(Error::Enforce)?;
        // Closed now: a syscall filter may deny `close` afterwards.
        drop(self.ruleset.take());
        self.filters
            .install(self.all_threads)
            .map_err(|errno| Error::Seccomp(SeccompError::Install(errno)))?;
        inner.sockets_filtered = self.expected.inner.sockets_filtered;
        self.expected.beyond_pin.fold_into(&mut inner);
        Ok(Report {
            inner,
            skipped: self.expected.skipped,
            seccomp: self.expected.seccomp,
            beyond_pin: self.expected.beyond_pin,
        })
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
