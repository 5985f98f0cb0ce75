//! `#!` lines, read as the kernel reads them (`fs/binfmt_script.c`).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// The kernel reads at most this much of a file to find its `#!` line.
pub(crate) const HEAD: usize = 256;

/// A `#!` line: the interpreter and the one argument the kernel passes after it (everything
/// after the interpreter, trimmed: Linux does not split it).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Shebang {
    pub interpreter: PathBuf,
    pub argument: Option<Vec<u8>>,
}

/// The `#!` line of a file starting with `head`, if it has one. A line longer than the kernel
/// reads is cut where the kernel cuts it; an empty interpreter is none.
pub(crate) fn shebang(head: &[u8]) -> Option<Shebang> {
    let rest = head.strip_prefix(b"#!")?;
    let line = match rest.iter().position(|&b| b == b'\n') {
        Some(end) => &rest[..end],
        None => rest,
    };
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = line.iter().position(|b| !blank(b))?;
    let line = &line[start..];
    let end = line.iter().position(blank).unwrap_or(line.len());
    let interpreter = PathBuf::from(OsStr::from_bytes(&line[..end]));
    let argument = line[end..].trim_ascii();
    Some(Shebang { interpreter, argument: (!argument.is_empty()).then(|| argument.to_vec()) })
}

/// The program `env` runs for `#!/usr/bin/env ARGUMENT`: the argument itself (one word, as the
/// kernel passes it whole), or with `-S` the first word that is neither an option nor a
/// `NAME=VALUE` assignment. `None` when it cannot be told (other options).
pub(crate) fn env_program(argument: &[u8]) -> Option<&[u8]> {
    let split = argument
        .strip_prefix(b"-S")
        .or_else(|| argument.strip_prefix(b"--split-string="))
        .or_else(|| argument.strip_prefix(b"--split-string"));
    match split {
        Some(words) => words
            .split(|b| *b == b' ' || *b == b'\t')
            .filter(|w| !w.is_empty())
            .find(|w| !w.starts_with(b"-") && !w.contains(&b'=')),
        None if argument.starts_with(b"-") => None,
        None => Some(argument),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_the_kernel_reads_them() {
        let s = shebang(b"#!/bin/sh\necho").unwrap();
        assert_eq!(s, Shebang { interpreter: "/bin/sh".into(), argument: None });
        let s = shebang(b"#! \t/usr/bin/env  python3 -u  \nx").unwrap();
        assert_eq!(s.interpreter, PathBuf::from("/usr/bin/env"));
        assert_eq!(s.argument.as_deref(), Some(&b"python3 -u"[..]));
        assert_eq!(shebang(b"#!   \n"), None);
        assert_eq!(shebang(b"\x7fELF"), None);
        assert_eq!(shebang(b"#!/bin/sh").unwrap().interpreter, PathBuf::from("/bin/sh"));
    }

    #[test]
    fn what_env_runs() {
        assert_eq!(env_program(b"python3"), Some(&b"python3"[..]));
        assert_eq!(env_program(b"-S python3 -u"), Some(&b"python3"[..]));
        assert_eq!(env_program(b"-S -i A=1 prog x"), Some(&b"prog"[..]));
        assert_eq!(env_program(b"--split-string=-v perl"), Some(&b"perl"[..]));
        assert_eq!(env_program(b"-i python3"), None);
    }
}
