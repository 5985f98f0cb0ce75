//! Process syscalls that a libc-free program needs around a sandbox: identity, signals, exit and
//! `execve`.

use core::ffi::c_char;

use crate::{Errno, arch, nr};

/// The process ID.
pub fn getpid() -> i32 {
    // SAFETY: getpid takes no argument and cannot fail.
    unsafe { arch::syscall0(nr::GETPID) as i32 }
}

/// The thread ID of the calling thread.
pub fn gettid() -> i32 {
    // SAFETY: gettid takes no argument and cannot fail.
    unsafe { arch::syscall0(nr::GETTID) as i32 }
}

/// Sends signal `sig` to process `pid` (0 only checks that it could be sent).
pub fn kill(pid: i32, sig: i32) -> Result<(), Errno> {
    // SAFETY: no pointer is passed.
    Errno::decode(unsafe { arch::syscall2(nr::KILL, pid as isize as usize, sig as isize as usize) })
        .map(drop)
}

/// Ends the process with `status`, without running anything else.
pub fn exit(status: i32) -> ! {
    // SAFETY: exit_group does not return.
    unsafe { arch::syscall1_noreturn(nr::EXIT_GROUP, status as isize as usize) }
}

/// Replaces the process image; returns only on failure.
///
/// # Safety
/// `path` must be NUL-terminated; `argv` and `envp` must each point to an array of pointers to
/// NUL-terminated strings, ended by a null pointer, all valid for the duration of the call.
pub unsafe fn execve(
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> Errno {
    // SAFETY: the caller guarantees the pointers are valid as execve requires.
    let raw = unsafe { arch::syscall3(nr::EXECVE, path as usize, argv as usize, envp as usize) };
    match Errno::decode(raw) {
        Err(e) => e,
        // execve never returns a value: treat anything else as the kernel refusing.
        Ok(_) => Errno::EINVAL,
    }
}
