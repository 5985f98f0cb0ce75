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

/// `CLONE_THREAD`, for [`is_single_threaded`].
const CLONE_THREAD: usize = 0x10000;

/// Whether the calling thread is the only thread of its process, in one syscall:
/// `unshare(CLONE_THREAD)` does nothing and succeeds exactly then, and fails with `EINVAL` when
/// other threads exist (`unshare(2)`, and the kernel's `check_unshare_flags`). Other errors
/// (`EPERM` from a seccomp filter that forbids `unshare`) are returned as they are.
pub fn is_single_threaded() -> Result<bool, Errno> {
    // SAFETY: no pointer is passed; with only CLONE_THREAD, unshare changes nothing.
    match Errno::decode(unsafe { arch::syscall1(nr::UNSHARE, CLONE_THREAD) }) {
        Ok(_) => Ok(true),
        Err(Errno::EINVAL) => Ok(false),
        Err(e) => Err(e),
    }
}

/// How many threads the process has: the entries of `/proc/self/task` (needs `/proc`).
///
/// Listing that directory costs a few microseconds; `/proc/self/stat`, which also carries the
/// count, costs several times more because the kernel computes memory statistics for it.
pub fn thread_count() -> Result<u32, Errno> {
    use crate::fs::{self, OFlags};
    let dir =
        fs::open(c"/proc/self/task", OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, 0)?;
    // `struct linux_dirent64` records: u64 ino, i64 off, u16 reclen, u8 type, then the name.
    let mut buf = [0u64; 256];
    let mut threads = 0u32;
    loop {
        // SAFETY: `buf` is writable for its whole size in bytes.
        let raw = unsafe {
            arch::syscall3(
                nr::GETDENTS64,
                dir.as_raw() as usize,
                buf.as_mut_ptr() as usize,
                size_of_val(&buf),
            )
        };
        let len = Errno::decode(raw)?;
        if len == 0 {
            return Ok(threads);
        }
        // SAFETY: the kernel wrote `len` bytes of the u64 buffer; viewing them as bytes is sound.
        let bytes = unsafe {
            core::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), len.min(size_of_val(&buf)))
        };
        threads = threads.saturating_add(count_task_entries(bytes).ok_or(Errno::EIO)?);
    }
}

/// Counts the records of a `getdents64` buffer, leaving out `.` and `..`.
fn count_task_entries(mut bytes: &[u8]) -> Option<u32> {
    let mut n = 0;
    while !bytes.is_empty() {
        let reclen = usize::from(u16::from_ne_bytes([*bytes.get(16)?, *bytes.get(17)?]));
        let record = bytes.get(..reclen).filter(|_| reclen > 19)?;
        let name = &record[19..];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        if name != b"." && name != b".." {
            n += 1;
        }
        bytes = &bytes[reclen..];
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &[u8]) -> std::vec::Vec<u8> {
        let reclen = (19 + name.len() + 1).next_multiple_of(8);
        let mut r = std::vec![0u8; reclen];
        r[16..18].copy_from_slice(&(reclen as u16).to_ne_bytes());
        r[19..19 + name.len()].copy_from_slice(name);
        r
    }

    #[test]
    fn task_entries_leave_out_dot_and_dotdot() {
        let mut buf = std::vec::Vec::new();
        for name in [&b"."[..], b"..", b"1234", b"1240", b"99999"] {
            buf.extend(record(name));
        }
        assert_eq!(count_task_entries(&buf), Some(3));
        assert_eq!(count_task_entries(&[]), Some(0));
        // A truncated or zero-length record is refused, not looped on.
        assert_eq!(count_task_entries(&buf[..10]), None);
        let mut zero = record(b"1");
        zero[16] = 0;
        zero[17] = 0;
        assert_eq!(count_task_entries(&zero), None);
    }

    #[test]
    fn single_threaded_only_in_a_single_threaded_child() {
        // The harness runs tests on threads of its own: this process has several.
        assert_eq!(is_single_threaded(), Ok(false));
        // SAFETY: the child only makes raw syscalls and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let code = match is_single_threaded() {
                Ok(true) => 0,
                _ => 1,
            };
            exit(code);
        }
        let mut status = 0;
        // SAFETY: reaping our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(status, 0, "a forked child is single-threaded");
    }

    #[test]
    fn threads_are_counted_and_told_apart() {
        // A thread of our own, parked until counted: the process has at least two, whatever
        // the test harness does.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let extra = std::thread::spawn(move || rx.recv());
        let n = thread_count().unwrap();
        assert!(n >= 2, "{n} threads counted with two running");
        assert_eq!(
            n as usize,
            std::fs::read_dir("/proc/self/task").unwrap().count(),
            "thread count disagrees with /proc/self/task"
        );
        assert_eq!(is_single_threaded(), Ok(false));
        drop(tx);
        let _ = extra.join();
    }
}
