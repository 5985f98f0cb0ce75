//! Flags of the three Landlock syscalls.

use crate::abi::Abi;
use crate::uapi;

named_flags! {
    /// `landlock_create_ruleset` flags: ask the kernel about itself instead of creating a ruleset.
    CreateRulesetFlags: u32 {
        /// Return the highest ABI version the kernel supports.
        VERSION = uapi::LANDLOCK_CREATE_RULESET_VERSION, "version";
        /// Return the bitmask of errata fixed in this kernel (Linux 6.15 and stable backports).
        ERRATA = uapi::LANDLOCK_CREATE_RULESET_ERRATA, "errata";
    }
}

named_flags! {
    /// `landlock_add_rule` flags.
    AddRuleFlags: u32 {
        /// Do not log denials on this object for the ruleset's quiet rights (ABI 10).
        QUIET = uapi::LANDLOCK_ADD_RULE_QUIET, "quiet";
    }
}

named_flags! {
    /// `landlock_restrict_self` flags.
    RestrictSelfFlags: u32 {
        /// Do not log denials of this program before it calls `execve` (ABI 7).
        LOG_SAME_EXEC_OFF = uapi::LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF, "log_same_exec_off";
        /// Log denials of the programs executed in the domain (ABI 7).
        LOG_NEW_EXEC_ON = uapi::LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON, "log_new_exec_on";
        /// Do not log denials of domains nested below this one (ABI 7).
        LOG_SUBDOMAINS_OFF = uapi::LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF, "log_subdomains_off";
        /// Apply the domain to every thread of the process (ABI 8).
        TSYNC = uapi::LANDLOCK_RESTRICT_SELF_TSYNC, "tsync";
        /// Set no_new_privs when, and only when, the domain is enforced (ABI 11).
        NO_NEW_PRIVS = uapi::LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS, "no_new_privs";
    }
}

impl RestrictSelfFlags {
    /// The three logging flags.
    pub const LOG: RestrictSelfFlags = RestrictSelfFlags::LOG_SAME_EXEC_OFF
        .union(RestrictSelfFlags::LOG_NEW_EXEC_ON)
        .union(RestrictSelfFlags::LOG_SUBDOMAINS_OFF);

    /// The flags the kernel of ABI `abi` accepts.
    pub const fn for_abi(abi: Abi) -> RestrictSelfFlags {
        match abi {
            Abi::V1 | Abi::V2 | Abi::V3 | Abi::V4 | Abi::V5 | Abi::V6 => RestrictSelfFlags::empty(),
            Abi::V7 => RestrictSelfFlags::LOG,
            Abi::V8 | Abi::V9 | Abi::V10 => RestrictSelfFlags::LOG.union(RestrictSelfFlags::TSYNC),
            Abi::V11 => RestrictSelfFlags::all(),
        }
    }
}

impl AddRuleFlags {
    /// The flags the kernel of ABI `abi` accepts.
    pub const fn for_abi(abi: Abi) -> AddRuleFlags {
        match abi {
            Abi::V1
            | Abi::V2
            | Abi::V3
            | Abi::V4
            | Abi::V5
            | Abi::V6
            | Abi::V7
            | Abi::V8
            | Abi::V9 => AddRuleFlags::empty(),
            Abi::V10 | Abi::V11 => AddRuleFlags::QUIET,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restrict_flags_per_abi() {
        assert_eq!(RestrictSelfFlags::all().bits(), 0b11111);
        assert!(RestrictSelfFlags::for_abi(Abi::V6).is_empty());
        assert_eq!(RestrictSelfFlags::for_abi(Abi::V7), RestrictSelfFlags::LOG);
        assert!(RestrictSelfFlags::for_abi(Abi::V8).contains(RestrictSelfFlags::TSYNC));
        assert!(!RestrictSelfFlags::for_abi(Abi::V10).contains(RestrictSelfFlags::NO_NEW_PRIVS));
        assert_eq!(RestrictSelfFlags::for_abi(Abi::V11), RestrictSelfFlags::all());
        assert!(AddRuleFlags::for_abi(Abi::V9).is_empty());
        assert_eq!(AddRuleFlags::for_abi(Abi::V10), AddRuleFlags::QUIET);
    }
}
