//! The probe's operations that std does not offer: sockets of a chosen protocol, and raw
//! syscalls through another entry point of the kernel.

use std::io;
use std::net::Ipv4Addr;

fn check(r: libc::c_long) -> io::Result<String> {
    if r < 0 { Err(io::Error::last_os_error()) } else { Ok("ok".into()) }
}

fn loopback(port: &str) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.parse::<u16>().unwrap_or(0).to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be() },
        sin_zero: [0; 8],
    }
}

/// A socket of `kind` and `protocol` connected to 127.0.0.1:`port`.
pub fn connect(kind: libc::c_int, protocol: libc::c_int, port: &str) -> io::Result<String> {
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(libc::AF_INET, kind | libc::SOCK_CLOEXEC, protocol) };
    check(fd.into())?;
    let addr = loopback(port);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `addr` is a sockaddr_in of `len` bytes.
    let r = check(unsafe { libc::connect(fd, (&raw const addr).cast(), len) }.into());
    // SAFETY: closing the socket made here.
    unsafe { libc::close(fd) };
    r
}

/// A TCP fast open to 127.0.0.1:`port`: `sendto` with `MSG_FASTOPEN` connects and sends.
pub fn fast_open(port: &str) -> io::Result<String> {
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    check(fd.into())?;
    let addr = loopback(port);
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: one byte from a static buffer, `addr` is a sockaddr_in of `len` bytes.
    let sent = unsafe {
        libc::sendto(fd, b"x".as_ptr().cast(), 1, libc::MSG_FASTOPEN, (&raw const addr).cast(), len)
    };
    let r = check(sent as libc::c_long);
    // SAFETY: closing the socket made here.
    unsafe { libc::close(fd) };
    r
}

/// `ptrace(PTRACE_SEIZE, pid)`: it stops nothing and ends when this process exits.
pub fn seize(pid: &str) -> io::Result<String> {
    // SAFETY: no pointer is passed.
    check(unsafe {
        libc::ptrace(libc::PTRACE_SEIZE, pid.parse::<libc::pid_t>().unwrap_or(0), 0, 0)
    })
}

/// `uname`.
pub fn uname() -> io::Result<String> {
    // SAFETY: an all-zero utsname is valid.
    let mut u = unsafe { std::mem::zeroed::<libc::utsname>() };
    // SAFETY: uname fills the struct.
    check(unsafe { libc::uname(&mut u) }.into())
}

/// getpid through `int 0x80`, the i386 entry point of an x86_64 kernel.
#[cfg(target_arch = "x86_64")]
pub fn i386_getpid() -> io::Result<String> {
    let r: i64;
    // SAFETY: getpid (20 in the i386 table) takes no argument and touches no memory.
    unsafe { std::arch::asm!("int 0x80", inlateout("rax") 20i64 => r) };
    if r < 0 { Err(io::Error::from_raw_os_error(-r as i32)) } else { Ok("ok".into()) }
}

/// There is no other entry point to call from here.
#[cfg(not(target_arch = "x86_64"))]
pub fn i386_getpid() -> io::Result<String> {
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}
