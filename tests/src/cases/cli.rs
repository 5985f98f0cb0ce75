//! The `landlocked` command on this kernel: what each option allows and denies, what it says
//! where the kernel falls short, and its refusal without Landlock (`--best-effort` runs and says
//! so). The command runs the probe, which performs one operation inside the sandbox.

use std::path::{Path, PathBuf};
use std::process::Command;

use landlocked_core::{Abi, Kernel};

use super::sandboxer::scenarios::PROBE_ARG;
use crate::scratch::Scratch;
use crate::{Case, Outcome, tools};

/// What one run of `landlocked` gave.
#[derive(Debug)]
pub(super) struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// A run of the command line for one case.
pub(super) struct Cli {
    pub landlocked: PathBuf,
    pub probe: PathBuf,
    pub needs: Vec<PathBuf>,
}

impl Cli {
    pub(super) fn new() -> Result<Cli, Outcome> {
        let tools = tools::get().ok_or_else(|| Outcome::Skip("no tools configured".into()))?;
        let landlocked = tools.program("landlocked")?;
        Ok(Cli { landlocked, probe: tools.probe.clone(), needs: tools.probe_needs.clone() })
    }

    /// `landlocked run OPTIONS -- PROBE ACTION ARG`, the probe's needs granted read-execute.
    pub fn probe(&self, options: &[&str], action: &str, arg: &str) -> Run {
        let mut cmd = Command::new(&self.landlocked);
        cmd.arg("run");
        for need in &self.needs {
            cmd.arg("--rox").arg(need);
        }
        cmd.args(options).arg("--").arg(&self.probe).args([PROBE_ARG, action, arg]);
        self.output(cmd)
    }

    /// `landlocked run OPTIONS -- PROBE ACTION ARG` with no rule for the probe: for sandboxes
    /// that leave the filesystem alone.
    pub fn probe_fs_open(&self, options: &[&str], action: &str, arg: &str) -> Run {
        let mut cmd = Command::new(&self.landlocked);
        cmd.arg("run").args(options).arg("--").arg(&self.probe).args([PROBE_ARG, action, arg]);
        self.output(cmd)
    }

    /// Runs `cmd` without the sample's variables unless the case sets them itself.
    pub fn output(&self, mut cmd: Command) -> Run {
        if !cmd.get_envs().any(|(k, _)| k == "LL_FS_RO") {
            cmd.env_remove("LL_FS_RO").env_remove("LL_FS_RW");
        }
        match cmd.output() {
            Ok(o) => Run {
                code: o.status.code(),
                stdout: String::from_utf8_lossy(&o.stdout).trim().to_owned(),
                stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            },
            Err(e) => Run { code: None, stdout: String::new(), stderr: format!("cannot run: {e}") },
        }
    }
}

/// Checks one probe answer, given whether Landlock (from `since`) can deny it here.
pub(super) fn answer(run: &Run, want: &str, what: &str) -> Result<(), String> {
    if run.code == Some(0) && run.stdout == want {
        Ok(())
    } else {
        Err(format!("{what}: want {want:?}, got {run:?}"))
    }
}

fn denied_or_ok(kernel: &Kernel, since: Abi) -> &'static str {
    match kernel.support.abi() {
        Some(abi) if abi >= since => "EACCES",
        _ => "ok",
    }
}

/// Without Landlock the command refuses, exit 125, one line naming the problem.
pub(super) fn refused(run: &Run) -> Result<(), String> {
    let lines: Vec<&str> = run.stderr.lines().collect();
    let ok = run.code == Some(125)
        && lines.len() == 1
        && lines[0].starts_with("landlocked:")
        && lines[0].contains("Landlock");
    if ok { Ok(()) } else { Err(format!("expected a one-line refusal with 125, got {run:?}")) }
}

pub(super) fn case(
    f: impl Fn(&Kernel, &Cli, &Scratch) -> Result<(), String> + 'static,
) -> impl Fn(&Kernel) -> Outcome {
    move |kernel| {
        let cli = match Cli::new() {
            Ok(c) => c,
            Err(outcome) => return outcome,
        };
        let scratch = Scratch::new("cli");
        match f(kernel, &cli, &scratch) {
            Ok(()) => Outcome::Pass,
            Err(why) => Outcome::Fail(why),
        }
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 scratch path")
}

fn read_only(kernel: &Kernel, cli: &Cli, sc: &Scratch) -> Result<(), String> {
    let a = sc.path("a");
    let inside = cli.probe(&["--ro", s(&a)], "read", s(&sc.path("a/f")));
    let outside = cli.probe(&["--ro", s(&a)], "read", s(&sc.path("b/f")));
    let write = cli.probe(&["--ro", s(&a)], "write", s(&sc.path("a/f")));
    if kernel.support.abi().is_none() {
        return refused(&inside);
    }
    answer(&inside, "ok", "reading beneath --ro")?;
    answer(&outside, "EACCES", "reading outside every rule")?;
    answer(&write, "EACCES", "writing beneath --ro")
}

fn read_write(kernel: &Kernel, cli: &Cli, sc: &Scratch) -> Result<(), String> {
    let a = sc.path("a");
    let inside = cli.probe(&["--rw", s(&a)], "write", s(&sc.path("a/new")));
    let outside = cli.probe(&["--rw", s(&a)], "write", s(&sc.path("b/new")));
    if kernel.support.abi().is_none() {
        return refused(&inside);
    }
    answer(&inside, "ok", "writing beneath --rw")?;
    answer(&outside, "EACCES", "writing outside every rule")?;
    // What this kernel cannot enforce of the defaults is one warning line, or nothing.
    let lines: Vec<&str> = inside.stderr.lines().collect();
    if lines.len() > 1 || lines.iter().any(|l| !l.starts_with("landlocked: warning: ")) {
        return Err(format!("more than one warning line: {inside:?}"));
    }
    let quiet = cli.probe(&["--quiet", "--rw", s(&a)], "write", s(&sc.path("a/new2")));
    answer(&quiet, "ok", "writing beneath --rw, quietly")?;
    if !quiet.stderr.is_empty() {
        return Err(format!("--quiet printed something: {quiet:?}"));
    }
    Ok(())
}

/// The network is denied by default where the kernel can restrict it, and the report says where
/// it cannot; `--unrestricted-network` lifts it.
fn default_network(kernel: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let port = free_port()?.to_string();
    let run = cli.probe(&[], "bind-tcp", &port);
    let Some(abi) = kernel.support.abi() else { return refused(&run) };
    // Where Landlock cannot restrict a protocol, seccomp denies its sockets, if it can.
    let seccomp = landlocked_core::seccomp::available().is_ok();
    let denied = |since| if seccomp { "EACCES" } else { denied_or_ok(kernel, since) };
    answer(&run, denied(Abi::V4), "binding TCP by default")?;
    if abi < Abi::V4 && !seccomp && !run.stderr.contains("net: bind_tcp, connect_tcp, bind_udp") {
        return Err(format!("the network cannot be restricted, yet not said: {run:?}"));
    }
    let udp = cli.probe(&[], "bind-udp", &free_port()?.to_string());
    answer(&udp, denied(Abi::V10), "binding UDP by default")?;
    let open = cli.probe(&["--unrestricted-network"], "bind-tcp", &port);
    answer(&open, "ok", "binding TCP with --unrestricted-network")?;
    if open.stderr.contains("bind_tcp") {
        return Err(format!("an unrestricted network reported missing: {open:?}"));
    }
    Ok(())
}

/// Signals outside the sandbox are denied by default from ABI 6; `--unrestricted-scoped` lifts
/// it. A sandbox of scopes alone is refused where the kernel has none, unless best effort.
fn default_scopes(kernel: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let parent = std::process::id().to_string();
    let run = cli.probe(&[], "signal", &parent);
    let Some(abi) = kernel.support.abi() else { return refused(&run) };
    let want = if abi >= Abi::V6 { "EPERM" } else { "ok" };
    answer(&run, want, "signalling outside the sandbox by default")?;
    answer(&cli.probe(&["--unrestricted-scoped"], "signal", &parent), "ok", "signalling, lifted")?;
    let scopes_only = ["--unrestricted-filesystem", "--unrestricted-network"];
    let mut cmd = Command::new(&cli.landlocked);
    cmd.arg("run").args(scopes_only).arg("--").arg(&cli.probe).args([PROBE_ARG, "exit", "0"]);
    let run = cli.output(cmd);
    if abi >= Abi::V6 {
        return answer(&run, "", "a scopes-only sandbox");
    }
    let refused_here = run.code == Some(125)
        && run
            .stderr
            .contains("can enforce none of the sandbox (scope: abstract_unix_socket, signal)")
        && run.stderr.contains("--best-effort");
    if !refused_here {
        return Err(format!("a scopes-only sandbox on ABI {abi} must be refused: {run:?}"));
    }
    let mut cmd = Command::new(&cli.landlocked);
    cmd.args(["run", "--best-effort"]).args(scopes_only).arg("--").arg(&cli.probe);
    cmd.args([PROBE_ARG, "exit", "0"]);
    let run = cli.output(cmd);
    if run.code != Some(0) || !run.stderr.contains("running unsandboxed") {
        return Err(format!("--best-effort must run it and say so: {run:?}"));
    }
    Ok(())
}

/// Unfixed errata that widen rights are said, with what they mean.
fn errata(kernel: &Kernel, cli: &Cli, sc: &Scratch) -> Result<(), String> {
    let run = cli.probe(&["--ro", s(&sc.path("a"))], "read", s(&sc.path("a/f")));
    if kernel.support.abi().is_none() {
        return refused(&run);
    }
    answer(&run, "ok", "reading beneath --ro")?;
    let unfixed = !kernel.errata.contains(landlocked_core::Errata::DISCONNECTED_DIRECTORY);
    let said = run.stderr.contains("unfixed erratum 3 (disconnected_directory): renaming");
    if said != unfixed {
        return Err(format!("erratum 3 unfixed: {unfixed}, said: {said}: {run:?}"));
    }
    Ok(())
}

/// `--best-effort` runs even without Landlock, and says so.
fn best_effort(kernel: &Kernel, cli: &Cli, sc: &Scratch) -> Result<(), String> {
    let run = cli.probe(&["--best-effort", "--ro", s(&sc.path("a"))], "read", s(&sc.path("b/f")));
    if kernel.support.abi().is_some() {
        return answer(&run, "EACCES", "reading outside with --best-effort");
    }
    answer(&run, "ok", "reading without Landlock")?;
    // Said either way: with seccomp only the network is sandboxed, without it nothing.
    let said = if landlocked_core::seccomp::available().is_ok() {
        run.stderr.contains("not enforced: fs: ") && run.stderr.contains("; seccomp: ")
    } else {
        run.stderr.contains("running unsandboxed")
    };
    if !said {
        return Err(format!("--best-effort without Landlock must say so: {run:?}"));
    }
    Ok(())
}

fn bind_tcp(kernel: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let (allowed, other) = (free_port()?, free_port()?);
    let opts = ["--bind-tcp", &allowed.to_string()];
    let yes = cli.probe(&opts, "bind-tcp", &allowed.to_string());
    let no = cli.probe(&opts, "bind-tcp", &other.to_string());
    match kernel.support.abi() {
        None => refused(&yes),
        Some(abi) => {
            answer(&yes, "ok", "binding the --bind-tcp port")?;
            answer(&no, denied_or_ok(kernel, Abi::V4), "binding another port")?;
            // Before ABI 4 the gap is said on stderr.
            if abi < Abi::V4 && !no.stderr.contains("bind_tcp") {
                return Err(format!("TCP not enforceable, yet not said: {no:?}"));
            }
            Ok(())
        }
    }
}

/// `--strict` with UDP: refused before ABI 10, naming the right, before the command runs.
fn strict_udp(kernel: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let run = cli.probe(&["--strict", "--bind-udp", "53"], "exit", "0");
    match kernel.support.abi() {
        None => refused(&run),
        Some(abi) if abi < Abi::V10 => {
            if run.code == Some(125) && run.stderr.contains("bind_udp") && run.stdout.is_empty() {
                Ok(())
            } else {
                Err(format!("--strict --bind-udp on ABI {abi}: {run:?}"))
            }
        }
        Some(_) => match run.code {
            Some(0) => Ok(()),
            _ => Err(format!("--strict --bind-udp on ABI 10+: {run:?}")),
        },
    }
}

/// The kernel sample's variables, when no rule option is given.
fn sample_variables(kernel: &Kernel, cli: &Cli, sc: &Scratch) -> Result<(), String> {
    let mut ro: Vec<&str> = cli.needs.iter().map(|p| s(p)).collect();
    let a = sc.path("a");
    ro.push(s(&a));
    let mut cmd = Command::new(&cli.landlocked);
    cmd.arg("run").arg("--").arg(&cli.probe).args([PROBE_ARG, "read", s(&sc.path("b/f"))]);
    cmd.env("LL_FS_RO", ro.join(":")).env("LL_FS_RW", "");
    let run = cli.output(cmd);
    match kernel.support.abi() {
        None => refused(&run),
        Some(_) => answer(&run, "EACCES", "reading outside LL_FS_RO"),
    }
}

/// `status --json` says what the probe says.
fn status_json(kernel: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let mut cmd = Command::new(&cli.landlocked);
    cmd.args(["status", "--json"]);
    let run = cli.output(cmd);
    if run.code != Some(0) {
        return Err(format!("status --json: {run:?}"));
    }
    let compact: String = run.stdout.split_whitespace().collect();
    let (landlock, abi) = match kernel.support {
        landlocked_core::Support::Available { abi, .. } => ("available", abi.version().to_string()),
        landlocked_core::Support::Disabled => ("disabled", "null".into()),
        landlocked_core::Support::NotBuilt => ("not_built", "null".into()),
        _ => ("unknown", "null".into()),
    };
    let want_abi = format!("\"abi\":{abi},");
    if !compact.contains(&want_abi) || !run.stdout.contains(landlock) {
        return Err(format!("want {landlock} and {want_abi} in {}", run.stdout));
    }
    Ok(())
}

fn not_found(_: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let mut cmd = Command::new(&cli.landlocked);
    cmd.args(["run", "--best-effort", "--ro", "/", "--", "landlocked-no-such-command"]);
    let run = cli.output(cmd);
    if run.code == Some(127) && run.stderr.contains("landlocked-no-such-command") {
        Ok(())
    } else {
        Err(format!("want 127 naming the command, got {run:?}"))
    }
}

pub(super) fn free_port() -> Result<u16, String> {
    crate::ops::free_port(libc::SOCK_STREAM).map_err(|e| format!("no free port: {e}"))
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::new("cli.read_only", case(read_only)),
        Case::new("cli.read_write", case(read_write)),
        Case::new("cli.default_network", case(default_network)),
        Case::new("cli.default_scopes", case(default_scopes)),
        Case::new("cli.errata", case(errata)),
        Case::new("cli.best_effort", case(best_effort)),
        Case::new("cli.bind_tcp", case(bind_tcp)),
        Case::new("cli.strict_udp", case(strict_udp)),
        Case::new("cli.sample_variables", case(sample_variables)),
        Case::new("cli.status_json", case(status_json)),
        Case::new("cli.not_found", case(not_found)),
    ]
}
