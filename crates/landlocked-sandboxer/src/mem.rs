//! The memory functions the compiler emits calls to (`memcpy`, `memmove`, `memset`, `memcmp`,
//! `bcmp`, and `strlen`, which LLVM 22 makes of a loop looking for a NUL). Without libc nobody
//! else provides them.
//!
//! Copies and fills are written in assembly, not as Rust loops: LLVM recognises a copy loop and
//! turns it into a call to `memcpy` or `memmove`, which inside `memmove` itself would be endless
//! recursion. Comparisons stay in Rust (LLVM does not turn loops into `memcmp`).
//!
//! Only the binary defines them (they are `no_mangle` symbols of the final link); the sizes
//! involved are small (a path, a report), so the simple forms suffice: `rep movsb`/`rep stosb` on
//! x86_64 (fast on every CPU with ERMSB), byte loops on aarch64 but for 16-byte stores in
//! `memset`, which zeroes the 4 KiB path buffer of every rule.

use core::arch::asm;

/// # Safety
/// `dst` and `src` must be valid for `n` bytes and must not overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees both ranges are valid and disjoint.
    unsafe { copy_forward(dst, src, n) };
    dst
}

/// # Safety
/// `dst` and `src` must be valid for `n` bytes; they may overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // A forward copy is right unless dst starts inside [src, src + n).
    // SAFETY: the caller guarantees both ranges are valid; the direction handles the overlap.
    unsafe {
        if (dst as usize).wrapping_sub(src as usize) >= n {
            copy_forward(dst, src, n);
        } else {
            copy_backward(dst, src, n);
        }
    }
    dst
}

/// # Safety
/// `dst` must be valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees `dst` is valid for `n` bytes.
    unsafe { fill(dst, c as u8, n) };
    dst
}

/// # Safety
/// `a` and `b` must be valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: the caller guarantees both are readable for `n` bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// # Safety
/// `a` and `b` must be valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// `s` must point to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    // LLVM leaves loops alone in a function of this name: no recursion.
    let mut n = 0;
    // SAFETY: the caller guarantees a NUL ends the string, so every byte before it is readable.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    n
}

#[cfg(target_arch = "x86_64")]
unsafe fn copy_forward(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: rep movsb copies rcx bytes from rsi to rdi, upwards (the ABI keeps DF clear);
    // the caller guarantees the ranges.
    unsafe {
        asm!("rep movsb", inout("rcx") n => _, inout("rdi") dst => _, inout("rsi") src => _,
            options(nostack, preserves_flags));
    }
}

#[cfg(target_arch = "x86_64")]
unsafe fn copy_backward(dst: *mut u8, src: *const u8, n: usize) {
    if n == 0 {
        return;
    }
    // SAFETY: with DF set, rep movsb copies downwards from the last byte; DF is cleared again
    // as the ABI requires. The caller guarantees the ranges.
    unsafe {
        asm!("std", "rep movsb", "cld",
            inout("rcx") n => _, inout("rdi") dst.add(n - 1) => _, inout("rsi") src.add(n - 1) => _,
            options(nostack));
    }
}

#[cfg(target_arch = "x86_64")]
unsafe fn fill(dst: *mut u8, c: u8, n: usize) {
    // SAFETY: rep stosb stores al into rcx bytes from rdi upwards; the caller guarantees them.
    unsafe {
        asm!("rep stosb", inout("rcx") n => _, inout("rdi") dst => _, in("al") c,
            options(nostack, preserves_flags));
    }
}

#[cfg(target_arch = "aarch64")]
unsafe fn copy_forward(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: copies n bytes upwards, one at a time; the caller guarantees the ranges.
    unsafe {
        asm!(
            "cbz {n}, 2f",
            "1:",
            "ldrb {t:w}, [{s}], #1",
            "strb {t:w}, [{d}], #1",
            "subs {n}, {n}, #1",
            "b.ne 1b",
            "2:",
            n = inout(reg) n => _, s = inout(reg) src => _, d = inout(reg) dst => _,
            t = out(reg) _, options(nostack),
        );
    }
}

#[cfg(target_arch = "aarch64")]
unsafe fn copy_backward(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: copies n bytes downwards from the end, one at a time; the caller guarantees the
    // ranges.
    unsafe {
        asm!(
            "cbz {n}, 2f",
            "1:",
            "subs {n}, {n}, #1",
            "ldrb {t:w}, [{s}, {n}]",
            "strb {t:w}, [{d}, {n}]",
            "b.ne 1b",
            "2:",
            n = inout(reg) n => _, s = in(reg) src, d = in(reg) dst,
            t = out(reg) _, options(nostack),
        );
    }
}

#[cfg(target_arch = "aarch64")]
unsafe fn fill(dst: *mut u8, c: u8, n: usize) {
    let word = u64::from(c) * 0x0101_0101_0101_0101;
    // SAFETY: stores n bytes upwards, 16 at a time while at least 16 remain (unaligned stores
    // are fine for normal memory), then one at a time; the caller guarantees the range.
    unsafe {
        asm!(
            "cmp {n}, #16",
            "b.lo 2f",
            "1:",
            "stp {w}, {w}, [{d}], #16",
            "sub {n}, {n}, #16",
            "cmp {n}, #16",
            "b.hs 1b",
            "2:",
            "cbz {n}, 4f",
            "3:",
            "strb {w:w}, [{d}], #1",
            "subs {n}, {n}, #1",
            "b.ne 3b",
            "4:",
            n = inout(reg) n => _, d = inout(reg) dst => _, w = in(reg) word,
            options(nostack),
        );
    }
}
