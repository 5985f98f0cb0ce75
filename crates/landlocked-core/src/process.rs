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

/// How many threads the process has, from field 20 of `/proc/self/stat` (needs `/proc`).
pub fn thread_count() -> Result<u32, Errno> {
    use crate::fs::{self, OFlags};
    let fd = fs::open(c"/proc/self/stat", OFlags::RDONLY | OFlags::CLOEXEC, 0)?;
    // The line is a few hundred bytes: pid, (comm) of at most 16 bytes, then numbers.
    let mut buf = [0u8; 1024];
    let mut len = 0;
    // `get` rather than indexing: no panic path (a static binary without `core::fmt` relies
    // on having none), and a read claiming more than asked for is an I/O error.
    while let Some(rest @ [_, ..]) = buf.get_mut(len..) {
        match fs::read(fd.as_fd(), rest) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    buf.get(..len).and_then(parse_thread_count).ok_or(Errno::EIO)
}

/// Field 20 (`num_threads`) of a `/proc/<pid>/stat` line. The command name in parentheses may
/// hold spaces and parentheses itself, so fields are counted from the last `)`.
fn parse_thread_count(stat: &[u8]) -> Option<u32> {
    let after_comm = stat.iter().rposition(|&b| b == b')')? + 1;
    // Fields 3 (state) onwards follow; num_threads is the 18th of them.
    let field = stat.get(after_comm..)?.split(|&b| b == b' ').filter(|f| !f.is_empty()).nth(17)?;
    let mut n: u32 = 0;
    for &b in field {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_count_from_stat_lines() {
        let line = b"1234 (my prog) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 7 0 12345 \
                     1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
        assert_eq!(parse_thread_count(line), Some(7));
        let tricky = b"5 (a) b) (c) R 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 3 0 1 1 1 1\n";
        assert_eq!(parse_thread_count(tricky), Some(3));
        assert_eq!(parse_thread_count(b"garbage"), None);
        assert_eq!(parse_thread_count(b"1 (x) S 1 2"), None);
    }

    #[test]
    fn this_test_process_has_threads() {
        // The test harness runs tests on threads of its own: there is more than one.
        let n = thread_count().unwrap();
        assert!(n >= 1);
        assert_eq!(
            n as usize,
            std::fs::read_dir("/proc/self/task").unwrap().count(),
            "thread count disagrees with /proc/self/task"
        );
    }
}
