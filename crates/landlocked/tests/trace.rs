//! The tracer on the running kernel: a shell script's accesses, each process it forks and
//! executes followed, paths resolved as the kernel resolved them; and what a sandbox denied.
#![cfg(feature = "trace")]

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use landlocked::explain::{Allowed, denials};
use landlocked::trace::{Access, End, Target, TracedCommand, trace};
use landlocked::{AccessFs, Errno, Kernel, Sandbox};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landlocked-trace-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::canonicalize(&dir).unwrap()
}

fn sh(script: &str) -> TracedCommand {
    let argv: Vec<OsString> = ["sh", "-c", script].iter().map(OsString::from).collect();
    let env: Vec<(OsString, OsString)> =
        vec![("PATH".into(), "/usr/bin:/bin".into()), ("LC_ALL".into(), "C".into())];
    TracedCommand::new(Path::new("/bin/sh"), &argv, &env).unwrap()
}

fn has(accesses: &[Access], path: &Path, right: AccessFs, ok: bool) -> bool {
    accesses.iter().any(|a| {
        matches!(&a.target, Target::Path { path: p, access, .. } if p == path && access.contains(right))
            && a.result.is_ok() == ok
    })
}

#[test]
fn a_script_and_every_process_it_starts_are_followed() {
    let dir = temp_dir("script");
    let script = format!(
        "cd {} && cat /etc/hostname > out && mkdir sub && mv out sub/moved && ln -s x link \
         && rm sub/moved && rmdir sub && ls . > /dev/null && kill -0 1 && exit 3",
        dir.display()
    );
    let traced = trace(&sh(&script), None).unwrap();
    assert_eq!(traced.end, End::Exited(3));
    let a = &traced.accesses;
    let cat = std::fs::canonicalize("/bin/cat").unwrap();
    assert!(has(a, &cat, AccessFs::EXECUTE, true), "{a:#?}");
    assert!(has(a, Path::new("/etc/hostname"), AccessFs::READ_FILE, true));
    // A relative name, resolved through the working directory; created, so on its directory.
    assert!(a.iter().any(|x| matches!(&x.target,
        Target::Path { path, access, created: true, .. }
            if *path == dir.join("out") && access.contains(AccessFs::WRITE_FILE))));
    assert!(has(a, &dir, AccessFs::MAKE_REG, true));
    assert!(has(a, &dir, AccessFs::MAKE_DIR, true));
    // mv across directories: removed here, made there, refer on both.
    assert!(has(a, &dir, AccessFs::REMOVE_FILE, true));
    assert!(has(a, &dir.join("sub"), AccessFs::MAKE_REG, true));
    assert!(has(a, &dir.join("sub"), AccessFs::REFER, true));
    assert!(has(a, &dir, AccessFs::MAKE_SYM, true));
    assert!(has(a, &dir, AccessFs::REMOVE_DIR, true));
    assert!(has(a, &dir, AccessFs::READ_DIR, true));
    assert!(a.iter().any(|x| x.target == Target::Signal { pid: 1 }), "kill -0 1");
    // Several processes: the shell, cat, mkdir, mv...
    let pids: std::collections::BTreeSet<i32> = a.iter().map(|x| x.pid).collect();
    assert!(pids.len() >= 5, "{pids:?}");
    // The ELF interpreter the kernel executed with cat.
    if let Some(interp) =
        a.iter().find(|x| x.syscall == "execve" && x.program == cat && x.target != a[0].target)
    {
        assert!(
            matches!(&interp.target, Target::Path { access, .. } if *access == AccessFs::EXECUTE | AccessFs::READ_FILE)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn what_a_sandbox_denied_is_told_apart_and_explained() {
    let kernel = Kernel::probe();
    assert!(kernel.support.abi().is_some(), "this test needs Landlock: {}", kernel.support);
    let dir = temp_dir("explain");
    let system: Vec<&str> = ["/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache"]
        .into_iter()
        .filter(|p| Path::new(p).exists())
        .collect();
    let mut sandbox = Sandbox::new();
    sandbox.read_exec(system).read_write([&dir]);
    let prepared = sandbox.prepare().unwrap();
    let script = format!(
        "cat /etc/hostname; cat /etc/hostname; echo x > {0}/ok; cat /nonexistent; true",
        dir.display()
    );
    let traced = trace(&sh(&script), Some(&prepared)).unwrap();
    assert_eq!(traced.end, End::Exited(0));
    let a = &traced.accesses;
    assert!(
        a.iter().any(
            |x| matches!(&x.target, Target::Path { path, .. } if path == Path::new("/etc/hostname"))
                && x.result == Err(Errno::EACCES)
        ),
        "{a:#?}"
    );
    let found = denials(a, &Allowed::of(&sandbox, prepared.report()));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].count, 2);
    assert_eq!(found[0].option, "--ro /etc/hostname");
    // The write was allowed, the missing file is no denial.
    assert!(std::fs::read(dir.join("ok")).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn proc_self_is_the_tracee_s_own() {
    // cat opens /proc/self/fd/3: its own descriptor 3, /etc/hostname, not the tracer's.
    let traced = trace(&sh("exec 3</etc/hostname; cat /proc/self/fd/3 >/dev/null"), None).unwrap();
    assert_eq!(traced.end, End::Exited(0));
    let cat = std::fs::canonicalize("/bin/cat").unwrap();
    assert!(
        traced.accesses.iter().any(|x| x.program == cat
            && matches!(&x.target, Target::Path { path, access, .. }
                if path == Path::new("/etc/hostname") && access.contains(AccessFs::READ_FILE))),
        "{:#?}",
        traced.accesses
    );
}
