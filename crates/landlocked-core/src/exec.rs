//! `execvp`, as glibc's: the one lookup of a command in `PATH` for every program of this
//! project (the static sandboxer, the `landlocked` command), no allocation.
//!
//! A name with a `/` is used as it is. Any other is tried in each directory of `PATH` (an empty
//! one is the working directory; unset, `/bin:/usr/bin`): a directory where it is not
//! (`ENOENT`, `ENOTDIR`, ...) or where it cannot be executed (`EACCES`, remembered) is passed
//! over. A file the kernel cannot execute (`ENOEXEC`: no `#!` line) is run by `/bin/sh`. What
//! failed tells the shell's exit status ([`exit_status`]): 127 when the command was found
//! nowhere, 126 when it was found and could not be executed.

use core::ffi::CStr;

use crate::fs::{self, FileType, OFlags};
use crate::{Errno, arch, nr, process};

/// The search path when `PATH` is unset: glibc's, the libc the kernel sample is usually built
/// with (musl would add `/usr/local/bin` in front).
pub const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// The shell that runs a file the kernel cannot execute (no `#!` line), as `execvp` does.
const SHELL: &[u8] = b"/bin/sh\0";

/// `PATH_MAX`, the NUL included.
pub const PATH_MAX: usize = 4096;

/// The exit status a shell gives a command that could not be executed with `errno`: 127 when
/// it was not found, 126 when it was found but could not be executed.
pub const fn exit_status(errno: Errno) -> i32 {
    match errno.raw() {
        e if e == Errno::ENOENT.raw() || e == Errno::ENOTDIR.raw() => 127,
        _ => 126,
    }
}

/// Copies `src` into `buf` at `at`; returns where it ends, or `None` if it does not fit.
fn put(buf: &mut [u8], at: usize, src: &[u8]) -> Option<usize> {
    let end = at.checked_add(src.len())?;
    buf.get_mut(at..end)?.copy_from_slice(src);
    Some(end)
}

/// Whether an error of one directory's candidate lets the search go on to the next directory:
/// not there (`ENOENT`, `ENOTDIR`, `ENODEV`, `ETIMEDOUT`, `ESTALE` on NFS), or there but not
/// executable (`EACCES`, which the search remembers).
fn next_directory(e: Errno) -> bool {
    matches!(e, Errno::EACCES | Errno::ENOENT | Errno::ENOTDIR | Errno::ENODEV | Errno::ETIMEDOUT)
        || e.raw() == 116
}

/// Calls `each` with every candidate file for `name`, NUL-terminated in `buf`, until it is
/// `Ok` (the one) or an error that ends the search; otherwise the search's error: `EACCES` if a
/// candidate could not be executed, `ENOENT` if there was none.
#[inline]
fn search(
    name: &[u8],
    path: Option<&[u8]>,
    buf: &mut [u8; PATH_MAX],
    mut each: impl FnMut(&[u8; PATH_MAX]) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let mut denied = false;
    for dir in path.unwrap_or(DEFAULT_PATH).split(|&b| b == b':') {
        // An empty element is the working directory, where the name alone is found.
        let built = if dir.is_empty() {
            put(buf, 0, name)
        } else {
            put(buf, 0, dir).and_then(|at| put(buf, at, b"/")).and_then(|at| put(buf, at, name))
        };
        // Too long for PATH_MAX: the kernel would refuse it, try the next directory.
        let Some(_) = built.and_then(|at| put(buf, at, b"\0")) else { continue };
        match each(buf) {
            Ok(()) => return Ok(()),
            Err(Errno::EACCES) => denied = true,
            Err(e) if next_directory(e) => {}
            Err(other) => return Err(other),
        }
    }
    Err(if denied { Errno::EACCES } else { Errno::ENOENT })
}

/// Executes `argv[1]` with arguments `argv[1..]`, as `execvp(argv[1], argv + 1)` would with the
/// environment `envp`; returns only on failure. `argv[0]` is scratch space for the `/bin/sh`
/// fallback, which needs one more argument in front. `path` is the value of `PATH`, if set.
///
/// # Safety
/// `argv` must be an argument array with its terminating null, `envp` a null-terminated
/// environment array; all of their strings must be NUL-terminated and live through the call.
pub unsafe fn execvp(argv: &mut [*const u8], envp: *const *const u8, path: Option<&[u8]>) -> Errno {
    let Some(&command) = argv.get(1).filter(|p| !p.is_null()) else { return Errno::EFAULT };
    // SAFETY: argv[1] is NUL-terminated, per the caller.
    let name = unsafe { c_bytes(command) };
    if name.is_empty() {
        return Errno::ENOENT;
    }
    #[expect(clippy::manual_contains, reason = "`contains` would link memchr, 0.3 KiB")]
    let has_slash = name.iter().any(|&b| b == b'/');
    if has_slash {
        // SAFETY: the caller's guarantees; the name is already NUL-terminated.
        return unsafe { exec_file(command, argv, envp) };
    }
    let mut buf = [0u8; PATH_MAX];
    // SAFETY: each candidate is NUL-terminated in `buf`, which outlives the call. exec_file
    // returns only on failure.
    let found =
        search(name, path, &mut buf, |file| Err(unsafe { exec_file(file.as_ptr(), argv, envp) }));
    found.err().unwrap_or(Errno::EINVAL)
}

/// The bytes of a NUL-terminated string (a plain loop: no `strlen` to link).
///
/// # Safety
/// `s` must point to a NUL-terminated string that lives as long as the result.
unsafe fn c_bytes<'a>(s: *const u8) -> &'a [u8] {
    let mut len = 0;
    // SAFETY: every byte up to the NUL is readable, per the caller.
    unsafe {
        while *s.add(len) != 0 {
            len += 1;
        }
        core::slice::from_raw_parts(s, len)
    }
}

/// The file [`execvp`] would execute for `name`, looked up without executing anything: written
/// NUL-terminated into `buf`. A candidate must be a file the caller may execute
/// (`faccessat(X_OK)`), not a directory; the errors are [`execvp`]'s.
pub fn find_program<'b>(
    name: &[u8],
    path: Option<&[u8]>,
    buf: &'b mut [u8; PATH_MAX],
) -> Result<&'b CStr, Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    let check = |file: &[u8; PATH_MAX]| {
        CStr::from_bytes_until_nul(file).map_err(|_| Errno::ENAMETOOLONG).and_then(executable)
    };
    if name.contains(&b'/') {
        put(buf, 0, name).and_then(|at| put(buf, at, b"\0")).ok_or(Errno::ENAMETOOLONG)?;
        check(buf)?;
    } else {
        search(name, path, buf, check)?;
    }
    CStr::from_bytes_until_nul(buf).map_err(|_| Errno::ENAMETOOLONG)
}

/// Whether the caller may execute `file`: it is not a directory, and `faccessat(X_OK)` says so.
fn executable(file: &CStr) -> Result<(), Errno> {
    const AT_FDCWD: isize = -100;
    const X_OK: usize = 1;
    // SAFETY: `file` is NUL-terminated; faccessat reads nothing else.
    Errno::decode(unsafe {
        arch::syscall3(nr::FACCESSAT, AT_FDCWD as usize, file.as_ptr() as usize, X_OK)
    })?;
    let fd = fs::open(file, OFlags::PATH | OFlags::CLOEXEC, 0)?;
    match fs::file_type(fd.as_fd())? {
        FileType::Directory => Err(Errno::EACCES),
        _ => Ok(()),
    }
}

/// `execve(file, argv + 1, envp)`, then, if the kernel does not know the format, the same file
/// as a shell script: `execve("/bin/sh", ["/bin/sh", file, args...], envp)`. If that fails too
/// the error is `ENOEXEC`: the file is what could not be executed.
///
/// # Safety
/// As [`execvp`], with `file` NUL-terminated.
pub unsafe fn exec_file(file: *const u8, argv: &mut [*const u8], envp: *const *const u8) -> Errno {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir()
            .join(std::format!("landlocked-exec-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn file(path: &std::path::Path, mode: u32) {
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn find(name: &str, path: Option<&str>) -> Result<std::string::String, Errno> {
        use std::borrow::ToOwned;
        let mut buf = [0u8; PATH_MAX];
        find_program(name.as_bytes(), path.map(str::as_bytes), &mut buf)
            .map(|c| c.to_str().unwrap().to_owned())
    }

    #[test]
    fn the_search_is_execvps() {
        let d = scratch("search");
        let (a, b, c) = (d.join("a"), d.join("b"), d.join("c"));
        for dir in [&a, &b, &c] {
            std::fs::create_dir_all(dir).unwrap();
        }
        // Not executable in a, a directory in b, the one in c.
        file(&a.join("tool"), 0o644);
        std::fs::create_dir_all(b.join("tool")).unwrap();
        file(&c.join("tool"), 0o755);
        let path = std::format!("{}:{}:{}", a.display(), b.display(), c.display());
        assert_eq!(find("tool", Some(&path)), Ok(std::format!("{}/tool", c.display())));
        // Without the last: found, not executable (126), never "not found".
        let path = std::format!("/nonexistent:{}:{}", a.display(), b.display());
        assert_eq!(find("tool", Some(&path)), Err(Errno::EACCES));
        assert_eq!(exit_status(Errno::EACCES), 126);
        assert_eq!(find("no-such-tool", Some(&path)), Err(Errno::ENOENT));
        assert_eq!(exit_status(Errno::ENOENT), 127);
        assert_eq!(exit_status(Errno::ENOTDIR), 127);
        // A name with a slash is taken as it is; an empty name is found nowhere.
        let direct = std::format!("{}/tool", c.display());
        assert_eq!(find(&direct, Some("/nonexistent")), Ok(direct.clone()));
        assert_eq!(find(&std::format!("{}/tool", a.display()), None), Err(Errno::EACCES));
        assert_eq!(find("", Some(&path)), Err(Errno::ENOENT));
        // Unset PATH: /bin:/usr/bin.
        assert!(find("sh", None).is_ok_and(|p| p.ends_with("/sh")));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
