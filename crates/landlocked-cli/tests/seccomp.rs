//! `landlocked run` and its seccomp layer: the network completed where Landlock falls short,
//! `--syscall-filter`, and kernels without Landlock or without seccomp (simulated with a filter
//! of this test's own that makes those syscalls fail).

mod support;

use std::net::TcpListener;

use landlocked_core::{Abi, AccessNet};
use support::*;

/// Not a test: the operation a sandboxed copy of this binary performs.
#[test]
fn helper_entry() {
    support::helper_entry();
}

/// `landlocked run OPTIONS` on the helper performing `op`, the helper's needs granted.
fn run(options: &[&str], op: &str) -> Run {
    sandboxed(options, op)
}

fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    (l, port)
}

#[test]
fn mptcp_and_other_sockets_are_denied_by_default() {
    let abi = landlock();
    let (_listener, port) = listener();
    let mptcp = format!("socket 2 1 262 {port}");
    // The network left alone: MPTCP connects (the hole this closes).
    let open = run(&["--unrestricted-network"], &mptcp);
    assert_eq!(open.result(), "ok", "{}", open.stderr);
    // Restricted (the default, or a port option): it cannot even make the socket.
    assert_eq!(run(&[], &mptcp).result(), "EACCES");
    let r = run(&["--connect-tcp", &port], &mptcp);
    assert_eq!(r.result(), "EACCES");
    // Plain TCP to the allowed port works where Landlock restricts TCP by port.
    let tcp = run(&["--connect-tcp", &port], &format!("socket 2 1 0 {port}"));
    assert_eq!(tcp.result(), "ok", "{}", tcp.stderr);
    for (socket, what) in [("40 1 0", "vsock"), ("2 5 132", "SCTP"), ("2 2 1", "ping")] {
        let r = run(&["--connect-tcp", &port], &format!("socket {socket}"));
        assert_eq!(r.result(), "EACCES", "{what}");
    }
    assert_eq!(run(&[], "socket 1 1 0").result(), "ok", "unix sockets are not network");
    assert_eq!(run(&[], "syscall io_uring_setup").result(), "EACCES");
    // Nothing said about MPTCP: it is closed.
    assert!(!r.stderr.contains("MPTCP"), "{}", r.stderr);
    if abi < Abi::V10 {
        // UDP is denied outright, and the report says which layer does it.
        let r = run(&["--verbose"], "send-udp 9");
        assert_eq!(r.result(), "EACCES");
        let said = format!("seccomp: bind_udp, connect_send_udp (Landlock ABI {abi} cannot)");
        assert!(r.stderr.contains(&said), "{}", r.stderr);
        assert!(!r.stderr.contains("warning"), "{}", r.stderr);
        // With a UDP port allowed, UDP stays Landlock's, reported as not enforced.
        let r = run(&["--bind-udp", "5353"], "send-udp 9");
        assert_eq!(r.result(), "ok");
        assert!(r.stderr.contains("not enforced: net: bind_udp, connect_send_udp"), "{}", r.stderr);
    }
    if AccessNet::for_abi(abi).contains(AccessNet::TCP) {
        let r = run(&["--verbose"], "socket 2 1 0");
        assert!(!r.stderr.contains("bind_tcp"), "TCP is Landlock's here: {}", r.stderr);
    }
}

#[test]
fn syscall_filters_as_systemd_writes_them() {
    landlock();
    assert_eq!(run(&["--syscall-filter", "~uname"], "syscall uname").result(), "EPERM");
    let r = run(&["--syscall-filter", "~uname", "--syscall-errno", "ENOSYS"], "syscall uname");
    assert_eq!(r.result(), "ENOSYS");
    let r = run(&["--syscall-filter", "~@mount uname:EBADF"], "syscall uname");
    assert_eq!(r.result(), "EBADF");
    // An allow-list, narrowed by a second line.
    let allow = ["--syscall-filter", "@system-service"];
    assert_eq!(run(&allow, "syscall uname").result(), "ok");
    let narrowed = [&allow[..], &["--syscall-filter", "~uname"]].concat();
    assert_eq!(run(&narrowed, "syscall uname").result(), "EPERM");
    // kill: the helper dies of SIGSYS (landlocked has become it).
    let r = run(&["--syscall-filter", "~uname", "--syscall-errno", "kill"], "syscall uname");
    assert_eq!(r.code, -1, "killed: {}", r.stderr);
    let r = run(&["--syscall-filter", "~uname", "--verbose"], "syscall uname");
    assert!(r.stderr.contains("syscall filter"), "{}", r.stderr);
    // Bad specifications: exit 125, one line naming them.
    for (spec, named) in [
        ("reed", "no system call \"reed\""),
        ("@nope", "no system call group \"@nope\""),
        ("", "empty"),
        ("read:EPERM", "only to denied entries"),
        ("~read:EWHAT", "\"EWHAT\": not an error name"),
    ] {
        let r = run(&["--syscall-filter", spec], "syscall uname");
        assert_eq!(r.code, 125, "{spec:?}: {}", r.stderr);
        assert!(r.error_line().contains(named), "{spec:?}: {}", r.stderr);
    }
    let r = run(&["--syscall-filter", "~uname", "--syscall-errno", "0"], "syscall uname");
    assert!(r.error_line().contains("--syscall-errno"), "{}", r.stderr);
    let mut cmd = landlocked();
    let r = Run::of(cmd.args(["run", "--syscall-errno", "EPERM", "--", "true"]).output().unwrap());
    assert!(r.error_line().contains("--syscall-filter"), "{}", r.stderr);
    // With the sample's variables too.
    let ro = std::env::current_exe().unwrap();
    let exe = ro.to_str().unwrap();
    let mut cmd = landlocked();
    cmd.args(["run", "--syscall-filter", "~uname", "--"]).args(helper_args_after(&ro));
    cmd.env("LL_FS_RO", format!("/:{exe}")).env("LL_FS_RW", "").env(OP, "syscall uname");
    assert_eq!(Run::of(cmd.output().unwrap()).result(), "EPERM");
}

/// The helper's arguments after `--`.
fn helper_args_after(exe: &std::path::Path) -> Vec<&std::ffi::OsStr> {
    helper_args(exe).into_iter().skip(1).collect()
}

#[cfg(target_arch = "x86_64")]
#[test]
fn other_entry_points_are_killed() {
    landlock();
    let plain = run(&["--unrestricted-network"], "syscall i386-getpid");
    assert_eq!(plain.result(), "ok", "no i386 entry point on this kernel: {}", plain.stderr);
    for options in [&[][..], &["--syscall-filter", "~mount"]] {
        for op in ["syscall i386-getpid", "syscall x32-getpid"] {
            let r = run(options, op);
            assert_eq!(r.code, -1, "{options:?} {op}: {} {}", r.stdout, r.stderr);
            assert!(!r.stdout.contains("RESULT"), "{op}: {}", r.stdout);
        }
    }
}

/// `landlocked ARGS` on the helper performing `op`, the syscalls numbered `numbers` failing
/// with `errno`.
fn failing(numbers: &[u32], errno: i32, args: &[&str], op: &str) -> Run {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = landlocked();
    cmd.args(args).args(helper_args(&exe)).env(OP, op);
    fail_syscalls(&mut cmd, numbers, errno as u32);
    Run::of(cmd.output().unwrap())
}

const LANDLOCK: [u32; 3] = [444, 445, 446];

#[test]
fn a_network_only_sandbox_is_still_a_landlock_domain() {
    landlock();
    let parent = std::process::id().to_string();
    let fs_open = ["--unrestricted-filesystem", "--unrestricted-scoped"];
    // Landlock has nothing left to restrict, yet the process is in a domain: it cannot trace
    // (and so drive) a process outside the sandbox. Unsandboxed, it can.
    let mut cmd = landlocked();
    let exe = std::env::current_exe().unwrap();
    cmd.arg("run").args(fs_open).args(helper_args(&exe)).env(OP, format!("ptrace {parent}"));
    let r = Run::of(cmd.output().unwrap());
    assert_eq!(r.result(), "EPERM", "{}", r.stderr);
    let mut cmd = landlocked();
    cmd.args(["run", "--best-effort", "--unrestricted-network"]).args(fs_open);
    cmd.args(helper_args(&exe)).env(OP, format!("ptrace {parent}"));
    assert_eq!(Run::of(cmd.output().unwrap()).result(), "ok");
}

#[test]
fn without_landlock_seccomp_alone_runs_only_in_best_effort() {
    let fs_open = ["run", "--unrestricted-filesystem", "--unrestricted-scoped"];
    // A network-only sandbox without Landlock is no sandbox one can rely on (it could trace
    // other processes of its user): refused, strict or not.
    for strict in [&[][..], &["--strict"]] {
        let args = [&fs_open[..], strict].concat();
        let r = failing(&LANDLOCK, libc::ENOSYS, &args, "socket 2 1 0");
        assert_eq!(r.code, 125, "{}", r.stderr);
        assert!(r.error_line().contains("not built"), "{}", r.stderr);
    }
    // In best effort seccomp still denies the network, and the warning says what is missing.
    let best = [&fs_open[..], &["--best-effort", "--quiet"]].concat();
    let r = failing(&LANDLOCK, libc::ENOSYS, &best, "socket 2 1 0");
    assert_eq!(r.result(), "EACCES", "{}", r.stderr);
    assert!(r.stderr.contains("Landlock is not built into this kernel: seccomp: "), "{}", r.stderr);
    assert!(r.stderr.contains("can trace other processes"), "{}", r.stderr);
    // The filesystem left to its default: the warning names everything missing.
    let r = failing(&LANDLOCK, libc::ENOSYS, &["run", "--unrestricted-scoped"], "read /");
    assert_eq!(r.code, 125, "the filesystem must not go unsandboxed silently: {}", r.stderr);
    let args = ["run", "--rox", "/", "--syscall-filter", "~uname"];
    let r = failing(&LANDLOCK, libc::EOPNOTSUPP, &args, "read /");
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert!(r.error_line().contains("disabled"), "{}", r.stderr);
}

#[test]
fn without_seccomp_what_it_would_do_is_said_or_refused() {
    let abi = landlock();
    let seccomp = libc::SYS_seccomp as u32;
    // The syscall filter is refused unless best effort, before anything runs.
    let args = ["run", "--rox", "/", "--syscall-filter", "~uname"];
    let r = failing(&[seccomp], libc::ENOSYS, &args, "syscall uname");
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert!(r.error_line().contains("cannot install seccomp filters"), "{}", r.stderr);
    assert!(!r.stdout.contains("RESULT"));
    let args = ["run", "--rox", "/", "--best-effort", "--syscall-filter", "~uname"];
    let r = failing(&[seccomp], libc::ENOSYS, &args, "syscall uname");
    assert_eq!(r.result(), "ok");
    assert!(r.stderr.contains("syscall filter (no seccomp filters)"), "{}", r.stderr);
    // The network: what seccomp would have closed is reported; strict refuses.
    let r = failing(&[seccomp], libc::ENOSYS, &["run", "--rox", "/"], "socket 1 1 0");
    assert_eq!(r.result(), "ok");
    let said = "other sockets and io_uring, TCP fast open (no seccomp filters)";
    assert!(r.stderr.contains(said), "{}", r.stderr);
    // Strict: refused, naming first what Landlock cannot do, then what seccomp cannot.
    let args = ["run", "--rox", "/", "--strict", "--unrestricted-scoped"];
    let r = failing(&[seccomp], libc::ENOSYS, &args, "socket 1 1 0");
    assert_eq!(r.code, 125, "{}", r.stderr);
    if abi < Abi::V10 {
        assert!(r.error_line().contains("connect_send_udp"), "{}", r.stderr);
    }
    let dir = temp_dir("seccomp-strict");
    let policy = dir.join("tcp.toml");
    let tcp = "[[ruleset]]\nhandled_access_net = [\"bind_tcp\", \"connect_tcp\"]\n";
    std::fs::write(&policy, tcp).unwrap();
    let args = ["run", "--strict", "--policy", s(&policy)];
    let r = failing(&[seccomp], libc::ENOSYS, &args, "socket 1 1 0");
    assert_eq!(r.code, 125, "{}", r.stderr);
    let said = "--strict: this kernel cannot install seccomp filters";
    assert!(r.error_line().contains(said), "{}", r.stderr);
    assert!(r.error_line().contains("MPTCP"), "{}", r.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_and_status_say_what_seccomp_does() {
    landlock();
    let dir = temp_dir("seccomp-check");
    let policy = dir.join("net.toml");
    std::fs::write(&policy, "[[ruleset]]\nhandled_access_net = [\"bind_tcp\", \"connect_tcp\"]\n")
        .unwrap();
    let r = Run::of(landlocked().arg("check").arg(&policy).output().unwrap());
    assert!(r.stdout.contains("seccomp: other sockets and io_uring"), "{}", r.stdout);
    let r = Run::of(landlocked().args(["check", "--json"]).arg(&policy).output().unwrap());
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["seccomp"]["sockets"]["enforced"], true, "{}", r.stdout);
    let r = Run::of(landlocked().args(["status", "--json"]).output().unwrap());
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["seccomp"], true);
    let r = Run::of(landlocked().args(["status", "--syscall-groups"]).output().unwrap());
    assert!(r.stdout.contains("@system-service\n    # General system service operations"));
    std::fs::remove_dir_all(&dir).unwrap();
}
