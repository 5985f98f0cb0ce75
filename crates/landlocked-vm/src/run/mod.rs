//! `landlocked-vm run`: any program on a kernel of the manifest (or an image file), in a guest
//! whose `/init` is this program ([`init`]); its output streamed back, its exit status
//! returned.
//!
//! The initramfs holds `/init` (this executable for a guest of the host's architecture, with
//! its loader and libraries; for another architecture a static build of it given by `--init`),
//! the program at its own path with its ELF interpreter and libraries (found by the reader
//! behind `landlocked run --ldd`) and `/etc/ld.so.cache`, the files of `--with`, and the
//! command line. A kernel panic, a timeout or a guest that does not power off is an error of
//! its own: exit 125 and one line.

pub mod console;
pub mod init;
pub mod matrix;

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use console::Frame;

use crate::cpio;
use crate::kernels::{self, Arch, Fetch, Kernel};
use crate::qemu::{self, Accel};

/// What `run` was asked.
#[derive(Debug)]
pub struct RunOptions {
    /// A kernel of the manifest (default `debian-7.3`), or an image file.
    pub kernel: Option<String>,
    pub arch: Option<Arch>,
    pub append: String,
    pub timeout: Duration,
    pub memory_mib: u32,
    pub with: Vec<PathBuf>,
    pub init: Option<PathBuf>,
    pub env: Vec<(OsString, OsString)>,
    pub command: Vec<OsString>,
}

pub(crate) fn host_arch() -> Option<Arch> {
    match std::env::consts::ARCH {
        "x86_64" => Some(Arch::X86_64),
        "aarch64" => Some(Arch::Aarch64),
        _ => None,
    }
}

/// The kernel to boot: a manifest name, or an image file.
fn kernel(o: &RunOptions) -> Result<Kernel, String> {
    let name = o.kernel.clone().unwrap_or_else(|| "debian-7.3".into());
    let arch = o.arch.or_else(host_arch).ok_or("--arch is needed on this host")?;
    let arches = if Path::new(&name).is_file() || name.contains('/') {
        Arch::ALL.to_vec()
    } else {
        vec![arch]
    };
    let mut found = kernels::select(std::slice::from_ref(&name), &arches, &o.append)?;
    if found.len() > 1 {
        found.retain(|k| k.arch == arch);
    }
    found.pop().ok_or_else(|| format!("no kernel `{name}` for {arch}"))
}

/// A program's path: as given when it names one, else found in `PATH`.
fn find_program(name: &OsStr) -> Result<PathBuf, String> {
    let path = Path::new(name);
    if name.as_bytes().contains(&b'/') {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(format!("{}: not found", path.display()))
        };
    }
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{}: not found in PATH", path.display()))
}

/// The ELF machine of `path`, and whether it has an interpreter (is dynamic).
fn elf_kind(path: &Path) -> Result<(Arch, bool), String> {
    use object::Object;
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
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
fn with_libraries(path: &Path, files: &mut Vec<(PathBuf, Vec<u8>)>) -> Result<(), String> {
    let found = landlocked::loader::resolve(path, &landlocked::loader::Environment::default())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some((name, by)) = found.not_found.first() {
        return Err(format!(
            "{}: needs {} which is found nowhere",
            by.display(),
            name.to_string_lossy()
        ));
    }
    for p in found.paths() {
        add(p, files)?;
    }
    Ok(())
}

fn add(path: &Path, files: &mut Vec<(PathBuf, Vec<u8>)>) -> Result<(), String> {
    let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if files.iter().any(|(p, _)| *p == absolute) {
        return Ok(());
    }
    let data = std::fs::read(&absolute).map_err(|e| format!("{}: {e}", absolute.display()))?;
    files.push((absolute, data));
    Ok(())
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
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    if dynamic {
        if Some(arch) != host_arch() {
            return Err(format!(
                "{}: a dynamic program for {arch}: only static ones for another architecture than the host's",
                program.display()
            ));
        }
        with_libraries(&program, &mut files)?;
        if Path::new("/etc/ld.so.cache").is_file() {
            add(Path::new("/etc/ld.so.cache"), &mut files)?;
        }
    } else {
        add(&program, &mut files)?;
    }
    for extra in &o.with {
        // A dynamic program comes with its libraries, as PROGRAM does.
        if Some(arch) == host_arch() && elf_kind(extra).is_ok_and(|(_, dynamic)| dynamic) {
            with_libraries(extra, &mut files)?;
        } else {
            add(extra, &mut files)?;
        }
    }
    // The guest's /init: this program for the host's architecture, else a static build.
    let mut init_files = Vec::new();
    let init = match (&o.init, Some(arch) == host_arch()) {
        (Some(init), _) => {
            let (init_arch, init_dynamic) = elf_kind(init)?;
            if init_arch != arch || init_dynamic {
                return Err(format!("--init {}: not a static program for {arch}", init.display()));
            }
            std::fs::read(init).map_err(|e| format!("--init {}: {e}", init.display()))?
        }
        (None, true) => {
            let me = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
            if elf_kind(&me)?.1 {
                with_libraries(&me, &mut init_files)?;
                init_files.retain(|(p, _)| *p != me);
            }
            std::fs::read(&me).map_err(|e| format!("{}: {e}", me.display()))?
        }
        (None, false) => {
            return Err(format!(
                "a guest of {arch} needs --init: landlocked-vm built static for it (landlocked-vm run --help)"
            ));
        }
    };
    files.extend(init_files);
    let nul = |items: &mut dyn Iterator<Item = Vec<u8>>| {
        let mut out = Vec::new();
        for item in items {
            out.extend(item);
            out.push(0);
        }
        out
    };
    let mut argv = vec![
        std::path::absolute(&program)
            .map_err(|e| e.to_string())?
            .into_os_string()
            .into_encoded_bytes(),
    ];
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
    let mut dirs: Vec<String> = ["dev", "proc", "sys", "tmp", "root", "landlocked-vm"]
        .iter()
        .map(|d| d.to_string())
        .collect();
    let rel = |p: &Path| p.to_string_lossy().trim_start_matches('/').to_string();
    for (path, _) in &files {
        let mut parent = path.parent();
        while let Some(p) = parent.filter(|p| p != &Path::new("/")) {
            dirs.push(rel(p));
            parent = p.parent();
        }
    }
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        w.dir(dir, 0o755);
    }
    w.char_device("dev/console", 0o600, 5, 1);
    w.file("init", 0o755, &init);
    for (path, data) in &files {
        w.file(&rel(path), 0o755, data);
    }
    w.file(init::ARGV, 0o644, &argv);
    w.file(init::ENV, 0o644, &env);
    Ok(w.finish())
}

/// Runs `o`; the program's exit status, or why the guest failed.
pub fn run(o: &RunOptions) -> Result<i32, String> {
    let kernel = kernel(o)?;
    qemu::check_qemu(kernel.arch)?;
    let image = kernel.image(Fetch::IfMissing)?;
    let initrd = write_initramfs(o, kernel.arch, "run")?;
    let booted = boot(&kernel, &image.path, &initrd, o, Output::Stream);
    let _ = std::fs::remove_file(&initrd);
    booted.status
}

/// Writes the initramfs for `o` on `arch` into a file of this process's own.
pub(crate) fn write_initramfs(o: &RunOptions, arch: Arch, tag: &str) -> Result<PathBuf, String> {
    let rd = initramfs(o, arch)?;
    let dir = std::env::temp_dir().join(format!("landlocked-vm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let initrd = dir.join(format!("{tag}-{arch}.cpio"));
    std::fs::write(&initrd, rd).map_err(|e| format!("{}: {e}", initrd.display()))?;
    Ok(initrd)
}

/// Where the program's output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// To this process's stdout and stderr, as it comes.
    Stream,
    /// Kept in the [`Booted`].
    Capture,
}

/// What one boot gave.
#[derive(Debug)]
pub struct Booted {
    /// The program's exit status, or why the guest failed.
    pub status: Result<i32, String>,
    /// What the guest's kernel said of Landlock.
    pub landlock: Option<String>,
    /// The guest's page size.
    pub page_size: Option<u64>,
    /// The program's output, when captured.
    pub stdout: Vec<u8>,
    /// See `stdout`.
    pub stderr: Vec<u8>,
    /// The boot's wall time.
    pub elapsed: Duration,
}

/// How long a guest may take to power off once the program has ended.
const POWER_OFF_GRACE: Duration = Duration::from_secs(15);

/// Boots `kernel` with `initrd` and follows the program to its end.
pub fn boot(
    kernel: &Kernel,
    image: &Path,
    initrd: &Path,
    o: &RunOptions,
    output: Output,
) -> Booted {
    let start = Instant::now();
    let mut booted = Booted {
        status: Err(String::new()),
        landlock: None,
        page_size: None,
        stdout: Vec::new(),
        stderr: Vec::new(),
        elapsed: Duration::ZERO,
    };
    booted.status = follow(kernel, image, initrd, o, output, &mut booted);
    booted.elapsed = start.elapsed();
    booted
}

fn follow(
    kernel: &Kernel,
    image: &Path,
    initrd: &Path,
    o: &RunOptions,
    output: Output,
    booted: &mut Booted,
) -> Result<i32, String> {
    let args = qemu::qemu_args(kernel, image, initrd, Accel::Tcg, o.memory_mib);
    let bin = qemu::qemu_binary(kernel.arch);
    let mut child = Command::new(bin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {bin}: {e}"))?;
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("piped");
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut buf = Vec::new();
        while reader.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
            if tx.send(String::from_utf8_lossy(&buf).into_owned()).is_err() {
                break;
            }
            buf.clear();
        }
    });
    let start = Instant::now();
    let mut status: Option<Result<i32, String>> = None;
    let mut ended_at = None;
    let mut tail: Vec<String> = Vec::new();
    let problem = loop {
        let deadline = ended_at.map_or(start + o.timeout, |t| t + POWER_OFF_GRACE);
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => match Frame::parse(&line) {
                Some(Frame::Out(bytes)) if output == Output::Stream => {
                    let _ = std::io::stdout().write_all(&bytes);
                    let _ = std::io::stdout().flush();
                }
                Some(Frame::Err(bytes)) if output == Output::Stream => {
                    let _ = std::io::stderr().write_all(&bytes);
                }
                Some(Frame::Out(bytes)) => booted.stdout.extend(bytes),
                Some(Frame::Err(bytes)) => booted.stderr.extend(bytes),
                Some(Frame::Landlock(said)) => booted.landlock = Some(said),
                Some(Frame::PageSize(bytes)) => booted.page_size = Some(bytes),
                Some(Frame::Exit(code)) => {
                    status = Some(Ok(code));
                    ended_at = Some(Instant::now());
                }
                Some(Frame::Signal(signal)) => {
                    status = Some(Ok(128 + signal));
                    ended_at = Some(Instant::now());
                }
                Some(Frame::Failed(why)) => {
                    status = Some(Err(format!("in the guest: {why}")));
                    ended_at = Some(Instant::now());
                }
                None => {
                    let line = line.trim_end().to_string();
                    if line.contains("Kernel panic") {
                        let _ = child.kill();
                        break Some(format!("kernel panic: {}", line.trim()));
                    }
                    tail.push(line);
                    if tail.len() > 20 {
                        tail.remove(0);
                    }
                }
            },
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                break Some(if ended_at.is_some() {
                    format!(
                        "the guest did not power off within {} s of the program's end",
                        POWER_OFF_GRACE.as_secs()
                    )
                } else {
                    format!("timed out after {} s (--timeout)", o.timeout.as_secs())
                });
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
        }
    };
    let _ = child.wait();
    if let Some(problem) = problem {
        return Err(problem);
    }
    status.unwrap_or_else(|| {
        let last = tail.iter().rev().find(|l| !l.trim().is_empty()).cloned().unwrap_or_default();
        Err(format!(
            "the guest ended without the program's exit status (last console line: {})",
            last.trim()
        ))
    })
}
