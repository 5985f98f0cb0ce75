//! `landlocked run --ldd` against programs built to attack it: the program being sandboxed
//! names files in its ELF headers and its `#!` line, and must never get them granted. Each
//! program is compiled here with gcc (needed by the uapi test anyway) and tries to read a
//! secret file outside every rule.

use std::io::Read as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Reads the file named by its argument and prints `RESULT ok` or `RESULT E...`.
const TOOL_C: &str = r#"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { printf("RESULT %s\n", errno == EACCES ? "EACCES" : strerror(errno)); return 0; }
    printf("RESULT ok\n");
    return 0;
}
"#;

struct Work {
    dir: PathBuf,
    secret: PathBuf,
}

impl Work {
    fn new(name: &str) -> Work {
        let base =
            std::env::temp_dir().join(format!("landlocked-ldd-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let dir = base.join("work");
        std::fs::create_dir_all(&dir).unwrap();
        let secret = base.join("secret");
        std::fs::write(&secret, "the secret").unwrap();
        std::fs::write(dir.join("tool.c"), TOOL_C).unwrap();
        Work { dir, secret }
    }

    fn gcc(&self, args: &[&str]) {
        let out = Command::new("gcc").current_dir(&self.dir).args(args).output().expect("gcc");
        assert!(out.status.success(), "gcc {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `landlocked run --ldd --rw WORK [extra] -- PROGRAM SECRET`, killed after 30 s.
    fn run(&self, program: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_landlocked"))
            .args(["run", "--ldd", "--rw"])
            .arg(&self.dir)
            .args(extra)
            .arg("--")
            .arg(program)
            .arg(&self.secret)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("landlocked run --ldd {} hung", program.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let (mut out, mut err) = (String::new(), String::new());
        child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        (status.code(), out, err)
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.dir.parent().unwrap());
    }
}

fn landlock() -> bool {
    landlocked_core::Kernel::probe().support.abi().is_some()
}

/// Rewrites the first dynamic entry tagged `from` to `to` in a little-endian ELF64 file.
fn retag(file: &Path, from: u64, to: u64) {
    let mut f = std::fs::read(file).unwrap();
    let u16_at = |f: &[u8], at: usize| u16::from_le_bytes(f[at..at + 2].try_into().unwrap());
    let u64_at = |f: &[u8], at: usize| u64::from_le_bytes(f[at..at + 8].try_into().unwrap());
    let (phoff, phnum) = (u64_at(&f, 32) as usize, u16_at(&f, 56) as usize);
    let dynamic = (0..phnum)
        .map(|i| phoff + 56 * i)
        .find(|&ph| u32::from_le_bytes(f[ph..ph + 4].try_into().unwrap()) == 2)
        .expect("a PT_DYNAMIC segment");
    let (off, size) = (u64_at(&f, dynamic + 8) as usize, u64_at(&f, dynamic + 32) as usize);
    let entry = (off..off + size).step_by(16).find(|&e| u64_at(&f, e) == from).expect("the tag");
    f[entry..entry + 8].copy_from_slice(&to.to_le_bytes());
    std::fs::write(file, f).unwrap();
}

#[test]
fn a_static_pie_cannot_name_its_own_grants() {
    if !landlock() {
        panic!("Landlock is needed for this test");
    }
    let w = Work::new("static-pie");
    // DT_RUNPATH naming the secret, turned into DT_NEEDED: the kernel and the program ignore it
    // (no PT_INTERP, no loader), --ldd must too.
    let rpath = format!("-Wl,-rpath,{}", w.secret.display());
    w.gcc(&["-static-pie", "-O1", "-o", "tool", "tool.c", &rpath, "-Wl,--enable-new-dtags"]);
    let tool = w.dir.join("tool");
    retag(&tool, 29, 1);
    let (code, out, err) = w.run(&tool, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("RESULT EACCES"), "the secret was readable: {out} {err}");
    // The same with DT_NEEDED "/": the whole tree is not granted either.
    w.gcc(&[
        "-static-pie",
        "-O1",
        "-o",
        "tool2",
        "tool.c",
        "-Wl,-rpath,/",
        "-Wl,--enable-new-dtags",
    ]);
    let tool = w.dir.join("tool2");
    retag(&tool, 29, 1);
    let (code, out, err) = w.run(&tool, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("RESULT EACCES"), "the tree was granted: {out} {err}");
}

#[test]
fn a_library_cannot_name_an_interpreter_to_be_granted() {
    if !landlock() {
        panic!("Landlock is needed for this test");
    }
    let w = Work::new("lib-interp");
    // As libc.so.6 names its loader: a .interp section makes a PT_INTERP in a shared object.
    let evil = format!(
        "const char interp[] __attribute__((section(\".interp\"))) = \"{}\";\n\
         int evil(void) {{ return 1; }}\n",
        w.secret.display()
    );
    std::fs::write(w.dir.join("evil.c"), evil).unwrap();
    w.gcc(&["-shared", "-fPIC", "-o", "libevil.so", "evil.c"]);
    w.gcc(&["-o", "tool", "tool.c", "-L.", "-Wl,--no-as-needed", "-levil", "-Wl,-rpath,$ORIGIN"]);
    let tool = w.dir.join("tool");
    let (code, out, err) = w.run(&tool, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("RESULT EACCES"), "the secret was readable: {out} {err}");
}

#[test]
fn a_fifo_or_a_secret_as_interpreter_neither_hangs_nor_is_granted() {
    if !landlock() {
        panic!("Landlock is needed for this test");
    }
    let w = Work::new("fifo");
    let fifo = w.dir.parent().unwrap().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let script = w.dir.join("script");
    std::fs::write(&script, format!("#!{}\n", fifo.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, _, err) = w.run(&script, &[]);
    // The kernel cannot execute a FIFO either.
    assert_eq!(code, Some(126), "{err}");
    assert!(err.contains("not granted: not a regular file"), "{err}");
    // A #! line naming the secret: not ELF, not granted, so the kernel cannot even open it.
    std::fs::write(&script, format!("#!{}\n", w.secret.display())).unwrap();
    let (code, _, err) = w.run(&script, &[]);
    assert_eq!(code, Some(126), "{err}");
    assert!(err.contains("not granted: not an ELF file"), "{err}");
}

#[test]
fn a_dynamic_program_still_gets_what_it_needs() {
    if !landlock() {
        panic!("Landlock is needed for this test");
    }
    let w = Work::new("dynamic");
    w.gcc(&["-o", "tool", "tool.c"]);
    let tool = w.dir.join("tool");
    let inside = w.dir.join("tool.c");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_landlocked"));
    cmd.args(["run", "--ldd", "--quiet", "--"]).arg(&tool).arg(&inside);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // It starts (interpreter and libc granted), and reads nothing outside its rules.
    assert!(stdout.contains("RESULT EACCES"), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
}
