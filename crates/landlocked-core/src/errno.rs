//! Error numbers, and the one place a raw syscall return becomes a `Result`.

use core::fmt;

/// A Linux error number (`errno`), always in `1..=4095`.
///
/// The values are those of `asm-generic/errno*.h`, which x86_64 and aarch64 share.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(u16);

macro_rules! errnos {
    ($($name:ident = $value:literal, $text:literal;)*) => {
        impl Errno {
            $(
                #[doc = $text]
                pub const $name: Errno = Errno($value);
            )*

            /// The symbolic name (`"EACCES"`), if this is a well-known error number.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// A short description (`"Permission denied"`), as `strerror` would give.
            pub const fn description(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

errnos! {
    EPERM = 1, "Operation not permitted";
    ENOENT = 2, "No such file or directory";
    ESRCH = 3, "No such process";
    EINTR = 4, "Interrupted system call";
    EIO = 5, "Input/output error";
    ENXIO = 6, "No such device or address";
    E2BIG = 7, "Argument list too long";
    ENOEXEC = 8, "Exec format error";
    EBADF = 9, "Bad file descriptor";
    ECHILD = 10, "No child processes";
    EAGAIN = 11, "Resource temporarily unavailable";
    ENOMEM = 12, "Cannot allocate memory";
    EACCES = 13, "Permission denied";
    EFAULT = 14, "Bad address";
    EBUSY = 16, "Device or resource busy";
    EEXIST = 17, "File exists";
    EXDEV = 18, "Invalid cross-device link";
    ENODEV = 19, "No such device";
    ENOTDIR = 20, "Not a directory";
    EISDIR = 21, "Is a directory";
    EINVAL = 22, "Invalid argument";
    ENFILE = 23, "Too many open files in system";
    EMFILE = 24, "Too many open files";
    ENOTTY = 25, "Inappropriate ioctl for device";
    ETXTBSY = 26, "Text file busy";
    EFBIG = 27, "File too large";
    ENOSPC = 28, "No space left on device";
    ESPIPE = 29, "Illegal seek";
    EROFS = 30, "Read-only file system";
    EMLINK = 31, "Too many links";
    EPIPE = 32, "Broken pipe";
    ERANGE = 34, "Numerical result out of range";
    ENAMETOOLONG = 36, "File name too long";
    ENOSYS = 38, "Function not implemented";
    ENOTEMPTY = 39, "Directory not empty";
    ELOOP = 40, "Too many levels of symbolic links";
    ENOMSG = 42, "No message of desired type";
    EBADFD = 77, "File descriptor in bad state";
    ENOTSOCK = 88, "Socket operation on non-socket";
    EPROTONOSUPPORT = 93, "Protocol not supported";
    EOPNOTSUPP = 95, "Operation not supported";
    EAFNOSUPPORT = 97, "Address family not supported by protocol";
    EADDRINUSE = 98, "Address already in use";
    EADDRNOTAVAIL = 99, "Cannot assign requested address";
    ENETUNREACH = 101, "Network is unreachable";
    ECONNRESET = 104, "Connection reset by peer";
    ENOTCONN = 107, "Transport endpoint is not connected";
    ETIMEDOUT = 110, "Connection timed out";
    ECONNREFUSED = 111, "Connection refused";
}

impl Errno {
    /// The error number for a raw value, if it is in the kernel's errno range `1..=4095`.
    pub const fn from_raw(raw: i32) -> Option<Errno> {
        if raw >= 1 && raw <= 4095 { Some(Errno(raw as u16)) } else { None }
    }

    /// The positive error number.
    pub const fn raw(self) -> i32 {
        self.0 as i32
    }

    /// Decodes a raw syscall return: `-4095..=-1` is an error, anything else a value.
    ///
    /// This is the only place that tells errors from values.
    #[inline]
    pub(crate) fn decode(raw: usize) -> Result<usize, Errno> {
        if raw > (-4096isize) as usize { Err(Errno(raw.wrapping_neg() as u16)) } else { Ok(raw) }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.description(), self.name()) {
            (Some(text), Some(name)) => write!(f, "{text} ({name})"),
            _ => write!(f, "error {}", self.0),
        }
    }
}

impl core::error::Error for Errno {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn decode_splits_at_minus_4096() {
        assert_eq!(Errno::decode(0), Ok(0));
        assert_eq!(Errno::decode(3), Ok(3));
        assert_eq!(Errno::decode((-1isize) as usize), Err(Errno::EPERM));
        assert_eq!(Errno::decode((-4095isize) as usize), Err(Errno(4095)));
        // -4096 is a value (an mmap address could look like this), not an error.
        assert_eq!(Errno::decode((-4096isize) as usize), Ok((-4096isize) as usize));
    }

    #[test]
    fn formats_name_and_text() {
        assert_eq!(format!("{:?}", Errno::EACCES), "EACCES");
        assert_eq!(format!("{}", Errno::EXDEV), "Invalid cross-device link (EXDEV)");
        assert_eq!(format!("{:?}", Errno::from_raw(300).unwrap()), "Errno(300)");
        assert_eq!(format!("{}", Errno::from_raw(300).unwrap()), "error 300");
        assert_eq!(Errno::from_raw(0), None);
        assert_eq!(Errno::from_raw(4096), None);
    }

    #[test]
    fn values_match_libc() {
        for (ours, theirs) in [
            (Errno::EPERM, libc::EPERM),
            (Errno::ENOENT, libc::ENOENT),
            (Errno::EACCES, libc::EACCES),
            (Errno::EXDEV, libc::EXDEV),
            (Errno::EINVAL, libc::EINVAL),
            (Errno::E2BIG, libc::E2BIG),
            (Errno::ENOSYS, libc::ENOSYS),
            (Errno::ENOMSG, libc::ENOMSG),
            (Errno::EBADFD, libc::EBADFD),
            (Errno::EOPNOTSUPP, libc::EOPNOTSUPP),
            (Errno::EAFNOSUPPORT, libc::EAFNOSUPPORT),
            (Errno::ECONNREFUSED, libc::ECONNREFUSED),
            (Errno::ENOTEMPTY, libc::ENOTEMPTY),
            (Errno::ELOOP, libc::ELOOP),
        ] {
            assert_eq!(ours.raw(), theirs, "{ours:?}");
        }
    }
}
