//! A writer of `newc` cpio archives, the format the kernel unpacks an initramfs from
//! (`Documentation/driver-api/early-userspace/buffer-format.rst`). Uncompressed: every kernel
//! accepts it, and compressing a 1 MB archive saves nothing worth a dependency.

/// An archive being written in memory. Entries are owned by root with mtime 0, so the same inputs
/// give the same bytes.
#[derive(Debug, Default)]
pub struct Writer {
    out: Vec<u8>,
    next_ino: u32,
}

const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFCHR: u32 = 0o020_000;
const S_IFLNK: u32 = 0o120_000;

impl Writer {
    /// An empty archive.
    pub fn new() -> Writer {
        Writer { out: Vec::new(), next_ino: 1 }
    }

    /// A directory; `path` is relative to the root (`dev`, `usr/bin`), its parents added first.
    /// Paths are bytes: any name a file can have but NUL.
    pub fn dir(&mut self, path: impl AsRef<[u8]>, perm: u32) {
        self.entry(path.as_ref(), S_IFDIR | perm, 2, (0, 0), &[]);
    }

    /// A regular file holding `data` (under 4 GiB: newc's limit, which the caller checks).
    pub fn file(&mut self, path: impl AsRef<[u8]>, perm: u32, data: &[u8]) {
        self.entry(path.as_ref(), S_IFREG | perm, 1, (0, 0), data);
    }

    /// A symbolic link to `target` (its bytes are the entry's data, as newc keeps links).
    pub fn symlink(&mut self, path: impl AsRef<[u8]>, target: &[u8]) {
        self.entry(path.as_ref(), S_IFLNK | 0o777, 1, (0, 0), target);
    }

    /// A character device node (`dev/console` is 5, 1).
    pub fn char_device(&mut self, path: impl AsRef<[u8]>, perm: u32, major: u32, minor: u32) {
        self.entry(path.as_ref(), S_IFCHR | perm, 1, (major, minor), &[]);
    }

    /// The archive, closed by its `TRAILER!!!` entry.
    pub fn finish(mut self) -> Vec<u8> {
        self.next_ino = 0;
        self.entry(b"TRAILER!!!", 0, 1, (0, 0), &[]);
        self.out
    }

    fn entry(&mut self, name: &[u8], mode: u32, nlink: u32, rdev: (u32, u32), data: &[u8]) {
        let start = name.iter().position(|&b| b != b'/').unwrap_or(name.len());
        let name = &name[start..];
        assert!(!name.is_empty() && !name.contains(&0), "bad cpio entry name {name:?}");
        let ino = self.next_ino;
        self.next_ino += 1;
        let size = u32::try_from(data.len()).expect("cpio newc holds files under 4 GiB");
        let fields = [
            ino,
            mode,
            0, // uid
            0, // gid
            nlink,
            0, // mtime
            size,
            0, // dev major
            0, // dev minor
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0, // check (newc has none)
        ];
        self.out.extend_from_slice(b"070701");
        for field in fields {
            self.out.extend_from_slice(format!("{field:08x}").as_bytes());
        }
        self.out.extend_from_slice(name);
        self.out.push(0);
        self.pad();
        self.out.extend_from_slice(data);
        self.pad();
    }

    /// Header plus name, and data, each end on a 4-byte boundary.
    fn pad(&mut self) {
        while self.out.len() % 4 != 0 {
            self.out.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader for the tests: (name, mode, rdev major, rdev minor, data) of each entry.
    fn read(mut archive: &[u8]) -> Vec<(String, u32, u32, u32, Vec<u8>)> {
        let mut entries = Vec::new();
        let mut offset = 0;
        loop {
            assert_eq!(&archive[..6], b"070701", "magic at offset {offset}");
            let field = |i: usize| {
                let hex = std::str::from_utf8(&archive[6 + 8 * i..14 + 8 * i]).unwrap();
                u32::from_str_radix(hex, 16).unwrap()
            };
            let (mode, size, namesize) = (field(1), field(6) as usize, field(11) as usize);
            let (major, minor) = (field(9), field(10));
            let name = std::str::from_utf8(&archive[110..110 + namesize - 1]).unwrap().to_owned();
            assert_eq!(archive[110 + namesize - 1], 0, "name of {name} ends in NUL");
            let data_start = (110 + namesize).next_multiple_of(4);
            let data = archive[data_start..data_start + size].to_vec();
            let end = (data_start + size).next_multiple_of(4);
            archive = &archive[end..];
            offset += end;
            if name == "TRAILER!!!" {
                assert!(archive.is_empty(), "nothing after the trailer");
                return entries;
            }
            entries.push((name, mode, major, minor, data));
        }
    }

    #[test]
    fn round_trip() {
        let mut w = Writer::new();
        w.dir("dev", 0o755);
        w.char_device("/dev/console", 0o600, 5, 1);
        w.file("init", 0o755, b"#!hello");
        w.file("bin/x", 0o755, b"");
        let bytes = w.finish();
        assert_eq!(bytes.len() % 4, 0);
        let entries = read(&bytes);
        let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, ["dev", "dev/console", "init", "bin/x"]);
        assert_eq!(entries[0].1, 0o040_755);
        assert_eq!((entries[1].1, entries[1].2, entries[1].3), (0o020_600, 5, 1));
        assert_eq!((entries[2].1, entries[2].4.as_slice()), (0o100_755, &b"#!hello"[..]));
    }

    #[test]
    fn header_layout() {
        let mut w = Writer::new();
        w.file("a", 0o644, b"xyz");
        let bytes = w.finish();
        let header = std::str::from_utf8(&bytes[..110]).unwrap();
        assert_eq!(
            header,
            "070701\
             00000001000081a4000000000000000000000001000000000000000300000000\
             00000000000000000000000000000002\
             00000000"
        );
        // Name "a\0" ends at 112, already aligned; then "xyz" and one byte of padding.
        assert_eq!(&bytes[110..116], b"a\0xyz\0");
        assert_eq!(&bytes[116..122], b"070701");
    }
}
