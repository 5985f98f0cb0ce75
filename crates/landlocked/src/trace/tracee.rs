//! What the tracer reads of a stopped tracee: its syscall (`PTRACE_GET_SYSCALL_INFO`), its
//! memory (`process_vm_readv`, else `/proc/PID/mem`), its working directory, descriptors and program (`/proc`).

use std::ffi::OsString;
use std::io::IoSliceMut;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use nix::sys::uio::{RemoteIoVec, process_vm_readv};
use nix::unistd::Pid;

/// `PTRACE_GET_SYSCALL_INFO` (Linux 5.3).
const PTRACE_GET_SYSCALL_INFO: libc::c_uint = 0x420e;
/// What the stop is: `PTRACE_SYSCALL_INFO_ENTRY`, `_EXIT`, `_SECCOMP`.
pub const INFO_ENTRY: u8 = 1;
pub const INFO_EXIT: u8 = 2;
pub const INFO_SECCOMP: u8 = 3;

/// `struct ptrace_syscall_info` of `linux/ptrace.h`. Declared here because libc and nix
/// declare it for glibc only, and the static `landlocked` is built with musl.
#[repr(C)]
#[derive(Clone, Copy)]
struct RawSyscallInfo {
    op: u8,
    reserved: u8,
    flags: u16,
    arch: u32,
    instruction_pointer: u64,
    stack_pointer: u64,
    // entry and seccomp: nr, args[6] (seccomp adds ret_data); exit: rval, is_error.
    data: [u64; 8],
}

/// A syscall stop as the kernel describes it.
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    /// Before the syscall (an entry or a seccomp stop): its number and arguments.
    Entry { arch: u32, nr: u64, args: [u64; 6] },
    /// After it: the result.
    Exit { result: Result<u64, i32> },
}

/// The syscall the stopped thread `tid` is at.
pub fn syscall(tid: Pid) -> nix::Result<Stop> {
    let mut info = RawSyscallInfo {
        op: 0,
        reserved: 0,
        flags: 0,
        arch: 0,
        instruction_pointer: 0,
        stack_pointer: 0,
        data: [0; 8],
    };
    let size = std::mem::size_of::<RawSyscallInfo>();
    // SAFETY: the kernel writes at most `size` bytes into `info`.
    let r =
        unsafe { libc::ptrace(PTRACE_GET_SYSCALL_INFO as _, tid.as_raw(), size, &raw mut info) };
    nix::errno::Errno::result(r)?;
    let args = [info.data[1], info.data[2], info.data[3], info.data[4], info.data[5], info.data[6]];
    Ok(match info.op {
        INFO_ENTRY | INFO_SECCOMP => Stop::Entry { arch: info.arch, nr: info.data[0], args },
        INFO_EXIT => {
            let rval = info.data[0] as i64;
            let is_error = info.data[1] as u8 != 0;
            Stop::Exit { result: if is_error { Err(-rval as i32) } else { Ok(rval as u64) } }
        }
        _ => return Err(nix::errno::Errno::EINVAL),
    })
}

/// `len` bytes of the tracee's memory at `addr`, or fewer where it is not mapped.
pub fn read(tid: Pid, addr: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut done = 0;
    while done < len {
        // Up to the end of the page: a read across an unmapped page fails whole.
        // A bogus pointer at the top of the address space ends the read, not the tracer.
        let Some(at) = addr.checked_add(done as u64) else { break };
        let chunk = (4096 - (at % 4096) as usize).min(len - done);
        let remote = [RemoteIoVec { base: at as usize, len: chunk }];
        let mut local = [IoSliceMut::new(&mut out[done..done + chunk])];
        match process_vm_readv(tid, &mut local, &remote) {
            Ok(n) if n > 0 => done += n,
            // A kernel without CONFIG_CROSS_MEMORY_ATTACH (a tinyconfig): the tracee's memory
            // through /proc, which its tracer may read.
            Err(nix::errno::Errno::ENOSYS) => return read_proc_mem(tid, addr, len),
            _ => break,
        }
    }
    out.truncate(done);
    out
}

/// `len` bytes at `addr` of `tid`'s memory from `/proc/TID/mem`, up to the first that cannot
/// be read.
fn read_proc_mem(tid: Pid, addr: u64, len: usize) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let mut out = vec![0u8; len];
    let mut done = 0;
    if let Ok(mem) = std::fs::File::open(format!("/proc/{tid}/mem")) {
        while done < len {
            let Some(at) = addr.checked_add(done as u64) else { break };
            let chunk = (4096 - (at % 4096) as usize).min(len - done);
            match mem.read_at(&mut out[done..done + chunk], at) {
                Ok(n) if n > 0 => done += n,
                _ => break,
            }
        }
    }
    out.truncate(done);
    out
}

/// The NUL-terminated string at `addr` (at most `PATH_MAX` bytes).
pub fn string(tid: Pid, addr: u64) -> Option<Vec<u8>> {
    if addr == 0 {
        return None;
    }
    let mut out = Vec::new();
    let mut at = addr;
    while out.len() < libc::PATH_MAX as usize {
        let chunk = (4096 - (at % 4096)) as usize;
        let bytes = read(tid, at, chunk);
        if bytes.is_empty() {
            return None;
        }
        if let Some(nul) = bytes.iter().position(|&b| b == 0) {
            out.extend_from_slice(&bytes[..nul]);
            return Some(out);
        }
        out.extend_from_slice(&bytes);
        at = at.checked_add(bytes.len() as u64)?;
    }
    None
}

fn link(path: &str) -> Option<PathBuf> {
    std::fs::read_link(path).ok()
}

/// The tracee's working directory.
pub fn cwd(tid: Pid) -> Option<PathBuf> {
    link(&format!("/proc/{tid}/cwd"))
}

/// What the tracee's descriptor `fd` refers to (`socket:[...]`, `pipe:[...]` for others).
pub fn fd_path(tid: Pid, fd: i32) -> Option<PathBuf> {
    // A pipe or socket (`pipe:[12]`), a memfd or a deleted file (`/memfd:x (deleted)`) has no
    // path a rule could name.
    link(&format!("/proc/{tid}/fd/{fd}"))
        .filter(|p| p.is_absolute() && !p.as_os_str().as_bytes().ends_with(b" (deleted)"))
}

/// The metadata of the file behind the tracee's descriptor `fd`.
pub fn fd_metadata(tid: Pid, fd: i32) -> Option<std::fs::Metadata> {
    std::fs::metadata(format!("/proc/{tid}/fd/{fd}")).ok()
}

/// The program the tracee runs.
pub fn exe(tid: Pid) -> PathBuf {
    link(&format!("/proc/{tid}/exe")).unwrap_or_default()
}

/// The thread group of `tid` (its process), from `/proc/TID/status`.
pub fn tgid(tid: Pid) -> Pid {
    std::fs::read_to_string(format!("/proc/{tid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("Tgid:")).and_then(|v| v.trim().parse().ok())
        })
        .map_or(tid, Pid::from_raw)
}

/// `(type, protocol)` of the tracee's socket `fd`, read from a duplicate taken with
/// `pidfd_getfd` (Linux 5.6).
pub fn socket_kind(tgid: Pid, fd: i32) -> Option<(i32, i32)> {
    // Only a socket is duplicated: closing the copy of another file can wait on whoever
    // serves it (a FUSE daemon's flush).
    let target = link(&format!("/proc/{tgid}/fd/{fd}"))?;
    if !target.as_os_str().as_bytes().starts_with(b"socket:[") {
        return None;
    }
    // SAFETY: plain syscalls on numbers; the descriptors made here are closed here.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, tgid.as_raw(), 0) as i32;
        if pidfd < 0 {
            return None;
        }
        let dup = libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) as i32;
        libc::close(pidfd);
        if dup < 0 {
            return None;
        }
        let get = |option| {
            let mut value: libc::c_int = 0;
            let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            let r =
                libc::getsockopt(dup, libc::SOL_SOCKET, option, (&raw mut value).cast(), &mut len);
            (r == 0).then_some(value)
        };
        let kind = get(libc::SO_TYPE).zip(get(libc::SO_PROTOCOL));
        libc::close(dup);
        kind
    }
}

/// The path a syscall names, made absolute as the kernel resolves it: relative to `dirfd`
/// (`AT_FDCWD`: the working directory) unless absolute. Symlinks are resolved where the
/// kernel would: all of them when `follow`, all but the last component otherwise; a last
/// component that does not exist (yet) is kept as named.
pub fn resolve(tid: Pid, dirfd: i32, path: &[u8], follow: bool) -> Option<PathBuf> {
    let named = Path::new(std::ffi::OsStr::from_bytes(path));
    let base = if named.is_absolute() {
        PathBuf::from("/")
    } else if dirfd == libc::AT_FDCWD {
        cwd(tid)?
    } else {
        fd_path(tid, dirfd)?
    };
    let full = if path.is_empty() { base } else { base.join(named) };
    Some(canonical(&as_tracee(tid, &full), follow))
}

/// `/proc/self/...` and `/proc/thread-self/...` as the tracee means them, not the tracer.
fn as_tracee(tid: Pid, path: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("/proc/self") {
        Path::new("/proc").join(tgid(tid).to_string()).join(rest)
    } else if let Ok(rest) = path.strip_prefix("/proc/thread-self") {
        Path::new(&format!("/proc/{}/task/{tid}", tgid(tid))).join(rest)
    } else {
        path.to_path_buf()
    }
}

/// `path` with its symlinks resolved (the last one only if `follow`) and `.` and `..` gone.
pub fn canonical(path: &Path, follow: bool) -> PathBuf {
    if follow {
        if let Ok(real) = std::fs::canonicalize(path) {
            return real;
        }
    }
    let name = path.file_name().map(OsString::from);
    let parent = path.parent();
    match (parent, name) {
        (Some(parent), Some(name)) if name != ".." => {
            let parent = std::fs::canonicalize(parent).unwrap_or_else(|_| lexical(parent));
            parent.join(name)
        }
        _ => lexical(path),
    }
}

/// `.` and `..` removed without looking at the filesystem.
fn lexical(path: &Path) -> PathBuf {
    let mut out: Vec<OsString> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::Normal(c) => out.push(c.to_os_string()),
            _ => {}
        }
    }
    let mut bytes = Vec::new();
    for c in out {
        bytes.push(b'/');
        bytes.extend_from_slice(c.as_bytes());
    }
    if bytes.is_empty() {
        bytes.push(b'/');
    }
    PathBuf::from(OsString::from_vec(bytes))
}
