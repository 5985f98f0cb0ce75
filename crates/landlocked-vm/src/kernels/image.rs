//! Kernel images: taken out of a Debian package, and told apart by their headers.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use super::Arch;
use super::debian::Image;

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
pub(super) fn extract_image(deb: &Path, dir: &Path, origin: &str) -> Result<Image, String> {
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
    crate::errln!("landlocked-vm: cached {origin} as {}", path.display());
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
