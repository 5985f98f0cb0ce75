//! What the command-line tests share: the helper (this test binary re-executed, performing one
//! operation) and running `landlocked` with or without Landlock.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write as _;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use landlocked_core::Kernel;

pub const OP: &str = "LANDLOCKED_TEST_OP";

fn errno_name(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EACCES) => "EACCES".into(),
        Some(libc::EPERM) => "EPERM".into(),
        Some(libc::ENOENT) => "ENOENT".into(),
        Some(libc::ECONNREFUSED) => "ECONNREFUSED".into(),
        Some(libc::ENOSYS) => "ENOSYS".into(),
        Some(libc::EBADF) => "EBADF".into(),
        Some(n) => format!("errno{n}"),
        None => format!("{e}"),
    }
}

fn last_error(r: libc::c_long) -> std::io::Result<()> {
    if r < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) }
}

/// `socket(FAMILY, TYPE, PROTOCOL)` and, with a port, a connect to it on 127.0.0.1.
fn socket(arg: &str) -> std::io::Result<()> {
    let n: Vec<i32> = arg.split(' ').map(|w| w.parse().unwrap()).collect();
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(n[0], n[1] | libc::SOCK_CLOEXEC, n[2]) };
    last_error(fd.into())?;
    let Some(&port) = n.get(3) else { return Ok(()) };
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: (port as u16).to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be() },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `addr` is a sockaddr_in of `len` bytes.
    last_error(unsafe { libc::connect(fd, (&raw const addr).cast(), len) }.into())
}

/// `syscall NAME`: `uname`, `io_uring_setup`, or getpid through another entry point of the
/// kernel (`i386-getpid`: `int 0x80`; `x32-getpid`: the x32 bit), which a filter must kill.
fn raw_syscall(name: &str) -> std::io::Result<()> {
    match name {
        "uname" => {
            // SAFETY: an all-zero utsname is valid.
            let mut u = unsafe { std::mem::zeroed::<libc::utsname>() };
            // SAFETY: uname writes into the struct.
            last_error(unsafe { libc::uname(&mut u) }.into())
        }
        "io_uring_setup" => {
            let mut params = [0u8; 120];
            // SAFETY: the kernel writes the parameters into the buffer, large enough for them.
            let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 4, params.as_mut_ptr()) };
            last_error(fd)
        }
        #[cfg(target_arch = "x86_64")]
        "i386-getpid" => {
            let r: i64;
            // SAFETY: getpid (20 in the i386 table) takes no argument.
            unsafe { std::arch::asm!("int 0x80", inlateout("rax") 20i64 => r) };
            if r < 0 { Err(std::io::Error::from_raw_os_error(-r as i32)) } else { Ok(()) }
        }
        #[cfg(target_arch = "x86_64")]
        "x32-getpid" => {
            let r: i64;
            // SAFETY: getpid (39) with the x32 bit takes no argument.
            unsafe {
                std::arch::asm!("syscall", inlateout("rax") 0x4000_0000i64 | 39 => r,
                    lateout("rcx") _, lateout("r11") _)
            };
            if r < 0 { Err(std::io::Error::from_raw_os_error(-r as i32)) } else { Ok(()) }
        }
        // A bogus message array at the top of the address space: EFAULT, and a tracer that
        // reads it must not fail.
        "sendmmsg-bogus" => {
            // SAFETY: the kernel checks the pointer and fails with EFAULT.
            let r = unsafe { libc::syscall(libc::SYS_sendmmsg, 0, 0xffff_ffff_ffff_ffc0u64, 4, 0) };
            last_error(r)
        }
        other => panic!("unknown syscall {other}"),
    }
}

/// The operation a sandboxed copy of this binary performs, if `LANDLOCKED_TEST_OP` says one:
/// called from each test binary's `helper_entry` test.
pub fn helper_entry() {
    let Ok(op) = std::env::var(OP) else { return };
    let (verb, arg) = op.split_once(' ').unwrap_or((&op, ""));
    let result: std::io::Result<()> = match verb {
        "read" => std::fs::read(arg).map(drop),
        "list" => std::fs::read_dir(arg).map(drop),
        "write" => std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(arg)
            .and_then(|mut f| f.write_all(b"written")),
        "mkdir" => std::fs::create_dir(arg),
        "exec" => Command::new(arg).status().map(drop),
        "bind-tcp" => TcpListener::bind(("127.0.0.1", arg.parse::<u16>().unwrap())).map(drop),
        "connect-tcp" => {
            std::net::TcpStream::connect(("127.0.0.1", arg.parse::<u16>().unwrap())).map(drop)
        }
        "bind-udp" => UdpSocket::bind(("127.0.0.1", arg.parse::<u16>().unwrap())).map(drop),
        "send-udp" => UdpSocket::bind(("127.0.0.1", 0))
            .and_then(|s| s.send_to(b"x", ("127.0.0.1", arg.parse::<u16>().unwrap())))
            .map(drop),
        // `socket FAMILY TYPE PROTOCOL`, then a connect to 127.0.0.1:PORT if a fourth is given.
        "socket" => socket(arg),
        "syscall" => raw_syscall(arg),
        // PTRACE_SEIZE stops nothing, and detaches when this process exits.
        // SAFETY: no pointer is passed.
        "ptrace" => last_error(unsafe {
            libc::ptrace(libc::PTRACE_SEIZE, arg.parse::<libc::pid_t>().unwrap(), 0, 0)
        }),
        "kill" => {
            // SAFETY: signal 0 only checks that the signal could be sent.
            if unsafe { libc::kill(arg.parse().unwrap(), 0) } == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        }
        "abstract" => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(arg).unwrap();
            std::os::unix::net::UnixStream::connect_addr(&addr).map(drop)
        }
        "getenv" => {
            println!("RESULT {}", std::env::var(arg).unwrap_or_else(|_| "unset".into()));
            std::process::exit(0);
        }
        "env" => {
            let set: Vec<String> =
                std::env::vars().map(|(k, _)| k).filter(|k| k.starts_with("LL_")).collect();
            println!("RESULT {}", if set.is_empty() { "none".to_string() } else { set.join(",") });
            std::process::exit(0);
        }
        other => panic!("unknown op {other}"),
    };
    match result {
        Ok(()) => println!("RESULT ok"),
        Err(e) => println!("RESULT {}", errno_name(&e)),
    }
    std::process::exit(0);
}

pub fn landlocked() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_landlocked"));
    // The helper must not see the variables of the sample interface unless a test sets them.
    for var in landlocked_core::sandboxer_env::VARIABLES {
        cmd.env_remove(var);
    }
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The helper's answer.
    pub fn result(&self) -> &str {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix("RESULT "))
            .unwrap_or_else(|| panic!("no result: code {}, stderr: {}", self.code, self.stderr))
    }

    /// The one line landlocked printed about an error (warnings about what this kernel cannot
    /// enforce may come before it).
    #[track_caller]
    pub fn error_line(&self) -> &str {
        let lines: Vec<&str> =
            self.stderr.lines().filter(|l| !l.starts_with("landlocked: warning: ")).collect();
        assert_eq!(lines.len(), 1, "not one line: {:?}", self.stderr);
        assert!(lines[0].starts_with("landlocked: "), "{:?}", lines[0]);
        lines[0]
    }
}

pub fn helper_args(exe: &Path) -> Vec<&OsStr> {
    vec![
        OsStr::new("--"),
        exe.as_os_str(),
        OsStr::new("--exact"),
        OsStr::new("helper_entry"),
        OsStr::new("--nocapture"),
        OsStr::new("-q"),
        OsStr::new("--test-threads=1"),
    ]
}

/// Runs the helper under `landlocked run --ldd OPTIONS`, performing `op`.
pub fn sandboxed(options: &[&str], op: &str) -> Run {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = landlocked();
    cmd.arg("run").arg("--ldd").args(options).args(helper_args(&exe)).env(OP, op);
    Run::of(cmd.output().unwrap())
}

pub fn abi() -> Option<landlocked_core::Abi> {
    Kernel::probe().support.abi()
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landlocked-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Two distinct ports free right now (both are held while the second is chosen).
pub fn two_ports() -> (u16, u16) {
    let a = TcpListener::bind("127.0.0.1:0").unwrap();
    let b = TcpListener::bind("127.0.0.1:0").unwrap();
    (a.local_addr().unwrap().port(), b.local_addr().unwrap().port())
}

/// The running kernel's ABI; a failure without Landlock. These tests restrict real commands:
/// without Landlock they fail, saying so, rather than pass untested (the VM matrix covers
/// kernels without it).
pub fn landlock() -> landlocked_core::Abi {
    abi().unwrap_or_else(|| panic!("these tests need Landlock: {}", Kernel::probe().support))
}

pub fn without_landlock(errno: u32, args: &[&str]) -> Run {
    without_landlock_env(errno, args, &[])
}

pub fn without_landlock_env(errno: u32, args: &[&str], vars: &[(&str, &str)]) -> Run {
    // The Landlock syscalls, 444..=446 (the same on x86_64 and aarch64).
    failing_syscalls(444..=446, errno, args, vars)
}

/// The number of `ptrace` on this architecture.
pub const PTRACE: u32 = if cfg!(target_arch = "aarch64") { 117 } else { 101 };

/// `landlocked ARGS` with the syscalls `numbers` failing with `errno` (a seccomp filter of this
/// test's own, inherited by everything landlocked starts).
pub fn failing_syscalls(
    numbers: std::ops::RangeInclusive<u32>,
    errno: u32,
    args: &[&str],
    vars: &[(&str, &str)],
) -> Run {
    let mut cmd = landlocked();
    cmd.args(args).envs(vars.iter().copied());
    let numbers: Vec<u32> = numbers.collect();
    fail_syscalls(&mut cmd, &numbers, errno);
    Run::of(cmd.output().unwrap())
}

/// Makes the syscalls `numbers` fail with `errno` in what `cmd` starts: a seccomp filter
/// installed before it executes.
pub fn fail_syscalls(cmd: &mut Command, numbers: &[u32], errno: u32) {
    use std::os::unix::process::CommandExt;
    const RET_ERRNO: u32 = 0x0005_0000;
    const RET_ALLOW: u32 = 0x7fff_0000;
    let op = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter { code: code as u16, jt, jf, k };
    // The syscall number, then one comparison each: equal jumps to the errno return at the end.
    let mut filter = vec![op(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 0)];
    for (i, &nr) in numbers.iter().enumerate() {
        let to_errno = (numbers.len() - i) as u8;
        filter.push(op(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, to_errno, 0, nr));
    }
    filter.push(op(libc::BPF_RET | libc::BPF_K, 0, 0, RET_ALLOW));
    filter.push(op(libc::BPF_RET | libc::BPF_K, 0, 0, RET_ERRNO | errno));
    // SAFETY: only prctl calls with a filter that lives in this closure.
    unsafe {
        cmd.pre_exec(move || {
            let prog =
                libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr() as *mut _ };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
