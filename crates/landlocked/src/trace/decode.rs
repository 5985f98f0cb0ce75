//! A syscall at its entry, decoded into the accesses Landlock would check: each path made
//! absolute and resolved as the kernel will (before the syscall changes anything), with the
//! right it needs; each port with its right, by the socket's protocol.

use std::path::{Path, PathBuf};

use landlocked_core::{AccessFs, AccessNet};
use nix::unistd::Pid;

use super::tracee;
use super::{FileKind, Target};

/// The syscalls the tracer stops at, by name (those this architecture lacks are skipped).
pub const TRACED: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "execve",
    "execveat",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "symlink",
    "symlinkat",
    "unlink",
    "unlinkat",
    "rmdir",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "truncate",
    "ftruncate",
    "ioctl",
    "bind",
    "connect",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "kill",
    "tkill",
    "tgkill",
    "rt_sigqueueinfo",
    "rt_tgsigqueueinfo",
    "pidfd_send_signal",
];

/// What a syscall will access, known at its entry.
#[derive(Debug)]
pub struct Entry {
    pub syscall: &'static str,
    pub targets: Vec<Target>,
    /// An `execve`: the program's interpreter is read after it succeeds.
    pub exec: bool,
    /// The paths it creates, if it succeeds.
    pub creates: Vec<PathBuf>,
}

/// What executing a file needs: the kernel opens it for reading, with `__FMODE_EXEC`
/// (`get_required_file_open_access` in `security/landlock/fs.c`); its ELF interpreter the same.
pub const EXEC: AccessFs = AccessFs::EXECUTE.union(AccessFs::READ_FILE);

/// The ioctl commands Landlock always permits (`is_masked_device_ioctl` in
/// `security/landlock/fs.c`, Linux 7.3).
const MASKED_IOCTLS: &[u32] = &[
    0x5451,      // FIOCLEX
    0x5450,      // FIONCLEX
    0x5421,      // FIONBIO
    0x5452,      // FIOASYNC
    0x5460,      // FIOQSIZE
    0xc004_5877, // FIFREEZE
    0xc004_5878, // FITHAW
    0xc020_660b, // FS_IOC_FIEMAP
    0x2,         // FIGETBSZ
    0x4004_9409, // FICLONE
    0x4020_940d, // FICLONERANGE
    0xc018_9436, // FIDEDUPERANGE
    0x8011_1500, // FS_IOC_GETFSUUID
    0x8081_1501, // FS_IOC_GETFSSYSFSPATH
];

fn kind_of(meta: &std::fs::Metadata) -> FileKind {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        FileKind::Dir
    } else if t.is_char_device() || t.is_block_device() {
        FileKind::Device
    } else {
        FileKind::File
    }
}

/// The kind of what `path` names now (following symlinks), or `Missing`.
fn kind(path: &Path) -> FileKind {
    std::fs::metadata(path).map_or(FileKind::Missing, |m| kind_of(&m))
}

/// The right that creating a node of `mode`'s type needs.
fn make_right(mode: u32) -> AccessFs {
    match mode & libc::S_IFMT {
        libc::S_IFDIR => AccessFs::MAKE_DIR,
        libc::S_IFCHR => AccessFs::MAKE_CHAR,
        libc::S_IFBLK => AccessFs::MAKE_BLOCK,
        libc::S_IFIFO => AccessFs::MAKE_FIFO,
        libc::S_IFSOCK => AccessFs::MAKE_SOCK,
        libc::S_IFLNK => AccessFs::MAKE_SYM,
        _ => AccessFs::MAKE_REG,
    }
}

/// The rights that making and removing an existing node of `path`'s type need.
fn node_rights(path: &Path) -> (AccessFs, AccessFs) {
    use std::os::unix::fs::MetadataExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => (AccessFs::MAKE_DIR, AccessFs::REMOVE_DIR),
        Ok(m) => (make_right(m.mode()), AccessFs::REMOVE_FILE),
        Err(_) => (AccessFs::MAKE_REG, AccessFs::REMOVE_FILE),
    }
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

fn fs(path: PathBuf, access: AccessFs, kind: FileKind) -> Target {
    Target::Path { path, access, kind, created: false }
}

/// The rights an `open` of `path` with `flags` needs, and on which objects.
fn open(path: PathBuf, flags: i32, targets: &mut Vec<Target>, creates: &mut Vec<PathBuf>) {
    if flags & libc::O_PATH != 0 {
        return;
    }
    let existing = kind(&path);
    let write = matches!(flags & libc::O_ACCMODE, libc::O_WRONLY | libc::O_RDWR);
    let read = matches!(flags & libc::O_ACCMODE, libc::O_RDONLY | libc::O_RDWR);
    if flags & libc::O_TMPFILE == libc::O_TMPFILE {
        // An unnamed file in the directory: what it may do is the directory's to grant.
        targets.push(fs(path, AccessFs::WRITE_FILE | AccessFs::MAKE_REG, FileKind::Dir));
        return;
    }
    if existing == FileKind::Dir {
        if read {
            targets.push(fs(path, AccessFs::READ_DIR, FileKind::Dir));
        }
        return;
    }
    let mut access = AccessFs::empty();
    if read {
        access |= AccessFs::READ_FILE;
    }
    if write {
        access |= AccessFs::WRITE_FILE;
    }
    if flags & libc::O_TRUNC != 0 {
        access |= AccessFs::TRUNCATE;
    }
    let created = existing == FileKind::Missing && flags & libc::O_CREAT != 0;
    if created {
        targets.push(fs(parent(&path), AccessFs::MAKE_REG, FileKind::Dir));
        creates.push(path.clone());
    }
    if !access.is_empty() {
        let kind = if created { FileKind::File } else { existing };
        targets.push(Target::Path { path, access, kind, created });
    }
}

/// A rename or link from `from` to `to` (both not followed): the make and remove rights on
/// the parents, and `refer` on both when they differ.
fn reparent(
    from: PathBuf,
    to: PathBuf,
    remove_source: bool,
    exchange: bool,
    out: &mut Vec<Target>,
) {
    let (from_dir, to_dir) = (parent(&from), parent(&to));
    let (make, remove) = node_rights(&from);
    out.push(fs(to_dir.clone(), make, FileKind::Dir));
    if remove_source {
        out.push(fs(from_dir.clone(), remove, FileKind::Dir));
    }
    if std::fs::symlink_metadata(&to).is_ok() && remove_source {
        // The node replaced (or, with RENAME_EXCHANGE, moved the other way).
        let (make_back, remove_replaced) = node_rights(&to);
        out.push(fs(to_dir.clone(), remove_replaced, FileKind::Dir));
        if exchange {
            out.push(fs(from_dir.clone(), make_back, FileKind::Dir));
        }
    }
    if from_dir != to_dir {
        out.push(fs(from_dir, AccessFs::REFER, FileKind::Dir));
        out.push(fs(to_dir, AccessFs::REFER, FileKind::Dir));
    }
}

/// A socket address of the tracee: the port of an IP one, the path or abstract name of a
/// unix one.
enum Address {
    Port(u16),
    UnixPath(Vec<u8>),
    Abstract(Vec<u8>),
    Other,
}

fn address(tid: Pid, addr: u64, len: u64) -> Address {
    if addr == 0 || len < 2 {
        return Address::Other;
    }
    let bytes = tracee::read(tid, addr, len.min(128) as usize);
    if bytes.len() < 2 {
        return Address::Other;
    }
    let family = i32::from(u16::from_ne_bytes([bytes[0], bytes[1]]));
    match family {
        libc::AF_INET | libc::AF_INET6 if bytes.len() >= 4 => {
            Address::Port(u16::from_be_bytes([bytes[2], bytes[3]]))
        }
        libc::AF_UNIX if bytes.len() > 2 => {
            let path = &bytes[2..];
            if path[0] == 0 {
                Address::Abstract(path[1..].to_vec())
            } else {
                let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                Address::UnixPath(path[..end].to_vec())
            }
        }
        _ => Address::Other,
    }
}

/// Whether the tracee's socket `fd` is UDP (a datagram IP socket of protocol 0 or UDP).
fn is_udp(tgid: Pid, fd: i32) -> bool {
    matches!(tracee::socket_kind(tgid, fd), Some((libc::SOCK_DGRAM, libc::IPPROTO_UDP)))
}

/// What sending to `addr` from socket `fd` asks (`sendto`, `sendmsg`).
fn send(tid: Pid, tgid: Pid, fd: i32, addr: u64, len: u64, flags: i32, out: &mut Vec<Target>) {
    match address(tid, addr, len) {
        Address::Port(port) if is_udp(tgid, fd) => {
            out.push(Target::Port { port, access: AccessNet::CONNECT_SEND_UDP })
        }
        // A TCP fast open connects.
        Address::Port(port) if flags & libc::MSG_FASTOPEN != 0 => {
            out.push(Target::Port { port, access: AccessNet::CONNECT_TCP })
        }
        Address::UnixPath(path) => unix_path(tid, &path, out),
        Address::Abstract(name) => out.push(Target::AbstractUnix { name }),
        _ => {}
    }
}

fn unix_path(tid: Pid, path: &[u8], out: &mut Vec<Target>) {
    if let Some(path) = tracee::resolve(tid, libc::AT_FDCWD, path, true) {
        out.push(fs(path, AccessFs::RESOLVE_UNIX, FileKind::Other));
    }
}

/// A signal to `pid`, unless it names a group or the caller.
fn signal(pid: i64, out: &mut Vec<Target>) {
    if pid > 0 {
        out.push(Target::Signal { pid: pid as i32 });
    }
}

/// The target of a pidfd, from `/proc/TID/fdinfo/FD`'s `Pid:` line.
fn pidfd_target(tid: Pid, fd: i32) -> Option<i64> {
    let info = std::fs::read_to_string(format!("/proc/{tid}/fdinfo/{fd}")).ok()?;
    info.lines().find_map(|l| l.strip_prefix("Pid:")).and_then(|v| v.trim().parse().ok())
}

/// The accesses of syscall `name` with `args`, called by thread `tid` of process `tgid`.
pub fn entry(tid: Pid, tgid: Pid, name: &'static str, a: [u64; 6]) -> Entry {
    let mut targets = Vec::new();
    let int = |i: usize| a[i] as i32;
    let path_at = |dirfd: i32, addr: u64, follow: bool| {
        tracee::string(tid, addr).and_then(|p| tracee::resolve(tid, dirfd, &p, follow))
    };
    let cwd = libc::AT_FDCWD;
    let mut exec = false;
    let mut creates = Vec::new();
    match name {
        "open" => {
            if let Some(p) = path_at(cwd, a[0], int(1) & libc::O_NOFOLLOW == 0) {
                open(p, int(1), &mut targets, &mut creates);
            }
        }
        "creat" => {
            if let Some(p) = path_at(cwd, a[0], true) {
                open(p, libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC, &mut targets, &mut creates);
            }
        }
        "openat" => {
            if let Some(p) = path_at(int(0), a[1], int(2) & libc::O_NOFOLLOW == 0) {
                open(p, int(2), &mut targets, &mut creates);
            }
        }
        "openat2" => {
            // struct open_how { u64 flags; u64 mode; u64 resolve; }
            let how = tracee::read(tid, a[2], 8);
            let flags = how.try_into().map_or(0, |b: [u8; 8]| u64::from_ne_bytes(b) as i32);
            if let Some(p) = path_at(int(0), a[1], flags & libc::O_NOFOLLOW == 0) {
                open(p, flags, &mut targets, &mut creates);
            }
        }
        "execve" | "execveat" => {
            let (dirfd, addr) = if name == "execve" { (cwd, a[0]) } else { (int(0), a[1]) };
            if let Some(p) = path_at(dirfd, addr, true) {
                targets.push(fs(p, EXEC, FileKind::File));
                exec = true;
            }
        }
        "mkdir" | "mkdirat" => {
            let (dirfd, addr) = if name == "mkdir" { (cwd, a[0]) } else { (int(0), a[1]) };
            if let Some(p) = path_at(dirfd, addr, false) {
                targets.push(fs(parent(&p), AccessFs::MAKE_DIR, FileKind::Dir));
                creates.push(p);
            }
        }
        "mknod" | "mknodat" => {
            let (dirfd, addr, mode) =
                if name == "mknod" { (cwd, a[0], a[1]) } else { (int(0), a[1], a[2]) };
            if let Some(p) = path_at(dirfd, addr, false) {
                targets.push(fs(parent(&p), make_right(mode as u32), FileKind::Dir));
                creates.push(p);
            }
        }
        "symlink" | "symlinkat" => {
            let (dirfd, addr) = if name == "symlink" { (cwd, a[1]) } else { (int(1), a[2]) };
            if let Some(p) = path_at(dirfd, addr, false) {
                targets.push(fs(parent(&p), AccessFs::MAKE_SYM, FileKind::Dir));
                creates.push(p);
            }
        }
        "unlink" | "rmdir" | "unlinkat" => {
            let (dirfd, addr, dir) = match name {
                "unlink" => (cwd, a[0], false),
                "rmdir" => (cwd, a[0], true),
                _ => (int(0), a[1], int(2) & libc::AT_REMOVEDIR != 0),
            };
            if let Some(p) = path_at(dirfd, addr, false) {
                let right = if dir { AccessFs::REMOVE_DIR } else { AccessFs::REMOVE_FILE };
                targets.push(fs(parent(&p), right, FileKind::Dir));
            }
        }
        "rename" | "renameat" | "renameat2" => {
            let (from, to, flags) = match name {
                "rename" => (path_at(cwd, a[0], false), path_at(cwd, a[1], false), 0),
                _ => (
                    path_at(int(0), a[1], false),
                    path_at(int(2), a[3], false),
                    if name == "renameat2" { a[4] as u32 } else { 0 },
                ),
            };
            if let (Some(from), Some(to)) = (from, to) {
                let exchange = flags & libc::RENAME_EXCHANGE != 0;
                if std::fs::symlink_metadata(&to).is_err() {
                    creates.push(to.clone());
                }
                reparent(from, to, true, exchange, &mut targets);
            }
        }
        "link" | "linkat" => {
            let (from, to) = match name {
                "link" => (path_at(cwd, a[0], false), path_at(cwd, a[1], false)),
                _ => {
                    let follow = int(4) & libc::AT_SYMLINK_FOLLOW != 0;
                    (path_at(int(0), a[1], follow), path_at(int(2), a[3], false))
                }
            };
            if let (Some(from), Some(to)) = (from, to) {
                creates.push(to.clone());
                reparent(from, to, false, false, &mut targets);
            }
        }
        "truncate" => {
            if let Some(p) = path_at(cwd, a[0], true) {
                targets.push(fs(p, AccessFs::TRUNCATE, FileKind::File));
            }
        }
        "ftruncate" => {
            if let Some(p) = tracee::fd_path(tid, int(0)).filter(|p| p.is_absolute()) {
                targets.push(fs(p, AccessFs::TRUNCATE, FileKind::File));
            }
        }
        "ioctl" => {
            let device =
                tracee::fd_metadata(tid, int(0)).is_some_and(|m| kind_of(&m) == FileKind::Device);
            if device && !MASKED_IOCTLS.contains(&(a[1] as u32)) {
                if let Some(p) = tracee::fd_path(tid, int(0)) {
                    targets.push(fs(p, AccessFs::IOCTL_DEV, FileKind::Device));
                }
            }
        }
        "bind" | "connect" => match address(tid, a[1], a[2]) {
            Address::Port(port) => {
                let access = match (name, is_udp(tgid, int(0))) {
                    ("bind", false) => AccessNet::BIND_TCP,
                    ("bind", true) => AccessNet::BIND_UDP,
                    (_, false) => AccessNet::CONNECT_TCP,
                    (_, true) => AccessNet::CONNECT_SEND_UDP,
                };
                targets.push(Target::Port { port, access });
            }
            Address::UnixPath(path) if name == "bind" => {
                if let Some(p) = tracee::resolve(tid, cwd, &path, false) {
                    targets.push(fs(parent(&p), AccessFs::MAKE_SOCK, FileKind::Dir));
                    creates.push(p);
                }
            }
            Address::UnixPath(path) => unix_path(tid, &path, &mut targets),
            Address::Abstract(name) if name.is_empty() => {}
            Address::Abstract(abstract_name) if name == "connect" => {
                targets.push(Target::AbstractUnix { name: abstract_name })
            }
            _ => {}
        },
        "sendto" => send(tid, tgid, int(0), a[4], a[5], int(3), &mut targets),
        "sendmsg" => {
            // struct msghdr { void *msg_name; socklen_t msg_namelen; ... }
            let header = tracee::read(tid, a[1], 12);
            if header.len() == 12 {
                let name = u64::from_ne_bytes(header[..8].try_into().unwrap_or_default());
                let len = u64::from(u32::from_ne_bytes(header[8..].try_into().unwrap_or_default()));
                send(tid, tgid, int(0), name, len, int(2), &mut targets);
            }
        }
        "sendmmsg" => {
            // struct mmsghdr { struct msghdr msg_hdr (56 bytes); unsigned msg_len; }: 64 each.
            for i in 0..a[2].min(16) {
                let header = tracee::read(tid, a[1].wrapping_add(i * 64), 12);
                if header.len() == 12 {
                    let name = u64::from_ne_bytes(header[..8].try_into().unwrap_or_default());
                    let len =
                        u64::from(u32::from_ne_bytes(header[8..].try_into().unwrap_or_default()));
                    send(tid, tgid, int(0), name, len, int(3), &mut targets);
                }
            }
        }
        "kill" | "tkill" | "tgkill" | "rt_sigqueueinfo" | "rt_tgsigqueueinfo" => {
            signal(a[0] as i32 as i64, &mut targets)
        }
        "pidfd_send_signal" => {
            if let Some(pid) = pidfd_target(tid, int(0)) {
                signal(pid, &mut targets);
            }
        }
        _ => {}
    }
    Entry { syscall: name, targets, exec, creates }
}
