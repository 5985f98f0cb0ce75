//! seccomp(2) in filter mode: the uapi of a classic BPF program and the raw calls that install
//! one. The programs themselves are compiled elsewhere (the `landlocked` crate builds them with
//! allocation, before `fork`); installing is two syscalls, no allocation, and so works between
//! `fork` and `exec` or in `_start`.

use crate::{Errno, arch, nr};

/// One instruction of a classic BPF program (`struct sock_filter`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockFilter {
    /// The opcode.
    pub code: u16,
    /// Jump offset when a comparison is true.
    pub jt: u8,
    /// Jump offset when it is false.
    pub jf: u8,
    /// The operand.
    pub k: u32,
}

/// `struct sock_fprog`: the program's length and address.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

/// `SECCOMP_SET_MODE_FILTER`.
const SET_MODE_FILTER: usize = 1;
/// `SECCOMP_GET_ACTION_AVAIL` (Linux 4.14).
const GET_ACTION_AVAIL: usize = 2;

/// `SECCOMP_FILTER_FLAG_TSYNC`: install on every thread of the process at once.
pub const FILTER_FLAG_TSYNC: u32 = 1;

/// The longest program the kernel takes (`BPF_MAXINSNS`).
pub const MAX_INSTRUCTIONS: usize = 4096;

/// `SECCOMP_RET_KILL_PROCESS` (Linux 4.14): the whole process dies of `SIGSYS`.
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
/// `SECCOMP_RET_ERRNO`, to be or-ed with the error number.
pub const RET_ERRNO: u32 = 0x0005_0000;
/// `SECCOMP_RET_TRACE`: a ptrace stop for the tracer, or `ENOSYS` without one.
pub const RET_TRACE: u32 = 0x7ff0_0000;
/// `SECCOMP_RET_ALLOW`.
pub const RET_ALLOW: u32 = 0x7fff_0000;

/// Offsets in `struct seccomp_data`: the syscall number, the architecture, the arguments.
pub const DATA_NR: u32 = 0;
/// See [`DATA_NR`].
pub const DATA_ARCH: u32 = 4;
/// The low 32 bits of argument `i` (little-endian) are at `DATA_ARGS + 8 * i`.
pub const DATA_ARGS: u32 = 16;

/// `AUDIT_ARCH_X86_64`.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// `AUDIT_ARCH_I386`: the `int 0x80` and `sysenter` entry points of an x86_64 kernel.
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;
/// `AUDIT_ARCH_AARCH64`.
pub const AUDIT_ARCH_AARCH64: u32 = 0xc000_00b7;
/// `AUDIT_ARCH_ARM`: the AArch32 entry point of an arm64 kernel.
pub const AUDIT_ARCH_ARM: u32 = 0x4000_0028;

/// The architecture the filters of this build check for.
#[cfg(target_arch = "x86_64")]
pub const AUDIT_ARCH_NATIVE: u32 = AUDIT_ARCH_X86_64;
/// The architecture the filters of this build check for.
#[cfg(target_arch = "aarch64")]
pub const AUDIT_ARCH_NATIVE: u32 = AUDIT_ARCH_AARCH64;

/// `__X32_SYSCALL_BIT`: x32 syscalls arrive with the x86_64 architecture and this bit set in
/// their number, so a filter that checks only the architecture lets them through.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// Installs `program` on the calling thread (`flags` 0) or every thread ([`FILTER_FLAG_TSYNC`]).
/// Irreversible, inherited across `fork` and `execve`.
///
/// The thread needs no_new_privs or `CAP_SYS_ADMIN` (`EACCES` otherwise). `EINVAL` for an empty
/// or too long program, or when the kernel has no seccomp filters; `EBUSY` when `TSYNC` finds a
/// thread it cannot synchronise (the kernel then returns that thread's id).
pub fn install(program: &[SockFilter], flags: u32) -> Result<(), Errno> {
    if program.is_empty() || program.len() > MAX_INSTRUCTIONS {
        return Err(Errno::EINVAL);
    }
    let prog = SockFprog { len: program.len() as u16, filter: program.as_ptr() };
    // SAFETY: `prog` points at `program`, which outlives the call; the kernel copies it.
    let raw = unsafe {
        arch::syscall3(nr::SECCOMP, SET_MODE_FILTER, flags as usize, (&raw const prog) as usize)
    };
    match Errno::decode(raw)? {
        0 => Ok(()),
        _thread => Err(Errno::EBUSY),
    }
}

/// Whether this kernel has seccomp filters with the actions the filters use (`ERRNO` and
/// `KILL_PROCESS`). `ENOSYS` or `EINVAL` without `CONFIG_SECCOMP_FILTER` (or before Linux
/// 4.14); a filter already installed may also refuse the call.
pub fn available() -> Result<(), Errno> {
    for action in [RET_ERRNO, RET_KILL_PROCESS] {
        // SAFETY: the kernel reads one u32 at the address, which outlives the call.
        let raw = unsafe {
            arch::syscall3(nr::SECCOMP, GET_ACTION_AVAIL, 0, (&raw const action) as usize)
        };
        Errno::decode(raw)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_the_kernels() {
        assert_eq!(core::mem::size_of::<SockFilter>(), core::mem::size_of::<libc::sock_filter>());
        assert_eq!(core::mem::size_of::<SockFprog>(), core::mem::size_of::<libc::sock_fprog>());
        assert_eq!(RET_KILL_PROCESS, libc::SECCOMP_RET_KILL_PROCESS);
        assert_eq!(RET_ERRNO, libc::SECCOMP_RET_ERRNO);
        assert_eq!(RET_ALLOW, libc::SECCOMP_RET_ALLOW);
        assert_eq!(RET_TRACE, libc::SECCOMP_RET_TRACE);
        assert_eq!(FILTER_FLAG_TSYNC as libc::c_ulong, libc::SECCOMP_FILTER_FLAG_TSYNC);
    }

    #[test]
    fn a_bad_program_is_refused_before_the_kernel() {
        assert_eq!(install(&[], 0), Err(Errno::EINVAL));
        let long = [SockFilter { code: 6, jt: 0, jf: 0, k: RET_ALLOW }; MAX_INSTRUCTIONS + 1];
        assert_eq!(install(&long, 0), Err(Errno::EINVAL));
    }
}
