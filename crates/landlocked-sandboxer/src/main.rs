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

mod mem;
#[macro_use]
mod out;
mod start;

use landlocked_core::report::Status;
use landlocked_core::sandboxer_env::{self, EnvError, SandboxerEnv};
use landlocked_core::{
    AccessFs, AccessNet, Errno, Error, Report, RestrictSelfFlags, Scope, SkipReason, Support,
    Threads, enforce, process,
};

use landlocked_core::text::{
    self,
    Arg::{self, Num, Quoted, Text},
};
use out::{Out, say};
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
        out::write_stderr(USAGE.as_bytes());
        return 1;
    };
    let vars = args.vars();
    let env = match SandboxerEnv::parse(|name| getenv(vars, name.as_bytes())) {
        Ok(env) => env,
        Err(e) => {
            env_error(&e);
            return 1;
        }
    };
    let mut policy = env.policy();
    // This process never starts a thread: the domain covers all of it without asking the kernel
    // to synchronise threads, or reading /proc to count them (which an initramfs may lack).
    policy = policy.with_threads(Threads::CallingThread);
    let rules = env.with_skip_hook(|source, reason| {
        // A path that cannot be opened is skipped, as the sample does, and said. What this kernel
        // cannot restrict is in the report line instead.
        if let SkipReason::Missing(errno) = reason {
            let (variable, item) = (Text(source.variable), Quoted(source.item));
            say("% %: skipped, cannot open it: %", &[variable, item, Arg::Errno(errno)]);
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
    let path = getenv(vars, b"PATH");
    strip_variables(args.envp);
    let envp = args.envp.as_ptr();
    // SAFETY: argv and envp are the process's own null-terminated arrays (the environment was
    // compacted in place, null-terminated again).
    let errno = unsafe { landlocked_core::exec::execvp(args.argv, envp, path) };
    // SAFETY: argv[1] is a NUL-terminated argument of the process.
    let name = unsafe { c_bytes(command) };
    if matches!(errno, Errno::ENOENT | Errno::ENOTDIR) {
        say("%: command not found", &[Quoted(name)]);
        return 127;
    }
    say("cannot execute %: %", &[Quoted(name), Arg::Errno(errno)]);
    if errno == Errno::EACCES {
        say("hint: the sandbox may deny executing the command, its interpreter or libraries", &[]);
    }
    126
}

/// Bad input in the variables, naming the variable and the item: the core's message.
#[inline(never)]
fn env_error(e: &EnvError<'_>) {
    let (template, first, second) = e.message();
    say(template, &[first, second]);
}

/// Why the sandbox could not be set up, naming the variable and item of a rule at fault: the
/// core's messages, and a hint where Landlock is missing.
#[inline(never)]
fn enforce_error(env: &SandboxerEnv<'_>, e: &Error) {
    if let Error::AbiTooOld { required, found } = *e {
        let by = env.required_by().filter(|&(abi, _)| abi == required);
        let by = by.map_or("the sandbox", |(_, var)| var);
        return say(text::NEEDS_ABI, &text::needs_abi(by, required, found));
    }
    // Strict mode's errors have no message here: this program is best effort.
    let (template, arg) = e.message().unwrap_or(("cannot set up the sandbox", Text("")));
    let mut out = Out::new();
    if let Some(source) = e.rule().and_then(|i| env.source(i)) {
        out.fill("% %: ", &[Text(source.variable), Quoted(source.item)]);
    }
    out.fill(template, &[arg]).end();
    if let Error::Unavailable(support) = *e {
        if let Some(hint) = text::support_hint(support) {
            say("hint: %", &[Text(hint)]);
        }
    }
}

/// The parts of the report line, in order: each one's label and the names of its flags
/// ([`names_of!`]; none for the two that are a yes or no). The values are those of `missing`
/// in [`report_line`], in the same order.
const MISSING: [&[u8]; 9] = [
    names_of!(AccessFs),
    names_of!(AccessNet),
    names_of!(Scope),
    names_of!(AccessFs),
    names_of!(AccessNet),
    names_of!(Scope),
    b"",
    names_of!(RestrictSelfFlags),
    b"",
];

/// The one line saying what this kernel does not enforce:
/// `Landlock ABI 7: partly enforced, not enforced: fs: resolve_unix; net: bind_udp`.
#[inline(never)]
fn report_line(report: &Report) {
    let mut out = Out::new();
    if let Support::Available { version, .. } = report.kernel.support {
        out.fill("Landlock ABI %: ", &[Num(version)]);
    }
    if report.status() == Status::NotEnforced {
        out.s(text::NOT_ENFORCED).end();
        return;
    }
    out.s(text::PARTLY_ENFORCED);
    let m = report.missing();
    let missing = [
        m.fs.bits(),
        m.net.bits(),
        m.scoped.bits(),
        m.quiet_fs.bits(),
        m.quiet_net.bits(),
        m.quiet_scoped.bits(),
        m.quiet_rules.into(),
        m.log.bits().into(),
        m.threads.into(),
    ];
    let mut sep = "";
    let parts = text::MISSING_LABELS.iter().zip(&MISSING);
    for ((&label, &names), &bits) in parts.zip(&missing) {
        if bits != 0 {
            out.s(sep).s(label).flags(bits, names);
            sep = "; ";
        }
    }
    if report.refer_always_denied {
        out.s("; ").s(text::REFER_ALWAYS_DENIED);
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
        out.s(" at ").s(at.file()).s(":").n(at.line());
    }
    out.end();
    process::exit(1)
}

/// Named by the unwind tables of the precompiled `core` (built for panic=unwind), which an
/// unoptimised build links. Nothing unwinds here (panic=abort), so it is never called.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
