//! Raw system call instructions, one file per architecture with the same set of stubs.
//!
//! Every stub takes the syscall number and its arguments as `usize` and returns the kernel's raw
//! result; [`crate::ret`] turns that into a `Result`. Nothing here knows what a syscall means.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub use aarch64::*;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("landlocked-core has syscall stubs for x86_64 and aarch64 only");

#[cfg(not(any(target_os = "linux", target_os = "android")))]
compile_error!("landlocked-core targets the Linux syscall ABI");
