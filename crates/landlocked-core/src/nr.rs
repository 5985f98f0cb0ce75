//! System call numbers: the classic ones from `sc`'s table for the target architecture, and the
//! Landlock ones, which arrived after the table was last generated (Linux 5.12).

pub use sc::nr::{
    CLOSE, EXECVE, EXIT_GROUP, FACCESSAT, GETDENTS64, GETPID, GETTID, KILL, OPENAT, PRCTL, READ,
    SECCOMP, STATX, UNSHARE, WRITE,
};

/// `landlock_create_ruleset`, the same number on every architecture (unified table, Linux 5.13).
pub const LANDLOCK_CREATE_RULESET: usize = 444;
/// `landlock_add_rule`.
pub const LANDLOCK_ADD_RULE: usize = 445;
/// `landlock_restrict_self`.
pub const LANDLOCK_RESTRICT_SELF: usize = 446;

#[cfg(test)]
mod tests {
    #[test]
    fn landlock_numbers_match_libc() {
        assert_eq!(super::LANDLOCK_CREATE_RULESET as i64, libc::SYS_landlock_create_ruleset);
        assert_eq!(super::LANDLOCK_ADD_RULE as i64, libc::SYS_landlock_add_rule);
        assert_eq!(super::LANDLOCK_RESTRICT_SELF as i64, libc::SYS_landlock_restrict_self);
        assert_eq!(super::OPENAT as i64, libc::SYS_openat);
        assert_eq!(super::STATX as i64, libc::SYS_statx);
        assert_eq!(super::SECCOMP as i64, libc::SYS_seccomp);
    }
}
