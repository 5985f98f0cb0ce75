//! The kernels the conformance suite boots (`cargo xtask kernels`): a manifest naming each
//! kernel, its architecture, the Landlock support it must report and where its image comes from,
//! and a cache of the images outside the checkout.
//!
//! # The manifest
//! [`manifest`] lists the kernels Debian's archive holds: one per suite, each resolved to the
//! newest package of that suite whose name matches a pattern such as `linux-image-6.1*-amd64`.
//! The `*` stands for the moving part of a Debian kernel package name (the `-N` ABI number,
//! `.N+debNN`), never for a flavour (`-cloud`, `-rt`, `-unsigned`, `-arm64-16k`), so a suite's
//! point release is picked up by itself while the kernel series stays the one the name says. When
//! Debian moves a suite on to another series (sid from 7.2 to 7.3, say), the pattern matches
//! nothing and the error says to update the entry: its name, pattern and expected ABI together.
//!
//! # Versions Debian does not carry
//! Linux 5.13 to 5.19 (ABI 1), 6.2 to 6.6 (ABI 3), 6.7 to 6.9 (ABI 4), 6.10 and 6.11 (ABI 5),
//! 7.0 (ABI 8) and 7.1 (ABI 9) are in no Debian suite. Two ways to test them:
//!
//! - **A prebuilt image, by path.** Ubuntu's mainline builds
//!   (`https://kernel.ubuntu.com/mainline/v6.7/`, one directory per version, `amd64/` and
//!   `arm64/`) ship `linux-image-unsigned-<version>-generic_*.deb`; `dpkg-deb -x` it and take
//!   `boot/vmlinuz-*`. Ubuntu's generic configuration builds in the serial console, initramfs
//!   support and Landlock (not checked from the development machines, which reach no Ubuntu
//!   host); check `CONFIG_LSM` in the package's `boot/config-*` and, if `landlock` is missing
//!   from it, add `--append lsm=landlock,...`. Then `cargo xtask vmtest --kernel PATH` (plus
//!   `--arch aarch64` for a compressed arm64 image, whose header does not tell its architecture).
//!   A kernel given by path has no expected ABI: its run must give a summary and no failing
//!   case, and the table shows the ABI it reported. For a permanent entry with an expected ABI,
//!   prefer building it (next point).
//! - **Built from kernel.org sources** (`cargo xtask kernels build`, issue 7): `tinyconfig` plus
//!   a small configuration fragment kept in the repository, images cached under
//!   `<cache>/kernels/built/`. Built kernels join [`manifest`] as entries of a new [`Source`]
//!   variant with their expected ABI (`kernel-6.7` → `Expect::Abi(4)`), so
//!   `cargo xtask vmtest --kernel kernel-6.7` runs them like the Debian ones.
//!
//! To add a Debian kernel, add an entry to [`manifest`]: a name, the suite, the package pattern
//! and what the suite's kernel must report.
//!
//! # The cache
//! `<cache>/kernels/debian/<suite>/<pattern>/` (the `*` written `_`) holds `vmlinuz` and
//! `package` (the package name and version it came from). One directory per source, so a newer
//! package replaces the older image, and two manifest entries sharing an image (`debian-6.12` and
//! `debian-6.12-disabled`) share the download.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

mod debian;
mod image;
mod manifest;

pub use debian::{Fetch, Image};
pub use image::image_arch;
pub use manifest::{manifest, manifest_with_builds};

use crate::cache;
use crate::kbuild;

/// A guest architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    /// x86_64, booted with `qemu-system-x86_64 -M q35`.
    X86_64,
    /// aarch64, booted with `qemu-system-aarch64 -M virt`.
    Aarch64,
}

impl Arch {
    /// Both, in the order tables show them.
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// Debian's name for it.
    pub fn debian(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Aarch64 => "arm64",
        }
    }

    /// The Rust target the static guest binaries are built for.
    pub fn rust_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-musl",
            Arch::Aarch64 => "aarch64-unknown-linux-musl",
        }
    }

    fn parse(s: &str) -> Option<Arch> {
        match s {
            "x86_64" | "amd64" => Some(Arch::X86_64),
            "aarch64" | "arm64" => Some(Arch::Aarch64),
            _ => None,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The value of `--arch`: `x86_64`, `aarch64` or `all`.
pub fn parse_arch_option(value: &str) -> Result<Vec<Arch>, String> {
    if value == "all" {
        return Ok(Arch::ALL.to_vec());
    }
    Arch::parse(value)
        .map(|a| vec![a])
        .ok_or_else(|| format!("unknown architecture `{value}`: use x86_64, aarch64 or all"))
}

/// What a kernel must report about Landlock (the guest's `landlocked-summary` line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Built without Landlock: every syscall is `ENOSYS` (`support=not-built abi=none`).
    NotBuilt,
    /// Built in but left out of the LSM list at boot: `EOPNOTSUPP` (`support=disabled`).
    Disabled,
    /// Available at this ABI version (`support=available abi=N`).
    Abi(u32),
}

impl Expect {
    /// The `support=` word of the protocol.
    pub fn support(self) -> &'static str {
        match self {
            Expect::NotBuilt => "not-built",
            Expect::Disabled => "disabled",
            Expect::Abi(_) => "available",
        }
    }

    /// The ABI version, if any.
    pub fn abi(self) -> Option<u32> {
        match self {
            Expect::Abi(n) => Some(n),
            _ => None,
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::NotBuilt => f.write_str("none (ENOSYS)"),
            Expect::Disabled => f.write_str("disabled (EOPNOTSUPP)"),
            Expect::Abi(n) => write!(f, "ABI {n}"),
        }
    }
}

/// Where a kernel image comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The newest package of a Debian suite whose name matches `package` (see
    /// [`matches_pattern`]); the image is `boot/vmlinuz-*` or `usr/lib/modules/*/vmlinuz` in it.
    Debian { suite: &'static str, package: &'static str },
    /// Built by [`kbuild`] from the source tarball in Debian's `linux-source-X.Y` package of a
    /// suite (`usr/src/linux-source-X.Y.tar.xz`), when not already in the cache.
    DebianTarball { suite: &'static str, package: &'static str },
    /// An image `cargo xtask kernels build` left in the cache (from kernel.org or any tarball).
    Built(PathBuf),
    /// An image file given on the command line.
    Path(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Source::Debian { suite, package } => format!("debian {suite} {package}"),
            Source::DebianTarball { suite, package } => format!("built: debian {suite} {package}"),
            Source::Built(path) => format!("built: {}", path.display()),
            Source::Path(path) => path.display().to_string(),
        };
        f.pad(&text)
    }
}

/// One kernel of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kernel {
    /// Unique within its architecture: `debian-6.12`.
    pub name: String,
    /// The architecture it boots on.
    pub arch: Arch,
    /// What it must report; `None` for an image given by path, which nothing is known about.
    pub expect: Option<Expect>,
    /// Where its image comes from.
    pub source: Source,
    /// Kernel command line added after the console settings (`lsm=...`).
    pub cmdline: String,
}

impl Kernel {
    /// `x86_64 debian-6.12`, as tables and errors show it.
    pub fn id(&self) -> String {
        format!("{} {}", self.arch, self.name)
    }
}

/// A kernel given by path on the command line: its architecture comes from its header, else from
/// `--arch` when that names one architecture.
pub fn from_path(path: &Path, arches: &[Arch], cmdline: &str) -> Result<Kernel, String> {
    let mut header = Vec::new();
    crate::open_regular(path)
        .and_then(|f| f.take(4096).read_to_end(&mut header))
        .map_err(|e| format!("kernel image {}: {e}", path.display()))?;
    let arch = match (image_arch(&header), arches) {
        (Some(arch), _) if arches.contains(&arch) => arch,
        (Some(arch), _) => {
            return Err(format!(
                "kernel image {} is for {arch}, but --arch selects {}",
                path.display(),
                arches.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
            ));
        }
        (None, [arch]) => *arch,
        (None, _) => {
            return Err(format!(
                "cannot tell the architecture of kernel image {} (compressed?): add \
                 `--arch x86_64` or `--arch aarch64`",
                path.display()
            ));
        }
    };
    Ok(Kernel {
        name: path.display().to_string(),
        arch,
        expect: None,
        source: Source::Path(path.to_path_buf()),
        cmdline: cmdline.to_owned(),
    })
}

/// The kernels `--kernel` selects among `arches`: manifest names, or paths to images (anything
/// holding a `/`, or an existing file). No selection means the whole manifest.
pub fn select(names: &[String], arches: &[Arch], append: &str) -> Result<Vec<Kernel>, String> {
    select_from(manifest_with_builds(), names, arches, append)
}

fn select_from(
    all: Vec<Kernel>,
    names: &[String],
    arches: &[Arch],
    append: &str,
) -> Result<Vec<Kernel>, String> {
    // `--append` applies to every kernel booted, the manifest's too (after their own line).
    let manifest: Vec<Kernel> = all
        .into_iter()
        .filter(|k| arches.contains(&k.arch))
        .map(|mut k| {
            if !append.is_empty() {
                k.cmdline = [k.cmdline.as_str(), append]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            k
        })
        .collect();
    if names.is_empty() {
        return Ok(manifest);
    }
    let mut selected: Vec<Kernel> = Vec::new();
    for name in names {
        let found: Vec<&Kernel> = manifest.iter().filter(|k| &k.name == name).collect();
        let kernels = if !found.is_empty() {
            found.into_iter().cloned().collect()
        } else if name.contains('/') || Path::new(name).is_file() {
            vec![from_path(Path::new(name), arches, append)?]
        } else {
            let mut known: Vec<&str> = Vec::new();
            for k in &manifest {
                if !known.contains(&k.name.as_str()) {
                    known.push(&k.name);
                }
            }
            return Err(format!(
                "no kernel `{name}` for {}: known are {}; an image file is given by its path",
                arches.iter().map(|a| a.name()).collect::<Vec<_>>().join(" and "),
                known.join(", ")
            ));
        };
        for k in kernels {
            if !selected.iter().any(|s| s.arch == k.arch && s.name == k.name) {
                selected.push(k);
            }
        }
    }
    Ok(selected)
}

const HELP: &str = "\
usage: landlocked-vm kernels [--arch x86_64|aarch64|all] [list|fetch [NAME]...]
       landlocked-vm kernels [--arch x86_64|aarch64|all] build (VERSION | --source TARBALL)

  list    the manifest (default): each kernel, the Landlock support it must report, its
          source and the cached image
  fetch   resolve each kernel to the newest package of its suite and download its image into
          the cache when it is newer than the cached one
  build   build a minimal Landlock kernel from kernel.org's VERSION tarball (checked against
          the published sha256) or a local TARBALL, for each architecture; it then joins the
          manifest as built-X.Y (see the README for the version of each ABI)
";

/// `kernels build`: builds and says how to run the suite on the result.
fn build_command(args: &[String], arches: &[Arch]) -> Result<(), String> {
    let (tarball, origin) = match args {
        [flag, path] if flag == "--source" => {
            let name = Path::new(path)
                .file_name()
                .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
            (PathBuf::from(path), name)
        }
        [version] if !version.starts_with('-') => {
            (kbuild::download(version)?, format!("kernel.org linux-{version}"))
        }
        _ => return Err(format!("kernels build takes a VERSION or --source TARBALL\n\n{HELP}")),
    };
    for &arch in arches {
        let built = kbuild::build(&tarball, arch, &origin)?;
        let abi = built.abi.map_or_else(|| "no Landlock".to_owned(), |a| format!("ABI {a}"));
        let how = if built.cached {
            "cached".to_owned()
        } else {
            format!("built in {} s", built.seconds)
        };
        crate::outln!(
            "{arch} {}: Linux {} ({abi}, {how}), {}",
            built.name,
            built.version,
            built.image.display()
        );
        crate::outln!(
            "  run the suite on it: cargo xtask vmtest --arch {arch} --kernel {}",
            built.name
        );
    }
    Ok(())
}

/// `landlocked-vm kernels ...` (`cargo xtask kernels ...`).
pub fn command(args: &[String]) -> Result<(), String> {
    let mut arches = Arch::ALL.to_vec();
    let mut words = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--arch" => {
                let v = it.next().ok_or("--arch needs a value: x86_64, aarch64 or all")?;
                arches = parse_arch_option(v)?;
            }
            "-h" | "--help" => {
                crate::outln!("{}", HELP.trim_end());
                return Ok(());
            }
            "--source" if words.first().is_some_and(|w| w == "build") => {
                let tarball = it.next().ok_or("--source needs a tarball")?;
                words.extend(["--source".to_owned(), tarball.clone()]);
            }
            a if a.starts_with('-') => return Err(format!("unknown option `{a}`\n\n{HELP}")),
            a => words.push(a.to_owned()),
        }
    }
    match words.split_first() {
        None => list(&select(&[], &arches, "")?),
        Some((w, [])) if w == "list" => list(&select(&[], &arches, "")?),
        Some((w, names)) if w == "fetch" => {
            for kernel in select(names, &arches, "")? {
                let image = kernel.image(Fetch::Newest)?;
                crate::outln!(
                    "{:<8} {:<22} {} ({})",
                    kernel.arch,
                    kernel.name,
                    image.path.display(),
                    image.origin
                );
            }
            Ok(())
        }
        Some((w, rest)) if w == "build" => build_command(rest, &arches),
        Some((w, _)) => Err(format!("unknown kernels command `{w}`\n\n{HELP}")),
    }
}

fn list(kernels: &[Kernel]) -> Result<(), String> {
    crate::outln!("{:<8} {:<21} {:<22} {:<40} cached image", "arch", "name", "expected", "source");
    for k in kernels {
        let expect = k.expect.map_or("-".to_owned(), |e| e.to_string());
        let cached = k.cached().map_or("not fetched".to_owned(), |i| i.origin);
        crate::outln!("{:<8} {:<21} {:<22} {:<40} {cached}", k.arch, k.name, expect, k.source);
        if !k.cmdline.is_empty() {
            crate::outln!("{:<8} booted with {}", "", k.cmdline);
        }
    }
    crate::outln!("\ncache: {}", cache::dir().join("kernels").display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_by_name_arch_and_path() {
        let x86 = [Arch::X86_64];
        let select = |names: &[String], arches: &[Arch], append: &str| {
            select_from(manifest(), names, arches, append)
        };
        assert_eq!(select(&[], &x86, "").unwrap().len(), 7);
        assert_eq!(select(&[], &Arch::ALL, "").unwrap().len(), 13);
        // --append reaches the manifest's kernels, after their own command line.
        let seven = select(&["debian-7.2".into()], &x86, "lsm=landlock").unwrap();
        assert_eq!(seven[0].cmdline, "audit=1 lsm=landlock");
        let six = select(&["debian-6.1".into()], &x86, "lsm=landlock").unwrap();
        assert_eq!(six[0].cmdline, "lsm=landlock");
        let both = select(&["debian-6.1".into()], &Arch::ALL, "").unwrap();
        assert_eq!(both.iter().map(|k| k.arch).collect::<Vec<_>>(), Arch::ALL);
        let err = select(&["debian-9".into()], &x86, "").unwrap_err();
        assert!(err.contains("debian-9") && err.contains("debian-7.3"), "{err}");
        let err = select(&["/nonexistent/bzImage".into()], &x86, "").unwrap_err();
        assert!(err.contains("/nonexistent/bzImage"), "{err}");
    }
}
