//! What the guest's root holds besides `/init` and the command: files with their modes,
//! symbolic links and directories, by guest path, each path given once.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::cpio;

/// `path` with `.` and `..` taken by their letters, from `/` (the guest's directories are the
/// initramfs's own, with no links of the host's under them).
pub(crate) fn lexical(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::from("/");
    for part in path.components() {
        match part {
            Component::Normal(name) => out.push(name),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// Where the link at `at` to `target` leads.
fn resolved(at: &Path, target: &Path) -> PathBuf {
    lexical(&at.parent().unwrap_or(Path::new("/")).join(target))
}

/// One entry of the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// A regular file and its permission bits.
    File { data: Vec<u8>, mode: u32 },
    /// A symbolic link and its target, as given.
    Link(PathBuf),
    /// A directory and its permission bits (the parents of entries need none).
    Dir(u32),
}

/// The entries, in the order given.
#[derive(Debug, Default)]
pub(crate) struct Root {
    entries: Vec<(PathBuf, Node)>,
}

impl Root {
    /// `node` (from `host`) at `guest`: once, and never in place of something else there (the
    /// program, one of its libraries or the init's, another `--with`), which would lose
    /// silently. The same file twice is one.
    pub(crate) fn put(&mut self, guest: PathBuf, node: Node, host: &Path) -> Result<(), String> {
        let same = |there: &Node| match (there, &node) {
            (Node::File { data: a, .. }, Node::File { data: b, .. }) => a == b,
            (Node::Dir(_), Node::Dir(_)) => true,
            // The same place, however the target is written.
            (Node::Link(a), Node::Link(b)) => resolved(&guest, a) == resolved(&guest, b),
            _ => false,
        };
        // Nothing under a link or a file: the kernel would unpack it through the link (outside
        // its path) or drop it.
        let leaf = |n: &Node| !matches!(n, Node::Dir(_));
        let clash = self.entries.iter().find(|(p, there)| {
            (leaf(there) && guest.starts_with(p) && guest != *p)
                || (leaf(&node) && p.starts_with(&guest) && guest != *p)
        });
        if let Some((p, _)) = clash {
            return Err(format!(
                "{}: {} and {} in the guest: one is a link or a file the other would be under",
                host.display(),
                guest.display(),
                p.display()
            ));
        }
        match self.entries.iter().find(|(p, _)| *p == guest) {
            Some((_, there)) if same(there) => Ok(()),
            Some(_) => Err(format!(
                "{}: {} in the guest already holds another file (the program, a library or \
                 another --with)",
                host.display(),
                guest.display()
            )),
            None => {
                self.entries.push((guest, node));
                Ok(())
            }
        }
    }

    /// A regular file, executable.
    pub(crate) fn program(
        &mut self,
        guest: PathBuf,
        data: Vec<u8>,
        host: &Path,
    ) -> Result<(), String> {
        self.put(guest, Node::File { data, mode: 0o755 }, host)
    }

    /// Writes `base` (directories every guest has), the parents of every entry, then the
    /// entries; names as bytes, so that one that is not UTF-8 keeps its name.
    pub(crate) fn write(&self, w: &mut cpio::Writer, base: &[&str]) {
        // (path, mode, given): parents are 0755, a directory given keeps its own mode.
        let mut dirs: Vec<(PathBuf, u32, bool)> =
            base.iter().map(|d| (Path::new("/").join(d), 0o755, false)).collect();
        for (path, node) in &self.entries {
            let mut parent = path.parent();
            while let Some(p) = parent.filter(|p| *p != Path::new("/")) {
                dirs.push((p.to_path_buf(), 0o755, false));
                parent = p.parent();
            }
            if let Node::Dir(mode) = node {
                dirs.push((path.clone(), *mode, true));
            }
        }
        // Parents before children (a path sorts before those under it), the given one first.
        dirs.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)));
        dirs.dedup_by(|later, first| later.0 == first.0);
        let bytes = |p: &Path| p.as_os_str().as_bytes().to_vec();
        for (dir, mode, _) in &dirs {
            w.dir(bytes(dir), *mode);
        }
        for (path, node) in &self.entries {
            match node {
                Node::File { data, mode } => w.file(bytes(path), *mode, data),
                Node::Link(target) => w.symlink(bytes(path), target.as_os_str().as_bytes()),
                Node::Dir(_) => {}
            }
        }
    }

    /// The entries, to move them into another root.
    pub(crate) fn into_entries(self) -> Vec<(PathBuf, Node)> {
        self.entries
    }

    #[cfg(test)]
    pub(crate) fn entries(&self) -> &[(PathBuf, Node)] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(data: &[u8]) -> Node {
        Node::File { data: data.to_vec(), mode: 0o644 }
    }

    #[test]
    fn nothing_goes_under_a_link_or_a_file() {
        let mut root = Root::default();
        let host = Path::new("/h");
        root.put("/d/l".into(), Node::Link("/etc".into()), host).unwrap();
        root.put("/x/a".into(), file(b"1"), host).unwrap();
        for (at, node) in [("/d/l/planted", file(b"2")), ("/x/a/b", file(b"3"))] {
            let e = root.put(at.into(), node, host).unwrap_err();
            assert!(e.contains("the other would be under"), "{e}");
        }
        // Nor a link or a file above what is there.
        let e = root.put("/x".into(), Node::Link("y".into()), host).unwrap_err();
        assert!(e.contains("the other would be under"), "{e}");
        root.put("/x".into(), Node::Dir(0o755), host).unwrap();
    }

    #[test]
    fn the_same_link_written_two_ways_is_one() {
        let mut root = Root::default();
        let host = Path::new("/h");
        root.put("/fx/bin/tool".into(), Node::Link("/fx/libexec/tool".into()), host).unwrap();
        root.put("/fx/bin/tool".into(), Node::Link("../libexec/tool".into()), host).unwrap();
        let e = root.put("/fx/bin/tool".into(), Node::Link("../other".into()), host).unwrap_err();
        assert!(e.contains("already holds another file"), "{e}");
        assert_eq!(root.entries().len(), 1);
    }
}
