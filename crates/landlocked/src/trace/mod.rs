//! Following a command with ptrace, as an ordinary user: every access Landlock would check, by
//! every process the command forks, clones or executes (the `trace` feature).
//!
//! The child stops itself, is attached with `PTRACE_SEIZE` (fork, clone and exec followed, the
//! children killed if the tracer dies), enforces its sandbox if it has one, and installs a
//! seccomp filter that returns `SECCOMP_RET_TRACE` for the syscalls of interest only
//! ([`decode::TRACED`]), so that it runs at full speed between them; each one is read at its
//! seccomp stop (`PTRACE_GET_SYSCALL_INFO`: number and arguments, the paths resolved through
//! the tracee's working directory and descriptors before the syscall changes anything) and at
//! its exit (the result). Without seccomp filters every syscall stops (`PTRACE_SYSCALL`),
//! slower but the same.
//!
//! The tracer runs outside any sandbox of the command: it sees what the sandbox denies.

mod decode;
mod run;
mod tracee;

use std::ffi::{CString, OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use landlocked_core::{AccessFs, AccessNet, Errno};

pub use run::trace;

/// What a path named in an access is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file (or one to be created).
    File,
    /// A directory.
    Dir,
    /// A character or block device.
    Device,
    /// Something else (a socket).
    Other,
    /// Nothing, yet.
    Missing,
}

/// What an access is to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// A filesystem right on a path: absolute, its symlinks resolved as the kernel resolved
    /// them for this syscall.
    Path {
        /// The object the right applies to (for a creation or removal, its directory).
        path: PathBuf,
        /// The right (one or a few).
        access: AccessFs,
        /// What the path was.
        kind: FileKind,
        /// The file did not exist: the syscall creates it.
        created: bool,
    },
    /// A network right on a port.
    Port {
        /// The port.
        port: u16,
        /// The right.
        access: AccessNet,
    },
    /// A connect to an abstract UNIX socket (the `abstract_unix_socket` scope).
    AbstractUnix {
        /// Its name, without the leading NUL.
        name: Vec<u8>,
    },
    /// A signal to a process outside the traced ones (the `signal` scope).
    Signal {
        /// The process.
        pid: i32,
    },
}

impl fmt::Display for Target {
    /// `read_file /etc/ld.so.cache`, `connect_tcp port 443`, `signal to 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Path { path, access, .. } => write!(f, "{access} {}", path.display()),
            Target::Port { port, access } => write!(f, "{access} port {port}"),
            Target::AbstractUnix { name } => {
                write!(f, "abstract_unix_socket @{}", String::from_utf8_lossy(name))
            }
            Target::Signal { pid } => write!(f, "signal to {pid}"),
        }
    }
}

/// One access a traced process made or tried.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Access {
    /// The process (thread group).
    pub pid: i32,
    /// The program it ran.
    pub program: PathBuf,
    /// The syscall (`openat`), or `execve` for what executing a program executes besides it.
    pub syscall: &'static str,
    /// What it accessed.
    pub target: Target,
    /// `Err` with the error number when the syscall failed.
    pub result: Result<(), Errno>,
}

/// How a traced command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum End {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Killed(i32),
}

impl End {
    /// The exit status a shell would give: the code, or 128 and the signal.
    pub fn status(self) -> i32 {
        match self {
            End::Exited(code) => code,
            End::Killed(signal) => 128 + signal,
        }
    }
}

/// What tracing a command gave.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Trace {
    /// Every access, in order.
    pub accesses: Vec<Access>,
    /// The paths the command created (whether they are still there or not).
    pub created: std::collections::BTreeSet<PathBuf>,
    /// How the command ended.
    pub end: End,
    /// Whether the stops came through a seccomp filter (`false`: every syscall stopped).
    pub seccomp: bool,
    /// Syscalls of another entry point of the kernel (i386, x32, AArch32): not decoded.
    pub foreign_syscalls: u64,
    /// Processes the command left running when it ended, killed by a SIGINT to the tracer
    /// (the trace waits for every process, as `strace -f` does).
    pub left_killed: usize,
}

/// Why a command could not be traced.
#[derive(Debug)]
#[non_exhaustive]
pub enum TraceError {
    /// The kernel does not let this process trace its child (Yama's `ptrace_scope` 3, a
    /// seccomp policy, a sandbox).
    NotAllowed {
        /// What `PTRACE_SEIZE` said.
        errno: Errno,
        /// `/proc/sys/kernel/yama/ptrace_scope`, if it exists.
        yama: Option<u8>,
    },
    /// A syscall of the tracer itself failed.
    Tracer {
        /// Which.
        what: &'static str,
        /// Why.
        errno: Errno,
    },
    /// The tracing filter could not be built.
    Filter(crate::SeccompError),
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::NotAllowed { errno, yama: Some(3) } => write!(
                f,
                "cannot trace the command: ptrace is not allowed here ({errno}; \
                 kernel.yama.ptrace_scope is 3)"
            ),
            TraceError::NotAllowed { errno, .. } => write!(
                f,
                "cannot trace the command: ptrace is not allowed here ({errno}; a seccomp \
                 policy or a sandbox forbids it)"
            ),
            TraceError::Tracer { what, errno } => write!(f, "tracing failed: {what}: {errno}"),
            TraceError::Filter(e) => write!(f, "tracing failed: {e}"),
        }
    }
}

impl std::error::Error for TraceError {}

/// A command to trace: the file to execute (found already), its arguments and its whole
/// environment, made C strings before the fork.
#[derive(Debug)]
pub struct TracedCommand {
    file: CString,
    /// `[scratch for /bin/sh, argv[0], args...]`: the core's `exec_file` needs the slot.
    strings: Vec<CString>,
    env: Vec<CString>,
}

impl TracedCommand {
    /// `file` executed with `argv` (its first is the program's name) and `env`; `None` if one
    /// of them holds a NUL byte.
    pub fn new(
        file: &Path,
        argv: &[OsString],
        env: &[(OsString, OsString)],
    ) -> Option<TracedCommand> {
        let c = |bytes: &[u8]| CString::new(bytes).ok();
        let file = c(file.as_os_str().as_bytes())?;
        let mut strings = vec![c(b"landlocked")?];
        for arg in argv {
            strings.push(c(arg.as_bytes())?);
        }
        let env = env
            .iter()
            .map(|(k, v)| c(&[k.as_bytes(), b"=", v.as_bytes()].concat()))
            .collect::<Option<Vec<_>>>()?;
        Some(TracedCommand { file, strings, env })
    }

    /// The file executed.
    pub fn file(&self) -> &OsStr {
        OsStr::from_bytes(self.file.as_bytes())
    }
}
