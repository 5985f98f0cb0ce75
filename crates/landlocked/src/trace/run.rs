//! The tracer's loop: the child started stopped and seized, then every stop of every traced
//! thread handled until none is left.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use landlocked_core::Errno;
use landlocked_core::seccomp::{self as raw, SockFilter};
use nix::errno::Errno as NixErrno;
use nix::sys::ptrace::{self, Event, Options};
use nix::sys::signal::{self, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::decode::{self, Entry};
use super::tracee::{self, Stop};
use super::{Access, End, FileKind, Target, Trace, TraceError, TracedCommand};
use crate::prepare::Prepared;

/// The seccomp program that stops the tracee at the syscalls of [`decode::TRACED`] and at
/// every syscall of another entry point of the kernel, and lets everything else run.
fn filter() -> Result<Vec<SockFilter>, TraceError> {
    let numbers: BTreeSet<u32> = decode::TRACED
        .iter()
        .filter_map(|name| match crate::seccomp::table::resolve(name) {
            crate::seccomp::table::Resolved::Native(nr) => Some(nr),
            _ => None,
        })
        .collect();
    // Another entry point of the kernel (i386, x32) stops too: not decoded, but counted.
    crate::seccomp::bpf::number_set_with(
        &numbers,
        raw::RET_TRACE,
        raw::RET_ALLOW,
        None,
        raw::RET_TRACE,
    )
    .map_err(TraceError::Filter)
}

fn errno(e: NixErrno) -> Errno {
    Errno::from_raw(e as i32).unwrap_or(Errno::EIO)
}

fn tracer(what: &'static str) -> impl Fn(NixErrno) -> TraceError {
    move |e| TraceError::Tracer { what, errno: errno(e) }
}

/// Writes `parts` to stderr with raw syscalls (the child of a fork may not allocate).
fn say(parts: &[&[u8]]) {
    for part in parts {
        // SAFETY: writing bytes that live across the call.
        unsafe { libc::write(2, part.as_ptr().cast(), part.len()) };
    }
}

/// The child: stops until seized, enforces its sandbox, installs the tracing filter, executes
/// the command. Raw syscalls only.
///
/// # Safety
/// Called only in the child of a fork; the pointers are the command's, alive in this copy.
unsafe fn child(
    sandbox: Option<&Prepared>,
    filter: Option<&[SockFilter]>,
    file: *const u8,
    argv: &mut [*const u8],
    envp: *const *const u8,
    shown: &[u8],
) -> ! {
    // SAFETY: plain syscalls.
    unsafe { libc::kill(libc::getpid(), libc::SIGSTOP) };
    let fail = |what: &[u8], e: Errno| -> ! {
        let name = e.name().unwrap_or("an error");
        say(&[b"landlocked: ", shown, what, name.as_bytes(), b"\n"]);
        // SAFETY: leaving the child.
        unsafe { libc::_exit(125) }
    };
    // The tracing filter first: the sandbox's own filters may deny prctl and seccomp (the
    // kernel takes the strictest answer of all filters, whatever their order).
    if let Some(filter) = filter {
        if landlocked_core::restrict::no_new_privs() != Ok(true) {
            if let Err(e) = landlocked_core::restrict::set_no_new_privs() {
                fail(b": cannot set no_new_privs: ", e);
            }
        }
        if let Err(e) = raw::install(filter, 0) {
            fail(b": cannot install the tracing filter: ", e);
        }
    }
    if let Some(sandbox) = sandbox {
        if let Err(e) = sandbox.enforce_in_child() {
            let e = e.raw_os_error().and_then(Errno::from_raw).unwrap_or(Errno::EPERM);
            fail(b": cannot enforce the sandbox: ", e);
        }
    }
    // SAFETY: the caller keeps the strings and arrays alive; argv[0] is scratch.
    let e = unsafe { landlocked_core::exec::exec_file(file, argv, envp) };
    let name = e.name().unwrap_or("an error");
    say(&[b"landlocked: ", shown, b": cannot execute: ", name.as_bytes(), b"\n"]);
    // SAFETY: leaving the child.
    unsafe { libc::_exit(landlocked_core::exec::exit_status(e)) }
}

/// One traced thread.
struct Thread {
    /// Its process.
    tgid: Pid,
    /// The syscall it is in, once decoded at entry.
    pending: Option<Entry>,
    /// Past its first stop (a new thread's first stop is not a group-stop to wait in).
    started: bool,
}

struct Tracer {
    seccomp: bool,
    threads: HashMap<Pid, Thread>,
    /// Every thread and process ever traced: a signal to one of them is no scope matter.
    known: HashSet<i32>,
    programs: HashMap<Pid, PathBuf>,
    accesses: Vec<Access>,
    created: BTreeSet<PathBuf>,
    foreign: u64,
    left_killed: usize,
    /// (program, device, inode, mtime) → its interpreter.
    interpreters: HashMap<(PathBuf, u64, u64, i64, i64), Option<PathBuf>>,
}

impl Tracer {
    fn thread(&mut self, tid: Pid) -> &mut Thread {
        if !self.threads.contains_key(&tid) {
            let tgid = tracee::tgid(tid);
            self.known.insert(tid.as_raw());
            self.known.insert(tgid.as_raw());
            self.programs.entry(tgid).or_insert_with(|| tracee::exe(tgid));
            self.threads.insert(tid, Thread { tgid, pending: None, started: false });
        }
        self.threads.get_mut(&tid).expect("inserted")
    }

    /// Resumes `tid`, to its next syscall when one is pending (or every syscall without
    /// seccomp), delivering `signal`.
    fn resume(&mut self, tid: Pid, signal: Option<Signal>) {
        let pending = self.threads.get(&tid).is_some_and(|t| t.pending.is_some());
        // ESRCH: it died meanwhile; its exit is reported next.
        let _ = if pending || !self.seccomp {
            ptrace::syscall(tid, signal)
        } else {
            ptrace::cont(tid, signal)
        };
    }

    fn entry(&mut self, tid: Pid, arch: u32, nr: u64, args: [u64; 6]) {
        if arch != raw::AUDIT_ARCH_NATIVE {
            self.foreign += 1;
            return;
        }
        let Some(name) = syscalls::Sysno::new(nr as usize).map(|s| s.name()) else { return };
        let Some(&name) = decode::TRACED.iter().find(|&&t| t == name) else { return };
        let tgid = self.thread(tid).tgid;
        let mut entry = decode::entry(tid, tgid, name, args);
        entry.targets.retain(|t| !matches!(t, Target::Signal { pid } if self.known.contains(pid)));
        if !entry.targets.is_empty() {
            self.thread(tid).pending = Some(entry);
        }
    }

    fn exit(&mut self, tid: Pid, result: Result<u64, i32>) {
        let thread = self.thread(tid);
        let tgid = thread.tgid;
        let Some(entry) = thread.pending.take() else { return };
        // Interrupted, to be restarted: it comes through its entry again.
        if matches!(result, Err(512..=516)) {
            return;
        }
        let result = result.map(drop).map_err(|e| Errno::from_raw(e).unwrap_or(Errno::EIO));
        let program = self.programs.get(&tgid).cloned().unwrap_or_default();
        let executed = entry.targets.first().cloned();
        for target in entry.targets {
            let access = Access {
                pid: tgid.as_raw(),
                program: program.clone(),
                syscall: entry.syscall,
                target,
                result,
            };
            self.accesses.push(access);
        }
        if result.is_ok() {
            self.created.extend(entry.creates);
        }
        if entry.exec && result.is_ok() {
            self.executed(tid, tgid, executed);
        }
    }

    /// After an `execve` succeeded: the program now running, and what the kernel executed
    /// besides the file named (a script's interpreter, the ELF interpreter).
    fn executed(&mut self, tid: Pid, tgid: Pid, named: Option<Target>) {
        let exe = tracee::exe(tid);
        self.programs.insert(tgid, exe.clone());
        let named = match named {
            Some(Target::Path { path, .. }) => Some(path),
            _ => None,
        };
        let mut also = Vec::new();
        if named.as_ref() != Some(&exe) {
            also.push(exe.clone());
        }
        if let Some(interp) = self.interpreter(&exe) {
            also.push(interp);
        }
        for path in also {
            self.accesses.push(Access {
                pid: tgid.as_raw(),
                program: exe.clone(),
                syscall: "execve",
                target: Target::Path {
                    path,
                    access: decode::EXEC,
                    kind: FileKind::File,
                    created: false,
                },
                result: Ok(()),
            });
        }
    }

    /// The ELF interpreter of the program `exe`, canonical: read once per file (a shell loop
    /// executes the same program again and again), again if the file was replaced.
    fn interpreter(&mut self, exe: &std::path::Path) -> Option<PathBuf> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(exe).ok()?;
        let key = (exe.to_path_buf(), m.dev(), m.ino(), m.mtime(), m.mtime_nsec());
        self.interpreters
            .entry(key)
            .or_insert_with(|| {
                crate::loader::elf::interpreter(exe).map(|i| tracee::canonical(&i, true))
            })
            .clone()
    }

    /// A syscall stop (entry, seccomp or exit).
    fn syscall_stop(&mut self, tid: Pid) {
        match tracee::syscall(tid) {
            Ok(Stop::Entry { arch, nr, args }) => self.entry(tid, arch, nr, args),
            Ok(Stop::Exit { result }) => self.exit(tid, result),
            Err(_) => {}
        }
    }
}

fn is_stop_signal(signal: Signal) -> bool {
    matches!(signal, Signal::SIGSTOP | Signal::SIGTSTP | Signal::SIGTTIN | Signal::SIGTTOU)
}

/// Runs `command` traced, sandboxed by `sandbox` if given, and returns every access its
/// processes made once the last of them has ended.
///
/// The tracing runs on a thread of its own, which waits only for its own children
/// (`__WNOTHREAD`): other threads of the caller may trace or wait for their children at the
/// same time.
pub fn trace(command: &TracedCommand, sandbox: Option<&Prepared>) -> Result<Trace, TraceError> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("landlocked-tracer".into())
            .spawn_scoped(scope, || trace_here(command, sandbox))
            .map_err(|e| TraceError::Tracer {
                what: "starting the tracing thread",
                errno: e.raw_os_error().and_then(Errno::from_raw).unwrap_or(Errno::EAGAIN),
            })?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn trace_here(command: &TracedCommand, sandbox: Option<&Prepared>) -> Result<Trace, TraceError> {
    let seccomp = crate::seccomp::available().is_ok();
    let program = if seccomp { Some(filter()?) } else { None };
    let mut argv: Vec<*const u8> = command.strings.iter().map(|s| s.as_ptr().cast()).collect();
    argv.push(std::ptr::null());
    let mut envp: Vec<*const u8> = command.env.iter().map(|s| s.as_ptr().cast()).collect();
    envp.push(std::ptr::null());
    let shown = command.file.as_bytes().to_vec();

    // SAFETY: the child makes only raw syscalls until it executes or exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(TraceError::Tracer {
            what: "fork",
            errno: Errno::from_raw(nix::errno::Errno::last_raw()).unwrap_or(Errno::EAGAIN),
        });
    }
    if pid == 0 {
        // SAFETY: this is the child; everything it uses was made before the fork.
        unsafe {
            child(
                sandbox,
                program.as_deref(),
                command.file.as_ptr().cast(),
                &mut argv,
                envp.as_ptr(),
                &shown,
            )
        }
    }
    let child = Pid::from_raw(pid);
    let stopped = waitpid(child, Some(WaitPidFlag::WSTOPPED | WaitPidFlag::__WNOTHREAD))
        .map_err(tracer("wait"))?;
    if !matches!(stopped, WaitStatus::Stopped(_, Signal::SIGSTOP)) {
        return Err(TraceError::Tracer { what: "the child did not stop", errno: Errno::ECHILD });
    }
    let mut options = Options::PTRACE_O_TRACESYSGOOD
        | Options::PTRACE_O_TRACEEXEC
        | Options::PTRACE_O_TRACEFORK
        | Options::PTRACE_O_TRACEVFORK
        | Options::PTRACE_O_TRACECLONE
        | Options::PTRACE_O_EXITKILL;
    if seccomp {
        options |= Options::PTRACE_O_TRACESECCOMP;
    }
    if let Err(e) = ptrace::seize(child, options) {
        let _ = signal::kill(child, Signal::SIGKILL);
        let _ = waitpid(child, None);
        let yama = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
            .ok()
            .and_then(|s| s.trim().parse().ok());
        return Err(TraceError::NotAllowed { errno: errno(e), yama });
    }
    // The terminal's signals reach the command directly; the tracer outlives them to report.
    // Once the command has ended, Ctrl-C ends what it left running (a background job that
    // ignores SIGINT), the tracer's wait interrupted. The caller's handling comes back after.
    let ignore = signal::SigAction::new(
        signal::SigHandler::SigIgn,
        signal::SaFlags::empty(),
        signal::SigSet::empty(),
    );
    let interrupt = signal::SigAction::new(
        signal::SigHandler::Handler(on_interrupt),
        signal::SaFlags::empty(),
        signal::SigSet::empty(),
    );
    // SAFETY: pthread_self has no precondition.
    TRACER_THREAD.store(unsafe { libc::pthread_self() } as usize, Ordering::SeqCst);
    INTERRUPTED.store(false, Ordering::SeqCst);
    // SAFETY: the handler only stores an atomic and calls pthread_kill, both signal-safe.
    let before: Vec<_> = [(Signal::SIGINT, &interrupt), (Signal::SIGQUIT, &ignore)]
        .into_iter()
        .filter_map(|(s, a)| unsafe { signal::sigaction(s, a) }.ok().map(|old| (s, old)))
        .collect();
    let traced = follow(child, seccomp, PathBuf::from(command.file()));
    for (s, old) in before {
        // SAFETY: restoring what was there.
        let _ = unsafe { signal::sigaction(s, &old) };
    }
    TRACER_THREAD.store(0, Ordering::SeqCst);
    traced
}

/// The thread waiting for the tracees, which a SIGINT must interrupt wherever it lands.
static TRACER_THREAD: AtomicUsize = AtomicUsize::new(0);
/// A SIGINT came.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let tracer = TRACER_THREAD.load(Ordering::SeqCst);
    // SAFETY: pthread_self and pthread_kill are async-signal-safe; the thread is alive while
    // its id is stored.
    unsafe {
        if tracer != 0 && libc::pthread_self() as usize != tracer {
            libc::pthread_kill(tracer as libc::pthread_t, libc::SIGINT);
        }
    }
}

/// Follows `child`, seized and stopped, and every process it starts, to the end.
///
/// Until it executes, the child is named by the file it is about to execute (not the tracer's
/// own program, which it still is).
fn follow(child: Pid, seccomp: bool, file: PathBuf) -> Result<Trace, TraceError> {
    signal::kill(child, Signal::SIGCONT).map_err(tracer("kill"))?;

    let mut t = Tracer {
        seccomp,
        threads: HashMap::new(),
        known: HashSet::new(),
        programs: HashMap::new(),
        accesses: Vec::new(),
        created: BTreeSet::new(),
        foreign: 0,
        left_killed: 0,
        interpreters: HashMap::new(),
    };
    t.thread(child).started = false;
    t.programs.insert(child, file);
    let mut end = End::Exited(0);
    let mut ended = false;
    loop {
        let status = match waitpid(None, Some(WaitPidFlag::__WALL | WaitPidFlag::__WNOTHREAD)) {
            Ok(status) => status,
            Err(NixErrno::EINTR) => {
                if INTERRUPTED.swap(false, Ordering::SeqCst) && ended {
                    let left: BTreeSet<Pid> = t.threads.values().map(|th| th.tgid).collect();
                    for tgid in left {
                        t.left_killed += 1;
                        let _ = signal::kill(tgid, Signal::SIGKILL);
                    }
                }
                continue;
            }
            Err(NixErrno::ECHILD) => break,
            Err(e) => return Err(tracer("wait")(e)),
        };
        match status {
            WaitStatus::Exited(tid, code) => {
                t.threads.remove(&tid);
                if tid == child {
                    end = End::Exited(code);
                    ended = true;
                }
            }
            WaitStatus::Signaled(tid, sig, _) => {
                t.threads.remove(&tid);
                if tid == child {
                    end = End::Killed(sig as i32);
                    ended = true;
                }
            }
            WaitStatus::PtraceSyscall(tid) => {
                t.syscall_stop(tid);
                t.resume(tid, None);
            }
            WaitStatus::PtraceEvent(tid, sig, event) => {
                let started = std::mem::replace(&mut t.thread(tid).started, true);
                match event {
                    e if e == Event::PTRACE_EVENT_SECCOMP as i32 => t.syscall_stop(tid),
                    e if e == Event::PTRACE_EVENT_EXEC as i32 => {
                        // A thread other than the leader executed: it now has the leader's id.
                        if let Ok(former) = ptrace::getevent(tid) {
                            let former = Pid::from_raw(former as i32);
                            if former != tid {
                                if let Some(mut moved) = t.threads.remove(&former) {
                                    moved.started = true;
                                    t.threads.insert(tid, moved);
                                }
                            }
                        }
                    }
                    e if e == libc::PTRACE_EVENT_STOP && started && is_stop_signal(sig) => {
                        // A group-stop: wait in it, as the process was asked to, until SIGCONT.
                        // SAFETY: PTRACE_LISTEN passes no pointer.
                        unsafe { libc::ptrace(libc::PTRACE_LISTEN, tid.as_raw(), 0, 0) };
                        continue;
                    }
                    _ => {}
                }
                t.resume(tid, None);
            }
            WaitStatus::Stopped(tid, sig) => {
                let thread = t.thread(tid);
                if !thread.started {
                    thread.started = true;
                }
                t.resume(tid, Some(sig));
            }
            _ => {}
        }
    }
    Ok(Trace {
        accesses: t.accesses,
        created: t.created,
        end,
        seccomp,
        foreign_syscalls: t.foreign,
        left_killed: t.left_killed,
    })
}
