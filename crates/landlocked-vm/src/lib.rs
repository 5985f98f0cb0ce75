//! Real Linux kernels for Landlock ABI testing: the manifest of kernels (Debian's images of
//! every suite that matters, and kernels built from source with a minimal Landlock
//! configuration), fetched and cached outside any checkout, and the newc initramfs writer.
//!
//! [`run`] boots any program on them (`landlocked-vm run`, `matrix`; `cargo xtask vmtest` runs
//! the conformance suite so); `landlocked-vm kernels` lists, fetches and builds them. [`cli`]
//! declares the command line, for its man pages too.

pub mod apt;
pub mod cache;
pub mod cli;
pub mod cpio;
pub mod kbuild;
pub mod kernels;
pub mod qemu;
pub mod run;
pub mod sources;
