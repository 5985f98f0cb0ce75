//! `landlock_restrict_self` and no_new_privs: the steps that change the calling process.

use crate::fd::BorrowedFd;
use crate::flags::RestrictSelfFlags;
use crate::{Errno, arch, nr};

const PR_SET_NO_NEW_PRIVS: usize = 38;
const PR_GET_NO_NEW_PRIVS: usize = 39;

/// Enforces `ruleset` on the calling thread (on every thread with `TSYNC`). Irreversible.
///
/// With `ruleset` `None` (-1 to the kernel) only `LOG_SUBDOMAINS_OFF`, optionally with `TSYNC`,
/// is accepted. `EPERM` when the thread has neither no_new_privs, `CAP_SYS_ADMIN` in its user
/// namespace, nor the `NO_NEW_PRIVS` flag; `E2BIG` past 16 stacked domains.
pub fn restrict_self(
    ruleset: Option<BorrowedFd<'_>>,
    flags: RestrictSelfFlags,
) -> Result<(), Errno> {
    let fd = ruleset.map_or(-1, BorrowedFd::as_raw);
    // SAFETY: no pointer is passed.
    Errno::decode(unsafe {
        arch::syscall2(nr::LANDLOCK_RESTRICT_SELF, fd as isize as usize, flags.bits() as usize)
    })
    .map(drop)
}

/// Sets no_new_privs on the calling thread: `execve` can no longer grant privileges (set-user-ID,
/// file capabilities). Irreversible, inherited by children.
pub fn set_no_new_privs() -> Result<(), Errno> {
    // SAFETY: prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) passes no pointer.
    Errno::decode(unsafe { arch::syscall5(nr::PRCTL, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }).map(drop)
}

/// Whether no_new_privs is set on the calling thread.
pub fn no_new_privs() -> Result<bool, Errno> {
    // SAFETY: prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) passes no pointer.
    Errno::decode(unsafe { arch::syscall5(nr::PRCTL, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) })
        .map(|v| v == 1)
}

use crate::error::Error;
use crate::negotiate::Plan;
use crate::policy::{Compat, Threads};
use crate::process;
use crate::report::{NoNewPrivs, Report, ThreadCoverage};
use crate::ruleset::Ruleset;

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
