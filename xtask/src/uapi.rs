//! The kernel's own uapi header, the ground truth the crate's constants are checked against.

use std::path::PathBuf;

use crate::apt::Apt;
use crate::cache;

/// The suite whose `linux-libc-dev` carries the newest Landlock header (Linux 7.3, ABI 11).
const SUITE: &str = "experimental";

/// Fetches `linux-libc-dev` from Debian experimental and returns its `usr/include`, also linked
/// as `<cache>/uapi/include` where the header test looks when run by plain `cargo test`.
pub fn fetch() -> Result<PathBuf, String> {
    let apt = Apt::new(SUITE, "amd64")?;
    let dir = apt.unpack("linux-libc-dev")?.join("usr/include");
    let header = dir.join("linux/landlock.h");
    if !header.is_file() {
        return Err(format!("{} is missing from linux-libc-dev", header.display()));
    }
    let link = cache::dir().join("uapi/include");
    std::fs::create_dir_all(link.parent().unwrap()).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&dir, &link).map_err(|e| format!("{}: {e}", link.display()))?;
    Ok(dir)
}
