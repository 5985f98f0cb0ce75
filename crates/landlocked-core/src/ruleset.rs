//! `landlock_create_ruleset`: a new ruleset, or a question to the kernel about Landlock.

use crate::fd::OwnedFd;
use crate::flags::CreateRulesetFlags;
use crate::uapi::RulesetAttr;
use crate::{Errno, arch, nr};

/// Creates a ruleset handling what `attr` says; the descriptor is close-on-exec.
///
/// Errors as the kernel gives them: `EINVAL` for a right, scope or quiet bit the kernel does not
/// know (or quiet bits outside the handled ones), `ENOMSG` when nothing is handled, `E2BIG` when
/// the kernel is older than the fields in use, `ENOSYS` / `EOPNOTSUPP` without Landlock.
pub fn create_ruleset(attr: &RulesetAttr) -> Result<OwnedFd, Errno> {
    // SAFETY: `attr` is a valid struct of at least `attr.size()` bytes.
    let raw = unsafe {
        arch::syscall3(
            nr::LANDLOCK_CREATE_RULESET,
            attr as *const RulesetAttr as usize,
            attr.size(),
            0,
        )
    };
    // SAFETY: the syscall returns a new descriptor that nothing else owns.
    unsafe { OwnedFd::from_syscall(raw) }
}

/// `landlock_create_ruleset(NULL, 0, flags)`: asks for the ABI version (`VERSION`) or the errata
/// bitmask (`ERRATA`).
pub fn query(flags: CreateRulesetFlags) -> Result<u32, Errno> {
    // SAFETY: a null attribute with size 0 is what the kernel expects with these flags.
    Errno::decode(unsafe {
        arch::syscall3(nr::LANDLOCK_CREATE_RULESET, 0, 0, flags.bits() as usize)
    })
    .map(|v| v as u32)
}
