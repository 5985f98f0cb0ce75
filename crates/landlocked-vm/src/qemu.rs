//! QEMU for the kernels of the manifest: the machine, the accelerator and the command line
//! that boots an image with an initramfs on the serial console.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::kernels::{Arch, Kernel};

/// How QEMU runs the guest's CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    /// Emulation: slow but works everywhere. The default.
    Tcg,
    /// Hardware virtualisation, for guests of the host's architecture, behind a watchdog.
    Kvm,
}

pub fn check_qemu(arch: Arch) -> Result<(), String> {
    let bin = qemu_binary(arch);
    match Command::new(bin).arg("--version").stdout(Stdio::null()).status() {
        Ok(s) if s.success() => Ok(()),
        _ => Err(format!(
            "{bin} not found: install it (Debian: `{}`, which `cargo xtask setup` installs)",
            match arch {
                Arch::X86_64 => "qemu-system-x86",
                Arch::Aarch64 => "qemu-system-arm",
            }
        )),
    }
}

pub fn qemu_binary(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "qemu-system-x86_64",
        Arch::Aarch64 => "qemu-system-aarch64",
    }
}

/// Whether KVM can run guests of `arch` here at all (it may still hang: see the watchdog).
pub fn kvm_possible(arch: Arch) -> bool {
    let host = match std::env::consts::ARCH {
        "x86_64" => Arch::X86_64,
        "aarch64" => Arch::Aarch64,
        _ => return false,
    };
    host == arch && fs::OpenOptions::new().read(true).write(true).open("/dev/kvm").is_ok()
}

/// The QEMU command line booting `image` with `initrd` as the initramfs.
pub fn qemu_args(
    kernel: &Kernel,
    image: &Path,
    initrd: &Path,
    accel: Accel,
    memory_mib: u32,
) -> Vec<String> {
    let (machine, console) = match kernel.arch {
        Arch::X86_64 => ("q35", "ttyS0"),
        Arch::Aarch64 => ("virt", "ttyAMA0"),
    };
    let (accel, cpu) = match accel {
        Accel::Tcg => ("tcg", "max"),
        Accel::Kvm => ("kvm", "host"),
    };
    let mut append = format!("console={console} panic=-1");
    if !kernel.cmdline.is_empty() {
        append = format!("{append} {}", kernel.cmdline);
    }
    let memory = memory_mib.to_string();
    let args = [
        "-M",
        machine,
        "-accel",
        accel,
        "-cpu",
        cpu,
        "-m",
        &memory,
        "-nodefaults",
        "-no-user-config",
        "-nographic",
        "-serial",
        "stdio",
        "-no-reboot",
    ];
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    args.extend(["-kernel".into(), image.display().to_string()]);
    args.extend(["-initrd".into(), initrd.display().to_string()]);
    args.extend(["-append".into(), append]);
    args
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::kernels::Source;

    fn kernel(arch: Arch, cmdline: &str) -> Kernel {
        Kernel {
            name: "k".into(),
            arch,
            expect: None,
            source: Source::Path(PathBuf::from("/k")),
            cmdline: cmdline.into(),
        }
    }

    #[test]
    fn qemu_command_lines() {
        let (img, rd) = (Path::new("/img"), Path::new("/rd.cpio"));
        let k = kernel(Arch::X86_64, "lsm=yama");
        let a = qemu_args(&k, img, rd, Accel::Tcg, 512).join(" ");
        assert_eq!(
            a,
            "-M q35 -accel tcg -cpu max -m 512 -nodefaults -no-user-config -nographic -serial \
             stdio -no-reboot -kernel /img -initrd /rd.cpio -append console=ttyS0 panic=-1 lsm=yama"
        );
        let k = kernel(Arch::Aarch64, "");
        let a = qemu_args(&k, img, rd, Accel::Kvm, 512).join(" ");
        assert!(a.starts_with("-M virt -accel kvm -cpu host "), "{a}");
        assert!(a.ends_with("-append console=ttyAMA0 panic=-1"), "{a}");
    }
}
