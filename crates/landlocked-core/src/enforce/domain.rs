//! Enforcing a filled ruleset, or a plan without a domain: threads checked, no_new_privs set
//! the way the kernel allows, the complete report.

use super::fill::Ruleset;
use crate::error::Error;
use crate::flags::RestrictSelfFlags;
use crate::negotiate::Plan;
use crate::policy::{Compat, Threads};
use crate::process;
use crate::report::{NoNewPrivs, Report, ThreadCoverage};
use crate::restrict::{restrict_self, set_no_new_privs};

impl Ruleset {
    /// Enforces the ruleset on the calling process and returns the complete report.
    ///
    /// In order: the thread check (strict fails here if other threads would stay unrestricted,
    /// before anything changes), no_new_privs with `prctl` where the kernel lacks the ABI 11
    /// flag, then `landlock_restrict_self`.
    pub fn restrict_self(self) -> Result<Report, Error> {
        self.enforce()
    }

    /// [`Ruleset::restrict_self`] without giving up the ruleset: for a ruleset filled in a parent
    /// process and enforced in each child between `fork` and `exec` (a `pre_exec` hook may run
    /// once per spawn). Raw syscalls only, no allocation.
    pub fn enforce(&self) -> Result<Report, Error> {
        let plan = &self.plan;
        let threads = thread_coverage(plan)?;
        if plan.no_new_privs == NoNewPrivs::Prctl {
            set_no_new_privs().map_err(Error::NoNewPrivs)?;
        }
        restrict_self(Some(self.fd.as_fd()), plan.restrict_flags).map_err(Error::RestrictSelf)?;
        Ok(Report { domain: true, threads, rules: self.counts, ..plan.report })
    }
}

/// Which threads a domain enforced now would cover; strict fails when that is not the whole
/// process it asked for.
fn thread_coverage(plan: &Plan) -> Result<ThreadCoverage, Error> {
    if plan.restrict_flags.contains(RestrictSelfFlags::TSYNC) {
        return Ok(ThreadCoverage::AllThreads);
    }
    if plan.threads == Threads::CallingThread {
        return Ok(ThreadCoverage::CallingThreadByRequest);
    }
    let strict = plan.compat == Compat::Strict;
    let single = match process::is_single_threaded() {
        Ok(single) => single,
        // unshare refused (a seccomp filter, say): count the threads in /proc instead.
        Err(_) => match process::thread_count() {
            Ok(n) => n == 1,
            Err(errno) if strict => return Err(Error::ThreadCount(errno)),
            Err(_) => return Ok(ThreadCoverage::CallingThreadOnly { threads: None }),
        },
    };
    if single {
        return Ok(ThreadCoverage::SingleThread);
    }
    // Only for the message: how many there are, if /proc says.
    let threads = process::thread_count().ok();
    if strict {
        Err(Error::MultiThreaded { threads })
    } else {
        Ok(ThreadCoverage::CallingThreadOnly { threads })
    }
}

/// Applies a plan that enforces no domain: only no_new_privs, if asked for. The report says
/// nothing is enforced.
pub fn without_domain(plan: &Plan) -> Result<Report, Error> {
    if plan.no_new_privs != NoNewPrivs::NotRequested {
        set_no_new_privs().map_err(Error::NoNewPrivs)?;
    }
    Ok(Report { no_new_privs: plan.no_new_privs, ..plan.report })
}
