//! `cargo xtask vmtest`: the conformance suite on real kernels. Builds the static guest
//! binaries, packs them into an initramfs, boots each kernel of the manifest under QEMU with
//! `landlocked-init` as `/init`, reads the protocol lines off the serial console and checks them
//! against what the manifest says the kernel must report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::cpio;
use crate::kernels::{self, Arch, Fetch, Kernel};
use crate::protocol::{CaseResult, Ending, Report, printable, problems};
use crate::run::{cargo, project_root, run};
use crate::static_bin;

/// A static binary packed into the initramfs.
#[derive(Clone, Copy, Debug)]
pub struct Agent {
    /// The workspace package that builds it.
    pub package: &'static str,
    /// The binary's name in that package.
    pub bin: &'static str,
    /// Where it goes in the guest, relative to `/`.
    pub path: &'static str,
}

/// Every binary of the guest built in release mode for the guest's musl target: the suite as
/// `/init` (also the probe its command-line cases run inside sandboxes), and the `landlocked`
/// command, which the suite finds under `/bin`. The static sandboxer joins them from
/// `cargo xtask static` ([`STATIC_SANDBOXER`]).
pub const AGENTS: &[Agent] = &[
    Agent { package: "landlocked-conformance", bin: "landlocked-init", path: "init" },
    Agent { package: "landlocked-cli", bin: "landlocked", path: "bin/landlocked" },
];

/// Where the libc-free sandboxer goes in the guest; it is built by [`static_bin::build`] with
/// link settings of its own.
const STATIC_SANDBOXER: &str = "bin/landlocked-sandboxer";

/// Directories of the guest's root, besides the parents of the agents' paths.
const ROOT_DIRS: &[&str] = &["bin", "dev", "proc", "sys", "tmp", "root"];

/// How long a boot may take, in seconds, unless `--timeout` says otherwise.
const DEFAULT_TIMEOUT: u64 = 120;

/// How long a guest may take to power off after printing its summary.
const POWER_OFF_GRACE: Duration = Duration::from_secs(15);

/// Under KVM, how long the guest has to reach `/init` before KVM is declared broken on this
/// machine and the boot is redone under TCG.
const KVM_WATCHDOG: Duration = Duration::from_secs(20);

/// How QEMU runs the guest's CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    /// Emulation: slow but works everywhere. The default.
    Tcg,
    /// Hardware virtualisation, for guests of the host's architecture, behind a watchdog.
    Kvm,
}

const HELP: &str = "\
usage: cargo xtask vmtest [--arch x86_64|aarch64|all] [--kernel NAME|PATH]... [options]

Boots each kernel under QEMU with the conformance suite as /init and checks every case and the
Landlock support the kernel reports against the manifest (`cargo xtask kernels list`). Without
--kernel, every kernel of the selected architectures (default: all) runs. Missing images are
fetched into the cache.

options:
  --arch ARCH        x86_64, aarch64 or all (default)
  --kernel NAME|PATH a manifest kernel, or an image file (its ABI is then not checked); repeatable
  --append ARGS      kernel command line added for kernels given by path (`lsm=landlock,...`)
  --timeout SECS     per boot (default 120)
  --jobs N           boots at a time (default: the number of CPUs)
  --accel tcg|kvm    tcg (default), or kvm for guests of the host's architecture, redone under
                     TCG if the guest has not reached /init after 20 s
";

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Architectures to run.
    pub arches: Vec<Arch>,
    /// `--kernel` values; empty for all.
    pub kernels: Vec<String>,
    /// `--append`.
    pub append: String,
    /// Per boot.
    pub timeout: Duration,
    /// Boots at a time.
    pub jobs: usize,
    /// `--accel`.
    pub accel: Accel,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            arches: Arch::ALL.to_vec(),
            kernels: Vec::new(),
            append: String::new(),
            timeout: Duration::from_secs(DEFAULT_TIMEOUT),
            jobs: thread::available_parallelism().map_or(2, |n| n.get()),
            accel: Accel::Tcg,
        }
    }
}

/// Parses the arguments of `cargo xtask vmtest`; `None` when help was asked for.
pub fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut opts = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value =
            || inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{flag} needs a value"));
        match flag {
            "--arch" => opts.arches = kernels::parse_arch_option(&value()?)?,
            "--kernel" => opts.kernels.push(value()?),
            "--append" => opts.append = value()?,
            "--timeout" => {
                let v = value()?;
                let secs: u64 = v
                    .parse()
                    .ok()
                    .filter(|&s| s > 0)
                    .ok_or(format!("--timeout takes a number of seconds, got `{v}`"))?;
                opts.timeout = Duration::from_secs(secs);
            }
            "--jobs" | "-j" => {
                let v = value()?;
                opts.jobs = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or(format!("--jobs takes a positive number, got `{v}`"))?;
            }
            "--accel" => {
                opts.accel = match value()?.as_str() {
                    "tcg" => Accel::Tcg,
                    "kvm" => Accel::Kvm,
                    other => return Err(format!("--accel takes tcg or kvm, got `{other}`")),
                }
            }
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument `{other}`\n\n{HELP}")),
        }
    }
    Ok(Some(opts))
}

/// `cargo xtask vmtest ...`.
pub fn command(args: &[String]) -> Result<(), String> {
    match parse_args(args)? {
        Some(opts) => vmtest(&opts),
        None => {
            print!("{HELP}");
            Ok(())
        }
    }
}

/// Runs the matrix `opts` selects; an error when anything failed or is missing.
pub fn vmtest(opts: &Options) -> Result<(), String> {
    let started = Instant::now();
    let kernels = kernels::select(&opts.kernels, &opts.arches, &opts.append)?;
    let mut arches: Vec<Arch> = kernels.iter().map(|k| k.arch).collect();
    arches.sort();
    arches.dedup();
    for &arch in &arches {
        check_qemu(arch)?;
    }
    let mut images = Vec::new();
    for kernel in &kernels {
        images.push(kernel.image(Fetch::IfMissing)?);
    }
    let initramfs = build_initramfs(&arches)?;
    eprintln!(
        "xtask: booting {} kernel(s), {} at a time, {} s timeout each",
        kernels.len(),
        opts.jobs.min(kernels.len()),
        opts.timeout.as_secs()
    );
    let boots: Vec<BootJob> = kernels
        .into_iter()
        .zip(images)
        .map(|(kernel, image)| BootJob {
            initrd: initramfs[&kernel.arch].clone(),
            image: image.path,
            origin: image.origin,
            kernel,
        })
        .collect();
    let outcomes = run_parallel(&boots, opts)?;
    print!("{}", render(&outcomes));
    let failed = outcomes.iter().filter(|o| !o.problems.is_empty()).count();
    let wall = started.elapsed().as_secs_f64();
    if failed > 0 {
        return Err(format!(
            "{failed} of {} kernel(s) failed (consoles in {}); {wall:.0} s",
            outcomes.len(),
            logs_dir().display()
        ));
    }
    eprintln!("xtask: vmtest passed on {} kernel(s) in {wall:.0} s", outcomes.len());
    Ok(())
}

fn check_qemu(arch: Arch) -> Result<(), String> {
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

/// Where cargo puts what it builds: `$CARGO_TARGET_DIR` (relative to the project root, where
/// the build runs), else `target/`.
fn target_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| "target".into(), PathBuf::from);
    project_root().join(dir)
}

fn vmtest_dir() -> PathBuf {
    target_dir().join("vmtest")
}

fn logs_dir() -> PathBuf {
    vmtest_dir().join("logs")
}

/// Builds every agent for each architecture and writes one initramfs per architecture.
fn build_initramfs(arches: &[Arch]) -> Result<BTreeMap<Arch, PathBuf>, String> {
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--locked"]);
    for &arch in arches {
        cmd.args(["--target", arch.rust_target()]);
    }
    let mut packages: Vec<&str> = AGENTS.iter().map(|a| a.package).collect();
    packages.sort();
    packages.dedup();
    for package in packages {
        cmd.args(["-p", package]);
    }
    for agent in AGENTS {
        cmd.args(["--bin", agent.bin]);
    }
    run(&mut cmd)?;
    static_bin::build()?;
    let mut out = BTreeMap::new();
    for &arch in arches {
        let mut files = Vec::new();
        for agent in AGENTS {
            let path = target_dir().join(arch.rust_target()).join("release").join(agent.bin);
            let data = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.push((agent.path, data));
        }
        let sandboxer = static_bin::output(arch.name());
        let data = fs::read(&sandboxer).map_err(|e| format!("{}: {e}", sandboxer.display()))?;
        files.push((STATIC_SANDBOXER, data));
        let bytes = initramfs(&files);
        let dir = vmtest_dir().join(arch.name());
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join("initramfs.cpio");
        fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        out.insert(arch, path);
    }
    Ok(out)
}

/// The guest's root: the usual directories, `/dev/console` (without it `/init` starts with no
/// stdout), and the agents at their paths, executable.
pub fn initramfs(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut dirs: Vec<String> = ROOT_DIRS.iter().map(|d| d.to_string()).collect();
    for (path, _) in files {
        let mut parent = Path::new(path).parent();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            dirs.push(p.display().to_string());
            parent = p.parent();
        }
    }
    dirs.sort();
    dirs.dedup();
    let mut w = cpio::Writer::new();
    for dir in &dirs {
        w.dir(dir, 0o755);
    }
    w.char_device("dev/console", 0o600, 5, 1);
    for (path, data) in files {
        w.file(path, 0o755, data);
    }
    w.finish()
}

fn qemu_binary(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "qemu-system-x86_64",
        Arch::Aarch64 => "qemu-system-aarch64",
    }
}

/// Whether KVM can run guests of `arch` here at all (it may still hang: see the watchdog).
fn kvm_possible(arch: Arch) -> bool {
    let host = match std::env::consts::ARCH {
        "x86_64" => Arch::X86_64,
        "aarch64" => Arch::Aarch64,
        _ => return false,
    };
    host == arch && fs::OpenOptions::new().read(true).write(true).open("/dev/kvm").is_ok()
}

/// The QEMU command line booting `image` with `initrd` as the initramfs.
pub fn qemu_args(kernel: &Kernel, image: &Path, initrd: &Path, accel: Accel) -> Vec<String> {
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
    let args = [
        "-M",
        machine,
        "-accel",
        accel,
        "-cpu",
        cpu,
        "-m",
        "512",
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

struct BootJob {
    kernel: Kernel,
    image: PathBuf,
    origin: String,
    initrd: PathBuf,
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

fn run_parallel(jobs: &[BootJob], opts: &Options) -> Result<Vec<Outcome>, String> {
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
        match boot(job, Accel::Kvm, opts.timeout, Some(KVM_WATCHDOG))? {
            Ok(outcome) => return Ok(outcome),
            Err(why) => {
                kvm_broken.store(true, Ordering::SeqCst);
                eprintln!(
                    "xtask: {} did not reach /init under KVM ({why}): KVM does not work on this \
                     machine, using TCG from now on",
                    job.kernel.id(),
                );
            }
        }
    }
    let outcome = boot(job, Accel::Tcg, opts.timeout, None)?;
    Ok(outcome.expect("only a KVM boot is redone"))
}

/// Boots one kernel. Under KVM (with a `watchdog`), a boot that never reaches `/init` (it hangs
/// past the watchdog, or QEMU fails) is not judged: the inner error says why, and the caller
/// redoes it under TCG.
fn boot(
    job: &BootJob,
    accel: Accel,
    timeout: Duration,
    watchdog: Option<Duration>,
) -> Result<Result<Outcome, String>, String> {
    let kernel = &job.kernel;
    let bin = qemu_binary(kernel.arch);
    let args = qemu_args(kernel, &job.image, &job.initrd, accel);
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: cannot run {bin}: {e}", kernel.id()))?;
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
    let status = child.wait().map_err(|e| format!("{}: waiting for {bin}: {e}", kernel.id()))?;
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
        return Ok(Err(match (&killed, stderr.trim().lines().last()) {
            (Some(_), _) => format!("no progress in {} s", KVM_WATCHDOG.as_secs()),
            (None, Some(said)) => format!("QEMU: {said}"),
            (None, None) => format!("QEMU exited with {status}"),
        }));
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
    Ok(Ok(Outcome {
        kernel: kernel.clone(),
        origin: job.origin.clone(),
        report,
        elapsed,
        accel,
        problems,
        tail,
    }))
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' })
        .collect()
}

/// The per-kernel table, the kernel-by-case table, and the problems of each failed kernel.
pub fn render(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let expect = |o: &Outcome| o.kernel.expect.map_or("(unchecked)".to_owned(), short_expect);
    let reported = |o: &Outcome| {
        o.report.summary.as_ref().map_or("-".to_owned(), |s| match s.abi {
            Some(abi) if s.support == "available" => format!("abi {abi}"),
            Some(abi) => format!("{} abi {abi}", s.support),
            None => s.support.clone(),
        })
    };
    let _ = writeln!(
        out,
        "\n{:>2}  {:<8} {:<21} {:<25} {:<12} {:<12} {:>4} {:>4} {:>4} {:>7}  result",
        "#", "arch", "kernel", "release", "expected", "reported", "pass", "fail", "skip", "time"
    );
    for (i, o) in outcomes.iter().enumerate() {
        let count = |word| o.report.cases.iter().filter(|(_, r)| r.word() == word).count();
        let accel = if o.accel == Accel::Kvm { " kvm" } else { "" };
        let _ = writeln!(
            out,
            "{:>2}  {:<8} {:<21} {:<25} {:<12} {:<12} {:>4} {:>4} {:>4} {:>6.1}s  {}{accel}",
            i + 1,
            o.kernel.arch.name(),
            o.kernel.name,
            o.report.release.as_deref().unwrap_or("-"),
            expect(o),
            reported(o),
            count("pass"),
            count("fail"),
            count("skip"),
            o.elapsed.as_secs_f64(),
            if o.problems.is_empty() { "ok" } else { "FAIL" },
        );
    }
    let mut names: Vec<&str> = Vec::new();
    for o in outcomes {
        for (name, _) in &o.report.cases {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    if names.is_empty() {
        let _ = writeln!(out, "\n(no case lines: the suite has no cases yet)");
    } else {
        let width = names.iter().map(|n| n.len()).max().unwrap_or(4).max(4);
        let _ = write!(out, "\n{:<width$}", "case");
        for i in 0..outcomes.len() {
            let _ = write!(out, " {:>4}", i + 1);
        }
        out.push('\n');
        for name in names {
            let _ = write!(out, "{name:<width$}");
            for o in outcomes {
                let cell = match o.report.cases.iter().find(|(n, _)| n == name) {
                    Some((_, CaseResult::Pass)) => "pass",
                    Some((_, CaseResult::Fail(_))) => "FAIL",
                    Some((_, CaseResult::Skip(_))) => "skip",
                    None => "-",
                };
                let _ = write!(out, " {cell:>4}");
            }
            out.push('\n');
        }
    }
    for (i, o) in outcomes.iter().enumerate().filter(|(_, o)| !o.problems.is_empty()) {
        let _ = writeln!(out, "\n{} {} ({}):", i + 1, o.kernel.id(), o.origin);
        for p in &o.problems {
            let _ = writeln!(out, "  - {p}");
        }
        if o.report.summary.is_none() {
            let _ = writeln!(out, "  last console lines:");
            for line in &o.tail {
                let _ = writeln!(out, "    | {line}");
            }
        }
    }
    out
}

fn short_expect(e: kernels::Expect) -> String {
    match e {
        kernels::Expect::Abi(n) => format!("abi {n}"),
        other => other.support().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{Expect, Source};

    fn kernel(name: &str, arch: Arch, expect: Option<Expect>, cmdline: &str) -> Kernel {
        Kernel {
            name: name.into(),
            arch,
            expect,
            source: Source::Path(PathBuf::from("/k")),
            cmdline: cmdline.into(),
        }
    }

    #[test]
    fn options() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let o =
            parse_args(&args("--arch aarch64 --kernel debian-6.1 --kernel=/a/b --timeout 30 -j 1"))
                .unwrap()
                .unwrap();
        assert_eq!(o.arches, [Arch::Aarch64]);
        assert_eq!(o.kernels, ["debian-6.1", "/a/b"]);
        assert_eq!((o.timeout, o.jobs, o.accel), (Duration::from_secs(30), 1, Accel::Tcg));
        assert_eq!(parse_args(&args("--accel kvm")).unwrap().unwrap().accel, Accel::Kvm);
        assert!(parse_args(&args("--help")).unwrap().is_none());
        assert!(parse_args(&args("--timeout 0")).unwrap_err().contains("--timeout"));
        assert!(parse_args(&args("--arch sparc")).unwrap_err().contains("sparc"));
        assert!(parse_args(&args("--kernel")).unwrap_err().contains("--kernel needs a value"));
        assert!(parse_args(&args("--frobnicate")).unwrap_err().contains("--frobnicate"));
    }

    #[test]
    fn qemu_command_lines() {
        let (img, rd) = (Path::new("/img"), Path::new("/rd.cpio"));
        let k = kernel("k", Arch::X86_64, None, "lsm=yama");
        let a = qemu_args(&k, img, rd, Accel::Tcg).join(" ");
        assert_eq!(
            a,
            "-M q35 -accel tcg -cpu max -m 512 -nodefaults -no-user-config -nographic -serial \
             stdio -no-reboot -kernel /img -initrd /rd.cpio -append console=ttyS0 panic=-1 lsm=yama"
        );
        let k = kernel("k", Arch::Aarch64, None, "");
        let a = qemu_args(&k, img, rd, Accel::Kvm).join(" ");
        assert!(a.starts_with("-M virt -accel kvm -cpu host "), "{a}");
        assert!(a.ends_with("-append console=ttyAMA0 panic=-1"), "{a}");
    }

    #[test]
    fn initramfs_holds_console_init_and_dirs() {
        let bytes = initramfs(&[("init", b"x".to_vec()), ("bin/tool/sub", b"y".to_vec())]);
        let text = String::from_utf8_lossy(&bytes);
        for name in [
            "dev\0",
            "proc\0",
            "sys\0",
            "tmp\0",
            "bin\0",
            "bin/tool\0",
            "dev/console\0",
            "init\0",
            "bin/tool/sub\0",
            "TRAILER!!!\0",
        ] {
            assert!(text.contains(name), "{name:?} missing");
        }
        // Directories come before what they hold.
        assert!(text.find("bin/tool\0").unwrap() < text.find("bin/tool/sub\0").unwrap());
        assert!(text.find("dev\0").unwrap() < text.find("dev/console\0").unwrap());
        assert!(AGENTS.iter().any(|a| a.path == "init"), "the suite is /init");
    }

    #[test]
    fn tables() {
        let outcome = |name: &str, expect, lines: &[&str], ending| {
            let report = Report::parse(lines.iter().copied());
            let k = kernel(name, Arch::X86_64, expect, "");
            let problems = problems(&report, &ending, expect);
            Outcome {
                kernel: k,
                origin: "pkg 1".into(),
                report,
                elapsed: Duration::from_millis(3200),
                accel: Accel::Tcg,
                problems,
                tail: lines.iter().map(|s| s.to_string()).collect(),
            }
        };
        let ok = outcome(
            "debian-6.12",
            Some(Expect::Abi(6)),
            &[
                "landlocked-init: kernel 6.12.57+deb13-amd64 landlock available",
                "landlocked-case fs.read pass",
                "landlocked-case net.bind skip no network rules before ABI 4",
                "landlocked-summary support=available abi=6 pass=1 fail=0 skip=1",
            ],
            Ending::Exited(Some(0)),
        );
        let bad = outcome(
            "debian-7.3",
            Some(Expect::Abi(11)),
            &["[ 9.0] Booting", "landlocked-case fs.read fail EACCES expected"],
            Ending::TimedOut(120),
        );
        let table = render(&[ok, bad]);
        assert!(table.contains(" 1  x86_64   debian-6.12           6.12.57+deb13-amd64       abi 6        abi 6           1    0    1    3.2s  ok\n"), "{table}");
        assert!(table.contains(" 2  x86_64   debian-7.3            -                         abi 11       -               0    1    0    3.2s  FAIL\n"), "{table}");
        assert!(
            table.contains("\ncase        1    2\nfs.read  pass FAIL\nnet.bind skip    -\n"),
            "{table}"
        );
        assert!(table.contains("  - timed out after 120 s\n"), "{table}");
        assert!(table.contains("    | [ 9.0] Booting\n"), "{table}");
        let empty = render(&[outcome(
            "debian-5.10",
            Some(Expect::NotBuilt),
            &["landlocked-summary support=not-built abi=none pass=0 fail=0 skip=0"],
            Ending::Exited(Some(0)),
        )]);
        assert!(empty.contains("not-built    not-built"), "{empty}");
        assert!(empty.contains("no case lines"), "{empty}");
    }
}
