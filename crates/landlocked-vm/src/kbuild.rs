//! `landlocked-vm kernels build` (and `cargo xtask kernels build`): a minimal Landlock-enabled kernel image built from a source
//! tarball, for the ABI versions no distribution archive here holds.
//!
//! `make tinyconfig`, then the fragment in `crates/landlocked-vm/kernel-config/` (common options plus the
//! architecture's console and power-off), then `make olddefconfig` and every option of the
//! fragment is checked to have survived. x86_64 builds `bzImage`, arm64 `Image` with Debian's
//! `gcc-aarch64-linux-gnu`. Builds are out of tree (`O=`), so one extracted source tree serves
//! both architectures and is never built in.
//!
//! The cache (`<cache>/kernels/`): `tarballs/` (downloads, checked against kernel.org's
//! published sha256), `src/<source>/` (extracted trees), `obj/<source>-<arch>/` (build trees,
//! with `build.log`), and `built/<source>-<arch>-<fragment>/` holding `image`, `version`, `abi`
//! and `seconds`, where `<source>` is the first 16 hex digits of the tarball's sha256 and
//! `<fragment>` a hash of the configuration fragment: a changed fragment or tarball builds anew.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::cache;
use crate::kernels::Arch;

/// The configuration fragments, built into the program (`crates/landlocked-vm/kernel-config/`)
/// so that an installed `landlocked-vm` builds the same kernels as the repository.
const FRAGMENTS: &[(&str, &str)] = &[
    ("common.config", include_str!("../kernel-config/common.config")),
    ("x86_64.config", include_str!("../kernel-config/x86_64.config")),
    ("aarch64.config", include_str!("../kernel-config/aarch64.config")),
];

fn make_args(arch: Arch) -> &'static [&'static str] {
    match arch {
        Arch::X86_64 => &["ARCH=x86_64"],
        Arch::Aarch64 => &["ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-"],
    }
}

fn image_target(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "bzImage",
        Arch::Aarch64 => "Image",
    }
}

fn image_path(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "arch/x86/boot/bzImage",
        Arch::Aarch64 => "arch/arm64/boot/Image",
    }
}

/// A built image and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Built {
    /// Its name in the manifest: `built-6.12`.
    pub name: String,
    /// Its architecture.
    pub arch: Arch,
    /// The kernel image, ready for `qemu -kernel`.
    pub image: PathBuf,
    /// The source it was built from (`linux-source-6.12 6.12.117-1`, a tarball's name).
    pub origin: String,
    /// The kernel version from the source's Makefile (`6.12.57`).
    pub version: String,
    /// The Landlock ABI a kernel of that version reports, if it has Landlock.
    pub abi: Option<u32>,
    /// How long the build took, in seconds (0 when it came from the cache).
    pub seconds: u64,
    /// Whether it came from the cache.
    pub cached: bool,
}

/// The Landlock ABI of a mainline kernel version (`major.minor`), from the ABI table.
pub fn abi_of_version(major: u32, minor: u32) -> Option<u32> {
    let v = major * 100 + minor;
    Some(match v {
        ..513 => return None,
        513..=518 => 1,
        519..=601 => 2,
        602..=606 => 3,
        607..=609 => 4,
        610..=611 => 5,
        612..=614 => 6,
        615..=699 => 7,
        700 => 8,
        701 => 9,
        702 => 10,
        703 => 11,
        _ => return None,
    })
}

/// The Linux version a kernel.org tarball for `version` is named after, and its directory.
fn kernel_org_url(version: &str) -> Result<(String, String), String> {
    let major = version
        .split('.')
        .next()
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()));
    let Some(major) = major.filter(|_| version.split('.').count() >= 2) else {
        return Err(format!("`{version}` is not a kernel version like 6.7 or 6.10.14"));
    };
    Ok((
        format!("https://cdn.kernel.org/pub/linux/kernel/v{major}.x/"),
        format!("linux-{version}.tar.xz"),
    ))
}

/// Downloads `linux-VERSION.tar.xz` from kernel.org into the cache and checks it against the
/// published `sha256sums.asc`.
pub fn download(version: &str) -> Result<PathBuf, String> {
    let (base, file) = kernel_org_url(version)?;
    let dir = cache::dir().join("kernels/tarballs");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tarball = dir.join(&file);
    let sums = fetch_text(&format!("{base}sha256sums.asc")).map_err(|e| {
        format!(
            "cannot reach kernel.org to fetch Linux {version} ({e}); this machine may reach only \
             package registries: build from a local tarball instead with \
             `landlocked-vm kernels build --source TARBALL` (Debian's linux-source-X.Y packages \
             hold one in /usr/src)"
        )
    })?;
    let expected = sums
        .lines()
        .find_map(|l| {
            l.split_once("  ")
                .filter(|(_, name)| name.trim() == file)
                .map(|(sum, _)| sum.to_owned())
        })
        .ok_or_else(|| format!("{file} is not listed in {base}sha256sums.asc: no such version?"))?;
    if !tarball.is_file() || sha256(&tarball)? != expected {
        crate::errln!("landlocked-vm: downloading {base}{file}");
        let partial = dir.join(format!("{file}.partial"));
        let status = Command::new("curl")
            .args(["-fsSL", "--retry", "3", "-o"])
            .arg(&partial)
            .arg(format!("{base}{file}"))
            .status()
            .map_err(|e| format!("cannot run curl: {e}"))?;
        if !status.success() {
            return Err(format!("downloading {base}{file} failed ({status})"));
        }
        let got = sha256(&partial)?;
        if got != expected {
            let _ = fs::remove_file(&partial);
            return Err(format!(
                "{file}: sha256 {got} does not match kernel.org's published {expected}"
            ));
        }
        fs::rename(&partial, &tarball).map_err(|e| e.to_string())?;
    }
    Ok(tarball)
}

fn fetch_text(url: &str) -> Result<String, String> {
    let out = Command::new("curl")
        .args(["-fsSL", "--max-time", "30", url])
        .output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    String::from_utf8(out.stdout).map_err(|_| format!("{url} is not text"))
}

/// The sha256 of a file, in hex.
fn sha256(path: &Path) -> Result<String, String> {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run sha256sum: {e}"))?;
    if !out.status.success() {
        return Err(format!("sha256sum {} failed", path.display()));
    }
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .map(str::to_owned)
        .ok_or_else(|| format!("sha256sum {}: no output", path.display()))
}

/// FNV-1a, enough to tell one configuration fragment from another.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
}

/// The fragment for `arch`: the common options, then the architecture's.
pub fn fragment(arch: Arch) -> Result<String, String> {
    let mut text = String::new();
    for name in ["common.config", &format!("{}.config", arch.name())] {
        let (_, fragment) = FRAGMENTS
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| format!("no kernel configuration fragment {name}"))?;
        text.push_str(fragment);
    }
    Ok(text)
}

/// The `CONFIG_...=value` lines of a fragment.
fn fragment_options(fragment: &str) -> Vec<&str> {
    fragment.lines().map(str::trim).filter(|l| l.starts_with("CONFIG_")).collect()
}

/// The options of `fragment` missing from a final `.config`: unknown to this kernel version, or
/// overridden by a dependency that is not met.
fn missing_options<'a>(fragment: &'a str, config: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = config.lines().map(str::trim).collect();
    fragment_options(fragment).into_iter().filter(|opt| !lines.contains(opt)).collect()
}

/// `VERSION.PATCHLEVEL.SUBLEVEL` from a kernel's top Makefile.
fn makefile_version(makefile: &str) -> Option<(u32, u32, String)> {
    let field = |name: &str| {
        makefile.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_owned())
        })
    };
    let major: u32 = field("VERSION")?.parse().ok()?;
    let minor: u32 = field("PATCHLEVEL")?.parse().ok()?;
    let sub = field("SUBLEVEL").unwrap_or_default();
    let extra = field("EXTRAVERSION").unwrap_or_default();
    let version = match sub.as_str() {
        "" | "0" => format!("{major}.{minor}{extra}"),
        s => format!("{major}.{minor}.{s}{extra}"),
    };
    Some((major, minor, version))
}

/// Extracts `tarball` once into the cache and returns the source tree.
fn extract(tarball: &Path, key: &str) -> Result<PathBuf, String> {
    let dir = cache::dir().join("kernels/src").join(key);
    let done = dir.join(".extracted");
    if let Ok(top) = fs::read_to_string(&done) {
        return Ok(dir.join(top.trim()));
    }
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    crate::errln!("landlocked-vm: extracting {}", tarball.display());
    let status = Command::new("tar")
        .arg("-xf")
        .arg(tarball)
        .arg("-C")
        .arg(&dir)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !status.success() {
        return Err(format!("extracting {} failed", tarball.display()));
    }
    let top = fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .find(|e| e.path().join("Makefile").is_file())
        .ok_or_else(|| format!("{} holds no kernel source tree", tarball.display()))?
        .file_name();
    let top = top.to_string_lossy().into_owned();
    fs::write(&done, &top).map_err(|e| e.to_string())?;
    Ok(dir.join(top))
}

/// Runs `make` in the build tree, its output going to `log`.
fn make(src: &Path, obj: &Path, arch: Arch, args: &[&str], log: &Path) -> Result<(), String> {
    let log_file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let mut cmd = Command::new("make");
    cmd.arg("-C")
        .arg(src)
        .arg(format!("O={}", obj.display()))
        .args(make_args(arch))
        .args(args)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
        .stderr(log_file);
    let status = cmd.status().map_err(|e| {
        format!("cannot run make (install make, flex, bison, bc, libelf-dev, libssl-dev): {e}")
    })?;
    if status.success() {
        return Ok(());
    }
    let text = fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "make {} for {arch} failed; the end of {}:\n{}",
        args.join(" "),
        log.display(),
        tail.join("\n")
    ))
}

fn built_root() -> PathBuf {
    cache::dir().join("kernels/built")
}

/// The fragment part of a built directory's name: images built with another fragment are stale.
fn fragment_key(arch: Arch) -> Result<String, String> {
    Ok(format!("{:016x}", fnv1a(fragment(arch)?.as_bytes())))
}

/// Reads a complete built directory (`version` is written last).
fn read_built(dir: &Path) -> Option<Built> {
    let read = |name: &str| fs::read_to_string(dir.join(name)).map(|s| s.trim().to_owned()).ok();
    let version = read("version")?;
    let arch = Arch::ALL.into_iter().find(|a| Some(a.name()) == read("arch").as_deref())?;
    let image = dir.join("image");
    let name = read("name")?;
    image.is_file().then(|| Built {
        name,
        arch,
        image,
        origin: read("origin").unwrap_or_default(),
        version,
        abi: read("abi").and_then(|a| a.parse().ok()),
        seconds: read("seconds").and_then(|s| s.parse().ok()).unwrap_or(0),
        cached: true,
    })
}

/// Every image built with the current fragments, newest build first.
pub fn cached_builds() -> Vec<Built> {
    let Ok(entries) = fs::read_dir(built_root()) else { return Vec::new() };
    let mut found: Vec<(std::time::SystemTime, Built)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let built = read_built(&e.path())?;
            let current = fragment_key(built.arch).ok()?;
            let name = e.file_name();
            let fresh = name.to_string_lossy().ends_with(&current);
            let time = e.metadata().and_then(|m| m.modified()).ok()?;
            fresh.then_some((time, built))
        })
        .collect();
    found.sort_by_key(|(time, _)| std::cmp::Reverse(*time));
    found.into_iter().map(|(_, b)| b).collect()
}

/// Builds (or finds in the cache) the image of `tarball` for `arch`; `origin` says where the
/// tarball came from, for listings.
pub fn build(tarball: &Path, arch: Arch, origin: &str) -> Result<Built, String> {
    if !tarball.is_file() {
        return Err(format!("{}: no such tarball", tarball.display()));
    }
    let fragment = fragment(arch)?;
    let key = sha256(tarball)?[..16].to_owned();
    let built_dir = built_root().join(format!("{key}-{}-{}", arch.name(), fragment_key(arch)?));
    if let Some(built) = read_built(&built_dir) {
        return Ok(built);
    }

    let src = extract(tarball, &key)?;
    let makefile = fs::read_to_string(src.join("Makefile")).map_err(|e| e.to_string())?;
    let (major, minor, version) = makefile_version(&makefile)
        .ok_or_else(|| format!("{}: no kernel version in its Makefile", tarball.display()))?;
    let obj = cache::dir().join("kernels/obj").join(format!("{key}-{}", arch.name()));
    fs::create_dir_all(&obj).map_err(|e| format!("{}: {e}", obj.display()))?;
    let log = obj.join("build.log");
    let _ = fs::remove_file(&log);
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    crate::errln!(
        "xtask: building Linux {version} for {arch} with make -j{jobs} (log: {})",
        log.display()
    );
    let start = Instant::now();

    make(&src, &obj, arch, &["tinyconfig"], &log)?;
    let config_path = obj.join(".config");
    let mut config = fs::read_to_string(&config_path).map_err(|e| e.to_string())?;
    // Later assignments override earlier ones when kconfig reads a .config.
    config.push('\n');
    config.push_str(&fragment);
    fs::write(&config_path, config).map_err(|e| e.to_string())?;
    make(&src, &obj, arch, &["olddefconfig"], &log)?;
    let final_config = fs::read_to_string(&config_path).map_err(|e| e.to_string())?;
    let missing = missing_options(&fragment, &final_config);
    if !missing.is_empty() {
        return Err(format!(
            "Linux {version} ({arch}) does not take these options of crates/landlocked-vm/kernel-config: {}",
            missing.join(" ")
        ));
    }
    make(&src, &obj, arch, &[&format!("-j{jobs}"), image_target(arch)], &log)?;
    let seconds = start.elapsed().as_secs();

    let abi = abi_of_version(major, minor);
    let name = format!("built-{major}.{minor}");
    fs::create_dir_all(&built_dir).map_err(|e| e.to_string())?;
    let write = |file: &str, text: &str| {
        fs::write(built_dir.join(file), text)
            .map_err(|e| format!("{}: {e}", built_dir.join(file).display()))
    };
    fs::copy(obj.join(image_path(arch)), built_dir.join("image"))
        .map_err(|e| format!("copying the image: {e}"))?;
    write("name", &name)?;
    write("arch", arch.name())?;
    write("origin", origin)?;
    write("abi", &abi.map_or_else(|| "none".to_owned(), |a| a.to_string()))?;
    write("seconds", &seconds.to_string())?;
    // Written last: its presence marks a complete entry.
    write("version", &version)?;
    Ok(Built {
        name,
        arch,
        image: built_dir.join("image"),
        origin: origin.to_owned(),
        version,
        abi,
        seconds,
        cached: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_table() {
        assert_eq!(abi_of_version(5, 10), None);
        assert_eq!(abi_of_version(5, 13), Some(1));
        assert_eq!(abi_of_version(6, 1), Some(2));
        assert_eq!(abi_of_version(6, 2), Some(3));
        assert_eq!(abi_of_version(6, 7), Some(4));
        assert_eq!(abi_of_version(6, 10), Some(5));
        assert_eq!(abi_of_version(6, 12), Some(6));
        assert_eq!(abi_of_version(6, 18), Some(7));
        assert_eq!(abi_of_version(7, 0), Some(8));
        assert_eq!(abi_of_version(7, 1), Some(9));
        assert_eq!(abi_of_version(7, 2), Some(10));
        assert_eq!(abi_of_version(7, 3), Some(11));
        assert_eq!(abi_of_version(7, 4), None);
    }

    #[test]
    fn makefile_versions() {
        let mk = "# SPDX\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 57\nEXTRAVERSION =\nNAME = Baby Opossum\n";
        assert_eq!(makefile_version(mk), Some((6, 12, "6.12.57".into())));
        let rc = "VERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL = 0\nEXTRAVERSION = -rc7\n";
        assert_eq!(makefile_version(rc), Some((7, 3, "7.3-rc7".into())));
        assert_eq!(makefile_version("nothing"), None);
    }

    #[test]
    fn urls_and_bad_versions() {
        assert_eq!(
            kernel_org_url("6.7").unwrap(),
            ("https://cdn.kernel.org/pub/linux/kernel/v6.x/".into(), "linux-6.7.tar.xz".into())
        );
        assert!(kernel_org_url("latest").is_err());
        assert!(kernel_org_url("6").is_err());
    }

    #[test]
    fn fragments_are_checked_against_the_final_config() {
        let frag = "# c\nCONFIG_A=y\nCONFIG_LSM=\"landlock\"\nCONFIG_B=y\n";
        let config = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_LSM=\"landlock\"\n";
        assert_eq!(missing_options(frag, config), vec!["CONFIG_B=y"]);
        for arch in Arch::ALL {
            let f = fragment(arch).unwrap();
            assert!(fragment_options(&f).contains(&"CONFIG_SECURITY_LANDLOCK=y"));
            assert!(fragment_options(&f).contains(&"CONFIG_LSM=\"landlock\""));
        }
    }
}
