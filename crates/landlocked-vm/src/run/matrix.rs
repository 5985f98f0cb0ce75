//! `landlocked-vm matrix`: the same program on every kernel of the manifest (or those named),
//! a few boots at a time, and a table of kernel, reported Landlock support, exit status and
//! time.

use super::{Booted, Output, RunOptions, boot, write_initramfs};
use crate::kernels::{self, Arch, Fetch};
use crate::qemu;

/// Runs `options`' program on `names` (or the whole manifest) of `arches` (default: the
/// host's), `jobs` boots at a time: 0 when every run passed, 1 when one failed, `Err` before
/// anything booted.
pub fn matrix(
    names: &[String],
    arches: Option<Vec<Arch>>,
    jobs: usize,
    options: RunOptions,
) -> Result<i32, String> {
    let arches = match arches {
        Some(arches) => arches,
        None => vec![super::guest_arch(&options)?],
    };
    let kernels = kernels::select(names, &arches, &options.append)?;
    let mut images = Vec::new();
    for kernel in &kernels {
        qemu::check_qemu(kernel.arch)?;
        images.push(kernel.image(Fetch::IfMissing)?);
    }
    // One initramfs per architecture; one that cannot be made fails its kernels.
    let mut initrds = Vec::new();
    for arch in Arch::ALL {
        if kernels.iter().any(|k| k.arch == arch) {
            initrds.push((arch, write_initramfs(&options, arch, "matrix")));
        }
    }
    let results = super::parallel(kernels.len(), jobs, |i| {
        let kernel = &kernels[i];
        match &initrds.iter().find(|(a, _)| *a == kernel.arch).expect("made").1 {
            Ok(initrd) => boot(kernel, &images[i].path, initrd, &options, Output::Capture),
            Err(e) => Booted::failed(e.clone()),
        }
    });
    for (_, initrd) in &initrds {
        if let Ok(path) = initrd {
            super::remove_initramfs(path);
        }
    }
    crate::outln!(
        "{:<8} {:<22} {:<12} {:>6} {:<10} {:>7}",
        "arch",
        "kernel",
        "landlock",
        "page",
        "status",
        "time"
    );
    let mut failures = Vec::new();
    for (kernel, booted) in kernels.iter().zip(&results) {
        let status = match &booted.status {
            Ok(code) => code.to_string(),
            Err(_) => "error".into(),
        };
        let page = booted.page_size.map_or("?".into(), |p| format!("{}k", p / 1024));
        crate::outln!(
            "{:<8} {:<22} {:<12} {:>6} {:<10} {:>6.1}s{}",
            kernel.arch,
            kernel.name,
            booted.landlock.as_deref().unwrap_or("?"),
            page,
            status,
            booted.elapsed.as_secs_f64(),
            if booted.accel == qemu::Accel::Kvm { " kvm" } else { "" }
        );
        match &booted.status {
            Ok(0) => {}
            Ok(code) => {
                let stderr = String::from_utf8_lossy(&booted.stderr);
                let last = stderr.lines().last().unwrap_or("").to_string();
                failures.push(format!("{} {}: exit {code}: {last}", kernel.arch, kernel.name));
            }
            Err(e) => failures.push(format!("{} {}: {e}", kernel.arch, kernel.name)),
        }
    }
    for failure in &failures {
        crate::errln!("landlocked-vm: {failure}");
    }
    Ok(if failures.is_empty() { 0 } else { 1 })
}
