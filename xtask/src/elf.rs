//! Just enough of ELF to check that an executable is fully static: its type, its machine, its
//! program headers (no `PT_INTERP`, no `PT_DYNAMIC`) and whether it still has a symbol table;
//! and to drop its section headers, which only tools read (see [`strip_sections`]).

/// What a 64-bit little-endian ELF file says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elf {
    /// `e_type`: 2 is an executable (`ET_EXEC`), 3 a shared object or PIE (`ET_DYN`).
    pub kind: u16,
    /// `e_machine`: 62 is x86_64, 183 aarch64.
    pub machine: u16,
    /// The `p_type` of each program header.
    pub segments: Vec<u32>,
    /// Whether a `SHT_SYMTAB` section is left (the binary is not stripped).
    pub symbols: bool,
}

pub const ET_EXEC: u16 = 2;
pub const EM_X86_64: u16 = 62;
pub const EM_AARCH64: u16 = 183;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const SHT_SYMTAB: u32 = 2;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?)).ok()
}

/// Where the file's bytes that the kernel loads end: the ELF header, the program headers and
/// every segment's bytes in the file (`p_offset + p_filesz`).
fn loaded_end(b: &[u8]) -> Result<usize, String> {
    parse(b)?;
    let short = || "truncated ELF headers".to_string();
    let phoff = u64_at(b, 32).ok_or_else(short)?;
    let phentsize = usize::from(u16_at(b, 54).ok_or_else(short)?);
    let phnum = usize::from(u16_at(b, 56).ok_or_else(short)?);
    let mut end = (phoff + phnum * phentsize).max(64);
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let (offset, filesz) =
            (u64_at(b, ph + 8).ok_or_else(short)?, u64_at(b, ph + 32).ok_or_else(short)?);
        end = end.max(offset.checked_add(filesz).ok_or_else(short)?);
    }
    if end > b.len() {
        return Err(format!(
            "a segment ends at byte {end}, past the end of the file ({})",
            b.len()
        ));
    }
    Ok(end)
}

/// Drops what the kernel never reads from an executable, as `sstrip` does: the section header
/// table and the section names (`.shstrtab`), which the linker writes after the last segment's
/// bytes. The kernel loads an executable by its program headers alone; only tools (`objdump`,
/// debuggers) look at sections, and a stripped binary has nothing left there for them but the
/// names of `.text` and `.rodata`. The file is cut after the last byte a segment loads, and
/// `e_shoff`, `e_shnum` and `e_shstrndx` are zeroed (no section header table).
pub fn strip_sections(b: &mut Vec<u8>) -> Result<(), String> {
    let end = loaded_end(b)?;
    b.truncate(end);
    for (at, len) in [(40, 8), (58, 2), (60, 2), (62, 2)] {
        b[at..at + len].fill(0);
    }
    Ok(())
}

/// Reads the headers of a 64-bit little-endian ELF file.
pub fn parse(b: &[u8]) -> Result<Elf, String> {
    if b.get(..4) != Some(b"\x7fELF") {
        return Err("not an ELF file".into());
    }
    if b.get(4..6) != Some(&[2, 1]) {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let short = || "truncated ELF headers".to_string();
    let kind = u16_at(b, 16).ok_or_else(short)?;
    let machine = u16_at(b, 18).ok_or_else(short)?;
    let (phoff, shoff) = (u64_at(b, 32).ok_or_else(short)?, u64_at(b, 40).ok_or_else(short)?);
    let phentsize = usize::from(u16_at(b, 54).ok_or_else(short)?);
    let phnum = usize::from(u16_at(b, 56).ok_or_else(short)?);
    let shentsize = usize::from(u16_at(b, 58).ok_or_else(short)?);
    // No section header table (`e_shoff` 0) is a file stripped of its sections.
    let shnum = if shoff == 0 { 0 } else { usize::from(u16_at(b, 60).ok_or_else(short)?) };
    let segments = (0..phnum)
        .map(|i| u32_at(b, phoff + i * phentsize).ok_or_else(short))
        .collect::<Result<Vec<_>, _>>()?;
    let mut symbols = false;
    for i in 0..shnum {
        symbols |= u32_at(b, shoff + i * shentsize + 4).ok_or_else(short)? == SHT_SYMTAB;
    }
    Ok(Elf { kind, machine, segments, symbols })
}

/// Checks that `b` is a stripped, fully static executable for `machine`: `ET_EXEC` (not a PIE,
/// which would need someone to relocate it), no interpreter, no dynamic section.
pub fn check_static(b: &[u8], machine: u16) -> Result<Elf, String> {
    let elf = parse(b)?;
    if elf.machine != machine {
        return Err(format!("built for machine {}, not {machine}", elf.machine));
    }
    if elf.kind != ET_EXEC {
        return Err(format!("ELF type {}, not a static executable (ET_EXEC)", elf.kind));
    }
    if elf.segments.contains(&PT_INTERP) {
        return Err("it has an interpreter (PT_INTERP): it is dynamically linked".into());
    }
    if elf.segments.contains(&PT_DYNAMIC) {
        return Err("it has a dynamic section (PT_DYNAMIC)".into());
    }
    if elf.symbols {
        return Err("it is not stripped (it has a symbol table)".into());
    }
    Ok(elf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PT_LOAD: u32 = 1;

    /// A minimal ELF file with these program header types and, if asked, a symbol table.
    fn fake(kind: u16, machine: u16, segments: &[u32], symtab: bool) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[16..18].copy_from_slice(&kind.to_le_bytes());
        b[18..20].copy_from_slice(&machine.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&(segments.len() as u16).to_le_bytes());
        for &p in segments {
            let mut ph = vec![0u8; 56];
            ph[..4].copy_from_slice(&p.to_le_bytes());
            b.extend(ph);
        }
        let shoff = b.len() as u64;
        b[40..48].copy_from_slice(&shoff.to_le_bytes());
        b[58..60].copy_from_slice(&64u16.to_le_bytes());
        b[60..62].copy_from_slice(&2u16.to_le_bytes());
        for ty in [0u32, if symtab { SHT_SYMTAB } else { 3 }] {
            let mut sh = vec![0u8; 64];
            sh[4..8].copy_from_slice(&ty.to_le_bytes());
            b.extend(sh);
        }
        b
    }

    #[test]
    fn static_executables_pass() {
        let b = fake(ET_EXEC, EM_X86_64, &[6, 1, 1, 1, 0x6474e551], false);
        assert_eq!(check_static(&b, EM_X86_64).unwrap().segments.len(), 5);
        let b = fake(ET_EXEC, EM_AARCH64, &[1, 1], false);
        assert!(check_static(&b, EM_AARCH64).is_ok());
    }

    #[test]
    fn everything_else_fails() {
        let dynamic = fake(ET_EXEC, EM_X86_64, &[6, 3, 1, 2], false);
        assert!(check_static(&dynamic, EM_X86_64).unwrap_err().contains("PT_INTERP"));
        let no_interp = fake(ET_EXEC, EM_X86_64, &[1, 2], false);
        assert!(check_static(&no_interp, EM_X86_64).unwrap_err().contains("PT_DYNAMIC"));
        let pie = fake(3, EM_X86_64, &[1], false);
        assert!(check_static(&pie, EM_X86_64).unwrap_err().contains("ET_EXEC"));
        let other = fake(ET_EXEC, EM_AARCH64, &[1], false);
        assert!(check_static(&other, EM_X86_64).unwrap_err().contains("machine 183"));
        let symbols = fake(ET_EXEC, EM_X86_64, &[1], true);
        assert!(check_static(&symbols, EM_X86_64).unwrap_err().contains("stripped"));
        assert!(parse(b"#!/bin/sh\n").is_err());
        assert!(parse(&fake(ET_EXEC, EM_X86_64, &[1], false)[..60]).is_err());
    }

    /// An executable with one segment loading its first `loaded` bytes, then `tail` bytes of
    /// sections and a section header table after them.
    fn with_segment(loaded: usize, tail: usize) -> Vec<u8> {
        let mut b = fake(ET_EXEC, EM_X86_64, &[PT_LOAD], false);
        let sections = b.split_off(64 + 56);
        b.resize(loaded, 0xcc);
        b[64 + 8..64 + 16].copy_from_slice(&0u64.to_le_bytes());
        b[64 + 32..64 + 40].copy_from_slice(&(loaded as u64).to_le_bytes());
        b.extend(std::iter::repeat_n(b'n', tail));
        let shoff = b.len() as u64;
        b[40..48].copy_from_slice(&shoff.to_le_bytes());
        b[62..64].copy_from_slice(&1u16.to_le_bytes());
        b.extend(sections);
        b
    }

    #[test]
    fn stripping_sections_keeps_every_loaded_byte() {
        let mut b = with_segment(300, 40);
        let before = b.clone();
        assert!(parse(&b).unwrap().segments == [PT_LOAD]);
        strip_sections(&mut b).unwrap();
        assert_eq!(b.len(), 300);
        // Only the three section fields of the ELF header changed.
        assert_eq!(b[..40], before[..40]);
        assert_eq!(b[40..48], [0; 8]);
        assert_eq!(b[48..58], before[48..58]);
        assert_eq!(b[58..64], [0; 6]);
        assert_eq!(b[64..300], before[64..300]);
        let elf = check_static(&b, EM_X86_64).unwrap();
        assert_eq!((elf.segments, elf.symbols), (vec![PT_LOAD], false));
        // Again: nothing left to drop.
        strip_sections(&mut b).unwrap();
        assert_eq!(b.len(), 300);
        // The headers themselves are never cut, even with no segment covering them.
        let mut b = fake(ET_EXEC, EM_X86_64, &[PT_INTERP], false);
        strip_sections(&mut b).unwrap();
        assert_eq!(b.len(), 64 + 56);
    }

    #[test]
    fn a_segment_past_the_end_of_the_file_is_an_error() {
        let mut b = with_segment(300, 0);
        strip_sections(&mut b).unwrap();
        b.truncate(250);
        assert!(strip_sections(&mut b).unwrap_err().contains("past the end"));
    }

    #[test]
    fn the_hosts_own_shell_is_dynamic() {
        // A real file from the system, to check the reader against the toolchain's output.
        let Ok(b) = std::fs::read("/bin/sh") else { return };
        let elf = parse(&b).unwrap();
        if cfg!(target_arch = "x86_64") {
            assert_eq!(elf.machine, EM_X86_64);
        }
        assert!(check_static(&b, elf.machine).is_err());
        // Without its sections it still has every program header.
        let mut stripped = b.clone();
        strip_sections(&mut stripped).unwrap();
        assert!(stripped.len() < b.len());
        let after = parse(&stripped).unwrap();
        assert_eq!((after.segments, after.symbols), (elf.segments, false));
    }
}
