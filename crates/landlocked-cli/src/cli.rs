//! The command line, declared with clap: every subcommand, option and help text. `cargo xtask
//! man` renders the same declarations as man pages, and `landlocked completions` as shell
//! completions.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use clap::builder::{OsStringValueParser, TypedValueParser};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use landlocked::{Abi, DenyAction, Scope, SyscallFilter};

/// Landlock sandboxing from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "landlocked",
    version,
    about = "Landlock sandboxing from the command line",
    after_help = "Examples:\n  landlocked run --ldd --ro /etc --rw /tmp -- sort /etc/passwd -o /tmp/sorted\n  \
                  landlocked status --json\n  landlocked check /etc/landlocked/web.toml",
    subcommand_required = true,
    arg_required_else_help = false
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    // The help texts are on the argument structs: a doc comment here would replace them.
    Run(Box<RunArgs>),
    Learn(Box<LearnArgs>),
    Status(StatusArgs),
    Check(CheckArgs),
    Denials(DenialsArgs),
    /// Print a shell's completions for landlocked
    Completions(CompletionsArgs),
}

const RUN_ABOUT: &str = "\
Runs COMMAND (looked up in PATH as a shell does) in a Landlock sandbox that denies by default
everything this kernel can restrict: every filesystem right but beneath the paths given, TCP
and UDP binding and connecting but on the ports given, connecting to abstract UNIX sockets and
signalling outside the sandbox. What the kernel cannot restrict is said in one line. A file
gets only the rights that apply to files.

A restricted network is completed with seccomp: sockets Landlock does not cover (MPTCP, SCTP,
ICMP, raw, other address families such as vsock) and io_uring are denied, and so are TCP or UDP
sockets outright where this kernel's Landlock cannot restrict them (TCP before ABI 4, UDP
before ABI 10) and no port of theirs is allowed. Every seccomp filter kills a syscall made
through another entry point of the kernel: 32-bit (i386, x32) programs need
--unrestricted-network. --verbose says which layer enforces what.

With no rule option and no --policy, the kernel sample's variables are used instead:
LL_FS_RO, LL_FS_RW (both required), LL_TCP_BIND, LL_TCP_CONNECT, LL_UDP_BIND,
LL_UDP_CONNECT_SEND, LL_SCOPED, LL_FORCE_LOG, LL_FS_QUIET, LL_NET_QUIET, LL_QUIET_ACCESS, with
the meanings of Linux 7.3's samples/landlock/sandboxer.c. Setting them beside rule options is an
error; the command never sees them.";

const RUN_AFTER: &str = "\
Exit status: COMMAND's own; 125 when landlocked fails (bad option, bad policy, missing path,
port out of range, bad syscall filter, Landlock or seccomp unavailable, nothing enforceable,
strict request unmet); 126 when COMMAND cannot be executed; 127 when it is not found.

Examples:
  landlocked run --ldd --ro /etc --rw /tmp -- sort /etc/passwd -o /tmp/sorted
  landlocked run --rox /usr,/lib,/lib64 --ro /etc --connect-tcp 443 -- curl https://example.org
  landlocked run --ldd --rw . -- make
  landlocked run --unrestricted-filesystem --connect-tcp 5432 -- ./client
  landlocked run --ldd --rw /var/lib/svc --syscall-filter @system-service -- ./service
  landlocked run --strict --policy /etc/landlocked/web.toml -- /usr/sbin/nginx
  LL_FS_RO=/usr:/lib:/etc LL_FS_RW=/tmp LL_TCP_CONNECT=443 landlocked run -- bash -i";

/// `landlocked run`.
#[derive(Debug, Args)]
#[command(about = "Run COMMAND in a sandbox", long_about = RUN_ABOUT, after_long_help = RUN_AFTER)]
pub struct RunArgs {
    /// Read files and list directories beneath PATH (PATH,PATH,... as well)
    #[arg(long, allow_hyphen_values = true, value_name = "PATH", help_heading = "Paths", value_parser = paths("--ro"))]
    pub ro: Vec<Vec<OsString>>,
    /// Read and execute beneath PATH
    #[arg(long, allow_hyphen_values = true, value_name = "PATH", help_heading = "Paths", value_parser = paths("--rox"))]
    pub rox: Vec<Vec<OsString>>,
    /// Read and change beneath PATH (write, create, remove, rename, truncate...), no execute
    #[arg(long, allow_hyphen_values = true, value_name = "PATH", help_heading = "Paths", value_parser = paths("--rw"))]
    pub rw: Vec<Vec<OsString>>,
    /// Everything beneath PATH
    #[arg(long, allow_hyphen_values = true, value_name = "PATH", help_heading = "Paths", value_parser = paths("--rwx"))]
    pub rwx: Vec<Vec<OsString>>,
    /// Connect or send to the pathname UNIX sockets beneath PATH (ABI 9)
    #[arg(long, allow_hyphen_values = true, value_name = "PATH", help_heading = "Paths", value_parser = paths("--unix"))]
    pub unix: Vec<Vec<OsString>>,
    /// Read and execute COMMAND itself
    #[arg(long, help_heading = "Paths")]
    pub add_exec: bool,
    /// Read and execute COMMAND, its ELF interpreter and shared libraries as the loader will
    /// find them (read from the files, never by running them), and for a #! script its ELF
    /// interpreter's; also reading /etc/ld.so.cache
    #[arg(long, help_heading = "Paths")]
    pub ldd: bool,
    /// Leave the filesystem alone (a network or scope sandbox)
    #[arg(long, help_heading = "Paths", conflicts_with_all = ["ro", "rox", "rw", "rwx", "unix", "ldd", "add_exec"])]
    pub unrestricted_filesystem: bool,

    /// Allow binding TCP sockets to PORT (PORT,PORT,... as well)
    #[arg(long, allow_hyphen_values = true, value_name = "PORT", help_heading = "Network", value_parser = ports("--bind-tcp"))]
    pub bind_tcp: Vec<Vec<u16>>,
    /// Allow connecting TCP sockets to PORT
    #[arg(long, allow_hyphen_values = true, value_name = "PORT", help_heading = "Network", value_parser = ports("--connect-tcp"))]
    pub connect_tcp: Vec<Vec<u16>>,
    /// Allow binding UDP sockets to PORT (ABI 10)
    #[arg(long, allow_hyphen_values = true, value_name = "PORT", help_heading = "Network", value_parser = ports("--bind-udp"))]
    pub bind_udp: Vec<Vec<u16>>,
    /// Allow connecting and sending UDP to PORT (ABI 10)
    #[arg(long, allow_hyphen_values = true, value_name = "PORT", help_heading = "Network", value_parser = ports("--connect-udp"))]
    pub connect_udp: Vec<Vec<u16>>,
    /// Leave the network alone; a port option still restricts its right to the ports given
    #[arg(long, help_heading = "Network", conflicts_with = "deny_net")]
    pub unrestricted_network: bool,
    /// The default, accepted for compatibility
    #[arg(long, help_heading = "Network")]
    pub deny_net: bool,

    /// Allow abstract UNIX sockets and signals outside the sandbox
    #[arg(long, help_heading = "Scopes")]
    pub unrestricted_scoped: bool,
    /// Restrict this scope even with --unrestricted-scoped (ABI 6): abstract-unix or signal,
    /// repeatable or comma-separated
    #[arg(long, allow_hyphen_values = true, value_name = "SCOPE", help_heading = "Scopes", value_parser = scopes)]
    pub scope: Vec<Scope>,

    /// A landlockconfig policy in TOML or JSON instead of the defaults: it says what is
    /// handled, and the rule options add to it
    #[arg(long, allow_hyphen_values = true, value_name = "FILE", help_heading = "Policy",
          conflicts_with_all = ["unrestricted_filesystem", "unrestricted_network", "unrestricted_scoped", "deny_net"])]
    pub policy: Option<PathBuf>,

    /// Start COMMAND with an empty environment
    #[arg(long, help_heading = "Environment")]
    pub clear_env: bool,
    /// KEY: pass KEY with landlocked's value; KEY=VALUE: set it (repeatable)
    #[arg(long, allow_hyphen_values = true, value_name = "KEY[=VALUE]", help_heading = "Environment", value_parser = env_option())]
    pub env: Vec<EnvOpt>,

    /// Run even where Landlock is missing or can enforce none of the sandbox (said on stderr)
    #[arg(long, help_heading = "Compatibility", conflicts_with = "strict")]
    pub best_effort: bool,
    /// Refuse to run unless the kernel can enforce all of the sandbox
    #[arg(long, help_heading = "Compatibility")]
    pub strict: bool,
    /// Refuse to run on a kernel older than Landlock ABI N (1 to 11)
    #[arg(long, allow_hyphen_values = true, value_name = "N", help_heading = "Compatibility", value_parser = min_abi)]
    pub min_abi: Option<Abi>,
    /// Skip paths that do not exist (each is named on stderr; their rights stay denied
    /// elsewhere) instead of failing
    #[arg(long, help_heading = "Compatibility")]
    pub ignore_missing: bool,

    /// Do not log denials before the command's execve (landlocked's own; ABI 7)
    #[arg(long, visible_alias = "log-disable-originating", help_heading = "Logging")]
    pub log_same_exec_off: bool,
    /// Log denials of the command and what it executes (ABI 7)
    #[arg(long, visible_alias = "log-enable-subprocesses", help_heading = "Logging")]
    pub log_new_exec: bool,
    /// Do not log denials of sandboxes nested inside this one (ABI 7)
    #[arg(long, visible_alias = "log-disable-subdomains", help_heading = "Logging")]
    pub log_subdomains_off: bool,

    /// Allow only these syscalls and @groups, or after ~ deny them: systemd's
    /// SystemCallFilter= ("@system-service", "~@mount @swap:ENOSYS"); repeatable, each later
    /// one adding to the first or taking from it. On x86_64 the i386 and x32 entry points are
    /// killed. landlocked status --syscall-groups lists the groups
    #[arg(long, allow_hyphen_values = true, value_name = "SPEC", help_heading = "Syscalls", value_parser = syscall_filter_line)]
    pub syscall_filter: Vec<String>,
    /// What a denied syscall gets: an error name or number (EPERM, the default), or kill
    /// (SIGSYS), as SystemCallErrorNumber=
    #[arg(long, allow_hyphen_values = true, value_name = "ERRNO", help_heading = "Syscalls", requires = "syscall_filter", value_parser = deny_action)]
    pub syscall_errno: Option<DenyAction>,

    /// Do not say on stderr what the kernel cannot enforce or which paths were skipped
    /// (Landlock missing entirely is always said)
    #[arg(long, help_heading = "Output", conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say on stderr, before running COMMAND, what is enforced and by which layer (Landlock,
    /// seccomp)
    #[arg(long, short, help_heading = "Output")]
    pub verbose: bool,

    /// Trace COMMAND from outside the sandbox and say, when it ends, each access the sandbox
    /// denied, counted, with the option that would allow it
    #[arg(long, help_heading = "Explaining")]
    pub explain: bool,
    /// With --explain, also write the denials to FILE as JSON
    #[arg(long, value_name = "FILE", help_heading = "Explaining", requires = "explain")]
    pub explain_json: Option<PathBuf>,

    /// The command and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

const LEARN_ABOUT: &str = "\
Runs COMMAND traced with ptrace (as an ordinary user), every process it forks or executes
followed, and writes a landlockconfig policy that allows what it did and nothing else: read and
execute on the system prefixes it used (/usr, /lib, /lib64, /bin, /sbin) and on the directories
of its programs and libraries; elsewhere a rule per file it read or wrote and per directory it
listed or changed; the ports it bound or connected; every right of this kernel's Landlock
handled, so that anything not learned is denied. Each rule has a comment saying why.

COMMAND runs unsandboxed, or sandboxed by the run options given (--ro, --policy, ...), whose
rules the learned policy then keeps and extends. `landlocked run --policy FILE -- COMMAND` runs
it under the policy learned.";

/// `landlocked learn`.
#[derive(Debug, Args)]
#[command(
    about = "Run COMMAND traced and write a policy that allows what it did",
    long_about = LEARN_ABOUT,
    after_long_help = "Exit status: COMMAND's own; 125 when landlocked fails (it cannot trace, write \
                       the policy, or a run option is wrong).\n\nExamples:\n  \
                       landlocked learn -o py.toml -- python3 -c 'import json'\n  \
                       landlocked run --policy py.toml -- python3 -c 'import json'\n  \
                       landlocked learn --append py.toml -- python3 -c 'import sqlite3'"
)]
pub struct LearnArgs {
    /// Write the policy to FILE instead of standard output
    #[arg(long, short, value_name = "FILE", conflicts_with = "append")]
    pub output: Option<PathBuf>,
    /// Write JSON instead of TOML
    #[arg(long, conflicts_with = "append")]
    pub json: bool,
    /// Add what this run needs and FILE does not allow yet to FILE (TOML), keeping the rest
    #[arg(long, value_name = "FILE")]
    pub append: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// `landlocked denials`.
#[derive(Debug, Args)]
#[command(
    about = "Summarise Landlock's audit records: which rights each sandbox denied, on what",
    long_about = "Reads Landlock's audit records (LANDLOCK_ACCESS and LANDLOCK_DOMAIN, types 1423 \
                  and 1424, Landlock ABI 7) from FILE or standard input, as auditd writes them \
                  (/var/log/audit/audit.log), as ausearch prints them (raw or -i), or from the \
                  kernel log when no audit daemon runs (dmesg, journalctl -k), and prints them \
                  joined by domain: who created it, which rights it denied on which paths, \
                  ports or processes, how often. Denials of a sandboxed command are only \
                  logged with --log-new-exec (landlocked run) or LL_FORCE_LOG=1.",
    after_long_help = "Examples:\n  ausearch -m 1423,1424 --raw | landlocked denials\n  \
                       landlocked denials /var/log/audit/audit.log\n  dmesg | landlocked denials --json"
)]
pub struct DenialsArgs {
    /// The same as JSON
    #[arg(long)]
    pub json: bool,
    /// Where the records are (standard input when not given)
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `landlocked status`.
#[derive(Debug, Args)]
#[command(
    about = "Say what this kernel's Landlock can enforce",
    long_about = "Says whether Landlock is available, disabled at boot or not built into this \
                  kernel, its ABI, the errata it has fixed (and what each unfixed one means), \
                  the kernel release, and for every right, scope and flag whether this kernel \
                  can enforce it (and from which ABI and Linux release it could). Only the \
                  Landlock syscalls are asked: securityfs need not be mounted.",
    after_long_help = "Examples:\n  landlocked status\n  landlocked status --json | jq .abi"
)]
pub struct StatusArgs {
    /// The same as a JSON object
    #[arg(long)]
    pub json: bool,
    /// List the syscall groups of --syscall-filter instead, with their members on this
    /// architecture
    #[arg(long)]
    pub syscall_groups: bool,
}

/// `landlocked check`.
#[derive(Debug, Args)]
#[command(
    about = "Validate a policy file and say what this kernel would enforce of it",
    long_about = "Validates POLICY, a landlockconfig policy in TOML or JSON (see the README), and \
                  says what this kernel would enforce of it: fully, partly (naming what is \
                  missing) or not at all, which of its paths do not exist here, and the \
                  kernel's errata that concern it. Nothing is enforced. Exit status 0 for a \
                  valid policy, 125 for an invalid one (the error names the file, line and \
                  column).",
    after_long_help = "Examples:\n  landlocked check /etc/landlocked/web.toml\n  landlocked check --json policy.json"
)]
pub struct CheckArgs {
    /// The same as a JSON object
    #[arg(long)]
    pub json: bool,
    /// The policy file
    #[arg(value_name = "POLICY")]
    pub policy: PathBuf,
}

/// `landlocked completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The shells completions are written for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    #[value(name = "powershell")]
    PowerShell,
}

/// The whole command line, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}

/// An `--env` option: a variable passed on with landlocked's value, or set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvOpt {
    /// `KEY`.
    Pass(OsString),
    /// `KEY=VALUE`.
    Set(OsString, OsString),
}

/// `PATH` or `PATH,PATH,...` as landrun takes them: split at commas, bytes kept (non-UTF-8 paths
/// work); an empty item is an error. A path holding a comma goes in a policy file.
fn paths(option: &'static str) -> impl TypedValueParser<Value = Vec<OsString>> {
    OsStringValueParser::new().try_map(move |value: OsString| {
        if value.is_empty() {
            return Err(format!("{option}: the path is empty"));
        }
        value
            .as_bytes()
            .split(|&b| b == b',')
            .map(|item| {
                if item.is_empty() {
                    Err(format!(
                        "{option} {}: an empty path between commas",
                        value.to_string_lossy()
                    ))
                } else {
                    Ok(OsString::from_vec(item.to_vec()))
                }
            })
            .collect()
    })
}

/// `PORT` or `PORT,PORT,...`, each 0 to 65535.
fn ports(option: &'static str) -> impl Fn(&str) -> Result<Vec<u16>, String> + Clone + Send + Sync {
    move |text: &str| {
        text.split(',')
            .map(|item| {
                let item = item.trim();
                if item.is_empty() || !item.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("{option} {text}: \"{item}\" is not a port number"));
                }
                match item.parse::<u64>() {
                    Ok(port) if port <= 65535 => Ok(port as u16),
                    _ => Err(format!("{option} {text}: port {item} is out of range (0 to 65535)")),
                }
            })
            .collect()
    }
}

fn scopes(value: &str) -> Result<Scope, String> {
    let mut scopes = Scope::empty();
    for item in value.split(',') {
        scopes |= match item.trim() {
            "abstract-unix" | "abstract_unix_socket" | "a" => Scope::ABSTRACT_UNIX_SOCKET,
            "signal" | "s" => Scope::SIGNAL,
            other => {
                return Err(format!("--scope {other}: unknown scope (abstract-unix or signal)"));
            }
        };
    }
    Ok(scopes)
}

/// One `--syscall-filter` line, checked alone (they are merged in order later).
fn syscall_filter_line(line: &str) -> Result<String, String> {
    SyscallFilter::parse(line)
        .map(|_| line.to_owned())
        .map_err(|e| format!("--syscall-filter {line:?}: {e} (landlocked status --syscall-groups)"))
}

fn deny_action(text: &str) -> Result<DenyAction, String> {
    text.parse().map_err(|e| format!("--syscall-errno: {e}"))
}

fn min_abi(text: &str) -> Result<Abi, String> {
    text.parse::<u32>()
        .ok()
        .filter(|v| (1..=Abi::LATEST.version()).contains(v))
        .and_then(Abi::from_version)
        .ok_or_else(|| {
            format!(
                "--min-abi {text}: not a Landlock ABI this landlocked knows (1 to {})",
                Abi::LATEST
            )
        })
}

fn env_option() -> impl TypedValueParser<Value = EnvOpt> {
    OsStringValueParser::new().try_map(|value: OsString| {
        let bytes = value.as_bytes();
        let (key, set) = match bytes.iter().position(|&b| b == b'=') {
            Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
            None => (bytes, None),
        };
        let shown = value.to_string_lossy();
        if key.is_empty() {
            return Err(format!("--env {shown}: the variable name is empty"));
        }
        if landlocked_core::sandboxer_env::is_variable(key) {
            return Err(format!(
                "--env {shown}: the kernel sample's variables never reach the command"
            ));
        }
        let key = OsStr::from_bytes(key).to_os_string();
        Ok(match set {
            Some(v) => EnvOpt::Set(key, OsStr::from_bytes(v).to_os_string()),
            None => EnvOpt::Pass(key),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declarations_hold_together() {
        command().debug_assert();
    }
}
