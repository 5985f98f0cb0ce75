//! What the guest's init and the host say to each other over the serial console, which the
//! kernel shares: one line per frame, `landlocked-vm:KIND:VALUE`, the program's output in
//! hexadecimal so that any byte passes and a line of its own never looks like a frame.

use std::fmt::Write as _;

const PREFIX: &str = "landlocked-vm:";

/// One frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// Bytes the program wrote to its standard output.
    Out(Vec<u8>),
    /// Bytes it wrote to its standard error.
    Err(Vec<u8>),
    /// It exited with this status.
    Exit(i32),
    /// A signal killed it.
    Signal(i32),
    /// The init could not run it (the reason).
    Failed(String),
    /// What the guest's kernel says of Landlock, before the program runs (`abi 6`, `disabled`,
    /// `not-built`).
    Landlock(String),
    /// The guest's page size.
    PageSize(u64),
}

impl Frame {
    /// The frame as its console line, without the newline.
    pub fn line(&self) -> String {
        let hex = |bytes: &[u8]| {
            let mut s = String::with_capacity(bytes.len() * 2);
            for b in bytes {
                let _ = write!(s, "{b:02x}");
            }
            s
        };
        match self {
            Frame::Out(bytes) => format!("{PREFIX}out:{}", hex(bytes)),
            Frame::Err(bytes) => format!("{PREFIX}err:{}", hex(bytes)),
            Frame::Exit(code) => format!("{PREFIX}exit:{code}"),
            Frame::Signal(signal) => format!("{PREFIX}signal:{signal}"),
            Frame::Failed(why) => format!("{PREFIX}failed:{}", why.replace('\n', " ")),
            Frame::Landlock(said) => format!("{PREFIX}landlock:{said}"),
            Frame::PageSize(bytes) => format!("{PREFIX}page:{bytes}"),
        }
    }

    /// The frame a console line is, if it is one (the terminal's `\r` ignored).
    pub fn parse(line: &str) -> Option<Frame> {
        // At the start of the line only: the kernel's lines (its command line, echoed) may hold
        // the prefix anywhere.
        let rest = line.trim_end_matches(['\r', '\n']).strip_prefix(PREFIX)?;
        let (kind, value) = rest.split_once(':')?;
        let unhex = |v: &str| -> Option<Vec<u8>> {
            (v.len() % 2 == 0).then_some(())?;
            (0..v.len()).step_by(2).map(|i| u8::from_str_radix(v.get(i..i + 2)?, 16).ok()).collect()
        };
        match kind {
            "out" => unhex(value).map(Frame::Out),
            "err" => unhex(value).map(Frame::Err),
            "exit" => value.parse().ok().map(Frame::Exit),
            "signal" => value.parse().ok().map(Frame::Signal),
            "failed" => Some(Frame::Failed(value.to_string())),
            "landlock" => Some(Frame::Landlock(value.to_string())),
            "page" => value.parse().ok().map(Frame::PageSize),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_any_byte() {
        let all: Vec<u8> = (0..=255).collect();
        for frame in [
            Frame::Out(all.clone()),
            Frame::Err(b"line\n".to_vec()),
            Frame::Exit(7),
            Frame::Signal(9),
            Frame::Failed("cannot execute /x: ENOENT".into()),
            Frame::Landlock("abi 11".into()),
            Frame::PageSize(16384),
        ] {
            assert_eq!(Frame::parse(&(frame.line() + "\r\n")), Some(frame));
        }
        assert_eq!(Frame::parse("[    1.2] random kernel line"), None);
        assert_eq!(Frame::parse("landlocked-vm:out:abc"), None);
        assert_eq!(Frame::parse("[    0.0] Command line: x=landlocked-vm:exit:0"), None);
    }
}
