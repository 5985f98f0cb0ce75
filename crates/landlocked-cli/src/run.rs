//! `landlocked run`: sandbox this process, then exec the command.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use landlocked::{
    Abi, AccessFs, AccessNet, Compat, PolicyFile, RestrictSelfFlags, Rule, Sandbox, Scope, Status,
};
use landlocked_core::sandboxer_env::{self, SandboxerEnv};
use landlocked_core::{Kernel, SkipReason};

use crate::args::Args;
use crate::{Fail, fail, warn};

pub const HELP: &str = "\
usage: landlocked run [OPTIONS] [--] COMMAND [ARGS...]

Runs COMMAND (looked up in PATH as a shell does) in a Landlock sandbox. Every filesystem
right the kernel can restrict is denied except beneath the paths given; a network right is
denied except on the ports given once any port option of that kind (or --deny-net) is used;
scopes only with --scope. A file gets only the rights that apply to files.

With no rule option and no --policy, the kernel sample's variables are used instead:
LL_FS_RO, LL_FS_RW (both required), LL_TCP_BIND, LL_TCP_CONNECT, LL_UDP_BIND,
LL_UDP_CONNECT_SEND, LL_SCOPED, LL_FORCE_LOG, LL_FS_QUIET, LL_NET_QUIET, LL_QUIET_ACCESS, with
the meanings of Linux 7.3's samples/landlock/sandboxer.c; the command does not see them.

Paths (repeatable):
  --ro PATH          read files and list directories
  --rox PATH         read and execute
  --rw PATH          read and change (write, create, remove, rename, truncate...), no execute
  --rwx PATH         everything
  --unix PATH        connect or send to the pathname UNIX sockets there (ABI 9)
  --ldd              read and execute COMMAND, its ELF interpreter and shared libraries
                     (read from the ELF file: PT_INTERP, DT_NEEDED, RPATH/RUNPATH, ld.so.conf),
                     and for a #! script its interpreter's; also reading /etc/ld.so.cache
Network (repeatable, PORT or PORT,PORT,...):
  --bind-tcp PORT    --connect-tcp PORT    --bind-udp PORT (ABI 10)    --connect-udp PORT (ABI 10)
  --deny-net         deny all TCP and UDP binding and connecting but on the ports given
Scopes:
  --scope abstract-unix|signal   no connecting to abstract UNIX sockets, or signalling, outside
                                 the sandbox (ABI 6); repeatable or comma-separated
Policy:
  --policy FILE      a landlockconfig policy in TOML or JSON; it says what is handled, and the
                     options above add to it
Compatibility:
  --best-effort      run even where Landlock is missing (said on stderr); the default already
                     enforces what the kernel can and says what it cannot
  --strict           refuse to run unless the kernel can enforce all of the sandbox
  --min-abi N        refuse to run on a kernel older than Landlock ABI N (1 to 11)
  --ignore-missing   skip paths that do not exist (each is named on stderr) instead of failing
Logging (ABI 7, for audit):
  --log-same-exec-off   do not log denials before the command's execve (landlocked's own)
  --log-new-exec        log denials of the command and what it executes (off by default)
  --log-subdomains-off  do not log denials of sandboxes nested inside this one
Output:
  --quiet            do not say on stderr what the kernel cannot enforce or which paths were
                     skipped (Landlock missing entirely is always said)

Exit status: COMMAND's own; 125 when landlocked fails (bad option, bad policy, missing path,
port out of range, Landlock unavailable, strict request unmet); 126 when COMMAND cannot be
executed; 127 when it is not found.

Examples:
  landlocked run --ldd --ro /etc --rw /tmp -- sort /etc/passwd -o /tmp/sorted
  landlocked run --rox /usr --rox /lib --rox /lib64 --ro /etc --connect-tcp 443 -- curl https://example.org
  landlocked run --ldd --rw . --deny-net --scope signal,abstract-unix -- make
  landlocked run --strict --policy /etc/landlocked/web.toml -- /usr/sbin/nginx
  LL_FS_RO=/usr:/lib:/etc LL_FS_RW=/tmp LL_TCP_CONNECT=443 landlocked run -- bash -i
";

/// One rule option as given.
struct PathOpt {
    option: &'static str,
    path: OsString,
    access: AccessFs,
}

struct PortOpt {
    option: &'static str,
    port: u16,
    access: AccessNet,
}

#[derive(Default)]
struct Options {
    paths: Vec<PathOpt>,
    ports: Vec<PortOpt>,
    deny_net: bool,
    scopes: Scope,
    policy: Option<OsString>,
    best_effort: bool,
    strict: bool,
    min_abi: Option<Abi>,
    ignore_missing: bool,
    log: RestrictSelfFlags,
    quiet: bool,
    ldd: bool,
}

impl Options {
    /// Whether any option adds a rule or a restriction (otherwise the `LL_*` variables apply).
    fn has_rules(&self) -> bool {
        !self.paths.is_empty()
            || !self.ports.is_empty()
            || self.deny_net
            || !self.scopes.is_empty()
            || self.ldd
            || self.policy.is_some()
    }
}

fn parse_ports(option: &str, value: &OsStr) -> Result<Vec<u16>, Fail> {
    let text = value.to_string_lossy();
    text.split(',')
        .map(|item| {
            let item = item.trim();
            if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail(format!("{option} {text}: \"{item}\" is not a port number")));
            }
            match item.parse::<u64>() {
                Ok(port) if port <= 65535 => Ok(port as u16),
                _ => {
                    Err(fail(format!("{option} {text}: port {item} is out of range (0 to 65535)")))
                }
            }
        })
        .collect()
}

fn parse_options(args: &mut Args) -> Result<Options, Fail> {
    let mut o = Options::default();
    while let Some(option) = args.option()? {
        let path_access = match option.as_str() {
            "--ro" => Some(AccessFs::READ),
            "--rox" => Some(AccessFs::READ_EXECUTE),
            "--rw" => Some(AccessFs::READ | AccessFs::WRITE),
            "--rwx" => Some(AccessFs::all()),
            "--unix" => Some(AccessFs::RESOLVE_UNIX),
            _ => None,
        };
        if let Some(access) = path_access {
            let option: &'static str = match option.as_str() {
                "--ro" => "--ro",
                "--rox" => "--rox",
                "--rw" => "--rw",
                "--rwx" => "--rwx",
                _ => "--unix",
            };
            let path = args.value(option, "PATH")?;
            if path.is_empty() {
                return Err(fail(format!("{option}: the path is empty")));
            }
            o.paths.push(PathOpt { option, path, access });
            continue;
        }
        let port_access = match option.as_str() {
            "--bind-tcp" => Some(("--bind-tcp", AccessNet::BIND_TCP)),
            "--connect-tcp" => Some(("--connect-tcp", AccessNet::CONNECT_TCP)),
            "--bind-udp" => Some(("--bind-udp", AccessNet::BIND_UDP)),
            "--connect-udp" => Some(("--connect-udp", AccessNet::CONNECT_SEND_UDP)),
            _ => None,
        };
        if let Some((option, access)) = port_access {
            let value = args.value(option, "PORT")?;
            for port in parse_ports(option, &value)? {
                o.ports.push(PortOpt { option, port, access });
            }
            continue;
        }
        match option.as_str() {
            "--deny-net" => o.deny_net = true,
            "--scope" => {
                let value = args.value("--scope", "SCOPE")?;
                for item in value.to_string_lossy().split(',') {
                    o.scopes |= match item.trim() {
                        "abstract-unix" | "abstract_unix_socket" | "a" => {
                            Scope::ABSTRACT_UNIX_SOCKET
                        }
                        "signal" | "s" => Scope::SIGNAL,
                        other => {
                            return Err(fail(format!(
                                "--scope {other}: unknown scope (abstract-unix or signal)"
                            )));
                        }
                    };
                }
            }
            "--policy" => {
                let value = args.value("--policy", "FILE")?;
                if o.policy.replace(value).is_some() {
                    return Err(fail("--policy given twice (one policy file per run)"));
                }
            }
            "--best-effort" => o.best_effort = true,
            "--strict" => o.strict = true,
            "--min-abi" => {
                let value = args.value("--min-abi", "N")?;
                let text = value.to_string_lossy();
                o.min_abi = Some(
                    text.parse::<u32>()
                        .ok()
                        .filter(|v| (1..=Abi::LATEST.version()).contains(v))
                        .and_then(Abi::from_version)
                        .ok_or_else(|| {
                            fail(format!(
                                "--min-abi {text}: not a Landlock ABI this landlocked knows (1 to {})",
                                Abi::LATEST
                            ))
                        })?,
                );
            }
            "--ignore-missing" => o.ignore_missing = true,
            "--log-same-exec-off" => o.log |= RestrictSelfFlags::LOG_SAME_EXEC_OFF,
            "--log-new-exec" => o.log |= RestrictSelfFlags::LOG_NEW_EXEC_ON,
            "--log-subdomains-off" => o.log |= RestrictSelfFlags::LOG_SUBDOMAINS_OFF,
            "--quiet" => o.quiet = true,
            "--ldd" => o.ldd = true,
            "--help" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            other => {
                return Err(fail(format!(
                    "run: unknown option {other} (see landlocked run --help)"
                )));
            }
        }
    }
    args.finish_options()?;
    if o.best_effort && o.strict {
        return Err(fail("--best-effort and --strict contradict each other"));
    }
    Ok(o)
}

/// An I/O error as `Permission denied (EACCES)`.
fn io_text(e: &std::io::Error) -> String {
    match e.raw_os_error().and_then(landlocked::Errno::from_raw) {
        Some(errno) => errno.to_string(),
        None => e.to_string(),
    }
}

/// The message of an enforcement error, naming the option behind it.
fn enforce_error(e: &landlocked::Error, o: &Options) -> Fail {
    use landlocked_core::Error as E;
    let message = match e {
        landlocked::Error::Enforce(E::Unsupported { .. }) => format!("--strict: {e}"),
        landlocked::Error::Enforce(E::NothingToRestrict) => format!("--strict: {e}"),
        landlocked::Error::Enforce(E::AbiTooOld { .. }) if o.min_abi.is_some() => {
            format!("--min-abi: {e}")
        }
        landlocked::Error::Enforce(E::Unavailable(_)) if !o.strict && o.min_abi.is_none() => {
            format!("{e} (--best-effort runs the command without it)")
        }
        _ => e.to_string(),
    };
    fail(message)
}

/// Finds `command` as a shell does: a name with a `/` is used as it is, any other is looked
/// for in each directory of `PATH` (an empty entry is the working directory; unset, the
/// default `/bin:/usr/bin`). Errors are the exit status and the reason: 127 not found, 126 found
/// but not executable.
pub fn lookup(command: &OsStr, path_var: Option<&OsStr>) -> Result<PathBuf, (i32, String)> {
    let executable = |p: &Path| -> Result<(), String> {
        let meta = std::fs::metadata(p).map_err(|e| io_text(&e))?;
        if meta.is_dir() {
            return Err("Is a directory".into());
        }
        let c = std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| "the name contains a NUL byte".to_string())?;
        // SAFETY: `c` is a valid NUL-terminated string.
        if unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0 {
            Ok(())
        } else {
            Err(io_text(&std::io::Error::last_os_error()))
        }
    };
    if command.is_empty() {
        return Err((127, "the command name is empty".into()));
    }
    if command.as_bytes().contains(&b'/') {
        let path = PathBuf::from(command);
        return match executable(&path) {
            Ok(()) => Ok(path),
            Err(e) if !path.exists() => Err((127, e)),
            Err(e) => Err((126, e)),
        };
    }
    let path_var = path_var.unwrap_or(OsStr::new("/bin:/usr/bin"));
    let mut denied = None;
    for dir in path_var.as_bytes().split(|&b| b == b':') {
        let dir = if dir.is_empty() { Path::new(".") } else { Path::new(OsStr::from_bytes(dir)) };
        let candidate = dir.join(command);
        if !candidate.exists() {
            continue;
        }
        match executable(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) => {
                denied.get_or_insert((candidate, e));
            }
        }
    }
    match denied {
        Some((candidate, e)) => Err((126, format!("{}: {e}", candidate.display()))),
        None => Err((127, "command not found".into())),
    }
}

pub fn run(args: &mut Args) -> Result<i32, Fail> {
    if args.wants_help() {
        print!("{HELP}");
        return Ok(0);
    }
    let options = parse_options(args)?;
    let command = args.rest();
    let Some(program) = command.first().cloned() else {
        return Err(fail("run: no COMMAND given (landlocked run [OPTIONS] -- COMMAND [ARGS...])"));
    };
    if options.has_rules() {
        run_with_options(&options, &program, &command[1..])
    } else {
        run_with_env(&options, &program, &command[1..])
    }
}

fn find_command(program: &OsStr) -> Result<PathBuf, Fail> {
    lookup(program, std::env::var_os("PATH").as_deref()).map_err(|(code, reason)| Fail {
        code,
        message: format!("{}: {reason}", program.to_string_lossy()),
    })
}

/// The options' sandbox, and the command executed under it.
fn run_with_options(o: &Options, program: &OsStr, args: &[OsString]) -> Result<i32, Fail> {
    let mut sandbox = match &o.policy {
        Some(file) => PolicyFile::load(file).map_err(|e| fail(e.to_string()))?.sandbox(),
        None => Sandbox::new(),
    };
    for p in &o.paths {
        let origin = format!("{} {}", p.option, Path::new(&p.path).display());
        sandbox.rule(Rule::path(&p.path, p.access).origin(origin));
    }
    for p in &o.ports {
        sandbox.rule(Rule::port(p.port, p.access).origin(format!("{} {}", p.option, p.port)));
    }
    if o.deny_net {
        sandbox.restrict_net(AccessNet::all());
    }
    sandbox.scope(o.scopes).log(o.log).ignore_missing(o.ignore_missing);
    if o.strict {
        sandbox.strict();
    }
    if let Some(abi) = o.min_abi {
        sandbox.min_abi(abi);
    }
    if !o.best_effort {
        sandbox.require_landlock();
    }
    let exe = find_command(program)?;
    if o.ldd {
        let found = crate::ldd::resolve(
            &exe,
            std::env::var_os("LD_LIBRARY_PATH").as_deref(),
            std::env::var_os("PATH").as_deref(),
        );
        for file in &found.files {
            sandbox.rule(Rule::path(file, AccessFs::READ_EXECUTE).origin("--ldd"));
        }
        if Path::new("/etc/ld.so.cache").exists() {
            sandbox.rule(Rule::path("/etc/ld.so.cache", AccessFs::READ_FILE).origin("--ldd"));
        }
        for (lib, by) in &found.not_found {
            warn(o.quiet, &format!("--ldd: {lib} (needed by {}) not found", by.display()));
        }
    }
    let report = sandbox.restrict_self().map_err(|e| enforce_error(&e, o))?;
    for skipped in report.skipped() {
        let origin = skipped.rule.origin.as_deref().unwrap_or("");
        warn(o.quiet, &format!("{origin}: skipped: {}", skipped.errno));
    }
    if let Some(warning) = report.warning() {
        // Running with no sandbox at all is always said; a partial one unless --quiet.
        warn(o.quiet && report.status() != Status::NotEnforced, &warning);
    }
    Err(exec(&exe, program, args, false))
}

/// The kernel sample's interface: the `LL_*` variables.
fn run_with_env(o: &Options, program: &OsStr, args: &[OsString]) -> Result<i32, Fail> {
    let vars: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let env = SandboxerEnv::parse(|name| {
        vars.iter().find(|(k, _)| k.as_bytes() == name.as_bytes()).map(|(_, v)| v.as_bytes())
    })
    .map_err(|e| match e {
        sandboxer_env::EnvError::Missing(_) => fail(format!(
            "{e}; or give rule options (--ro, --rw, ..., --policy: see landlocked run --help)"
        )),
        e => fail(e.to_string()),
    })?;
    let mut policy = env.policy();
    if o.strict {
        policy.compat = Compat::Strict;
    }
    if o.best_effort && env.required_by().is_none() {
        // Only "no Landlock at all" is refused by the sample without a reason of its own.
        policy.min_abi = None;
    }
    if let Some(abi) = o.min_abi {
        policy.min_abi = Some(policy.min_abi.map_or(abi, |m| m.max(abi)));
    }
    policy.log |= o.log;
    let exe = find_command(program)?;
    let kernel = Kernel::probe();
    let rules = env.with_skip_hook(|source, reason| {
        if let SkipReason::Missing(errno) = reason {
            warn(o.quiet, &format!("{source}: skipped, cannot open: {errno}"));
        }
    });
    let report = landlocked_core::enforce_on(&kernel, &policy, &rules)
        .map_err(|e| fail(env.explain(&e).to_string()))?;
    let report = landlocked::Report::from(report);
    if let Some(warning) = report.warning() {
        warn(o.quiet && report.status() != Status::NotEnforced, &warning);
    }
    Err(exec(&exe, program, args, true))
}

/// Executes the command; returns only on failure, with exit status 126.
fn exec(exe: &Path, program: &OsStr, args: &[OsString], drop_ll: bool) -> Fail {
    let mut cmd = Command::new(exe);
    cmd.arg0(program).args(args);
    if drop_ll {
        for (name, _) in std::env::vars_os() {
            if sandboxer_env::is_variable(name.as_bytes()) {
                cmd.env_remove(name);
            }
        }
    }
    let error = cmd.exec();
    // A file the kernel does not recognise is a shell script without `#!`, as for a shell.
    if error.raw_os_error() == Some(libc::ENOEXEC) {
        let mut sh = Command::new("/bin/sh");
        sh.arg0(program).arg(exe).args(args);
        if drop_ll {
            for (name, _) in std::env::vars_os() {
                if sandboxer_env::is_variable(name.as_bytes()) {
                    sh.env_remove(name);
                }
            }
        }
        let _ = sh.exec();
    }
    let hint = if error.raw_os_error() == Some(libc::EACCES) {
        " (the sandbox may deny executing it, its interpreter or its libraries: see --rox, --ldd)"
    } else {
        ""
    };
    let error = io_text(&error);
    Fail { code: 126, message: format!("{}: cannot execute: {error}{hint}", exe.display()) }
}
