//! `landlocked run --explain`: the command traced from outside its sandbox, and what the
//! sandbox denied said when it ends.

use std::ffi::{OsStr, OsString};
use std::path::Path;

use landlocked::explain::{Allowed, Denial, denials};
use landlocked::trace::{self, Target, TracedCommand};
use landlocked::{Prepared, Sandbox};
use serde_json::json;

use super::Options;
use crate::{Fail, fail};

/// The command's argument vector and environment as the tracer takes them.
pub(crate) fn traced_command(
    exe: &Path,
    program: &OsStr,
    args: &[OsString],
    env: &[(OsString, OsString)],
) -> Result<TracedCommand, Fail> {
    let mut argv = vec![program.to_os_string()];
    argv.extend(args.iter().cloned());
    TracedCommand::new(exe, &argv, env).ok_or_else(|| Fail {
        code: 126,
        message: format!("{}: a NUL byte in an argument or the environment", exe.display()),
    })
}

/// What the trace says when SIGINT ended what the command left running.
pub(crate) fn left_killed(n: usize) -> String {
    format!(
        "the command had ended; SIGINT killed the {n} process{} it left running, whose \
         accesses after that are not seen",
        if n == 1 { "" } else { "es" }
    )
}

fn denial_json(d: &Denial) -> serde_json::Value {
    let mut value = json!({
        "count": d.count,
        "rights": [],
        "option": d.option,
        "syscalls": d.syscalls.iter().collect::<Vec<_>>(),
        "programs": d.programs.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(),
        "pids": d.pids.iter().collect::<Vec<_>>(),
    });
    match &d.target {
        Target::Path { path, access, .. } => {
            value["path"] = path.to_string_lossy().into();
            value["rights"] = access.names().collect::<Vec<_>>().into();
        }
        Target::Port { port, access } => {
            value["port"] = (*port).into();
            value["rights"] = access.names().collect::<Vec<_>>().into();
        }
        Target::AbstractUnix { name } => {
            value["abstract_socket"] = String::from_utf8_lossy(name).into();
            value["rights"] = json!(["abstract_unix_socket"]);
        }
        Target::Signal { pid } => {
            value["signal_to"] = (*pid).into();
            value["rights"] = json!(["signal"]);
        }
        _ => {}
    }
    value
}

pub(super) fn run(
    o: &Options,
    sandbox: &Sandbox,
    prepared: &Prepared,
    exe: &Path,
    program: &OsStr,
    args: &[OsString],
    env: &[(OsString, OsString)],
) -> Result<i32, Fail> {
    let command = traced_command(exe, program, args, env)?;
    // Opened before the command runs: a file that cannot be written is an error before anything
    // runs, not after.
    let cannot = |file: &Path, e: std::io::Error| {
        fail(format!("--explain-json {}: cannot write: {e}", file.display()))
    };
    let json_file = match &o.explain_json {
        Some(file) => Some((file, std::fs::File::create(file).map_err(|e| cannot(file, e))?)),
        None => None,
    };
    let traced = trace::trace(&command, Some(prepared)).map_err(|e| fail(e.to_string()))?;
    let allowed = Allowed::of(sandbox, prepared.report());
    let found = denials(&traced.accesses, &allowed);
    if let Some((file, mut out)) = json_file {
        use std::io::Write as _;
        let doc = json!({
            "exit_status": traced.end.status(),
            "denials": found.iter().map(denial_json).collect::<Vec<_>>(),
        });
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
        out.write_all(text.as_bytes()).map_err(|e| cannot(file, e))?;
    }
    let total: usize = found.iter().map(|d| d.count).sum();
    if found.is_empty() {
        crate::say("explain: the sandbox denied nothing");
    } else {
        crate::say(&format!(
            "explain: the sandbox denied {total} access{} ({} different):",
            if total == 1 { "" } else { "es" },
            found.len()
        ));
        for d in &found {
            let programs: Vec<String> = d
                .programs
                .iter()
                .map(|p| {
                    p.file_name().map_or_else(
                        || p.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                })
                .collect();
            let syscalls: Vec<&str> = d.syscalls.iter().copied().collect();
            let line = format!(
                "{:>5}x {} ({}: {}): {}",
                d.count,
                d.target,
                programs.join(", "),
                syscalls.join(", "),
                d.option
            );
            // A name holding a newline or an escape must not forge lines or drive the terminal.
            crate::say(&landlocked::printable(&line));
        }
    }
    if traced.left_killed > 0 {
        crate::say(&format!("explain: {}", left_killed(traced.left_killed)));
    }
    if traced.foreign_syscalls > 0 {
        crate::say(&format!(
            "explain: {} syscalls of another architecture (32-bit) were not looked at",
            traced.foreign_syscalls
        ));
    }
    Ok(traced.end.status())
}
