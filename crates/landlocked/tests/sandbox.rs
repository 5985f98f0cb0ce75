//! The builder and the Command hook on the running kernel. Every restriction happens in a child
//! (a spawned command or a forked process): the test process itself stays unrestricted.

use std::path::{Path, PathBuf};
use std::process::Command;

use landlocked::{
    AccessFs, AccessNet, CommandExt, Compat, Error, Handled, Kernel, Sandbox, Status,
};

/// The system directories a dynamically linked program needs to start.
const SYSTEM: &[&str] = &["/usr", "/lib", "/lib64", "/bin", "/etc"];

fn system() -> Vec<&'static str> {
    SYSTEM.iter().copied().filter(|p| Path::new(p).exists()).collect()
}

/// The running kernel's ABI. These tests restrict real children: without Landlock they fail,
/// saying so, rather than pass without testing anything (`cargo xtask vmtest` runs the same
/// promises on kernels without it).
fn landlock_abi() -> landlocked::Abi {
    let kernel = Kernel::probe();
    kernel.support.abi().unwrap_or_else(|| panic!("these tests need Landlock: {}", kernel.support))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landlocked-lib-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Forks, runs `f` in the child, and returns its exit code.
fn in_child(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child runs `f` and leaves with `_exit`, touching nothing the fork could have
    // left locked but the allocator, which glibc makes usable after fork.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let code = f();
        // SAFETY: leaving the child without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "the child died: {status}");
    libc::WEXITSTATUS(status)
}

#[test]
fn a_sandboxed_command_reads_only_what_it_is_allowed() {
    landlock_abi();
    let dir = temp_dir("cmd");
    let allowed = dir.join("allowed");
    let denied = dir.join("denied");
    std::fs::create_dir_all(&allowed).unwrap();
    std::fs::write(allowed.join("f"), "yes").unwrap();
    std::fs::write(&denied, "no").unwrap();

    let mut sandbox = Sandbox::new();
    sandbox.read_exec(system()).read([&allowed]);
    let run = |path: &Path| {
        let mut cmd = Command::new("cat");
        cmd.arg(path);
        let report = cmd.sandbox(&sandbox).unwrap();
        assert_eq!(report.status(), Status::Full);
        cmd.output().unwrap()
    };
    let out = run(&allowed.join("f"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"yes");
    let out = run(&denied);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));
    // The parent is not restricted.
    assert_eq!(std::fs::read(&denied).unwrap(), b"no");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_command_hook_can_spawn_twice() {
    landlock_abi();
    let dir = temp_dir("twice");
    let secret = dir.join("secret");
    std::fs::write(&secret, "no").unwrap();
    let mut cmd = Command::new("cat");
    cmd.arg(&secret);
    let _ = cmd.sandbox(Sandbox::new().read_exec(system())).unwrap();
    // Both children are sandboxed: each starts (the system is allowed) and is denied the file.
    for spawn in ["first", "second"] {
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "the {spawn} child read the file");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Permission denied"), "the {spawn} child: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_rule_on_an_open_directory_follows_the_directory_not_its_path() {
    landlock_abi();
    let dir = temp_dir("fd");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("a/f"), "a").unwrap();
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::write(dir.join("b/f"), "b").unwrap();
    let handle = std::fs::File::open(dir.join("a")).unwrap();
    let mut sandbox = Sandbox::new();
    sandbox.allow_fd(&handle, AccessFs::READ);
    drop(handle);
    // The directory the descriptor names moves; its old name now holds another one.
    std::fs::rename(dir.join("a"), dir.join("moved")).unwrap();
    std::fs::rename(dir.join("b"), dir.join("a")).unwrap();
    let code = in_child(|| {
        if sandbox.restrict_self().is_err() {
            return 10;
        }
        match (std::fs::read(dir.join("moved/f")), std::fs::read(dir.join("a/f"))) {
            (Ok(a), Err(e)) if a == b"a" && e.raw_os_error() == Some(libc::EACCES) => 0,
            _ => 11,
        }
    });
    assert_eq!(code, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn restrict_self_in_a_child() {
    landlock_abi();
    let dir = temp_dir("self");
    std::fs::write(dir.join("f"), "x").unwrap();
    let outside = temp_dir("self-outside");
    std::fs::write(outside.join("g"), "x").unwrap();
    let code = in_child(|| {
        let report = match landlocked::restrict_paths([&dir], Vec::<&Path>::new()) {
            Ok(r) => r,
            Err(_) => return 10,
        };
        if report.status() != Status::Full {
            return 11;
        }
        if std::fs::read(dir.join("f")).is_err() {
            return 12;
        }
        match std::fs::read(outside.join("g")) {
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => {}
            _ => return 13,
        }
        // Write access was not granted beneath `dir`.
        match std::fs::write(dir.join("new"), "x") {
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => 0,
            _ => 14,
        }
    });
    assert_eq!(code, 0);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&outside).unwrap();
}

#[test]
fn a_missing_path_is_named_and_nothing_is_enforced() {
    let missing = Path::new("/nonexistent/landlocked-test");
    let err = Sandbox::new().read(["/usr"]).read_write([missing]).prepare().unwrap_err();
    let Error::Rule { index, rule, .. } = &err else { panic!("{err}") };
    assert_eq!(*index, 1);
    assert_eq!(rule.target().to_string(), missing.display().to_string());
    assert_eq!(
        err.to_string(),
        "/nonexistent/landlocked-test: cannot open: No such file or directory (ENOENT)"
    );
    let err = Sandbox::new()
        .rule(landlocked::Rule::path(missing, landlocked::AccessFs::READ).origin("--ro"))
        .prepare()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "--ro: /nonexistent/landlocked-test: cannot open: No such file or directory (ENOENT)"
    );
}

#[test]
fn missing_paths_can_be_skipped() {
    let missing = Path::new("/nonexistent/landlocked-test");
    let prepared =
        Sandbox::new().read([Path::new("/usr"), missing]).ignore_missing(true).prepare().unwrap();
    let skipped = prepared.report().skipped();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].rule.target().to_string(), missing.display().to_string());
    assert_eq!(skipped[0].errno, landlocked::Errno::ENOENT);
}

#[test]
fn non_utf8_paths_work() {
    use std::os::unix::ffi::OsStrExt;
    landlock_abi();
    let dir = temp_dir("bytes");
    let odd = dir.join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(odd.join("f"), "x").unwrap();
    let code = in_child(|| {
        if Sandbox::new().read([&odd]).restrict_self().is_err() {
            return 10;
        }
        if std::fs::read(odd.join("f")).is_ok() { 0 } else { 11 }
    });
    assert_eq!(code, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn strict_requests_fail_in_the_parent() {
    let abi = landlock_abi();
    let mut sandbox = Sandbox::new();
    sandbox.bind_udp([5353]).compat(Compat::Strict);
    let result = sandbox.prepare();
    if AccessNet::for_abi(abi).contains(AccessNet::BIND_UDP) {
        assert!(result.is_ok());
    } else {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Enforce(landlocked::EnforceError::Unsupported { .. })));
        assert!(err.to_string().contains("bind_udp"), "{err}");
        // Best effort says the same in its report.
        let report = sandbox.compat(Compat::BestEffort).prepare().unwrap().report().clone();
        assert_eq!(report.status(), Status::Partial);
        assert!(report.warning().unwrap().contains("bind_udp"));
    }
    let err = Sandbox::new().min_abi(landlocked::Abi::LATEST).prepare();
    assert_eq!(err.is_ok(), abi == landlocked::Abi::LATEST);
}

#[test]
fn groups_are_not_reported_for_rights_the_kernel_lacks() {
    // Negotiated as for an ABI 4 kernel, which the running one (if it has ABI 4 or more) accepts.
    let abi = landlock_abi();
    assert!(abi >= landlocked::Abi::V4, "this test needs a kernel with Landlock ABI 4 or later");
    let v4 = Kernel::with_abi(landlocked::Abi::V4, landlocked::Errata::empty());
    // read_write includes ioctl_dev and resolve_unix, which ABI 4 cannot restrict: no matter.
    let prepared = Sandbox::new().read_write(["/tmp"]).prepare_on(&v4).unwrap();
    assert_eq!(prepared.report().status(), Status::Full);
    // A rule made only of such a right is reported: what it asks for cannot be done.
    let prepared = Sandbox::new().unix_sockets(["/tmp"]).prepare_on(&v4).unwrap();
    assert_eq!(prepared.report().status(), Status::Partial);
    assert_eq!(prepared.report().missing().fs, landlocked::AccessFs::RESOLVE_UNIX);
    // A policy that names its rights gets them reported.
    let mut explicit = Sandbox::empty();
    explicit.handle_fs(landlocked::Handled::Only(landlocked::AccessFs::all()));
    let prepared = explicit.read_write(["/tmp"]).prepare_on(&v4).unwrap();
    assert!(prepared.report().missing().fs.contains(landlocked::AccessFs::IOCTL_DEV));
}

#[test]
fn for_abi_pins_what_is_handled_whatever_the_kernel() {
    use landlocked::Abi;
    let abi = landlock_abi();
    assert!(abi >= Abi::V5, "this test needs a kernel with Landlock ABI 5 or later");
    // As negotiated with an ABI 5 and an ABI 3 kernel: Sandbox::new follows the kernel,
    // for_abi(2) does not.
    let v5 = Kernel::with_abi(Abi::V5, landlocked::Errata::empty());
    let v3 = Kernel::with_abi(Abi::V3, landlocked::Errata::empty());
    let requested = |sandbox: &Sandbox, kernel: &Kernel| {
        sandbox.prepare_on(kernel).unwrap().report().domain().fs.requested
    };
    let mut new = Sandbox::new();
    new.read_write(["/tmp"]);
    assert!(requested(&new, &v5).contains(AccessFs::IOCTL_DEV | AccessFs::TRUNCATE));
    assert!(!requested(&new, &v3).contains(AccessFs::IOCTL_DEV));
    let enforced = |sandbox: &Sandbox, kernel: &Kernel| {
        sandbox.prepare_on(kernel).unwrap().report().domain().fs.enforced
    };
    let mut pinned = Sandbox::for_abi(Abi::V2);
    pinned.read_write(["/tmp"]);
    let fs = requested(&pinned, &v5);
    assert!(!fs.intersects(AccessFs::IOCTL_DEV | AccessFs::TRUNCATE), "{fs:?}");
    assert_eq!(fs, requested(&pinned, &v3));
    assert_eq!(fs, AccessFs::for_abi(Abi::V2));
    // A rule of truncate alone asks truncate restricted, which ABI 2 cannot: restricted on no
    // kernel, and said.
    pinned.allow_path("/tmp", AccessFs::TRUNCATE);
    for kernel in [&v3, &v5] {
        assert_eq!(enforced(&pinned, kernel), AccessFs::for_abi(Abi::V2));
        let report = pinned.prepare_on(kernel).unwrap().report().clone();
        assert_eq!(report.beyond_pin().fs, AccessFs::TRUNCATE);
        assert_eq!(report.status(), Status::Partial);
    }
    // Handling "everything supported" under a pin is the pin's, whatever the kernel: nothing of
    // the network under ABI 2, no scope under ABI 5, never reported (as Supported never is).
    let v7 = Kernel::with_abi(Abi::V7, landlocked::Errata::empty());
    let mut supported = Sandbox::for_abi(Abi::V2);
    supported.read(["/usr"]).handle_net(Handled::Supported);
    let mut scopes = Sandbox::for_abi(Abi::V5);
    scopes.read(["/usr"]).handle_scopes(Handled::Supported);
    for kernel in [&v5, &v7] {
        let report = supported.prepare_on(kernel).unwrap().report().clone();
        assert_eq!(report.domain().net.requested, AccessNet::empty());
        assert_eq!(report.status(), Status::Full);
        let report = scopes.prepare_on(kernel).unwrap().report().clone();
        assert_eq!(report.domain().scoped.requested, landlocked::Scope::empty());
        assert_eq!(report.status(), Status::Full);
    }
    // A rule of resolve_unix alone (ABI 9) under ABI 7: said, as a UDP rule is.
    let mut sockets = Sandbox::for_abi(Abi::V7);
    sockets.read(["/usr"]).unix_sockets(["/tmp"]);
    let report = sockets.prepare_on(&v7).unwrap().report().clone();
    assert_eq!(report.beyond_pin().fs, AccessFs::RESOLVE_UNIX);
    assert_eq!(report.status(), Status::Partial);
    // Network rights asked within the pin only: UDP is not an ABI 7 right, so no kernel
    // restricts it, and the report says so (never a quiet "full").
    let mut pinned = Sandbox::for_abi(Abi::V7);
    pinned.restrict_net(AccessNet::all()).bind_udp([53]);
    let v10 = Kernel::with_abi(Abi::V10, landlocked::Errata::empty());
    let udp = AccessNet::BIND_UDP | AccessNet::CONNECT_SEND_UDP;
    for kernel in [&v7, &v10] {
        let report = pinned.prepare_on(kernel).unwrap().report().clone();
        assert_eq!(report.domain().net.enforced, AccessNet::TCP);
        assert_eq!(report.status(), Status::Partial);
        assert_eq!(report.domain().status(), Status::Partial, "the domain's own reading too");
        assert_eq!((report.beyond_pin().abi, report.beyond_pin().net), (Some(Abi::V7), udp));
        assert!(report.missing().net.contains(udp));
        let warning = report.warning().unwrap();
        assert!(warning.contains("(beyond the pinned ABI 7)"), "{warning}");
        let line = report.to_string();
        assert!(
            line.contains("partly enforced") && line.contains("of which net: bind_udp"),
            "{line}"
        );
    }
    // Strict, that is an error before anything is enforced.
    pinned.compat(landlocked::Compat::Strict);
    let e = pinned.prepare_on(&v7).unwrap_err();
    assert!(matches!(e, landlocked::Error::BeyondPin(_)), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("the sandbox is pinned to Landlock ABI 7, which cannot restrict net: "),
        "{e}"
    );
    // Pinned before network rules existed, a restricted network is restricted nowhere: said.
    let mut old = Sandbox::for_abi(Abi::V2);
    old.read(["/usr"]).restrict_net(AccessNet::TCP);
    let v2 = Kernel::with_abi(Abi::V2, landlocked::Errata::empty());
    let report = old.prepare_on(&v2).unwrap().report().clone();
    assert_eq!(report.status(), Status::Partial);
    assert_eq!(report.beyond_pin().net, AccessNet::TCP);
    // Logging and quiet flags as the pin has them: a logging flag of ABI 7 under ABI 5, quiet
    // rules and rights (ABI 10) under ABI 7, are set on no kernel, and said.
    let v11 = Kernel::with_abi(Abi::V11, landlocked::Errata::empty());
    let mut logged = Sandbox::for_abi(Abi::V5);
    logged.read(["/usr"]).log(landlocked::RestrictSelfFlags::LOG_NEW_EXEC_ON);
    let mut quiet = Sandbox::for_abi(Abi::V7);
    quiet
        .read(["/usr"])
        .rule(landlocked::Rule::path("/tmp", AccessFs::READ_FILE).quiet(true))
        .quiet(AccessFs::READ_FILE, AccessNet::empty(), landlocked::Scope::empty());
    for kernel in [&v7, &v11] {
        let report = logged.prepare_on(kernel).unwrap().report().clone();
        assert_eq!(report.domain().log.enforced, landlocked::RestrictSelfFlags::empty());
        assert_eq!(report.beyond_pin().log, landlocked::RestrictSelfFlags::LOG_NEW_EXEC_ON);
        assert_eq!(report.status(), Status::Partial);
        let report = quiet.prepare_on(kernel).unwrap().report().clone();
        assert!(!report.domain().quiet_rules.enforced && report.beyond_pin().quiet_rules);
        assert_eq!(report.domain().quiet_fs.enforced, AccessFs::empty());
        assert_eq!(report.beyond_pin().quiet_fs, AccessFs::READ_FILE);
        assert_eq!(report.status(), Status::Partial);
    }
    // Within the pin, nothing is beyond it.
    let mut within = Sandbox::for_abi(Abi::V7);
    within.read(["/usr"]).restrict_net(AccessNet::TCP).bind_tcp([80]);
    let report = within.prepare_on(&v7).unwrap().report().clone();
    assert!(report.beyond_pin().is_empty());
    assert_eq!(report.status(), Status::Full);
}

#[test]
fn restricting_on_top_of_everything_supported_still_acts() {
    let abi = landlock_abi();
    assert!(abi >= landlocked::Abi::V4, "this test needs a kernel with Landlock ABI 4 or later");
    let v7 = Kernel::with_abi(landlocked::Abi::V7, landlocked::Errata::empty());
    let mut sandbox = Sandbox::new();
    sandbox.handle_net(Handled::Supported).restrict_net(AccessNet::BIND_UDP);
    if abi >= landlocked::Abi::V7 {
        let report = sandbox.prepare_on(&v7).unwrap().report().clone();
        // Everything the kernel supports, plus UDP binding, which it cannot restrict: reported.
        assert_eq!(report.domain().net.requested, AccessNet::TCP | AccessNet::BIND_UDP);
        assert_eq!(report.missing().net, AccessNet::BIND_UDP);
    }
}
