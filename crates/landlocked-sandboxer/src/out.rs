//! Messages on stderr without `core::fmt`.
//!
//! `core::fmt` and the `Display` impls of `landlocked-core` would more than double the size of
//! the binary (about 36 KiB against 16), so messages are put together here from plain pieces:
//! strings, quoted bytes, numbers, error numbers and flag names. A line goes out in one `write`
//! (unless it is longer than the buffer), so lines from several processes do not mix.
//!
//! Most messages are one template with `%` where each argument goes ([`say`]): the text stays
//! in one piece, and each message costs one call, where appending piece by piece costs a call
//! for every piece.
//!
//! No indexing that could panic here (`get` instead): with no panic path left anywhere, the
//! panic machinery and the `core::fmt` it drags in are not linked at all.

use landlocked_core::fs::write_all;
use landlocked_core::{BorrowedFd, Errno};

/// The names of a flag type's flags (`AccessFs`, ...), from bit 0 up, each followed by a NUL:
/// a `&'static [u8]` put together at compile time from the type's `NAMED` table, which is then
/// not linked (its `(&str, flag)` pairs take 24 bytes each besides the text). The names must be
/// those of bits 0, 1, 2... in order, or the build fails.
macro_rules! names_of {
    ($flags:ty) => {{
        const NAMED: &[(&str, $flags)] = <$flags>::NAMED;
        const LEN: usize = {
            let (mut len, mut i) = (0, 0);
            while i < NAMED.len() {
                len += NAMED[i].0.len() + 1;
                i += 1;
            }
            len
        };
        const NAMES: [u8; LEN] = {
            let mut names = [0; LEN];
            let (mut at, mut i) = (0, 0);
            while i < NAMED.len() {
                let (name, flag) = (NAMED[i].0.as_bytes(), NAMED[i].1);
                assert!(flag.bits() == 1 << i, "flag names not in bit order");
                let mut j = 0;
                while j < name.len() {
                    names[at] = name[j];
                    at += 1;
                    j += 1;
                }
                at += 1;
                i += 1;
            }
            names
        };
        &NAMES
    }};
}

/// The prefix of every message.
pub const NAME: &str = "landlocked-sandboxer: ";

/// A line being put together on the stack.
pub struct Out {
    buf: [u8; 256],
    len: usize,
}

/// What goes in place of a `%` of a template: the core's, whose templates these are.
pub use landlocked_core::text::Arg;

/// Writes one line: `landlocked-sandboxer: `, then `template` with each `%` replaced by the next
/// of `args`.
#[inline(never)]
pub fn say(template: &str, args: &[Arg<'_>]) {
    Out::new().fill(template, args).end();
}

impl Out {
    /// A new message, `landlocked-sandboxer: ` so far.
    #[inline(never)]
    pub fn new() -> Out {
        let mut out = Out { buf: [0; 256], len: 0 };
        out.s(NAME);
        out
    }

    /// Appends bytes as they are.
    pub fn b(&mut self, bytes: &[u8]) -> &mut Out {
        for &c in bytes {
            if self.len >= self.buf.len() {
                self.flush();
            }
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = c;
                self.len += 1;
            }
        }
        self
    }

    /// Appends a string.
    pub fn s(&mut self, s: &str) -> &mut Out {
        self.b(s.as_bytes())
    }

    /// Appends `template` with each `%` replaced by the next of `args` (nothing once they run
    /// out).
    pub fn fill(&mut self, template: &str, args: &[Arg<'_>]) -> &mut Out {
        let mut args = args.iter();
        let mut rest = template.as_bytes();
        while let Some(at) = rest.iter().position(|&b| b == b'%') {
            let (text, after) = rest.split_at(at);
            self.b(text);
            rest = after.get(1..).unwrap_or_default();
            match args.next() {
                Some(Arg::Text(s)) => self.s(s),
                Some(&Arg::Quoted(bytes)) => self.q(bytes),
                Some(&Arg::Num(n)) => self.n(n),
                Some(&Arg::Errno(e)) => self.errno(e),
                None => self,
            };
        }
        self.b(rest);
        self
    }

    /// Appends `bytes` in double quotes, on one line: control characters as `\xNN`, `"` and `\`
    /// preceded by `\`, anything else (UTF-8 included) as it is.
    #[inline(never)]
    pub fn q(&mut self, bytes: &[u8]) -> &mut Out {
        self.b(b"\"");
        for &c in bytes {
            let hex = b"0123456789abcdef";
            // `\c`, then `\xNN`: each case appends a part of it.
            let forms = [b'\\', c, b'\\', b'x', hex[usize::from(c >> 4)], hex[usize::from(c & 15)]];
            let form = match c {
                b'"' | b'\\' => forms.get(..2),
                0..0x20 | 0x7f => forms.get(2..),
                _ => forms.get(1..2),
            };
            self.b(form.unwrap_or_default());
        }
        self.b(b"\"")
    }

    /// Appends a number in decimal.
    #[inline(never)]
    pub fn n(&mut self, mut n: u32) -> &mut Out {
        let mut digits = [0u8; 10];
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
    #[inline(never)]
    pub fn errno(&mut self, e: Errno) -> &mut Out {
        let number = e.raw() as u8;
        let mut texts = ERRNO_TEXT.split(|&b| b == 0).filter_map(|t| t.split_first());
        match texts.find(|&(&n, _)| n == number) {
            Some((_, text)) if e.raw() < 256 => self.b(text),
            _ => self.s("error ").n(e.raw() as u32),
        }
    }

    /// Appends the names of the bits set in `bits`, separated by `, `: `names` has the name of
    /// each bit from bit 0 up, each followed by a NUL ([`names_of!`]).
    pub fn flags(&mut self, bits: u64, names: &[u8]) -> &mut Out {
        let mut sep = "";
        for (bit, name) in names.split(|&b| b == 0).enumerate() {
            if bits >> bit & 1 != 0 {
                self.s(sep).b(name);
                sep = ", ";
            }
        }
        self
    }

    /// Ends the line and writes it.
    pub fn end(&mut self) {
        self.b(b"\n");
        self.flush();
    }

    fn flush(&mut self) {
        write_stderr(self.buf.get(..self.len).unwrap_or_default());
        self.len = 0;
    }
}

/// Writes `bytes` to stderr as they are (the usage, or a line put together in an [`Out`]).
#[inline(never)]
pub fn write_stderr(bytes: &[u8]) {
    // SAFETY: fd 2 is only written to; if it is closed (or is not what it should be), the
    // write fails with EBADF and the message is lost, which is all that can be done.
    let stderr = unsafe { BorrowedFd::borrow_raw(2) };
    let _ = write_all(stderr, bytes);
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
