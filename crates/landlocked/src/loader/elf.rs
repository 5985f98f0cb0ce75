//! One ELF object, read as the kernel and the dynamic loader read it, with the `object` crate
//! over a lazily read file (a large library is not read whole).

use std::fs::File;
use std::io;
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
    /// `PT_INTERP`: only the kernel reads it, and only in the program it executes.
    pub interp: Option<PathBuf>,
    /// Whether it has a `PT_DYNAMIC` segment.
    pub dynamic: bool,
    pub needed: Vec<Vec<u8>>,
    pub rpath: Vec<Vec<u8>>,
    pub runpath: Vec<Vec<u8>>,
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
    /// A regular file, open.
    File(File),
    /// Something else (a directory, a FIFO, a device): never opened, never granted.
    NotRegular,
    /// No such file (`ENOENT`, `ENOTDIR`): a search goes on.
    Missing,
}

/// Opens `path` for reading only if it is a regular file: a FIFO would block the open and a
/// device could react to it, so the type is checked before (by `stat`, which opens nothing) and
/// again after (the same inode, in case it was swapped in between). The open itself does not
/// block (`O_NONBLOCK`) nor take a controlling terminal (`O_NOCTTY`).
pub(crate) fn open_regular(path: &Path) -> Result<Opened, Error> {
    let io_error = |e: io::Error| Error::Io { path: path.to_path_buf(), error: e.to_string() };
    let before = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if is_missing(&e) => return Ok(Opened::Missing),
        Err(e) => return Err(io_error(e)),
    };
    if !before.file_type().is_file() {
        return Ok(Opened::NotRegular);
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io_error)?;
    let after = file.metadata().map_err(io_error)?;
    if !after.file_type().is_file() || after.ino() != before.ino() || after.dev() != before.dev() {
        return Ok(Opened::NotRegular);
    }
    Ok(Opened::File(file))
}

fn is_missing(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR))
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

/// Strings and tables larger than this are not believed: no real object has one.
const MAX_TABLE: u64 = 16 << 20;

/// Reads an ELF object from `file` (which starts with the ELF magic). Any header that does not
/// hold together (an offset or size past the end of the file, arithmetic that overflows, a
/// string table outside every segment) is an error naming `path`.
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
    let segments = header.program_headers(endian, data).map_err(|e| malformed(&e.to_string()))?;
    let mut object = Object {
        kind,
        file_type: header.e_type(endian),
        interp: None,
        dynamic: false,
        needed: Vec::new(),
        rpath: Vec::new(),
        runpath: Vec::new(),
    };
    let mut dynamic = None;
    for segment in segments {
        if let Some(interp) =
            segment.interpreter(endian, data).map_err(|e| malformed(&e.to_string()))?
        {
            use std::os::unix::ffi::OsStrExt;
            object.interp = Some(PathBuf::from(std::ffi::OsStr::from_bytes(interp)));
        }
        if let Some(entries) =
            segment.dynamic(endian, data).map_err(|e| malformed(&e.to_string()))?
        {
            dynamic = Some(entries);
        }
    }
    let Some(entries) = dynamic else { return Ok(object) };
    object.dynamic = true;
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
            strings.push((tag, value));
        }
    }
    if strings.is_empty() {
        return Ok(object);
    }
    let (Some(strtab), Some(strsz)) = (strtab, strsz) else {
        return Err(malformed("DT_NEEDED, DT_RPATH or DT_RUNPATH without a string table"));
    };
    if strsz > MAX_TABLE {
        return Err(malformed("a string table larger than 16 MiB"));
    }
    // The string table is given by its address: the loaded segment holding it says where it is
    // in the file.
    let offset = segments
        .iter()
        .filter(|s| s.p_type(endian) == elf::PT_LOAD)
        .find_map(|s| {
            let vaddr: u64 = s.p_vaddr(endian).into();
            let filesz: u64 = s.p_filesz(endian).into();
            let within = strtab.checked_sub(vaddr)?;
            let end = within.checked_add(strsz)?;
            let offset: u64 = s.p_offset(endian).into();
            (end <= filesz).then(|| offset.checked_add(within))?
        })
        .ok_or_else(|| malformed("the string table is in no loaded segment"))?;
    let table = data
        .read_bytes_at(offset, strsz)
        .map_err(|()| malformed("the string table is past the end of the file"))?;
    for (tag, at) in strings {
        let string = usize::try_from(at)
            .ok()
            .and_then(|at| table.get(at..))
            .and_then(|rest| rest.iter().position(|&b| b == 0).map(|end| rest[..end].to_vec()))
            .ok_or_else(|| malformed("a dynamic string outside its string table"))?;
        if tag == elf::DT_NEEDED {
            object.needed.push(string);
        } else if tag == elf::DT_RPATH {
            object.rpath.extend(split_path_list(&string));
        } else {
            object.runpath.extend(split_path_list(&string));
        }
    }
    Ok(object)
}

/// A colon-separated list of directories, as in `DT_RPATH`; empty entries are dropped, as the
/// loader drops them.
fn split_path_list(list: &[u8]) -> Vec<Vec<u8>> {
    list.split(|&b| b == b':').filter(|s| !s.is_empty()).map(<[u8]>::to_vec).collect()
}
