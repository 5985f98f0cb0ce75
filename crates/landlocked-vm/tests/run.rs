//! `landlocked-vm run` booting real kernels: a dynamic and a static program on x86_64 and on
//! aarch64 (there with this crate built static for it as the guest's init, and the dynamic
//! program's libraries from Debian's cross sysroot); the output
//! of both streams and the exit status pass through; what goes wrong in the guest is 125; cargo's
//! runner on both architectures.
//!
//! The kernels come from the cache (fetched on first use, as `landlocked-vm kernels fetch`).

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn vm(args: &[&str]) -> Run {
    vm_os(&args.iter().map(std::ffi::OsStr::new).collect::<Vec<_>>())
}

fn vm_os(args: &[&std::ffi::OsStr]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_landlocked-vm")).args(args).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("landlocked-vm-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A static C program (gcc and the C library's static archive, which `cargo xtask setup`
/// installs) that prints its argument on stdout, a line on stderr, and exits 3.
fn static_program(dir: &Path) -> PathBuf {
    c_program(dir, "gcc", &["-static"])
}

/// The same program compiled by `compiler` with `flags`.
fn c_program(dir: &Path, compiler: &str, flags: &[&str]) -> PathBuf {
    let source = dir.join("hello.c");
    std::fs::write(
        &source,
        "#include <stdio.h>\nint main(int c, char **v) { printf(\"arg %s\\n\", c > 1 ? v[1] : \"-\");\n\
         fprintf(stderr, \"to stderr\\n\"); return 3; }\n",
    )
    .unwrap();
    let program = dir.join(format!("hello-{compiler}"));
    let status = Command::new(compiler).args(flags).arg("-o").arg(&program).arg(&source).status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "{compiler} {flags:?} failed: cargo xtask setup installs gcc, libc6-dev, \
         gcc-aarch64-linux-gnu and libc6-dev-arm64-cross"
    );
    program
}

#[cfg(target_arch = "x86_64")]
#[test]
fn dynamic_and_static_programs_on_x86_64() {
    let r = vm(&[
        "run",
        "--kernel",
        "debian-6.1",
        "--",
        "/bin/sh",
        "-c",
        "echo out; echo err >&2; exit 7",
    ]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (Some(7), "out\n", "err\n"));
    // Empty arguments stay; a background job holding the pipes does not keep the status from
    // coming; the kernel's echo of its command line forges no frame and no panic.
    let r = vm(&[
        "run",
        "--kernel",
        "debian-6.1",
        "--append",
        "x=landlocked-vm:out:4641 y=\"Kernel panic\"",
        "--with",
        "/bin/sleep",
        "--",
        "/bin/sh",
        "-c",
        "printf '[%s]' \"$@\"; echo; sleep 1; (sleep 0.2; echo late) & sleep 1000 & exit 3",
        "sh",
        "",
        "a",
        "",
    ]);
    // What a job it left writes soon after the exit still comes (the quiet moment counts from
    // the exit, not from the last output a second before).
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (Some(3), "[][a][]\nlate\n", ""));
    // --with brings a program and its libraries; a signal is 128 + its number.
    let r = vm(&[
        "run",
        "--kernel",
        "debian-6.1",
        "--with",
        "/bin/cat",
        "--",
        "/bin/sh",
        "-c",
        "cat /proc/sys/kernel/osrelease; kill -9 $$",
    ]);
    assert_eq!(r.code, Some(137), "{}", r.stderr);
    assert!(r.stdout.starts_with("6.1."), "{}", r.stdout);
    // A static program in a directory whose name is not UTF-8.
    let dir = scratch("x86");
    let odd = dir.join(std::ffi::OsStr::from_bytes(b"not-utf8-\xff"));
    std::fs::create_dir_all(&odd).unwrap();
    let program = static_program(&odd);
    let r = vm_os(&[
        "run".as_ref(),
        "--kernel".as_ref(),
        "debian-7.3".as_ref(),
        "--".as_ref(),
        program.as_os_str(),
        "given".as_ref(),
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (Some(3), "arg given\n", "to stderr\n")
    );
    // --with HOST:GUEST puts a directory where the program looks for it, with its empty
    // directories and its links as links; the init has mounted securityfs and brought the
    // loopback interface up (flags IFF_UP | IFF_LOOPBACK). The shell runs through /bin/sh, a
    // link on the host (to dash): a link in the guest too.
    std::fs::create_dir_all(dir.join("data/sub")).unwrap();
    std::fs::create_dir_all(dir.join("data/empty")).unwrap();
    std::fs::write(dir.join("data/sub/real"), "noted\n").unwrap();
    std::os::unix::fs::symlink("real", dir.join("data/sub/note")).unwrap();
    let with = format!("{}:/srv/data", dir.join("data").display());
    let r = vm(&[
        "run",
        "--kernel",
        "debian-6.12",
        "--with",
        &with,
        "--with",
        "/bin/cat",
        "--",
        "/bin/sh",
        "-c",
        "test -L /srv/data/sub/note && test -d /srv/data/empty && cat /srv/data/sub/note \
         /sys/kernel/security/lsm; echo; cat /sys/class/net/lo/flags",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert_eq!((lines[0], lines[2]), ("noted", "0x9"), "{}", r.stdout);
    assert!(lines[1].split(',').any(|lsm| lsm == "landlock"), "{}", r.stdout);
    // A program whose library is beside it ($ORIGIN), run through a link from elsewhere: found
    // in the guest as on the host.
    let app = dir.join("app");
    std::fs::create_dir_all(app.join("lib")).unwrap();
    std::fs::write(app.join("lib.c"), "int answer(void) { return 42; }\n").unwrap();
    std::fs::write(
        app.join("main.c"),
        "int answer(void);\nint main(void) { return answer() - 37; }\n",
    )
    .unwrap();
    let gcc = |args: &[&str]| {
        let status = Command::new("gcc").current_dir(&app).args(args).status().unwrap();
        assert!(status.success(), "gcc {args:?}");
    };
    gcc(&["-shared", "-fPIC", "-o", "lib/libanswer.so", "lib.c"]);
    gcc(&["-o", "main", "main.c", "-Llib", "-lanswer", "-Wl,-rpath,$ORIGIN/lib"]);
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::os::unix::fs::symlink(app.join("main"), dir.join("bin/answer")).unwrap();
    let link = dir.join("bin/answer");
    let r = vm(&["run", "--kernel", "debian-6.12", "--", link.to_str().unwrap()]);
    assert_eq!(r.code, Some(5), "{}", r.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--accel kvm` runs the program under KVM where it works, and where a guest does not reach
/// its init within the watchdog (these machines: KVM hangs in early boot), under TCG, saying so.
#[cfg(target_arch = "x86_64")]
#[test]
fn kvm_is_tried_behind_a_watchdog() {
    let dir = scratch("kvm");
    let program = static_program(&dir);
    let r = vm(&[
        "run",
        "--accel",
        "kvm",
        "--kernel",
        "debian-6.12",
        "--",
        program.to_str().unwrap(),
        "kvm",
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(3), "arg kvm\n"), "{}", r.stderr);
    for line in r.stderr.lines().filter(|l| *l != "to stderr") {
        assert!(line.ends_with("using TCG from now on"), "{}", r.stderr);
    }
    assert!(r.stderr.lines().any(|l| l == "to stderr"), "{}", r.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn what_goes_wrong_is_one_line_and_125() {
    for (args, said) in [
        (&["run", "--", "/nonexistent"][..], "/nonexistent: No such file"),
        (&["run", "--with", "/no/such", "--", "/bin/true"], "--with /no/such: No such file"),
        (&["run", "--with", "/dev/null", "--", "/bin/true"], "not a regular file or a directory"),
        (&["run", "--with", "/bin/true:/init", "--", "/bin/true"], "/init: not a path a file"),
        (&["run", "--accel", "xen", "--", "/bin/true"], "invalid value 'xen' for '--accel"),
        (
            &["run", "--with", "/etc/hostname:/", "--", "/bin/true"],
            "/: not a path a file can be given",
        ),
        (
            &["run", "--timeout", "99999999999", "--", "/bin/true"],
            "invalid value '99999999999' for '--timeout",
        ),
        (&["run", "--", "/"], "/: not a regular file"),
        (&["run", "--", ""], "the program's name is empty"),
        (
            &["run", "--with", "/etc/hostname:/init/x", "--", "/bin/true"],
            "/init/x: not a path a file",
        ),
        (
            &["run", "--with", "/bin/true:/bin/sh", "--", "/bin/sh"],
            "/bin/sh in the guest already holds another file",
        ),
        (&["run", "--env", "=x", "--", "/bin/true"], "takes NAME=VALUE, got `=x`"),
        (&["run", "--kernel", "debian-9", "--", "/bin/sh"], "no kernel `debian-9`"),
        (&["run", "--timeout", "x", "--", "/bin/sh"], "invalid value 'x' for '--timeout <S>'"),
        (
            &["run", "--kernel", "debian-6.1", "--timeout", "1", "--", "/bin/sh", "-c", "true"],
            "timed out after 1 s",
        ),
        (&["run", "--kernel", "debian-6.1", "--", "/bin/sh", "-c", "exec /nonexistent"], ""),
        (&["run"], "required arguments were not provided: <PROGRAM>"),
    ] {
        let r = vm(args);
        if said.is_empty() {
            // The program's own failure is its status, not landlocked-vm's.
            assert_eq!(r.code, Some(127), "{args:?}: {}", r.stderr);
            continue;
        }
        assert_eq!(r.code, Some(125), "{args:?}: {}", r.stderr);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {}", r.stderr);
        assert!(
            lines[0].starts_with("landlocked-vm: ") && lines[0].contains(said),
            "{args:?}: {}",
            r.stderr
        );
    }
}

/// A FIFO given where a kernel image or an init is expected is refused at once, not read.
#[test]
fn a_fifo_for_the_kernel_or_the_init_is_refused_not_waited_on() {
    let dir = scratch("fifo");
    let fifo = dir.join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let fifo = fifo.to_str().unwrap();
    for args in [
        &["run", "--kernel", fifo, "--", "/bin/true"][..],
        &["run", "--kernel", "debian-6.12", "--init", fifo, "--", "/bin/true"],
    ] {
        let r = vm(args);
        assert_eq!(r.code, Some(125), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// QEMU ends with landlocked-vm however it ends: killed by SIGTERM mid-run, it leaves no guest
/// running (PR_SET_PDEATHSIG).
#[cfg(target_arch = "x86_64")]
#[test]
fn no_guest_outlives_landlocked_vm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_landlocked-vm"))
        .args(["run", "--kernel", "debian-6.12", "--timeout", "60", "--", "/bin/sleep", "100"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let parent = child.id().to_string();
    let qemu = || {
        std::fs::read_dir("/proc").unwrap().flatten().find_map(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let after = &stat[stat.rfind(')')? + 2..];
            (after.split(' ').nth(1) == Some(parent.as_str())).then(|| e.path())
        })
    };
    let start = std::time::Instant::now();
    let guest = loop {
        if let Some(p) = qemu() {
            break p;
        }
        assert!(start.elapsed().as_secs() < 20, "QEMU never started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let _ = child.wait();
    let start = std::time::Instant::now();
    while guest.exists() {
        assert!(start.elapsed().as_secs() < 5, "QEMU outlived landlocked-vm: {}", guest.display());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The guest's failures of its own, provoked by an init of the test's: one that exits (the
/// kernel panics: PID 1 died) and one that says the program ended but never powers off.
#[cfg(target_arch = "x86_64")]
#[test]
fn a_kernel_panic_and_a_guest_that_stays_up_are_125() {
    let dir = scratch("inits");
    let compile = |name: &str, body: &str| {
        let source = dir.join(format!("{name}.c"));
        std::fs::write(
            &source,
            format!("#include <stdio.h>\n#include <unistd.h>\nint main(void) {{ {body} }}\n"),
        )
        .unwrap();
        let program = dir.join(name);
        let status =
            Command::new("gcc").arg("-static").arg("-o").arg(&program).arg(&source).status();
        assert!(status.is_ok_and(|s| s.success()), "gcc -static {name}");
        program
    };
    let exits = compile("exits", "return 0;");
    let stays =
        compile("stays", "puts(\"landlocked-vm:exit:0\"); fflush(stdout); for (;;) pause();");
    for (init, said) in [
        (&exits, "kernel panic: "),
        (&stays, "the guest did not power off within 15 s of the program's end"),
    ] {
        let init = init.to_str().unwrap();
        let r = vm(&["run", "--kernel", "debian-6.12", "--init", init, "--", "/bin/true"]);
        assert_eq!(r.code, Some(125), "{}", r.stderr);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{}", r.stderr);
        assert!(lines[0].starts_with("landlocked-vm: ") && lines[0].contains(said), "{}", r.stderr);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// This crate built static for aarch64, the guest's init there (a separate target directory:
/// the test's own build holds the workspace's).
fn aarch64_init() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target_dir = root.join("target/landlocked-vm-init");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(&root)
        .args(["build", "--release", "--locked", "-q", "-p", "landlocked-vm"])
        .args(["--target", "aarch64-unknown-linux-musl", "--target-dir"])
        .arg(&target_dir)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "building landlocked-vm for aarch64-unknown-linux-musl failed (cargo xtask setup adds the target)"
    );
    target_dir.join("aarch64-unknown-linux-musl/release/landlocked-vm")
}

#[test]
fn static_and_dynamic_programs_on_aarch64_with_a_static_init() {
    let init = aarch64_init();
    let init = init.to_str().unwrap();
    // The init binary is itself a static aarch64 program: it prints its version.
    for kernel in ["debian-7.3", "debian-7.3-16k"] {
        let r = vm(&[
            "run",
            "--arch",
            "aarch64",
            "--kernel",
            kernel,
            "--init",
            init,
            "--",
            init,
            "--version",
        ]);
        assert_eq!(r.code, Some(0), "{kernel}: {}", r.stderr);
        assert_eq!(r.stdout, format!("landlocked-vm {}\n", env!("CARGO_PKG_VERSION")), "{kernel}");
    }
    // ABI 11 on aarch64 with both page sizes, as the guests report them.
    let r = vm(&[
        "matrix",
        "--arch",
        "aarch64",
        "--kernel",
        "debian-7.3",
        "--kernel",
        "debian-7.3-16k",
        "--init",
        init,
        "--",
        init,
        "--version",
    ]);
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    for (kernel, page) in [("debian-7.3", "4k"), ("debian-7.3-16k", "16k")] {
        let row = r.stdout.lines().find(|l| l.split_whitespace().nth(1) == Some(kernel));
        let words: Vec<&str> = row.unwrap_or_default().split_whitespace().collect();
        assert_eq!(words.get(2..6), Some(&["abi", "11", page, "0"][..]), "{}", r.stdout);
    }
    // A dynamic aarch64 program: its interpreter and libc from Debian's cross sysroot, placed
    // where the guest's loader opens them; the guest's architecture is the program's.
    let dir = scratch("aarch64");
    let program = c_program(&dir, "aarch64-linux-gnu-gcc", &[]);
    let program = program.to_str().unwrap();
    let r = vm(&["run", "--kernel", "debian-6.12", "--init", init, "--", program, "dyn"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (Some(3), "arg dyn\n", "to stderr\n")
    );
    // A sysroot without the libraries: one line, 125.
    let empty = dir.join("empty-root");
    std::fs::create_dir_all(empty.join("lib")).unwrap();
    let r = vm(&["run", "--kernel", "debian-6.12", "--init", init, "--sysroot"]);
    assert_eq!(r.code, Some(125), "{}", r.stderr);
    let root = empty.to_str().unwrap();
    let r =
        vm(&["run", "--kernel", "debian-6.12", "--init", init, "--sysroot", root, "--", program]);
    assert_eq!(r.code, Some(125), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("found nowhere under") || r.stderr.contains("not found"),
        "{}",
        r.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
    // An aarch64 init in the environment (as the runner's README section exports it) leaves an
    // x86_64 guest to landlocked-vm itself.
    #[cfg(target_arch = "x86_64")]
    {
        let out = Command::new(env!("CARGO_BIN_EXE_landlocked-vm"))
            .args(["run", "--kernel", "debian-6.12", "--", "/bin/sh", "-c", "exit 5"])
            .env("LANDLOCKED_VM_INIT", init)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // Without --init, said.
    let r = vm(&["run", "--arch", "aarch64", "--kernel", "debian-7.3", "--", init, "--version"]);
    assert_eq!(r.code, Some(125));
    assert!(r.stderr.contains("needs --init"), "{}", r.stderr);
}

/// `cargo test --target TARGET --test abi -- the_kernel --nocapture` of `examples/abi-check`
/// with `landlocked-vm run --kernel KERNEL --env LANDLOCK_EXPECTED_ABI=EXPECTED --` as the runner,
/// `init` (if any) the guest's init through `$LANDLOCKED_VM_INIT`: exit status, stdout, stderr.
fn abi_check(
    target: &str,
    kernel: &str,
    expected: &str,
    init: Option<&Path>,
) -> (Option<i32>, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let runner = format!(
        "{} run --kernel {kernel} --env LANDLOCK_EXPECTED_ABI={expected} --",
        env!("CARGO_BIN_EXE_landlocked-vm")
    );
    let variable = format!("CARGO_TARGET_{}_RUNNER", target.to_uppercase().replace('-', "_"));
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root.join("examples/abi-check"))
        .args(["test", "--locked", "-q", "--target", target])
        .arg("--target-dir")
        .arg(root.join("target/abi-check"))
        .args(["--test", "abi", "--", "the_kernel", "--nocapture"])
        .env(variable, runner);
    if let Some(init) = init {
        cmd.env("LANDLOCKED_VM_INIT", init);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), stdout, stderr)
}

/// `cargo test --target x86_64-unknown-linux-musl` of `examples/abi-check` with landlocked-vm as
/// the runner, on debian-6.1 (ABI 2), a filter and `--nocapture` passed through.
#[cfg(target_arch = "x86_64")]
#[test]
fn cargo_test_runs_inside_the_vm_as_its_runner() {
    let (code, stdout, stderr) = abi_check("x86_64-unknown-linux-musl", "debian-6.1", "2", None);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("ABI seen: 2"), "--nocapture passes through: {stdout}");
    assert!(stdout.contains("1 passed; 0 failed") && stdout.contains("1 filtered out"), "{stdout}");
    // The same test fails where the kernel is not what it expects.
    let (code, stdout, _) = abi_check("x86_64-unknown-linux-musl", "debian-6.1", "6", None);
    assert_eq!(code, Some(101), "{stdout}");
    assert!(stdout.contains("ABI seen: 2"), "{stdout}");
}

/// The same for `aarch64-unknown-linux-musl` (linked by rust-lld, the repository's cargo
/// configuration), the guest's architecture taken from the test binary: ABI 11 on the 16 KiB
/// page kernel, and a wrong expectation fails there too.
#[test]
fn cargo_test_runs_inside_an_aarch64_vm_as_its_runner() {
    let init = aarch64_init();
    let target = "aarch64-unknown-linux-musl";
    let (code, stdout, stderr) = abi_check(target, "debian-7.3-16k", "11", Some(&init));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("ABI seen: 11"), "--nocapture passes through: {stdout}");
    assert!(stdout.contains("1 passed; 0 failed") && stdout.contains("1 filtered out"), "{stdout}");
    let (code, stdout, _) = abi_check(target, "debian-6.1", "11", Some(&init));
    assert_eq!(code, Some(101), "{stdout}");
    assert!(stdout.contains("ABI seen: 2"), "{stdout}");
}

/// `matrix` on two kernels: the table says each one's Landlock and the program's status, and
/// a failure anywhere is exit 1.
#[cfg(target_arch = "x86_64")]
#[test]
fn matrix_tabulates_every_kernel_and_fails_when_one_does() {
    let script = "read r < /proc/sys/kernel/osrelease; case $r in 6.1.*) exit 0;; *) exit 4;; esac";
    let r = vm(&[
        "matrix",
        "--kernel",
        "debian-6.1",
        "--kernel",
        "debian-6.12",
        "--",
        "/bin/sh",
        "-c",
        script,
    ]);
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let row = |name: &str| {
        r.stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_default()
            .to_string()
    };
    let six_one = row("debian-6.1");
    assert!(
        six_one.contains("abi 2") && six_one.split_whitespace().nth(5) == Some("0"),
        "{}",
        r.stdout
    );
    let six_twelve = row("debian-6.12");
    assert!(
        six_twelve.contains("abi 6") && six_twelve.split_whitespace().nth(5) == Some("4"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("x86_64 debian-6.12: exit 4"), "{}", r.stderr);
}
