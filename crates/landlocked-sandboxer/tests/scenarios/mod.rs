//! What the sandboxer must do, as scenarios that run the real binary on the running kernel.
//!
//! Written to be reused: the host runs them from `tests/scenarios.rs`, and a VM guest can run
//! them too (include this file with `#[path]`). Each scenario is a plain function of a
//! [`Setup`]: where the sandboxer is, and a *probe*, a program that starts with
//! [`probe_main`] and performs one operation inside the sandbox (read, write, bind, signal, ...),
//! printing `ok` or the error's name. On the host the test executable is its own probe; in a
//! guest the static `/init` can be, with [`Setup::exec_paths`] holding just itself.
//!
//! Scenarios adapt to the kernel's ABI ([`Setup::abi`]): on a kernel that cannot restrict
//! something, they check that the sandboxer says so instead.

#![allow(dead_code)]

mod probe_ops;

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The first argument that makes a program act as the probe.
pub const PROBE_ARG: &str = "--landlocked-sandboxer-probe";

/// What a scenario needs.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The sandboxer binary under test.
    pub sandboxer: PathBuf,
    /// A program that calls [`probe_main`] first thing.
    pub probe: PathBuf,
    /// What the probe needs to be executed (itself, its loader and libraries): given read and
    /// execute rights in every scenario that runs it.
    pub exec_paths: Vec<PathBuf>,
    /// A writable directory of this run's own, created by [`Setup::prepare`].
    pub scratch: PathBuf,
    /// The running kernel's Landlock ABI, `None` without Landlock.
    pub abi: Option<u32>,
}

/// How a scenario ended, when it did not fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything checked held.
    Pass,
    /// It does not apply here, and why.
    Skip(String),
}

/// A scenario: `Err` holds what went wrong.
pub type Scenario = fn(&Setup) -> Result<Outcome, String>;

/// Every scenario, by name.
pub const ALL: &[(&str, Scenario)] = &[
    ("usage_without_a_command", usage_without_a_command),
    ("missing_fs_ro_is_an_error", missing_fs_ro_is_an_error),
    ("bad_ports_are_named", bad_ports_are_named),
    ("bad_scope_and_force_log_are_errors", bad_scope_and_force_log_are_errors),
    ("no_landlock_is_an_error", no_landlock_is_an_error),
    ("read_outside_the_rules_is_eacces", read_outside_the_rules_is_eacces),
    ("write_in_an_rw_directory_works", write_in_an_rw_directory_works),
    ("empty_fs_ro_denies_every_read", empty_fs_ro_denies_every_read),
    ("missing_paths_are_skipped_with_a_message", missing_paths_are_skipped_with_a_message),
    ("unknown_command_exits_127", unknown_command_exits_127),
    ("not_executable_exits_126", not_executable_exits_126),
    ("command_found_in_path", command_found_in_path),
    ("exit_status_passes_through", exit_status_passes_through),
    ("variables_are_hidden_from_the_command", variables_are_hidden_from_the_command),
    ("script_without_shebang_runs_with_sh", script_without_shebang_runs_with_sh),
    ("tcp_bind_is_restricted", tcp_bind_is_restricted),
    ("udp_is_reported_or_restricted", udp_is_reported_or_restricted),
    ("signal_scope", signal_scope),
];

impl Setup {
    /// The host's setup: the sandboxer from `$LANDLOCKED_SANDBOXER` or `default`, this
    /// executable as the probe with the directories of its loader and libraries.
    pub fn host(default: &Path) -> Setup {
        let sandboxer = std::env::var_os("LANDLOCKED_SANDBOXER")
            .filter(|p| !p.is_empty())
            .map_or_else(|| default.to_path_buf(), PathBuf::from);
        let probe = std::env::current_exe().expect("the test executable's path");
        let mut exec_paths = vec![probe.clone()];
        exec_paths.extend(
            ["/usr", "/lib", "/lib64", "/etc/ld.so.cache"]
                .iter()
                .map(PathBuf::from)
                .filter(|p| p.exists()),
        );
        let scratch =
            std::env::temp_dir().join(format!("landlocked-sandboxer-{}", std::process::id()));
        let abi = landlocked_core::Kernel::probe().support.abi().map(|a| a.version());
        Setup { sandboxer, probe, exec_paths, scratch, abi }
    }

    /// Creates the scratch directory: `ro/file` (readable in scenarios), `rw/`, `secret`
    /// (never in a rule), `bin/` (for `PATH`).
    pub fn prepare(&self) -> std::io::Result<()> {
        let _ = std::fs::remove_dir_all(&self.scratch);
        for dir in ["ro", "rw", "bin"] {
            std::fs::create_dir_all(self.scratch.join(dir))?;
        }
        std::fs::write(self.scratch.join("ro/file"), b"readable\n")?;
        std::fs::write(self.scratch.join("secret"), b"secret\n")?;
        Ok(())
    }

    /// Removes the scratch directory.
    pub fn clean(&self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }

    fn scratch(&self, rel: &str) -> String {
        self.scratch.join(rel).to_str().expect("a UTF-8 scratch path").to_owned()
    }

    /// The probe's paths and `extra`, as a list variable.
    fn ro(&self, extra: &[&str]) -> String {
        let mut list: Vec<String> =
            self.exec_paths.iter().map(|p| p.to_str().expect("UTF-8 path").to_owned()).collect();
        list.extend(extra.iter().map(|s| s.to_string()));
        list.join(":")
    }

    /// Runs the sandboxer with exactly these variables (and `PATH`), running `cmd`.
    fn run(&self, vars: &[(&str, &str)], cmd: &[&OsStr]) -> Run {
        let mut c = Command::new(&self.sandboxer);
        c.env_clear().env("PATH", "/usr/bin:/bin").args(cmd);
        for (k, v) in vars {
            c.env(k, v);
        }
        Run::from(c.output().unwrap_or_else(|e| panic!("cannot run {:?}: {e}", self.sandboxer)))
    }

    /// Runs the probe in the sandbox: `action` with `arg`.
    fn probe(&self, vars: &[(&str, &str)], action: &str, arg: &str) -> Run {
        self.run(vars, &[self.probe.as_os_str(), PROBE_ARG.as_ref(), action.as_ref(), arg.as_ref()])
    }
}

/// What a run of the sandboxer gave.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).trim().to_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// The probe's answer (`ok`, `EACCES`, ...), the run having exited 0.
    fn answer(&self) -> Result<&str, String> {
        if self.code == Some(0) {
            Ok(&self.stdout)
        } else {
            Err(format!("the probe did not run: {self:?}"))
        }
    }

    fn expect_answer(&self, want: &str, what: &str) -> Result<(), String> {
        let got = self.answer()?;
        if got == want {
            Ok(())
        } else {
            Err(format!("{what}: got {got:?}, want {want:?}: {self:?}"))
        }
    }

    fn expect_failure(&self, code: i32, stderr_has: &[&str]) -> Result<(), String> {
        if self.code != Some(code) {
            return Err(format!("exit status {:?}, want {code}: {self:?}", self.code));
        }
        for s in stderr_has {
            if !self.stderr.contains(s) {
                return Err(format!("stderr does not mention {s:?}: {self:?}"));
            }
        }
        Ok(())
    }
}

/// Scenarios that need Landlock skip without it (`no_landlock_is_an_error` covers that case).
fn needs_landlock(s: &Setup) -> Option<Outcome> {
    s.abi.is_none().then(|| Outcome::Skip("no Landlock on this kernel".into()))
}

fn usage_without_a_command(s: &Setup) -> Result<Outcome, String> {
    // All of it: the first and the last variable named, and the end of the text.
    let run = s.run(&[("LL_FS_RO", ""), ("LL_FS_RW", "")], &[]);
    run.expect_failure(1, &["usage:", "LL_FS_RO", "LL_QUIET_ACCESS\n"])?;
    Ok(Outcome::Pass)
}

fn missing_fs_ro_is_an_error(s: &Setup) -> Result<Outcome, String> {
    s.run(&[("LL_FS_RW", "")], &["true".as_ref()]).expect_failure(1, &["LL_FS_RO is not set"])?;
    s.run(&[("LL_FS_RO", "")], &["true".as_ref()]).expect_failure(1, &["LL_FS_RW is not set"])?;
    Ok(Outcome::Pass)
}

fn bad_ports_are_named(s: &Setup) -> Result<Outcome, String> {
    for (var, value, item) in [
        ("LL_TCP_BIND", "70000", "70000"),
        ("LL_TCP_CONNECT", "443:abc", "abc"),
        ("LL_UDP_BIND", "-1", "-1"),
        ("LL_UDP_CONNECT_SEND", "99999999999999999999999", "99999999999999999999999"),
    ] {
        let run = s.run(&[("LL_FS_RO", ""), ("LL_FS_RW", ""), (var, value)], &["true".as_ref()]);
        run.expect_failure(1, &[var, &format!("\"{item}\"")])?;
    }
    Ok(Outcome::Pass)
}

fn bad_scope_and_force_log_are_errors(s: &Setup) -> Result<Outcome, String> {
    let base = [("LL_FS_RO", ""), ("LL_FS_RW", "")];
    for (var, value, item) in [
        ("LL_SCOPED", "a:x", "\"x\""),
        ("LL_SCOPED", "s:s", "\"s\""),
        ("LL_FORCE_LOG", "yes", "\"yes\""),
        ("LL_QUIET_ACCESS", "loud", "\"loud\""),
    ] {
        let mut vars = base.to_vec();
        vars.push((var, value));
        s.run(&vars, &["true".as_ref()]).expect_failure(1, &[var, item])?;
    }
    let mut vars = base.to_vec();
    vars.push(("LL_FS_QUIET", "/tmp"));
    s.run(&vars, &["true".as_ref()]).expect_failure(1, &["LL_QUIET_ACCESS must be set"])?;
    Ok(Outcome::Pass)
}

fn no_landlock_is_an_error(s: &Setup) -> Result<Outcome, String> {
    if s.abi.is_some() {
        return Ok(Outcome::Skip("this kernel has Landlock".into()));
    }
    let ro = s.ro(&[]);
    s.probe(&[("LL_FS_RO", &ro), ("LL_FS_RW", "")], "exit", "0")
        .expect_failure(1, &["Landlock is required"])?;
    Ok(Outcome::Pass)
}

fn read_outside_the_rules_is_eacces(s: &Setup) -> Result<Outcome, String> {
    if let Some(skip) = needs_landlock(s) {
        return Ok(skip);
    }
    let ro = s.ro(&[&s.scratch("ro")]);
    let vars = [("LL_FS_RO", ro.as_str()), ("LL_FS_RW", "")];
    s.probe(&vars, "read", &s.scratch("ro/file")).expect_answer("ok", "reading inside LL_FS_RO")?;
    s.probe(&vars, "read", &s.scratch("secret")).expect_answer("EACCES", "reading outside")?;
    s.probe(&vars, "list", &s.scratch("")).expect_answer("EACCES", "listing outside")?;
    // Read-only: writing beneath LL_FS_RO is denied too.
    s.probe(&vars, "write", &s.scratch("ro/file"))
        .expect_answer("EACCES", "writing in LL_FS_RO")?;
    Ok(Outcome::Pass)
}

fn write_in_an_rw_directory_works(s: &Setup) -> Result<Outcome, String> {
    if let Some(skip) = needs_landlock(s) {
        return Ok(skip);
    }
    let ro = s.ro(&[&s.scratch("ro")]);
    let rw = s.scratch("rw");
    let vars = [("LL_FS_RO", ro.as_str()), ("LL_FS_RW", rw.as_str())];
    let target = s.scratch("rw/new");
    s.probe(&vars, "write", &target).expect_answer("ok", "writing in LL_FS_RW")?;
    let written = std::fs::read(&target).map_err(|e| format!("{target}: {e}"))?;
    if written != b"written by the probe\n" {
        return Err(format!("{target} holds {written:?}"));
    }
    s.probe(&vars, "write", &s.scratch("outside")).expect_answer("EACCES", "writing outside")?;
    Ok(Outcome::Pass)
}

fn empty_fs_ro_denies_every_read(s: &Setup) -> Result<Outcome, String> {
    if let Some(skip) = needs_landlock(s) {
        return Ok(skip);
    }
    // Nothing allowed: not even executing the command (whose file is read to run it).
    let run = s.probe(&[("LL_FS_RO", ""), ("LL_FS_RW", "")], "read", "/");
    run.expect_failure(126, &["Permission denied (EACCES)"])?;
    Ok(Outcome::Pass)
}

fn missing_paths_are_skipped_with_a_message(s: &Setup) -> Result<Outcome, String> {
    if let Some(skip) = needs_landlock(s) {
        return Ok(skip);
    }
    let missing = s.scratch("no-such-dir");
    let ro = s.ro(&[&missing, &s.scratch("ro")]);
    let run = s.probe(&[("LL_FS_RO", &ro), ("LL_FS_RW", "")], "read", &s.scratch("ro/file"));
    run.expect_answer("ok", "reading with a missing path in LL_FS_RO")?;
    let said = format!("LL_FS_RO \"{missing}\": skipped, cannot open it: No such file");
    if !run.stderr.contains(&said) {
        return Err(format!("stderr does not say {said:?}: {run:?}"));
    }
    Ok(Outcome::Pass)
}

fn unknown_command_exits_127(s: &Setup) -> Result<Outcome, String> {
    // Without Landlock the sandboxer refuses before looking for the command.
    if let Some(skip) = needs_landlock(s) {
        return Ok(skip);
    }
    let vars = [("LL_FS_RO", "/"), ("LL_FS_RW", "")];
    let run = s.run(&vars, &["landlocked-no-such-command".as_ref()]);
    run.expect_failure(127, &["\"landlocked-no-such-command\": command not found"])?;
    let by_path = s.scratch("no-such-file");
    s.run(&vars, &[by_path.as_ref()]).expect_failure(127, &[&by_path])?;
    Ok(Outcome::Pass)
}

fn not_executable_exits_126(s: &Setup) -> Result<Outcome, String> {
    // Without Landlock the sandboxer refuses before looking for the command.
    if let Some(skip) = needs_landlock(s) {
        return Ok(skip);
    }
    use std::os::unix::fs::PermissionsExt;
    let file = s.scratch("ro/not-executable");
    std::fs::write(&file, b"#!/bin/sh\n").map_err(|e| e.to_string())?;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))
        .map_err(|e| e.to_string())?;
    // Permission bits do not bind root, who may still run a file with no x bit at all.
    let vars = [("LL_FS_RO", "/"), ("LL_FS_RW", "")];
    s.run(&vars, &[file.as_ref()])
        .expect_failure(126, &["cannot execute", "Permission denied (EACCES)"])?;
    Ok(Outcome::Pass)
}

fn command_found_in_path(s: &Setup) -> Result<Outcome, String> {
    // Without Landlock the sandboxer refuses before looking for the command.
    if let Some(skip) = needs_landlock(s) {
        return Ok(skip);
    }
    let link = s.scratch("bin/landlocked-probe-link");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&s.probe, &link).map_err(|e| e.to_string())?;
    let ro = s.ro(&[&s.scratch("bin")]);
    let mut c = Command::new(&s.sandboxer);
    // An empty PATH element and a missing directory are passed over.
    let path = format!("/nonexistent::{}", s.scratch("bin"));
    c.env_clear().env("PATH", path).env("LL_FS_RO", &ro).env("LL_FS_RW", "");
    c.args(["landlocked-probe-link", PROBE_ARG, "exit", "5"]);
    let run = Run::from(c.output().map_err(|e| e.to_string())?);
    if run.code != Some(5) {
        return Err(format!("the probe was not found in PATH: {run:?}"));
    }
    Ok(Outcome::Pass)
}

fn exit_status_passes_through(s: &Setup) -> Result<Outcome, String> {
    if let Some(skip) = needs_landlock(s) {
        return Ok(skip);
    }
    let ro = s.ro(&[]);
    let run = s.probe(&[("LL_FS_RO", &ro), ("LL_FS_RW", "")], "exit", "42");
    if run.code != Some(42) {
        return Err(format!("exit status {:?}, want 42: {run:?}", run.code));
    }
    Ok(Outcome::Pass)
}

fn variables_are_hidden_from_the_command(s: &Setup) -> Result<Outcome, String> {
    if let Some(skip) = needs_landlock(s) {
        return Ok(skip);
    }
    let ro = s.ro(&[]);
    let vars = [("LL_FS_RO", ro.as_str()), ("LL_FS_RW", ""), ("LL_SCOPED", ""), ("KEPT", "yes")];
    s.probe(&vars, "env", "LL_FS_RO").expect_answer("unset", "LL_FS_RO in the command")?;
    s.probe(&vars, "env", "LL_SCOPED").expect_answer("unset", "LL_SCOPED in the command")?;
    s.probe(&vars, "env", "KEPT").expect_answer("yes", "another variable")?;
    Ok(Outcome::Pass)
}

fn script_without_shebang_runs_with_sh(s: &Setup) -> Result<Outcome, String> {
    if let Some(skip) = needs_landlock(s) {
        return Ok(skip);
    }
    if !Path::new("/bin/sh").exists() {
        return Ok(Outcome::Skip("no /bin/sh".into()));
    }
    use std::os::unix::fs::PermissionsExt;
    let script = s.scratch("bin/no-shebang");
    std::fs::write(&script, b"exit 7\n").map_err(|e| e.to_string())?;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    let ro = s.ro(&["/bin", &s.scratch("bin")]);
    let run = s.run(&[("LL_FS_RO", &ro), ("LL_FS_RW", "")], &[script.as_ref()]);
    if run.code != Some(7) {
        return Err(format!("exit status {:?}, want 7 from the script: {run:?}", run.code));
    }
    Ok(Outcome::Pass)
}

/// A port free on the loopback interface just now.
fn free_port(udp: bool) -> Result<u16, String> {
    let any = (Ipv4Addr::LOCALHOST, 0);
    let port = if udp {
        UdpSocket::bind(any).and_then(|s| s.local_addr())
    } else {
        TcpListener::bind(any).and_then(|s| s.local_addr())
    };
    port.map(|a| a.port()).map_err(|e| format!("no free port: {e}"))
}

fn tcp_bind_is_restricted(s: &Setup) -> Result<Outcome, String> {
    let Some(abi) = s.abi else { return Ok(Outcome::Skip("no Landlock on this kernel".into())) };
    let (allowed, other) = (free_port(false)?, free_port(false)?);
    let ro = s.ro(&[]);
    let port = allowed.to_string();
    let vars = [("LL_FS_RO", ro.as_str()), ("LL_FS_RW", ""), ("LL_TCP_BIND", port.as_str())];
    s.probe(&vars, "bind-tcp", &port).expect_answer("ok", "binding the allowed port")?;
    let denied = s.probe(&vars, "bind-tcp", &other.to_string());
    if abi >= 4 {
        denied.expect_answer("EACCES", "binding another port")?;
    } else {
        denied.expect_answer("ok", "binding another port where TCP cannot be restricted")?;
        if !denied.stderr.contains("not enforced") || !denied.stderr.contains("bind_tcp") {
            return Err(format!("no report of bind_tcp not enforced: {denied:?}"));
        }
    }
    Ok(Outcome::Pass)
}

fn udp_is_reported_or_restricted(s: &Setup) -> Result<Outcome, String> {
    let Some(abi) = s.abi else { return Ok(Outcome::Skip("no Landlock on this kernel".into())) };
    let (allowed, other) = (free_port(true)?, free_port(true)?);
    let ro = s.ro(&[]);
    let port = allowed.to_string();
    let vars = [("LL_FS_RO", ro.as_str()), ("LL_FS_RW", ""), ("LL_UDP_BIND", port.as_str())];
    s.probe(&vars, "bind-udp", &port).expect_answer("ok", "binding the allowed UDP port")?;
    let run = s.probe(&vars, "bind-udp", &other.to_string());
    let reported = run.stderr.lines().any(|l| l.contains("not enforced") && l.contains("bind_udp"));
    if abi >= 10 {
        run.expect_answer("EACCES", "binding another UDP port")?;
        if reported {
            return Err(format!("bind_udp reported missing on ABI {abi}: {run:?}"));
        }
    } else {
        run.expect_answer("ok", "binding another UDP port where UDP cannot be restricted")?;
        if !reported {
            return Err(format!("no one-line report of bind_udp not enforced: {run:?}"));
        }
    }
    Ok(Outcome::Pass)
}

fn signal_scope(s: &Setup) -> Result<Outcome, String> {
    let Some(abi) = s.abi else { return Ok(Outcome::Skip("no Landlock on this kernel".into())) };
    let ro = s.ro(&[]);
    let me = std::process::id().to_string();
    let scoped = [("LL_FS_RO", ro.as_str()), ("LL_FS_RW", ""), ("LL_SCOPED", "s")];
    let open = [("LL_FS_RO", ro.as_str()), ("LL_FS_RW", "")];
    // Signal 0 checks the permission only; this process is outside the probe's domain.
    s.probe(&open, "signal", &me).expect_answer("ok", "signalling out without LL_SCOPED")?;
    let run = s.probe(&scoped, "signal", &me);
    if abi >= 6 {
        run.expect_answer("EPERM", "signalling out with LL_SCOPED=s")?;
        s.probe(&scoped, "signal", "self").expect_answer("ok", "signalling itself")?;
    } else {
        run.expect_answer("ok", "signalling out where scopes do not exist")?;
        if !run.stderr.contains("scope: signal") {
            return Err(format!("no report of the signal scope not enforced: {run:?}"));
        }
    }
    Ok(Outcome::Pass)
}

/// The probe: if `args[1]` is [`PROBE_ARG`], performs `args[2]` on `args[3]`, prints `ok` or
/// the error's name (`EACCES`) and returns the exit status; otherwise `None`.
///
/// Actions: `read FILE`, `list DIR`, `write FILE` (creates it), `bind-tcp PORT`,
/// `bind-udp PORT`, `connect-tcp PORT`, `send-udp PORT`, `mptcp-connect PORT`, `fast-open PORT`
/// (on 127.0.0.1), `ptrace PID` (`PTRACE_SEIZE`),
/// `signal PID|self` (signal 0), `env NAME` (prints its value or `unset`), `uname -`,
/// `i386-getpid -` (`int 0x80` on x86_64), `exit CODE`.
pub fn probe_main(args: &[OsString]) -> Option<u8> {
    if args.get(1).map(OsString::as_os_str) != Some(OsStr::new(PROBE_ARG)) {
        return None;
    }
    let (Some(action), Some(arg)) = (args.get(2).and_then(|a| a.to_str()), args.get(3)) else {
        eprintln!("probe: usage: {PROBE_ARG} ACTION ARG");
        return Some(2);
    };
    let text = arg.to_str().unwrap_or_default();
    let result: std::io::Result<String> = match action {
        "read" => {
            std::fs::File::open(arg).and_then(|mut f| f.read(&mut [0; 16])).map(|_| "ok".into())
        }
        "list" => std::fs::read_dir(arg).map(|_| "ok".into()),
        "write" => std::fs::write(arg, b"written by the probe\n").map(|()| "ok".into()),
        "bind-tcp" => {
            TcpListener::bind((Ipv4Addr::LOCALHOST, text.parse().unwrap_or(0))).map(|_| "ok".into())
        }
        "bind-udp" => {
            UdpSocket::bind((Ipv4Addr::LOCALHOST, text.parse().unwrap_or(0))).map(|_| "ok".into())
        }
        "signal" => {
            let pid =
                if text == "self" { std::process::id() as i32 } else { text.parse().unwrap_or(0) };
            landlocked_core::process::kill(pid, 0)
                .map(|()| "ok".into())
                .map_err(|e| std::io::Error::from_raw_os_error(e.raw()))
        }
        "connect-tcp" => probe_ops::connect(libc::SOCK_STREAM, 0, text),
        "mptcp-connect" => probe_ops::connect(libc::SOCK_STREAM, libc::IPPROTO_MPTCP, text),
        "send-udp" => UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|s| s.send_to(b"probe", (Ipv4Addr::LOCALHOST, text.parse().unwrap_or(0))))
            .map(|_| "ok".into()),
        "uname" => probe_ops::uname(),
        "fast-open" => probe_ops::fast_open(text),
        "ptrace" => probe_ops::seize(text),
        "i386-getpid" => probe_ops::i386_getpid(),
        "env" => Ok(std::env::var_os(arg)
            .map_or("unset".into(), |v| String::from_utf8_lossy(v.as_bytes()).into_owned())),
        "exit" => return Some(text.parse().unwrap_or(2)),
        other => {
            eprintln!("probe: unknown action {other}");
            return Some(2);
        }
    };
    match result {
        Ok(text) => println!("{text}"),
        Err(e) => {
            let name = e
                .raw_os_error()
                .and_then(landlocked_core::Errno::from_raw)
                .and_then(|e| e.name())
                .map_or_else(|| e.to_string(), str::to_owned);
            println!("{name}");
        }
    }
    Some(0)
}
