//! Real Linux kernels for Landlock ABI testing: the manifest of kernels (Debian's images of
//! every suite that matters, and kernels built from source with a minimal Landlock
//! configuration), fetched and cached outside any checkout, and the newc initramfs writer.
//!
//! `cargo xtask vmtest` boots them with the conformance suite; `landlocked-vm kernels` lists,
//! fetches and builds them.

pub mod apt;
pub mod cache;
pub mod cpio;
pub mod kbuild;
pub mod kernels;
pub mod qemu;
pub mod run;
pub mod sources;
