//! `landlocked run`: sandbox this process, then exec the command.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

mod options;

use options::{EnvOpt, Options};

use landlocked::{
    AccessFs, AccessNet, Compat, Handled, PolicyFile, Rule, Sandbox, Scope, Status, loader,
};
use landlocked_core::sandboxer_env::{self, SandboxerEnv};
use landlocked_core::{Kernel, SkipReason};

use crate::cli::RunArgs;
use crate::{Fail, fail, warn};

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

/// The environment COMMAND gets: landlocked's own (or none with `--clear-env`) without the
/// kernel sample's variables, then the `--env` options.
fn command_environment(o: &Options) -> Result<Vec<(OsString, OsString)>, Fail> {
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

fn find_command(program: &OsStr, env: &[(OsString, OsString)]) -> Result<PathBuf, Fail> {
    lookup(program, var(env, "PATH")).map_err(|(code, reason)| Fail {
        code,
        message: format!("{}: {reason}", program.to_string_lossy()),
    })
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
    if o.strict {
        sandbox.compat(Compat::Strict);
    }
    if let Some(abi) = o.min_abi {
        sandbox.min_abi(abi);
    }
    sandbox.require_landlock(!o.best_effort);
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

/// The options' sandbox, and the command executed under it.
fn run_with_options(
    o: &Options,
    program: &OsStr,
    args: &[OsString],
    env: &[(OsString, OsString)],
) -> Result<i32, Fail> {
    let mut sandbox = options_sandbox(o)?;
    let exe = find_command(program, env)?;
    if o.add_exec {
        let file = open_file(&exe).ok_or_else(|| {
            fail(format!("--add-exec: {}: not a regular file that can be opened", exe.display()))
        })?;
        let origin = format!("--add-exec {}", exe.display());
        sandbox.rule(Rule::fd(&file, AccessFs::READ_EXECUTE).origin(origin));
    }
    if o.ldd {
        ldd_rules(o, &exe, env, &mut sandbox)?;
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
    Err(exec(&exe, program, args, env))
}

/// The kernel sample's interface: the `LL_*` variables.
fn run_with_env(
    o: &Options,
    program: &OsStr,
    args: &[OsString],
    env: &[(OsString, OsString)],
) -> Result<i32, Fail> {
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
    let report = landlocked_core::enforce_on(&kernel, &policy, &rules)
        .map_err(|e| fail(sample.explain(&e).to_string()))?;
    let report = landlocked::Report::from(report);
    if let Some(warning) = report.warning() {
        warn(o.quiet && report.status() != Status::NotEnforced, &warning);
    }
    Err(exec(&exe, program, args, env))
}

/// Executes the command with `env` as its whole environment; returns only on failure, with
/// exit status 126.
fn exec(exe: &Path, program: &OsStr, args: &[OsString], env: &[(OsString, OsString)]) -> Fail {
    let mut cmd = Command::new(exe);
    cmd.arg0(program).args(args).env_clear().envs(env.iter().map(|(k, v)| (k, v)));
    let error = cmd.exec();
    // A file the kernel does not recognise is a shell script without `#!`, as for a shell.
    if error.raw_os_error() == Some(libc::ENOEXEC) {
        let mut sh = Command::new("/bin/sh");
        sh.arg0(program).arg(exe).args(args).env_clear().envs(env.iter().map(|(k, v)| (k, v)));
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
