//! `cargo xtask bench-trace`: what tracing costs a command. `landlocked learn` and
//! `landlocked run --explain` follow the command with ptrace, stopped by a seccomp
//! `SECCOMP_RET_TRACE` filter only at the syscalls Landlock checks; the bar they must clear is
//! strace doing the same kind of job (`strace -f -qq --seccomp-bpf -e trace=%file,%network`,
//! its output thrown away): on the same workload, in the same run, the overhead of each of them
//! over the plain command is at most strace's.
//!
//! Two workloads, chosen for the two costs a tracer adds: Python importing a few standard
//! modules (about 110 `openat` and 530 `newfstatat` in one process: the cost of each stop)
//! and a shell loop that forks and executes `/bin/true` 200 times (the cost of following new
//! processes and of each `execve`). `/usr/bin/python3` is used, not whatever `python3` the
//! `PATH` finds (a pyenv shim is itself a script that executes more programs); without it that
//! workload is skipped.
//!
//! `learn` writes its policy to a file of a scratch directory: `-o` takes a regular file only
//! (a new file is written, then renamed over it), and refuses `/dev/null`. `run --explain` is
//! given rules that deny the workloads nothing (checked before the measurement), so that what
//! is measured is the tracing, not the reporting of denials.
//!
//! The commands run without `LD_LIBRARY_PATH`: `cargo xtask` sets it to four directories of
//! the target and the toolchain, and every dynamic program would look for its libraries there
//! first (on Debian 12, 76 failed `openat` and 72 failed `newfstatat` per `/bin/true` instead
//! of none): the fork workload would measure failed lookups, four to six times slower traced.
//!
//! The commands alternate over short hyperfine rounds as in `bench-sandboxer`
//! ([`crate::bench::rounds`]); the JSON of each round is kept in `target/bench/trace/`. Needs
//! `hyperfine` and `strace`.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::bench::{Plan, Timed, rounds, table};
use crate::run::{cargo, project_root, run};

/// About 2.5 minutes on an idle two-core machine, where each command takes 50 to 200 ms. Other
/// load stretches the traced commands far more than the plain ones (every stop waits for the
/// tracer to be scheduled, then for the tracee): hence the load averages printed.
const PLAN: Plan = Plan { rounds: 10, runs: 15, warmup: 1 };

/// The 1, 5 and 15 minute load averages, as `uptime` shows them.
fn load() -> String {
    let text = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(", ")
}

/// What `learn` and `run --explain` must not exceed.
const STRACE: &[&str] = &["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=%file,%network"];

/// Removed from the commands' environment: the library path cargo sets.
const LIBRARY_PATH: &str = "LD_LIBRARY_PATH";

/// The rules `run --explain` enforces: nothing the workloads do is denied.
const EXPLAIN_RULES: &[&str] = &["--rox", "/", "--rw", "/tmp", "--rw", "/dev"];

/// `args` as one command line for hyperfine (which splits it as a POSIX shell would).
fn line<S: AsRef<str>>(args: &[S]) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-=,:%+@".contains(c);
    args.iter()
        .map(|a| {
            let a = a.as_ref();
            if !a.is_empty() && a.chars().all(safe) {
                a.to_string()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn command(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`xtask bench-trace` takes no argument, got `{arg}`"));
    }
    for tool in ["hyperfine", "strace"] {
        if Command::new(tool).arg("--version").output().is_err() {
            return Err(format!("`{tool}` is missing: apt-get install hyperfine strace"));
        }
    }
    run(cargo().args(["build", "--locked", "--release", "-p", "landlocked-cli"]))?;
    let landlocked = project_root().join("target/release/landlocked");
    let landlocked = landlocked.to_str().ok_or("the project's path is not UTF-8")?.to_string();
    let out = project_root().join("target/bench/trace");
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let scratch =
        std::env::temp_dir().join(format!("landlocked-bench-trace-{}", std::process::id()));
    fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let policy = scratch.join("policy.toml");
    let policy = policy.to_str().ok_or("the temporary directory's path is not UTF-8")?;

    let mut workloads: Vec<(&str, Vec<&str>)> = Vec::new();
    if Path::new("/usr/bin/python3").is_file() {
        let imports = "import json, email, http.client, sqlite3, xml.dom.minidom";
        workloads.push(("python", vec!["/usr/bin/python3", "-c", imports]));
    } else {
        eprintln!("xtask: /usr/bin/python3 is missing: the Python workload is skipped");
    }
    let forks = "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done";
    workloads.push(("fork", vec!["/bin/sh", "-c", forks]));

    let load_before = load();
    let mut results = Vec::new();
    for (stem, workload) in &workloads {
        let learn = [&[landlocked.as_str(), "learn", "-o", policy, "--"], &workload[..]].concat();
        let explain =
            [&[landlocked.as_str(), "run", "--explain"], EXPLAIN_RULES, &["--"], &workload[..]]
                .concat();
        let strace = [STRACE, &["-o", "/dev/null"], &workload[..]].concat();
        denies_nothing(&explain)?;
        let commands = [
            ("plain", line(workload)),
            ("landlocked learn", line(&learn)),
            ("landlocked run --explain", line(&explain)),
            ("strace", line(&strace)),
        ];
        eprintln!("xtask: {stem}:");
        for (name, command) in &commands {
            eprintln!("xtask:   {name}: {command}");
        }
        results.push((
            stem,
            line(workload),
            rounds(&out.join(stem), &[(LIBRARY_PATH, None)], &commands, &PLAN)?,
        ));
    }
    let _ = fs::remove_dir_all(&scratch);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("\nload average: {load_before} before, {} after ({} CPUs)", load(), cpus);

    let ms = |s: f64| format!("{:.1} ms", s * 1000.0);
    let mut holds = true;
    for (stem, workload, timed) in &results {
        // In the order of `commands`: plain, learn, run --explain, strace.
        let plain = timed[0].quantile(0.5);
        let over = |t: &Timed| t.quantile(0.5) - plain;
        let is_plain = |t: &Timed| t.name == timed[0].name;
        println!("\n{stem}: `{workload}`");
        table(
            &timed.iter().collect::<Vec<_>>(),
            &[
                ("median", &|t| ms(t.quantile(0.5))),
                ("mean", &|t| ms(t.mean())),
                ("min", &|t| ms(t.quantile(0.0))),
                ("overhead", &|t| {
                    if is_plain(t) { "".into() } else { format!("{:+.1} ms", over(t) * 1000.0) }
                }),
                ("overhead %", &|t| {
                    if is_plain(t) {
                        "".into()
                    } else {
                        format!("{:+.1} %", over(t) / plain * 100.0)
                    }
                }),
            ],
        );
        let strace = over(&timed[3]);
        let ok = over(&timed[1]) <= strace && over(&timed[2]) <= strace;
        holds &= ok;
        let verdict = if ok { "at most what strace adds" } else { "MORE than strace adds" };
        println!("\n{stem}: learn and run --explain add {verdict}");
    }
    println!(
        "\nthe overhead of learn and run --explain is at most strace's on {}",
        if holds { "every workload" } else { "NOT every workload" }
    );
    Ok(())
}

/// Runs `explain` (`landlocked run --explain ... -- COMMAND`) once and checks that its sandbox
/// denied the command nothing.
fn denies_nothing(explain: &[&str]) -> Result<(), String> {
    let shown = line(explain);
    let output = Command::new(explain[0])
        .args(&explain[1..])
        .env_remove(LIBRARY_PATH)
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() && stderr.contains("the sandbox denied nothing") {
        Ok(())
    } else {
        Err(format!(
            "`{shown}` ({}) must run and deny nothing, for the benchmark to measure tracing \
             alone; it said:\n{stderr}",
            output.status
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_what_a_shell_would_split() {
        let args = ["/bin/sh", "-c", "i=0; [ $i ]", "trace=%file,%network", "it's", ""];
        assert_eq!(
            super::line(&args),
            r#"/bin/sh -c 'i=0; [ $i ]' trace=%file,%network 'it'\''s' ''"#
        );
    }
}
