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

pub(crate) mod elf;
mod ld_so_conf;
mod script;

pub use elf::interpreter;

use std::collections::{HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use elf::{Kind, Object, Opened};

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
    /// The file as named.
    pub path: PathBuf,
    /// The object or script that named it.
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
        }
    }
}

/// A file to allow reading and executing: the one that was checked, open.
#[derive(Debug)]
pub struct Granted {
    /// Its path, as found.
    pub path: PathBuf,
    /// The file itself: a rule on this descriptor grants exactly what was checked, whatever
    /// the path leads to by the time the sandbox is made.
    pub fd: OwnedFd,
}

/// What [`resolve`] found.
#[derive(Debug, Default)]
pub struct Found {
    /// Files to allow reading and executing: the program, its interpreters, its libraries.
    pub files: Vec<Granted>,
    /// Libraries named but found nowhere (the loader will fail on them), with what needs them.
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

/// Where the loader's configuration is: the system's by default.
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
}

impl Default for Config {
    fn default() -> Config {
        Config {
            ld_so_conf: "/etc/ld.so.conf".into(),
            etc: "/etc".into(),
            default_dirs: Vec::new(),
            env_programs: vec!["/usr/bin/env".into(), "/bin/env".into()],
        }
    }
}

/// The files `program` (a path to it, as it will be executed) needs to start, with
/// `environment` as it will have it.
pub fn resolve(program: &Path, environment: &Environment<'_>) -> Result<Found, Error> {
    resolve_with(program, environment, &Config::default())
}

/// [`resolve`] with another loader configuration (for tests, or another root).
pub fn resolve_with(
    program: &Path,
    environment: &Environment<'_>,
    config: &Config,
) -> Result<Found, Error> {
    let mut search = Search {
        environment,
        config,
        system_dirs: None,
        found: Found::default(),
        seen: HashSet::new(),
        candidates: 0,
    };
    let file = match elf::open_regular(program, 0)? {
        Opened::File(file) => file,
        Opened::NotRegular | Opened::TooSmall => {
            return Err(Error::NotRegular(program.to_path_buf()));
        }
        Opened::Missing => {
            return Err(Error::Io { path: program.to_path_buf(), error: "not found".into() });
        }
        Opened::Unreadable(e) => return Err(elf::io_error(program, &e)),
    };
    let head = elf::head(&file, script::HEAD).map_err(|e| elf::io_error(program, &e))?;
    let fd = file.try_clone().map_err(|e| elf::io_error(program, &e))?;
    search.grant(program, fd.into())?;
    if let Some(line) = script::shebang(&head) {
        search.script(program, &line)?;
    } else if elf::has_elf_magic(&head) {
        // The program's own headers: if they do not hold together, nothing is granted.
        let object = elf::read(program, file)?;
        if object.is_executable() && runs_here(object.kind) {
            search.executable(program, object)?;
        } else {
            // The kernel does not execute it (ENOEXEC): /bin/sh runs it, as for text.
            search.interpreter(Path::new("/bin/sh"), program)?;
        }
    } else {
        // ENOEXEC: run by /bin/sh, which landlocked chooses, not the file.
        search.interpreter(Path::new("/bin/sh"), program)?;
    }
    Ok(search.found)
}

/// One object whose `DT_NEEDED` the loader processes, and how it came to be loaded.
struct Pending {
    path: PathBuf,
    object: Object,
    /// The expanded `DT_RPATH` of the objects that loaded it, nearest first, each only if it has
    /// no `DT_RUNPATH`: shared, not copied, between the libraries of one object.
    loaders_rpath: Rc<Vec<PathBuf>>,
    depth: usize,
}

/// What a candidate file turned out to be.
enum Candidate {
    Object(Object, File),
    Refused(Reason),
}

struct Search<'a> {
    environment: &'a Environment<'a>,
    config: &'a Config,
    /// The directories of `ld.so.conf` (or musl's path file), read when first needed.
    system_dirs: Option<Vec<PathBuf>>,
    found: Found,
    /// The files granted, by device and inode.
    seen: HashSet<(u64, u64)>,
    candidates: usize,
}

impl Search<'_> {
    /// Adds the open file to those granted; false if it already was (by any name).
    fn grant(&mut self, path: &Path, fd: OwnedFd) -> Result<bool, Error> {
        let meta = File::from(fd.try_clone().map_err(|e| elf::io_error(path, &e))?)
            .metadata()
            .map_err(|e| elf::io_error(path, &e))?;
        if !self.seen.insert((meta.dev(), meta.ino())) {
            return Ok(false);
        }
        if self.found.files.len() >= MAX_OBJECTS {
            return Err(Error::TooMany);
        }
        self.found.files.push(Granted { path: path.to_path_buf(), fd });
        Ok(true)
    }

    fn refuse(&mut self, path: &Path, named_by: &Path, reason: Reason) {
        self.found.refused.push(Refused {
            path: path.to_path_buf(),
            named_by: named_by.to_path_buf(),
            reason,
        });
    }

    /// Opens a candidate and reads it if it is an ELF file. Nothing about it is an error: the
    /// loader passes over what it cannot use, and so does the search.
    fn candidate(&mut self, path: &Path) -> Result<Candidate, Error> {
        self.candidates += 1;
        if self.candidates > MAX_CANDIDATES {
            return Err(Error::TooMany);
        }
        let file = match elf::open_regular(path, elf::MIN_ELF_SIZE)? {
            Opened::File(file) => file,
            Opened::NotRegular => return Ok(Candidate::Refused(Reason::NotRegular)),
            Opened::TooSmall => return Ok(Candidate::Refused(Reason::NotElf)),
            Opened::Missing => return Ok(Candidate::Refused(Reason::Missing)),
            Opened::Unreadable(e) => {
                return Ok(Candidate::Refused(Reason::Unreadable(e.to_string())));
            }
        };
        let head = elf::head(&file, script::HEAD).map_err(|e| elf::io_error(path, &e))?;
        if script::shebang(&head).is_some() {
            return Ok(Candidate::Refused(Reason::Script));
        }
        if !elf::has_elf_magic(&head) {
            return Ok(Candidate::Refused(Reason::NotElf));
        }
        let reader = file.try_clone().map_err(|e| elf::io_error(path, &e))?;
        match elf::read(path, reader) {
            Ok(object) => Ok(Candidate::Object(object, file)),
            Err(Error::Malformed { reason, .. }) => {
                Ok(Candidate::Refused(Reason::Malformed(reason)))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether `path` is the system's `env` (the same file, not merely a file of that name).
    fn is_env(&self, file: &File) -> bool {
        let Ok(meta) = file.metadata() else { return false };
        self.config.env_programs.iter().any(|env| {
            std::fs::metadata(env).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
        })
    }

    /// A `#!` script: its interpreter, and what `env` runs.
    fn script(&mut self, script: &Path, line: &script::Shebang) -> Result<(), Error> {
        let Some(interp) = self.interpreter(&line.interpreter, script)? else { return Ok(()) };
        if let (true, Some(argument)) = (self.is_env(&interp), &line.argument) {
            match script::env_program(argument) {
                Some(program) => {
                    let program = OsStr::from_bytes(program);
                    match lookup(program, self.environment.path) {
                        Some(found) => {
                            self.interpreter(&found, &line.interpreter)?;
                        }
                        None => self.refuse(Path::new(program), &line.interpreter, Reason::Missing),
                    }
                }
                None => {
                    let what = PathBuf::from(OsStr::from_bytes(argument));
                    self.refuse(&what, &line.interpreter, Reason::EnvArguments);
                }
            }
        }
        Ok(())
    }

    /// A program run as an interpreter: granted and followed only if it is an ELF executable
    /// this machine runs. Returns it, open, when it is.
    fn interpreter(&mut self, path: &Path, named_by: &Path) -> Result<Option<File>, Error> {
        match self.candidate(path)? {
            Candidate::Object(object, file) if object.is_executable() && runs_here(object.kind) => {
                let fd = file.try_clone().map_err(|e| elf::io_error(path, &e))?;
                if self.grant(path, fd.into())? {
                    self.executable(path, object)?;
                }
                Ok(Some(file))
            }
            Candidate::Object(..) => {
                self.refuse(path, named_by, Reason::WrongKind);
                Ok(None)
            }
            Candidate::Refused(reason) => {
                self.refuse(path, named_by, reason);
                Ok(None)
            }
        }
    }

    /// An ELF program the kernel executes (already granted): its loader, then its libraries if
    /// it has a loader.
    fn executable(&mut self, path: &Path, object: Object) -> Result<(), Error> {
        let Some(interp) = object.interp.clone() else {
            // Static, or static-pie: nothing reads its DT_NEEDED.
            return Ok(());
        };
        let musl = interp.file_name().is_some_and(|n| n.as_bytes().starts_with(b"ld-musl-"));
        match self.candidate(&interp)? {
            Candidate::Object(loader, file)
                if loader.is_executable() && loader.kind == object.kind =>
            {
                self.grant(&interp, file.into())?;
            }
            Candidate::Object(..) => {
                self.refuse(&interp, path, Reason::WrongKind);
                return Ok(());
            }
            Candidate::Refused(reason) => {
                self.refuse(&interp, path, reason);
                return Ok(());
            }
        }
        let program =
            Pending { path: path.to_path_buf(), object, loaders_rpath: Rc::default(), depth: 0 };
        self.libraries(program, &interp, musl)
    }

    /// Every library the loader maps for the program, breadth first.
    fn libraries(&mut self, program: Pending, interp: &Path, musl: bool) -> Result<(), Error> {
        let mut queue = VecDeque::from([program]);
        while let Some(item) = queue.pop_front() {
            if item.depth > MAX_DEPTH {
                return Err(Error::TooDeep { path: item.path });
            }
            let kind = item.object.kind;
            let origin = origin_of(&item.path, item.depth == 0);
            let list = |string: &Option<Vec<u8>>| -> Result<Vec<PathBuf>, Error> {
                let entries = string.as_deref().map(search_list).transpose().map_err(|()| {
                    Error::Malformed { path: item.path.clone(), reason: TOO_MANY_DIRS.into() }
                })?;
                Ok(expand_all(&entries.unwrap_or_default(), &origin, kind))
            };
            let rpath = list(&item.object.rpath)?;
            let runpath = list(&item.object.runpath)?;
            let mut dirs = Vec::new();
            // A DT_RUNPATH, even empty, turns every DT_RPATH off, the loaders' too.
            let chain = if item.object.runpath.is_none() {
                let mut chain = rpath;
                chain.extend(item.loaders_rpath.iter().cloned());
                dedup(&mut chain);
                let chain = Rc::new(chain);
                dirs.extend(chain.iter().cloned());
                chain
            } else {
                Rc::default()
            };
            dirs.extend(split_search_path(self.environment.ld_library_path));
            dirs.extend(runpath);
            dirs.extend(self.system_dirs(musl, kind)?.iter().cloned());
            dedup(&mut dirs);
            for name in &item.object.needed {
                let name = OsStr::from_bytes(name);
                // musl's loader is its libc.
                if musl && (name == "libc.so" || Some(name) == interp.file_name()) {
                    continue;
                }
                let found = if name.as_bytes().contains(&b'/') {
                    let mut found = Vec::new();
                    for path in expand_all(&[name.as_bytes().to_vec()], &origin, kind) {
                        match self.candidate(&path)? {
                            Candidate::Object(o, f) if o.is_library() && o.kind == kind => {
                                found.push((path, o, f));
                                break;
                            }
                            Candidate::Object(..) => {
                                self.refuse(&path, &item.path, Reason::WrongKind)
                            }
                            Candidate::Refused(reason) => self.refuse(&path, &item.path, reason),
                        }
                    }
                    found
                } else {
                    self.search(name, &dirs, kind)?
                };
                if found.is_empty() && !name.as_bytes().contains(&b'/') {
                    self.found.not_found.push((name.to_os_string(), item.path.clone()));
                }
                for (path, object, file) in found {
                    if self.grant(&path, file.into())? {
                        queue.push_back(Pending {
                            path,
                            object,
                            loaders_rpath: Rc::clone(&chain),
                            depth: item.depth + 1,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// `name` in `dirs`: in the first directory holding a library of this kind, the one the
    /// loader takes: the best of its variants for this CPU, else the library itself.
    fn search(
        &mut self,
        name: &OsStr,
        dirs: &[PathBuf],
        kind: Kind,
    ) -> Result<Vec<(PathBuf, Object, File)>, Error> {
        for dir in dirs {
            let variants =
                hwcaps_subdirs(kind).into_iter().map(|v| dir.join("glibc-hwcaps").join(v));
            for place in variants.chain([dir.clone()]) {
                let path = place.join(name);
                if let Candidate::Object(o, f) = self.candidate(&path)? {
                    if o.is_library() && o.kind == kind {
                        return Ok(vec![(path, o, f)]);
                    }
                }
            }
        }
        Ok(Vec::new())
    }

    /// The system's directories for the loader in use, then the default ones.
    fn system_dirs(&mut self, musl: bool, kind: Kind) -> Result<&[PathBuf], Error> {
        if self.system_dirs.is_none() {
            let mut dirs = if musl {
                musl_path(&self.config.etc, kind)?
            } else {
                ld_so_conf::directories(&self.config.ld_so_conf)?
            };
            if self.config.default_dirs.is_empty() {
                dirs.extend(default_dirs(kind, musl));
            } else {
                dirs.extend(self.config.default_dirs.iter().cloned());
            }
            dedup(&mut dirs);
            self.system_dirs = Some(dirs);
        }
        Ok(self.system_dirs.as_deref().unwrap_or_default())
    }
}

/// Removes repeated directories, keeping the first of each.
fn dedup(dirs: &mut Vec<PathBuf>) {
    let mut seen = HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
}

/// Whether this machine's kernel runs ELF programs of `kind`: its own, or the 32-bit ones of
/// its compat layer.
fn runs_here(kind: Kind) -> bool {
    use object::elf::{EM_386, EM_AARCH64, EM_ARM, EM_X86_64};
    let native = if cfg!(target_arch = "x86_64") {
        [EM_X86_64, EM_386]
    } else if cfg!(target_arch = "aarch64") {
        [EM_AARCH64, EM_ARM]
    } else {
        return true;
    };
    native.contains(&kind.machine) && kind.little
}

/// The `glibc-hwcaps` subdirectories glibc tries for objects of `kind` on this CPU, best first:
/// the x86-64 micro-architecture levels the CPU has (glibc 2.33 and later); none elsewhere.
fn hwcaps_subdirs(kind: Kind) -> Vec<&'static str> {
    #[cfg(target_arch = "x86_64")]
    if kind.machine == object::elf::EM_X86_64 {
        use std::arch::is_x86_feature_detected as has;
        // LAHF/SAHF in 64-bit mode, which std does not name: CPUID 0x80000001, ECX bit 0.
        // SAFETY: CPUID exists on every x86-64 CPU.
        #[allow(unused_unsafe)]
        let lahf = unsafe { std::arch::x86_64::__cpuid(0x8000_0001) }.ecx & 1 == 1;
        let v2 = lahf
            && has!("cmpxchg16b")
            && has!("popcnt")
            && has!("sse3")
            && has!("sse4.1")
            && has!("sse4.2")
            && has!("ssse3");
        let v3 = v2
            && has!("avx")
            && has!("avx2")
            && has!("bmi1")
            && has!("bmi2")
            && has!("f16c")
            && has!("fma")
            && has!("lzcnt")
            && has!("movbe")
            && has!("xsave");
        let v4 = v3
            && has!("avx512f")
            && has!("avx512bw")
            && has!("avx512cd")
            && has!("avx512dq")
            && has!("avx512vl");
        let levels = [(v4, "x86-64-v4"), (v3, "x86-64-v3"), (v2, "x86-64-v2")];
        return levels.into_iter().filter(|(has, _)| *has).map(|(_, name)| name).collect();
    }
    let _ = kind;
    Vec::new()
}

/// The Debian multiarch directory name of a machine.
fn multiarch(kind: Kind) -> Option<&'static str> {
    use object::elf::{EM_386, EM_AARCH64, EM_ARM, EM_X86_64};
    match kind.machine {
        EM_X86_64 => Some("x86_64-linux-gnu"),
        EM_AARCH64 => Some("aarch64-linux-gnu"),
        EM_386 => Some("i386-linux-gnu"),
        EM_ARM => Some("arm-linux-gnueabihf"),
        _ => None,
    }
}

/// The loader's built-in directories (candidates of another kind are passed over anyway).
fn default_dirs(kind: Kind, musl: bool) -> Vec<PathBuf> {
    if musl {
        return ["/lib", "/usr/local/lib", "/usr/lib"].map(PathBuf::from).into();
    }
    let mut dirs = Vec::new();
    if let Some(triplet) = multiarch(kind) {
        dirs.push(Path::new("/lib").join(triplet));
        dirs.push(Path::new("/usr/lib").join(triplet));
    }
    let lib = if kind.is64 {
        ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    } else {
        ["/lib", "/usr/lib", "/lib32", "/usr/lib32"]
    };
    dirs.extend(lib.map(PathBuf::from));
    dirs
}

/// musl's `/etc/ld-musl-ARCH.path`: directories separated by newlines or colons. Absent, the
/// default directories apply.
fn musl_path(etc: &Path, kind: Kind) -> Result<Vec<PathBuf>, Error> {
    use object::elf::{EM_386, EM_AARCH64, EM_ARM, EM_X86_64};
    let arch = match kind.machine {
        EM_X86_64 => "x86_64",
        EM_AARCH64 => "aarch64",
        EM_386 => "i386",
        EM_ARM => "armhf",
        _ => return Ok(Vec::new()),
    };
    let file = etc.join(format!("ld-musl-{arch}.path"));
    let Some(bytes) = ld_so_conf::read_config(&file)? else { return Ok(Vec::new()) };
    Ok(bytes
        .split(|&b| b == b'\n' || b == b':')
        .filter(|d| d.starts_with(b"/"))
        .map(|d| PathBuf::from(OsStr::from_bytes(d)))
        .collect())
}

/// `LD_LIBRARY_PATH`: colon or semicolon separated; an empty entry is the working directory.
fn split_search_path(value: Option<&OsStr>) -> Vec<PathBuf> {
    let Some(value) = value.filter(|v| !v.is_empty()) else { return Vec::new() };
    value
        .as_bytes()
        .split(|&b| b == b':' || b == b';')
        .map(
            |d| {
                if d.is_empty() { PathBuf::from(".") } else { PathBuf::from(OsStr::from_bytes(d)) }
            },
        )
        .collect()
}

/// What an expanded search directory of glibc holds more than this.
const TOO_MANY_DIRS: &str = "a search path of more than 256 directories";
const MAX_SEARCH_DIRS: usize = 256;

/// The entries of a `DT_RPATH` or `DT_RUNPATH` string: an empty one is the working directory,
/// as for glibc. More than [`MAX_SEARCH_DIRS`] are not believed.
fn search_list(string: &[u8]) -> Result<Vec<Vec<u8>>, ()> {
    let entries: Vec<Vec<u8>> = string
        .split(|&b| b == b':')
        .map(|e| if e.is_empty() { b".".to_vec() } else { e.to_vec() })
        .take(MAX_SEARCH_DIRS + 1)
        .collect();
    if entries.len() > MAX_SEARCH_DIRS { Err(()) } else { Ok(entries) }
}

/// `$ORIGIN` of an object: for the program, the directory of its real path (glibc reads
/// `/proc/self/exe`); for a library, the directory of the path it was found at.
fn origin_of(path: &Path, program: bool) -> PathBuf {
    let path = if program {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    } else if path.is_relative() {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    } else {
        path.to_path_buf()
    };
    path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// `$PLATFORM` as glibc 2.36 sets it: on x86-64, `haswell` for a CPU with AVX2, BMI1, BMI2,
/// LZCNT, MOVBE and POPCNT, else the kernel's `x86_64`; the machine's name elsewhere.
fn platform() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let haswell = has!("avx2")
            && has!("bmi1")
            && has!("bmi2")
            && has!("lzcnt")
            && has!("movbe")
            && has!("popcnt");
        if haswell { "haswell" } else { "x86_64" }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::consts::ARCH
    }
}

/// Every search directory (or path) of `entries` with `$ORIGIN`, `$LIB` and `$PLATFORM`
/// expanded (`$LIB` is `lib/<multiarch>` where the system is multiarch, as Debian is, else
/// `lib64` or `lib`).
fn expand_all(entries: &[Vec<u8>], origin: &Path, kind: Kind) -> Vec<PathBuf> {
    let multiarch_lib =
        multiarch(kind).map(|t| format!("lib/{t}")).filter(|lib| Path::new("/").join(lib).is_dir());
    let libs: Vec<String> =
        vec![multiarch_lib.unwrap_or_else(|| if kind.is64 { "lib64" } else { "lib" }.to_string())];
    let platform = platform();
    let mut out = Vec::new();
    for entry in entries {
        let with_origin = replace(entry, &["$ORIGIN", "${ORIGIN}"], origin.as_os_str().as_bytes());
        let with_platform =
            replace(&with_origin, &["$PLATFORM", "${PLATFORM}"], platform.as_bytes());
        if contains_any(&with_platform, &["$LIB", "${LIB}"]) {
            for lib in &libs {
                let expanded = replace(&with_platform, &["$LIB", "${LIB}"], lib.as_bytes());
                out.push(PathBuf::from(OsStr::from_bytes(&expanded)));
            }
        } else {
            out.push(PathBuf::from(OsStr::from_bytes(&with_platform)));
        }
    }
    out
}

fn contains_any(haystack: &[u8], needles: &[&str]) -> bool {
    needles.iter().any(|n| haystack.windows(n.len()).any(|w| w == n.as_bytes()))
}

/// `haystack` with each of `names` (longest first where they overlap) replaced by `value`.
fn replace(haystack: &[u8], names: &[&str], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    'outer: while i < haystack.len() {
        for name in names.iter().rev() {
            if haystack[i..].starts_with(name.as_bytes()) {
                out.extend_from_slice(value);
                i += name.len();
                continue 'outer;
            }
        }
        out.push(haystack[i]);
        i += 1;
    }
    out
}

/// The file `env` executes for `program`: `execvp`'s search, the core's (as for the command
/// itself), with the command's `PATH`.
fn lookup(program: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    use landlocked_core::exec;
    let mut buf = [0u8; exec::PATH_MAX];
    let found = exec::find_program(program.as_bytes(), path_var.map(OsStrExt::as_bytes), &mut buf);
    found.ok().map(|f| PathBuf::from(OsStr::from_bytes(f.to_bytes())))
}

#[cfg(test)]
mod tests;
