//! `landlocked learn`, `run --explain` and `landlocked denials` on this kernel: a policy learned
//! from the probe lets it do the same again and nothing else; a denied access is explained with
//! the option that allows it; and on ABI 7 and later, booted with `audit=1`, a denial under
//! `--log-new-exec` reaches the kernel log as a record `landlocked denials` reads, and none
//! without it.

use std::path::Path;
use std::process::{Command, Stdio};

use landlocked_core::{Abi, Kernel};

use super::cli::{Cli, Run, answer, case, refused};
use super::sandboxer::scenarios::PROBE_ARG;
use crate::Case;
use crate::scratch::Scratch;

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 scratch path")
}

/// `landlocked ARGS -- PROBE ACTION ARG`.
fn landlocked(cli: &Cli, args: &[&str], action: &str, arg: &str) -> Run {
    let mut cmd = Command::new(&cli.landlocked);
    cmd.args(args).arg("--").arg(&cli.probe).args([PROBE_ARG, action, arg]);
    cli.output(cmd)
}

/// Learns the probe reading a file, then runs it under the policy: the same read passes, the
/// file beside it is denied. The tracer needs no Landlock; the policy does.
fn learn(kernel: &Kernel, cli: &Cli, sc: &Scratch) -> Result<(), String> {
    let policy = sc.path("c/policy.toml");
    let file = sc.path("a/f");
    let learned = landlocked(cli, &["learn", "--output", s(&policy)], "read", s(&file));
    answer(&learned, "ok", "the probe traced by learn")?;
    let text = std::fs::read_to_string(&policy).map_err(|e| format!("no policy written: {e}"))?;
    if !text.contains(&format!("parent = [\"{}\"]", s(&file))) || !text.contains("# read_file") {
        return Err(format!("no commented rule for the file read:\n{text}"));
    }
    let again = landlocked(cli, &["run", "--policy", s(&policy)], "read", s(&file));
    let beside = landlocked(cli, &["run", "--policy", s(&policy)], "read", s(&sc.path("b/f")));
    if kernel.support.abi().is_none() {
        return refused(&again);
    }
    answer(&again, "ok", "the same read under the learned policy")
        .map_err(|e| format!("{e}\n{text}"))?;
    answer(&beside, "EACCES", "a read not learned")
}

/// The probe denied a read under `--explain`: the denial is listed with `--ro FILE`, the exit
/// status is the probe's.
fn explain(kernel: &Kernel, cli: &Cli, sc: &Scratch) -> Result<(), String> {
    let file = sc.path("b/f");
    let mut args = vec!["run", "--explain"];
    for need in &cli.needs {
        args.extend(["--rox", s(need)]);
    }
    let run = landlocked(cli, &args, "read", s(&file));
    if kernel.support.abi().is_none() {
        return refused(&run);
    }
    answer(&run, "EACCES", "a read outside every rule")?;
    let want = format!("1x read_file {} (", s(&file));
    let line = run.stderr.lines().find(|l| l.contains(&want));
    if !line.is_some_and(|l| l.ends_with(&format!("--ro {}", s(&file)))) {
        return Err(format!("the denial not explained as {want:?} ... --ro: {run:?}"));
    }
    Ok(())
}

/// Everything the kernel log holds now, read from `/dev/kmsg` without waiting.
fn kernel_log() -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut kmsg = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open("/dev/kmsg")
        .map_err(|e| format!("/dev/kmsg: {e}"))?;
    let mut log = String::new();
    let mut record = vec![0; 8192];
    loop {
        match kmsg.read(&mut record) {
            Ok(0) => break,
            Ok(n) => log.push_str(&String::from_utf8_lossy(&record[..n])),
            // EPIPE: records overwritten while reading; the next read goes on.
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(format!("/dev/kmsg: {e}")),
        }
    }
    Ok(log)
}

/// `landlocked denials` on `log`: its summary.
fn denials(cli: &Cli, log: &str) -> Result<String, String> {
    use std::io::Write;
    let mut child = Command::new(&cli.landlocked)
        .arg("denials")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run landlocked denials: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let written = stdin.write_all(log.as_bytes());
    drop(stdin);
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    written.map_err(|e| format!("landlocked denials: {e}"))?;
    if !out.status.success() {
        return Err(format!("landlocked denials: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether the summary has a line `Nx RIGHT OBJECT`.
fn blocked(summary: &str, right: &str, object: &str) -> bool {
    let want = format!("{right} {object}");
    summary.lines().any(|line| {
        line.trim()
            .split_once("x ")
            .is_some_and(|(n, rest)| n.bytes().all(|b| b.is_ascii_digit()) && rest == want)
    })
}

/// Audit records in the kernel log: booted with `audit=1` and no audit daemon, the kernel
/// prints them; `--log-new-exec` logs the probe's denial, the default does not.
fn audit(kernel: &Kernel, cli: &Cli, sc: &Scratch) -> Result<(), crate::Outcome> {
    use crate::Outcome::{Fail, Skip};
    let Some(abi) = kernel.support.abi() else { return Err(Skip("no Landlock".into())) };
    if abi < Abi::V7 {
        return Err(Skip(format!("ABI {abi} has no audit records (ABI 7)")));
    }
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    if !cmdline.split_whitespace().any(|w| w == "audit=1") {
        return Err(Skip("booted without audit=1".into()));
    }
    // The kernel prints audit records through printk's rate limit: 10 in 5 s by default, which
    // the denials of earlier cases use up. An interval of 0 lifts it.
    std::fs::write("/proc/sys/kernel/printk_ratelimit", "0")
        .map_err(|e| Fail(format!("/proc/sys/kernel/printk_ratelimit: {e}")))?;
    let (logged, unlogged) = (sc.path("b/f"), sc.path("b/d"));
    let mut args = vec!["run".to_string(), "--quiet".into()];
    for need in &cli.needs {
        args.extend(["--rox".into(), s(need).into()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let with: Vec<&str> = args.iter().copied().chain(["--log-new-exec"]).collect();
    let run = landlocked(cli, &with, "read", s(&logged));
    answer(&run, "EACCES", "a read outside every rule, logged").map_err(Fail)?;
    let run = landlocked(cli, &args, "list", s(&unlogged));
    answer(&run, "EACCES", "a listing outside every rule, not logged").map_err(Fail)?;
    // kauditd prints from its own thread: give it a moment.
    let mut doc = String::new();
    for _ in 0..50 {
        let log = kernel_log().map_err(Fail)?;
        doc = denials(cli, &log).map_err(Fail)?;
        if blocked(&doc, "fs.read_file", s(&logged)) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    if !blocked(&doc, "fs.read_file", s(&logged)) {
        return Err(Fail(format!("no fs.read_file record for {} in:\n{doc}", s(&logged))));
    }
    if blocked(&doc, "fs.read_dir", s(&unlogged)) {
        return Err(Fail(format!("a denial logged without --log-new-exec:\n{doc}")));
    }
    Ok(())
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::new("trace.learn", case(learn)),
        Case::new("trace.explain", case(explain)),
        Case::new("trace.audit_records", move |kernel| {
            let cli = match Cli::new() {
                Ok(c) => c,
                Err(outcome) => return outcome,
            };
            let scratch = Scratch::new("audit");
            match audit(kernel, &cli, &scratch) {
                Ok(()) => crate::Outcome::Pass,
                Err(outcome) => outcome,
            }
        }),
    ]
}
