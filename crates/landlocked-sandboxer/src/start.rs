//! The process entry point. The kernel starts a static executable at `_start` with the stack
//! pointer on `argc`, followed by the `argv` pointers, a null, the `envp` pointers, a null and
//! the auxiliary vector; the stack pointer is 16-byte aligned on both architectures.
//!
//! `_start` clears the frame pointer (and, on aarch64, the link register) so that a backtrace
//! ends here, passes the stack pointer to [`crate::entry`] as its first argument and never
//! returns: `entry` ends the process itself.

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start, @function",
    "_start:",
    "xor ebp, ebp",
    "mov rdi, rsp",
    // The SysV ABI wants rsp 16-byte aligned before a call; it already is, this makes sure.
    "and rsp, -16",
    "call {entry}",
    "ud2",
    entry = sym crate::entry,
);

#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".globl _start",
    ".type _start, %function",
    "_start:",
    "mov x29, xzr",
    "mov x30, xzr",
    "mov x0, sp",
    "bl {entry}",
    "udf #0",
    entry = sym crate::entry,
);

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("landlocked-sandboxer has a _start for x86_64 and aarch64 only");

/// The initial stack as the kernel lays it out. Each array keeps its terminating null, so that a
/// pointer taken from the slice covers everything `execve` reads.
pub struct Args {
    /// `argv[0..=argc]`: the arguments, then a null.
    pub argv: &'static mut [*const u8],
    /// The environment, then a null.
    pub envp: &'static mut [*const u8],
}

impl Args {
    /// Reads `argc`, `argv` and `envp` from the initial stack.
    ///
    /// # Safety
    /// `sp` must be the stack pointer the kernel gave `_start`, and this must be called once:
    /// the slices are mutable and live for the whole process.
    pub unsafe fn from_stack(sp: *const usize) -> Args {
        // SAFETY: the kernel put argc at sp, then argc pointers and a null, then the environment
        // pointers up to a null; all of it stays in place (and writable) until the process ends.
        unsafe {
            let argc = *sp;
            let argv = sp.add(1) as *mut *const u8;
            let envp = argv.add(argc + 1);
            let mut envc = 0;
            while !(*envp.add(envc)).is_null() {
                envc += 1;
            }
            Args {
                argv: core::slice::from_raw_parts_mut(argv, argc + 1),
                envp: core::slice::from_raw_parts_mut(envp, envc + 1),
            }
        }
    }

    /// The command to run, `argv[1]`, if there is one.
    pub fn command(&self) -> Option<*const u8> {
        self.argv.get(1).copied().filter(|p| !p.is_null())
    }

    /// The environment's entries, without the final null.
    pub fn vars(&self) -> &[*const u8] {
        self.envp.split_last().map_or(&[], |(_, vars)| vars)
    }
}

/// The bytes of a NUL-terminated string, without the NUL.
///
/// # Safety
/// `s` must point to a NUL-terminated string that lives, unchanged, for `'static`.
pub unsafe fn c_bytes(s: *const u8) -> &'static [u8] {
    let mut len = 0;
    // SAFETY: the caller guarantees the string is NUL-terminated, so every byte up to the NUL
    // is readable.
    unsafe {
        while *s.add(len) != 0 {
            len += 1;
        }
        core::slice::from_raw_parts(s, len)
    }
}

/// Splits an environment entry `NAME=value` at its first `=`, reading no further: the name, and
/// where the value starts (`None` for an entry without `=`). A long value (2,000 paths in
/// `LL_FS_RO`) is not scanned for every name looked up.
///
/// # Safety
/// As [`c_bytes`].
pub unsafe fn env_entry(entry: *const u8) -> (&'static [u8], Option<*const u8>) {
    let mut len = 0;
    // SAFETY: the entry is NUL-terminated: every byte up to the NUL (or the `=` before it) is
    // readable, and the value after `=` is NUL-terminated too.
    unsafe {
        loop {
            match *entry.add(len) {
                0 => return (core::slice::from_raw_parts(entry, len), None),
                b'=' => return (core::slice::from_raw_parts(entry, len), Some(entry.add(len + 1))),
                _ => len += 1,
            }
        }
    }
}
