//! Real Linux kernels for Landlock ABI testing: the manifest of kernels (Debian's images of
//! every suite that matters, and kernels built from source with a minimal Landlock
//! configuration), fetched and cached outside any checkout, and the newc initramfs writer.
//!
//! [`run`] boots any program on them (`landlocked-vm run`, `matrix`; `cargo xtask vmtest` runs
//! the conformance suite so); `landlocked-vm kernels` lists, fetches and builds them. [`cli`]
//! declares the command line, for its man pages too.

/// `println!` that never panics: a full or closed stdout loses the line (a closed pipe ends
/// the process by SIGPIPE first, as for any filter).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that never panics (`landlocked-vm ... 2>/dev/full`).
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod apt;
pub mod cache;
pub mod cli;
pub mod cpio;
pub mod kbuild;
pub mod kernels;
pub mod qemu;
pub mod run;
pub mod sources;

/// `path` opened for reading if it is a regular file (`not a regular file` otherwise): opened
/// without blocking, so that a FIFO given where an image or a program is expected is refused
/// rather than waited on.
pub(crate) fn open_regular(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if file.metadata()?.is_file() {
        Ok(file)
    } else {
        Err(std::io::Error::other("not a regular file"))
    }
}
