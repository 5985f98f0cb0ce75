//! The resolver against ELF files written here: what a loader processes is followed, what an
//! adversarial program names is not.

use super::*;

use std::os::unix::fs::PermissionsExt;
use std::sync::mpsc;
use std::time::Duration;

use object::elf::{EM_AARCH64, EM_X86_64, ET_DYN, ET_EXEC};

const HOST: object::elf::Machine =
    if cfg!(target_arch = "aarch64") { EM_AARCH64 } else { EM_X86_64 };
const OTHER: object::elf::Machine =
    if cfg!(target_arch = "aarch64") { EM_X86_64 } else { EM_AARCH64 };

/// A little-endian ELF64 file: one PT_LOAD covering it all at address 0, then PT_INTERP and
/// PT_DYNAMIC as asked.
#[derive(Default)]
struct Elf<'a> {
    machine: object::elf::Machine,
    e_type: object::elf::FileType,
    interp: Option<&'a str>,
    dynamic: bool,
    needed: &'a [&'a str],
    rpath: Option<&'a str>,
    runpath: Option<&'a str>,
    /// A DT_STRTAB address other than the real one.
    strtab_at: Option<u64>,
}

impl Elf<'_> {
    fn program(interp: Option<&str>) -> Elf<'_> {
        Elf { machine: HOST, e_type: ET_DYN, interp, dynamic: interp.is_some(), ..Elf::default() }
    }

    fn library() -> Elf<'static> {
        Elf { machine: HOST, e_type: ET_DYN, dynamic: true, ..Elf::default() }
    }

    fn bytes(&self) -> Vec<u8> {
        let phnum = 1 + usize::from(self.interp.is_some()) + usize::from(self.dynamic);
        let mut strtab = vec![0u8];
        let mut string = |s: &str| {
            let at = strtab.len() as u64;
            strtab.extend_from_slice(s.as_bytes());
            strtab.push(0);
            at
        };
        let mut entries: Vec<(u64, u64)> = self.needed.iter().map(|n| (1, string(n))).collect();
        if let Some(r) = self.rpath {
            entries.push((15, string(r)));
        }
        if let Some(r) = self.runpath {
            entries.push((29, string(r)));
        }
        let interp_at = 64 + 56 * phnum;
        let interp = self.interp.map(|i| format!("{i}\0")).unwrap_or_default();
        let dyn_at = (interp_at + interp.len()).next_multiple_of(8);
        let dyn_len = if self.dynamic { 16 * (entries.len() + 3) } else { 0 };
        let str_at = dyn_at + dyn_len;
        let total = str_at + strtab.len();
        let mut f = vec![0u8; total];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // ELFCLASS64
        f[5] = 1; // little endian
        f[6] = 1; // EV_CURRENT
        let put16 =
            |f: &mut Vec<u8>, at: usize, v: u16| f[at..at + 2].copy_from_slice(&v.to_le_bytes());
        let put32 =
            |f: &mut Vec<u8>, at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());
        let put64 =
            |f: &mut Vec<u8>, at: usize, v: u64| f[at..at + 8].copy_from_slice(&v.to_le_bytes());
        put16(&mut f, 16, self.e_type.0);
        put16(&mut f, 18, self.machine.0);
        put32(&mut f, 20, 1);
        put64(&mut f, 32, 64); // e_phoff
        put16(&mut f, 52, 64); // e_ehsize
        put16(&mut f, 54, 56); // e_phentsize
        put16(&mut f, 56, phnum as u16);
        let mut ph = 64;
        let mut segment = |f: &mut Vec<u8>, p_type: u32, offset: usize, size: usize| {
            put32(f, ph, p_type);
            put64(f, ph + 8, offset as u64);
            put64(f, ph + 16, offset as u64);
            put64(f, ph + 24, offset as u64);
            put64(f, ph + 32, size as u64);
            put64(f, ph + 40, size as u64);
            put64(f, ph + 48, 8);
            ph += 56;
        };
        segment(&mut f, 1, 0, total);
        if self.interp.is_some() {
            segment(&mut f, 3, interp_at, interp.len());
            f[interp_at..interp_at + interp.len()].copy_from_slice(interp.as_bytes());
        }
        if self.dynamic {
            segment(&mut f, 2, dyn_at, dyn_len);
            entries.push((5, self.strtab_at.unwrap_or(str_at as u64))); // DT_STRTAB
            entries.push((10, strtab.len() as u64)); // DT_STRSZ
            for (i, (tag, value)) in entries.iter().enumerate() {
                put64(&mut f, dyn_at + 16 * i, *tag);
                put64(&mut f, dyn_at + 16 * i + 8, *value);
            }
        }
        f[str_at..].copy_from_slice(&strtab);
        f
    }
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("landlocked-loader-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn put(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }

    fn fifo(&self, name: &str) -> PathBuf {
        let path = self.0.join(name);
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Resolves with no system directories, so that only the test's files can be found, and fails
/// the test rather than hanging.
fn resolve_here(program: &Path, env: Environment<'static>) -> Result<Found, Error> {
    let program = program.to_path_buf();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let config = Config {
            ld_so_conf: "/nonexistent/ld.so.conf".into(),
            etc: "/nonexistent".into(),
            default_dirs: vec!["/nonexistent".into()],
        };
        let _ = tx.send(resolve_with(&program, &env, &config));
    });
    rx.recv_timeout(Duration::from_secs(20)).expect("the resolver hung")
}

fn names(found: &Found) -> Vec<String> {
    found.files.iter().map(|f| f.file_name().unwrap().to_str().unwrap().to_owned()).collect()
}

#[test]
fn a_static_pie_names_nothing_it_is_granted() {
    let d = Dir::new("static-pie");
    let lib = d.put("liba.so", &Elf::library().bytes());
    // No PT_INTERP: no loader will read this dynamic section.
    let tool = Elf {
        dynamic: true,
        needed: &["/etc/passwd", "/", lib.to_str().unwrap()],
        ..Elf::program(None)
    };
    let tool = d.put("tool", &tool.bytes());
    let found = resolve_here(&tool, Environment::default()).unwrap();
    assert_eq!(found.files, [tool]);
    assert!(found.refused.is_empty() && found.not_found.is_empty(), "{found:?}");
}

#[test]
fn a_loader_program_gets_its_interpreter_and_libraries_searched_as_glibc_does() {
    let d = Dir::new("dynamic");
    let ld = d.put("ld.so", &Elf { e_type: ET_DYN, ..Elf::program(None) }.bytes());
    // A library's own PT_INTERP and a DT_NEEDED naming a secret: the first is never read, the
    // second is not ELF.
    let liba = Elf {
        interp: Some("/etc/shadow"),
        needed: &["libb.so", "/etc/passwd"],
        runpath: Some("$ORIGIN"),
        ..Elf::library()
    };
    d.put("lib/liba.so", &liba.bytes());
    d.put(
        "lib/libb.so",
        &Elf { needed: &["liba.so"], runpath: Some("$ORIGIN"), ..Elf::library() }.bytes(),
    );
    let tool = Elf {
        needed: &["liba.so", "libmissing.so"],
        runpath: Some("$ORIGIN/lib"),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let tool = d.put("tool", &tool.bytes());
    let found = resolve_here(&tool, Environment::default()).unwrap();
    assert_eq!(names(&found), ["tool", "ld.so", "liba.so", "libb.so"]);
    assert_eq!(found.not_found, [(OsString::from("libmissing.so"), tool.clone())]);
    assert_eq!(found.refused.len(), 1, "{found:?}");
    assert_eq!(found.refused[0].path, PathBuf::from("/etc/passwd"));
    assert_eq!(found.refused[0].reason, Reason::NotElf);
    assert!(!found.files.iter().any(|f| f.starts_with("/etc")));
}

#[test]
fn only_regular_elf_files_of_the_right_machine_are_granted() {
    let d = Dir::new("kinds");
    let ld = d.put("ld.so", &Elf::program(None).bytes());
    let other = d.put("other.so", &Elf { machine: OTHER, ..Elf::library() }.bytes());
    let exec = d.put("exec.so", &Elf { e_type: ET_EXEC, ..Elf::library() }.bytes());
    std::fs::create_dir(d.0.join("adir")).unwrap();
    let fifo = d.fifo("fifo.so");
    let needed = [
        other.to_str().unwrap(),
        exec.to_str().unwrap(),
        &d.path("adir"),
        fifo.to_str().unwrap(),
        "/",
    ];
    let tool = Elf { needed: &needed, ..Elf::program(Some(ld.to_str().unwrap())) };
    let tool = d.put("tool", &tool.bytes());
    let found = resolve_here(&tool, Environment::default()).unwrap();
    assert_eq!(names(&found), ["tool", "ld.so"]);
    let reasons: Vec<Reason> = found.refused.iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        [
            Reason::WrongKind,
            Reason::WrongKind,
            Reason::NotRegular,
            Reason::NotRegular,
            Reason::NotRegular
        ]
    );
    // A search passes over what is not a library of the kind, as the loader does.
    d.put("a/libx.so", &Elf { machine: OTHER, ..Elf::library() }.bytes());
    d.put("b/libx.so", &Elf::library().bytes());
    let tool = Elf {
        needed: &["libx.so"],
        rpath: Some(&format!("{}:{}", d.path("a"), d.path("b"))),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let tool = d.put("tool2", &tool.bytes());
    let found = resolve_here(&tool, Environment::default()).unwrap();
    assert_eq!(found.files.last().unwrap(), &d.0.join("b/libx.so"));
}

#[test]
fn fifos_named_anywhere_never_block() {
    let d = Dir::new("fifos");
    let fifo = d.fifo("fifo");
    let tool = d.put("tool", &Elf::program(Some(fifo.to_str().unwrap())).bytes());
    let found = resolve_here(&tool, Environment::default()).unwrap();
    assert_eq!(found.files, [tool]);
    assert_eq!(found.refused[0].reason, Reason::NotRegular);
    let script = d.put("script", format!("#!{}\n", fifo.display()).as_bytes());
    let found = resolve_here(&script, Environment::default()).unwrap();
    assert_eq!(found.refused[0].reason, Reason::NotRegular);
    // The program itself.
    assert_eq!(resolve_here(&fifo, Environment::default()), Err(Error::NotRegular(fifo.clone())));
    // In a search directory, under LD_LIBRARY_PATH.
    let ld = d.put("ld.so", &Elf::program(None).bytes());
    d.fifo("libf.so");
    let tool = d.put(
        "tool2",
        &Elf { needed: &["libf.so"], ..Elf::program(Some(ld.to_str().unwrap())) }.bytes(),
    );
    let dir: &'static OsStr = Box::leak(d.0.clone().into_os_string().into_boxed_os_str());
    let found =
        resolve_here(&tool, Environment { ld_library_path: Some(dir), path: None }).unwrap();
    assert_eq!(found.not_found.len(), 1);
}

#[test]
fn scripts_get_an_elf_interpreter_and_what_env_runs_never_another_script() {
    let d = Dir::new("scripts");
    let ld = d.put("ld.so", &Elf::program(None).bytes());
    let interp = d.put("bin/interp", &Elf::program(Some(ld.to_str().unwrap())).bytes());
    let env = d.put("bin/env", &Elf::program(None).bytes());
    let script = d.put("s1", format!("#!{} -x\n", interp.display()).as_bytes());
    let found = resolve_here(&script, Environment::default()).unwrap();
    assert_eq!(names(&found), ["s1", "interp", "ld.so"]);
    // A script naming a script, a secret or a directory as its interpreter.
    let nested = d.put("s2", format!("#!{}\n", script.display()).as_bytes());
    let found = resolve_here(&nested, Environment::default()).unwrap();
    assert_eq!(names(&found), ["s2"]);
    assert_eq!(found.refused[0].reason, Reason::Script);
    for (name, target, reason) in
        [("s3", "/etc/passwd", Reason::NotElf), ("s4", "/", Reason::NotRegular)]
    {
        let s = d.put(name, format!("#!{target}\n").as_bytes());
        let found = resolve_here(&s, Environment::default()).unwrap();
        assert_eq!(found.files, [s]);
        assert_eq!(found.refused[0].reason, reason);
    }
    // env finds its program in PATH; a path or a script is checked the same way.
    let bin: &'static OsStr = Box::leak(d.0.join("bin").into_os_string().into_boxed_os_str());
    let with_path = Environment { ld_library_path: None, path: Some(bin) };
    let s = d.put("s5", format!("#!{} -S interp -u\n", env.display()).as_bytes());
    assert_eq!(names(&resolve_here(&s, with_path).unwrap()), ["s5", "env", "interp", "ld.so"]);
    let secret = d.put("secret", b"an executable secret\n");
    let s = d.put("s6", format!("#!{} {}\n", env.display(), secret.display()).as_bytes());
    let found = resolve_here(&s, with_path).unwrap();
    assert_eq!(names(&found), ["s6", "env"]);
    assert_eq!(found.refused[0].reason, Reason::NotElf);
    let s = d.put("s7", format!("#!{} {}\n", env.display(), script.display()).as_bytes());
    assert_eq!(resolve_here(&s, with_path).unwrap().refused[0].reason, Reason::Script);
}

#[test]
fn a_file_the_kernel_cannot_execute_is_run_by_sh() {
    let d = Dir::new("enoexec");
    let text = d.put("plain", b"echo hello\n");
    let found = resolve_here(&text, Environment::default()).unwrap();
    assert_eq!(found.files[0], text);
    if Path::new("/bin/sh").exists() {
        assert_eq!(found.files[1], PathBuf::from("/bin/sh"));
    }
}

#[test]
fn rpath_of_the_loaders_is_used_only_without_runpath() {
    let d = Dir::new("rpath");
    let ld = d.put("ld.so", &Elf::program(None).bytes());
    d.put("a/libx.so", &Elf::library().bytes());
    d.put("a/liby.so", &Elf::library().bytes());
    // libm has no RUNPATH: the program's RPATH finds libx for it. libr has a RUNPATH: it does not.
    d.put("b/libm.so", &Elf { needed: &["libx.so"], ..Elf::library() }.bytes());
    d.put(
        "b/libr.so",
        &Elf { needed: &["liby.so"], runpath: Some("/nonexistent"), ..Elf::library() }.bytes(),
    );
    let rpath = format!("{}:{}", d.path("a"), d.path("b"));
    let tool = Elf {
        needed: &["libm.so", "libr.so"],
        rpath: Some(&rpath),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let tool = d.put("tool", &tool.bytes());
    let found = resolve_here(&tool, Environment::default()).unwrap();
    assert_eq!(names(&found), ["tool", "ld.so", "libm.so", "libr.so", "libx.so"]);
    assert_eq!(found.not_found, [(OsString::from("liby.so"), d.0.join("b/libr.so"))]);
}

#[test]
fn hwcaps_variants_are_taken_with_the_library() {
    let d = Dir::new("hwcaps");
    let ld = d.put("ld.so", &Elf::program(None).bytes());
    d.put("lib/glibc-hwcaps/x86-64-v3/libh.so", &Elf::library().bytes());
    d.put("lib/glibc-hwcaps/x86-64-v2/libh.so", &Elf { machine: OTHER, ..Elf::library() }.bytes());
    d.put("lib/libh.so", &Elf::library().bytes());
    let tool = Elf {
        needed: &["libh.so"],
        runpath: Some(&d.path("lib")),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let found = resolve_here(&d.put("tool", &tool.bytes()), Environment::default()).unwrap();
    assert_eq!(
        &found.files[2..],
        [d.0.join("lib/glibc-hwcaps/x86-64-v3/libh.so"), d.0.join("lib/libh.so")]
    );
}

#[test]
fn loops_deep_chains_and_bad_headers() {
    let d = Dir::new("chains");
    let ld = d.put("ld.so", &Elf::program(None).bytes());
    let origin = Some("$ORIGIN");
    d.put("libp.so", &Elf { needed: &["libq.so"], runpath: origin, ..Elf::library() }.bytes());
    d.put("libq.so", &Elf { needed: &["libp.so"], runpath: origin, ..Elf::library() }.bytes());
    let tool =
        Elf { needed: &["libp.so"], runpath: origin, ..Elf::program(Some(ld.to_str().unwrap())) };
    let found = resolve_here(&d.put("tool", &tool.bytes()), Environment::default()).unwrap();
    assert_eq!(names(&found), ["tool", "ld.so", "libp.so", "libq.so"]);

    let names: Vec<String> = (0..=MAX_DEPTH + 1).map(|i| format!("lib{i}.so")).collect();
    for i in 0..=MAX_DEPTH {
        let next = [names[i + 1].as_str()];
        d.put(&names[i], &Elf { needed: &next, runpath: origin, ..Elf::library() }.bytes());
    }
    d.put(&names[MAX_DEPTH + 1], &Elf::library().bytes());
    let tool = Elf {
        needed: &[names[0].as_str()],
        runpath: origin,
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let e = resolve_here(&d.put("deep", &tool.bytes()), Environment::default()).unwrap_err();
    assert!(matches!(e, Error::TooDeep { .. }), "{e}");

    // Program headers past the end of the file, and an offset that overflows.
    let mut bad = Elf::program(Some(ld.to_str().unwrap())).bytes();
    bad[56] = 200; // e_phnum
    let e = resolve_here(&d.put("bad", &bad), Environment::default()).unwrap_err();
    assert!(matches!(e, Error::Malformed { .. }), "{e}");
    let program = Elf::program(Some(ld.to_str().unwrap()));
    let bad = Elf { needed: &["libp.so"], strtab_at: Some(u64::MAX - 2), ..program };
    let e = resolve_here(&d.put("bad2", &bad.bytes()), Environment::default()).unwrap_err();
    assert!(e.to_string().contains("malformed ELF"), "{e}");
}

#[test]
fn musl_programs_need_no_libc_but_their_loader() {
    let d = Dir::new("musl");
    let ld = d.put("ld-musl-x86_64.so.1", &Elf::program(None).bytes());
    let tool = Elf { needed: &["libc.so"], ..Elf::program(Some(ld.to_str().unwrap())) };
    let found = resolve_here(&d.put("tool", &tool.bytes()), Environment::default()).unwrap();
    assert_eq!(names(&found), ["tool", "ld-musl-x86_64.so.1"]);
    assert!(found.not_found.is_empty());
}

#[test]
fn this_test_binary() {
    // A Rust test binary: dynamically linked (glibc) or static. Against the real system.
    let exe = std::env::current_exe().unwrap();
    let found = resolve(&exe, &Environment::default()).unwrap();
    assert_eq!(found.files[0], exe);
    assert!(found.not_found.is_empty(), "{:?}", found.not_found);
    if cfg!(target_env = "gnu") {
        assert!(found.files.iter().any(|f| f.to_string_lossy().contains("libc.so")), "{found:?}");
    }
}

#[test]
fn dollar_tokens() {
    let kind = Kind { is64: true, little: true, machine: EM_X86_64 };
    let dirs = expand_all(
        &[b"$ORIGIN/../${LIB}".to_vec(), b"/x/$PLATFORM".to_vec()],
        Path::new("/opt/app/bin"),
        kind,
    );
    assert_eq!(
        dirs,
        [
            PathBuf::from("/opt/app/bin/../lib/x86_64-linux-gnu"),
            PathBuf::from("/opt/app/bin/../lib64"),
            PathBuf::from(format!(
                "/x/{}",
                if cfg!(target_arch = "aarch64") { "aarch64" } else { "x86_64" }
            )),
        ]
    );
}
