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
/// reads is cut where the kernel cuts it, and a NUL ends it as the kernel's parser ends it; an
/// empty interpreter is none.
pub(crate) fn shebang(head: &[u8]) -> Option<Shebang> {
    let rest = head.strip_prefix(b"#!")?;
    let line = match rest.iter().position(|&b| b == b'\n' || b == 0) {
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
/// kernel passes it whole), or with `-S` the first word after GNU env's options and their
/// values and the `NAME=VALUE` assignments. `None` when it cannot be told for sure (an option
/// this parser does not know): then nothing is followed.
pub(crate) fn env_program(argument: &[u8]) -> Option<&[u8]> {
    let split = argument
        .strip_prefix(b"-S")
        .or_else(|| argument.strip_prefix(b"--split-string="))
        .or_else(|| argument.strip_prefix(b"--split-string "));
    let Some(words) = split else {
        return (!argument.starts_with(b"-")).then_some(argument);
    };
    let mut words = words.split(|b| *b == b' ' || *b == b'\t').filter(|w| !w.is_empty());
    while let Some(word) = words.next() {
        if word == b"--" {
            return words.find(|w| !w.contains(&b'='));
        }
        if let Some(long) = word.strip_prefix(b"--") {
            let (name, value) = match long.iter().position(|&b| b == b'=') {
                Some(at) => (&long[..at], Some(&long[at + 1..])),
                None => (long, None),
            };
            match name {
                b"ignore-environment" | b"null" | b"debug" => {}
                b"unset" | b"chdir" if value.is_none() => {
                    words.next()?;
                }
                b"unset" | b"chdir" | b"block-signal" | b"default-signal" | b"ignore-signal" => {}
                _ => return None,
            }
        } else if let Some(cluster) = word.strip_prefix(b"-") {
            // Short options, clustered as getopt takes them; -u and -C take a value, the rest
            // of the word or the next one.
            for (i, &c) in cluster.iter().enumerate() {
                match c {
                    b'i' | b'0' | b'v' => {}
                    b'u' | b'C' => {
                        if i + 1 == cluster.len() {
                            words.next()?;
                        }
                        break;
                    }
                    _ => return None,
                }
            }
        } else if !word.contains(&b'=') {
            return Some(word);
        }
    }
    None
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
        // Options that take a value: the value is not the program.
        assert_eq!(env_program(b"-S -u passwd true"), Some(&b"true"[..]));
        assert_eq!(env_program(b"-S -C /tmp -i A=1 prog"), Some(&b"prog"[..]));
        assert_eq!(env_program(b"-S -upasswd prog"), Some(&b"prog"[..]));
        assert_eq!(env_program(b"-S --unset=PATH --chdir /x prog"), Some(&b"prog"[..]));
        assert_eq!(env_program(b"-S -- A=1 prog"), Some(&b"prog"[..]));
        assert_eq!(env_program(b"-S --frobnicate prog"), None);
        assert_eq!(env_program(b"-S -x prog"), None);
        assert_eq!(env_program(b"-S -u"), None);
        // A NUL ends the line, as in the kernel.
        assert_eq!(shebang(b"#!/bin/sh\0junk\n").unwrap().interpreter, PathBuf::from("/bin/sh"));
    }
}
