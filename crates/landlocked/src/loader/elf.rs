//! One ELF object, read as the kernel and the dynamic loader read it, with the `object` crate
//! over a lazily read file: only the headers, the dynamic entries and the strings they name are
//! read, each size checked before anything is allocated for it.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use object::elf::{self, FileHeader32, FileHeader64};
use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::{Endianness, ReadCache, ReadRef};

use super::Error;

/// The class, byte order and machine of an ELF file: a library must match its program's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    pub is64: bool,
    pub little: bool,
    pub machine: elf::Machine,
}

/// What the kernel and the loader read of one object.
#[derive(Debug)]
pub(crate) struct Object {
    pub kind: Kind,
    /// `e_type`: `ET_EXEC` or `ET_DYN` for anything loadable.
    pub file_type: elf::FileType,
    /// The first `PT_INTERP`, the one the kernel takes, and only the kernel, only in the program
    /// it executes.
    pub interp: Option<PathBuf>,
    pub needed: Vec<Vec<u8>>,
    /// The `DT_RPATH` string, the last of them as glibc keeps it.
    pub rpath: Option<Vec<u8>>,
    /// The `DT_RUNPATH` string, the last of them; even empty, it turns `DT_RPATH` off.
    pub runpath: Option<Vec<u8>>,
}

impl Object {
    /// An executable the kernel can run: `ET_EXEC`, or `ET_DYN` (PIE, the loader itself).
    pub fn is_executable(&self) -> bool {
        self.file_type == elf::ET_EXEC || self.file_type == elf::ET_DYN
    }

    /// A shared object the loader can map as a library.
    pub fn is_library(&self) -> bool {
        self.file_type == elf::ET_DYN
    }
}

/// What opening a path for reading its headers found.
#[derive(Debug)]
pub(crate) enum Opened {
    /// A regular file of a real filesystem, open for reading.
    File(File),
    /// Something else (a directory, a FIFO, a device, a pseudo-file of /proc or /sys): never
    /// read, never granted.
    NotRegular,
    /// A regular file too small to be what was asked (an ELF file has a header): never opened.
    TooSmall,
    /// No such file (`ENOENT`, `ENOTDIR`): a search goes on.
    Missing,
    /// It cannot be opened (`EACCES`, `ELOOP`...): a search goes on, as the loader's does.
    Unreadable(io::Error),
}

/// Filesystems whose files answer reads with something else than stored bytes, or change
/// something when read (reading `/proc/kmsg` consumes the kernel log).
const PSEUDO_FILESYSTEMS: &[i64] = &[
    0x9fa0,      // proc
    0x6265_6572, // sysfs
    0x6462_6720, // debugfs
    0x7472_6163, // tracefs
    0x7363_6673, // securityfs
    0x0027_e0eb, // cgroup
    0x6367_7270, // cgroup2
    0xcafe_4a11, // bpf
    0x6265_6570, // configfs
    0xde5e_81e4, // efivarfs
    0x6165_676c, // pstore
    0xf97c_ff8c, // selinuxfs
    0x6573_5543, // fusectl
    0x1cd1,      // devpts
    0x4249_4e4d, // binfmt_misc
];

/// Opens `path` for reading only if it is a regular file of at least `min_size` bytes on a
/// real filesystem. The type and size are checked before (by `stat`, which opens nothing: a
/// FIFO would block the open, a device could react to it, a pseudo-file of size 0 is not
/// opened at all), and again after, on the descriptor (the same inode, in case it was swapped;
/// not on a pseudo-filesystem). The open itself neither blocks (`O_NONBLOCK`) nor takes a
/// controlling terminal (`O_NOCTTY`).
pub(crate) fn open_regular(path: &Path, min_size: u64) -> Result<Opened, Error> {
    let before = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if is_missing(&e) => return Ok(Opened::Missing),
        Err(e) => return Ok(Opened::Unreadable(e)),
    };
    let before = Stat {
        regular: before.file_type().is_file(),
        len: before.len(),
        dev: before.dev(),
        ino: before.ino(),
    };
    open_checked(path, before, min_size, || {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
    })
}

/// What `stat` said of a file before it is opened.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stat {
    pub regular: bool,
    pub len: u64,
    pub dev: u64,
    pub ino: u64,
}

/// The rest of [`open_regular`], for a file `before` describes, opened by `open` (without
/// blocking or taking a terminal): a root's files are opened from their directory's descriptor.
pub(crate) fn open_checked(
    path: &Path,
    before: Stat,
    min_size: u64,
    open: impl FnOnce() -> io::Result<File>,
) -> Result<Opened, Error> {
    if !before.regular {
        return Ok(Opened::NotRegular);
    }
    if before.len < min_size {
        return Ok(Opened::TooSmall);
    }
    let file = match open() {
        Ok(file) => file,
        Err(e) if is_missing(&e) => return Ok(Opened::Missing),
        Err(e) => return Ok(Opened::Unreadable(e)),
    };
    let after = file.metadata().map_err(|e| io_error(path, &e))?;
    let same = after.ino() == before.ino && after.dev() == before.dev;
    if !after.file_type().is_file() || !same || on_pseudo_filesystem(&file) {
        return Ok(Opened::NotRegular);
    }
    Ok(Opened::File(file))
}

fn on_pseudo_filesystem(file: &File) -> bool {
    // SAFETY: `statfs` is plain data that fstatfs fills.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and a valid statfs to fill.
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut fs) } != 0 {
        return true;
    }
    #[allow(clippy::unnecessary_cast, reason = "f_type is i64 on x86_64, u64-like elsewhere")]
    let kind = fs.f_type as i64;
    PSEUDO_FILESYSTEMS.contains(&kind)
}

pub(crate) fn is_missing(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR))
}

pub(crate) fn io_error(path: &Path, e: &io::Error) -> Error {
    Error::Io { path: path.to_path_buf(), error: e.to_string() }
}

/// Reads the start of a regular file: what the kernel looks at first (`#!`, the ELF magic).
pub(crate) fn head(file: &File, len: usize) -> Result<Vec<u8>, io::Error> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0; len];
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// Whether `head` starts like an ELF file.
pub(crate) fn has_elf_magic(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
}

/// The smallest ELF file: a 32-bit header.
pub(crate) const MIN_ELF_SIZE: u64 = 52;

/// The kernel refuses program headers larger than this (`binfmt_elf`).
const MAX_PHDRS_SIZE: u64 = 65536;
/// The kernel refuses a longer `PT_INTERP` (`PATH_MAX`).
const MAX_INTERP: u64 = 4096;
/// Dynamic sections, counts and strings larger than these are not believed: no real object has
/// one, and an adversary must not make the reader allocate or loop without end.
const MAX_DYNAMIC: u64 = 64 << 10;
const MAX_STRINGS: usize = 1024;
const MAX_STRING: u64 = 4096;

/// Reads an ELF object from `file` (which starts with the ELF magic). Any header that does not
/// hold together (an offset or size past the end of the file, arithmetic that overflows, a
/// table the loader would not find, a size no real object has) is an error naming `path`.
pub(crate) fn read(path: &Path, file: File) -> Result<Object, Error> {
    let cache = ReadCache::new(file);
    let data = &cache;
    let malformed =
        |reason: &str| Error::Malformed { path: path.to_path_buf(), reason: reason.into() };
    let ident = data.read_bytes_at(0, 16).map_err(|()| malformed("too short for an ELF header"))?;
    match ident[4] {
        c if c == elf::ELFCLASS64.0 => read_as::<FileHeader64<Endianness>>(data, &malformed),
        c if c == elf::ELFCLASS32.0 => read_as::<FileHeader32<Endianness>>(data, &malformed),
        _ => Err(malformed("unknown ELF class")),
    }
}

/// Where the `size` bytes at address `vaddr` are in the file, as the loaded segments say: the
/// offset and how many of them the file holds (the rest is zero-filled memory).
fn file_range<H: FileHeader<Endian = Endianness>>(
    segments: &[H::ProgramHeader],
    endian: Endianness,
    vaddr: u64,
    size: u64,
) -> Option<(u64, u64)> {
    segments.iter().filter(|s| s.p_type(endian) == elf::PT_LOAD).find_map(|s| {
        let start: u64 = s.p_vaddr(endian).into();
        let memsz: u64 = s.p_memsz(endian).into();
        let filesz: u64 = s.p_filesz(endian).into();
        let offset: u64 = s.p_offset(endian).into();
        let within = vaddr.checked_sub(start)?;
        (within.checked_add(size)? <= memsz).then_some(())?;
        let in_file = filesz.saturating_sub(within).min(size);
        Some((offset.checked_add(within)?, in_file))
    })
}

fn read_as<'data, H: FileHeader<Endian = Endianness>>(
    data: &'data ReadCache<File>,
    malformed: &dyn Fn(&str) -> Error,
) -> Result<Object, Error> {
    let header = H::parse(data).map_err(|e| malformed(&e.to_string()))?;
    let endian = header.endian().map_err(|e| malformed(&e.to_string()))?;
    let kind = Kind {
        is64: header.is_type_64(),
        little: header.is_little_endian(),
        machine: header.e_machine(endian),
    };
    let phnum = header.phnum(endian, data).map_err(|e| malformed(&e.to_string()))?;
    if u64::from(phnum) * u64::from(header.e_phentsize(endian)) > MAX_PHDRS_SIZE {
        return Err(malformed("program headers larger than the kernel takes"));
    }
    let segments = header.program_headers(endian, data).map_err(|e| malformed(&e.to_string()))?;
    let mut object = Object {
        kind,
        file_type: header.e_type(endian),
        interp: None,
        needed: Vec::new(),
        rpath: None,
        runpath: None,
    };
    // The kernel takes the first PT_INTERP; the loader the last PT_DYNAMIC, at its address.
    let mut dynamic = None;
    for segment in segments {
        let p_type = segment.p_type(endian);
        if p_type == elf::PT_INTERP && object.interp.is_none() {
            let size: u64 = segment.p_filesz(endian).into();
            if !(2..=MAX_INTERP).contains(&size) {
                return Err(malformed("a PT_INTERP the kernel refuses"));
            }
            let interp =
                segment.interpreter(endian, data).map_err(|e| malformed(&e.to_string()))?;
            if let Some(interp) = interp {
                use std::os::unix::ffi::OsStrExt;
                object.interp = Some(PathBuf::from(std::ffi::OsStr::from_bytes(interp)));
            }
        } else if p_type == elf::PT_DYNAMIC {
            dynamic = Some((segment.p_vaddr(endian).into(), segment.p_memsz(endian).into()));
        }
    }
    let Some((vaddr, memsz)) = dynamic else { return Ok(object) };
    let memsz: u64 = memsz;
    if memsz > MAX_DYNAMIC {
        return Err(malformed("a dynamic section larger than 64 KiB"));
    }
    let (offset, in_file) = file_range::<H>(segments, endian, vaddr, memsz)
        .ok_or_else(|| malformed("the dynamic section is in no loaded segment"))?;
    let bytes = data
        .read_bytes_at(offset, in_file)
        .map_err(|()| malformed("the dynamic section is past the end of the file"))?;
    let entries: &[H::Dyn] =
        object::pod::slice_from_bytes(bytes, bytes.len() / size_of::<H::Dyn>())
            .map(|(entries, _)| entries)
            .map_err(|()| malformed("a misaligned dynamic section"))?;
    let (mut strtab, mut strsz) = (None, None);
    let mut strings = Vec::new();
    for entry in entries {
        let (tag, value) = (entry.tag(endian), entry.val(endian));
        if tag == elf::DT_NULL {
            break;
        } else if tag == elf::DT_STRTAB {
            strtab = Some(value);
        } else if tag == elf::DT_STRSZ {
            strsz = Some(value);
        } else if [elf::DT_NEEDED, elf::DT_RPATH, elf::DT_RUNPATH].contains(&tag) {
            if strings.len() == MAX_STRINGS {
                return Err(malformed("more than 1024 DT_NEEDED, DT_RPATH and DT_RUNPATH entries"));
            }
            strings.push((tag, value));
        }
    }
    if strings.is_empty() {
        return Ok(object);
    }
    let (Some(strtab), Some(strsz)) = (strtab, strsz) else {
        return Err(malformed("DT_NEEDED, DT_RPATH or DT_RUNPATH without a string table"));
    };
    let (table, table_in_file) = file_range::<H>(segments, endian, strtab, strsz)
        .ok_or_else(|| malformed("the string table is in no loaded segment"))?;
    for (tag, at) in strings {
        // Only the strings named are read, each at most PATH_MAX long.
        let len = table_in_file.saturating_sub(at).min(MAX_STRING);
        let start = table.checked_add(at).filter(|_| at < table_in_file);
        let bytes = start
            .and_then(|start| data.read_bytes_at(start, len).ok())
            .ok_or_else(|| malformed("a dynamic string outside its string table"))?;
        let string = bytes
            .iter()
            .position(|&b| b == 0)
            .map(|end| bytes[..end].to_vec())
            .ok_or_else(|| malformed("a dynamic string without its end"))?;
        if tag == elf::DT_NEEDED {
            object.needed.push(string);
        } else if tag == elf::DT_RPATH {
            object.rpath = Some(string);
        } else {
            object.runpath = Some(string);
        }
    }
    Ok(object)
}

/// The ELF interpreter (`PT_INTERP`) of the program at `path`, if it is an ELF file that names
/// one: what the kernel also executes when it executes `path` (read for the tracer).
pub fn interpreter(path: &Path) -> Option<PathBuf> {
    let Ok(Opened::File(file)) = open_regular(path, 64) else { return None };
    let magic = head(&file, 4).ok()?;
    if !has_elf_magic(&magic) {
        return None;
    }
    read(path, file).ok()?.interp
}
