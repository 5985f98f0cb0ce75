//! The kernel's `linux/landlock.h`, through ABI 11, as plain constants and `#[repr(C)]` structs.
//!
//! The typed flag sets in [`crate::access`] and [`crate::flags`] are built from these values; the
//! test suite compares every one of them with the header of Debian's `linux-libc-dev` 7.3.

use core::mem::{offset_of, size_of};

/// `struct landlock_ruleset_attr`: what a ruleset handles, and what it keeps quiet (ABI 10).
///
/// The kernel reads only the first `size` bytes it is given and accepts a longer struct from
/// newer user space as long as the bytes it does not know are zero; [`RulesetAttr::size`] gives
/// the shortest length that carries every non-zero field.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RulesetAttr {
    /// Filesystem rights denied unless a rule allows them (`LANDLOCK_ACCESS_FS_*`).
    pub handled_access_fs: u64,
    /// Network rights denied unless a rule allows them (`LANDLOCK_ACCESS_NET_*`, ABI 4).
    pub handled_access_net: u64,
    /// IPC scopes the domain is confined to (`LANDLOCK_SCOPE_*`, ABI 6).
    pub scoped: u64,
    /// Filesystem denials not logged on objects marked quiet (ABI 10).
    pub quiet_access_fs: u64,
    /// Network denials not logged on ports marked quiet (ABI 10).
    pub quiet_access_net: u64,
    /// Scope denials never logged (ABI 10).
    pub quiet_scoped: u64,
}

impl RulesetAttr {
    /// The size to pass to `landlock_create_ruleset`: up to and including the last non-zero field,
    /// and never less than the first field, so that an older kernel sees only what it knows.
    pub const fn size(&self) -> usize {
        let fields = [
            self.handled_access_fs,
            self.handled_access_net,
            self.scoped,
            self.quiet_access_fs,
            self.quiet_access_net,
            self.quiet_scoped,
        ];
        let mut n = fields.len();
        while n > 1 && fields[n - 1] == 0 {
            n -= 1;
        }
        n * size_of::<u64>()
    }
}

/// `struct landlock_path_beneath_attr`: packed, 12 bytes.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathBeneathAttr {
    /// Rights allowed beneath `parent_fd`.
    pub allowed_access: u64,
    /// A descriptor (preferably `O_PATH`) of the directory or file.
    pub parent_fd: i32,
}

/// `struct landlock_net_port_attr`: 16 bytes, the port in host byte order.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetPortAttr {
    /// Rights allowed on `port`.
    pub allowed_access: u64,
    /// The TCP or UDP port, 0 to 65535.
    pub port: u64,
}

const _: () = {
    assert!(size_of::<RulesetAttr>() == 48);
    assert!(offset_of!(RulesetAttr, handled_access_fs) == 0);
    assert!(offset_of!(RulesetAttr, handled_access_net) == 8);
    assert!(offset_of!(RulesetAttr, scoped) == 16);
    assert!(offset_of!(RulesetAttr, quiet_access_fs) == 24);
    assert!(offset_of!(RulesetAttr, quiet_access_net) == 32);
    assert!(offset_of!(RulesetAttr, quiet_scoped) == 40);
    assert!(size_of::<PathBeneathAttr>() == 12);
    assert!(offset_of!(PathBeneathAttr, allowed_access) == 0);
    assert!(offset_of!(PathBeneathAttr, parent_fd) == 8);
    assert!(size_of::<NetPortAttr>() == 16);
    assert!(offset_of!(NetPortAttr, allowed_access) == 0);
    assert!(offset_of!(NetPortAttr, port) == 8);
};

/// `landlock_create_ruleset` flag: return the highest supported ABI version.
pub const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1 << 0;
/// `landlock_create_ruleset` flag: return the bitmask of fixed errata.
pub const LANDLOCK_CREATE_RULESET_ERRATA: u32 = 1 << 1;

/// `landlock_add_rule` flag: denials on this object are not logged for quiet rights (ABI 10).
pub const LANDLOCK_ADD_RULE_QUIET: u32 = 1 << 0;

/// `landlock_restrict_self` flag (ABI 7).
pub const LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF: u32 = 1 << 0;
/// `landlock_restrict_self` flag (ABI 7).
pub const LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON: u32 = 1 << 1;
/// `landlock_restrict_self` flag (ABI 7); the only one allowed with a ruleset fd of -1.
pub const LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF: u32 = 1 << 2;
/// `landlock_restrict_self` flag (ABI 8): apply to every thread of the process.
pub const LANDLOCK_RESTRICT_SELF_TSYNC: u32 = 1 << 3;
/// `landlock_restrict_self` flag (ABI 11): set no_new_privs if and only if enforcement succeeds.
pub const LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS: u32 = 1 << 4;

/// `enum landlock_rule_type`: a [`PathBeneathAttr`] rule.
pub const LANDLOCK_RULE_PATH_BENEATH: u32 = 1;
/// `enum landlock_rule_type`: a [`NetPortAttr`] rule (ABI 4).
pub const LANDLOCK_RULE_NET_PORT: u32 = 2;

/// ABI 1.
pub const LANDLOCK_ACCESS_FS_EXECUTE: u64 = 1 << 0;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_WRITE_FILE: u64 = 1 << 1;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_READ_FILE: u64 = 1 << 2;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_READ_DIR: u64 = 1 << 3;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_REMOVE_DIR: u64 = 1 << 4;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_REMOVE_FILE: u64 = 1 << 5;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_MAKE_CHAR: u64 = 1 << 6;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_MAKE_DIR: u64 = 1 << 7;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_MAKE_REG: u64 = 1 << 8;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_MAKE_SOCK: u64 = 1 << 9;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_MAKE_FIFO: u64 = 1 << 10;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_MAKE_BLOCK: u64 = 1 << 11;
/// ABI 1.
pub const LANDLOCK_ACCESS_FS_MAKE_SYM: u64 = 1 << 12;
/// ABI 2.
pub const LANDLOCK_ACCESS_FS_REFER: u64 = 1 << 13;
/// ABI 3.
pub const LANDLOCK_ACCESS_FS_TRUNCATE: u64 = 1 << 14;
/// ABI 5.
pub const LANDLOCK_ACCESS_FS_IOCTL_DEV: u64 = 1 << 15;
/// ABI 9.
pub const LANDLOCK_ACCESS_FS_RESOLVE_UNIX: u64 = 1 << 16;

/// ABI 4.
pub const LANDLOCK_ACCESS_NET_BIND_TCP: u64 = 1 << 0;
/// ABI 4.
pub const LANDLOCK_ACCESS_NET_CONNECT_TCP: u64 = 1 << 1;
/// ABI 10.
pub const LANDLOCK_ACCESS_NET_BIND_UDP: u64 = 1 << 2;
/// ABI 10.
pub const LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP: u64 = 1 << 3;

/// ABI 6.
pub const LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1 << 0;
/// ABI 6.
pub const LANDLOCK_SCOPE_SIGNAL: u64 = 1 << 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attr_size_stops_at_the_last_nonzero_field() {
        let mut attr = RulesetAttr::default();
        assert_eq!(attr.size(), 8);
        attr.handled_access_fs = 1;
        assert_eq!(attr.size(), 8);
        attr.handled_access_net = 1;
        assert_eq!(attr.size(), 16);
        attr.scoped = 1;
        assert_eq!(attr.size(), 24);
        attr.quiet_scoped = 1;
        assert_eq!(attr.size(), 48);
        let only_scoped = RulesetAttr { scoped: 2, ..RulesetAttr::default() };
        assert_eq!(only_scoped.size(), 24);
    }
}
