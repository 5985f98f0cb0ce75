//! The guest's initramfs for `run`: `/init` (this executable for a guest of the host's
//! architecture, with its loader and libraries; for another architecture a static build of it
//! given by `--init`), the program at its own path with its ELF interpreter and libraries
//! (found by the reader behind `landlocked run --ldd`: the host's, or for another architecture
//! a sysroot's, each at the path the guest's loader opens it by) and `ld.so.cache`, the files
//! of `--with`, and the command line.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::root::{Node, Root};
use super::{RunOptions, host_arch, init};
use crate::cpio;
use crate::kernels::Arch;

/// A file (or a directory, with what it holds) `--with` adds: `host` at `guest` in the guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct With {
    pub host: PathBuf,
    pub guest: PathBuf,
}

impl With {
    /// `PATH` (at the same absolute path in the guest) or `HOST:GUEST` (`GUEST` absolute). A
    /// value naming an existing file is always a `PATH`, colons and all.
    pub fn parse(value: &OsStr) -> Result<With, String> {
        let path = Path::new(value);
        let same = |p: &Path| in_guest(p).map(|guest| With { host: p.to_path_buf(), guest });
        if value.is_empty() {
            return Err("--with takes PATH or HOST:GUEST, got an empty value".into());
        }
        if path.symlink_metadata().is_ok() {
            return same(path);
        }
        let bytes = value.as_bytes();
        match bytes.iter().rposition(|&b| b == b':') {
            Some(colon) if bytes.get(colon + 1) == Some(&b'/') && colon > 0 => Ok(With {
                host: PathBuf::from(OsStr::from_bytes(&bytes[..colon])),
                guest: in_guest(Path::new(OsStr::from_bytes(&bytes[colon + 1..])))?,
            }),
            Some(colon) if colon > 0 => Err(format!(
                "--with {}: the guest's path after `:` must be absolute",
                path.display()
            )),
            _ => same(path),
        }
    }
}

/// A program's path: as given when it names one, else found in `PATH`.
pub(crate) fn find_program(name: &OsStr) -> Result<PathBuf, String> {
    let path = Path::new(name);
    if name.is_empty() {
        return Err("the program's name is empty".into());
    }
    if name.as_bytes().contains(&b'/') {
        return match path.metadata() {
            Ok(meta) if meta.is_file() => Ok(path.to_path_buf()),
            Ok(_) => Err(format!("{}: not a regular file", path.display())),
            Err(e) => Err(format!("{}: {e}", path.display())),
        };
    }
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{}: not found in PATH", path.display()))
}

/// The bytes of `path`, a regular file (a FIFO would block the read, a device never end it).
pub(crate) fn read_regular(path: &Path) -> Result<Vec<u8>, String> {
    let describe = |e: std::io::Error| format!("{}: {e}", path.display());
    let file = crate::open_regular(path).map_err(describe)?;
    let len = file.metadata().map_err(describe)?.len();
    if len >= u64::from(u32::MAX) {
        return Err(format!("{}: 4 GiB or more, more than an initramfs holds", path.display()));
    }
    let mut data = Vec::with_capacity(len as usize);
    std::io::Read::read_to_end(&mut &file, &mut data).map_err(describe)?;
    Ok(data)
}

/// The ELF machine of `path`, and whether it has an interpreter (is dynamic).
pub(crate) fn elf_kind(path: &Path) -> Result<(Arch, bool), String> {
    use object::Object;
    let data = read_regular(path)?;
    let file = object::File::parse(&*data)
        .map_err(|e| format!("{}: not an ELF program: {e}", path.display()))?;
    let arch = match file.architecture() {
        object::Architecture::X86_64 => Arch::X86_64,
        object::Architecture::Aarch64 => Arch::Aarch64,
        other => {
            return Err(format!(
                "{}: a program for {other:?}, not x86_64 or aarch64",
                path.display()
            ));
        }
    };
    let dynamic = landlocked::loader::interpreter(path).is_some();
    Ok((arch, dynamic))
}

/// `path` and what it needs to start (interpreter, libraries), each at the path it is found at.
/// Where a dynamic program's interpreter and libraries come from: `None` for the host's own
/// (a program of the host's architecture), else a sysroot: `--sysroot`, or Debian's cross
/// library directory for the architecture.
fn sysroot(o: &RunOptions, arch: Arch, program: &Path) -> Result<Option<PathBuf>, String> {
    if let Some(root) = &o.sysroot {
        return if root.is_dir() {
            Ok(Some(root.clone()))
        } else {
            Err(format!("--sysroot {}: not a directory", root.display()))
        };
    }
    if Some(arch) == host_arch() {
        return Ok(None);
    }
    let (default, package) = match arch {
        Arch::Aarch64 => ("/usr/aarch64-linux-gnu", "libc6-arm64-cross"),
        Arch::X86_64 => ("/usr/x86_64-linux-gnu", "libc6-amd64-cross"),
    };
    if Path::new(default).join("lib").is_dir() {
        Ok(Some(default.into()))
    } else {
        Err(format!(
            "{}: a dynamic program for {arch} needs its libraries: --sysroot DIR (Debian's \
             {package} puts them in {default})",
            program.display()
        ))
    }
}

fn machine(arch: Arch) -> landlocked::loader::Machine {
    match arch {
        Arch::X86_64 => landlocked::loader::Machine::X86_64,
        Arch::Aarch64 => landlocked::loader::Machine::Aarch64,
    }
}

/// `path` and what it needs to start on `arch` (interpreter, libraries), from the host or
/// `root`, each at the path the guest's kernel and loader open it by.
fn with_libraries(
    path: &Path,
    root: Option<&Path>,
    arch: Arch,
    files: &mut Root,
) -> Result<(), String> {
    use landlocked::loader::{Config, Environment, resolve_with};
    use std::io::{Read, Seek};
    let config = Config {
        root: root.map(Path::to_path_buf),
        machine: Some(machine(arch)),
        ..Config::default()
    };
    let found = resolve_with(path, &Environment::default(), &config)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let under = || root.map_or(String::new(), |r| format!(" under {}", r.display()));
    if let Some((name, by)) = found.not_found.first() {
        return Err(format!(
            "{}: needs {} which is found nowhere{}",
            by.display(),
            name.to_string_lossy(),
            under()
        ));
    }
    if let Some(interp) = landlocked::loader::interpreter(path) {
        let at = |g: &landlocked::loader::Granted| g.guest.clone().unwrap_or(g.path.clone());
        if !found.files.iter().any(|g| at(g) == interp) {
            return Err(format!(
                "{}: its interpreter {} is found nowhere{}",
                path.display(),
                interp.display(),
                under()
            ));
        }
    }
    for granted in found.files {
        let guest = given_at(granted.guest.as_deref().unwrap_or(&granted.path))?;
        // The file the loader checked, by its descriptor (not the path again), from its start:
        // the loader has read its headers through it.
        let mut data = Vec::new();
        let mut file = std::fs::File::from(granted.fd);
        file.seek(std::io::SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut data))
            .map_err(|e| format!("{}: {e}", granted.path.display()))?;
        files.program(guest, data, &granted.path)?;
    }
    // The loader's cache, where it has one: it finds libraries faster, and some only by it.
    let cache = root.unwrap_or(Path::new("/")).join("etc/ld.so.cache");
    if cache.is_file() {
        add_at(&cache, Path::new("/etc/ld.so.cache"), files)?;
    }
    Ok(())
}

/// Where the file at `path` is in the guest: the same absolute path, `.` and `..` taken away
/// by its letters (the guest's directories are the initramfs's, not the host's links).
fn in_guest(path: &Path) -> Result<PathBuf, String> {
    let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(super::root::lexical(&absolute))
}

fn add(path: &Path, files: &mut Root) -> Result<(), String> {
    add_at(path, &in_guest(path)?, files)
}

/// `guest` as a path a file of the user's may have: not `/init` nor this crate's own files.
fn given_at(guest: &Path) -> Result<PathBuf, String> {
    let guest = in_guest(guest)?;
    if guest == Path::new("/")
        || guest.starts_with("/init")
        || guest.starts_with(Path::new("/").join(init::DIR))
        || guest.starts_with("/dev/console")
    {
        return Err(format!("{}: not a path a file can be given in the guest", guest.display()));
    }
    Ok(guest)
}

fn add_at(host: &Path, guest: &Path, files: &mut Root) -> Result<(), String> {
    let guest = given_at(guest)?;
    let data = read_regular(host)?;
    files.program(guest, data, host)
}

/// How deep `--with DIR` goes: deeper is a loop (bind mounts) or nonsense.
const WITH_DEPTH: usize = 32;

/// A file of `--with` at its guest path with its mode (a dynamic program of the guest's
/// architecture with its libraries), or a directory with what it holds: its files, its
/// directories (empty ones too) and its symbolic links as links. `--with` of a link follows it.
fn add_with(
    with: &With,
    o: &RunOptions,
    arch: Arch,
    depth: usize,
    files: &mut Root,
) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let host = &with.host;
    let meta = if depth == 0 { std::fs::metadata(host) } else { std::fs::symlink_metadata(host) }
        .map_err(|e| format!("--with {}: {e}", host.display()))?;
    let mode = meta.permissions().mode() & 0o7777;
    if meta.file_type().is_symlink() {
        let target =
            std::fs::read_link(host).map_err(|e| format!("--with {}: {e}", host.display()))?;
        return files.put(given_at(&with.guest)?, Node::Link(target), host);
    }
    if meta.is_dir() {
        if depth >= WITH_DEPTH {
            return Err(format!("--with {}: more than {WITH_DEPTH} levels deep", host.display()));
        }
        files.put(given_at(&with.guest)?, Node::Dir(mode), host)?;
        let mut names: Vec<OsString> = std::fs::read_dir(host)
            .and_then(|d| d.map(|e| e.map(|e| e.file_name())).collect())
            .map_err(|e| format!("--with {}: {e}", host.display()))?;
        names.sort();
        for name in names {
            let inner = With { host: host.join(&name), guest: with.guest.join(&name) };
            add_with(&inner, o, arch, depth + 1, files)?;
        }
        return Ok(());
    }
    if !meta.is_file() {
        return Err(format!("--with {}: not a regular file or a directory", host.display()));
    }
    if elf_kind(host).is_ok_and(|(a, dynamic)| a == arch && dynamic) {
        // A dynamic program comes with its libraries, as PROGRAM does; itself at its guest path.
        let absolute = in_guest(host)?;
        let mut needed = Root::default();
        with_libraries(host, sysroot(o, arch, host)?.as_deref(), arch, &mut needed)?;
        for (path, node) in needed.into_entries() {
            if path == absolute {
                let Node::File { data, .. } = node else { continue };
                files.put(given_at(&with.guest)?, Node::File { data, mode }, host)?;
            } else {
                files.put(given_at(&path)?, node, &path)?;
            }
        }
        return Ok(());
    }
    let data = read_regular(host)?;
    files.put(given_at(&with.guest)?, Node::File { data, mode }, host)
}

/// The initramfs for `command` on `arch`.
fn initramfs(o: &RunOptions, arch: Arch) -> Result<Vec<u8>, String> {
    let program = find_program(&o.command[0])?;
    let (program_arch, dynamic) = elf_kind(&program)?;
    if program_arch != arch {
        return Err(format!(
            "{}: a program for {program_arch}, the guest is {arch}",
            program.display()
        ));
    }
    let mut files = Root::default();
    // Run by the path given, which may be a link: the file at its real path (where the
    // loader's `$ORIGIN` is), the link beside as on the host.
    let real =
        std::fs::canonicalize(&program).map_err(|e| format!("{}: {e}", program.display()))?;
    if dynamic {
        with_libraries(&real, sysroot(o, arch, &program)?.as_deref(), arch, &mut files)?;
    } else {
        add(&real, &mut files)?;
    }
    let (given, real) = (in_guest(&program)?, in_guest(&real)?);
    if given != real {
        files.put(given_at(&given)?, Node::Link(real), &program)?;
    }
    for extra in &o.with {
        add_with(extra, o, arch, 0, &mut files)?;
    }
    // The guest's /init: this program for the host's architecture, else a static build.
    let mut init_files = Root::default();
    // An --init for another architecture (`$LANDLOCKED_VM_INIT` exported for aarch64, `matrix
    // --arch all`) leaves a guest of the host's architecture to this program.
    let given = match &o.init {
        Some(init) => Some((init, elf_kind(init).map_err(|e| format!("--init {e}"))?)),
        None => None,
    };
    let init = match (given, Some(arch) == host_arch()) {
        (Some((init, (init_arch, false))), _) if init_arch == arch => {
            std::fs::read(init).map_err(|e| format!("--init {}: {e}", init.display()))?
        }
        (Some((init, _)), false) => {
            return Err(format!("--init {}: not a static program for {arch}", init.display()));
        }
        (_, true) => {
            let me = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
            if elf_kind(&me)?.1 {
                with_libraries(&me, None, arch, &mut init_files)?;
            }
            std::fs::read(&me).map_err(|e| format!("{}: {e}", me.display()))?
        }
        (None, false) => {
            return Err(format!(
                "a guest of {arch} needs --init: landlocked-vm built static for it (landlocked-vm run --help)"
            ));
        }
    };
    let me = std::env::current_exe().ok();
    for (path, node) in init_files.into_entries() {
        // Its libraries: this program itself is /init.
        if Some(&path) != me.as_ref() {
            files.put(path.clone(), node, &path)?;
        }
    }
    let nul = |items: &mut dyn Iterator<Item = Vec<u8>>| {
        let mut out = Vec::new();
        for item in items {
            out.extend(item);
            out.push(0);
        }
        out
    };
    let mut argv = vec![in_guest(&program)?.into_os_string().into_encoded_bytes()];
    argv.extend(o.command[1..].iter().map(|a| a.as_bytes().to_vec()));
    let argv = nul(&mut argv.into_iter());
    let mut env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin".into()),
        ("HOME".into(), "/root".into()),
    ];
    env.extend(std::env::vars_os().filter(|(k, _)| k.as_bytes().starts_with(b"RUST_")));
    env.extend(o.env.iter().cloned());
    let env = nul(&mut env.iter().map(|(k, v)| [k.as_bytes(), b"=", v.as_bytes()].concat()));

    let mut w = cpio::Writer::new();
    files.write(&mut w, &["dev", "proc", "sys", "tmp", "root", init::DIR]);
    w.char_device("dev/console", 0o600, 5, 1);
    w.file("init", 0o755, &init);
    w.file(init::ARGV, 0o644, &argv);
    w.file(init::ENV, 0o644, &env);
    Ok(w.finish())
}

/// Removes an initramfs [`write_initramfs`] wrote, and its directory once empty.
pub fn remove_initramfs(path: &Path) {
    let _ = std::fs::remove_file(path);
    if let Some(dir) = path.parent() {
        // Fails while another initramfs of this process is still there: removed with the last.
        let _ = std::fs::remove_dir(dir);
    }
}

/// Writes the initramfs for `o` on `arch` into a file of this process's own.
pub fn write_initramfs(o: &RunOptions, arch: Arch, tag: &str) -> Result<PathBuf, String> {
    let rd = initramfs(o, arch)?;
    let dir = std::env::temp_dir().join(format!("landlocked-vm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let initrd = dir.join(format!("{tag}-{arch}.cpio"));
    std::fs::write(&initrd, rd).map_err(|e| format!("{}: {e}", initrd.display()))?;
    Ok(initrd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> RunOptions {
        RunOptions::new(vec!["/bin/true".into()])
    }

    #[test]
    fn with_is_a_path_or_host_and_guest() {
        let parse = |s: &str| With::parse(OsStr::new(s));
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            parse("Cargo.toml").unwrap(),
            With { host: "Cargo.toml".into(), guest: cwd.join("Cargo.toml") }
        );
        assert_eq!(
            parse("/no/such:/bin/x").unwrap(),
            With { host: "/no/such".into(), guest: "/bin/x".into() }
        );
        // The last colon before an absolute path splits.
        assert_eq!(parse("a:b:/c").unwrap(), With { host: "a:b".into(), guest: "/c".into() });
        assert!(parse("/no/such:bin/x").unwrap_err().contains("must be absolute"));
        assert!(parse("").unwrap_err().contains("empty"));
        // A file whose name holds `:/` is that file.
        let dir = std::env::temp_dir().join(format!("llvm-with-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("x:")).unwrap();
        std::fs::write(dir.join("x:/y"), "").unwrap();
        let odd = dir.join("x:/y");
        assert_eq!(parse(odd.to_str().unwrap()).unwrap().guest, odd);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn guest_paths_lose_dots_by_their_letters() {
        assert_eq!(in_guest(Path::new("/a/./b/../c")).unwrap(), Path::new("/a/c"));
        assert_eq!(in_guest(Path::new("/../../x")).unwrap(), Path::new("/x"));
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(in_guest(Path::new("d/../e")).unwrap(), cwd.join("e"));
    }

    #[test]
    fn with_cannot_replace_init() {
        let mut files = Root::default();
        for guest in ["/init", "/landlocked-vm/argv", "/a/../init", "/../landlocked-vm/env"] {
            let e = add_at(Path::new("/etc/hostname"), Path::new(guest), &mut files).unwrap_err();
            assert!(e.contains("not a path a file can be given"), "{e}");
        }
        assert!(files.entries().is_empty());
    }

    #[test]
    fn with_a_directory_takes_its_files_and_refuses_a_fifo() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("llvm-dir-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::create_dir_all(dir.join("empty")).unwrap();
        std::fs::write(dir.join("a"), "1").unwrap();
        std::fs::set_permissions(dir.join("a"), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(dir.join("sub/b"), "2").unwrap();
        std::fs::set_permissions(dir.join("sub/b"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::os::unix::fs::symlink("..", dir.join("sub/up")).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
        let mut files = Root::default();
        let with = With { host: dir.clone(), guest: "/data".into() };
        add_with(&with, &options(), Arch::X86_64, 0, &mut files).unwrap();
        let file = |data: &[u8], mode| Node::File { data: data.to_vec(), mode };
        let modes = |p: &str| std::fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o7777;
        assert_eq!(
            files.entries(),
            [
                (PathBuf::from("/data"), Node::Dir(0o750)),
                (PathBuf::from("/data/a"), file(b"1", 0o600)),
                (PathBuf::from("/data/empty"), Node::Dir(modes("empty"))),
                (PathBuf::from("/data/sub"), Node::Dir(modes("sub"))),
                (PathBuf::from("/data/sub/b"), file(b"2", 0o755)),
                // A link stays a link: no loop through `..`.
                (PathBuf::from("/data/sub/up"), Node::Link("..".into())),
            ]
        );
        // Written: the empty directory, the given modes, the link.
        let mut w = crate::cpio::Writer::new();
        files.write(&mut w, &["tmp"]);
        let archive = w.finish();
        let text = String::from_utf8_lossy(&archive);
        for name in ["tmp\0", "data/empty\0", "data/sub/up\0"] {
            assert!(text.contains(name), "{name:?}");
        }
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = add_with(
            &With { host: fifo, guest: "/f".into() },
            &options(),
            Arch::X86_64,
            0,
            &mut files,
        );
        assert!(e.unwrap_err().contains("not a regular file or a directory"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
