//! `landlocked learn`: the command traced, and the policy that allows what it did.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use landlocked::explain::Allowed;
use landlocked::learn::Learned;
use landlocked::{Abi, PolicyFile};
use landlocked_core::Kernel;

use crate::cli::LearnArgs;
use crate::run::{self, Options};
use crate::{Fail, fail};

/// `COMMAND ARGS...` as a shell would show it, for the policy's header.
fn shown(command: &[OsString]) -> String {
    command
        .iter()
        .map(|a| {
            let a = a.to_string_lossy();
            if a.is_empty() || a.contains([' ', '\'', '"', '$', '\\']) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the policy goes: `file` itself, or the file its symbolic link names (so that
/// `--append` through a link updates the policy, not the link). Checked before the command
/// runs: an existing target must be a regular file, a new one needs its directory.
fn output_target(file: &Path, option: &str) -> Result<PathBuf, Fail> {
    let named = || file.display();
    match std::fs::metadata(file) {
        Ok(m) if m.is_file() => {
            std::fs::canonicalize(file).map_err(|e| fail(format!("{option} {}: {e}", named())))
        }
        Ok(_) => Err(fail(format!("{option} {}: not a regular file", named()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let name = file
                .file_name()
                .ok_or_else(|| fail(format!("{option} {}: no file name", named())))?;
            let dir = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let dir = std::fs::canonicalize(dir)
                .map_err(|e| fail(format!("{option} {}: {e}", named())))?;
            Ok(dir.join(name))
        }
        Err(e) => Err(fail(format!("{option} {}: {e}", named()))),
    }
}

/// Writes `text` to `target` whole or not at all: a new file beside it (never an existing
/// one, never through a link), with the mode of the file it replaces, renamed over it.
fn write_whole(target: &Path, text: &str, option: &str) -> Result<(), Fail> {
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let cannot =
        |e: std::io::Error| fail(format!("{option} {}: cannot write: {e}", target.display()));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mode = std::fs::metadata(target).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let temporary =
        target.with_file_name(format!(".{name}.landlocked-{}-{nanos:09}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temporary)
        .map_err(cannot)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.set_permissions(std::fs::Permissions::from_mode(mode)))
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temporary, target));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        cannot(e)
    })
}

pub fn learn(args: LearnArgs) -> Result<i32, Fail> {
    let (options, command) = Options::from_args(args.run);
    if options.explain {
        return Err(fail("--explain is an option of landlocked run, not of learn"));
    }
    let Some(program) = command.first().cloned() else {
        return Err(fail(
            "learn: no COMMAND given (landlocked learn [OPTIONS] -- COMMAND [ARGS...])",
        ));
    };
    let env = run::command_environment(&options)?;
    let exe = run::find_command(&program, &env)?;
    // Sandboxed by the run options given, if any (a policy that then extends them).
    let sandbox = match options.rule_option() {
        Some(_) => Some(run::command_sandbox(&options, &exe, &env)?),
        None => None,
    };
    let prepared = sandbox.as_ref().map(|s| run::prepare(&options, s)).transpose()?;
    let existing = match &args.append {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| fail(format!("--append {}: cannot read: {e}", file.display())))?;
            let policy = PolicyFile::load(file).map_err(|e| fail(format!("--append: {e}")))?;
            Some((text, Allowed::granted_by(&policy)))
        }
        None => None,
    };
    // Where the policy goes, checked before the command runs.
    let target = match (&args.append, &args.output) {
        (Some(file), _) => Some(output_target(file, "--append")?),
        (None, Some(file)) => Some(output_target(file, "--output")?),
        (None, None) => None,
    };
    let traced_command = run::explain::traced_command(&exe, &program, &command[1..], &env)?;
    let traced = landlocked::trace::trace(&traced_command, prepared.as_ref())
        .map_err(|e| fail(e.to_string()))?;

    let kernel = Kernel::probe();
    let abi = kernel.support.abi().unwrap_or(Abi::LATEST);
    let in_sandbox =
        sandbox.as_ref().zip(prepared.as_ref()).map(|(s, p)| Allowed::of(s, p.report()));
    let mut learned = Learned::from_accesses(
        &traced.accesses,
        &traced.created,
        abi,
        in_sandbox.as_ref(),
        existing.as_ref().map(|(_, a)| a),
    );
    if let Some(sandbox) = &sandbox {
        learned = learned.with_given_beyond(sandbox.rules(), existing.as_ref().map(|(_, a)| a));
    }
    let release = crate::status::kernel_release();
    let header = format!(
        "Learned by landlocked {} from: {}\nOn Linux {release}, Landlock {}.",
        env!("CARGO_PKG_VERSION"),
        shown(&command),
        kernel.support
    );
    let (paths, ports) = learned.counts();
    let said = format!("{paths} path rules and {ports} port rules");
    match (&args.append, &existing) {
        (Some(file), Some((text, _))) => {
            let merged = learned
                .append_to_toml(text, &header.replace('\n', " "))
                .map_err(|e| fail(format!("--append {}: {e}", file.display())))?;
            write_whole(target.as_deref().unwrap_or(file), &merged, "--append")?;
            crate::warn_info(options.quiet, &format!("learn: {said} added to {}", file.display()));
        }
        _ => {
            let text = if args.json { learned.to_json() } else { learned.to_toml(&header) };
            match &args.output {
                Some(file) => {
                    write_whole(target.as_deref().unwrap_or(file), &text, "--output")?;
                    crate::warn_info(
                        options.quiet,
                        &format!("learn: {said} written to {}", file.display()),
                    );
                }
                None => crate::write_stdout(&text)?,
            }
        }
    }
    if traced.left_killed > 0 {
        crate::warn(
            options.quiet,
            &format!("learn: {}", run::explain::left_killed(traced.left_killed)),
        );
    }
    if traced.foreign_syscalls > 0 {
        crate::warn(
            options.quiet,
            &format!(
                "learn: {} syscalls of another architecture (32-bit) were not looked at",
                traced.foreign_syscalls
            ),
        );
    }
    Ok(traced.end.status())
}
