//! The search: the program, what runs it, its loader, and the libraries that loader maps.

use std::collections::{HashSet, VecDeque};
use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::elf::{self, Kind, Object, Opened};
use super::expand::{Expanded, TOO_MANY_DIRS, expand_all, search_list, split_search_path};
use super::machine::{self, Target};
use super::root::Tree;
use super::{Config, Environment, Error, Found, Granted, Reason, Refused, ld_so_conf, script};
use super::{MAX_CANDIDATES, MAX_DEPTH, MAX_OBJECTS};

/// [`super::resolve_with`].
pub(super) fn resolve(
    program: &Path,
    environment: &Environment<'_>,
    config: &Config,
) -> Result<Found, Error> {
    let mut search = Search {
        environment,
        config,
        tree: Tree::new(config.root.as_deref())?,
        target: Target::new(config.machine),
        system_dirs: None,
        found: Found::default(),
        seen: HashSet::new(),
        candidates: 0,
    };
    let (opened, real) = search.tree.open_regular(program, 0)?;
    let file = match opened {
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
    search.grant(program, &real, fd.into())?;
    if let Some(line) = script::shebang(&head) {
        search.script(program, &line)?;
    } else if elf::has_elf_magic(&head) {
        // The program's own headers: if they do not hold together, nothing is granted.
        let object = elf::read(program, file)?;
        if object.is_executable() && search.target.runs(object.kind) {
            search.executable(program, object)?;
        } else {
            // The kernel does not execute it (ENOEXEC): /bin/sh runs it, as for text.
            search.shell(program)?;
        }
    } else {
        search.shell(program)?;
    }
    Ok(search.found)
}

/// One object whose `DT_NEEDED` the loader processes, and how it came to be loaded.
struct Pending {
    /// As named: its `$ORIGIN` is the directory it was found in.
    path: PathBuf,
    object: Object,
    /// The expanded `DT_RPATH` of the objects that loaded it, nearest first, each only if it has
    /// no `DT_RUNPATH`: shared, not copied, between the libraries of one object.
    loaders_rpath: Rc<Vec<PathBuf>>,
    depth: usize,
}

/// An ELF object found: it, open, and where it really is ([`Tree::open_regular`]).
struct Hit {
    object: Object,
    file: File,
    real: PathBuf,
}

/// What a candidate file turned out to be.
enum Candidate {
    Object(Hit),
    Refused(Reason),
}

struct Search<'a> {
    environment: &'a Environment<'a>,
    config: &'a Config,
    /// Where paths are looked up: every path of the target becomes one of this tree's where it
    /// arises, and only those and the program's (with `$ORIGIN` beside it) are opened.
    tree: Tree,
    target: Target,
    /// The directories of `ld.so.conf` (or musl's path file), read when first needed.
    system_dirs: Option<Vec<PathBuf>>,
    found: Found,
    /// The files granted, by device and inode.
    seen: HashSet<(u64, u64)>,
    candidates: usize,
}

impl Search<'_> {
    /// Adds the open file, named `path` and really at `real`, to those granted; false if it
    /// already was (by any name).
    fn grant(&mut self, path: &Path, real: &Path, fd: OwnedFd) -> Result<bool, Error> {
        let meta = File::from(fd.try_clone().map_err(|e| elf::io_error(path, &e))?)
            .metadata()
            .map_err(|e| elf::io_error(path, &e))?;
        if !self.seen.insert((meta.dev(), meta.ino())) {
            return Ok(false);
        }
        if self.found.files.len() >= MAX_OBJECTS {
            return Err(Error::TooMany);
        }
        let guest = self.tree.guest(path);
        self.found.files.push(Granted { path: real.to_path_buf(), guest, fd });
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
        let (opened, real) = self.tree.open_regular(path, elf::MIN_ELF_SIZE)?;
        let file = match opened {
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
            Ok(object) => Ok(Candidate::Object(Hit { object, file, real })),
            Err(Error::Malformed { reason, .. }) => {
                Ok(Candidate::Refused(Reason::Malformed(reason)))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether `file` is the system's `env` (the same file, not merely a file of that name).
    fn is_env(&self, file: &File) -> bool {
        let Ok(meta) = file.metadata() else { return false };
        let mut envs = self.config.env_programs.iter().filter_map(|env| self.tree.host(env));
        envs.any(|env| self.tree.file_id(&env) == Some((meta.dev(), meta.ino())))
    }

    /// A file the kernel does not execute (ENOEXEC): `/bin/sh` runs it, which landlocked
    /// chooses, not the file.
    fn shell(&mut self, program: &Path) -> Result<(), Error> {
        if let Some(sh) = self.tree.host(Path::new("/bin/sh")) {
            self.interpreter(&sh, program)?;
        }
        Ok(())
    }

    /// A `#!` script: its interpreter, and what `env` runs.
    fn script(&mut self, script: &Path, line: &script::Shebang) -> Result<(), Error> {
        let Some(named) = self.tree.host(&line.interpreter) else {
            self.refuse(&line.interpreter, script, Reason::Relative);
            return Ok(());
        };
        let Some(interp) = self.interpreter(&named, script)? else { return Ok(()) };
        if let (true, Some(argument)) = (self.is_env(&interp), &line.argument) {
            match script::env_program(argument) {
                Some(program) => {
                    let program = OsStr::from_bytes(program);
                    match self.tree.find_program(program, self.environment.path) {
                        Some(found) => {
                            self.interpreter(&found, &named)?;
                        }
                        None => self.refuse(Path::new(program), &named, Reason::Missing),
                    }
                }
                None => {
                    let what = PathBuf::from(OsStr::from_bytes(argument));
                    self.refuse(&what, &named, Reason::EnvArguments);
                }
            }
        }
        Ok(())
    }

    /// A program run as an interpreter: granted and followed only if it is an ELF executable
    /// the target runs. Returns it, open, when it is.
    fn interpreter(&mut self, path: &Path, named_by: &Path) -> Result<Option<File>, Error> {
        match self.candidate(path)? {
            Candidate::Object(hit)
                if hit.object.is_executable() && self.target.runs(hit.object.kind) =>
            {
                let fd = hit.file.try_clone().map_err(|e| elf::io_error(path, &e))?;
                if self.grant(path, &hit.real, fd.into())? {
                    self.executable(path, hit.object)?;
                }
                Ok(Some(hit.file))
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
        let Some(named) = object.interp.clone() else {
            // Static, or static-pie: nothing reads its DT_NEEDED.
            return Ok(());
        };
        let musl = named.file_name().is_some_and(|n| n.as_bytes().starts_with(b"ld-musl-"));
        let Some(interp) = self.tree.host(&named) else {
            self.refuse(&named, path, Reason::Relative);
            return Ok(());
        };
        match self.candidate(&interp)? {
            Candidate::Object(hit)
                if hit.object.is_executable() && hit.object.kind == object.kind =>
            {
                self.grant(&interp, &hit.real, hit.file.into())?;
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
            let origin = self.origin_of(&item.path, item.depth == 0);
            let (lib, platform) = (self.lib_token(kind), self.target.platform());
            let list = |string: &Option<Vec<u8>>| -> Result<Vec<PathBuf>, Error> {
                let entries = string.as_deref().map(search_list).transpose().map_err(|()| {
                    Error::Malformed { path: item.path.clone(), reason: TOO_MANY_DIRS.into() }
                })?;
                let expanded = expand_all(&entries.unwrap_or_default(), &origin, &lib, platform);
                Ok(expanded.into_iter().filter_map(|e| self.place(e).ok()).collect())
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
            let ld_library_path = split_search_path(self.environment.ld_library_path);
            dirs.extend(ld_library_path.iter().filter_map(|d| self.tree.host(d)));
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
                    for expanded in expand_all(&[name.as_bytes().to_vec()], &origin, &lib, platform)
                    {
                        let path = match self.place(expanded) {
                            Ok(path) => path,
                            Err(path) => {
                                self.refuse(&path, &item.path, Reason::Relative);
                                continue;
                            }
                        };
                        match self.candidate(&path)? {
                            Candidate::Object(hit)
                                if hit.object.is_library() && hit.object.kind == kind =>
                            {
                                found.push((path, hit));
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
                for (path, hit) in found {
                    if self.grant(&path, &hit.real, hit.file.into())? {
                        queue.push_back(Pending {
                            path,
                            object: hit.object,
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
    /// loader takes: the best of its variants for the target's CPU, else the library itself.
    fn search(
        &mut self,
        name: &OsStr,
        dirs: &[PathBuf],
        kind: Kind,
    ) -> Result<Vec<(PathBuf, Hit)>, Error> {
        for dir in dirs {
            let variants = self.target.hwcaps_subdirs(kind);
            let variants = variants.into_iter().map(|v| dir.join("glibc-hwcaps").join(v));
            for place in variants.chain([dir.clone()]) {
                let path = place.join(name);
                if let Candidate::Object(hit) = self.candidate(&path)? {
                    if hit.object.is_library() && hit.object.kind == kind {
                        return Ok(vec![(path, hit)]);
                    }
                }
            }
        }
        Ok(Vec::new())
    }

    /// The system's directories for the loader in use, then the default ones: the target's.
    fn system_dirs(&mut self, musl: bool, kind: Kind) -> Result<&[PathBuf], Error> {
        if self.system_dirs.is_none() {
            let mut dirs = if musl {
                let file = machine::musl_arch(kind).and_then(|arch| {
                    self.tree.host(&self.config.etc.join(format!("ld-musl-{arch}.path")))
                });
                match file {
                    Some(file) => ld_so_conf::musl_directories(&self.tree, &file)?,
                    None => Vec::new(),
                }
            } else {
                match self.tree.host(&self.config.ld_so_conf) {
                    Some(file) => ld_so_conf::directories(&self.tree, &file)?,
                    None => Vec::new(),
                }
            };
            let defaults = if self.config.default_dirs.is_empty() {
                machine::default_dirs(kind, musl)
            } else {
                self.config.default_dirs.clone()
            };
            dirs.extend(defaults.iter().filter_map(|d| self.tree.host(d)));
            dedup(&mut dirs);
            self.system_dirs = Some(dirs);
        }
        Ok(self.system_dirs.as_deref().unwrap_or_default())
    }

    /// Where an expanded entry is on this machine: beside its object for `$ORIGIN`, else a
    /// path of the target, in the tree; `Err` with the entry for one that cannot be told (a
    /// relative one under a root).
    fn place(&self, expanded: Expanded) -> Result<PathBuf, PathBuf> {
        if expanded.from_origin {
            return Ok(expanded.path);
        }
        self.tree.host(&expanded.path).ok_or(expanded.path)
    }

    /// `$LIB`: `lib/<multiarch>` where the target is multiarch, as Debian is, else `lib64` or
    /// `lib`.
    fn lib_token(&self, kind: Kind) -> String {
        let multiarch = machine::multiarch(kind).map(|t| format!("lib/{t}")).filter(|lib| {
            self.tree.host(&Path::new("/").join(lib)).is_some_and(|d| self.tree.is_dir(&d))
        });
        multiarch.unwrap_or_else(|| if kind.is64 { "lib64" } else { "lib" }.to_string())
    }

    /// `$ORIGIN` of an object: for the program, the directory of its real path (glibc reads
    /// `/proc/self/exe`); for a library, the directory of the path it was found at.
    fn origin_of(&self, path: &Path, program: bool) -> PathBuf {
        let path = if program {
            self.tree.canonical(path).unwrap_or_else(|| path.to_path_buf())
        } else if path.is_relative() {
            std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
        } else {
            path.to_path_buf()
        };
        path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }
}

/// Removes repeated directories, keeping the first of each.
fn dedup(dirs: &mut Vec<PathBuf>) {
    let mut seen = HashSet::new();
    dirs.retain(|d| seen.insert(d.clone()));
}
