//! `cargo xtask vmtest`: the conformance suite on real kernels, through `landlocked-vm`. Builds
//! the static guest programs, boots each kernel of the manifest with the suite as the program
//! `landlocked-vm` runs (a few at a time, KVM tried first where asked), reads the protocol lines
//! off the suite's output and checks them against what the manifest says the kernel must report.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

mod guest;
mod render;

use crate::kernels::{self, Arch, Kernel};
use crate::protocol::{Ending, Report, problems};
use crate::run::project_root;

pub use landlocked_vm::qemu::Accel;
use landlocked_vm::qemu::check_qemu;
use landlocked_vm::run::{Booted, RunOptions, boot_each};
use render::render;

/// How long a boot may take, in seconds, unless `--timeout` says otherwise.
const DEFAULT_TIMEOUT: u64 = 120;

const HELP: &str = "\
usage: cargo xtask vmtest [--arch x86_64|aarch64|all] [--kernel NAME|PATH]... [options]

Runs the conformance suite on each kernel under QEMU through landlocked-vm and checks every
case and the Landlock support the kernel reports against the manifest (`cargo xtask kernels
list`). Without
--kernel, every kernel of the selected architectures (default: all) runs. Missing images are
fetched into the cache.

options:
  --arch ARCH        x86_64, aarch64 or all (default)
  --kernel NAME|PATH a manifest kernel, or an image file (its ABI is then not checked); repeatable
  --append ARGS      kernel command line added for every kernel booted (`lsm=landlock,...`)
  --timeout SECS     per boot (default 120)
  --jobs N           boots at a time (default: the number of CPUs)
  --accel tcg|kvm    tcg (default), or kvm for guests of the host's architecture, redone under
                     TCG if the guest has not reached /init after 20 s
  --cases PREFIX     only the cases whose names start with PREFIX
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
    /// `--cases`.
    pub filter: Option<String>,
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
            filter: None,
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
            "--cases" => opts.filter = Some(value()?),
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

/// One finished boot.
#[derive(Debug)]
pub struct Outcome {
    /// The kernel booted.
    pub kernel: Kernel,
    /// The package or file its image came from.
    pub origin: String,
    /// What the suite said.
    pub report: Report,
    /// Wall time of the boot.
    pub elapsed: Duration,
    /// `tcg` or `kvm`.
    pub accel: Accel,
    /// Everything wrong; empty when it passed.
    pub problems: Vec<String>,
    /// The last lines of the console and the suite's output, shown when it failed.
    pub tail: Vec<String>,
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
    guest::build(&arches)?;
    let options: Vec<(Arch, RunOptions)> =
        arches.iter().map(|&arch| (arch, guest::options(arch, opts))).collect();
    let options_for = |arch| &options.iter().find(|(a, _)| *a == arch).expect("built").1;
    fs::create_dir_all(logs_dir()).map_err(|e| format!("{}: {e}", logs_dir().display()))?;
    eprintln!(
        "xtask: booting {} kernel(s), {} at a time, {} s timeout each",
        kernels.len(),
        opts.jobs.min(kernels.len()),
        opts.timeout.as_secs()
    );
    let outcomes = boot_each(&kernels, opts.jobs, options_for, |kernel, image, booted| {
        let outcome = judge(kernel, &image.origin, &booted);
        let verdict = if outcome.problems.is_empty() { "ok" } else { "FAILED" };
        let landlock = outcome.report.summary.as_ref().map(|s| s.landlock());
        eprintln!(
            "xtask: {} {verdict} ({}) in {:.1} s",
            kernel.id(),
            landlock.as_deref().unwrap_or("no summary"),
            outcome.elapsed.as_secs_f64()
        );
        outcome
    })?;
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

/// The verdict on one boot, its console kept in the logs.
fn judge(kernel: &Kernel, origin: &str, booted: &Booted) -> Outcome {
    let stdout = String::from_utf8_lossy(&booted.stdout);
    let stderr = String::from_utf8_lossy(&booted.stderr);
    let mut report = Report::default();
    for line in stdout.lines() {
        report.line(line);
    }
    let ending = match &booted.status {
        Ok(code) => Ending::Exited(*code),
        Err(why) => Ending::Guest(why.clone()),
    };
    let mut problems = problems(&report, &ending, kernel.expect);
    let log = logs_dir().join(format!("{}-{}.log", kernel.arch, sanitize(&kernel.name)));
    if !problems.is_empty() {
        if let Some(said) = booted.qemu_stderr.trim().lines().last() {
            problems.push(format!("QEMU said: {said}"));
        }
        problems.push(format!("console: {}", log.display()));
    }
    let mut text =
        format!("$ {} {}\n", landlocked_vm::qemu::qemu_binary(kernel.arch), booted.qemu.join(" "));
    let mut tail = Vec::new();
    for (title, lines) in [
        ("the console", booted.console.join("\n")),
        ("the suite's stdout", stdout.into_owned()),
        ("the suite's stderr", stderr.into_owned()),
        ("QEMU's stderr", booted.qemu_stderr.clone()),
    ] {
        if !lines.trim().is_empty() {
            let _ = writeln!(text, "--- {title} ---\n{}", lines.trim_end());
            tail.extend(lines.lines().map(str::to_string));
        }
    }
    let _ = fs::write(&log, text);
    Outcome {
        kernel: kernel.clone(),
        origin: origin.to_string(),
        report,
        elapsed: booted.elapsed,
        accel: booted.accel,
        problems,
        tail: tail[tail.len().saturating_sub(15)..].to_vec(),
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' })
        .collect()
}

/// Where cargo puts what it builds: `$CARGO_TARGET_DIR` (relative to the project root, where
/// the build runs), else `target/`.
pub(super) fn target_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| "target".into(), PathBuf::from);
    project_root().join(dir)
}

pub(super) fn vmtest_dir() -> PathBuf {
    target_dir().join("vmtest")
}

pub(super) fn logs_dir() -> PathBuf {
    vmtest_dir().join("logs")
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
    fn the_suite_runs_with_its_programs_at_their_paths() {
        let opts = Options { filter: Some("fs.".into()), ..Options::default() };
        let o = guest::options(Arch::Aarch64, &opts);
        let release = target_dir().join("aarch64-unknown-linux-musl/release");
        assert_eq!(o.init, Some(release.join("landlocked-vm")));
        assert_eq!(
            o.command,
            [
                release.join("landlocked-conformance").into_os_string(),
                "--guest".into(),
                "fs.".into()
            ]
        );
        let at: Vec<_> = o.with.iter().map(|w| w.guest.display().to_string()).collect();
        assert_eq!(at, ["/bin/landlocked", "/bin/landlocked-sandboxer"]);
        assert_eq!((o.arch, o.timeout), (Some(Arch::Aarch64), opts.timeout));
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
                "landlocked-conformance: kernel 6.12.57+deb13-amd64 landlock available",
                "landlocked-case fs.read pass",
                "landlocked-case net.bind skip no network rules before ABI 4",
                "landlocked-summary support=available abi=6 pass=1 fail=0 skip=1",
            ],
            Ending::Exited(0),
        );
        let bad = outcome(
            "debian-7.3",
            Some(Expect::Abi(11)),
            &["[ 9.0] Booting", "landlocked-case fs.read fail EACCES expected"],
            Ending::Guest("timed out after 120 s (--timeout)".into()),
        );
        let table = render(&[ok, bad]);
        assert!(table.contains(" 1  x86_64   debian-6.12           6.12.57+deb13-amd64       abi 6        abi 6           1    0    1    3.2s  ok\n"), "{table}");
        assert!(table.contains(" 2  x86_64   debian-7.3            -                         abi 11       -               0    1    0    3.2s  FAIL\n"), "{table}");
        assert!(
            table.contains("\ncase        1    2\nfs.read  pass FAIL\nnet.bind skip    -\n"),
            "{table}"
        );
        assert!(table.contains("  - timed out after 120 s (--timeout)\n"), "{table}");
        assert!(table.contains("    | [ 9.0] Booting\n"), "{table}");
        let empty = render(&[outcome(
            "debian-5.10",
            Some(Expect::NotBuilt),
            &["landlocked-summary support=not-built abi=none pass=0 fail=0 skip=0"],
            Ending::Exited(0),
        )]);
        assert!(empty.contains("not-built    not-built"), "{empty}");
        assert!(empty.contains("no case lines"), "{empty}");
    }
}
