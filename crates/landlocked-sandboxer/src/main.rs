//! `landlocked-sandboxer`: the kernel's sample sandboxer (Linux 7.3
//! `samples/landlock/sandboxer.c`) as a static executable without libc, for initramfs images,
//! `FROM scratch` containers and init-time sandboxing.
//!
//! ```text
//! LL_FS_RO=/usr:/lib:/etc LL_FS_RW=/tmp landlocked-sandboxer COMMAND [ARG]...
//! ```
//!
//! The same variables with the same meanings as the sample (parsed by
//! `landlocked_core::sandboxer_env`), best effort: what this kernel cannot restrict is named on
//! stderr in one line, and the command runs. Exit status 1 when the sandbox cannot be set up
//! (bad variable, no Landlock, a feature the variables need and the kernel lacks), 127 when the
//! command is not found, 126 when it is found but cannot be executed; otherwise the command's own
//! status, since it replaces this process.
//!
//! No libc: `_start` reads the initial stack (`start.rs`), the syscalls are
//! `landlocked-core`'s, the compiler's memory functions are in `mem.rs`. No allocation: paths
//! are walked in place in the environment strings.
#![no_std]
#![no_main]

mod exec;
mod mem;
mod out;
mod start;

use landlocked_core::report::Status;
use landlocked_core::sandboxer_env::{self, EnvError, SandboxerEnv};
use landlocked_core::{Errno, Error, Report, SkipReason, Support, Threads, enforce, process};

use out::Out;
use start::{Args, c_bytes, env_entry};

const USAGE: &str = "\
usage: LL_FS_RO=PATHS LL_FS_RW=PATHS [LL_...=...] landlocked-sandboxer COMMAND [ARG]...
Runs COMMAND restricted by Landlock, with the variables of the Linux 7.3 sample sandboxer:
LL_FS_RO LL_FS_RW (required) LL_TCP_BIND LL_TCP_CONNECT LL_UDP_BIND LL_UDP_CONNECT_SEND
LL_SCOPED LL_FORCE_LOG LL_FS_QUIET LL_NET_QUIET LL_QUIET_ACCESS
";

/// Called by `_start` with the initial stack pointer.
///
/// # Safety
/// Only `_start` may call it, once, with the stack pointer the kernel gave it.
unsafe extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: `_start` passes the kernel's initial stack pointer, once.
    let args = unsafe { Args::from_stack(sp) };
    process::exit(main(args))
}

fn main(args: Args) -> i32 {
    let Some(command) = args.command() else {
        Out::bare().s(USAGE).send();
        return 1;
    };
    let envp = args.vars();
    let env = match SandboxerEnv::parse(|name| getenv(envp, name.as_bytes())) {
        Ok(env) => env,
        Err(e) => {
            env_error(&e);
            return 1;
        }
    };
    let mut policy = env.policy();
    // This process never starts a thread: the domain covers all of it without asking the kernel
    // to synchronise threads, or reading /proc to count them (which an initramfs may lack).
    policy.threads = Threads::CallingThread;
    let rules = env.with_skip_hook(|source, reason| {
        // A path that cannot be opened is skipped, as the sample does, and said. What this kernel
        // cannot restrict is in the report line instead.
        if let SkipReason::Missing(errno) = reason {
            Out::new()
                .s(source.variable)
                .s(" ")
                .q(source.item)
                .s(": skipped, cannot open it: ")
                .errno(errno)
                .end();
        }
    });
    match enforce(&policy, &rules) {
        Ok(report) if report.is_fully_enforced() => {}
        Ok(report) => report_line(&report),
        Err(e) => {
            enforce_error(&env, &e);
            return 1;
        }
    }

    // The command does not see the sandbox's variables, as with the sample.
    let path = getenv(args.vars(), b"PATH");
    strip_variables(args.envp);
    let envp = args.envp.as_ptr();
    // SAFETY: argv and envp are the process's own null-terminated arrays (the environment was
    // compacted in place, null-terminated again).
    let errno = unsafe { exec::execvp(args.argv, envp, path) };
    // SAFETY: argv[1] is a NUL-terminated argument of the process.
    let name = unsafe { c_bytes(command) };
    let mut out = Out::new();
    if matches!(errno, Errno::ENOENT | Errno::ENOTDIR) {
        out.q(name).s(": command not found").end();
        return 127;
    }
    out.s("cannot execute ").q(name).s(": ").errno(errno).end();
    if errno == Errno::EACCES {
        Out::new()
            .s("hint: the sandbox may deny executing the command, its interpreter or libraries")
            .end();
    }
    126
}

/// Bad input in the variables, naming the variable and the item.
#[inline(never)]
fn env_error(e: &EnvError<'_>) {
    let mut out = Out::new();
    match *e {
        EnvError::Missing(var) => {
            out.s(var).s(" is not set (set it to the paths to allow, or to \"\" for none)")
        }
        EnvError::BadPort { variable, item } => {
            out.s(variable).s(": ").q(item).s(" is not a port number")
        }
        EnvError::PortOutOfRange { variable, item } => {
            out.s(variable).s(": port ").q(item).s(" is out of range (0 to 65535)")
        }
        EnvError::BadScope(item) => out
            .s(sandboxer_env::LL_SCOPED)
            .s(": unknown or duplicate scope ")
            .q(item)
            .s(" (expected \"a\" and/or \"s\")"),
        EnvError::BadForceLog(value) => {
            out.s(sandboxer_env::LL_FORCE_LOG).s(": unknown value ").q(value).s(" (only \"1\" is)")
        }
        EnvError::BadQuietAccess(item) => {
            out.s(sandboxer_env::LL_QUIET_ACCESS).s(": unknown access ").q(item)
        }
        EnvError::QuietAccessRequired(var) => out
            .s(sandboxer_env::LL_QUIET_ACCESS)
            .s(" must be set (e.g. to \"all\") when ")
            .s(var)
            .s(" is used"),
    }
    .end();
}

/// Why the sandbox could not be set up, naming the variable and item of a rule at fault.
#[inline(never)]
fn enforce_error(env: &SandboxerEnv<'_>, e: &Error) {
    let mut out = Out::new();
    if let Some(source) = e.rule().and_then(|i| env.source(i)) {
        out.s(source.variable).s(" ").q(source.item).s(": ");
    }
    let (what, errno) = match *e {
        Error::Unavailable(support) => {
            out.s("Landlock is required but ");
            match support {
                Support::NotBuilt => out.s("not built into this kernel").end(),
                Support::Disabled => out.s("disabled at boot").end(),
                _ => out.s("unavailable").end(),
            }
            let hint = match support {
                Support::NotBuilt => {
                    "build the kernel with CONFIG_SECURITY_LANDLOCK=y and \"landlock\" in CONFIG_LSM"
                }
                Support::Disabled => "add \"landlock\" to CONFIG_LSM or to the lsm= boot parameter",
                Support::Unknown(e) => {
                    return Out::new().s("the version query failed: ").errno(e).end();
                }
                Support::Available { .. } => return,
            };
            return Out::new().s("hint: ").s(hint).end();
        }
        Error::AbiTooOld { required, found } => {
            let by = env.required_by().filter(|&(abi, _)| abi == required);
            out.s(by.map_or("the sandbox", |(_, var)| var))
                .s(" needs Landlock ABI ")
                .n(required.version().into())
                .s(", this kernel has ABI ")
                .n(found.version().into())
                .end();
            return;
        }
        Error::PortOutOfRange { .. } => ("port out of range (0 to 65535)", None),
        Error::InvalidPath { errno, .. } => ("invalid path: ", Some(errno)),
        Error::OpenPath { errno, .. } => ("cannot open it: ", Some(errno)),
        Error::AddRule { errno, .. } => ("the kernel refused the rule: ", Some(errno)),
        Error::CreateRuleset(errno) => ("cannot create the ruleset: ", Some(errno)),
        Error::NoNewPrivs(errno) => ("cannot set no_new_privs: ", Some(errno)),
        Error::RestrictSelf(errno) => ("cannot enforce the ruleset: ", Some(errno)),
        // Strict mode's errors: this program is best effort.
        _ => ("cannot set up the sandbox", e.errno()),
    };
    out.s(what);
    if let Some(errno) = errno {
        out.errno(errno);
    }
    out.end();
}

/// The one line saying what this kernel does not enforce:
/// `Landlock ABI 7: partly enforced, not enforced: fs: resolve_unix; net: bind_udp`.
#[inline(never)]
fn report_line(report: &Report) {
    let mut out = Out::new();
    if let Support::Available { version, .. } = report.kernel.support {
        out.s("Landlock ABI ").n(version.into()).s(": ");
    }
    if report.status() == Status::NotEnforced {
        out.s("not enforced, the command is not sandboxed").end();
        return;
    }
    out.s("partly enforced, not enforced: ");
    let m = report.missing();
    let mut sep = "";
    let mut part = |out: &mut Out, label: &str| {
        out.s(sep).s(label);
        sep = "; ";
    };
    if !m.fs.is_empty() {
        part(&mut out, "fs: ");
        out.names(m.fs.names());
    }
    if !m.net.is_empty() {
        part(&mut out, "net: ");
        out.names(m.net.names());
    }
    if !m.scoped.is_empty() {
        part(&mut out, "scope: ");
        out.names(m.scoped.names());
    }
    if !m.quiet_fs.is_empty() {
        part(&mut out, "quiet fs: ");
        out.names(m.quiet_fs.names());
    }
    if !m.quiet_net.is_empty() {
        part(&mut out, "quiet net: ");
        out.names(m.quiet_net.names());
    }
    if !m.quiet_scoped.is_empty() {
        part(&mut out, "quiet scope: ");
        out.names(m.quiet_scoped.names());
    }
    if m.quiet_rules {
        part(&mut out, "quiet rules");
    }
    if !m.log.is_empty() {
        part(&mut out, "log: ");
        out.names(m.log.names());
    }
    if m.threads {
        part(&mut out, "threads other than this one");
    }
    if report.refer_always_denied {
        out.s("; ABI 1 denies every link or rename across directories");
    }
    out.end();
}

/// The value of the first `NAME=value` entry of `envp`, as `getenv` finds it.
fn getenv(envp: &[*const u8], name: &[u8]) -> Option<&'static [u8]> {
    envp.iter().find_map(|&entry| {
        // SAFETY: every environment entry is NUL-terminated and lives as long as the process.
        match unsafe { env_entry(entry) } {
            // SAFETY: the value is the NUL-terminated rest of the entry.
            (n, Some(value)) if n == name => Some(unsafe { c_bytes(value) }),
            _ => None,
        }
    })
}

/// Removes the sandbox's variables from `envp` (with its final null) in place, keeping the order
/// of the rest, and null-terminates the array again.
fn strip_variables(envp: &mut [*const u8]) {
    let mut kept = 0;
    for i in 0..envp.len() {
        let Some(&entry) = envp.get(i).filter(|p| !p.is_null()) else { break };
        // SAFETY: every environment entry is NUL-terminated and lives as long as the process.
        let (name, _) = unsafe { env_entry(entry) };
        if !sandboxer_env::is_variable(name) {
            if let Some(slot) = envp.get_mut(kept) {
                *slot = entry;
            }
            kept += 1;
        }
    }
    // The array now ends here (at the old null if nothing was removed).
    if let Some(slot) = envp.get_mut(kept) {
        *slot = core::ptr::null();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut out = Out::new();
    out.s("internal error");
    if let Some(at) = info.location() {
        out.s(" at ").s(at.file()).s(":").n(at.line().into());
    }
    out.end();
    process::exit(1)
}

/// Named by the unwind tables of the precompiled `core` (built for panic=unwind), which an
/// unoptimised build links. Nothing unwinds here (panic=abort), so it is never called.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
