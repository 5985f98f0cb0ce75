//! Between `std::os::fd`'s descriptors and the enforcement core's (which is `no_std`, so cannot
//! name std's types itself): ownership moves, nothing is duplicated or closed.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};

/// A std descriptor as the core's.
pub fn into_core(fd: OwnedFd) -> landlocked_core::OwnedFd {
    // SAFETY: std's OwnedFd is open, never -1, and gives up ownership here.
    unsafe { landlocked_core::OwnedFd::from_raw(fd.into_raw_fd()) }
}

/// The core's descriptor as std's.
pub fn from_core(fd: landlocked_core::OwnedFd) -> OwnedFd {
    // SAFETY: the core's OwnedFd is open, never -1, and gives up ownership here.
    unsafe { OwnedFd::from_raw_fd(fd.into_raw()) }
}

/// A std borrow as the core's, for as long.
pub fn borrow_core(fd: BorrowedFd<'_>) -> landlocked_core::BorrowedFd<'_> {
    // SAFETY: std's BorrowedFd is open for its lifetime, which the result keeps, and never -1.
    unsafe { landlocked_core::BorrowedFd::borrow_raw(fd.as_raw_fd()) }
}

/// The core's borrow as std's, for as long.
pub fn borrow_std(fd: landlocked_core::BorrowedFd<'_>) -> BorrowedFd<'_> {
    // SAFETY: the core's BorrowedFd is open for its lifetime, which the result keeps, and never
    // -1.
    unsafe { BorrowedFd::borrow_raw(fd.as_raw()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn descriptors_move_both_ways() {
        let std_fd: OwnedFd = std::fs::File::open("/").unwrap().into();
        let raw = std_fd.as_raw_fd();
        assert_eq!(borrow_core(std_fd.as_fd()).as_raw(), raw);
        let core = into_core(std_fd);
        assert_eq!(core.as_raw(), raw);
        assert_eq!(borrow_std(core.as_fd()).as_raw_fd(), raw);
        assert_eq!(from_core(core).as_raw_fd(), raw);
    }
}
