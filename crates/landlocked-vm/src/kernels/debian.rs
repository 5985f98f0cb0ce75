//! Debian's kernel images: the newest package of a suite matching a pattern, fetched with apt
//! under a private configuration, cached one directory per suite and pattern.

use std::fs;
use std::path::{Path, PathBuf};

use super::image::extract_image;
use super::{Arch, Kernel, Source};
use crate::apt::{self, Apt};
use crate::cache;
use crate::kbuild;

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
                 another source or drop it from the manifest in crates/landlocked-vm/src/kernels/manifest.rs",
                self.id(),
                self.arch.debian(),
            )
        })?;
        let found = apt.search(&pattern_regex(package))?;
        let Some((name, version)) = newest(package, &found) else {
            return Err(format!(
                "{}: no package matching `{package}` in Debian {}; the suite has moved to \
                 another kernel series: update this entry (name, pattern and expected ABI) in \
                 crates/landlocked-vm/src/kernels/manifest.rs",
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
}
