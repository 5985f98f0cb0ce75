//! The manifest: every kernel of Debian's archive the suite boots, with what it must report, and
//! the ones built from source joined to it.

use std::path::Path;

use super::{Arch, Expect, Kernel, Source};
use crate::kbuild;

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

/// The command line of the kernels with Landlock's audit records (ABI 7 and later): audit on,
/// with no audit daemon in the guest the records go to the kernel log, where the conformance
/// suite reads them back (`trace.audit_records`).
const AUDIT: &str = "audit=1";

/// Trixie's backports, where Debian's newest released kernels are.
const BACKPORTS: &str = "trixie-backports";

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
/// source tarball with the fragment of `crates/landlocked-vm/kernel-config`, which proves the build path on
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
        debian("debian-7.2", X86_64, Abi(10), "sid", "linux-binary-7.2*-amd64", AUDIT),
        // Linux 7.3 released, from trixie's backports: ABI 11 on both architectures, and on
        // arm64 16 KiB pages as well (the only kernel whose page size is not 4 KiB).
        debian("debian-7.3", X86_64, Abi(11), BACKPORTS, "linux-binary-7.3*-amd64", AUDIT),
        debian_source("built-6.12", X86_64, Abi(6), "trixie", "linux-source-6.12"),
        debian("debian-6.1", Aarch64, Abi(2), "bookworm", "linux-image-6.1*-arm64", ""),
        debian("debian-6.12", Aarch64, Abi(6), "trixie", "linux-image-6.12*-arm64", ""),
        debian("debian-7.2", Aarch64, Abi(10), "sid", "linux-binary-7.2*-arm64", AUDIT),
        debian("debian-7.3", Aarch64, Abi(11), BACKPORTS, "linux-binary-7.3*-arm64", AUDIT),
        debian("debian-7.3-16k", Aarch64, Abi(11), BACKPORTS, "linux-binary-7.3*-arm64-16k", AUDIT),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_names_are_unique_per_arch_and_patterns_end_in_the_arch() {
        let m = manifest();
        for (i, a) in m.iter().enumerate() {
            assert!(!m[..i].iter().any(|b| b.arch == a.arch && b.name == a.name), "{}", a.id());
            if let Source::Debian { package, .. } = &a.source {
                let flavour = package.rsplit_once(a.arch.debian()).map_or("", |(_, f)| f);
                assert!(flavour.is_empty() || flavour == "-16k", "{}", a.id());
                assert!(package.contains(&format!("-{}", a.arch.debian())), "{}", a.id());
                assert_eq!(package.matches('*').count(), 1, "{}", a.id());
            }
        }
        let disabled = m.iter().find(|k| k.name == "debian-6.12-disabled").unwrap();
        assert!(disabled.cmdline.starts_with("lsm=") && !disabled.cmdline.contains("landlock"));
    }

    #[test]
    fn kernels_with_audit_records_boot_with_audit_on() {
        for k in manifest() {
            if let Some(Expect::Abi(abi)) = k.expect {
                assert_eq!(abi >= 7, k.cmdline.contains(AUDIT), "{}", k.id());
            }
        }
    }
}
