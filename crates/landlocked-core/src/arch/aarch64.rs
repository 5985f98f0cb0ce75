//! aarch64: `svc 0` with the number in `x8`, arguments in `x0..=x5`, the result in `x0`; nothing
//! else is clobbered and the flags are preserved.

use core::arch::asm;

/// # Safety
/// The syscall `nr` must be sound to invoke with no arguments.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller guarantees the syscall is sound; registers follow the kernel ABI.
    unsafe {
        asm!("svc 0", in("x8") nr, lateout("x0") r, options(nostack, preserves_flags));
    }
    r
}

/// # Safety
/// The syscall `nr` must be sound to invoke with this argument (pointers valid, and so on).
#[inline]
pub unsafe fn syscall1(nr: usize, a0: usize) -> usize {
    let r;
    // SAFETY: the caller guarantees the syscall is sound; registers follow the kernel ABI.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 => r, options(nostack, preserves_flags));
    }
    r
}

/// # Safety
/// The syscall `nr` must be sound to invoke with these arguments (pointers valid, and so on).
#[inline]
pub unsafe fn syscall2(nr: usize, a0: usize, a1: usize) -> usize {
    let r;
    // SAFETY: the caller guarantees the syscall is sound; registers follow the kernel ABI.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 => r, in("x1") a1,
            options(nostack, preserves_flags));
    }
    r
}

/// # Safety
/// The syscall `nr` must be sound to invoke with these arguments (pointers valid, and so on).
#[inline]
pub unsafe fn syscall3(nr: usize, a0: usize, a1: usize, a2: usize) -> usize {
    let r;
    // SAFETY: the caller guarantees the syscall is sound; registers follow the kernel ABI.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 => r, in("x1") a1, in("x2") a2,
            options(nostack, preserves_flags));
    }
    r
}

/// # Safety
/// The syscall `nr` must be sound to invoke with these arguments (pointers valid, and so on).
#[inline]
pub unsafe fn syscall4(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let r;
    // SAFETY: the caller guarantees the syscall is sound; registers follow the kernel ABI.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 => r, in("x1") a1, in("x2") a2,
            in("x3") a3, options(nostack, preserves_flags));
    }
    r
}

/// # Safety
/// The syscall `nr` must be sound to invoke with these arguments (pointers valid, and so on).
#[inline]
pub unsafe fn syscall5(nr: usize, a0: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> usize {
    let r;
    // SAFETY: the caller guarantees the syscall is sound; registers follow the kernel ABI.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 => r, in("x1") a1, in("x2") a2,
            in("x3") a3, in("x4") a4, options(nostack, preserves_flags));
    }
    r
}

/// # Safety
/// The syscall `nr` must be sound to invoke with these arguments (pointers valid, and so on).
#[inline]
pub unsafe fn syscall6(
    nr: usize,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
) -> usize {
    let r;
    // SAFETY: the caller guarantees the syscall is sound; registers follow the kernel ABI.
    unsafe {
        asm!("svc 0", in("x8") nr, inlateout("x0") a0 => r, in("x1") a1, in("x2") a2,
            in("x3") a3, in("x4") a4, in("x5") a5, options(nostack, preserves_flags));
    }
    r
}

/// A syscall that never returns (`exit_group`); a trap follows it should the kernel ever come
/// back.
///
/// # Safety
/// The syscall `nr` must be one that does not return when given this argument.
#[inline]
pub unsafe fn syscall1_noreturn(nr: usize, a0: usize) -> ! {
    // SAFETY: the caller guarantees the syscall does not return; `brk` traps if it does.
    unsafe {
        asm!("svc 0", "brk #0x1", in("x8") nr, in("x0") a0, options(nostack, noreturn));
    }
}
