//! Boots in parallel, a few at a time, KVM tried first where asked and dropped for good the
//! first time it fails to reach `/init`.

use std::fs;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use super::qemu::{Accel, Boot, BootJob, KVM_WATCHDOG, Outcome, boot, kvm_possible};
use super::{Options, logs_dir};

pub(super) fn run_parallel(jobs: &[BootJob], opts: &Options) -> Result<Vec<Outcome>, String> {
    fs::create_dir_all(logs_dir()).map_err(|e| format!("{}: {e}", logs_dir().display()))?;
    let next = AtomicUsize::new(0);
    let kvm_broken = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<Outcome, String>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    thread::scope(|s| {
        for _ in 0..opts.jobs.min(jobs.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = jobs.get(i) else { break };
                    let outcome = boot_with_fallback(job, opts, &kvm_broken);
                    if let Ok(o) = &outcome {
                        let verdict = if o.problems.is_empty() { "ok" } else { "FAILED" };
                        let landlock = o.report.summary.as_ref().map(|s| s.landlock());
                        eprintln!(
                            "xtask: {} {verdict} ({}) in {:.1} s",
                            job.kernel.id(),
                            landlock.as_deref().unwrap_or("no summary"),
                            o.elapsed.as_secs_f64()
                        );
                    }
                    results.lock().unwrap()[i] = Some(outcome);
                }
            });
        }
    });
    results.into_inner().unwrap().into_iter().map(|r| r.expect("every job ran")).collect()
}

fn boot_with_fallback(
    job: &BootJob,
    opts: &Options,
    kvm_broken: &AtomicBool,
) -> Result<Outcome, String> {
    let kvm = opts.accel == Accel::Kvm
        && !kvm_broken.load(Ordering::SeqCst)
        && kvm_possible(job.kernel.arch);
    if kvm {
        match boot(job, Accel::Kvm, opts.timeout, Some(KVM_WATCHDOG)) {
            Boot::Judged(outcome) => return Ok(*outcome),
            Boot::Failed(e) => return Err(e),
            Boot::NoInit(why) => {
                kvm_broken.store(true, Ordering::SeqCst);
                eprintln!(
                    "xtask: {} did not reach /init under KVM ({why}): KVM does not work on this \
                     machine, using TCG from now on",
                    job.kernel.id(),
                );
            }
        }
    }
    match boot(job, Accel::Tcg, opts.timeout, None) {
        Boot::Judged(outcome) => Ok(*outcome),
        Boot::Failed(e) => Err(e),
        // Without a watchdog every boot is judged.
        Boot::NoInit(why) => Err(format!("{}: {why}", job.kernel.id())),
    }
}
