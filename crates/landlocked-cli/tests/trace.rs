//! `landlocked learn`, `run --explain` and `landlocked denials`: a policy learned from a run
//! lets the same run do the same and nothing else; what a sandbox denied is said with the
//! option that allows it; audit records are summarised.

mod support;

use std::path::Path;

use landlocked_core::Abi;
use support::*;

/// Not a test: the operation a sandboxed copy of this binary performs.
#[test]
fn helper_entry() {
    support::helper_entry();
}

/// `landlocked ARGS -- helper` performing `op`.
fn helper(args: &[&str], op: &str) -> Run {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = landlocked();
    cmd.args(args).args(helper_args(&exe)).env(OP, op);
    Run::of(cmd.output().unwrap())
}

fn sh(args: &[&str], script: &str) -> Run {
    let mut cmd = landlocked();
    cmd.args(args).args(["--", "/bin/sh", "-c", script]).env("LC_ALL", "C");
    Run::of(cmd.output().unwrap())
}

#[test]
fn a_learned_policy_allows_what_the_run_did_and_nothing_else() {
    let abi = landlock();
    let dir = temp_dir("learn");
    let (read, other) = (dir.join("read.txt"), dir.join("other.txt"));
    std::fs::write(&read, "r").unwrap();
    std::fs::write(&other, "o").unwrap();
    let policy = dir.join("policy.toml");
    let op = format!("read {}", s(&read));
    let learned = helper(&["learn", "--output", s(&policy)], &op);
    assert_eq!(learned.code, 0, "{}", learned.stderr);
    assert_eq!(learned.result(), "ok");
    assert!(learned.stderr.contains("path rules"), "{}", learned.stderr);
    let text = std::fs::read_to_string(&policy).unwrap();
    // A file rule for the file read, with its reason; every right of the kernel handled.
    assert!(text.contains(&format!("parent = [\"{}\"]", s(&read))), "{text}");
    assert!(text.contains("read_file by open"), "{text}");
    assert!(text.contains(&format!("abi = {}", abi.version())), "{text}");
    assert!(text.contains("\"execute\""), "{text}");
    // The same run under the policy: the same result.
    let again = helper(&["run", "--policy", s(&policy)], &op);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.result(), "ok", "{}", again.stderr);
    // Anything else is denied: the file next to it, a write to the file read, a listing.
    assert_eq!(
        helper(&["run", "--policy", s(&policy)], &format!("read {}", s(&other))).result(),
        "EACCES"
    );
    assert_eq!(
        helper(&["run", "--policy", s(&policy)], &format!("write {}", s(&read))).result(),
        "EACCES"
    );
    assert_eq!(
        helper(&["run", "--policy", s(&policy)], &format!("list {}", s(&dir))).result(),
        "EACCES"
    );
    if abi >= Abi::V4 {
        let (port, _) = two_ports();
        let r = helper(&["run", "--policy", s(&policy)], &format!("bind-tcp {port}"));
        assert_eq!(r.result(), "EACCES");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_shell_script_learned_runs_again_to_the_same_output() {
    landlock();
    let dir = temp_dir("learn-sh");
    std::fs::write(dir.join("in"), "hello\n").unwrap();
    let policy = dir.join("policy.toml");
    let script = format!(
        "cd {} && mkdir -p sub && cat in > sub/out && ls sub && rm sub/out && rmdir sub && \
         cat /etc/hostname > /dev/null; exit 7",
        s(&dir)
    );
    let learned = sh(&["learn", "-o", s(&policy)], &script);
    assert_eq!(learned.code, 7, "{}", learned.stderr);
    assert_eq!(learned.stdout, "out\n");
    let again = sh(&["run", "--policy", s(&policy)], &script);
    assert_eq!((again.code, again.stdout.as_str()), (7, "out\n"), "{}", again.stderr);
    // Creating elsewhere than where it created stays denied.
    let elsewhere = sh(&["run", "--policy", s(&policy)], "mkdir /tmp/landlocked-not-learned");
    assert_ne!(elsewhere.code, 0);
    assert!(!Path::new("/tmp/landlocked-not-learned").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn learn_keeps_the_run_options_and_append_merges_a_second_run() {
    let abi = landlock();
    let dir = temp_dir("append");
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::write(&a, "a").unwrap();
    std::fs::write(&b, "b").unwrap();
    let policy = dir.join("policy.toml");
    // Learned inside a sandbox that already allows b: b is kept as given, a is learned.
    let first =
        helper(&["learn", "-o", s(&policy), "--ldd", "--ro", s(&b)], &format!("read {}", s(&a)));
    assert_eq!(first.result(), "EACCES", "denied in the sandbox, so learned: {}", first.stderr);
    let r = helper(&["run", "--policy", s(&policy)], &format!("read {}", s(&b)));
    assert_eq!(r.result(), "ok", "the given --ro kept: {}", r.stderr);
    // A second run, writing a new file, appended.
    let c = dir.join("c");
    let second = helper(&["learn", "--append", s(&policy)], &format!("write {}", s(&c)));
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stderr.contains("added to"), "{}", second.stderr);
    let text = std::fs::read_to_string(&policy).unwrap();
    assert!(text.contains("make_reg by open"), "{text}");
    std::fs::remove_file(&c).unwrap();
    for op in [format!("read {}", s(&a)), format!("read {}", s(&b)), format!("write {}", s(&c))] {
        let r = helper(&["run", "--policy", s(&policy)], &op);
        assert_eq!(r.result(), "ok", "{op}: {}\n{text}", r.stderr);
    }
    let _ = abi;
    // Appended in a run under the policy itself: its own rules are not given again.
    let before = std::fs::read_to_string(&policy).unwrap();
    let third = helper(
        &["learn", "--policy", s(&policy), "--append", s(&policy)],
        &format!("read {}", s(&a)),
    );
    assert_eq!(third.result(), "ok", "{}", third.stderr);
    let after = std::fs::read_to_string(&policy).unwrap();
    assert_eq!(after.matches("# given:").count(), before.matches("# given:").count(), "{after}");
    // JSON: the same policy, a document a program reads.
    let json = helper(&["learn", "--json"], &format!("read {}", s(&a)));
    assert_eq!(json.code, 0, "{}", json.stderr);
    let start = json.stdout.find('{').unwrap_or_else(|| panic!("{}", json.stdout));
    let end = json.stdout.rfind('}').unwrap();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout[start..=end]).unwrap();
    assert!(doc["ruleset"].is_array(), "{doc}");
    assert!(
        doc["pathBeneath"].as_array().unwrap().iter().any(|r| r["parent"][0] == s(&a)),
        "{doc}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explain_names_each_denied_access_and_the_option_that_allows_it() {
    landlock();
    let dir = temp_dir("explain");
    let json = dir.join("explain.json");
    let script = "cat /etc/hostname; cat /etc/hostname; cat /nonexistent; exit 4";
    let r = sh(
        &[
            "run",
            "--explain",
            "--explain-json",
            s(&json),
            "--ldd",
            "--rox",
            "/usr",
            "--rox",
            "/bin",
        ],
        script,
    );
    assert_eq!(r.code, 4, "the command's status: {}", r.stderr);
    assert!(
        r.stderr.contains("explain: the sandbox denied 2 accesses (1 different):"),
        "{}",
        r.stderr
    );
    let line = r.stderr.lines().find(|l| l.contains("/etc/hostname") && l.contains("2x")).unwrap();
    assert!(line.contains("read_file /etc/hostname (cat: openat"), "{line}");
    assert!(line.ends_with("--ro /etc/hostname"), "{line}");
    // A missing file is no denial of the sandbox.
    assert!(!r.stderr.contains("nonexistent ("), "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["exit_status"], 4);
    assert_eq!(doc["denials"][0]["path"], "/etc/hostname");
    assert_eq!(doc["denials"][0]["count"], 2);
    assert_eq!(doc["denials"][0]["option"], "--ro /etc/hostname");
    assert_eq!(doc["denials"][0]["rights"][0], "read_file");
    // Nothing denied: said so.
    let r = sh(
        &["run", "--explain", "--ldd", "--rox", "/usr", "--rox", "/bin", "--ro", "/etc"],
        "cat /etc/hostname",
    );
    assert!(r.stderr.contains("explain: the sandbox denied nothing"), "{}", r.stderr);
    // A JSON file that cannot be written: refused before the command runs.
    let marker = dir.join("ran");
    let r = sh(
        &[
            "run",
            "--explain",
            "--explain-json",
            "/nonexistent/x.json",
            "--rox",
            "/",
            "--rw",
            s(&dir),
        ],
        &format!("touch {}", s(&marker)),
    );
    assert_eq!(r.code, 125);
    assert!(r.error_line().contains("--explain-json /nonexistent/x.json: cannot write"));
    assert!(!marker.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explain_tells_ports_and_signals_apart() {
    let abi = landlock();
    let (port, _) = two_ports();
    let r = helper(&["run", "--explain", "--ldd"], &format!("bind-tcp {port}"));
    assert_eq!(r.result(), "EACCES");
    if abi >= Abi::V4 {
        assert!(r.stderr.contains(&format!("--bind-tcp {port}")), "{}", r.stderr);
    }
    if abi >= Abi::V6 {
        let r = helper(&["run", "--explain", "--ldd"], "kill 1");
        assert_eq!(r.result(), "EPERM");
        assert!(r.stderr.contains("signal to 1"), "{}", r.stderr);
        assert!(r.stderr.contains("--unrestricted-scoped"), "{}", r.stderr);
        let name = format!("landlocked-explain-{}", std::process::id());
        let _listener = std::os::unix::net::UnixListener::bind_addr(
            &<std::os::unix::net::SocketAddr as std::os::linux::net::SocketAddrExt>::from_abstract_name(&name).unwrap(),
        )
        .unwrap();
        let r = helper(&["run", "--explain", "--ldd"], &format!("abstract {name}"));
        assert_eq!(r.result(), "EPERM");
        assert!(r.stderr.contains(&format!("abstract_unix_socket @{name}")), "{}", r.stderr);
    }
}

#[test]
fn where_ptrace_is_refused_one_line_says_so_and_the_status_is_125() {
    for args in
        [&["learn", "--", "/bin/true"][..], &["run", "--explain", "--rox", "/", "--", "/bin/true"]]
    {
        let r = failing_syscalls(PTRACE..=PTRACE, libc::EPERM as u32, args, &[]);
        assert_eq!(r.code, 125, "{args:?}: {}", r.stderr);
        assert!(r.error_line().contains("ptrace is not allowed here"), "{}", r.stderr);
    }
}

const AUDIT_LOG: &str = r#"type=LANDLOCK_ACCESS msg=audit(1729738800.221:33): domain=1a6fdc679 blockers=fs.write_file path="/dev/tty" dev="devtmpfs" ino=9
type=LANDLOCK_DOMAIN msg=audit(1729738800.221:33): domain=1a6fdc679 status=allocated mode=enforcing pid=289 uid=0 exe="/root/sandboxer" comm="sandboxer"
type=SYSCALL msg=audit(1729738800.221:33): arch=c000003e syscall=257 success=no exit=-13 ppid=272 pid=289 comm="sh"
type=LANDLOCK_ACCESS msg=audit(1729738800.221:34): domain=1a6fdc679 blockers=fs.read_file path="/etc/passwd" dev="vda2" ino=143821
type=LANDLOCK_ACCESS msg=audit(1729738800.222:35): domain=1a6fdc679 blockers=fs.read_file path="/etc/passwd" dev="vda2" ino=143821
type=LANDLOCK_DOMAIN msg=audit(1729738800.261:36): domain=1a6fdc679 status=deallocated denials=3
"#;

#[test]
fn denials_summarises_audit_records_from_a_file_or_standard_input() {
    let dir = temp_dir("denials");
    let log = dir.join("audit.log");
    std::fs::write(&log, AUDIT_LOG).unwrap();
    let r = Run::of(landlocked().args(["denials", s(&log)]).output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "domain 1a6fdc679: /root/sandboxer (pid 289, uid 0): 3 denials logged, 3 in all"
    );
    assert_eq!(lines[1].trim(), "2x fs.read_file /etc/passwd");
    assert_eq!(lines[2].trim(), "1x fs.write_file /dev/tty");
    // Standard input, JSON.
    use std::io::Write as _;
    let mut child = landlocked()
        .args(["denials", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(AUDIT_LOG.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc[0]["domain"], "1a6fdc679");
    assert_eq!(doc[0]["blocked"][0]["count"], 2);
    // No records, and a file that cannot be read.
    let none = dir.join("none");
    std::fs::write(&none, "type=SYSCALL msg=audit(1.2:3): arch=c000003e\n").unwrap();
    let r = Run::of(landlocked().args(["denials", s(&none)]).output().unwrap());
    assert_eq!((r.code, r.stdout.trim()), (0, "no Landlock audit records (types 1423, 1424)"));
    let r = Run::of(landlocked().args(["denials", "/nonexistent/audit.log"]).output().unwrap());
    assert_eq!(r.code, 125);
    assert!(r.error_line().contains("/nonexistent/audit.log: cannot read"), "{}", r.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The policy `learn -o` wrote for `script`, run by `/bin/sh`, with `args` before.
fn learned(dir: &Path, args: &[&str], script: &str) -> (Run, String) {
    let policy = dir.join("policy.toml");
    let _ = std::fs::remove_file(&policy);
    let mut all = vec!["learn", "-o", s(&policy)];
    all.extend(args);
    let run = sh(&all, script);
    let text = std::fs::read_to_string(&policy).unwrap_or_default();
    (run, text)
}

#[test]
fn learn_never_grants_a_whole_directory_that_holds_more_than_programs() {
    use std::os::unix::fs::PermissionsExt;
    landlock();
    let dir = temp_dir("wide");
    // A program in a directory anyone may write, a file named like a library that is not one.
    let shared = dir.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::copy("/bin/true", shared.join("tool")).unwrap();
    std::fs::write(dir.join("notes.so"), "text").unwrap();
    let script = format!("{0}/tool && cat {1}/notes.so", s(&shared), s(&dir));
    let (run, text) = learned(&dir, &[], &script);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!text.contains(&format!("parent = [\"{}\"]", s(&shared))), "{text}");
    assert!(!text.contains(&format!("parent = [\"{}\"]", s(&dir))), "{text}");
    assert!(text.contains(&format!("parent = [\"{}/tool\"]", s(&shared))), "{text}");
    assert!(text.contains(&format!("parent = [\"{}/notes.so\"]", s(&dir))), "{text}");
    // A write to the process's own /proc file: on /proc/self, never write on /proc.
    let (run, text) = learned(&dir, &[], "echo 0 > /proc/self/oom_score_adj");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(text.contains("parent = [\"/proc/self/oom_score_adj\"]"), "{text}");
    let proc_rule = text.split("[[path_beneath]]").find(|r| r.contains("parent = [\"/proc\"]"));
    assert!(proc_rule.is_none_or(|r| !r.contains("write_file")), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn learn_in_a_sandbox_does_not_learn_what_file_permissions_refuse_anyway() {
    landlock();
    let dir = temp_dir("dac");
    let not_executable = dir.join("plain");
    std::fs::write(&not_executable, "#!/bin/sh\n").unwrap();
    let script = format!("{}; exit 0", s(&not_executable));
    let (run, text) =
        learned(&dir, &["--ldd", "--rox", "/usr", "--rox", "/bin", "--rox", "/lib"], &script);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!text.contains(&format!("parent = [\"{}\"]", s(&not_executable))), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_hostile_program_cannot_crash_the_tracer_nor_break_the_policy_text() {
    landlock();
    let r = helper(&["learn", "-o", "/dev/stdout"], "syscall sendmmsg-bogus");
    assert_eq!(r.code, 125, "not a regular file: {}", r.stderr);
    let dir = temp_dir("hostile");
    let policy = dir.join("p.toml");
    let r = helper(&["learn", "-o", s(&policy)], "syscall sendmmsg-bogus");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.result().starts_with("errno") || r.result() == "EBADF", "{}", r.result());
    // An escape and a carriage return in the command line, written in the policy's header.
    let (run, _) = learned(&dir, &[], "cat /etc/hostname >/dev/null # \u{1b}[2J\r");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let again = sh(&["run", "--policy", s(&dir.join("policy.toml"))], "cat /etc/hostname");
    assert_eq!(again.code, 0, "the learned policy loads: {}", again.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_run_s_syscall_filter_does_not_stop_the_tracer() {
    landlock();
    let r = sh(&["run", "--explain", "--rox", "/", "--syscall-filter", "~seccomp"], "exit 5");
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("explain: the sandbox denied nothing"), "{}", r.stderr);
}

#[test]
fn sigint_once_the_command_ended_ends_what_it_left_running() {
    let mut child = landlocked()
        .args(["run", "--explain", "--rox", "/", "--", "/bin/sh", "-c", "sleep 60 & exit 3"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    // The command ends at once; its background job would hold the trace for a minute.
    let mut status = None;
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        // SAFETY: signalling the child started above.
        unsafe { libc::kill(pid, libc::SIGINT) };
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
    }
    let Some(status) = status else {
        child.kill().unwrap();
        panic!("landlocked did not end on SIGINT");
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("SIGINT killed the 1 process it left running"), "{stderr}");
}

#[cfg(target_arch = "x86_64")]
#[test]
fn syscalls_of_another_architecture_are_counted_and_said() {
    let r = helper(&["learn", "-o", "/dev/stdout"], "syscall i386-getpid");
    assert_eq!(r.code, 125);
    let dir = temp_dir("i386");
    let r = helper(&["learn", "-o", s(&dir.join("p.toml"))], "syscall i386-getpid");
    assert_eq!(r.result(), "ok", "{}", r.stderr);
    assert!(
        r.stderr.contains("syscalls of another architecture (32-bit) were not looked at"),
        "{}",
        r.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Learning and explaining need no privilege: run as `nobody` when the tests run as root (as
/// in CI), as they are otherwise.
#[test]
fn learn_and_explain_work_as_an_ordinary_user() {
    use std::os::unix::fs::PermissionsExt;
    landlock();
    // A copy nobody can execute, wherever the checkout is.
    let dir = temp_dir("user");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.join("landlocked");
    std::fs::copy(env!("CARGO_BIN_EXE_landlocked"), &copy).unwrap();
    let as_user = |args: &[&str]| {
        // SAFETY: geteuid has no precondition.
        let mut cmd = if unsafe { libc::geteuid() } == 0 {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(&copy);
            c
        } else {
            landlocked()
        };
        cmd.args(args).env_remove("LL_FS_RO").env_remove("LL_FS_RW");
        Run::of(cmd.output().unwrap())
    };
    let learned = as_user(&["learn", "--", "/bin/cat", "/etc/hostname"]);
    assert_eq!(learned.code, 0, "{}", learned.stderr);
    assert!(learned.stdout.contains("parent = [\"/etc/hostname\"]"), "{}", learned.stdout);
    let explained =
        as_user(&["run", "--explain", "--ldd", "--rox", "/usr", "--", "/bin/cat", "/etc/hostname"]);
    assert_eq!(explained.code, 1, "cat's status: {}", explained.stderr);
    assert!(
        explained.stderr.contains("read_file /etc/hostname (cat: openat): --ro /etc/hostname"),
        "{}",
        explained.stderr
    );
}
