//! `landlocked run`: sandbox this process, then exec the command.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub(crate) mod explain;
mod options;

use options::EnvOpt;
pub(crate) use options::Options;

use landlocked::{AccessFs, AccessNet, Compat, Handled, PolicyFile, Rule, Sandbox, Scope, loader};
use landlocked_core::sandboxer_env::{self, SandboxerEnv};
use landlocked_core::{Kernel, SkipReason};

use crate::cli::RunArgs;
use crate::{Fail, fail, warn};

/// The message of an enforcement error, naming the option behind it.
fn enforce_error(e: &landlocked::Error, o: &Options) -> Fail {
    use landlocked_core::Error as E;
    let message = match e {
        landlocked::Error::Enforce(E::Unsupported { .. }) => format!("--strict: {e}"),
        landlocked::Error::Enforce(E::NothingToRestrict) if o.strict => format!("--strict: {e}"),
        landlocked::Error::Enforce(E::NothingToRestrict) => {
            format!("{e} (--best-effort runs the command anyway)")
        }
        landlocked::Error::Enforce(E::AbiTooOld { .. }) if o.min_abi.is_some() => {
            format!("--min-abi: {e}")
        }
        landlocked::Error::Enforce(E::Unavailable(_) | E::NothingEnforceable { .. })
            if !o.strict && o.min_abi.is_none() =>
        {
            format!("{e} (--best-effort runs the command without it)")
        }
        landlocked::Error::Seccomp(landlocked::SeccompError::Unavailable(_)) => {
            match &o.syscall_filter {
                Some(_) if !o.strict => {
                    format!("--syscall-filter: {e} (--best-effort runs without it)")
                }
                Some(_) => format!("--strict --syscall-filter: {e}"),
                None => format!(
                    "--strict: {e}: sockets Landlock does not cover (MPTCP, SCTP, ...) cannot be \
                     denied"
                ),
            }
        }
        _ => e.to_string(),
    };
    fail(message)
}

/// The environment COMMAND gets: landlocked's own (or none with `--clear-env`) without the
/// kernel sample's variables, then the `--env` options.
pub(crate) fn command_environment(o: &Options) -> Result<Vec<(OsString, OsString)>, Fail> {
    let own: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let mut env: Vec<(OsString, OsString)> = if o.clear_env {
        Vec::new()
    } else {
        own.iter().filter(|(k, _)| !sandboxer_env::is_variable(k.as_bytes())).cloned().collect()
    };
    for e in &o.env {
        let (key, value) = match e {
            EnvOpt::Set(key, value) => (key.clone(), value.clone()),
            EnvOpt::Pass(key) => match own.iter().find(|(k, _)| k == key) {
                Some((_, value)) => (key.clone(), value.clone()),
                None => {
                    return Err(fail(format!(
                        "--env {}: not set in landlocked's environment",
                        key.to_string_lossy()
                    )));
                }
            },
        };
        env.retain(|(k, _)| *k != key);
        env.push((key, value));
    }
    Ok(env)
}

fn var<'a>(env: &'a [(OsString, OsString)], name: &str) -> Option<&'a OsStr> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_os_str())
}

pub fn run(args: RunArgs) -> Result<i32, Fail> {
    let (options, command) = Options::from_args(args);
    if options.syscall_filter.as_ref().is_some_and(|f| !f.allows("execve")) {
        // The filter is installed before COMMAND is executed.
        return Err(fail("--syscall-filter denies execve, which running COMMAND needs"));
    }
    let Some(program) = command.first().cloned() else {
        return Err(fail("run: no COMMAND given (landlocked run [OPTIONS] -- COMMAND [ARGS...])"));
    };
    let env = command_environment(&options)?;
    match options.rule_option() {
        Some(option) => {
            // Either interface, never both: the variables would be silently ignored.
            let set = std::env::vars_os().find(|(k, _)| sandboxer_env::is_variable(k.as_bytes()));
            if let Some((name, _)) = set {
                return Err(fail(format!(
                    "{} is set beside {option}: use rule options or the kernel sample's \
                     variables, not both (unset it, or run with env -u {})",
                    name.to_string_lossy(),
                    name.to_string_lossy()
                )));
            }
            run_with_options(&options, &program, &command[1..], &env)
        }
        None => run_with_env(&options, &program, &command[1..], &env),
    }
}

/// The file COMMAND names, found as `execvp` finds it (the core's, as the static sandboxer's):
/// with the command's `PATH`. Its errors are the shell's: 127 not found, 126 not executable.
pub(crate) fn find_command(program: &OsStr, env: &[(OsString, OsString)]) -> Result<PathBuf, Fail> {
    use landlocked_core::exec;
    let mut buf = [0u8; exec::PATH_MAX];
    let path = var(env, "PATH").map(OsStrExt::as_bytes);
    match exec::find_program(program.as_bytes(), path, &mut buf) {
        Ok(found) => Ok(PathBuf::from(OsStr::from_bytes(found.to_bytes()))),
        Err(errno) => {
            let reason = if exec::exit_status(errno) == 127 {
                "command not found".to_string()
            } else {
                errno.to_string()
            };
            let name = program.to_string_lossy();
            Err(Fail { code: exec::exit_status(errno), message: format!("{name}: {reason}") })
        }
    }
}

/// The sandbox the options describe: the secure defaults, or a policy file, plus the rules.
fn options_sandbox(o: &Options) -> Result<Sandbox, Fail> {
    let mut sandbox = match &o.policy {
        Some(file) => PolicyFile::load(file).map_err(|e| fail(e.to_string()))?.sandbox(),
        None => {
            // Everything this kernel can restrict is denied, unless lifted. The network and
            // scopes are asked for in full, so that what a kernel cannot restrict is reported.
            let mut sandbox = Sandbox::new();
            if o.unrestricted_filesystem {
                sandbox.handle_fs(Handled::Only(AccessFs::empty()));
            }
            if !o.unrestricted_network {
                sandbox.restrict_net(AccessNet::all());
            }
            if !o.unrestricted_scoped {
                sandbox.scope(Scope::all());
            }
            sandbox
        }
    };
    for p in &o.paths {
        let origin = format!("{} {}", p.option, Path::new(&p.path).display());
        sandbox.rule(Rule::path(&p.path, p.access).origin(origin));
    }
    for p in &o.ports {
        sandbox.rule(Rule::port(p.port, p.access).origin(format!("{} {}", p.option, p.port)));
    }
    sandbox.scope(o.scopes).log(o.log).ignore_missing(o.ignore_missing);
    // `--unrestricted-network` leaves the network alone: no seccomp filter, even with ports.
    sandbox.network_seccomp(!o.unrestricted_network);
    if o.strict {
        sandbox.compat(Compat::Strict);
    }
    if let Some(abi) = o.min_abi {
        sandbox.min_abi(abi);
    }
    sandbox.require_landlock(!o.best_effort);
    if let Some(filter) = &o.syscall_filter {
        sandbox.syscall_filter(filter.clone());
    }
    Ok(sandbox)
}

/// `--ldd`: the rules for what the command needs to start, and warnings for what it names and
/// does not get.
fn ldd_rules(
    o: &Options,
    exe: &Path,
    env: &[(OsString, OsString)],
    sandbox: &mut Sandbox,
) -> Result<(), Fail> {
    let environment = loader::Environment {
        ld_library_path: var(env, "LD_LIBRARY_PATH"),
        path: var(env, "PATH"),
    };
    let found = loader::resolve(exe, &environment).map_err(|e| fail(format!("--ldd: {e}")))?;
    // Each rule is on the file that was checked, by its descriptor: what the path leads to by
    // now does not matter.
    for file in &found.files {
        let origin = format!("--ldd {}", file.path.display());
        sandbox.rule(Rule::fd(&file.fd, AccessFs::READ_EXECUTE).origin(origin));
    }
    if let Some(cache) = open_file(Path::new("/etc/ld.so.cache")) {
        sandbox.rule(Rule::fd(&cache, AccessFs::READ_FILE).origin("--ldd /etc/ld.so.cache"));
    }
    for (lib, by) in &found.not_found {
        let lib = lib.to_string_lossy();
        warn(o.quiet, &format!("--ldd: {lib} (needed by {}) not found", by.display()));
    }
    for r in &found.refused {
        warn(
            o.quiet,
            &format!(
                "--ldd: {} (named by {}) not granted: {}",
                r.path.display(),
                r.named_by.display(),
                r.reason
            ),
        );
    }
    Ok(())
}

/// `path` opened `O_PATH`, if it is a regular file: a rule on it grants exactly that file.
fn open_file(path: &Path) -> Option<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(path)
        .ok()?;
    file.metadata().ok().filter(|m| m.is_file()).map(|_| file)
}

/// The sandbox the options describe for COMMAND (found already as `exe`): the options' own,
/// `--add-exec` and `--ldd`.
pub(crate) fn command_sandbox(
    o: &Options,
    exe: &Path,
    env: &[(OsString, OsString)],
) -> Result<Sandbox, Fail> {
    let mut sandbox = options_sandbox(o)?;
    if o.add_exec {
        let file = open_file(exe).ok_or_else(|| {
            fail(format!("--add-exec: {}: not a regular file that can be opened", exe.display()))
        })?;
        let origin = format!("--add-exec {}", exe.display());
        sandbox.rule(Rule::fd(&file, AccessFs::READ_EXECUTE).origin(origin));
    }
    if o.ldd {
        ldd_rules(o, exe, env, &mut sandbox)?;
    }
    Ok(sandbox)
}

/// Prepares `sandbox` and says what it will not enforce (and with `--verbose` what it will).
pub(crate) fn prepare(o: &Options, sandbox: &Sandbox) -> Result<landlocked::Prepared, Fail> {
    let prepared = sandbox.prepare().map_err(|e| enforce_error(&e, o))?;
    let report = prepared.report();
    for skipped in report.skipped() {
        let origin = skipped.rule.origin.as_deref().unwrap_or("");
        warn(o.quiet, &format!("{origin}: skipped: {}", skipped.errno));
    }
    warn_report(o, report);
    if o.verbose {
        crate::say(&report.to_string());
    }
    Ok(prepared)
}

/// The options' sandbox, and the command executed under it.
fn run_with_options(
    o: &Options,
    program: &OsStr,
    args: &[OsString],
    env: &[(OsString, OsString)],
) -> Result<i32, Fail> {
    let exe = find_command(program, env)?;
    let sandbox = command_sandbox(o, &exe, env)?;
    let prepared = prepare(o, &sandbox)?;
    if o.explain {
        return explain::run(o, &sandbox, &prepared, &exe, program, args, env);
    }
    // Everything that writes or allocates happens before the filters are installed: a
    // syscall filter may deny it afterwards.
    let command = Exec::new(&exe, program, args, env)?;
    let _report = prepared.restrict_self().map_err(|e| enforce_error(&e, o))?;
    Err(command.exec())
}

/// Says what the kernel cannot enforce. Running without a Landlock domain (no sandbox at all,
/// or only seccomp's) is always said; a partial sandbox unless `--quiet`.
fn warn_report(o: &Options, report: &landlocked::Report) {
    if let Some(warning) = report.warning() {
        warn(o.quiet && report.domain().domain, &warning);
    }
}

/// The kernel sample's interface: the `LL_*` variables.
fn run_with_env(
    o: &Options,
    program: &OsStr,
    args: &[OsString],
    env: &[(OsString, OsString)],
) -> Result<i32, Fail> {
    if o.explain {
        return Err(fail(
            "--explain needs rule options or --policy (not the kernel sample's variables)",
        ));
    }
    let vars: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let sample = SandboxerEnv::parse(|name| {
        vars.iter().find(|(k, _)| k.as_bytes() == name.as_bytes()).map(|(_, v)| v.as_bytes())
    })
    .map_err(|e| match e {
        sandboxer_env::EnvError::Missing(_) => fail(format!(
            "{e}; or give rule options (--ro, --rw, ..., --policy: see landlocked run --help)"
        )),
        e => fail(e.to_string()),
    })?;
    let mut policy = sample.policy();
    if o.strict {
        policy = policy.with_compat(Compat::Strict);
    }
    if o.best_effort && sample.required_by().is_none() {
        // Only "no Landlock at all" is refused by the sample without a reason of its own.
        policy = policy.with_min_abi(None);
    }
    if let Some(abi) = o.min_abi {
        policy = policy.with_min_abi(Some(policy.min_abi().map_or(abi, |m| m.max(abi))));
    }
    policy = policy.with_log(policy.log() | o.log);
    let exe = find_command(program, env)?;
    let kernel = Kernel::probe();
    let rules = sample.with_skip_hook(|source, reason| {
        if let SkipReason::Missing(errno) = reason {
            warn(o.quiet, &format!("{source}: skipped, cannot open: {errno}"));
        }
    });
    // The filter is compiled before anything changes: a kernel without seccomp refuses it
    // unless best effort.
    let filter = match &o.syscall_filter {
        Some(filter) => match filter.compile() {
            Ok(compiled) => Some(compiled),
            Err(e) if o.best_effort => {
                warn(false, &format!("--syscall-filter: {e}: running without it"));
                None
            }
            Err(e) => {
                return Err(fail(format!("--syscall-filter: {e} (--best-effort runs without it)")));
            }
        },
        None => None,
    };
    let command = Exec::new(&exe, program, args, env)?;
    let report = landlocked_core::enforce_on(&kernel, &policy, &rules)
        .map_err(|e| fail(sample.explain(&e).to_string()))?;
    let report = landlocked::Report::from(report);
    warn_report(o, &report);
    if o.verbose {
        match &filter {
            Some(filter) => crate::say(&format!("{report}; {filter}")),
            None => crate::say(&report.to_string()),
        }
    }
    if let Some(filter) = filter {
        // After no_new_privs, which the sample's policy always sets.
        filter.install(true).map_err(|e| fail(format!("--syscall-filter: {e}")))?;
    }
    Err(command.exec())
}

/// The command to execute, its arguments and environment made C strings in advance: executing
/// then allocates nothing and makes no syscall but `execve` (and a write on failure).
struct Exec {
    exe: PathBuf,
    file: std::ffi::CString,
    /// Owned by `argv` and `envp`.
    _strings: Vec<std::ffi::CString>,
    argv: Vec<*const u8>,
    envp: Vec<*const u8>,
}

impl Exec {
    fn new(
        exe: &Path,
        program: &OsStr,
        args: &[OsString],
        env: &[(OsString, OsString)],
    ) -> Result<Exec, Fail> {
        use std::ffi::CString;
        let failed = |why: &str| Fail { code: 126, message: format!("{}: {why}", exe.display()) };
        // Arguments and variables come from argv and environ: they hold no NUL.
        let c = |bytes: &[u8]| CString::new(bytes).ok();
        let file = c(exe.as_os_str().as_bytes()).ok_or_else(|| failed("a NUL byte in the name"))?;
        let mut argv_strings = vec![c(b"landlocked"), c(program.as_bytes())];
        argv_strings.extend(args.iter().map(|a| c(a.as_bytes())));
        let argv_strings: Vec<CString> = argv_strings
            .into_iter()
            .collect::<Option<_>>()
            .ok_or_else(|| failed("a NUL byte in an argument"))?;
        let entries: Vec<CString> = env
            .iter()
            .map(|(k, v)| c(&[k.as_bytes(), b"=", v.as_bytes()].concat()))
            .collect::<Option<_>>()
            .ok_or_else(|| failed("a NUL byte in the environment"))?;
        let pointers = |strings: &[CString]| -> Vec<*const u8> {
            let mut list: Vec<*const u8> = strings.iter().map(|s| s.as_ptr().cast()).collect();
            list.push(std::ptr::null());
            list
        };
        let argv = pointers(&argv_strings);
        let envp = pointers(&entries);
        let mut strings = argv_strings;
        strings.extend(entries);
        Ok(Exec { exe: exe.to_path_buf(), file, _strings: strings, argv, envp })
    }

    /// Executes the command with its environment as the whole environment, through the core's
    /// `exec_file` (a file the kernel cannot execute is run by `/bin/sh`, as `execvp` does);
    /// returns only on failure, with exit status 126.
    fn exec(mut self) -> Fail {
        // SAFETY: `file`, every argument and entry are NUL-terminated and live past the call
        // (the strings are owned by `self`); both arrays end with a null; argv[0] is scratch
        // for the /bin/sh fallback.
        let errno = unsafe {
            landlocked_core::exec::exec_file(
                self.file.as_ptr().cast(),
                &mut self.argv,
                self.envp.as_ptr(),
            )
        };
        let hint = if errno == landlocked::Errno::EACCES {
            " (the sandbox may deny executing it, its interpreter or its libraries: see --rox, --ldd)"
        } else {
            ""
        };
        Fail {
            code: 126,
            message: format!("{}: cannot execute: {errno}{hint}", self.exe.display()),
        }
    }
}
