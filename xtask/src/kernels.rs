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
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::apt::{self, Apt};
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

fn debian(
    name: &str,
    arch: Arch,
    expect: Expect,
    suite: &'static str,
    package: &'static str,
    cmdline: &str,
) -> Kernel {
    Kernel {
        name: name.into(),
        arch,
        expect: Some(expect),
        source: Source::Debian { suite, package },
        cmdline: cmdline.into(),
    }
}

/// The LSM list of `debian-6.12-disabled`: Debian's own minus `landlock`.
const LSM_WITHOUT_LANDLOCK: &str = "lsm=lockdown,capability,yama,apparmor";

/// A kernel built from the source tarball of Debian's `linux-source-X.Y` in `suite`.
fn debian_source(
    name: &str,
    arch: Arch,
    expect: Expect,
    suite: &'static str,
    package: &'static str,
) -> Kernel {
    Kernel {
        name: name.into(),
        arch,
        expect: Some(expect),
        source: Source::DebianTarball { suite, package },
        cmdline: String::new(),
    }
}

/// Every kernel the matrix runs, x86_64 first: Debian's images, and 6.12 built from Debian's
/// source tarball with the fragment of `xtask/kernel-config`, which proves the build path on
/// every run (and boots faster than Debian's own images).
pub fn manifest() -> Vec<Kernel> {
    use Arch::{Aarch64, X86_64};
    use Expect::{Abi, Disabled, NotBuilt};
    vec![
        // Bullseye (LTS until 2026-08) is still on deb.debian.org; when it moves to
        // archive.debian.org, fetching fails with an error saying so.
        debian("debian-5.10", X86_64, NotBuilt, "bullseye", "linux-image-5.10*-amd64", ""),
        debian("debian-6.1", X86_64, Abi(2), "bookworm", "linux-image-6.1*-amd64", ""),
        debian("debian-6.12", X86_64, Abi(6), "trixie", "linux-image-6.12*-amd64", ""),
        debian(
            "debian-6.12-disabled",
            X86_64,
            Disabled,
            "trixie",
            "linux-image-6.12*-amd64",
            LSM_WITHOUT_LANDLOCK,
        ),
        // From 7.x the image moved from linux-image-* (now a meta package) to linux-binary-*.
        debian("debian-7.2", X86_64, Abi(10), "sid", "linux-binary-7.2*-amd64", ""),
        debian("debian-7.3", X86_64, Abi(11), "experimental", "linux-binary-7.3*-amd64", ""),
        debian_source("built-6.12", X86_64, Abi(6), "trixie", "linux-source-6.12"),
        debian("debian-6.1", Aarch64, Abi(2), "bookworm", "linux-image-6.1*-arm64", ""),
        debian("debian-6.12", Aarch64, Abi(6), "trixie", "linux-image-6.12*-arm64", ""),
        debian("debian-7.2", Aarch64, Abi(10), "sid", "linux-binary-7.2*-arm64", ""),
        debian_source("built-6.12", Aarch64, Abi(6), "trixie", "linux-source-6.12"),
    ]
}

/// The manifest plus every image `cargo xtask kernels build` left in the cache under a name the
/// manifest does not have (`built-6.7`), expecting the ABI of its version.
pub fn manifest_with_builds() -> Vec<Kernel> {
    let mut kernels = manifest();
    for built in kbuild::cached_builds() {
        if kernels.iter().any(|k| k.arch == built.arch && k.name == built.name) {
            continue;
        }
        let expect = built.abi.map_or(Expect::NotBuilt, Expect::Abi);
        let dir = built.image.parent().map(Path::to_path_buf).unwrap_or_default();
        kernels.push(Kernel {
            name: built.name,
            arch: built.arch,
            expect: Some(expect),
            source: Source::Built(dir),
            cmdline: String::new(),
        });
    }
    kernels.sort_by_key(|k| k.arch);
    kernels
}

/// Whether the package name `name` matches `pattern`, which holds one `*`. The `*` stands for
/// the rest of a kernel release: empty, or starting with `.`, `+`, `-` or `~` (so `6.1*` is not
/// `6.12`), and each of its `-`-separated words after the first starts with a digit or is an
/// `rc` number (so `5.10.0-32` matches but `5.10.0-32-cloud` does not).
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    let Some((prefix, suffix)) = pattern.split_once('*') else {
        return pattern == name;
    };
    let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_suffix(suffix)) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    if !rest.starts_with(['.', '+', '-', '~']) {
        return false;
    }
    rest.split('-').skip(1).all(|word| {
        let word = word.strip_prefix("rc").unwrap_or(word);
        word.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// The regular expression `apt-cache search --names-only` narrows the index with before
/// [`matches_pattern`] decides.
fn pattern_regex(pattern: &str) -> String {
    let escape = |s: &str| {
        s.chars()
            .flat_map(|c| {
                let special = ".+*?()[]{}|^$\\".contains(c);
                special.then_some('\\').into_iter().chain([c])
            })
            .collect::<String>()
    };
    let (prefix, suffix) = pattern.split_once('*').unwrap_or((pattern, ""));
    format!("^{}.*{}$", escape(prefix), escape(suffix))
}

/// Of `(package, version)` pairs, the matching package with the newest version.
fn newest<'a>(pattern: &str, found: &'a [(String, String)]) -> Option<&'a (String, String)> {
    found
        .iter()
        .filter(|(name, _)| matches_pattern(pattern, name))
        .max_by(|a, b| apt::compare_versions(&a.1, &b.1).then_with(|| a.0.cmp(&b.0)))
}

/// How [`Kernel::image`] treats the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetch {
    /// Use the cached image when there is one, without asking the archive; fetch it otherwise.
    IfMissing,
    /// Resolve the newest package and replace the cached image if it is older.
    Newest,
}

/// A kernel image ready to boot.
#[derive(Clone, Debug)]
pub struct Image {
    /// The image file.
    pub path: PathBuf,
    /// Where it came from: `linux-image-6.12.117+deb13-amd64 6.12.117-1`, or the path.
    pub origin: String,
}

fn cache_dir(suite: &str, package: &str) -> PathBuf {
    cache::dir().join("kernels/debian").join(suite).join(package.replace('*', "_"))
}

impl Kernel {
    /// Its image from the cache, fetched as `mode` says.
    pub fn image(&self, mode: Fetch) -> Result<Image, String> {
        match &self.source {
            Source::Path(path) => {
                if !path.is_file() {
                    return Err(format!("kernel image {}: no such file", path.display()));
                }
                Ok(Image { path: path.clone(), origin: path.display().to_string() })
            }
            Source::Debian { suite, package } => {
                let dir = cache_dir(suite, package);
                let cached = cached_image(&dir);
                if mode == Fetch::IfMissing
                    && let Some(image) = cached
                {
                    return Ok(image);
                }
                self.fetch_debian(suite, package, &dir, cached.as_ref())
            }
            Source::DebianTarball { suite, package } => {
                if mode == Fetch::IfMissing
                    && let Some(image) = self.cached()
                {
                    return Ok(image);
                }
                self.build_debian_source(suite, package)
            }
            Source::Built(_) => self.cached().ok_or_else(|| {
                format!("{}: the built image is gone from the cache; build it again", self.id())
            }),
        }
    }

    /// Fetches Debian's `linux-source-X.Y` and builds its tarball for this architecture (or
    /// finds the build in the cache when the package has not changed).
    fn build_debian_source(&self, suite: &str, package: &str) -> Result<Image, String> {
        // Source packages are `Architecture: all`: any index has them.
        let apt = Apt::new(suite, Arch::X86_64.debian())?;
        let version = apt.version(package)?;
        let unpacked = apt.unpack(package)?;
        let src = unpacked.join("usr/src");
        let tarball = fs::read_dir(&src)
            .map_err(|e| format!("{}: {e}", src.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.to_string_lossy().ends_with(".tar.xz"))
            .ok_or_else(|| format!("{package} {version} holds no usr/src/*.tar.xz"))?;
        let built = kbuild::build(&tarball, self.arch, &format!("{package} {version}"))
            .map_err(|e| format!("{}: {e}", self.id()))?;
        Ok(Image {
            path: built.image,
            origin: format!("Linux {} from {}", built.version, built.origin),
        })
    }

    /// The cached image, without fetching.
    pub fn cached(&self) -> Option<Image> {
        match &self.source {
            Source::Path(path) => {
                Some(Image { path: path.clone(), origin: path.display().to_string() })
            }
            Source::Debian { suite, package } => cached_image(&cache_dir(suite, package)),
            Source::DebianTarball { package, .. } => {
                let prefix = format!("{package} ");
                kbuild::cached_builds()
                    .into_iter()
                    .find(|b| b.arch == self.arch && b.origin.starts_with(&prefix))
                    .map(|b| Image {
                        path: b.image,
                        origin: format!("Linux {} from {}", b.version, b.origin),
                    })
            }
            Source::Built(dir) => kbuild::cached_builds()
                .into_iter()
                .find(|b| b.image.parent() == Some(dir.as_path()))
                .map(|b| Image {
                    path: b.image,
                    origin: format!("Linux {} from {}", b.version, b.origin),
                }),
        }
    }

    fn fetch_debian(
        &self,
        suite: &str,
        package: &str,
        dir: &Path,
        cached: Option<&Image>,
    ) -> Result<Image, String> {
        let apt = Apt::new(suite, self.arch.debian()).map_err(|e| {
            format!(
                "{}: cannot read Debian's {suite} index for {} ({e}); if the mirror no longer \
                 carries {suite} (old suites move to archive.debian.org), point this kernel at \
                 another source or drop it from the manifest in xtask/src/kernels.rs",
                self.id(),
                self.arch.debian(),
            )
        })?;
        let found = apt.search(&pattern_regex(package))?;
        let Some((name, version)) = newest(package, &found) else {
            return Err(format!(
                "{}: no package matching `{package}` in Debian {}; the suite has moved to \
                 another kernel series: update this entry (name, pattern and expected ABI) in \
                 xtask/src/kernels.rs",
                self.id(),
                apt.suite(),
            ));
        };
        let origin = format!("{name} {version}");
        if let Some(image) = cached.filter(|c| c.origin == origin) {
            return Ok(image.clone());
        }
        let deb = apt.download(name, version)?;
        let result = extract_image(&deb, dir, &origin);
        let _ = fs::remove_file(&deb);
        result.map_err(|e| format!("{}: {e}", self.id()))
    }
}

fn cached_image(dir: &Path) -> Option<Image> {
    let path = dir.join("vmlinuz");
    let origin = fs::read_to_string(dir.join("package")).ok()?;
    path.is_file().then(|| Image { path, origin: origin.trim().to_owned() })
}

/// The member of a kernel package that is the image: `./boot/vmlinuz-*` (Debian 13 and older)
/// or `./usr/lib/modules/*/vmlinuz` (the `linux-binary-*` packages of 7.x).
fn image_member(listing: &str) -> Option<&str> {
    listing.lines().filter(|l| l.starts_with('-')).filter_map(|l| l.split_whitespace().nth(5)).find(
        |member| {
            let parts: Vec<&str> = member.trim_start_matches("./").split('/').collect();
            matches!(parts.as_slice(), ["boot", file] if file.starts_with("vmlinuz-"))
                || matches!(parts.as_slice(), ["usr", "lib", "modules", _, "vmlinuz"])
        },
    )
}

/// Copies the image out of `deb` into `dir/vmlinuz` and records `origin` beside it.
fn extract_image(deb: &Path, dir: &Path, origin: &str) -> Result<Image, String> {
    let listing = Command::new("dpkg-deb")
        .arg("--contents")
        .arg(deb)
        .output()
        .map_err(|e| format!("cannot run dpkg-deb: {e}"))?;
    if !listing.status.success() {
        return Err(format!("dpkg-deb --contents {} failed", deb.display()));
    }
    let listing = String::from_utf8_lossy(&listing.stdout);
    let member = image_member(&listing).ok_or_else(|| {
        format!(
            "{} holds no boot/vmlinuz-* nor usr/lib/modules/*/vmlinuz: is this a kernel image \
             package?",
            deb.display()
        )
    })?;
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let partial = dir.join(format!("vmlinuz.partial.{}", std::process::id()));
    let out = fs::File::create(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    let mut dpkg = Command::new("dpkg-deb")
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run dpkg-deb: {e}"))?;
    let tar = Command::new("tar")
        .args(["-xOf", "-", member])
        .stdin(dpkg.stdout.take().expect("piped"))
        .stdout(out)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    let dpkg = dpkg.wait().map_err(|e| e.to_string())?;
    if !tar.success() || !dpkg.success() {
        let _ = fs::remove_file(&partial);
        return Err(format!("extracting {member} from {} failed", deb.display()));
    }
    let path = dir.join("vmlinuz");
    fs::rename(&partial, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    fs::write(dir.join("package"), format!("{origin}\n")).map_err(|e| e.to_string())?;
    eprintln!("xtask: cached {origin} as {}", path.display());
    Ok(Image { path, origin: origin.to_owned() })
}

/// The architecture of a kernel image, from its header: the x86 boot protocol's `HdrS` at
/// 0x202, the arm64 `Image` magic `ARM\x64` at 0x38, or an ELF `e_machine`.
pub fn image_arch(header: &[u8]) -> Option<Arch> {
    if header.get(0x202..0x206) == Some(b"HdrS") {
        return Some(Arch::X86_64);
    }
    if header.get(0x38..0x3c) == Some(b"ARM\x64") {
        return Some(Arch::Aarch64);
    }
    if header.starts_with(b"\x7fELF") {
        return match header.get(0x12..0x14) {
            Some([0x3e, 0]) => Some(Arch::X86_64),
            Some([0xb7, 0]) => Some(Arch::Aarch64),
            _ => None,
        };
    }
    None
}

/// A kernel given by path on the command line: its architecture comes from its header, else from
/// `--arch` when that names one architecture.
pub fn from_path(path: &Path, arches: &[Arch], cmdline: &str) -> Result<Kernel, String> {
    let mut header = Vec::new();
    fs::File::open(path)
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
    let manifest: Vec<Kernel> = all.into_iter().filter(|k| arches.contains(&k.arch)).collect();
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
usage: cargo xtask kernels [--arch x86_64|aarch64|all] [list|fetch [NAME]...]
       cargo xtask kernels [--arch x86_64|aarch64|all] build (VERSION | --source TARBALL)

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
        println!(
            "{arch} {}: Linux {} ({abi}, {how}), {}",
            built.name,
            built.version,
            built.image.display()
        );
        println!("  run the suite on it: cargo xtask vmtest --arch {arch} --kernel {}", built.name);
    }
    Ok(())
}

/// `cargo xtask kernels ...`.
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
                print!("{HELP}");
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
                println!(
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
    println!("{:<8} {:<21} {:<22} {:<40} cached image", "arch", "name", "expected", "source");
    for k in kernels {
        let expect = k.expect.map_or("-".to_owned(), |e| e.to_string());
        let cached = k.cached().map_or("not fetched".to_owned(), |i| i.origin);
        println!("{:<8} {:<21} {:<22} {:<40} {cached}", k.arch, k.name, expect, k.source);
        if !k.cmdline.is_empty() {
            println!("{:<8} booted with {}", "", k.cmdline);
        }
    }
    println!("\ncache: {}", cache::dir().join("kernels").display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_take_the_release_not_the_flavour() {
        let p = "linux-image-5.10*-amd64";
        assert!(matches_pattern(p, "linux-image-5.10.0-32-amd64"));
        assert!(!matches_pattern(p, "linux-image-5.10.0-32-cloud-amd64"));
        assert!(!matches_pattern(p, "linux-image-5.10.0-32-amd64-unsigned"));
        assert!(!matches_pattern(p, "linux-image-amd64"));
        assert!(!matches_pattern("linux-image-6.1*-amd64", "linux-image-6.12.117+deb13-amd64"));
        assert!(matches_pattern("linux-image-6.12*-arm64", "linux-image-6.12.117+deb13-arm64"));
        assert!(!matches_pattern(
            "linux-image-6.12*-arm64",
            "linux-image-6.12.117+deb13-arm64-16k"
        ));
        assert!(!matches_pattern("linux-image-6.12*-arm64", "linux-image-6.12.117+deb13-rt-arm64"));
        assert!(matches_pattern("linux-binary-7.3*-amd64", "linux-binary-7.3-amd64"));
        assert!(matches_pattern("linux-binary-7.3*-amd64", "linux-binary-7.3.0-rc7+deb14-amd64"));
        assert!(!matches_pattern("linux-binary-7.3*-amd64", "linux-binary-7.3-cloud-amd64"));
        assert!(!matches_pattern("linux-binary-7.2*-amd64", "linux-binary-unsigned-7.2.1-amd64"));
        assert!(!matches_pattern("ab*ba", "aba"));
    }

    #[test]
    fn regex_escapes_the_fixed_parts() {
        assert_eq!(pattern_regex("linux-image-6.1*-amd64"), "^linux-image-6\\.1.*-amd64$");
        assert_eq!(pattern_regex("a+b*"), "^a\\+b.*$");
    }

    #[test]
    fn the_newest_matching_package_wins() {
        let found = [
            ("linux-image-5.10.0-30-amd64", "5.10.218-1"),
            ("linux-image-5.10.0-32-cloud-amd64", "5.10.230-1"),
            ("linux-image-5.10.0-32-amd64", "5.10.223-1"),
            ("linux-image-amd64", "5.10.223-1"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()));
        let (name, version) = newest("linux-image-5.10*-amd64", &found).unwrap();
        assert_eq!(
            (name.as_str(), version.as_str()),
            ("linux-image-5.10.0-32-amd64", "5.10.223-1")
        );
        assert!(newest("linux-image-6.1*-amd64", &found).is_none());
    }

    #[test]
    fn image_member_in_either_layout() {
        let old = "drwxr-xr-x root/root 0 2024-01-01 00:00 ./boot/\n\
                   -rw-r--r-- root/root 83 2024-01-01 00:00 ./boot/System.map-5.10.0-32-amd64\n\
                   -rw-r--r-- root/root 7012 2024-01-01 00:00 ./boot/vmlinuz-5.10.0-32-amd64\n";
        assert_eq!(image_member(old), Some("./boot/vmlinuz-5.10.0-32-amd64"));
        let new = "-rw-r--r-- root/root 1 2026-01-01 00:00 ./usr/lib/modules/7.2.13+deb14-amd64/modules.order\n\
                   -rw-r--r-- root/root 9 2026-01-01 00:00 ./usr/lib/modules/7.2.13+deb14-amd64/vmlinuz\n";
        assert_eq!(image_member(new), Some("./usr/lib/modules/7.2.13+deb14-amd64/vmlinuz"));
        assert_eq!(
            image_member("-rw-r--r-- root/root 1 2026-01-01 00:00 ./usr/share/doc/x\n"),
            None
        );
    }

    #[test]
    fn image_headers_tell_the_architecture() {
        let mut bz = vec![0u8; 0x300];
        bz[0x202..0x206].copy_from_slice(b"HdrS");
        assert_eq!(image_arch(&bz), Some(Arch::X86_64));
        let mut arm = vec![0u8; 0x40];
        arm[0x38..0x3c].copy_from_slice(b"ARM\x64");
        assert_eq!(image_arch(&arm), Some(Arch::Aarch64));
        let mut elf = vec![0u8; 0x40];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[0x12] = 0xb7;
        assert_eq!(image_arch(&elf), Some(Arch::Aarch64));
        assert_eq!(image_arch(&[0x1f, 0x8b, 8, 0]), None);
    }

    #[test]
    fn manifest_names_are_unique_per_arch_and_patterns_end_in_the_arch() {
        let m = manifest();
        for (i, a) in m.iter().enumerate() {
            assert!(!m[..i].iter().any(|b| b.arch == a.arch && b.name == a.name), "{}", a.id());
            if let Source::Debian { package, .. } = &a.source {
                assert!(package.ends_with(&format!("-{}", a.arch.debian())), "{}", a.id());
                assert_eq!(package.matches('*').count(), 1, "{}", a.id());
            }
        }
        let disabled = m.iter().find(|k| k.name == "debian-6.12-disabled").unwrap();
        assert!(disabled.cmdline.starts_with("lsm=") && !disabled.cmdline.contains("landlock"));
    }

    #[test]
    fn selection_by_name_arch_and_path() {
        let x86 = [Arch::X86_64];
        let select = |names: &[String], arches: &[Arch], append: &str| {
            select_from(manifest(), names, arches, append)
        };
        assert_eq!(select(&[], &x86, "").unwrap().len(), 7);
        assert_eq!(select(&[], &Arch::ALL, "").unwrap().len(), 11);
        let both = select(&["debian-6.1".into()], &Arch::ALL, "").unwrap();
        assert_eq!(both.iter().map(|k| k.arch).collect::<Vec<_>>(), Arch::ALL);
        let err = select(&["debian-9".into()], &x86, "").unwrap_err();
        assert!(err.contains("debian-9") && err.contains("debian-7.3"), "{err}");
        let err = select(&["/nonexistent/bzImage".into()], &x86, "").unwrap_err();
        assert!(err.contains("/nonexistent/bzImage"), "{err}");
    }
}
