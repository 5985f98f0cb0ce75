//! Messages on stderr without `core::fmt`.
//!
//! `core::fmt` and the `Display` impls of `landlocked-core` would more than double the size of
//! the binary (about 36 KiB against 16), so messages are put together here from plain pieces:
//! strings, quoted bytes, numbers, error numbers and flag names. A line goes out in one `write`
//! (unless it is longer than the buffer), so lines from several processes do not mix.
//!
//! No indexing that could panic here (`get` instead): with no panic path left anywhere, the
//! panic machinery and the `core::fmt` it drags in are not linked at all.

use landlocked_core::fs::write_all;
use landlocked_core::{BorrowedFd, Errno};

/// The prefix of every message.
pub const NAME: &str = "landlocked-sandboxer: ";

/// A line being put together on the stack.
pub struct Out {
    buf: [u8; 256],
    len: usize,
}

impl Out {
    /// A new message, `landlocked-sandboxer: ` so far.
    pub fn new() -> Out {
        let mut out = Out { buf: [0; 256], len: 0 };
        out.s(NAME);
        out
    }

    /// Text with no prefix (the usage).
    pub fn bare() -> Out {
        Out { buf: [0; 256], len: 0 }
    }

    /// Appends bytes as they are.
    pub fn b(&mut self, mut bytes: &[u8]) -> &mut Out {
        while !bytes.is_empty() {
            if self.len >= self.buf.len() {
                self.flush();
            }
            let Some(free) = self.buf.get_mut(self.len..) else { return self };
            let n = free.len().min(bytes.len());
            let (now, later) = bytes.split_at(n);
            free[..n].copy_from_slice(now);
            self.len += n;
            bytes = later;
        }
        self
    }

    /// Appends a string.
    pub fn s(&mut self, s: &str) -> &mut Out {
        self.b(s.as_bytes())
    }

    /// Appends `bytes` in double quotes, on one line: control characters as `\xNN`, `"` and `\`
    /// preceded by `\`, anything else (UTF-8 included) as it is.
    pub fn q(&mut self, bytes: &[u8]) -> &mut Out {
        self.b(b"\"");
        for &c in bytes {
            match c {
                b'"' | b'\\' => self.b(&[b'\\', c]),
                0..0x20 | 0x7f => {
                    let hex = b"0123456789abcdef";
                    self.b(&[b'\\', b'x', hex[usize::from(c >> 4)], hex[usize::from(c & 15)]])
                }
                _ => self.b(&[c]),
            };
        }
        self.b(b"\"")
    }

    /// Appends a number in decimal.
    pub fn n(&mut self, mut n: u64) -> &mut Out {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        for d in digits.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
            start -= 1;
            if n == 0 {
                break;
            }
        }
        self.b(digits.get(start..).unwrap_or_default())
    }

    /// Appends an error as `strerror` would, with its name: `Permission denied (EACCES)`. Only the
    /// errors a sandboxer meets have a text here; others are `error N`.
    pub fn errno(&mut self, e: Errno) -> &mut Out {
        match ERRNO_TEXT.split(|&b| b == 0).find(|t| t.first() == Some(&(e.raw() as u8))) {
            Some(text) if e.raw() < 256 => self.b(&text[1..]),
            _ => self.s("error ").n(e.raw() as u64),
        }
    }

    /// Appends names separated by `, `.
    pub fn names(&mut self, names: impl Iterator<Item = &'static str>) -> &mut Out {
        for (i, name) in names.enumerate() {
            if i > 0 {
                self.s(", ");
            }
            self.s(name);
        }
        self
    }

    /// Ends the line and writes it.
    pub fn end(&mut self) {
        self.b(b"\n");
        self.flush();
    }

    /// Writes what is left, as it is (text that ends with its own newline).
    pub fn send(&mut self) {
        self.flush();
    }

    fn flush(&mut self) {
        // SAFETY: fd 2 is only written to; if it is closed (or is not what it should be), the
        // write fails with EBADF and the message is lost, which is all that can be done.
        let stderr = unsafe { BorrowedFd::borrow_raw(2) };
        let _ = write_all(stderr, self.buf.get(..self.len).unwrap_or_default());
        self.len = 0;
    }
}

/// `strerror` for the errors this program can meet: each entry is the error number as one byte,
/// then its text, then a NUL. One string keeps it small (a table of `&str` would double it).
const ERRNO_TEXT: &[u8] = b"\
\x01Operation not permitted (EPERM)\0\
\x02No such file or directory (ENOENT)\0\
\x05Input/output error (EIO)\0\
\x07Argument list too long (E2BIG)\0\
\x08Exec format error (ENOEXEC)\0\
\x09Bad file descriptor (EBADF)\0\
\x0cCannot allocate memory (ENOMEM)\0\
\x0dPermission denied (EACCES)\0\
\x0eBad address (EFAULT)\0\
\x13No such device (ENODEV)\0\
\x14Not a directory (ENOTDIR)\0\
\x15Is a directory (EISDIR)\0\
\x16Invalid argument (EINVAL)\0\
\x17Too many open files in system (ENFILE)\0\
\x18Too many open files (EMFILE)\0\
\x1aText file busy (ETXTBSY)\0\
\x24File name too long (ENAMETOOLONG)\0\
\x26Function not implemented (ENOSYS)\0\
\x28Too many levels of symbolic links (ELOOP)\0\
\x2aNo message of desired type (ENOMSG)\0\
\x4dFile descriptor in bad state (EBADFD)\0\
\x5fOperation not supported (EOPNOTSUPP)\0\
\x61Address family not supported by protocol (EAFNOSUPPORT)";
