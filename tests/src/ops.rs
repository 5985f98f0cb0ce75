//! The operations the cases attempt, each one syscall through libc, returning the errno.

use std::ffi::CStr;

use landlocked_core::Errno;

use crate::sandbox::last_errno;

fn check(r: libc::c_int) -> Result<(), Errno> {
    if r < 0 { Err(last_errno()) } else { Ok(()) }
}

fn open_close(path: &CStr, flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    let fd = unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC, 0o600) };
    check(fd)?;
    // SAFETY: closing the descriptor just opened.
    unsafe { libc::close(fd) };
    Ok(())
}

/// `open(O_RDONLY)`.
pub fn read_file(path: &CStr) -> Result<(), Errno> {
    open_close(path, libc::O_RDONLY)
}

/// `open(O_WRONLY)`.
pub fn write_file(path: &CStr) -> Result<(), Errno> {
    open_close(path, libc::O_WRONLY)
}

/// `open(O_RDONLY | O_DIRECTORY)`: listing needs this open.
pub fn read_dir(path: &CStr) -> Result<(), Errno> {
    open_close(path, libc::O_RDONLY | libc::O_DIRECTORY)
}

/// `execve` of a file that is no program: `ENOEXEC` means Landlock let it through.
pub fn execute(path: &CStr) -> Result<(), Errno> {
    let argv = [path.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null()];
    // SAFETY: argv and envp are null-terminated arrays of NUL-terminated strings.
    unsafe { libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
    Err(last_errno())
}

/// `mknod` of a node of type `kind` (`S_IFREG`, `S_IFIFO`, `S_IFSOCK`, `S_IFCHR`, `S_IFBLK`).
pub fn mknod(path: &CStr, kind: libc::mode_t) -> Result<(), Errno> {
    // /dev/null's numbers for the device kinds.
    // SAFETY: `path` is NUL-terminated.
    check(unsafe { libc::mknod(path.as_ptr(), kind | 0o600, libc::makedev(1, 3)) })
}

/// `mkdir`.
pub fn mkdir(path: &CStr) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    check(unsafe { libc::mkdir(path.as_ptr(), 0o700) })
}

/// `symlink(target, path)`.
pub fn symlink(target: &CStr, path: &CStr) -> Result<(), Errno> {
    // SAFETY: both are NUL-terminated.
    check(unsafe { libc::symlink(target.as_ptr(), path.as_ptr()) })
}

/// `unlink`.
pub fn unlink(path: &CStr) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    check(unsafe { libc::unlink(path.as_ptr()) })
}

/// `rmdir`.
pub fn rmdir(path: &CStr) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    check(unsafe { libc::rmdir(path.as_ptr()) })
}

/// `rename(from, to)`.
pub fn rename(from: &CStr, to: &CStr) -> Result<(), Errno> {
    // SAFETY: both are NUL-terminated.
    check(unsafe { libc::rename(from.as_ptr(), to.as_ptr()) })
}

/// `link(from, to)`.
pub fn link(from: &CStr, to: &CStr) -> Result<(), Errno> {
    // SAFETY: both are NUL-terminated.
    check(unsafe { libc::link(from.as_ptr(), to.as_ptr()) })
}

/// `truncate(path, 0)`.
pub fn truncate(path: &CStr) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    check(unsafe { libc::truncate(path.as_ptr(), 0) })
}

/// Opens a device read-only and asks it `TCGETS`: `ENOTTY` from a non-terminal means the
/// ioctl reached the driver.
pub fn ioctl_dev(path: &CStr) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    check(fd)?;
    let mut termios = std::mem::MaybeUninit::<libc::termios>::uninit();
    // SAFETY: TCGETS writes a termios into the buffer.
    let r = check(unsafe { libc::ioctl(fd, libc::TCGETS, termios.as_mut_ptr()) });
    // SAFETY: closing the descriptor just opened.
    unsafe { libc::close(fd) };
    r
}

fn loopback(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be() },
        sin_zero: [0; 8],
    }
}

fn socket(kind: libc::c_int) -> Result<libc::c_int, Errno> {
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(libc::AF_INET, kind | libc::SOCK_CLOEXEC, 0) };
    check(fd).map(|()| fd)
}

fn with_socket(kind: libc::c_int, f: impl FnOnce(libc::c_int) -> libc::c_int) -> Result<(), Errno> {
    let fd = socket(kind)?;
    let r = check(f(fd));
    // SAFETY: closing the socket just created.
    unsafe { libc::close(fd) };
    r
}

fn sockaddr_len<T>() -> libc::socklen_t {
    std::mem::size_of::<T>() as libc::socklen_t
}

/// `bind` a TCP or UDP socket to 127.0.0.1:`port`.
pub fn bind(kind: libc::c_int, port: u16) -> Result<(), Errno> {
    let addr = loopback(port);
    // SAFETY: `addr` is a valid sockaddr_in of the given length.
    with_socket(kind, |fd| unsafe {
        libc::bind(
            fd,
            (&addr as *const libc::sockaddr_in).cast(),
            sockaddr_len::<libc::sockaddr_in>(),
        )
    })
}

/// `connect` a TCP or UDP socket to 127.0.0.1:`port`.
pub fn connect(kind: libc::c_int, port: u16) -> Result<(), Errno> {
    let addr = loopback(port);
    // SAFETY: `addr` is a valid sockaddr_in of the given length.
    with_socket(kind, |fd| unsafe {
        libc::connect(
            fd,
            (&addr as *const libc::sockaddr_in).cast(),
            sockaddr_len::<libc::sockaddr_in>(),
        )
    })
}

/// A TCP listener on a free loopback port, closed on drop.
#[derive(Debug)]
pub struct Listener {
    fd: libc::c_int,
    /// Its port.
    pub port: u16,
}

impl Listener {
    /// Listens on 127.0.0.1 at a port the kernel picks.
    pub fn tcp() -> Result<Listener, Errno> {
        let fd = socket(libc::SOCK_STREAM)?;
        let addr = loopback(0);
        // SAFETY: `addr` is a valid sockaddr_in.
        check(unsafe {
            libc::bind(
                fd,
                (&addr as *const libc::sockaddr_in).cast(),
                sockaddr_len::<libc::sockaddr_in>(),
            )
        })?;
        // SAFETY: listening on our socket.
        check(unsafe { libc::listen(fd, 16) })?;
        let port = local_port(fd)?;
        Ok(Listener { fd, port })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // SAFETY: closing our socket.
        unsafe { libc::close(self.fd) };
    }
}

fn local_port(fd: libc::c_int) -> Result<u16, Errno> {
    let mut addr = loopback(0);
    let mut len = sockaddr_len::<libc::sockaddr_in>();
    // SAFETY: `addr` is a writable sockaddr_in of `len` bytes.
    check(unsafe {
        libc::getsockname(fd, (&mut addr as *mut libc::sockaddr_in).cast(), &mut len)
    })?;
    Ok(u16::from_be(addr.sin_port))
}

/// A port that was free a moment ago (bound, read, released).
pub fn free_port(kind: libc::c_int) -> Result<u16, Errno> {
    let fd = socket(kind)?;
    let addr = loopback(0);
    // SAFETY: `addr` is a valid sockaddr_in.
    let r = check(unsafe {
        libc::bind(
            fd,
            (&addr as *const libc::sockaddr_in).cast(),
            sockaddr_len::<libc::sockaddr_in>(),
        )
    })
    .and_then(|()| local_port(fd));
    // SAFETY: closing our socket.
    unsafe { libc::close(fd) };
    r
}

/// A listening UNIX socket, abstract (`name` starts with NUL) or at a path; closed on drop.
#[derive(Debug)]
pub struct UnixListener {
    fd: libc::c_int,
    addr: libc::sockaddr_un,
    len: libc::socklen_t,
}

fn unix_addr(name: &[u8]) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_un is valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let n = name.len().min(addr.sun_path.len() - 1);
    for (dst, &src) in addr.sun_path.iter_mut().zip(&name[..n]) {
        *dst = src as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + n + usize::from(name.first() != Some(&0));
    (addr, len as libc::socklen_t)
}

impl UnixListener {
    /// Listens on `name`: an abstract name when it starts with a NUL byte, else a path.
    pub fn bind(name: &[u8]) -> Result<UnixListener, Errno> {
        // SAFETY: plain socket creation.
        let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
        check(fd)?;
        let (addr, len) = unix_addr(name);
        // SAFETY: `addr` is a valid sockaddr_un of `len` bytes.
        check(unsafe { libc::bind(fd, (&addr as *const libc::sockaddr_un).cast(), len) })?;
        // SAFETY: listening on our socket.
        check(unsafe { libc::listen(fd, 4) })?;
        Ok(UnixListener { fd, addr, len })
    }

    /// Connects a new socket to this listener.
    pub fn connect(&self) -> Result<(), Errno> {
        // SAFETY: plain socket creation.
        let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
        check(fd)?;
        // SAFETY: `self.addr` is a valid sockaddr_un of `self.len` bytes.
        let r = check(unsafe {
            libc::connect(fd, (&self.addr as *const libc::sockaddr_un).cast(), self.len)
        });
        // SAFETY: closing our socket.
        unsafe { libc::close(fd) };
        r
    }
}

impl Drop for UnixListener {
    fn drop(&mut self) {
        // SAFETY: closing our socket.
        unsafe { libc::close(self.fd) };
    }
}

/// `kill(pid, 0)`: whether a signal could be sent.
pub fn signal(pid: libc::pid_t) -> Result<(), Errno> {
    // SAFETY: signal 0 only checks permission.
    check(unsafe { libc::kill(pid, 0) })
}
