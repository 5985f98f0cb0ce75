//! The seccomp layer on the running kernel: real sockets and syscalls in forked children, each
//! beside a control without the filter that shows the operation would otherwise work.

use std::net::{Ipv4Addr, TcpListener};

use landlocked::{
    Abi, AccessNet, DenyAction, Errata, Errno, Kernel, Sandbox, Status, SyscallFilter, Threads,
};

/// How a child ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// `_exit` with the error number of the operation (0: it worked).
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
}

const WORKED: End = End::Code(0);
const EACCES: End = End::Code(libc::EACCES);
const EPERM: End = End::Code(libc::EPERM);

/// Prepares `sandbox` here, then in a forked child enforces it and runs `op`, which returns an
/// errno (0 for success). 200 means enforcing failed.
fn in_child(sandbox: &Sandbox, kernel: Option<Kernel>, op: impl FnOnce() -> i32) -> End {
    let prepared = match kernel {
        Some(kernel) => sandbox.prepare_on(&kernel),
        None => sandbox.prepare(),
    }
    .expect("prepared");
    // SAFETY: the child enforces and runs `op`, then leaves with `_exit`; glibc keeps the
    // allocator usable after fork.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let code = match prepared.restrict_self() {
            Ok(report) => {
                std::mem::forget(report);
                op()
            }
            Err(_) => 200,
        };
        // SAFETY: leaving the child without the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    if libc::WIFSIGNALED(status) {
        End::Signal(libc::WTERMSIG(status))
    } else {
        End::Code(libc::WEXITSTATUS(status))
    }
}

fn errno_of(r: libc::c_long) -> i32 {
    if r < 0 { std::io::Error::last_os_error().raw_os_error().unwrap_or(-1) } else { 0 }
}

/// `socket(family, type, protocol)`, then a connect to 127.0.0.1:`port` if one is given.
fn socket(family: i32, kind: i32, protocol: i32, port: Option<u16>) -> i32 {
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(family, kind | libc::SOCK_CLOEXEC, protocol) };
    if fd < 0 {
        return errno_of(-1);
    }
    let Some(port) = port else { return 0 };
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be() },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `addr` is a sockaddr_in of `len` bytes.
    errno_of(unsafe { libc::connect(fd, (&raw const addr).cast(), len) }.into())
}

fn uname() -> i32 {
    // SAFETY: an all-zero utsname is valid.
    let mut u = unsafe { std::mem::zeroed::<libc::utsname>() };
    // SAFETY: uname fills the struct.
    errno_of(unsafe { libc::uname(&mut u) }.into())
}

fn landlock_abi() -> Abi {
    let kernel = Kernel::probe();
    kernel.support.abi().unwrap_or_else(|| panic!("these tests need Landlock: {}", kernel.support))
}

/// A network sandbox: TCP restricted (connect allowed on `port` alone), UDP too.
fn network(port: u16) -> Sandbox {
    let mut sandbox = Sandbox::empty();
    sandbox.restrict_net(AccessNet::all()).connect_tcp([port]);
    sandbox
}

#[test]
fn mptcp_cannot_connect_where_tcp_is_restricted() {
    let abi = landlock_abi();
    assert!(abi >= Abi::V4, "this test needs TCP rules (ABI 4)");
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let other = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
    let mptcp = |port| move || socket(libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_MPTCP, port);
    // Without the filter, the hole: a plain TCP connect is denied, MPTCP connects.
    let mut open = network(other);
    open.network_seccomp(false);
    let tcp = move || socket(libc::AF_INET, libc::SOCK_STREAM, 0, Some(port));
    assert_eq!(in_child(&open, None, tcp), EACCES);
    assert_eq!(in_child(&open, None, mptcp(Some(port))), WORKED, "MPTCP is off on this host?");
    let report = open.prepare().unwrap().report().clone();
    let tcp_only = Kernel::probe().errata.contains(Errata::TCP_SOCKET_IDENTIFICATION);
    assert_eq!(report.warning().is_some_and(|w| w.contains("MPTCP")), tcp_only);
    // With it (the default), MPTCP sockets cannot even be created.
    let closed = network(other);
    assert_eq!(in_child(&closed, None, mptcp(None)), EACCES);
    assert_eq!(in_child(&closed, None, tcp), EACCES);
    let report = closed.prepare().unwrap().report().clone();
    assert!(report.seccomp().sockets.enforced);
    assert!(!report.warning().unwrap_or_default().contains("MPTCP"), "{report}");
    assert!(report.to_string().contains("seccomp: "), "{report}");
    drop(listener);
}

#[test]
fn other_sockets_and_io_uring_are_denied_local_ones_not() {
    landlock_abi();
    let sandbox = network(1);
    for (family, kind, protocol, want) in [
        (libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_SCTP, EACCES),
        (libc::AF_INET, libc::SOCK_DGRAM, libc::IPPROTO_ICMP, EACCES),
        (libc::AF_INET6, libc::SOCK_DGRAM, libc::IPPROTO_UDPLITE, EACCES),
        (libc::AF_VSOCK, libc::SOCK_STREAM, 0, EACCES),
        (libc::AF_UNIX, libc::SOCK_STREAM, 0, WORKED),
        (libc::AF_NETLINK, libc::SOCK_RAW, 0, WORKED),
        (libc::AF_INET, libc::SOCK_STREAM, 0, WORKED),
    ] {
        let end = in_child(&sandbox, None, move || socket(family, kind, protocol, None));
        assert_eq!(end, want, "socket({family}, {kind}, {protocol})");
    }
    let io_uring = || {
        let mut params = [0u8; 120];
        // SAFETY: the kernel writes the parameters into the buffer, large enough for them.
        errno_of(unsafe { libc::syscall(libc::SYS_io_uring_setup, 4, params.as_mut_ptr()) })
    };
    let mut open = network(1);
    open.network_seccomp(false);
    assert_eq!(in_child(&open, None, io_uring), WORKED, "io_uring is off on this host?");
    assert_eq!(in_child(&sandbox, None, io_uring), EACCES);
}

#[test]
fn seccomp_takes_over_what_landlock_cannot_restrict() {
    let abi = landlock_abi();
    let udp = || socket(libc::AF_INET, libc::SOCK_DGRAM, 0, None);
    let tcp = || socket(libc::AF_INET, libc::SOCK_STREAM, 0, None);
    let mut sandbox = Sandbox::empty();
    sandbox.restrict_net(AccessNet::all());
    let report = sandbox.prepare().unwrap().report().clone();
    assert_eq!(report.status(), Status::Full, "{report}");
    if abi < Abi::V10 {
        // UDP sockets cannot be created; TCP ones can, Landlock denies binding and connecting.
        assert_eq!(report.seccomp().net, AccessNet::UDP);
        let said = format!("seccomp: bind_udp, connect_send_udp (Landlock ABI {abi} cannot)");
        assert!(report.to_string().contains(&said), "{report}");
        assert_eq!(in_child(&sandbox, None, udp), EACCES);
    } else {
        assert_eq!(report.seccomp().net, AccessNet::empty());
        assert_eq!(in_child(&sandbox, None, udp), WORKED);
    }
    assert_eq!(in_child(&sandbox, None, tcp), WORKED);
    // A UDP port allowed: UDP stays with Landlock, which cannot restrict it before ABI 10.
    let mut port = Sandbox::empty();
    port.restrict_net(AccessNet::all()).bind_udp([53]);
    let report = port.prepare().unwrap().report().clone();
    assert_eq!(report.seccomp().net, AccessNet::empty());
    assert_eq!(in_child(&port, None, udp), WORKED);
    assert_eq!(report.is_fully_enforced(), abi >= Abi::V10, "{report}");

    // As on a kernel of ABI 2 (the ruleset of ABI 2 is valid here): TCP goes to seccomp too.
    let v2 = Kernel::with_abi(Abi::V2, Errata::empty());
    let report = sandbox.prepare_on(&v2).unwrap().report().clone();
    assert_eq!(report.seccomp().net, AccessNet::all());
    assert!(report.to_string().contains("(Landlock ABI 2 cannot)"), "{report}");
    assert_eq!(in_child(&sandbox, Some(v2), tcp), EACCES);
    assert_eq!(in_child(&sandbox, Some(v2), || socket(libc::AF_UNIX, 1, 0, None)), WORKED);
    // Landlock has nothing left, but still a domain, which keeps the process from tracing one
    // outside the sandbox (the parent here).
    assert!(report.domain().domain, "{report}");
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: PTRACE_SEIZE passes no pointer, stops nothing, and ends when the child exits.
    let seize = move || errno_of(unsafe { libc::ptrace(libc::PTRACE_SEIZE, parent, 0, 0) });
    assert_eq!(in_child(&sandbox, Some(v2), seize), EPERM);
    assert_eq!(in_child(&Sandbox::empty(), None, seize), WORKED, "unsandboxed, tracing works");
    // Strict: nothing is missing, seccomp enforces it all.
    let mut strict = sandbox.clone();
    strict.compat(landlocked::Compat::Strict).require_landlock(true);
    assert!(strict.prepare_on(&v2).is_ok());
    // Without the filter, strict refuses what ABI 2 cannot do.
    strict.network_seccomp(false);
    let e = strict.prepare_on(&v2).unwrap_err();
    assert!(e.to_string().contains("bind_tcp"), "{e}");
}

fn filter(line: &str) -> SyscallFilter {
    SyscallFilter::parse(line).unwrap()
}

fn with_filter(f: SyscallFilter) -> Sandbox {
    let mut sandbox = Sandbox::empty();
    sandbox.syscall_filter(f);
    sandbox
}

#[test]
fn a_syscall_filter_denies_with_its_action() {
    landlock_abi();
    let nothing = Sandbox::empty().prepare().unwrap().report().clone();
    assert_eq!(nothing.status(), Status::NotEnforced);
    assert_eq!(in_child(&with_filter(filter("~uname")), None, uname), EPERM);
    let mut enosys = filter("~uname mount");
    enosys.set_action(DenyAction::Errno(Errno::ENOSYS));
    assert_eq!(in_child(&with_filter(enosys), None, uname), End::Code(libc::ENOSYS));
    let mut kill = filter("~uname");
    kill.set_action(DenyAction::Kill);
    assert_eq!(in_child(&with_filter(kill), None, uname), End::Signal(libc::SIGSYS));
    // An allow-list: what it names works, the rest is denied.
    let service = with_filter(filter("@system-service"));
    assert_eq!(in_child(&service, None, uname), WORKED);
    let mount = || {
        // SAFETY: mount with null arguments fails or is denied, nothing is mounted.
        errno_of(
            unsafe {
                libc::mount(std::ptr::null(), c"/".as_ptr(), std::ptr::null(), 0, std::ptr::null())
            }
            .into(),
        )
    };
    assert_eq!(in_child(&service, None, mount), EPERM);
    let report = service.prepare().unwrap().report().clone();
    assert_eq!(report.status(), Status::Full, "{report}");
    assert!(report.seccomp().syscall_filter.enforced);
}

#[test]
fn every_thread_gets_the_filter() {
    landlock_abi();
    let mut sandbox = with_filter(filter("~uname"));
    sandbox.threads(Threads::Process);
    let end = in_child(&sandbox, None, || 0);
    assert_eq!(end, WORKED);
    // A thread started before enforcing is filtered too (TSYNC).
    let prepared = sandbox.prepare().unwrap();
    // SAFETY: see `in_child`; the child starts its own thread.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            wait.recv().unwrap();
            uname()
        });
        let code = match prepared.restrict_self() {
            Ok(r) => {
                std::mem::forget(r);
                go.send(()).unwrap();
                thread.join().unwrap()
            }
            Err(_) => 200,
        };
        // SAFETY: leaving the child.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert_eq!(libc::WEXITSTATUS(status), libc::EPERM, "the other thread was not filtered");
}

#[cfg(target_arch = "x86_64")]
#[test]
fn the_i386_and_x32_entry_points_are_killed() {
    landlock_abi();
    let int80 = || {
        let r: i64;
        // SAFETY: getpid (20 in the i386 table) takes no argument.
        unsafe { std::arch::asm!("int 0x80", inlateout("rax") 20i64 => r) };
        i32::from(r <= 0)
    };
    let x32 = || {
        let r: i64;
        // SAFETY: getpid (39) through the x32 ABI takes no argument.
        unsafe {
            std::arch::asm!("syscall", inlateout("rax") 0x4000_0000i64 | 39 => r,
                lateout("rcx") _, lateout("r11") _)
        };
        i32::from(r != -i64::from(libc::ENOSYS) && r <= 0)
    };
    let plain = Sandbox::empty().network_seccomp(false).scope(landlocked::Scope::SIGNAL).clone();
    assert_eq!(in_child(&plain, None, int80), WORKED, "no i386 entry point on this kernel");
    for sandbox in [network(1), with_filter(filter("~mount")), with_filter(filter("@default"))] {
        assert_eq!(in_child(&sandbox, None, int80), End::Signal(libc::SIGSYS));
        assert_eq!(in_child(&sandbox, None, x32), End::Signal(libc::SIGSYS));
    }
}
