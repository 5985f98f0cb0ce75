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
