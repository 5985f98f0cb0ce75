//! x86_64: `syscall` with the number in `rax`, arguments in `rdi rsi rdx r10 r8 r9`, the result
//! in `rax`; the instruction itself clobbers `rcx` (return address) and `r11` (saved flags), and
//! the kernel restores the flags on return.

use core::arch::asm;

/// # Safety
/// The syscall `nr` must be sound to invoke with no arguments.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller guarantees the syscall is sound; registers follow the kernel ABI.
    unsafe {
        asm!("syscall", inlateout("rax") nr => r, lateout("rcx") _, lateout("r11") _,
            options(nostack, preserves_flags));
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
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a0,
            lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
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
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a0, in("rsi") a1,
            lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
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
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a0, in("rsi") a1, in("rdx") a2,
            lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
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
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a0, in("rsi") a1, in("rdx") a2,
            in("r10") a3, lateout("rcx") _, lateout("r11") _, options(nostack, preserves_flags));
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
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a0, in("rsi") a1, in("rdx") a2,
            in("r10") a3, in("r8") a4, lateout("rcx") _, lateout("r11") _,
            options(nostack, preserves_flags));
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
        asm!("syscall", inlateout("rax") nr => r, in("rdi") a0, in("rsi") a1, in("rdx") a2,
            in("r10") a3, in("r8") a4, in("r9") a5, lateout("rcx") _, lateout("r11") _,
            options(nostack, preserves_flags));
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
    // SAFETY: the caller guarantees the syscall does not return; `ud2` traps if it does.
    unsafe {
        asm!("syscall", "ud2", in("rax") nr, in("rdi") a0, options(nostack, noreturn));
    }
}
