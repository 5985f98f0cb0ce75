//! `cargo xtask vmtest`: the conformance suite on real kernels. Builds the static guest
//! binaries, packs them into an initramfs, boots each kernel of the manifest under QEMU with
//! `landlocked-init` as `/init`, reads the protocol lines off the serial console and checks them
//! against what the manifest says the kernel must report.

use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

mod initramfs;
mod qemu;
mod render;
mod schedule;

use crate::kernels::{self, Arch, Fetch};
use crate::run::project_root;

pub use qemu::{Accel, Outcome};
use qemu::{BootJob, check_qemu};
use render::render;

/// How long a boot may take, in seconds, unless `--timeout` says otherwise.
const DEFAULT_TIMEOUT: u64 = 120;

const HELP: &str = "\
usage: cargo xtask vmtest [--arch x86_64|aarch64|all] [--kernel NAME|PATH]... [options]

Boots each kernel under QEMU with the conformance suite as /init and checks every case and the
Landlock support the kernel reports against the manifest (`cargo xtask kernels list`). Without
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
    let initramfs = initramfs::build_initramfs(&arches)?;
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
    let outcomes = schedule::run_parallel(&boots, opts)?;
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
    use std::path::Path;

    use super::initramfs::{AGENTS, initramfs};
    use super::*;
    use crate::kernels::Kernel;
    use crate::kernels::{Expect, Source};
    use crate::protocol::{Ending, Report, problems};
    use landlocked_vm::qemu::qemu_args;

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
        let a = qemu_args(&k, img, rd, Accel::Tcg, 512).join(" ");
        assert_eq!(
            a,
            "-M q35 -accel tcg -cpu max -m 512 -nodefaults -no-user-config -nographic -serial \
             stdio -no-reboot -kernel /img -initrd /rd.cpio -append console=ttyS0 panic=-1 lsm=yama"
        );
        let k = kernel("k", Arch::Aarch64, None, "");
        let a = qemu_args(&k, img, rd, Accel::Kvm, 512).join(" ");
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
