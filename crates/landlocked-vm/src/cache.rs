//! The cache outside the checkout, shared by every clone and by CI: kernel images, Debian
//! package indexes and downloads.

use std::path::PathBuf;

/// `$LANDLOCKED_CACHE`, else `$XDG_CACHE_HOME/landlocked`, else `~/.cache/landlocked`.
pub fn dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LANDLOCKED_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/var/cache"));
    base.join("landlocked")
}
