//! Resolving for another root and machine: every path the target opens is found under the
//! root, symlinks resolve inside it, and nothing comes from this machine's own files.

use super::*;

use std::os::unix::fs::symlink;

/// The machine other than this one, as a [`Machine`].
const OTHER_MACHINE: Machine =
    if cfg!(target_arch = "aarch64") { Machine::X86_64 } else { Machine::Aarch64 };

/// Resolves `program` for the system under `root`, the rest of the configuration the default
/// one (under the root).
fn resolve_in(root: &Path, machine: Option<Machine>, program: &Path) -> Result<Found, Error> {
    let config = Config { root: Some(root.to_path_buf()), machine, ..Config::default() };
    resolve_timed(program, Environment::default(), config)
}

fn guests(found: &Found) -> Vec<Option<PathBuf>> {
    found.files.iter().map(|g| g.guest.clone()).collect()
}

fn not_found(found: &Found) -> Vec<&str> {
    found.not_found.iter().map(|(name, _)| name.to_str().unwrap()).collect()
}

#[test]
fn a_root_supplies_the_interpreter_and_the_libraries() {
    let d = Dir::new("root-basic");
    let root = d.0.join("root");
    // Paths this machine has nothing at: found under the root or nowhere.
    let interp = "/lib/ld-landlocked-test.so.1";
    assert!(!Path::new(interp).exists());
    d.put("root/lib/ld-landlocked-test.so.1", &Elf::program(None).bytes());
    // The C library in a default directory; it needs one beside it ($ORIGIN, even climbing
    // past the root, stays in it) and one in an absolute DT_RUNPATH.
    let libc = Elf {
        needed: &["liborigin.so", "librun.so"],
        runpath: Some("$ORIGIN/../../../../../../../lib/sub:/opt/run"),
        ..Elf::library()
    };
    d.put("root/lib/libtest-c.so.6", &libc.bytes());
    d.put("root/lib/sub/liborigin.so", &Elf::library().bytes());
    d.put("root/opt/run/librun.so", &Elf::library().bytes());
    // ld.so.conf under the root, including by an absolute pattern, which is the root's too.
    d.put("root/etc/ld.so.conf", b"include /etc/ld.so.conf.d/*.conf\n");
    d.put("root/etc/ld.so.conf.d/test.conf", b"/opt/conf\n");
    d.put("root/opt/conf/libconf.so", &Elf::library().bytes());
    let tool = Elf { needed: &["libtest-c.so.6", "libconf.so"], ..Elf::program(Some(interp)) };
    // The program is outside the root: its own path, its guest path the caller's business.
    let tool = d.put("tool", &tool.bytes());
    let found = resolve_in(&root, None, &tool).unwrap();
    assert!(found.not_found.is_empty() && found.refused.is_empty(), "{found:?}");
    let want = [
        "lib/ld-landlocked-test.so.1",
        "lib/libtest-c.so.6",
        "opt/conf/libconf.so",
        "lib/sub/liborigin.so",
        "opt/run/librun.so",
    ];
    assert_eq!(paths(&found)[0], tool);
    assert_eq!(paths(&found)[1..], want.map(|p| root.join(p)));
    let mut want_guests = vec![None];
    want_guests.extend(want.map(|p| Some(Path::new("/").join(p))));
    assert_eq!(guests(&found), want_guests);
    // A program inside the root has its guest path too.
    let inside = d.put("root/usr/bin/tool", &Elf::program(Some(interp)).bytes());
    let found = resolve_in(&root, None, &inside).unwrap();
    assert_eq!(guests(&found)[0], Some(PathBuf::from("/usr/bin/tool")));
}

#[test]
fn symlinks_in_a_root_resolve_inside_it() {
    let d = Dir::new("root-links");
    let root = d.0.join("root");
    d.put("root/real/ld.so", &Elf::program(None).bytes());
    d.put("root/real/libreal.so", &Elf::library().bytes());
    d.put("root/elsewhere/libup.so", &Elf::library().bytes());
    std::fs::create_dir_all(root.join("lib")).unwrap();
    // Absolute targets are the root's; `..` past the root stays at it, as in a chroot.
    symlink("/real/ld.so", root.join("lib/ld.so")).unwrap();
    symlink("../../../../../../elsewhere/libup.so", root.join("lib/libup.so")).unwrap();
    // A directory symlink (merged /usr, the other way round) and a chain of them.
    symlink("/real", root.join("lib/dir")).unwrap();
    std::fs::create_dir_all(root.join("usr")).unwrap();
    symlink("/lib/dir", root.join("usr/lib")).unwrap();
    let tool = Elf {
        needed: &["libreal.so", "libup.so"],
        rpath: Some("/usr/lib:/lib"),
        ..Elf::program(Some("/lib/ld.so"))
    };
    let tool = d.put("tool", &tool.bytes());
    let found = resolve_in(&root, None, &tool).unwrap();
    assert!(found.not_found.is_empty() && found.refused.is_empty(), "{found:?}");
    // Where the files really are, and the names the target opens them by.
    let real = ["real/ld.so", "real/libreal.so", "elsewhere/libup.so"].map(|p| root.join(p));
    assert_eq!(paths(&found)[1..], real);
    let guest = ["/lib/ld.so", "/usr/lib/libreal.so", "/lib/libup.so"];
    assert_eq!(guests(&found)[1..], guest.map(|g| Some(PathBuf::from(g))));
    // The program itself through a symlink in the root: its $ORIGIN is where it really is.
    let app = Elf {
        runpath: Some("$ORIGIN/../lib"),
        needed: &["libapp.so"],
        ..Elf::program(Some("/lib/ld.so"))
    };
    d.put("root/opt/app/bin/app", &app.bytes());
    d.put("root/opt/app/lib/libapp.so", &Elf::library().bytes());
    symlink("/opt/app/bin/app", root.join("real/app")).unwrap();
    let found = resolve_in(&root, None, &root.join("lib/dir/app")).unwrap();
    assert_eq!(paths(&found)[0], root.join("opt/app/bin/app"));
    assert_eq!(guests(&found)[0], Some(PathBuf::from("/lib/dir/app")));
    assert_eq!(paths(&found).last().unwrap(), &root.join("opt/app/lib/libapp.so"));
}

#[test]
fn a_symlink_out_of_the_root_is_not_followed_out() {
    let d = Dir::new("root-escape");
    let root = d.0.join("root");
    d.put("root/lib/ld.so", &Elf::program(None).bytes());
    // Libraries outside the root, named by symlinks inside it every way there is.
    let outside = d.put("outside/libout.so", &Elf::library().bytes());
    d.put("outside/librel.so", &Elf::library().bytes());
    symlink(&outside, root.join("lib/libout.so")).unwrap();
    symlink("../../outside/librel.so", root.join("lib/librel.so")).unwrap();
    symlink(&d.0, root.join("lib/up")).unwrap();
    let tool = Elf {
        needed: &["libout.so", "librel.so", "libup.so"],
        rpath: Some("/lib/up/outside:/lib"),
        ..Elf::program(Some("/lib/ld.so"))
    };
    let tool = d.put("tool", &tool.bytes());
    let found = resolve_in(&root, None, &tool).unwrap();
    assert_eq!(names(&found), ["tool", "ld.so"]);
    assert_eq!(not_found(&found), ["libout.so", "librel.so", "libup.so"]);
    assert!(!found.paths().any(|p| p.starts_with(d.0.join("outside"))), "{found:?}");
    // A symlink loop is passed over, not followed for ever.
    symlink("/lib/loop", root.join("lib/loop")).unwrap();
    let tool = Elf { needed: &["/lib/loop"], ..Elf::program(Some("/lib/ld.so")) };
    let found = resolve_in(&root, None, &d.put("loop", &tool.bytes())).unwrap();
    assert!(matches!(found.refused[0].reason, Reason::Unreadable(_)), "{found:?}");
}

#[test]
fn what_the_root_lacks_is_never_taken_from_this_machine() {
    let d = Dir::new("root-lacks");
    let root = d.0.join("root");
    std::fs::create_dir_all(&root).unwrap();
    // The interpreter this machine's own programs have, which the root has not.
    let host_interp = ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("/lib64/ld-linux-x86-64.so.2");
    let tool = d.put("tool", &Elf::program(Some(host_interp)).bytes());
    let found = resolve_in(&root, None, &tool).unwrap();
    assert_eq!(paths(&found), [tool]);
    assert_eq!(found.refused[0].path, root.join(host_interp.trim_start_matches('/')));
    assert_eq!(found.refused[0].reason, Reason::Missing);
    // A library this machine has in its default directories, named by a program whose
    // interpreter the root has: not found.
    d.put("root/lib/ld.so", &Elf::program(None).bytes());
    let tool = Elf { needed: &["libc.so.6", "libm.so.6"], ..Elf::program(Some("/lib/ld.so")) };
    let found = resolve_in(&root, None, &d.put("tool2", &tool.bytes())).unwrap();
    assert_eq!(names(&found), ["tool2", "ld.so"]);
    assert_eq!(not_found(&found), ["libc.so.6", "libm.so.6"]);
    // Text is run by the root's /bin/sh, which it has not; a `#!` line names the root's too.
    let text = d.put("text", b"echo hello\n");
    let found = resolve_in(&root, None, &text).unwrap();
    assert_eq!(paths(&found), [text]);
    assert_eq!(found.refused[0].path, root.join("bin/sh"));
    let script = d.put("script", b"#!/bin/sh\n");
    let found = resolve_in(&root, None, &script).unwrap();
    assert_eq!(found.refused[0].path, root.join("bin/sh"));
    // Relative paths depend on the target's working directory: not looked up, even where the
    // root's `/` would be it.
    d.put("root/librel.so", &Elf::library().bytes());
    let tool = Elf::program(Some("lib/ld.so"));
    let found = resolve_in(&root, None, &d.put("rel", &tool.bytes())).unwrap();
    assert_eq!(found.refused[0].reason, Reason::Relative);
    let tool = Elf {
        needed: &["./librel.so", "librel.so"],
        runpath: Some("."),
        ..Elf::program(Some("/lib/ld.so"))
    };
    let found = resolve_in(&root, None, &d.put("rel2", &tool.bytes())).unwrap();
    assert_eq!(names(&found), ["rel2", "ld.so"]);
    assert_eq!(found.refused[0].reason, Reason::Relative);
    assert_eq!(not_found(&found), ["librel.so"]);
}

#[test]
fn env_in_a_root_is_the_roots_and_searches_its_path() {
    let d = Dir::new("root-env");
    let root = d.0.join("root");
    d.put("root/usr/bin/env", &Elf::program(None).bytes());
    d.put("root/bin/prog", &Elf::program(None).bytes());
    // Not executable: passed over, as execvp passes it over.
    d.put("root/bin/noexec", &Elf::program(None).bytes());
    std::fs::set_permissions(root.join("bin/noexec"), std::fs::Permissions::from_mode(0o644))
        .unwrap();
    let script = d.put("script", b"#!/usr/bin/env prog\n");
    let found = resolve_in(&root, None, &script).unwrap();
    assert_eq!(paths(&found), [script, root.join("usr/bin/env"), root.join("bin/prog")]);
    let script = d.put("script2", b"#!/usr/bin/env noexec\n");
    let found = resolve_in(&root, None, &script).unwrap();
    assert_eq!(names(&found), ["script2", "env"]);
    assert_eq!(found.refused[0].reason, Reason::Missing);
}

#[test]
fn the_machine_decides_what_runs_and_which_variants_are_tried() {
    let d = Dir::new("root-machine");
    let root = d.0.join("root");
    let other = |e: Elf<'static>| Elf { machine: OTHER, ..e }.bytes();
    d.put("root/lib/ld.so", &other(Elf::program(None)));
    d.put("root/bin/sh", &Elf::program(None).bytes());
    // A variant directory beside the library: none is tried for an aarch64 one.
    d.put("root/lib/glibc-hwcaps/x86-64-v2/libh.so", &other(Elf::library()));
    d.put("root/lib/libh.so", &other(Elf::library()));
    let tool = Elf { machine: OTHER, needed: &["libh.so"], ..Elf::program(Some("/lib/ld.so")) };
    let tool = d.put("tool", &tool.bytes());
    // For this machine, the kernel would not execute it: the root's /bin/sh runs it.
    let found = resolve_in(&root, None, &tool).unwrap();
    assert_eq!(paths(&found), [tool.clone(), root.join("bin/sh")]);
    let found = resolve_in(&root, Machine::host(), &tool).unwrap();
    assert_eq!(paths(&found), [tool.clone(), root.join("bin/sh")]);
    // For its own machine, it runs, with its loader and library.
    let found = resolve_in(&root, Some(OTHER_MACHINE), &tool).unwrap();
    assert_eq!(paths(&found), [tool, root.join("lib/ld.so"), root.join("lib/libh.so")]);
    // This machine's programs are what does not run there.
    let host = d.put("host", &Elf::program(Some("/lib/ld.so")).bytes());
    let found = resolve_in(&root, Some(OTHER_MACHINE), &host).unwrap();
    assert_eq!(
        found.refused[0],
        Refused { path: root.join("bin/sh"), named_by: host, reason: Reason::WrongKind }
    );
    // Variants and $PLATFORM: this CPU's for this machine, a baseline for another.
    let x86 = Kind { is64: true, little: true, machine: EM_X86_64 };
    assert!(Target::new(Some(Machine::Aarch64)).hwcaps_subdirs(x86).is_empty());
    assert_eq!(Target::new(Some(Machine::Aarch64)).platform(), "aarch64");
    let here = Target::new(Machine::host());
    assert_eq!(here.hwcaps_subdirs(x86), Target::new(None).hwcaps_subdirs(x86));
    assert_eq!(here.platform(), Target::new(None).platform());
    if Machine::host() != Some(Machine::X86_64) {
        assert_eq!(Target::new(Some(Machine::X86_64)).platform(), "x86_64");
    }
}

#[test]
fn lib_is_the_roots_multiarch_directory_where_it_has_one() {
    let d = Dir::new("root-lib");
    let root = d.0.join("root");
    d.put("root/lib/ld.so", &Elf::program(None).bytes());
    let kind = Kind { is64: true, little: true, machine: HOST };
    let triplet = machine::multiarch(kind).unwrap();
    // The root's /lib/<triplet> decides, whatever this machine has.
    std::fs::create_dir_all(root.join("lib").join(triplet)).unwrap();
    d.put(&format!("root/opt/lib/{triplet}/libm.so"), &Elf::library().bytes());
    d.put("root/opt/lib64/libm.so", &Elf::library().bytes());
    let tool =
        Elf { needed: &["libm.so"], rpath: Some("/opt/$LIB"), ..Elf::program(Some("/lib/ld.so")) };
    let tool = d.put("tool", &tool.bytes());
    let found = resolve_in(&root, None, &tool).unwrap();
    let want = Path::new("/opt/lib").join(triplet).join("libm.so");
    assert_eq!(guests(&found)[2], Some(want));
    std::fs::remove_dir_all(root.join("lib").join(triplet)).unwrap();
    let found = resolve_in(&root, None, &tool).unwrap();
    assert_eq!(guests(&found)[2], Some(PathBuf::from("/opt/lib64/libm.so")));
}

#[test]
fn a_root_that_does_not_exist_is_an_error() {
    let d = Dir::new("root-none");
    let tool = d.put("tool", &Elf::program(Some("/lib/ld.so")).bytes());
    let e = resolve_in(&d.0.join("absent"), None, &tool).unwrap_err();
    assert!(matches!(&e, Error::Io { path, .. } if path.ends_with("absent")), "{e}");
}

/// Says that a test did not run, past the test harness's capture (which takes `eprintln!`
/// only), so that the skip shows in every run rather than passing silently.
fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// Builds a hello world with `aarch64-linux-gnu-gcc` into `dir`: with the C library's
/// development files if they are there (`libc6-dev-arm64-cross`), else calling `puts` from
/// the sysroot's `libc.so.6` directly, which needs only the compiler and the library. `None`
/// if there is no such compiler.
fn aarch64_hello(dir: &Path, sysroot: &Path) -> Option<PathBuf> {
    use std::process::Command;
    let out = dir.join("hello");
    let full =
        write_source(dir, "hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); }\n");
    match Command::new("aarch64-linux-gnu-gcc").arg(&full).arg("-o").arg(&out).output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("aarch64-linux-gnu-gcc: {e}"),
        Ok(o) if o.status.success() => return Some(out),
        Ok(_) => {}
    }
    let bare = write_source(
        dir,
        "bare.c",
        "int puts(const char *);\nvoid exit(int);\nvoid _start(void) { puts(\"hello\"); exit(0); }\n",
    );
    let o = Command::new("aarch64-linux-gnu-gcc")
        .args(["-nostdlib", "-fno-stack-protector", "-o"])
        .arg(&out)
        .arg(&bare)
        .arg(sysroot.join("lib/libc.so.6"))
        .output()
        .expect("aarch64-linux-gnu-gcc");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(out)
}

fn write_source(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_debian_cross_program_resolves_in_its_sysroot() {
    const TEST: &str = "loader::tests::root::a_debian_cross_program_resolves_in_its_sysroot";
    let sysroot = Path::new("/usr/aarch64-linux-gnu");
    if !sysroot.join("lib/ld-linux-aarch64.so.1").is_file() {
        return skipped(TEST, "no /usr/aarch64-linux-gnu (Debian's libc6-arm64-cross)");
    }
    let d = Dir::new("root-debian");
    let Some(hello) = aarch64_hello(&d.0, sysroot) else {
        return skipped(TEST, "no aarch64-linux-gnu-gcc (Debian's gcc-aarch64-linux-gnu)");
    };
    let found = resolve_in(sysroot, Some(Machine::Aarch64), &hello).unwrap();
    assert!(found.not_found.is_empty() && found.refused.is_empty(), "{found:?}");
    let libs = ["lib/ld-linux-aarch64.so.1", "lib/libc.so.6"];
    assert_eq!(paths(&found)[0], hello);
    assert_eq!(paths(&found)[1..], libs.map(|l| sysroot.join(l)));
    assert_eq!(guests(&found)[1..], libs.map(|l| Some(Path::new("/").join(l))));
    // For this machine's kernel (on an x86-64 host), it is not a program at all.
    if Machine::host() != Some(Machine::Aarch64) {
        let found = resolve_in(sysroot, None, &hello).unwrap();
        assert!(!found.paths().any(|p| p.starts_with(sysroot.join("lib"))), "{found:?}");
    }
}

/// A root reached through a symlink, the program named by its real path: the program is in
/// the root, so a symlink in the root's `lib` leading out of it is not followed (review M1).
#[test]
fn a_root_behind_a_symlink_still_contains_its_program() {
    use std::os::unix::fs::MetadataExt;
    let d = Dir::new("root-symlinked");
    let real = d.0.join("real");
    d.put("real/lib/ld.so", &Elf::program(None).bytes());
    let outside = d.put("outside/libx.so", &Elf::library().bytes());
    symlink(&outside, real.join("lib/libx.so")).unwrap();
    let tool = Elf {
        needed: &["libx.so"],
        runpath: Some("$ORIGIN/../lib"),
        ..Elf::program(Some("/lib/ld.so"))
    };
    let tool = d.put("real/bin/tool", &tool.bytes());
    let root = d.0.join("root");
    symlink(&real, &root).unwrap();
    let outside = std::fs::metadata(&outside).unwrap();
    for program in [root.join("bin/tool"), tool] {
        let found = resolve_in(&root, None, &program).unwrap();
        let escaped = found.files.iter().any(|g| {
            let m = std::fs::File::from(g.fd.try_clone().unwrap()).metadata().unwrap();
            (m.dev(), m.ino()) == (outside.dev(), outside.ino())
        });
        assert!(!escaped, "{}: a file outside the root: {found:?}", program.display());
    }
}
