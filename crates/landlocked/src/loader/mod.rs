//! The files a program needs to start, found by reading it as the kernel and the dynamic loader
//! will, never by running it (as `ldd` does): what `landlocked run --ldd` grants.
//!
//! The program being sandboxed must never choose its own sandbox, and its headers and its `#!`
//! line are input from it. So only what would really be executed or mapped is followed, and
//! only regular files that parse as ELF objects of the right kind are ever granted:
//!
//! - A `#!` script's interpreter, if it is an ELF executable this machine runs (a script as
//!   interpreter is not followed); for `#!/usr/bin/env PROG` (the system's `env` only, or
//!   `env -S`), PROG as `env` finds it in `PATH`, under the same condition. A file that is
//!   neither ELF nor `#!` is run by `/bin/sh` (as `execvp` does), so `/bin/sh` is followed.
//! - The first `PT_INTERP` of the program the kernel executes, only: a library's is read by
//!   nobody. It must be an ELF executable of the program's class and machine.
//! - `DT_NEEDED` only where a loader will process it: of a program that has a `PT_INTERP` (a
//!   static or static-pie program has no loader: its dynamic section is ignored), and of every
//!   library that loader maps, breadth first as glibc loads them, the dynamic section found at
//!   its address as the loader finds it. A name with a `/` is that path (`$ORIGIN` and the other
//!   tokens expanded); any other is searched as glibc does: `DT_RPATH` of the loading object and
//!   of the objects that loaded it (where none has `DT_RUNPATH`), `LD_LIBRARY_PATH`,
//!   `DT_RUNPATH` (only the last `DT_RPATH` and `DT_RUNPATH` of an object count, an empty entry
//!   is the working directory), the directories of `/etc/ld.so.conf` (what `ldconfig` caches),
//!   the default ones; in each, the best `glibc-hwcaps` variant this CPU can use, else the
//!   library itself, one file only. `$ORIGIN` is the program's real directory, or the directory
//!   a library was found in. An ELF file the kernel would not execute is run by `/bin/sh`. A
//!   `#!` line whose interpreter runs past what the kernel reads is no script. A candidate that
//!   cannot be opened, is not a regular file, not ELF, malformed, or of another class, byte order
//!   or machine is passed over, as the loader passes it over; only `ET_DYN` objects are
//!   libraries. For musl's loader (`ld-musl-*`), `libc.so` is the loader itself and its path file
//!   replaces `ld.so.conf`.
//!
//! Files are opened only once `stat` says they are regular (and big enough to be what is
//! looked for), with `O_NONBLOCK | O_NOCTTY`, and never read on /proc, /sys and their kind: a
//! FIFO or a device named anywhere neither hangs nor is touched. What is granted is the file
//! that was checked, by its open descriptor ([`Granted::fd`]): swapping it for a symlink
//! afterwards changes nothing. A program whose own headers do not hold together, chains deeper
//! than [`MAX_DEPTH`], more than [`MAX_OBJECTS`] objects or [`MAX_CANDIDATES`] files looked at,
//! and a broken `ld.so.conf` are errors: a search that cannot be trusted grants nothing.
//!
//! The same search serves a program packed for another system (`landlocked-vm` puts a dynamic
//! aarch64 program, its loader and its libraries in an initramfs on an x86-64 host): with
//! [`Config::root`], every path the target's kernel and loader open is looked up under that
//! root as if it were their `/`, symlinks included, and nothing is taken from this machine's
//! own files; with [`Config::machine`], what runs and which CPU variants are tried are that
//! machine's. [`Granted::guest`] is then where each file goes in the target.

pub(crate) mod elf;
mod expand;
mod ld_so_conf;
mod machine;
mod root;
mod script;
mod search;

pub use elf::interpreter;
pub use machine::Machine;

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// Libraries loading libraries deeper than this are not believed.
pub const MAX_DEPTH: usize = 32;
/// More objects than this in one program are not believed.
pub const MAX_OBJECTS: usize = 4096;
/// More files looked at than this (search directories times names) are not believed.
pub const MAX_CANDIDATES: usize = 65536;

/// Why a resolution failed. Each names the file at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read (other than not existing).
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: String,
    },
    /// The program itself is not a regular file (a FIFO, a device, a directory).
    NotRegular(PathBuf),
    /// An ELF file whose headers do not hold together.
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A line of `ld.so.conf` (or a file it includes) that cannot be used.
    LdSoConf {
        /// The file.
        file: PathBuf,
        /// Its line, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Libraries needing libraries deeper than [`MAX_DEPTH`].
    TooDeep {
        /// The library at that depth.
        path: PathBuf,
    },
    /// More than [`MAX_OBJECTS`] objects, or more than [`MAX_CANDIDATES`] files looked at.
    TooMany,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, error } => write!(f, "{}: {error}", path.display()),
            Error::NotRegular(path) => write!(f, "{}: not a regular file", path.display()),
            Error::Malformed { path, reason } => {
                write!(f, "{}: malformed ELF file: {reason}", path.display())
            }
            Error::LdSoConf { file, line, reason } => {
                write!(f, "{}:{line}: {reason}", file.display())
            }
            Error::TooDeep { path } => write!(
                f,
                "{}: libraries needing libraries more than {MAX_DEPTH} deep",
                path.display()
            ),
            Error::TooMany => {
                write!(f, "more than {MAX_OBJECTS} libraries or {MAX_CANDIDATES} files to look at")
            }
        }
    }
}

impl std::error::Error for Error {}

/// A file named by the program (or what it runs) and not granted, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The file as named (under a root, that name under the root).
    pub path: PathBuf,
    /// The object or script that named it, as named.
    pub named_by: PathBuf,
    /// Why it is not granted.
    pub reason: Reason,
}

/// Why a named file is not granted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// It is not a regular file of a real filesystem.
    NotRegular,
    /// It is not an ELF file.
    NotElf,
    /// An ELF file of another class, byte order or machine, or not of a loadable type.
    WrongKind,
    /// A script named as a `#!` interpreter (or run by `env`): not followed.
    Script,
    /// It does not exist.
    Missing,
    /// It cannot be opened.
    Unreadable(String),
    /// An ELF file whose headers do not hold together.
    Malformed(String),
    /// `env` arguments whose program cannot be told: not followed.
    EnvArguments,
    /// A relative path under a root: it depends on the target's working directory, which is
    /// not known, so it is not looked up.
    Relative,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotRegular => f.write_str("not a regular file"),
            Reason::NotElf => f.write_str("not an ELF file"),
            Reason::WrongKind => f.write_str("not an ELF object of the right class and machine"),
            Reason::Script => f.write_str("a script as interpreter, not followed"),
            Reason::Missing => f.write_str("not found"),
            Reason::Unreadable(e) => write!(f, "cannot be opened: {e}"),
            Reason::Malformed(e) => write!(f, "malformed: {e}"),
            Reason::EnvArguments => f.write_str("env's arguments not understood, not followed"),
            Reason::Relative => {
                f.write_str("relative to the target's working directory, not looked up")
            }
        }
    }
}

/// A file to allow reading and executing: the one that was checked, open.
#[derive(Debug)]
pub struct Granted {
    /// Its path on this machine: as found; under a root, where the file really is in it (its
    /// symlinks resolved inside the root), so that reading this path here reads this file.
    pub path: PathBuf,
    /// Under a root, the path the target's kernel or loader opens it by, absolute in the target
    /// (`.` and `..` taken out): where to put it for the target to find it, even where that
    /// name is a symlink in the root. `None` without a root, and for a file outside it (a
    /// program given outside it, and what `$ORIGIN` names beside that program).
    pub guest: Option<PathBuf>,
    /// The file itself: a rule on this descriptor grants exactly what was checked, whatever
    /// the path leads to by the time the sandbox is made.
    pub fd: OwnedFd,
}

/// What [`resolve`] found.
#[derive(Debug, Default)]
pub struct Found {
    /// Files to allow reading and executing: the program, its interpreters, its libraries.
    pub files: Vec<Granted>,
    /// Libraries named but found nowhere (the loader will fail on them), with what needs them
    /// (as named).
    pub not_found: Vec<(OsString, PathBuf)>,
    /// Files named but not granted.
    pub refused: Vec<Refused>,
}

impl Found {
    /// The paths of the files granted, in order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|g| g.path.as_path())
    }
}

/// The environment the program will run with: what its loader and `env` will read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Environment<'a> {
    /// `LD_LIBRARY_PATH`.
    pub ld_library_path: Option<&'a OsStr>,
    /// `PATH`, for `#!/usr/bin/env PROG`.
    pub path: Option<&'a OsStr>,
}

/// Where the loader's configuration is, and the system it is for: this one's by default.
#[derive(Clone, Debug)]
pub struct Config {
    /// glibc's `ld.so.conf`.
    pub ld_so_conf: PathBuf,
    /// The directory of musl's `ld-musl-ARCH.path` files.
    pub etc: PathBuf,
    /// The directories searched last (empty: the loader's own defaults).
    pub default_dirs: Vec<PathBuf>,
    /// The `env` programs `#!` lines may use (`/usr/bin/env`, `/bin/env`): only the same file.
    pub env_programs: Vec<PathBuf>,
    /// The root of the system the program runs in (a sysroot such as Debian's
    /// `/usr/aarch64-linux-gnu`), `None` for this one. Every path the target opens is looked up
    /// under it: the `PT_INTERP` and `#!` interpreters, `/bin/sh`, the paths above, what
    /// `ld.so.conf` includes and lists, the default directories (the multiarch `lib/<triplet>`
    /// ones, `lib`, `usr/lib`...), absolute `DT_RPATH`, `DT_RUNPATH`, `LD_LIBRARY_PATH` and
    /// `DT_NEEDED` paths, `env`'s `PATH`. Symlinks resolve inside it (an absolute one from the
    /// root, `..` stopping at it), as the target's kernel resolves them: nothing is taken from
    /// this machine's files. A relative path there (the target's working directory is not
    /// known) is not looked up. The program is a path of this machine: outside the root, it and
    /// what `$ORIGIN` names beside it are opened as they are, for a caller that puts the
    /// program at that same path in the target (as `landlocked-vm` does), where its loader's
    /// `$ORIGIN` is that directory too. Not for sandboxes: `landlocked run --ldd` has no root.
    pub root: Option<PathBuf>,
    /// The machine the program runs on, `None` for this one: what its kernel executes, its
    /// `glibc-hwcaps` variants and `$PLATFORM`. This CPU is asked only for this machine; for
    /// another, none of the variants and its baseline `$PLATFORM` (`aarch64`, `x86_64`).
    pub machine: Option<Machine>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            ld_so_conf: "/etc/ld.so.conf".into(),
            etc: "/etc".into(),
            default_dirs: Vec::new(),
            env_programs: vec!["/usr/bin/env".into(), "/bin/env".into()],
            root: None,
            machine: None,
        }
    }
}

/// The files `program` (a path to it, as it will be executed) needs to start, with
/// `environment` as it will have it.
pub fn resolve(program: &Path, environment: &Environment<'_>) -> Result<Found, Error> {
    resolve_with(program, environment, &Config::default())
}

/// [`resolve`] with another loader configuration: for tests, or another system's root and
/// machine.
pub fn resolve_with(
    program: &Path,
    environment: &Environment<'_>,
    config: &Config,
) -> Result<Found, Error> {
    search::resolve(program, environment, config)
}

#[cfg(test)]
mod tests;
