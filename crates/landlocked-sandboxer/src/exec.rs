//! `execvp`: run a command, looking it up in `PATH` when its name has no `/`.

use landlocked_core::{Errno, process};

use crate::start::c_bytes;

/// The search path when `PATH` is unset: glibc's, the libc the kernel sample is usually built
/// with (musl would add `/usr/local/bin` in front).
pub const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// The shell that runs a file the kernel cannot execute (no `#!` line), as `execvp` does.
const SHELL: &[u8] = b"/bin/sh\0";

/// `PATH_MAX`, the NUL included.
const PATH_MAX: usize = 4096;

/// Executes `argv[1]` with arguments `argv[1..]`, as `execvp(argv[1], argv + 1)` would with the
/// environment `envp`; returns only on failure. `argv[0]` (our own name) is used as scratch
/// space for the `/bin/sh` fallback, which needs one more argument in front.
///
/// `path` is the value of `PATH`, if set.
///
/// # Safety
/// `argv` must be the process's argument array including its terminating null, `envp` a
/// null-terminated environment array; all of their strings must be NUL-terminated and live
/// until the process ends.
pub unsafe fn execvp(argv: &mut [*const u8], envp: *const *const u8, path: Option<&[u8]>) -> Errno {
    let Some(&command) = argv.get(1).filter(|p| !p.is_null()) else { return Errno::EFAULT };
    // SAFETY: argv[1] is a NUL-terminated argument of the process.
    let name = unsafe { c_bytes(command) };
    if name.is_empty() {
        return Errno::ENOENT;
    }
    #[expect(clippy::manual_contains, reason = "`contains` would link memchr, 0.3 KiB")]
    let has_slash = name.iter().any(|&b| b == b'/');
    if has_slash {
        // SAFETY: the caller's guarantees; the name is already NUL-terminated.
        return unsafe { exec_file(argv, command, envp) };
    }
    let mut buf = [0u8; PATH_MAX];
    let mut denied = false;
    for dir in path.unwrap_or(DEFAULT_PATH).split(|&b| b == b':') {
        // An empty element is the working directory, where the name alone is found.
        let built = if dir.is_empty() {
            put(&mut buf, 0, name)
        } else {
            put(&mut buf, 0, dir)
                .and_then(|at| put(&mut buf, at, b"/"))
                .and_then(|at| put(&mut buf, at, name))
        };
        // Too long for PATH_MAX: the kernel would refuse it, try the next directory.
        let Some(_) = built.and_then(|at| put(&mut buf, at, b"\0")) else { continue };
        // SAFETY: `buf` is NUL-terminated and outlives the call; the rest is the caller's.
        match unsafe { exec_file(argv, buf.as_ptr(), envp) } {
            // Not here, or not executable here (remember that): try the next directory.
            Errno::EACCES => denied = true,
            Errno::ENOENT | Errno::ENOTDIR | Errno::ENODEV | Errno::ETIMEDOUT => {}
            // ESTALE (116) is "not here" too on NFS.
            e if e.raw() == 116 => {}
            other => return other,
        }
    }
    if denied { Errno::EACCES } else { Errno::ENOENT }
}

/// Copies `src` into `buf` at `at`; returns where it ends, or `None` if it does not fit.
fn put(buf: &mut [u8], at: usize, src: &[u8]) -> Option<usize> {
    let end = at.checked_add(src.len())?;
    buf.get_mut(at..end)?.copy_from_slice(src);
    Some(end)
}

/// `execve(file, argv + 1, envp)`, then, if the kernel does not know the format, the same file
/// as a shell script: `execve("/bin/sh", ["/bin/sh", file, args...], envp)`. If that fails too
/// the error is `ENOEXEC`: the file is what could not be executed.
///
/// # Safety
/// As [`execvp`], with `file` NUL-terminated.
unsafe fn exec_file(argv: &mut [*const u8], file: *const u8, envp: *const *const u8) -> Errno {
    let [arg0, rest @ ..] = argv else { return Errno::EFAULT };
    let Some(arg1) = rest.first_mut() else { return Errno::EFAULT };
    let saved = (*arg0, *arg1);
    // SAFETY: `file`, the argument array from argv[1] to its null and the environment array are
    // valid and null-terminated.
    let e = unsafe { process::execve(file.cast(), rest.as_ptr().cast(), envp.cast()) };
    if e != Errno::ENOEXEC {
        return e;
    }
    argv[0] = SHELL.as_ptr();
    argv[1] = file;
    // SAFETY: as above, the whole array this time; argv[0] and argv[1] now point at
    // NUL-terminated strings that outlive the call.
    let _ = unsafe { process::execve(SHELL.as_ptr().cast(), argv.as_ptr().cast(), envp.cast()) };
    (argv[0], argv[1]) = saved;
    Errno::ENOEXEC
}
