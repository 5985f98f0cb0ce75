//! A fresh directory tree per case: `a/` and `b/` with a file, a subdirectory and a
//! non-executable "program" each, and `c/` empty.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A scratch tree, removed on drop.
#[derive(Debug)]
pub struct Scratch {
    root: PathBuf,
}

impl Scratch {
    /// Creates the tree under the system's temporary directory.
    pub fn new(case: &str) -> Scratch {
        static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("llconf-{}-{seq}-{case}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for dir in ["a", "b", "c", "a/d", "b/d"] {
            std::fs::create_dir_all(root.join(dir)).expect("scratch dir");
        }
        for dir in ["a", "b"] {
            std::fs::write(root.join(dir).join("f"), b"content\n").expect("scratch file");
            // Not a valid program: an exec that passes Landlock fails with ENOEXEC instead.
            let prog = root.join(dir).join("x");
            std::fs::write(&prog, b"not a program\n").expect("scratch program");
            std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        Scratch { root }
    }

    /// The root of the tree.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path in the tree.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// A path in the tree as bytes, for a rule.
    pub fn bytes(&self, rel: &str) -> Vec<u8> {
        self.path(rel).as_os_str().as_bytes().to_vec()
    }

    /// A path in the tree as a C string, for a syscall.
    pub fn c(&self, rel: &str) -> CString {
        CString::new(self.bytes(rel)).expect("no NUL in scratch paths")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
