//! One boot: QEMU started on the kernel with the initramfs, the console read frame by frame,
//! the watchdogs (the timeout, the power-off grace, KVM's first-frame watchdog), and what the
//! boot ended with.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::RunOptions;
use super::console::Frame;
use crate::kernels::Kernel;
use crate::qemu::{self, Accel};

/// Where the program's output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// To this process's stdout and stderr, as it comes.
    Stream,
    /// Kept in the [`Booted`].
    Capture,
}

/// What one boot gave.
#[derive(Debug)]
pub struct Booted {
    /// The program's exit status, or why the guest failed.
    pub status: Result<i32, String>,
    /// What the guest's kernel said of Landlock.
    pub landlock: Option<String>,
    /// The guest's page size.
    pub page_size: Option<u64>,
    /// The program's output, when captured.
    pub stdout: Vec<u8>,
    /// See `stdout`.
    pub stderr: Vec<u8>,
    /// The boot's wall time.
    pub elapsed: Duration,
    /// The accelerator the guest ran under in the end.
    pub accel: Accel,
    /// QEMU's command line.
    pub qemu: Vec<String>,
    /// The console's own lines (the kernel's, before `/init` quiets it), control characters
    /// escaped.
    pub console: Vec<String>,
    /// What QEMU said on its stderr.
    pub qemu_stderr: String,
}

impl Booted {
    /// A boot that never started.
    pub fn failed(why: String) -> Booted {
        Booted {
            status: Err(why),
            landlock: None,
            page_size: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
            elapsed: Duration::ZERO,
            accel: Accel::Tcg,
            qemu: Vec::new(),
            console: Vec::new(),
            qemu_stderr: String::new(),
        }
    }
}

/// How long a guest may take to power off once the program has ended.
const POWER_OFF_GRACE: Duration = Duration::from_secs(15);

/// Under KVM, how long the guest has to send its first frame before KVM is declared broken on
/// this machine and the boot is redone under TCG (some hosts have a `/dev/kvm` whose guests
/// hang in early boot).
pub const KVM_WATCHDOG: Duration = Duration::from_secs(20);

/// Set once KVM failed to bring a guest to `/init`: later boots of this process use TCG.
static KVM_BROKEN: AtomicBool = AtomicBool::new(false);

/// Boots `kernel` with `initrd` and follows the program to its end. With `o.accel` KVM (and
/// KVM usable for the guest), a guest that sends no frame within [`KVM_WATCHDOG`] is redone
/// under TCG, and KVM is not tried again by this process.
pub fn boot(
    kernel: &Kernel,
    image: &Path,
    initrd: &Path,
    o: &RunOptions,
    output: Output,
) -> Booted {
    let start = Instant::now();
    // --timeout is the whole boot's, a KVM attempt included; far in the future is "never".
    let deadline = start.checked_add(o.timeout).unwrap_or(start + Duration::from_secs(1 << 32));
    let kvm = o.accel == Accel::Kvm
        && !KVM_BROKEN.load(Ordering::SeqCst)
        && qemu::kvm_possible(kernel.arch);
    if kvm {
        let mut kvm = attempt(kernel, image, initrd, o, output, Accel::Kvm, deadline);
        match kvm.status {
            Err(Attempt::NoInit(why)) => {
                KVM_BROKEN.store(true, Ordering::SeqCst);
                crate::errln!(
                    "landlocked-vm: {} {} did not reach /init under KVM ({why}): KVM does not \
                     work on this machine, using TCG from now on",
                    kernel.arch,
                    kernel.name
                );
            }
            _ => {
                kvm.booted.elapsed = start.elapsed();
                return kvm.finish();
            }
        }
    }
    let mut tcg = attempt(kernel, image, initrd, o, output, Accel::Tcg, deadline);
    tcg.booted.elapsed = start.elapsed();
    tcg.finish()
}

/// Why an attempt ended without the program's status.
enum Attempt {
    /// The guest failed: the reason given to the user.
    Failed(String),
    /// Under KVM's watchdog, the guest sent no frame: to be redone under TCG.
    NoInit(String),
}

/// A [`Booted`] whose status may still be an [`Attempt`].
struct Pending {
    status: Result<i32, Attempt>,
    booted: Booted,
}

impl Pending {
    fn finish(mut self) -> Booted {
        self.booted.status = self.status.map_err(|a| match a {
            Attempt::Failed(why) | Attempt::NoInit(why) => why,
        });
        self.booted
    }
}

fn attempt(
    kernel: &Kernel,
    image: &Path,
    initrd: &Path,
    o: &RunOptions,
    output: Output,
    accel: Accel,
    deadline: Instant,
) -> Pending {
    let mut booted = Booted::failed(String::new());
    booted.accel = accel;
    booted.qemu = qemu::qemu_args(kernel, image, initrd, accel, o.memory_mib);
    let status = follow(kernel, o, output, deadline, &mut booted);
    Pending { status, booted }
}

fn follow(
    kernel: &Kernel,
    o: &RunOptions,
    output: Output,
    deadline: Instant,
    booted: &mut Booted,
) -> Result<i32, Attempt> {
    let bin = qemu::qemu_binary(kernel.arch);
    let watchdog = (booted.accel == Accel::Kvm).then_some(KVM_WATCHDOG);
    let mut cmd = Command::new(bin);
    // QEMU ends with this process however it ends (a panic, SIGPIPE, SIGTERM), not later.
    // SAFETY: prctl only sets this child's own death signal, between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .args(&booted.qemu)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Attempt::Failed(format!("cannot run {bin}: {e}")))?;
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let stdout = child.stdout.take().expect("piped");
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut buf = Vec::new();
        while reader.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
            if tx.send(std::mem::take(&mut buf)).is_err() {
                break;
            }
        }
    });
    // Read to its end, or a chatty QEMU would block on a full pipe.
    let mut stderr = child.stderr.take().expect("piped");
    let stderr = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let start = Instant::now();
    let mut status: Option<Result<i32, String>> = None;
    let mut framed = false;
    let mut ended_at = None;
    let problem = loop {
        let until = match (ended_at, watchdog) {
            (Some(t), _) => t + POWER_OFF_GRACE,
            (None, Some(w)) if !framed => (start + w).min(deadline),
            _ => deadline,
        };
        let line = match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(line) => String::from_utf8_lossy(&line).into_owned(),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                break Some(if ended_at.is_some() {
                    Attempt::Failed(format!(
                        "the guest did not power off within {} s of the program's end",
                        POWER_OFF_GRACE.as_secs()
                    ))
                } else if watchdog.is_some() && !framed && Instant::now() < deadline {
                    Attempt::NoInit(format!("no progress in {} s", KVM_WATCHDOG.as_secs()))
                } else {
                    Attempt::Failed(format!(
                        "timed out after {} s (--timeout)",
                        o.timeout.as_secs()
                    ))
                });
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
        };
        let Some(frame) = Frame::parse(&line) else {
            let line = landlocked::printable(line.trim_end());
            let panic =
                line.contains("Kernel panic - not syncing").then(|| line.trim().to_string());
            booted.console.push(line);
            if let Some(panic) = panic {
                let _ = child.kill();
                break Some(Attempt::Failed(format!("kernel panic: {panic}")));
            }
            continue;
        };
        framed = true;
        match frame {
            Frame::Out(bytes) if output == Output::Stream => {
                let _ = std::io::stdout().write_all(&bytes);
                let _ = std::io::stdout().flush();
            }
            Frame::Err(bytes) if output == Output::Stream => {
                let _ = std::io::stderr().write_all(&bytes);
            }
            Frame::Out(bytes) => booted.stdout.extend(bytes),
            Frame::Err(bytes) => booted.stderr.extend(bytes),
            Frame::Landlock(said) => booted.landlock = Some(said),
            Frame::PageSize(bytes) => booted.page_size = Some(bytes),
            Frame::Exit(code) => status = Some(Ok(code)),
            Frame::Signal(signal) => status = Some(Ok(128 + signal)),
            Frame::Failed(why) => status = Some(Err(format!("in the guest: {why}"))),
        }
        if status.is_some() && ended_at.is_none() {
            ended_at = Some(Instant::now());
        }
    };
    let waited = child.wait();
    booted.qemu_stderr = stderr.join().unwrap_or_default();
    if let Some(problem) = problem {
        return Err(problem);
    }
    let said = booted.qemu_stderr.trim().lines().last().map(str::to_string);
    if watchdog.is_some() && !framed {
        return Err(Attempt::NoInit(match (said, waited) {
            (Some(said), _) => format!("QEMU: {said}"),
            (None, Ok(s)) => format!("QEMU exited with {s}"),
            (None, Err(e)) => format!("waiting for QEMU: {e}"),
        }));
    }
    match status {
        Some(status) => status.map_err(Attempt::Failed),
        None => {
            let last = match said {
                Some(said) => format!("QEMU said: {said}"),
                None => {
                    let line = booted.console.iter().rev().find(|l| !l.trim().is_empty());
                    format!("last console line: {}", line.map_or("", |l| l.trim()))
                }
            };
            Err(Attempt::Failed(format!(
                "the guest ended without the program's exit status ({last})"
            )))
        }
    }
}
