//! File descriptors that cannot be -1: an owned one that closes itself, and a borrowed one.

use core::fmt;
use core::marker::PhantomData;

use crate::{Errno, arch, nr};

/// A raw file descriptor number, as the kernel takes it.
pub type RawFd = i32;

/// An open file descriptor this value owns: closed on drop, never negative.
#[repr(transparent)]
pub struct OwnedFd {
    fd: RawFd,
}

impl OwnedFd {
    /// Takes ownership of `fd`.
    ///
    /// # Safety
    /// `fd` must be an open file descriptor (so not negative) that nothing else closes.
    #[inline]
    pub const unsafe fn from_raw(fd: RawFd) -> OwnedFd {
        debug_assert!(fd >= 0);
        OwnedFd { fd }
    }

    /// The descriptor number, still owned by `self`.
    #[inline]
    pub const fn as_raw(&self) -> RawFd {
        self.fd
    }

    /// Gives up ownership without closing.
    #[inline]
    pub fn into_raw(self) -> RawFd {
        let fd = self.fd;
        core::mem::forget(self);
        fd
    }

    /// Borrows the descriptor for as long as `self` lives.
    #[inline]
    pub const fn as_fd(&self) -> BorrowedFd<'_> {
        BorrowedFd { fd: self.fd, owner: PhantomData }
    }

    /// Closes now and reports the kernel's answer, which `drop` has to ignore.
    pub fn close(self) -> Result<(), Errno> {
        let fd = self.into_raw();
        // SAFETY: we owned `fd` and give it up here; close takes no pointer.
        Errno::decode(unsafe { arch::syscall1(nr::CLOSE, fd as usize) }).map(drop)
    }

    /// Makes an owned fd from a raw syscall return that is a new descriptor on success.
    ///
    /// # Safety
    /// `raw` must come from a syscall that returns a new descriptor owned by the caller.
    #[inline]
    pub(crate) unsafe fn from_syscall(raw: usize) -> Result<OwnedFd, Errno> {
        // SAFETY: a successful return of such a syscall is a fresh, open, non-negative fd.
        Errno::decode(raw).map(|fd| unsafe { OwnedFd::from_raw(fd as RawFd) })
    }
}

impl Drop for OwnedFd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor; close takes no pointer. Its error cannot be acted on.
        unsafe { arch::syscall1(nr::CLOSE, self.fd as usize) };
    }
}

impl fmt::Debug for OwnedFd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnedFd").field(&self.fd).finish()
    }
}

/// A file descriptor borrowed for `'a`: open for at least that long, never negative.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BorrowedFd<'a> {
    fd: RawFd,
    owner: PhantomData<&'a OwnedFd>,
}

impl BorrowedFd<'_> {
    /// Borrows a descriptor owned elsewhere (by std, by the parent process, ...).
    ///
    /// # Safety
    /// `fd` must be open (so not negative) for the whole lifetime of the result.
    #[inline]
    pub const unsafe fn borrow_raw(fd: RawFd) -> Self {
        debug_assert!(fd >= 0);
        BorrowedFd { fd, owner: PhantomData }
    }

    /// The descriptor number.
    #[inline]
    pub const fn as_raw(self) -> RawFd {
        self.fd
    }
}

impl fmt::Debug for BorrowedFd<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BorrowedFd").field(&self.fd).finish()
    }
}

/// Anything that can lend a file descriptor.
pub trait AsFd {
    /// Borrows the descriptor.
    fn as_fd(&self) -> BorrowedFd<'_>;
}

impl AsFd for OwnedFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        OwnedFd::as_fd(self)
    }
}

impl AsFd for BorrowedFd<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        *self
    }
}
