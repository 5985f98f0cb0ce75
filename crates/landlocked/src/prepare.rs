//! A sandbox negotiated with a kernel and filled: the paths checked, the ruleset made, ready to
//! be enforced here or in a child.

use std::cell::RefCell;
use std::io;
use std::os::unix::ffi::OsStrExt;

use landlocked_core::{
    AccessFs, AccessNet, Errno, Handled, Kernel, PathSource, Plan, Policy, Ruleset, Scope,
    SkipReason,
};

use crate::error::Error;
use crate::report::{Report, Skipped};
use crate::rule::{Grant, Rule};
use crate::sandbox::Sandbox;

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
    let policy = effective_policy(sandbox, kernel);
    // The core decides which granted rights count as requested: a read-write group's
    // `resolve_unix` on ABI 7 does not, `--unix` alone does (see `RulesSummary`).
    let plan = landlocked_core::negotiate(&policy, all_rules.as_slice(), kernel).map_err(|e| {
        match e.rule() {
            Some(i) => rule_error(i, e),
            None => Error::Enforce(e),
        }
    })?;
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
    let expected = plan.expected_report(counts);
    Ok(Prepared { plan, ruleset, expected: Report { inner: expected, skipped } })
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
}

impl Prepared {
    /// What enforcing will give in a freshly forked child (single-threaded), so what a sandboxed
    /// command gets.
    pub fn report(&self) -> &Report {
        &self.expected
    }

    /// Enforces the sandbox on the calling process. Irreversible.
    pub fn restrict_self(self) -> Result<Report, Error> {
        let inner = match &self.ruleset {
            Some(ruleset) => ruleset.enforce(),
            None => landlocked_core::enforce::without_domain(&self.plan),
        }
        .map_err(Error::Enforce)?;
        Ok(Report { inner, skipped: self.expected.skipped })
    }

    /// The same, between `fork` and `exec`: raw syscalls only, no allocation, the error as an
    /// errno.
    pub(crate) fn enforce_in_child(&self) -> io::Result<()> {
        let result = match &self.ruleset {
            Some(ruleset) => ruleset.enforce(),
            None => landlocked_core::enforce::without_domain(&self.plan),
        };
        match result {
            Ok(_) => Ok(()),
            // A failure without an errno of its own cannot happen in a child; EPERM stands in.
            Err(e) => Err(io::Error::from_raw_os_error(e.errno().unwrap_or(Errno::EPERM).raw())),
        }
    }
}
