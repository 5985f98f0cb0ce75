//! `/etc/ld.so.conf`: the directories `ldconfig` puts in the loader's cache, in order, with the
//! files it includes; and musl's path file, which takes its place for musl's loader. Both are the
//! target's: their absolute paths are looked up in its [`Tree`].

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::Error;
use super::elf::{self, Opened};
use super::root::Tree;

/// Includes nested deeper than this are a loop (`a.conf` including itself) or nonsense.
const MAX_INCLUDE_DEPTH: usize = 8;

/// Files read for one configuration, includes and all: the depth alone would let each level
/// include every file of the next, width to the eighth power of reads.
const MAX_CONFIG_FILES: usize = 1024;

/// The directories of `file` and of the files it includes, in order. A missing file gives none
/// (a system without `/etc/ld.so.conf` uses the default directories only); a file that is not
/// UTF-8, an include loop and an unreadable file are errors naming it.
pub(crate) fn directories(tree: &Tree, file: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut budget = MAX_CONFIG_FILES;
    read(tree, file, 0, &mut budget, &mut out)?;
    Ok(out)
}

/// musl's `/etc/ld-musl-ARCH.path` (`file`): directories separated by newlines or colons.
/// Absent, the default directories apply.
pub(crate) fn musl_directories(tree: &Tree, file: &Path) -> Result<Vec<PathBuf>, Error> {
    let Some(bytes) = read_config(tree, file)? else { return Ok(Vec::new()) };
    Ok(bytes
        .split(|&b| b == b'\n' || b == b':')
        .filter(|d| d.starts_with(b"/"))
        .filter_map(|d| tree.host(Path::new(OsStr::from_bytes(d))))
        .collect())
}

/// Configuration files larger than this are not believed.
const MAX_CONFIG: u64 = 1 << 20;

/// A configuration file's bytes, `None` if it does not exist. Read only if it is a regular file
/// (an include naming a FIFO or /dev/zero can neither hang nor fill the memory).
fn read_config(tree: &Tree, file: &Path) -> Result<Option<Vec<u8>>, Error> {
    use std::io::Read;
    let f = match tree.open_regular(file, 0)?.0 {
        Opened::File(f) => f,
        Opened::Missing => return Ok(None),
        Opened::NotRegular | Opened::TooSmall => {
            return Err(Error::Io { path: file.to_path_buf(), error: "not a regular file".into() });
        }
        Opened::Unreadable(e) => return Err(elf::io_error(file, &e)),
    };
    let mut bytes = Vec::new();
    f.take(MAX_CONFIG + 1).read_to_end(&mut bytes).map_err(|e| elf::io_error(file, &e))?;
    if bytes.len() as u64 > MAX_CONFIG {
        return Err(Error::Io { path: file.to_path_buf(), error: "larger than 1 MiB".into() });
    }
    Ok(Some(bytes))
}

fn read(
    tree: &Tree,
    file: &Path,
    depth: usize,
    budget: &mut usize,
    out: &mut Vec<PathBuf>,
) -> Result<(), Error> {
    *budget = budget.saturating_sub(1);
    let Some(bytes) = read_config(tree, file)? else { return Ok(()) };
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Error::LdSoConf { file: file.to_path_buf(), line, reason: "not UTF-8".into() }
    })?;
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        let include =
            line.strip_prefix("include").filter(|r| r.is_empty() || r.starts_with([' ', '\t']));
        if let Some(patterns) = include {
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(Error::LdSoConf {
                    file: file.to_path_buf(),
                    line: n + 1,
                    reason: format!("includes nested deeper than {MAX_INCLUDE_DEPTH} (a loop?)"),
                });
            }
            for pattern in patterns.split_whitespace() {
                // An absolute pattern is the target's; a relative one is beside this file.
                let pattern = if pattern.starts_with('/') {
                    tree.host(Path::new(pattern))
                } else {
                    Some(file.parent().unwrap_or(Path::new("/")).join(pattern))
                };
                for included in pattern.iter().flat_map(|p| glob(tree, p)) {
                    if *budget == 0 {
                        return Err(Error::LdSoConf {
                            file: file.to_path_buf(),
                            line: n + 1,
                            reason: format!("more than {MAX_CONFIG_FILES} files included in all"),
                        });
                    }
                    read(tree, &included, depth + 1, budget, out)?;
                }
            }
        } else if line.starts_with("hwcap") || line.is_empty() {
            // `hwcap` lines are an old ldconfig feature, without directories.
        } else {
            // A directory, possibly followed by `=TYPE`; separators as ldconfig takes them.
            // Only absolute ones: a relative one would name a place in the command's working
            // directory, which the cache never does.
            for dir in line.split([' ', '\t', ':', ',']).filter(|s| !s.is_empty()) {
                let dir = dir.split('=').next().unwrap_or(dir);
                if dir.starts_with('/') {
                    out.extend(tree.host(Path::new(dir)));
                }
            }
        }
    }
    Ok(())
}

/// The entries matching a path whose last component may hold `*` wildcards, sorted (as
/// `glob(3)` sorts them). Without a wildcard, the path itself.
fn glob(tree: &Tree, pattern: &Path) -> Vec<PathBuf> {
    let Some(name) = pattern.file_name().and_then(|n| n.to_str()) else {
        return vec![pattern.to_path_buf()];
    };
    if !name.contains('*') {
        return vec![pattern.to_path_buf()];
    }
    let dir = pattern.parent().unwrap_or(Path::new("/"));
    let parts: Vec<&str> = name.split('*').collect();
    let mut found: Vec<PathBuf> = tree
        .read_dir(dir)
        .into_iter()
        .filter(|name| name.to_str().is_some_and(|n| wildcard(&parts, n)))
        .map(|name| dir.join(name))
        .collect();
    found.sort();
    found
}

/// Whether `name` matches the pattern split at its `*`s. A leading dot is matched only by a
/// pattern starting with one, as `glob(3)` does.
fn wildcard(parts: &[&str], name: &str) -> bool {
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if name.starts_with('.') && !first.starts_with('.') {
        return false;
    }
    if !name.starts_with(first) || !name.ends_with(last) || name.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let parts = |p: &'static str| p.split('*').collect::<Vec<_>>();
        assert!(wildcard(&parts("*.conf"), "libc.conf"));
        assert!(!wildcard(&parts("*.conf"), "libc.conf.bak"));
        assert!(!wildcard(&parts("*.conf"), ".hidden.conf"));
        assert!(wildcard(&parts("a*b*c"), "aXbYc"));
        assert!(!wildcard(&parts("a*b*c"), "ac"));
        assert!(!wildcard(&parts("ab*ba"), "aba"));
        assert!(wildcard(&parts("*"), "x"));
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("landlocked-ldconf-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("conf.d")).unwrap();
        dir
    }

    #[test]
    fn includes_in_order_and_comments() {
        let dir = scratch("order");
        std::fs::write(dir.join("conf.d/b.conf"), "/b1 /b2:/b3\n").unwrap();
        std::fs::write(dir.join("conf.d/a.conf"), "# comment\n/a # trailing\n").unwrap();
        std::fs::write(dir.join("conf.d/skip.txt"), "/not-included\n").unwrap();
        std::fs::write(
            dir.join("ld.so.conf"),
            "/first\ninclude conf.d/*.conf\n/last=libc6\nhwcap 0 x\n",
        )
        .unwrap();
        let dirs = directories(&Tree::default(), &dir.join("ld.so.conf")).unwrap();
        let dirs: Vec<&str> = dirs.iter().map(|d| d.to_str().unwrap()).collect();
        assert_eq!(dirs, ["/first", "/a", "/b1", "/b2", "/b3", "/last"]);
        assert!(directories(&Tree::default(), &dir.join("absent.conf")).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn loops_and_bad_bytes_are_errors_naming_the_file() {
        let dir = scratch("loop");
        let conf = dir.join("ld.so.conf");
        std::fs::write(&conf, format!("include {}\n", conf.display())).unwrap();
        let e = directories(&Tree::default(), &conf).unwrap_err().to_string();
        assert!(e.contains("ld.so.conf:1") && e.contains("deeper than 8"), "{e}");
        std::fs::write(&conf, b"/ok\n/caf\xe9\n").unwrap();
        let e = directories(&Tree::default(), &conf).unwrap_err().to_string();
        assert!(e.contains("ld.so.conf:2") && e.contains("not UTF-8"), "{e}");
        // An include of a FIFO neither hangs nor is read.
        let fifo = dir.join("fifo.conf");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        std::fs::write(&conf, "include fifo.conf\n").unwrap();
        let e = directories(&Tree::default(), &conf).unwrap_err().to_string();
        assert!(e.contains("fifo.conf: not a regular file"), "{e}");
        // Each level including every file of the next: stopped long before 4^8 reads.
        for level in 0..8 {
            for i in 0..4 {
                let next =
                    if level == 7 { String::new() } else { format!("include l{}-*\n", level + 1) };
                std::fs::write(dir.join(format!("l{level}-{i}")), format!("{next}/d{level}\n"))
                    .unwrap();
            }
        }
        std::fs::write(&conf, "include l0-*\n").unwrap();
        let e = directories(&Tree::default(), &conf).unwrap_err().to_string();
        assert!(e.contains(":1") && e.contains("more than 1024 files included"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
