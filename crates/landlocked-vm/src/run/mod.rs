//! `landlocked-vm run`: any program on a kernel of the manifest (or an image file), in a guest
//! whose `/init` is this program ([`init`]); its output streamed back, its exit status
//! returned.
//!
//! The initramfs ([`initramfs`]) holds `/init`, the program with what it needs to start, the
//! files of `--with` and the command line; [`boot`] follows one guest to its end. A kernel
//! panic, a timeout or a guest that does not power off is an error of its own: exit 125 and
//! one line.

pub mod boot;
pub mod console;
pub mod init;
pub mod initramfs;
pub mod matrix;
mod root;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub use boot::{Booted, Output, boot};
pub use initramfs::{With, remove_initramfs, write_initramfs};

use crate::kernels::{self, Arch, Fetch, Kernel};
use crate::qemu::{self, Accel};

/// What `run` was asked.
#[derive(Debug)]
pub struct RunOptions {
    /// A kernel of the manifest (default `debian-7.3`), or an image file.
    pub kernel: Option<String>,
    /// The guest's architecture; default: the program's.
    pub arch: Option<Arch>,
    pub append: String,
    pub timeout: Duration,
    pub memory_mib: u32,
    /// TCG, or KVM tried first behind a watchdog.
    pub accel: Accel,
    pub with: Vec<With>,
    /// The guest's `/init` for another architecture than the host's.
    pub init: Option<PathBuf>,
    /// Where the libraries of a dynamic program of another architecture are.
    pub sysroot: Option<PathBuf>,
    pub env: Vec<(OsString, OsString)>,
    pub command: Vec<OsString>,
}

impl RunOptions {
    /// Options with the defaults of the command line, for `command`.
    pub fn new(command: Vec<OsString>) -> RunOptions {
        RunOptions {
            kernel: None,
            arch: None,
            append: String::new(),
            timeout: Duration::from_secs(120),
            memory_mib: 512,
            accel: Accel::Tcg,
            with: Vec::new(),
            init: None,
            sysroot: None,
            env: Vec::new(),
            command,
        }
    }
}

pub(crate) fn host_arch() -> Option<Arch> {
    match std::env::consts::ARCH {
        "x86_64" => Some(Arch::X86_64),
        "aarch64" => Some(Arch::Aarch64),
        _ => None,
    }
}

/// The guest's architecture: as asked, else the program's.
pub fn guest_arch(o: &RunOptions) -> Result<Arch, String> {
    match o.arch {
        Some(arch) => Ok(arch),
        None => {
            let program = initramfs::find_program(&o.command[0])?;
            Ok(initramfs::elf_kind(&program)?.0)
        }
    }
}

/// The kernel to boot: a manifest name, or an image file.
fn kernel(o: &RunOptions, arch: Arch) -> Result<Kernel, String> {
    let name = o.kernel.clone().unwrap_or_else(|| "debian-7.3".into());
    // An image file's architecture is read from its header, or is --arch's when it cannot be.
    let arches = match o.arch {
        None if Path::new(&name).is_file() || name.contains('/') => Arch::ALL.to_vec(),
        _ => vec![arch],
    };
    let mut found = kernels::select(std::slice::from_ref(&name), &arches, &o.append)?;
    if found.len() > 1 {
        found.retain(|k| k.arch == arch);
    }
    found.pop().ok_or_else(|| format!("no kernel `{name}` for {arch}"))
}

/// Runs `o`; the program's exit status, or why the guest failed.
pub fn run(o: &RunOptions) -> Result<i32, String> {
    let kernel = kernel(o, guest_arch(o)?)?;
    qemu::check_qemu(kernel.arch)?;
    let image = kernel.image(Fetch::IfMissing)?;
    let initrd = write_initramfs(o, kernel.arch, "run")?;
    let booted = boot(&kernel, &image.path, &initrd, o, Output::Stream);
    remove_initramfs(&initrd);
    booted.status
}

/// Boots each of `kernels` with the initramfs of `options_for` its architecture, `jobs` at a
/// time, and gives `each` the kernel, its image and what the boot gave, in order. Checks QEMU
/// and fetches missing images first (an error before anything boots); an initramfs that cannot
/// be written fails its kernels' boots. The initramfs files are removed at the end.
pub fn boot_each<'o, R: Send>(
    kernels: &[Kernel],
    jobs: usize,
    options_for: impl Fn(Arch) -> &'o RunOptions,
    each: impl Fn(&Kernel, &kernels::Image, Booted) -> R + Sync,
) -> Result<Vec<R>, String> {
    let arches: Vec<Arch> =
        Arch::ALL.into_iter().filter(|&a| kernels.iter().any(|k| k.arch == a)).collect();
    for &arch in &arches {
        qemu::check_qemu(arch)?;
    }
    let images =
        kernels.iter().map(|k| k.image(Fetch::IfMissing)).collect::<Result<Vec<_>, _>>()?;
    let mut initrds = Vec::new();
    for &arch in &arches {
        let options = options_for(arch);
        initrds.push((arch, write_initramfs(options, arch, "boot"), options));
    }
    let results = parallel(kernels.len(), jobs, |i| {
        let kernel = &kernels[i];
        let (_, initrd, options) = initrds.iter().find(|(a, ..)| *a == kernel.arch).expect("made");
        let booted = match initrd {
            Ok(initrd) => boot(kernel, &images[i].path, initrd, options, Output::Capture),
            Err(e) => Booted::failed(e.clone()),
        };
        each(kernel, &images[i], booted)
    });
    for (_, initrd, _) in &initrds {
        if let Ok(path) = initrd {
            remove_initramfs(path);
        }
    }
    Ok(results)
}

/// `f` of each of `0..count`, `jobs` at a time on threads of their own, in order.
pub fn parallel<R: Send>(count: usize, jobs: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..count).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, count.max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= count {
                        break;
                    }
                    let r = f(i);
                    results.lock().expect("not poisoned")[i] = Some(r);
                }
            });
        }
    });
    results.into_inner().expect("not poisoned").into_iter().map(|r| r.expect("ran")).collect()
}
