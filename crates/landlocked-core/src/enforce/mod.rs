//! The plan-aware layer over the raw syscalls of [`crate::ruleset`], [`crate::rule`] and
//! [`crate::restrict`]: a [`Ruleset`] filled for a plan, then enforced; and the one call, from a
//! policy and its rules to an enforced domain and its report.

use crate::abi::Kernel;
use crate::error::Error;
use crate::negotiate::{Plan, negotiate};
use crate::policy::OnMissing;
use crate::policy::{Policy, Rules};
use crate::report::Report;
mod domain;
mod fill;

pub use domain::without_domain;
pub use fill::Ruleset;

/// Probes the running kernel, negotiates `policy`, adds `rules` and enforces the domain on the
/// calling process.
///
/// Safe between `fork` and `exec`: only raw syscalls, no allocation, no lock. Bad input (a port
/// above 65535, a malformed path) and strict failures are returned before anything about the
/// process changes. The report says whether the domain is fully, partly or not enforced:
/// best effort without Landlock is `Ok` with [`crate::Status::NotEnforced`].
pub fn enforce<R: Rules + ?Sized>(policy: &Policy, rules: &R) -> Result<Report, Error> {
    enforce_on(&Kernel::probe(), policy, rules)
}

/// [`enforce`] with a kernel already probed.
pub fn enforce_on<R: Rules + ?Sized>(
    kernel: &Kernel,
    policy: &Policy,
    rules: &R,
) -> Result<Report, Error> {
    let plan = negotiate(policy, rules, kernel)?;
    apply(&plan, rules)
}

/// Carries out a plan negotiated earlier (say, in a parent before `fork`) with the same rules.
pub fn apply<R: Rules + ?Sized>(plan: &Plan, rules: &R) -> Result<Report, Error> {
    match Ruleset::new(plan)? {
        Some(mut ruleset) => {
            ruleset.add_rules(rules)?;
            ruleset.restrict_self()
        }
        None => {
            // No domain, yet a path that does not exist is still bad input, on every kernel.
            if plan.on_missing == OnMissing::Error {
                fill::check_paths(rules)?;
            }
            without_domain(plan)
        }
    }
}
