//! One boot under QEMU: the command line, the console read line by line against the protocol,
//! the watchdogs, and what the boot ended with.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::kernels::Kernel;
use crate::protocol::{Ending, Report, printable, problems};
pub use landlocked_vm::qemu::Accel;
pub(super) use landlocked_vm::qemu::{check_qemu, kvm_possible};
use landlocked_vm::qemu::{qemu_args, qemu_binary};

use super::logs_dir;

/// The guest's memory.
const MEMORY_MIB: u32 = 512;

/// How long a guest may take to power off after printing its summary.
pub(super) const POWER_OFF_GRACE: Duration = Duration::from_secs(15);

/// Under KVM, how long the guest has to reach `/init` before KVM is declared broken on this
/// machine and the boot is redone under TCG.
pub(super) const KVM_WATCHDOG: Duration = Duration::from_secs(20);

pub(super) struct BootJob {
    pub kernel: Kernel,
    pub image: PathBuf,
    pub origin: String,
    pub initrd: PathBuf,
}

/// One finished boot.
#[derive(Debug)]
pub struct Outcome {
    /// The kernel booted.
    pub kernel: Kernel,
    /// The package or file its image came from.
    pub origin: String,
    /// What its console said.
    pub report: Report,
    /// Wall time of the boot.
    pub elapsed: Duration,
    /// `tcg` or `kvm`.
    pub accel: Accel,
    /// Everything wrong; empty when it passed.
    pub problems: Vec<String>,
    /// The last console lines, shown when it failed.
    pub tail: Vec<String>,
}

/// How one boot ended.
#[derive(Debug)]
pub(super) enum Boot {
    /// The guest ran (or failed to), and was judged.
    Judged(Box<Outcome>),
    /// Under a watchdog (KVM), the guest never reached `/init`: not judged, to be redone under
    /// TCG. Says why.
    NoInit(String),
    /// QEMU could not be run or waited for at all.
    Failed(String),
}

/// Boots one kernel. Under KVM (with a `watchdog`), a boot that never reaches `/init` (it hangs
/// past the watchdog, or QEMU fails) is not judged but [`Boot::NoInit`].
pub(super) fn boot(
    job: &BootJob,
    accel: Accel,
    timeout: Duration,
    watchdog: Option<Duration>,
) -> Boot {
    let kernel = &job.kernel;
    let bin = qemu_binary(kernel.arch);
    let args = qemu_args(kernel, &job.image, &job.initrd, accel, MEMORY_MIB);
    let start = Instant::now();
    let child = Command::new(bin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return Boot::Failed(format!("{}: cannot run {bin}: {e}", kernel.id())),
    };
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("piped");
    let reader = thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut buf = Vec::new();
        while stdout.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
            let line = printable(&String::from_utf8_lossy(&buf));
            if tx.send(line).is_err() {
                break;
            }
            buf.clear();
        }
    });
    let mut stderr = child.stderr.take().expect("piped");
    let err_reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut report = Report::default();
    let mut console = Vec::new();
    let mut summary_at = None;
    let mut killed = None;
    loop {
        let deadline = match (summary_at, watchdog) {
            (Some(t), _) => t + POWER_OFF_GRACE,
            (None, Some(w)) if report.release.is_none() => start + w,
            _ => start + timeout,
        };
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                report.line(&line);
                console.push(line);
                if report.summary.is_some() && summary_at.is_none() {
                    summary_at = Some(Instant::now());
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                killed = Some(if summary_at.is_some() {
                    Ending::NoPowerOff
                } else {
                    Ending::TimedOut(timeout.as_secs())
                });
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = match child.wait() {
        Ok(status) => status,
        Err(e) => return Boot::Failed(format!("{}: waiting for {bin}: {e}", kernel.id())),
    };
    let elapsed = start.elapsed();
    let _ = reader.join();
    let stderr = err_reader.join().unwrap_or_default();
    let log = logs_dir().join(format!("{}-{}.log", kernel.arch, sanitize(&kernel.name)));
    let mut text = format!("$ {bin} {}\n", args.join(" "));
    for line in &console {
        let _ = writeln!(text, "{line}");
    }
    if !stderr.is_empty() {
        let _ = write!(text, "--- QEMU's stderr ---\n{stderr}");
    }
    let _ = fs::write(&log, text);
    if watchdog.is_some() && report.release.is_none() {
        return Boot::NoInit(match (&killed, stderr.trim().lines().last()) {
            (Some(_), _) => format!("no progress in {} s", KVM_WATCHDOG.as_secs()),
            (None, Some(said)) => format!("QEMU: {said}"),
            (None, None) => format!("QEMU exited with {status}"),
        });
    }
    let ending = killed.unwrap_or(Ending::Exited(status.code()));
    let mut problems = problems(&report, &ending, kernel.expect);
    let stderr = stderr.trim();
    if !stderr.is_empty() && ending != Ending::Exited(Some(0)) {
        problems.push(format!("QEMU said: {}", stderr.lines().last().unwrap_or_default()));
    }
    if !problems.is_empty() {
        problems.push(format!("console: {}", log.display()));
    }
    let tail = console[console.len().saturating_sub(15)..].to_vec();
    Boot::Judged(Box::new(Outcome {
        kernel: kernel.clone(),
        origin: job.origin.clone(),
        report,
        elapsed,
        accel,
        problems,
        tail,
    }))
}

pub(super) fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' })
        .collect()
}
