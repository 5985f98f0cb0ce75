//! The resolver against ELF files written here: what a loader processes is followed, what an
//! adversarial program names is not.

use super::*;

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::sync::mpsc;
use std::time::Duration;

use object::elf::{EM_AARCH64, EM_X86_64, ET_DYN, ET_EXEC};

use elf::Kind;
use expand::{Expanded, expand_all, search_list};
use machine::Target;

mod root;

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
    /// A second PT_INTERP, after the first.
    interp2: Option<&'a str>,
    /// A second dynamic section needing this, where PT_DYNAMIC's file offset (not its address,
    /// which the loader uses) points.
    decoy_needed: Option<&'a str>,
    /// PT_DYNAMIC's size in memory, if not its real one.
    dynamic_memsz: Option<u64>,
}

impl Elf<'_> {
    fn program(interp: Option<&str>) -> Elf<'_> {
        Elf { machine: HOST, e_type: ET_DYN, interp, dynamic: interp.is_some(), ..Elf::default() }
    }

    fn library() -> Elf<'static> {
        Elf { machine: HOST, e_type: ET_DYN, dynamic: true, ..Elf::default() }
    }

    fn bytes(&self) -> Vec<u8> {
        let phnum = 1
            + usize::from(self.interp.is_some())
            + usize::from(self.interp2.is_some())
            + usize::from(self.dynamic);
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
        let interp2_at = interp_at + interp.len();
        let interp2 = self.interp2.map(|i| format!("{i}\0")).unwrap_or_default();
        let dyn_at = (interp2_at + interp2.len()).next_multiple_of(8);
        let dyn_len = if self.dynamic { 16 * (entries.len() + 3) } else { 0 };
        let str_at = dyn_at + dyn_len;
        let loaded = str_at + strtab.len();
        // The decoy lies after everything loaded: dynamic entries, then its string.
        let decoy_at = loaded.next_multiple_of(8);
        let decoy = self.decoy_needed.map(|n| format!("{n}\0")).unwrap_or_default();
        let total =
            if self.decoy_needed.is_some() { decoy_at + 16 * 4 + decoy.len() } else { loaded };
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
        let mut segment =
            |f: &mut Vec<u8>, p_type: u32, offset: usize, vaddr: usize, size: usize, memsz: u64| {
                put32(f, ph, p_type);
                put64(f, ph + 8, offset as u64);
                put64(f, ph + 16, vaddr as u64);
                put64(f, ph + 24, vaddr as u64);
                put64(f, ph + 32, size as u64);
                put64(f, ph + 40, memsz);
                put64(f, ph + 48, 8);
                ph += 56;
            };
        segment(&mut f, 1, 0, 0, loaded, loaded as u64);
        if self.interp.is_some() {
            segment(&mut f, 3, interp_at, interp_at, interp.len(), interp.len() as u64);
            f[interp_at..interp_at + interp.len()].copy_from_slice(interp.as_bytes());
        }
        if self.interp2.is_some() {
            segment(&mut f, 3, interp2_at, interp2_at, interp2.len(), interp2.len() as u64);
            f[interp2_at..interp2_at + interp2.len()].copy_from_slice(interp2.as_bytes());
        }
        if let Some(needed) = self.decoy_needed {
            // DT_NEEDED, DT_STRTAB and DT_STRSZ of the decoy, all by file offset = address.
            let s = decoy_at + 16 * 4;
            for (i, (tag, value)) in
                [(1u64, 0u64), (5, s as u64), (10, needed.len() as u64 + 1)].iter().enumerate()
            {
                put64(&mut f, decoy_at + 16 * i, *tag);
                put64(&mut f, decoy_at + 16 * i + 8, *value);
            }
            f[s..s + decoy.len()].copy_from_slice(decoy.as_bytes());
        }
        if self.dynamic {
            let offset = if self.decoy_needed.is_some() { decoy_at } else { dyn_at };
            let memsz = self.dynamic_memsz.unwrap_or(dyn_len as u64);
            segment(&mut f, 2, offset, dyn_at, dyn_len, memsz);
            entries.push((5, self.strtab_at.unwrap_or(str_at as u64))); // DT_STRTAB
            entries.push((10, strtab.len() as u64)); // DT_STRSZ
            for (i, (tag, value)) in entries.iter().enumerate() {
                put64(&mut f, dyn_at + 16 * i, *tag);
                put64(&mut f, dyn_at + 16 * i + 8, *value);
            }
        }
        f[str_at..loaded].copy_from_slice(&strtab);
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
    resolve_env(program, env, Vec::new())
}

/// [`resolve_here`] with `env_programs` as the system's `env`.
fn resolve_env(
    program: &Path,
    env: Environment<'static>,
    env_programs: Vec<PathBuf>,
) -> Result<Found, Error> {
    let config = Config {
        ld_so_conf: "/nonexistent/ld.so.conf".into(),
        etc: "/nonexistent".into(),
        default_dirs: vec!["/nonexistent".into()],
        env_programs,
        ..Config::default()
    };
    resolve_timed(program, env, config)
}

/// [`resolve_with`] on a thread, failing the test rather than hanging.
fn resolve_timed(
    program: &Path,
    env: Environment<'static>,
    config: Config,
) -> Result<Found, Error> {
    let program = program.to_path_buf();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(resolve_with(&program, &env, &config));
    });
    rx.recv_timeout(Duration::from_secs(20)).expect("the resolver hung")
}

fn names(found: &Found) -> Vec<String> {
    found.paths().map(|f| f.file_name().unwrap().to_str().unwrap().to_owned()).collect()
}

fn paths(found: &Found) -> Vec<PathBuf> {
    found.paths().map(Path::to_path_buf).collect()
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
    assert_eq!(paths(&found), [tool]);
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
    assert!(!found.paths().any(|f| f.starts_with("/etc")));
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
    let reasons: Vec<Reason> = found.refused.iter().map(|r| r.reason.clone()).collect();
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
    assert_eq!(paths(&found).last().unwrap(), &d.0.join("b/libx.so"));
}

#[test]
fn fifos_named_anywhere_never_block() {
    let d = Dir::new("fifos");
    let fifo = d.fifo("fifo");
    let tool = d.put("tool", &Elf::program(Some(fifo.to_str().unwrap())).bytes());
    let found = resolve_here(&tool, Environment::default()).unwrap();
    assert_eq!(paths(&found), [tool]);
    assert_eq!(found.refused[0].reason, Reason::NotRegular);
    let script = d.put("script", format!("#!{}\n", fifo.display()).as_bytes());
    let found = resolve_here(&script, Environment::default()).unwrap();
    assert_eq!(found.refused[0].reason, Reason::NotRegular);
    // The program itself.
    assert_eq!(
        resolve_here(&fifo, Environment::default()).unwrap_err(),
        Error::NotRegular(fifo.clone())
    );
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
    // Longer than an ELF header whatever the temporary directory's name (this process's ID):
    // a shorter file is refused as too small before its first line is read.
    let body = format!("#!{} -x\n# {}\n", interp.display(), "-".repeat(64));
    let script = d.put("s1", body.as_bytes());
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
        assert_eq!(paths(&found), [s]);
        assert_eq!(found.refused[0].reason, reason);
    }
    // env finds its program in PATH; a path or a script is checked the same way.
    let bin: &'static OsStr = Box::leak(d.0.join("bin").into_os_string().into_boxed_os_str());
    let with_path = Environment { ld_library_path: None, path: Some(bin) };
    let system_env = vec![env.clone()];
    let s = d.put("s5", format!("#!{} -S interp -u\n", env.display()).as_bytes());
    let found = resolve_env(&s, with_path, system_env.clone()).unwrap();
    assert_eq!(names(&found), ["s5", "env", "interp", "ld.so"]);
    // A file merely named env is not the system's env: what it would run is not followed.
    assert_eq!(names(&resolve_here(&s, with_path).unwrap()), ["s5", "env"]);
    let secret = d.put("secret", &[b'x'; 100]);
    let s = d.put("s6", format!("#!{} {}\n", env.display(), secret.display()).as_bytes());
    let found = resolve_env(&s, with_path, system_env.clone()).unwrap();
    assert_eq!(names(&found), ["s6", "env"]);
    assert_eq!(found.refused[0].reason, Reason::NotElf);
    let s = d.put("s7", format!("#!{} {}\n", env.display(), script.display()).as_bytes());
    let found = resolve_env(&s, with_path, system_env.clone()).unwrap();
    assert_eq!(found.refused[0].reason, Reason::Script);
    // env's options that take a value: the value is not the program.
    let s = d.put("s8", format!("#!{} -S -u interp true\n", env.display()).as_bytes());
    let found = resolve_env(&s, with_path, system_env.clone()).unwrap();
    assert_eq!(names(&found), ["s8", "env"]);
    assert_eq!(
        found.refused[0],
        Refused { path: "true".into(), named_by: env.clone(), reason: Reason::Missing }
    );
    let s = d.put("s9", format!("#!{} -S --frobnicate interp\n", env.display()).as_bytes());
    let found = resolve_env(&s, with_path, system_env).unwrap();
    assert_eq!(names(&found), ["s9", "env"]);
    assert_eq!(found.refused[0].reason, Reason::EnvArguments);
}

#[test]
fn what_the_kernel_and_the_loader_do_not_read_is_not_granted() {
    let d = Dir::new("unread");
    let ld = d.put("ld.so", &Elf::program(None).bytes());
    let secret = d.put("secret.elf", &Elf::program(None).bytes());
    // A second PT_INTERP: the kernel takes the first.
    let tool =
        Elf { interp2: Some(secret.to_str().unwrap()), ..Elf::program(Some(ld.to_str().unwrap())) };
    let found = resolve_here(&d.put("two-interp", &tool.bytes()), Environment::default()).unwrap();
    assert_eq!(names(&found), ["two-interp", "ld.so"]);
    // A dynamic section at another file offset than its address: the loader reads the address.
    d.put("liba.so", &Elf::library().bytes());
    let tool = Elf {
        needed: &["liba.so"],
        runpath: Some("$ORIGIN"),
        decoy_needed: Some(secret.to_str().unwrap()),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let found = resolve_here(&d.put("decoy", &tool.bytes()), Environment::default()).unwrap();
    assert_eq!(names(&found), ["decoy", "ld.so", "liba.so"]);
    // A hwcaps subdirectory glibc would not try.
    d.put("lib/glibc-hwcaps/bogus/libh.so", &Elf::library().bytes());
    d.put("lib/libh.so", &Elf::library().bytes());
    let tool = Elf {
        needed: &["libh.so"],
        runpath: Some(&d.path("lib")),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let found = resolve_here(&d.put("hw", &tool.bytes()), Environment::default()).unwrap();
    assert!(!found.paths().any(|p| p.to_string_lossy().contains("bogus")), "{found:?}");
    // Files of /proc are never read, even if regular: reading some of them changes things.
    // Those of size 0 are not even opened; one with a size (kcore) is opened, never read.
    for (name, reason) in [
        ("/proc/self/status", Reason::NotElf),
        ("/proc/version", Reason::NotElf),
        ("/proc/kcore", Reason::NotRegular),
    ] {
        if !Path::new(name).exists() {
            continue;
        }
        let tool = Elf { needed: &[name], ..Elf::program(Some(ld.to_str().unwrap())) };
        let tool = d.put("proc", &tool.bytes());
        let found = resolve_here(&tool, Environment::default()).unwrap();
        let got = &found.refused[0].reason;
        // Without root, kcore cannot even be opened.
        assert!(got == &reason || matches!(got, Reason::Unreadable(_)), "{name}: {got:?}");
    }
}

#[test]
fn an_elf_file_the_kernel_will_not_execute_is_run_by_sh() {
    use object::elf::{ET_CORE, ET_REL};
    let d = Dir::new("not-exec");
    let secret = d.put("secret", &Elf::program(None).bytes());
    for (name, e_type) in [("core", ET_CORE), ("rel", ET_REL)] {
        let f = Elf { e_type, ..Elf::program(Some(secret.to_str().unwrap())) };
        let found = resolve_here(&d.put(name, &f.bytes()), Environment::default()).unwrap();
        assert!(!found.paths().any(|p| p == secret), "{name}: {found:?}");
        if Path::new("/bin/sh").exists() {
            assert_eq!(paths(&found)[1], PathBuf::from("/bin/sh"), "{name}");
        }
    }
    let other = Elf { machine: OTHER, ..Elf::program(Some(secret.to_str().unwrap())) };
    let found = resolve_here(&d.put("other", &other.bytes()), Environment::default()).unwrap();
    assert!(!found.paths().any(|p| p == secret));
}

#[test]
fn search_paths_as_glibc_reads_them() {
    let d = Dir::new("paths");
    let ld = d.put("ld.so", &Elf::program(None).bytes());
    d.put("a/libx.so", &Elf::library().bytes());
    d.put("b/libx.so", &Elf::library().bytes());
    // An empty DT_RUNPATH entry (here the whole string) is the working directory, and still
    // turns DT_RPATH off.
    let tool = Elf {
        needed: &["libx.so"],
        rpath: Some(&d.path("a")),
        runpath: Some(":"),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let found = resolve_here(&d.put("emptyrun", &tool.bytes()), Environment::default()).unwrap();
    assert!(!found.paths().any(|p| p.starts_with(d.0.join("a"))), "{found:?}");
    // More directories than any object has: not believed.
    let many = vec!["x"; 300].join(":");
    let tool = Elf {
        needed: &["libx.so"],
        rpath: Some(&many),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let e = resolve_here(&d.put("many", &tool.bytes()), Environment::default()).unwrap_err();
    assert!(e.to_string().contains("more than 256 directories"), "{e}");
    // $ORIGIN of a library found through a symlinked directory: the directory it was found in.
    d.put(
        "real/libo.so",
        &Elf { needed: &["libp.so"], runpath: Some("$ORIGIN/p"), ..Elf::library() }.bytes(),
    );
    d.put("link/p/libp.so", &Elf::library().bytes());
    std::fs::remove_file(d.0.join("link/p/libp.so")).unwrap();
    std::fs::remove_dir_all(d.0.join("link")).unwrap();
    std::os::unix::fs::symlink(d.0.join("real"), d.0.join("link")).unwrap();
    d.put("real/p/libp.so", &Elf::library().bytes());
    let tool = Elf {
        needed: &["libo.so"],
        runpath: Some(&d.path("link")),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let found = resolve_here(&d.put("origin", &tool.bytes()), Environment::default()).unwrap();
    assert_eq!(paths(&found).last().unwrap(), &d.0.join("link/p/libp.so"));
}

#[test]
fn the_granted_file_is_the_one_checked() {
    use std::os::fd::AsRawFd;
    let d = Dir::new("fds");
    let ld = d.put("ld.so", &Elf::program(None).bytes());
    let tool = d.put("tool", &Elf::program(Some(ld.to_str().unwrap())).bytes());
    let found = resolve_here(&tool, Environment::default()).unwrap();
    // Swapped for a symlink to / after the check: the descriptor still names the file.
    std::fs::remove_file(&ld).unwrap();
    std::os::unix::fs::symlink("/", &ld).unwrap();
    let fd = found.files[1].fd.as_raw_fd();
    let meta = std::fs::metadata(format!("/proc/self/fd/{fd}")).unwrap();
    assert!(meta.is_file(), "the granted descriptor is no longer the checked file");
}

#[test]
fn searches_pass_over_what_the_loader_passes_over() {
    let d = Dir::new("skips");
    let ld = d.put("ld.so", &Elf::program(None).bytes());
    // A malformed candidate, then the real one.
    let mut bad = Elf::library().bytes();
    bad[56] = 200;
    d.put("a/libm.so", &bad);
    d.put("b/libm.so", &Elf::library().bytes());
    let rpath = format!("{}:{}", d.path("a"), d.path("b"));
    let tool = Elf {
        needed: &["libm.so"],
        rpath: Some(&rpath),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let found = resolve_here(&d.put("tool", &tool.bytes()), Environment::default()).unwrap();
    assert_eq!(paths(&found).last().unwrap(), &d.0.join("b/libm.so"));
    // $ORIGIN in a needed name, as glibc expands it.
    d.put("sub/libo.so", &Elf::library().bytes());
    let tool = Elf { needed: &["$ORIGIN/sub/libo.so"], ..Elf::program(Some(ld.to_str().unwrap())) };
    let found = resolve_here(&d.put("origin", &tool.bytes()), Environment::default()).unwrap();
    assert_eq!(paths(&found).last().unwrap(), &d.0.join("sub/libo.so"));
    // A dynamic section that claims more memory than any object has: refused before anything
    // is allocated for it.
    let tool =
        Elf { dynamic_memsz: Some(u64::MAX / 2), ..Elf::program(Some(ld.to_str().unwrap())) };
    let e = resolve_here(&d.put("huge", &tool.bytes()), Environment::default()).unwrap_err();
    assert!(e.to_string().contains("larger than 64 KiB"), "{e}");
    // A search directory that cannot be entered (a symlink loop: ELOOP) is passed over.
    std::os::unix::fs::symlink(d.0.join("loop"), d.0.join("loop")).unwrap();
    let rpath = format!("{}:{}", d.path("loop"), d.path("b"));
    let tool = Elf {
        needed: &["libm.so"],
        rpath: Some(&rpath),
        ..Elf::program(Some(ld.to_str().unwrap()))
    };
    let found = resolve_here(&d.put("looped", &tool.bytes()), Environment::default()).unwrap();
    assert_eq!(paths(&found).last().unwrap(), &d.0.join("b/libm.so"));
}

#[test]
fn a_file_the_kernel_cannot_execute_is_run_by_sh() {
    let d = Dir::new("enoexec");
    let text = d.put("plain", b"echo hello\n");
    let found = resolve_here(&text, Environment::default()).unwrap();
    assert_eq!(paths(&found)[0], text);
    if Path::new("/bin/sh").exists() {
        assert_eq!(paths(&found)[1], PathBuf::from("/bin/sh"));
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
fn the_loader_takes_one_variant_of_a_library() {
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
    // The v3 one where this CPU can use it (the v2 one is of another machine), else the plain
    // one: never both.
    let kind = Kind { is64: true, little: true, machine: HOST };
    let v3 = Target::new(None).hwcaps_subdirs(kind).contains(&"x86-64-v3");
    let want = if v3 { "lib/glibc-hwcaps/x86-64-v3/libh.so" } else { "lib/libh.so" };
    assert_eq!(&paths(&found)[2..], [d.0.join(want)]);
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
    assert_eq!(paths(&found)[0], exe);
    assert!(found.not_found.is_empty(), "{:?}", found.not_found);
    if cfg!(target_env = "gnu") {
        assert!(found.paths().any(|f| f.to_string_lossy().contains("libc.so")), "{found:?}");
    }
}

#[test]
fn dollar_tokens() {
    let dirs = expand_all(
        &[b"$ORIGIN/../${LIB}".to_vec(), b"/x/$PLATFORM".to_vec()],
        Path::new("/opt/app/bin"),
        "lib/x86_64-linux-gnu",
        "haswell",
    );
    assert_eq!(
        dirs,
        [
            Expanded { path: "/opt/app/bin/../lib/x86_64-linux-gnu".into(), from_origin: true },
            Expanded { path: "/x/haswell".into(), from_origin: false },
        ]
    );
    // Empty entries are the working directory; more than 256 are not believed.
    assert_eq!(search_list(b"a::b").unwrap(), [b"a".to_vec(), b".".to_vec(), b"b".to_vec()]);
    assert!(search_list(&b"a:".repeat(300)).is_err());
}
