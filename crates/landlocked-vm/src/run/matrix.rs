//! `landlocked-vm matrix`: the same program on every kernel of the manifest (or those named),
//! a few boots at a time, and a table of kernel, reported Landlock support, exit status and
//! time.

use super::RunOptions;
use crate::kernels::{self, Arch};
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
    let results = super::boot_each(&kernels, jobs, |_| &options, |_, _, booted| booted)?;
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
