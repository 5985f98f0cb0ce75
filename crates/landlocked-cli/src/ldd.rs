//! `--ldd`: the files a program needs to start, found by reading it, never by running it (as
//! `ldd` does): its ELF interpreter (`PT_INTERP`), the libraries it names (`DT_NEEDED`) searched
//! as the glibc loader does (`DT_RPATH`, `LD_LIBRARY_PATH`, `DT_RUNPATH`, the directories of
//! `/etc/ld.so.conf`, the default ones), theirs in turn, and for a `#!` script its interpreter.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// What `--ldd` found.
#[derive(Debug, Default)]
pub struct Found {
    /// Files to allow reading and executing: the program, its interpreters, its libraries.
    pub files: Vec<PathBuf>,
    /// Libraries named but not found (the loader will fail on them).
    pub not_found: Vec<(String, PathBuf)>,
}

/// The class and machine of an ELF file: a library must match its program's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Kind {
    is64: bool,
    little: bool,
    machine: u16,
}

/// What the loader needs to know of one ELF file.
#[derive(Debug, Default)]
struct Elf {
    kind: Option<Kind>,
    interp: Option<PathBuf>,
    needed: Vec<String>,
    rpath: Vec<String>,
    runpath: Vec<String>,
}

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;
const DT_RPATH: u64 = 15;
const DT_RUNPATH: u64 = 29;
/// Larger tables than this are not believed (a corrupt or hostile file).
const MAX_TABLE: u64 = 1 << 20;

fn read_at(file: &File, offset: u64, len: u64) -> Option<Vec<u8>> {
    if len > MAX_TABLE {
        return None;
    }
    let mut buf = vec![0; len as usize];
    file.read_exact_at(&mut buf, offset).ok()?;
    Some(buf)
}

struct Reader<'a> {
    buf: &'a [u8],
    kind: Kind,
}

impl Reader<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.buf.get(at..at + 2)?.try_into().ok()?;
        Some(if self.kind.little { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.buf.get(at..at + 4)?.try_into().ok()?;
        Some(if self.kind.little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }
    fn u64(&self, at: usize) -> Option<u64> {
        let b: [u8; 8] = self.buf.get(at..at + 8)?.try_into().ok()?;
        Some(if self.kind.little { u64::from_le_bytes(b) } else { u64::from_be_bytes(b) })
    }
    /// A word: 8 bytes in ELF64, 4 in ELF32.
    fn word(&self, at: usize) -> Option<u64> {
        if self.kind.is64 { self.u64(at) } else { self.u32(at).map(u64::from) }
    }
}

/// The class of an ELF file, or `None` if it is not one.
fn elf_kind(header: &[u8]) -> Option<Kind> {
    if header.len() < 20 || &header[..4] != b"\x7fELF" {
        return None;
    }
    let is64 = match header[4] {
        1 => false,
        2 => true,
        _ => return None,
    };
    let little = match header[5] {
        1 => true,
        2 => false,
        _ => return None,
    };
    let mut kind = Kind { is64, little, machine: 0 };
    kind.machine = Reader { buf: header, kind }.u16(18)?;
    Some(kind)
}

/// A NUL-terminated string at `offset` of `table`.
fn c_string(table: &[u8], offset: u64) -> Option<&[u8]> {
    let rest = table.get(usize::try_from(offset).ok()?..)?;
    Some(&rest[..rest.iter().position(|&b| b == 0)?])
}

/// Reads what the loader reads: `None` if `path` is not a readable ELF file.
fn read_elf(path: &Path) -> Option<Elf> {
    let file = File::open(path).ok()?;
    let header = read_at(&file, 0, 64).or_else(|| read_at(&file, 0, 52))?;
    let kind = elf_kind(&header)?;
    let h = Reader { buf: &header, kind };
    let (phoff, phentsize, phnum) = if kind.is64 {
        (h.u64(32)?, h.u16(54)?, h.u16(56)?)
    } else {
        (u64::from(h.u32(28)?), h.u16(42)?, h.u16(44)?)
    };
    let phdrs = read_at(&file, phoff, u64::from(phentsize) * u64::from(phnum))?;
    let p = Reader { buf: &phdrs, kind };
    let mut elf = Elf { kind: Some(kind), ..Elf::default() };
    let mut loads = Vec::new();
    let mut dynamic = None;
    for i in 0..usize::from(phnum) {
        let at = i * usize::from(phentsize);
        let ptype = p.u32(at)?;
        // (offset, vaddr, filesz)
        let seg = if kind.is64 {
            (p.u64(at + 8)?, p.u64(at + 16)?, p.u64(at + 32)?)
        } else {
            (u64::from(p.u32(at + 4)?), u64::from(p.u32(at + 8)?), u64::from(p.u32(at + 16)?))
        };
        match ptype {
            PT_LOAD => loads.push(seg),
            PT_DYNAMIC => dynamic = Some(seg),
            PT_INTERP => {
                let bytes = read_at(&file, seg.0, seg.2.min(4096))?;
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                elf.interp = Some(PathBuf::from(OsStr::from_bytes(&bytes[..end])));
            }
            _ => {}
        }
    }
    let Some((dyn_off, _, dyn_size)) = dynamic else { return Some(elf) };
    let table = read_at(&file, dyn_off, dyn_size)?;
    let d = Reader { buf: &table, kind };
    let entry = if kind.is64 { 16 } else { 8 };
    let (mut strtab, mut strsz) = (None, 0);
    let mut entries = Vec::new();
    for at in (0..table.len() / entry).map(|i| i * entry) {
        let (tag, val) = (d.word(at)?, d.word(at + entry / 2)?);
        match tag {
            0 => break,
            DT_STRTAB => strtab = Some(val),
            DT_STRSZ => strsz = val,
            DT_NEEDED | DT_RPATH | DT_RUNPATH => entries.push((tag, val)),
            _ => {}
        }
    }
    // The string table is given by address: find the file offset of its segment.
    let strtab = strtab?;
    let (off, vaddr, _) =
        *loads.iter().find(|(_, vaddr, filesz)| (*vaddr..vaddr + filesz).contains(&strtab))?;
    let strings = read_at(&file, off + (strtab - vaddr), strsz)?;
    for (tag, val) in entries {
        let s = String::from_utf8_lossy(c_string(&strings, val)?).into_owned();
        match tag {
            DT_NEEDED => elf.needed.push(s),
            DT_RPATH => elf.rpath.extend(s.split(':').map(String::from)),
            _ => elf.runpath.extend(s.split(':').map(String::from)),
        }
    }
    Some(elf)
}

/// `$ORIGIN`, `$LIB` and `$PLATFORM` in a search path entry.
fn expand(entry: &str, origin: &Path, is64: bool) -> PathBuf {
    let lib = if is64 { "lib64" } else { "lib" };
    let origin = origin.to_string_lossy();
    let mut s = entry.to_string();
    for (names, value) in [
        (["$ORIGIN", "${ORIGIN}"], origin.as_ref()),
        (["$LIB", "${LIB}"], lib),
        (["$PLATFORM", "${PLATFORM}"], std::env::consts::ARCH),
    ] {
        for name in names {
            s = s.replace(name, value);
        }
    }
    PathBuf::from(s)
}

/// The directories of `/etc/ld.so.conf` and the files it includes, in order.
fn ld_so_conf(file: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(text) = std::fs::read_to_string(file) else { return };
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(pattern) = line.strip_prefix("include").filter(|r| r.starts_with([' ', '\t'])) {
            if depth >= 8 {
                continue;
            }
            for pattern in pattern.split_whitespace() {
                let base = file.parent().unwrap_or(Path::new("/"));
                for included in glob(&base.join(pattern)) {
                    ld_so_conf(&included, depth + 1, out);
                }
            }
        } else if !line.is_empty() && !line.starts_with("hwcap") {
            out.extend(
                line.split([' ', '\t', ':', ',']).filter(|s| !s.is_empty()).map(PathBuf::from),
            );
        }
    }
}

/// The files matching a path whose last component may hold `*` wildcards, sorted.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let Some(name) = pattern.file_name().and_then(OsStr::to_str) else { return Vec::new() };
    if !name.contains('*') {
        return vec![pattern.to_path_buf()];
    }
    let dir = pattern.parent().unwrap_or(Path::new("/"));
    let parts: Vec<&str> = name.split('*').collect();
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| wildcard(&parts, n)))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// Whether `name` matches the pattern split at its `*`s.
fn wildcard(parts: &[&str], name: &str) -> bool {
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    if !name.ends_with(last) {
        return false;
    }
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

struct Search {
    ld_library_path: Vec<PathBuf>,
    system: Vec<PathBuf>,
    found: Found,
    seen: HashSet<PathBuf>,
}

impl Search {
    fn add(&mut self, path: &Path) -> bool {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.seen.insert(key) {
            self.found.files.push(path.to_path_buf());
            true
        } else {
            false
        }
    }

    /// The library `name` as the loader looks for it for `object`.
    fn find(&mut self, name: &str, dirs: &[PathBuf], kind: Kind) -> Option<PathBuf> {
        for dir in dirs {
            let candidate = dir.join(name);
            let matches = read_elf(&candidate).and_then(|e| e.kind) == Some(kind);
            if matches {
                // The loader may prefer a variant of it for this CPU.
                for variant in glob(&dir.join("glibc-hwcaps").join("*").join(name)) {
                    if variant.is_file() {
                        self.add(&variant);
                    }
                }
                return Some(candidate);
            }
        }
        None
    }

    /// Adds an ELF object and, transitively, its interpreter and libraries.
    fn object(&mut self, path: &Path, main_rpath: &[String], depth: usize) {
        let Some(elf) = read_elf(path) else { return };
        let Some(kind) = elf.kind else { return };
        if let Some(interp) = &elf.interp {
            if self.add(interp) {
                self.object(interp, &[], depth + 1);
            }
        }
        if depth > 64 {
            return;
        }
        let origin = std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));
        let expand_all = |entries: &[String]| -> Vec<PathBuf> {
            entries
                .iter()
                .filter(|e| !e.is_empty())
                .map(|e| expand(e, &origin, kind.is64))
                .collect()
        };
        let mut dirs = Vec::new();
        if elf.runpath.is_empty() {
            dirs.extend(expand_all(&elf.rpath));
            dirs.extend(expand_all(main_rpath));
        }
        dirs.extend(self.ld_library_path.iter().cloned());
        dirs.extend(expand_all(&elf.runpath));
        dirs.extend(self.system.iter().cloned());
        for name in &elf.needed {
            let lib = if name.contains('/') {
                Some(PathBuf::from(name)).filter(|p| p.exists())
            } else {
                self.find(name, &dirs, kind)
            };
            match lib {
                Some(lib) => {
                    if self.add(&lib) {
                        let rpath = if elf.runpath.is_empty() { &elf.rpath[..] } else { &[] };
                        let chain: Vec<String> = rpath.iter().chain(main_rpath).cloned().collect();
                        self.object(&lib, &chain, depth + 1);
                    }
                }
                None => self.found.not_found.push((name.clone(), path.to_path_buf())),
            }
        }
    }

    /// A program: an ELF file, or a `#!` script and its interpreter.
    fn program(&mut self, path: &Path, path_var: Option<&OsStr>, depth: usize) {
        self.add(path);
        let mut head = [0u8; 256];
        let n = File::open(path).and_then(|f| f.read_at(&mut head, 0)).unwrap_or(0);
        let head = &head[..n];
        if let Some(rest) = head.strip_prefix(b"#!") {
            if depth >= 4 {
                return;
            }
            let line = rest.split(|&b| b == b'\n').next().unwrap_or(b"");
            let mut words = line.split(|&b| b == b' ' || b == b'\t').filter(|w| !w.is_empty());
            let Some(interp) = words.next() else { return };
            let interp = PathBuf::from(OsStr::from_bytes(interp));
            self.program(&interp, path_var, depth + 1);
            // `#!/usr/bin/env prog`: env finds prog in PATH.
            if interp.file_name() == Some(OsStr::new("env")) {
                if let Some(prog) = words.find(|w| !w.starts_with(b"-")) {
                    let prog = OsStr::from_bytes(prog);
                    if let Ok(found) = crate::run::lookup(prog, path_var) {
                        self.program(&found, path_var, depth + 1);
                    }
                }
            }
        } else {
            self.object(path, &[], 0);
        }
    }
}

/// The files `program` needs to start, with `LD_LIBRARY_PATH` and `PATH` as the command will
/// have them.
pub fn resolve(program: &Path, ld_library_path: Option<&OsStr>, path_var: Option<&OsStr>) -> Found {
    let split = |v: Option<&OsStr>| -> Vec<PathBuf> {
        v.map(|v| {
            v.as_bytes()
                .split(|&b| b == b':' || b == b';')
                .map(|d| {
                    if d.is_empty() {
                        PathBuf::from(".")
                    } else {
                        PathBuf::from(OsStr::from_bytes(d))
                    }
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let mut system = Vec::new();
    ld_so_conf(Path::new("/etc/ld.so.conf"), 0, &mut system);
    for dir in ["/lib", "/usr/lib", "/lib64", "/usr/lib64"] {
        system.push(PathBuf::from(dir));
    }
    let mut search = Search {
        ld_library_path: split(ld_library_path),
        system,
        found: Found::default(),
        seen: HashSet::new(),
    };
    search.program(program, path_var, 0);
    search.found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let parts = |p: &'static str| p.split('*').collect::<Vec<_>>();
        assert!(wildcard(&parts("*.conf"), "libc.conf"));
        assert!(!wildcard(&parts("*.conf"), "libc.conf.bak"));
        assert!(wildcard(&parts("a*b*c"), "aXbYc"));
        assert!(!wildcard(&parts("a*b*c"), "ac"));
        assert!(wildcard(&parts("*"), "x"));
    }

    #[test]
    fn origin_and_lib() {
        let p = expand("$ORIGIN/../${LIB}", Path::new("/opt/app/bin"), true);
        assert_eq!(p, PathBuf::from("/opt/app/bin/../lib64"));
    }

    #[test]
    fn this_test_binary() {
        // A Rust test binary is a dynamically linked ELF file (with glibc) or a static one.
        let exe = std::env::current_exe().unwrap();
        let elf = read_elf(&exe).unwrap();
        let kind = elf.kind.unwrap();
        assert_eq!(kind.is64, cfg!(target_pointer_width = "64"));
        let found = resolve(&exe, None, None);
        assert_eq!(found.files[0], exe);
        if let Some(interp) = elf.interp {
            assert!(found.files.contains(&interp));
            assert!(elf.needed.iter().any(|n| n.starts_with("libc.so")));
            assert!(found.files.iter().any(|f| f.to_string_lossy().contains("libc.so")));
            assert!(found.not_found.is_empty(), "{:?}", found.not_found);
        }
        assert!(read_elf(Path::new("/etc/passwd")).is_none());
    }
}
