//! Syscall names and numbers, from the `syscalls` crate's tables (generated from the kernel's):
//! this architecture's to compile filters, the others' to tell a name that exists elsewhere
//! from a typing error.

use std::str::FromStr;

/// What a syscall name is here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A syscall of this architecture, by number.
    Native(u32),
    /// A syscall of x86_64, aarch64, i386 or arm that this architecture does not have.
    OtherArch,
    /// No table knows it.
    Unknown,
}

/// What `name` is on this architecture.
pub fn resolve(name: &str) -> Resolved {
    if let Ok(sysno) = syscalls::Sysno::from_str(name) {
        return Resolved::Native(sysno.id() as u32);
    }
    let elsewhere = syscalls::x86_64::Sysno::from_str(name).is_ok()
        || syscalls::aarch64::Sysno::from_str(name).is_ok()
        || syscalls::x86::Sysno::from_str(name).is_ok()
        || syscalls::arm::Sysno::from_str(name).is_ok();
    if elsewhere { Resolved::OtherArch } else { Resolved::Unknown }
}

/// The number of the native syscall `name`, for names this crate itself uses.
pub fn native(name: &str) -> u32 {
    match resolve(name) {
        Resolved::Native(nr) => nr,
        _ => unreachable!("{name} is a syscall of every supported architecture"),
    }
}

/// Every syscall of this architecture's table (`@known`). (The crate's own iterator leaves
/// out the last one.)
fn native_table() -> impl Iterator<Item = syscalls::Sysno> {
    let last = syscalls::Sysno::last().id();
    (0..=last).filter_map(|id| syscalls::Sysno::new(id as usize))
}

/// Every syscall number of this architecture.
pub fn native_numbers() -> impl Iterator<Item = u32> {
    native_table().map(|s| s.id() as u32)
}

/// Every syscall name of this architecture.
pub fn native_names() -> impl Iterator<Item = &'static str> {
    native_table().map(|s| s.name())
}
