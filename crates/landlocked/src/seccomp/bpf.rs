//! The classic BPF programs: seccompiler's for rules on arguments (the network filter), this
//! module's own for sets of syscall numbers (the syscall filter).
//!
//! seccompiler compares the number with each entry in turn, which is fine for the handful of
//! syscalls of the network filter but not for an allow-list of 400: the kernel emulates a new
//! filter once per syscall number to cache which ones it always allows, and installing
//! `@system-service` compiled that way took 1.1 ms (strace -T, Linux 6.18). As ranges of
//! consecutive numbers, tested in order, the same list is about 50 ranges and installs in a
//! tenth of that.
//!
//! Every program starts by checking the architecture: another entry point of the kernel (i386
//! or x32 on x86_64, AArch32 on arm64) kills the process, so that no syscall can slip past a
//! filter written for native numbers.

use std::collections::{BTreeMap, BTreeSet};

use landlocked_core::Errno;
use landlocked_core::seccomp::{self as raw, SockFilter};
use seccompiler::{SeccompAction, SeccompFilter, SeccompRule, TargetArch};

use super::SeccompError;

#[cfg(target_arch = "x86_64")]
const TARGET: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const TARGET: TargetArch = TargetArch::aarch64;

/// The opcodes used here: `ld [k]`, `jeq k`, `jge k`, `jgt k`, `ret k`.
const LD_W_ABS: u16 = 0x20;
const JEQ_K: u16 = 0x15;
const JGE_K: u16 = 0x35;
const JGT_K: u16 = 0x25;
const RET_K: u16 = 0x06;

fn op(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter { code, jt, jf, k }
}

/// On x86_64, x32 syscalls carry the native architecture and `X32_SYSCALL_BIT` in their number:
/// they get `foreign` (killed, for a sandbox), but for -1, which is no syscall (a tracer's
/// "skip", the kernel's `ENOSYS`). The number is then in the accumulator.
fn x32_guard(foreign: u32) -> Vec<SockFilter> {
    let mut guard = vec![op(LD_W_ABS, raw::DATA_NR, 0, 0)];
    if cfg!(target_arch = "x86_64") {
        guard.push(op(JEQ_K, u32::MAX, 2, 0));
        guard.push(op(JGE_K, raw::X32_SYSCALL_BIT, 0, 1));
        guard.push(op(RET_K, foreign, 0, 0));
    }
    guard
}

fn checked(program: Vec<SockFilter>) -> Result<Vec<SockFilter>, SeccompError> {
    if program.len() > raw::MAX_INSTRUCTIONS {
        return Err(SeccompError::TooLarge { instructions: program.len() });
    }
    Ok(program)
}

/// A filter returning `matched` for the syscalls of `numbers`, `unknown` for numbers this
/// architecture's table does not have (when given) and `mismatch` for the others.
///
/// Per range of numbers `lo..=hi` with one result, in increasing order: below `lo` (so above
/// the range before) is a mismatch, up to `hi` the range's result, above it the next range's
/// test. Every jump is short, so there is no limit on the number of ranges but the program's
/// length.
pub fn number_set(
    numbers: &BTreeSet<u32>,
    matched: u32,
    mismatch: u32,
    unknown: Option<u32>,
) -> Result<Vec<SockFilter>, SeccompError> {
    number_set_with(numbers, matched, mismatch, unknown, raw::RET_KILL_PROCESS)
}

/// [`number_set`], with `foreign` for the syscalls of another entry point of the kernel (the
/// tracer's filter lets them through).
pub fn number_set_with(
    numbers: &BTreeSet<u32>,
    matched: u32,
    mismatch: u32,
    unknown: Option<u32>,
    foreign: u32,
) -> Result<Vec<SockFilter>, SeccompError> {
    let mut classes: Vec<(u32, u32, u32)> =
        ranges(numbers).into_iter().map(|(lo, hi)| (lo, hi, matched)).collect();
    if let Some(unknown) = unknown {
        let known: BTreeSet<u32> = super::table::native_numbers().collect();
        let last = known.last().copied().unwrap_or(0);
        let holes: BTreeSet<u32> = (0..last).filter(|n| !known.contains(n)).collect();
        classes.extend(ranges(&holes).into_iter().map(|(lo, hi)| (lo, hi, unknown)));
        classes.push((last + 1, u32::MAX, unknown));
        classes.sort_unstable();
    }
    let mut program = vec![
        op(LD_W_ABS, raw::DATA_ARCH, 0, 0),
        op(JEQ_K, raw::AUDIT_ARCH_NATIVE, 1, 0),
        op(RET_K, foreign, 0, 0),
    ];
    program.extend(x32_guard(foreign));
    for (lo, hi, result) in classes {
        program.extend([
            op(JGE_K, lo, 0, 2),
            op(JGT_K, hi, 2, 0),
            op(RET_K, result, 0, 0),
            op(RET_K, mismatch, 0, 0),
        ]);
    }
    program.push(op(RET_K, mismatch, 0, 0));
    checked(program)
}

/// `numbers` as ranges of consecutive numbers, in order.
fn ranges(numbers: &BTreeSet<u32>) -> Vec<(u32, u32)> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for &nr in numbers {
        match ranges.last_mut() {
            Some((_, hi)) if *hi + 1 == nr => *hi = nr,
            _ => ranges.push((nr, nr)),
        }
    }
    ranges
}

/// A filter denying with `errno` the syscalls and arguments of `rules` (seccompiler's rules:
/// a syscall listed is denied when one of its rules holds, all of them when it has none).
pub fn with_rules(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    errno: Errno,
) -> Result<Vec<SockFilter>, SeccompError> {
    let denied = SeccompAction::Errno(errno.raw() as u32);
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, denied, TARGET)
        .expect("the actions of a filter differ");
    let compiled: seccompiler::BpfProgram = match filter.try_into() {
        Ok(program) => program,
        Err(seccompiler::BackendError::FilterTooLarge(instructions)) => {
            return Err(SeccompError::TooLarge { instructions });
        }
        Err(e) => unreachable!("seccompiler refused a filter: {e}"),
    };
    // seccompiler's program checks the architecture first (killing on another).
    let mut program = x32_guard(raw::RET_KILL_PROCESS);
    program.extend(compiled.iter().map(|i| SockFilter {
        code: i.code,
        jt: i.jt,
        jf: i.jf,
        k: i.k,
    }));
    checked(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_numbers_are_one_range() {
        let set: BTreeSet<u32> = [0, 1, 2, 5, 7, 8, 300].into_iter().collect();
        assert_eq!(ranges(&set), [(0, 2), (5, 5), (7, 8), (300, 300)]);
        assert_eq!(ranges(&BTreeSet::new()), []);
    }
}
