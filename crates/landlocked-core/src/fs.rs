//! The few filesystem syscalls Landlock needs: open a rule's path, tell a file from a directory,
//! read and write plain bytes.

use core::ffi::CStr;

use crate::fd::{BorrowedFd, OwnedFd, RawFd};
use crate::{Errno, arch, nr};

bitflags::bitflags! {
    /// `open` flags. The values of `O_DIRECTORY` and `O_NOFOLLOW` differ between architectures.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct OFlags: u32 {
        /// `O_WRONLY`
        const WRONLY = 0o1;
        /// `O_RDWR`
        const RDWR = 0o2;
        /// `O_CREAT`
        const CREAT = 0o100;
        /// `O_EXCL`
        const EXCL = 0o200;
        /// `O_NOCTTY`
        const NOCTTY = 0o400;
        /// `O_TRUNC`
        const TRUNC = 0o1000;
        /// `O_APPEND`
        const APPEND = 0o2000;
        /// `O_NONBLOCK`
        const NONBLOCK = 0o4000;
        /// `O_DIRECTORY`
        #[cfg(target_arch = "x86_64")]
        const DIRECTORY = 0o200000;
        /// `O_DIRECTORY`
        #[cfg(target_arch = "aarch64")]
        const DIRECTORY = 0o40000;
        /// `O_NOFOLLOW`
        #[cfg(target_arch = "x86_64")]
        const NOFOLLOW = 0o400000;
        /// `O_NOFOLLOW`
        #[cfg(target_arch = "aarch64")]
        const NOFOLLOW = 0o100000;
        /// `O_CLOEXEC`
        const CLOEXEC = 0o2000000;
        /// `O_PATH`: a handle on the file itself, with no read or write access to its content.
        const PATH = 0o10000000;
    }
}

impl OFlags {
    /// `O_RDONLY`, the absence of `WRONLY` and `RDWR`.
    pub const RDONLY: OFlags = OFlags::empty();
}

/// `AT_FDCWD`: resolve a relative path from the working directory.
const AT_FDCWD: RawFd = -100;
/// `AT_EMPTY_PATH`: let `statx` look at the descriptor itself.
const AT_EMPTY_PATH: u32 = 0x1000;
/// `STATX_TYPE`: only the file type is needed.
const STATX_TYPE: u32 = 0x1;

/// Opens `path`, relative to the working directory.
pub fn open(path: &CStr, flags: OFlags, mode: u32) -> Result<OwnedFd, Errno> {
    openat_raw(AT_FDCWD, path, flags, mode)
}

/// Opens `path` relative to the directory `dir`.
pub fn openat(
    dir: BorrowedFd<'_>,
    path: &CStr,
    flags: OFlags,
    mode: u32,
) -> Result<OwnedFd, Errno> {
    openat_raw(dir.as_raw(), path, flags, mode)
}

fn openat_raw(dir: RawFd, path: &CStr, flags: OFlags, mode: u32) -> Result<OwnedFd, Errno> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let raw = unsafe {
        arch::syscall4(
            nr::OPENAT,
            dir as usize,
            path.as_ptr() as usize,
            flags.bits() as usize,
            mode as usize,
        )
    };
    // SAFETY: openat returns a new descriptor that nothing else owns.
    unsafe { OwnedFd::from_syscall(raw) }
}

/// The kind of file a descriptor refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileType {
    /// A directory: every filesystem right applies beneath it.
    Directory,
    /// A regular file.
    Regular,
    /// A symbolic link (only seen on an `O_PATH | O_NOFOLLOW` descriptor).
    Symlink,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A named pipe.
    Fifo,
    /// A UNIX domain socket.
    Socket,
}

impl FileType {
    fn from_mode(mode: u16) -> Option<FileType> {
        Some(match mode & 0o170000 {
            0o040000 => FileType::Directory,
            0o100000 => FileType::Regular,
            0o120000 => FileType::Symlink,
            0o020000 => FileType::CharDevice,
            0o060000 => FileType::BlockDevice,
            0o010000 => FileType::Fifo,
            0o140000 => FileType::Socket,
            _ => return None,
        })
    }
}

/// `struct statx` (256 bytes, the same on every architecture); only the type is read.
#[repr(C)]
struct Statx {
    mask: u32,
    blksize: u32,
    attributes: u64,
    nlink: u32,
    uid: u32,
    gid: u32,
    mode: u16,
    spare0: u16,
    rest: [u64; 28],
}

const _: () = assert!(core::mem::size_of::<Statx>() == 256);
const _: () = assert!(core::mem::offset_of!(Statx, mode) == 0x1c);

/// The type of the file `fd` refers to (works on `O_PATH` descriptors).
#[inline]
pub fn file_type(fd: BorrowedFd<'_>) -> Result<FileType, Errno> {
    let mut buf = Statx {
        mask: 0,
        blksize: 0,
        attributes: 0,
        nlink: 0,
        uid: 0,
        gid: 0,
        mode: 0,
        spare0: 0,
        rest: [0; 28],
    };
    // SAFETY: the empty path is NUL-terminated and `buf` is a writable `struct statx`.
    Errno::decode(unsafe {
        arch::syscall5(
            nr::STATX,
            fd.as_raw() as usize,
            c"".as_ptr() as usize,
            AT_EMPTY_PATH as usize,
            STATX_TYPE as usize,
            &mut buf as *mut Statx as usize,
        )
    })?;
    if buf.mask & STATX_TYPE == 0 {
        return Err(Errno::EIO);
    }
    FileType::from_mode(buf.mode).ok_or(Errno::EIO)
}

/// Reads into `buf`, returning how many bytes arrived (0 at end of file).
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is writable for `buf.len()` bytes.
    Errno::decode(unsafe {
        arch::syscall3(nr::READ, fd.as_raw() as usize, buf.as_mut_ptr() as usize, buf.len())
    })
}

/// Writes some of `buf`, returning how many bytes were taken.
pub fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is readable for `buf.len()` bytes.
    Errno::decode(unsafe {
        arch::syscall3(nr::WRITE, fd.as_raw() as usize, buf.as_ptr() as usize, buf.len())
    })
}

/// Writes all of `buf`, retrying after short writes and `EINTR`.
pub fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return Err(Errno::EIO),
            // The kernel never takes more than it was given; if it claimed to, that is an
            // I/O error rather than a panic path.
            Ok(n) => buf = buf.get(n..).ok_or(Errno::EIO)?,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
