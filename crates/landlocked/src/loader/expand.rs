//! Search paths as the loader reads them: `LD_LIBRARY_PATH`, `DT_RPATH` and `DT_RUNPATH`
//! entries, and the `$ORIGIN`, `$LIB` and `$PLATFORM` tokens in them.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// What an expanded search directory of glibc holds more than this.
pub(crate) const TOO_MANY_DIRS: &str = "a search path of more than 256 directories";
const MAX_SEARCH_DIRS: usize = 256;

/// `LD_LIBRARY_PATH`: colon or semicolon separated; an empty entry is the working directory.
pub(crate) fn split_search_path(value: Option<&OsStr>) -> Vec<PathBuf> {
    let Some(value) = value.filter(|v| !v.is_empty()) else { return Vec::new() };
    value
        .as_bytes()
        .split(|&b| b == b':' || b == b';')
        .map(
            |d| {
                if d.is_empty() { PathBuf::from(".") } else { PathBuf::from(OsStr::from_bytes(d)) }
            },
        )
        .collect()
}

/// The entries of a `DT_RPATH` or `DT_RUNPATH` string: an empty one is the working directory,
/// as for glibc. More than [`MAX_SEARCH_DIRS`] are not believed.
pub(crate) fn search_list(string: &[u8]) -> Result<Vec<Vec<u8>>, ()> {
    let entries: Vec<Vec<u8>> = string
        .split(|&b| b == b':')
        .map(|e| if e.is_empty() { b".".to_vec() } else { e.to_vec() })
        .take(MAX_SEARCH_DIRS + 1)
        .collect();
    if entries.len() > MAX_SEARCH_DIRS { Err(()) } else { Ok(entries) }
}

/// One entry expanded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Expanded {
    pub path: PathBuf,
    /// It starts with `$ORIGIN`: a path beside the object on this machine, not one of the
    /// target's to look up under its root.
    pub from_origin: bool,
}

/// Every search directory (or path) of `entries` with `$ORIGIN`, `$LIB` and `$PLATFORM`
/// expanded to `origin`, `lib` and `platform`.
pub(crate) fn expand_all(
    entries: &[Vec<u8>],
    origin: &Path,
    lib: &str,
    platform: &str,
) -> Vec<Expanded> {
    let mut out = Vec::new();
    for entry in entries {
        let from_origin = entry.starts_with(b"$ORIGIN") || entry.starts_with(b"${ORIGIN}");
        let with_origin = replace(entry, &["$ORIGIN", "${ORIGIN}"], origin.as_os_str().as_bytes());
        let with_platform =
            replace(&with_origin, &["$PLATFORM", "${PLATFORM}"], platform.as_bytes());
        let expanded = replace(&with_platform, &["$LIB", "${LIB}"], lib.as_bytes());
        out.push(Expanded { path: PathBuf::from(OsStr::from_bytes(&expanded)), from_origin });
    }
    out
}

/// `haystack` with each of `names` (longest first where they overlap) replaced by `value`.
fn replace(haystack: &[u8], names: &[&str], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    'outer: while i < haystack.len() {
        for name in names.iter().rev() {
            if haystack[i..].starts_with(name.as_bytes()) {
                out.extend_from_slice(value);
                i += name.len();
                continue 'outer;
            }
        }
        out.push(haystack[i]);
        i += 1;
    }
    out
}
