//! The files the target system sees: this machine's, or those under a root (a sysroot such as
//! Debian's `/usr/aarch64-linux-gnu`) for a program packed for another system.
//!
//! Under a root, a path is looked up as the target's kernel would look it up were the root its
//! `/`: one component at a time, from the descriptor of the directory holding it, never letting
//! the kernel follow a symlink. A symlink is read and followed here, an absolute one from the
//! root, and `..` stops at the root, as in a chroot. So no symlink, even one swapped in during
//! the lookup, leads to this machine's own files.
//!
//! The search's paths are this machine's: a path of the target becomes one under the root
//! ([`Tree::host`]) where it arises, and only a path under the root is looked up this way. The
//! program, given as a path of this machine, may be outside the root: it, and what `$ORIGIN`
//! names beside it, are then opened as without a root.

use std::ffi::{CStr, CString, OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use super::Error;
use super::elf::{self, Opened, Stat};

/// Symlinks followed in one lookup before it is a loop, as the kernel's `MAXSYMLINKS`.
const MAX_LINKS: usize = 40;

/// This machine's files, or a root's.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    root: Option<Root>,
}

#[derive(Debug)]
struct Root {
    /// Absolute, as given (not resolved: its own symlinks are the caller's choice).
    path: PathBuf,
    dir: OwnedFd,
}

/// Where a lookup under the root ended.
struct Located {
    /// The directories walked into below the root, open, with their names.
    parents: Vec<(OwnedFd, OsString)>,
    /// The last component (not a symlink) and what `fstatat` says of it; `None` where the path
    /// ends at a directory walked into (the root, `lib/..`).
    last: Option<(CString, libc::stat)>,
}

impl Tree {
    /// The files under `root`, or this machine's.
    pub(crate) fn new(root: Option<&Path>) -> Result<Tree, Error> {
        let Some(root) = root else { return Ok(Tree::default()) };
        // Canonical, as `$ORIGIN` is: a path reached through a link to the root is in it.
        let path = std::fs::canonicalize(root).map_err(|e| elf::io_error(root, &e))?;
        let dir = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
            .open(&path)
            .map_err(|e| elf::io_error(&path, &e))?;
        Ok(Tree { root: Some(Root { path, dir: dir.into() }) })
    }

    /// The path on this machine of a path of the target: itself, or under the root. `None`
    /// under a root for a relative path: the target's working directory is not known.
    pub(crate) fn host(&self, target: &Path) -> Option<PathBuf> {
        let Some(root) = &self.root else { return Some(target.to_path_buf()) };
        let rest: PathBuf = target.components().filter(|c| *c != Component::RootDir).collect();
        target.is_absolute().then(|| root.path.join(rest))
    }

    /// The path in the target of a path under the root, from its `/`, with `.` and `..` taken
    /// out as in a tree of plain directories; `None` for one outside it, or without a root.
    pub(crate) fn guest(&self, host: &Path) -> Option<PathBuf> {
        let (_, rest) = self.within(host)?;
        let mut guest = PathBuf::from("/");
        for component in rest.components() {
            match component {
                Component::Normal(name) => guest.push(name),
                Component::ParentDir => {
                    guest.pop();
                }
                _ => {}
            }
        }
        Some(guest)
    }

    /// The root and the rest of `host`, if it is under it.
    fn within(&self, host: &Path) -> Option<(&Root, PathBuf)> {
        let root = self.root.as_ref()?;
        let host = std::path::absolute(host).ok()?;
        let rest = host.strip_prefix(&root.path).ok()?.to_path_buf();
        Some((root, rest))
    }

    /// [`elf::open_regular`], and the path on this machine of the file it opened: under the
    /// root, where it really is (symlinks resolved inside the root, so that opening that path
    /// here opens this file), else `host` itself.
    pub(crate) fn open_regular(
        &self,
        host: &Path,
        min_size: u64,
    ) -> Result<(Opened, PathBuf), Error> {
        let Some((root, rest)) = self.within(host) else {
            return Ok((elf::open_regular(host, min_size)?, host.to_path_buf()));
        };
        let found = match root.walk(&rest) {
            Ok(found) => found,
            Err(e) if elf::is_missing(&e) => return Ok((Opened::Missing, host.to_path_buf())),
            Err(e) => return Ok((Opened::Unreadable(e), host.to_path_buf())),
        };
        let real = root.path_of(&found);
        let Some((name, stat)) = &found.last else { return Ok((Opened::NotRegular, real)) };
        let dir = found.dir(root);
        let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW;
        let opened = elf::open_checked(&real, stat_of(stat), min_size, || {
            openat(dir, name, flags).map(File::from)
        })?;
        Ok((opened, real))
    }

    /// The device and inode of the file a path leads to.
    pub(crate) fn file_id(&self, host: &Path) -> Option<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        let Some((root, rest)) = self.within(host) else {
            return std::fs::metadata(host).ok().map(|m| (m.dev(), m.ino()));
        };
        let (_, stat) = root.walk(&rest).ok()?.last?;
        let stat = stat_of(&stat);
        Some((stat.dev, stat.ino))
    }

    /// Whether a path leads to a directory.
    pub(crate) fn is_dir(&self, host: &Path) -> bool {
        let Some((root, rest)) = self.within(host) else { return host.is_dir() };
        root.walk(&rest).is_ok_and(|f| f.last.is_none_or(|(_, s)| is_dir(&s)))
    }

    /// The real path of a file (the program's, for its `$ORIGIN`), symlinks resolved: under
    /// the root, inside it.
    pub(crate) fn canonical(&self, host: &Path) -> Option<PathBuf> {
        let Some((root, rest)) = self.within(host) else { return std::fs::canonicalize(host).ok() };
        root.walk(&rest).ok().map(|found| root.path_of(&found))
    }

    /// The names in a directory (unreadable: none). Under the root, the directory is found
    /// inside it and listed by the path that lookup gave: only names come from the listing, and
    /// each file is then opened by its own lookup.
    pub(crate) fn read_dir(&self, host: &Path) -> Vec<OsString> {
        let dir = match self.within(host) {
            None => host.to_path_buf(),
            Some((root, rest)) => match root.walk(&rest) {
                Ok(found) if found.last.as_ref().is_none_or(|(_, s)| is_dir(s)) => {
                    root.path_of(&found)
                }
                _ => return Vec::new(),
            },
        };
        let entries = std::fs::read_dir(dir).into_iter().flatten().flatten();
        entries.map(|e| e.file_name()).collect()
    }

    /// The file `env` executes for `program` with `PATH` as `path_var`: `execvp`'s search. Under
    /// a root the target's, where a candidate is a file (not a directory) with an execute bit;
    /// a relative directory (the working directory) is not searched.
    pub(crate) fn find_program(
        &self,
        program: &OsStr,
        path_var: Option<&OsStr>,
    ) -> Option<PathBuf> {
        use landlocked_core::exec;
        let Some(root) = &self.root else {
            let mut buf = [0u8; exec::PATH_MAX];
            let path_var = path_var.map(OsStrExt::as_bytes);
            let found = exec::find_program(program.as_bytes(), path_var, &mut buf);
            return found.ok().map(|f| PathBuf::from(OsStr::from_bytes(f.to_bytes())));
        };
        if program.is_empty() {
            return None;
        }
        let candidates: Vec<PathBuf> = if program.as_bytes().contains(&b'/') {
            vec![PathBuf::from(program)]
        } else {
            let dirs = path_var.map_or(exec::DEFAULT_PATH, OsStrExt::as_bytes);
            dirs.split(|&b| b == b':')
                .map(|d| Path::new(OsStr::from_bytes(d)).join(program))
                .collect()
        };
        candidates.iter().filter_map(|c| self.host(c)).find(|host| {
            let Some((_, rest)) = self.within(host) else { return false };
            let Ok(Located { last: Some((_, stat)), .. }) = root.walk(&rest) else { return false };
            !is_dir(&stat) && stat.st_mode & 0o111 != 0
        })
    }
}

impl Root {
    /// Looks `rest` up under the root. A missing component is `ENOENT` or `ENOTDIR`, as from
    /// the kernel.
    fn walk(&self, rest: &Path) -> io::Result<Located> {
        // The components left, last first.
        let mut pending: Vec<OsString> = Vec::new();
        push_components(&mut pending, rest);
        let mut parents: Vec<(OwnedFd, OsString)> = Vec::new();
        let mut links = 0;
        while let Some(name) = pending.pop() {
            if name == ".." {
                // At the root, `..` is the root.
                parents.pop();
                continue;
            }
            let dir = parents.last().map_or(self.dir.as_fd(), |(fd, _)| fd.as_fd());
            let c_name = CString::new(name.as_bytes())
                .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
            let stat = stat_at(dir, &c_name)?;
            let kind = stat.st_mode & libc::S_IFMT;
            if kind == libc::S_IFLNK {
                links += 1;
                if links > MAX_LINKS {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                let target = read_link_at(dir, &c_name)?;
                if target.starts_with(b"/") {
                    parents.clear();
                }
                push_components(&mut pending, Path::new(OsStr::from_bytes(&target)));
            } else if pending.is_empty() {
                return Ok(Located { parents, last: Some((c_name, stat)) });
            } else if !is_dir(&stat) {
                return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
            } else {
                // O_NOFOLLOW: a directory swapped for a symlink since fstatat is not entered.
                let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW;
                parents.push((openat(dir, &c_name, flags)?, name));
            }
        }
        Ok(Located { parents, last: None })
    }

    /// The path on this machine of where a lookup ended.
    fn path_of(&self, found: &Located) -> PathBuf {
        let mut path = self.path.clone();
        path.extend(found.parents.iter().map(|(_, name)| name));
        if let Some((name, _)) = &found.last {
            path.push(OsStr::from_bytes(name.as_bytes()));
        }
        path
    }
}

impl Located {
    /// The directory holding the last component.
    fn dir<'a>(&'a self, root: &'a Root) -> BorrowedFd<'a> {
        self.parents.last().map_or(root.dir.as_fd(), |(fd, _)| fd.as_fd())
    }
}

/// Pushes the components of `path` (`..` kept, `.` and `/` dropped) onto `pending`, first last.
fn push_components(pending: &mut Vec<OsString>, path: &Path) {
    for component in path.components().rev() {
        match component {
            Component::Normal(name) => pending.push(name.to_os_string()),
            Component::ParentDir => pending.push("..".into()),
            _ => {}
        }
    }
}

fn is_dir(stat: &libc::stat) -> bool {
    stat.st_mode & libc::S_IFMT == libc::S_IFDIR
}

#[allow(clippy::unnecessary_cast, reason = "the stat fields' types differ between targets")]
fn stat_of(stat: &libc::stat) -> Stat {
    Stat {
        regular: stat.st_mode & libc::S_IFMT == libc::S_IFREG,
        len: stat.st_size as u64,
        dev: stat.st_dev as u64,
        ino: stat.st_ino as u64,
    }
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`.
fn stat_at(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<libc::stat> {
    // SAFETY: `stat` is plain data that fstatat fills.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor, a NUL-terminated name and a stat to fill.
    let rc = unsafe {
        libc::fstatat(dir.as_raw_fd(), name.as_ptr(), &mut stat, libc::AT_SYMLINK_NOFOLLOW)
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(stat)
}

/// `openat(dir, name, flags | O_CLOEXEC)`.
fn openat(dir: BorrowedFd<'_>, name: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: a valid descriptor and a NUL-terminated name.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor just opened, owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `readlinkat(dir, name)`; an empty target is `ENOENT`, as for the kernel.
fn read_link_at(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: a valid descriptor, a NUL-terminated name and a buffer of that length.
    let n = unsafe {
        libc::readlinkat(dir.as_raw_fd(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len())
    };
    let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
    if n >= buf.len() {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    if n == 0 {
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    }
    buf.truncate(n);
    Ok(buf)
}
