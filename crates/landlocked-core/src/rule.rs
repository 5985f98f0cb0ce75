//! `landlock_add_rule`: allow rights beneath a file hierarchy or on a port.

use crate::access::{AccessFs, AccessNet};
use crate::fd::BorrowedFd;
use crate::flags::AddRuleFlags;
use crate::uapi::{self, NetPortAttr, PathBeneathAttr};
use crate::{Errno, arch, nr};

/// Allows `access` beneath `parent` (a directory, or a single file).
///
/// `EINVAL` when `access` holds a right the ruleset does not handle or a directory right on a
/// file; `ENOMSG` when `access` is empty without `QUIET`.
pub fn add_path_beneath(
    ruleset: BorrowedFd<'_>,
    parent: BorrowedFd<'_>,
    access: AccessFs,
    flags: AddRuleFlags,
) -> Result<(), Errno> {
    let attr = PathBeneathAttr { allowed_access: access.bits(), parent_fd: parent.as_raw() };
    // SAFETY: `attr` is a valid packed path-beneath struct that outlives the call.
    Errno::decode(unsafe {
        arch::syscall4(
            nr::LANDLOCK_ADD_RULE,
            ruleset.as_raw() as usize,
            uapi::LANDLOCK_RULE_PATH_BENEATH as usize,
            &attr as *const PathBeneathAttr as usize,
            flags.bits() as usize,
        )
    })
    .map(drop)
}

/// Allows `access` on the TCP or UDP `port` (host byte order).
///
/// `EINVAL` for a port above 65535 or a right the ruleset does not handle; `EAFNOSUPPORT`
/// without IP support in the kernel.
pub fn add_net_port(
    ruleset: BorrowedFd<'_>,
    port: u64,
    access: AccessNet,
    flags: AddRuleFlags,
) -> Result<(), Errno> {
    let attr = NetPortAttr { allowed_access: access.bits(), port };
    // SAFETY: `attr` is a valid net-port struct that outlives the call.
    Errno::decode(unsafe {
        arch::syscall4(
            nr::LANDLOCK_ADD_RULE,
            ruleset.as_raw() as usize,
            uapi::LANDLOCK_RULE_NET_PORT as usize,
            &attr as *const NetPortAttr as usize,
            flags.bits() as usize,
        )
    })
    .map(drop)
}
