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
    // A line the kernel read no end of: if the interpreter's name reaches the end of what it
    // read (no blank or NUL after it), the name is taken as cut short, and the file is not run
    // as a script (ENOEXEC). A shorter file is padded with NULs, which end the name.
    if head.len() >= HEAD && !head[..HEAD].contains(&b'\n') {
        let blank = |b: &u8| *b == b' ' || *b == b'\t';
        let start = rest.iter().position(|b| !blank(b))?;
        let name = &rest[start..HEAD - 2];
        if !name.iter().any(|&b| blank(&b) || b == 0) {
            return None;
        }
    }
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
    // `-S` has its own syntax: escapes (`\_` is a blank), quotes, comments, `${VAR}`. Only
    // plain words and `\_` are followed; anything else cannot be told for sure.
    if words.iter().any(|&b| matches!(b, b'"' | b'\'' | b'#' | b'$'))
        || words.windows(2).any(|w| w[0] == b'\\' && w[1] != b'_')
        || words.last() == Some(&b'\\')
    {
        return None;
    }
    let is_blank = |w: &[u8]| w == b" " || w == b"\t";
    let mut words = words
        .split(|b| *b == b' ' || *b == b'\t')
        .flat_map(|w| SplitEscape(Some(w)))
        .filter(|w| !w.is_empty() && !is_blank(w));
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
                // A new working directory changes what a relative name means: not followed.
                b"chdir" => return None,
                b"unset" if value.is_none() => {
                    words.next()?;
                }
                b"unset" | b"block-signal" | b"default-signal" | b"ignore-signal" => {}
                _ => return None,
            }
        } else if let Some(cluster) = word.strip_prefix(b"-") {
            // Short options, clustered as getopt takes them; -u and -C take a value, the rest
            // of the word or the next one.
            for (i, &c) in cluster.iter().enumerate() {
                match c {
                    b'i' | b'0' | b'v' => {}
                    b'C' => return None,
                    b'u' => {
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

/// A word of `env -S` split at its `\_` escapes (each a blank).
struct SplitEscape<'a>(Option<&'a [u8]>);

impl<'a> Iterator for SplitEscape<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.0?;
        match rest.windows(2).position(|w| w == b"\\_") {
            Some(at) => {
                self.0 = Some(&rest[at + 2..]);
                Some(&rest[..at])
            }
            None => self.0.take(),
        }
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
        // Options that take a value: the value is not the program.
        assert_eq!(env_program(b"-S -u passwd true"), Some(&b"true"[..]));
        assert_eq!(env_program(b"-S -C /tmp -i A=1 prog"), None);
        assert_eq!(env_program(b"-S -upasswd prog"), Some(&b"prog"[..]));
        assert_eq!(env_program(b"-S --unset=PATH -u HOME prog"), Some(&b"prog"[..]));
        assert_eq!(env_program(b"-S --chdir /x prog"), None);
        // \_ is a blank; other escapes, quotes, comments and variables are not followed.
        assert_eq!(env_program(b"-S A=1\\_true /usr/bin/passwd"), Some(&b"true"[..]));
        assert_eq!(env_program(b"-S \"prog\" x"), None);
        assert_eq!(env_program(b"-S prog\\cx"), None);
        assert_eq!(env_program(b"-S ${X} prog"), None);
        assert_eq!(env_program(b"-S prog #c"), None);
        assert_eq!(env_program(b"-S -- A=1 prog"), Some(&b"prog"[..]));
        assert_eq!(env_program(b"-S --frobnicate prog"), None);
        assert_eq!(env_program(b"-S -x prog"), None);
        assert_eq!(env_program(b"-S -u"), None);
        // A name the kernel read no end of is no interpreter: the file is not a script.
        let mut long = b"#!".to_vec();
        long.extend([b'/'; 300]);
        assert_eq!(shebang(&long[..HEAD]), None);
        let mut spaced = b"#!/bin/sh ".to_vec();
        spaced.extend([b'x'; 300]);
        assert_eq!(shebang(&spaced[..HEAD]).unwrap().interpreter, PathBuf::from("/bin/sh"));
        // A NUL ends the line, as in the kernel.
        assert_eq!(shebang(b"#!/bin/sh\0junk\n").unwrap().interpreter, PathBuf::from("/bin/sh"));
    }
}
