//! Landlock ABI versions, how to tell what the running kernel offers, and its errata.

use core::fmt;

use crate::{Errno, ruleset};

/// A Landlock ABI version this crate knows, from 1 (Linux 5.13) to 11 (Linux 7.3).
///
/// The enum is closed: a newer kernel is treated as the newest version known here (see
/// [`Abi::from_version`]), and the raw number is kept beside it in [`Support::Available`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum Abi {
    /// Linux 5.13: filesystem rights.
    V1 = 1,
    /// Linux 5.19: `refer`.
    V2 = 2,
    /// Linux 6.2: `truncate`.
    V3 = 3,
    /// Linux 6.7: TCP bind and connect.
    V4 = 4,
    /// Linux 6.10: `ioctl_dev`.
    V5 = 5,
    /// Linux 6.12: scopes (abstract UNIX sockets, signals).
    V6 = 6,
    /// Linux 6.15: logging flags.
    V7 = 7,
    /// Linux 7.0: `TSYNC`, one domain for every thread.
    V8 = 8,
    /// Linux 7.1: `resolve_unix`, pathname UNIX sockets.
    V9 = 9,
    /// Linux 7.2: UDP bind and connect/send, quiet rules.
    V10 = 10,
    /// Linux 7.3: the `NO_NEW_PRIVS` restrict flag.
    V11 = 11,
}

impl Abi {
    /// Every version, oldest first.
    pub const ALL: [Abi; 11] = [
        Abi::V1,
        Abi::V2,
        Abi::V3,
        Abi::V4,
        Abi::V5,
        Abi::V6,
        Abi::V7,
        Abi::V8,
        Abi::V9,
        Abi::V10,
        Abi::V11,
    ];

    /// The newest version this crate knows.
    pub const LATEST: Abi = Abi::V11;

    /// The version for the number a kernel reports: `None` below 1, the newest known version
    /// above it (a newer kernel still enforces everything an older ABI defines).
    pub const fn from_version(version: u32) -> Option<Abi> {
        match version {
            0 => None,
            v if v >= Abi::LATEST as u32 => Some(Abi::LATEST),
            v => Some(Abi::ALL[v as usize - 1]),
        }
    }

    /// The version number.
    pub const fn version(self) -> u32 {
        self as u32
    }

    /// The first Linux release with this version.
    pub const fn first_kernel(self) -> &'static str {
        match self {
            Abi::V1 => "5.13",
            Abi::V2 => "5.19",
            Abi::V3 => "6.2",
            Abi::V4 => "6.7",
            Abi::V5 => "6.10",
            Abi::V6 => "6.12",
            Abi::V7 => "6.15",
            Abi::V8 => "7.0",
            Abi::V9 => "7.1",
            Abi::V10 => "7.2",
            Abi::V11 => "7.3",
        }
    }
}

impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.version())
    }
}

/// What the running kernel says about Landlock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Support {
    /// The kernel was built without Landlock (`ENOSYS`).
    NotBuilt,
    /// Landlock is built in but not enabled at boot (`EOPNOTSUPP`): it is missing from the `lsm=`
    /// list or from `CONFIG_LSM`.
    Disabled,
    /// Landlock is available.
    Available {
        /// The version, clamped to the newest one this crate knows.
        abi: Abi,
        /// The number the kernel reported, which may be newer than [`Abi::LATEST`].
        version: u32,
    },
    /// The version query failed in a way Landlock itself never answers (a seccomp filter, for
    /// instance, or a version 0): treated as unavailable.
    Unknown(Errno),
}

impl Support {
    /// The usable ABI, if Landlock is available.
    pub const fn abi(self) -> Option<Abi> {
        match self {
            Support::Available { abi, .. } => Some(abi),
            _ => None,
        }
    }

    /// Interprets the result of the version query.
    pub const fn from_version_query(result: Result<u32, Errno>) -> Support {
        match result {
            Ok(version) => match Abi::from_version(version) {
                Some(abi) => Support::Available { abi, version },
                None => Support::Unknown(Errno::EINVAL),
            },
            Err(Errno::ENOSYS) => Support::NotBuilt,
            Err(Errno::EOPNOTSUPP) => Support::Disabled,
            Err(e) => Support::Unknown(e),
        }
    }
}

impl fmt::Display for Support {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Support::NotBuilt => f.write_str("not built into this kernel"),
            Support::Disabled => f.write_str("disabled at boot"),
            Support::Available { abi, version } if abi.version() == version => {
                write!(f, "available, ABI {abi}")
            }
            Support::Available { abi, version } => {
                write!(f, "available, ABI {version} (used as {abi}, the newest known here)")
            }
            Support::Unknown(e) => write!(f, "unknown (version query failed: {e})"),
        }
    }
}

/// Asks the running kernel which Landlock ABI it offers. One syscall, no side effect.
/// [`Kernel::probe`] is the entry point: it asks this and the errata.
pub(crate) fn probe() -> Support {
    Support::from_version_query(ruleset::query(crate::CreateRulesetFlags::VERSION))
}

named_flags! {
    /// Landlock errata fixed in the running kernel (bit N-1 is erratum N). Bits this crate does
    /// not know are kept.
    Errata: u64 {
        /// Erratum 1 (ABI 4): only TCP sockets are subject to the TCP rights, not SCTP, MPTCP
        /// or SMC.
        TCP_SOCKET_IDENTIFICATION = 1 << 0, "tcp_socket_identification";
        /// Erratum 2 (ABI 6): threads of one process may always signal each other.
        SCOPED_SIGNAL_SAME_PROCESS = 1 << 1, "scoped_signal_same_process";
        /// Erratum 3 (ABI 1): disconnected directories cannot widen rights through `refer`.
        DISCONNECTED_DIRECTORY = 1 << 2, "disconnected_directory";
        /// Erratum 4 (ABI 1): OverlayFS whiteouts need `make_reg`, not `make_char`.
        WHITEOUT_MAKE_REG = 1 << 3, "whiteout_make_reg";
    }
}

impl Errata {
    /// The unfixed errata that leave a domain weaker than asked: a rename or link can widen
    /// rights. Of the others, 1 and 2 restrict more than asked (they can break a program, not
    /// free it), and 4 moves whiteouts from make_reg to make_char (weaker only where a rule
    /// grants make_char and not make_reg, which no rights group of this crate does).
    pub const WEAKENING: Errata = Errata::DISCONNECTED_DIRECTORY;

    /// What a kernel without the fix of this erratum (a single flag) does differently, in a few
    /// words; empty for a set of several or for an erratum this crate does not know.
    pub const fn meaning(self) -> &'static str {
        if self.bits() == Errata::TCP_SOCKET_IDENTIFICATION.bits() {
            "MPTCP, SCTP and SMC sockets are restricted by the TCP rights too"
        } else if self.bits() == Errata::SCOPED_SIGNAL_SAME_PROCESS.bits() {
            "threads of one process in different domains cannot signal each other"
        } else if self.bits() == Errata::DISCONNECTED_DIRECTORY.bits() {
            "renaming or linking through a directory moved out of its bind mount can widen rights"
        } else if self.bits() == Errata::WHITEOUT_MAKE_REG.bits() {
            "OverlayFS whiteouts are allowed by make_char, not make_reg"
        } else {
            ""
        }
    }

    /// The known errata that concern a kernel of ABI `abi` (those whose feature it has).
    pub const fn for_abi(abi: Abi) -> Errata {
        let mut errata = Errata::DISCONNECTED_DIRECTORY.union(Errata::WHITEOUT_MAKE_REG);
        if abi as u8 >= Abi::V4 as u8 {
            errata = errata.union(Errata::TCP_SOCKET_IDENTIFICATION);
        }
        if abi as u8 >= Abi::V6 as u8 {
            errata = errata.union(Errata::SCOPED_SIGNAL_SAME_PROCESS);
        }
        errata
    }
}

/// Asks the running kernel which errata it has fixed.
///
/// Kernels older than 6.15 without the backport do not know the query and answer `EINVAL`: they
/// have fixed none, so that is `Ok(Errata::empty())`. Other errors (`ENOSYS`, `EOPNOTSUPP`) are
/// returned as they are.
pub(crate) fn errata() -> Result<Errata, Errno> {
    match ruleset::query(crate::CreateRulesetFlags::ERRATA) {
        Ok(bits) => Ok(Errata::from_bits_retain(u64::from(bits))),
        Err(Errno::EINVAL) => Ok(Errata::empty()),
        Err(e) => Err(e),
    }
}

/// What the running kernel offers: its Landlock support and its fixed errata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Kernel {
    /// Whether and at which ABI Landlock is available.
    pub support: Support,
    /// The errata the kernel reports fixed (empty when Landlock is unavailable).
    pub errata: Errata,
}

impl Kernel {
    /// Probes the running kernel (two syscalls when Landlock is available, one otherwise).
    pub fn probe() -> Kernel {
        let support = probe();
        let errata = match support {
            Support::Available { .. } => errata().unwrap_or(Errata::empty()),
            _ => Errata::empty(),
        };
        Kernel { support, errata }
    }

    /// A kernel of the given support and fixed errata, for negotiation and tests.
    pub const fn new(support: Support, errata: Errata) -> Kernel {
        Kernel { support, errata }
    }

    /// A kernel of the given ABI with the given errata fixed, for negotiation and tests.
    pub const fn with_abi(abi: Abi, errata: Errata) -> Kernel {
        Kernel { support: Support::Available { abi, version: abi.version() }, errata }
    }

    /// A kernel without Landlock.
    pub const fn without_landlock(support: Support) -> Kernel {
        Kernel { support, errata: Errata::empty() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_clamp_to_the_newest_known() {
        assert_eq!(Abi::from_version(0), None);
        assert_eq!(Abi::from_version(1), Some(Abi::V1));
        assert_eq!(Abi::from_version(7), Some(Abi::V7));
        assert_eq!(Abi::from_version(11), Some(Abi::V11));
        assert_eq!(Abi::from_version(12), Some(Abi::V11));
        assert_eq!(Abi::from_version(u32::MAX), Some(Abi::V11));
        for (i, abi) in Abi::ALL.iter().enumerate() {
            assert_eq!(abi.version() as usize, i + 1);
        }
    }

    #[test]
    fn support_from_errors() {
        assert_eq!(Support::from_version_query(Err(Errno::ENOSYS)), Support::NotBuilt);
        assert_eq!(Support::from_version_query(Err(Errno::EOPNOTSUPP)), Support::Disabled);
        assert_eq!(Support::from_version_query(Err(Errno::EPERM)), Support::Unknown(Errno::EPERM));
        assert_eq!(
            Support::from_version_query(Ok(12)),
            Support::Available { abi: Abi::V11, version: 12 }
        );
        assert_eq!(Support::from_version_query(Ok(12)).abi(), Some(Abi::V11));
        assert_eq!(Support::from_version_query(Ok(0)).abi(), None);
    }

    #[test]
    fn errata_concern_the_features_a_kernel_has() {
        assert_eq!(Errata::for_abi(Abi::V1).bits(), 0b1100);
        assert_eq!(Errata::for_abi(Abi::V4).bits(), 0b1101);
        assert_eq!(Errata::for_abi(Abi::V11).bits(), 0b1111);
        assert_eq!(Errata::from_bits_retain(1 << 9).bits(), 1 << 9);
    }
}
