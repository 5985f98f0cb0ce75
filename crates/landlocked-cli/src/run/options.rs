//! The options of `landlocked run`, parsed and checked against each other.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use landlocked::{Abi, AccessFs, AccessNet, RestrictSelfFlags, Scope};
use landlocked_core::sandboxer_env;

use crate::args::Args;
use crate::{Fail, fail};

pub const HELP: &str = "\
usage: landlocked run [OPTIONS] [--] COMMAND [ARGS...]

Runs COMMAND (looked up in PATH as a shell does) in a Landlock sandbox that denies by default
everything this kernel can restrict: every filesystem right but beneath the paths given, TCP
and UDP binding and connecting but on the ports given, connecting to abstract UNIX sockets and
signalling outside the sandbox. What the kernel cannot restrict is said in one line. A file
gets only the rights that apply to files.

With no rule option and no --policy, the kernel sample's variables are used instead:
LL_FS_RO, LL_FS_RW (both required), LL_TCP_BIND, LL_TCP_CONNECT, LL_UDP_BIND,
LL_UDP_CONNECT_SEND, LL_SCOPED, LL_FORCE_LOG, LL_FS_QUIET, LL_NET_QUIET, LL_QUIET_ACCESS, with
the meanings of Linux 7.3's samples/landlock/sandboxer.c. Setting them beside rule options is an
error; the command never sees them.

Paths (repeatable, PATH or PATH,PATH,...):
  --ro PATH          read files and list directories
  --rox PATH         read and execute
  --rw PATH          read and change (write, create, remove, rename, truncate...), no execute
  --rwx PATH         everything
  --unix PATH        connect or send to the pathname UNIX sockets there (ABI 9)
  --add-exec         read and execute COMMAND itself
  --ldd              read and execute COMMAND, its ELF interpreter and shared libraries as the
                     loader will find them (read from the files, never by running them), and
                     for a #! script its ELF interpreter's; also reading /etc/ld.so.cache
  --unrestricted-filesystem   leave the filesystem alone (a network or scope sandbox)
Network (repeatable, PORT or PORT,PORT,...):
  --bind-tcp PORT    --connect-tcp PORT    --bind-udp PORT (ABI 10)    --connect-udp PORT (ABI 10)
  --unrestricted-network      leave the network alone; a port option still restricts its
                              right to the ports given
  --deny-net         the default, accepted for compatibility
Scopes:
  --unrestricted-scoped       allow abstract UNIX sockets and signals outside the sandbox
  --scope abstract-unix|signal   restrict this scope even with --unrestricted-scoped (ABI 6);
                                 repeatable or comma-separated
Policy:
  --policy FILE      a landlockconfig policy in TOML or JSON instead of the defaults: it says
                     what is handled, and the rule options add to it
Environment:
  --clear-env        start COMMAND with an empty environment
  --env KEY          pass KEY with landlocked's value (with --clear-env); repeatable
  --env KEY=VALUE    set KEY to VALUE
Compatibility:
  --best-effort      run even where Landlock is missing or can enforce none of the sandbox
                     (said on stderr); the default already enforces what the kernel can
  --strict           refuse to run unless the kernel can enforce all of the sandbox
  --min-abi N        refuse to run on a kernel older than Landlock ABI N (1 to 11)
  --ignore-missing   skip paths that do not exist (each is named on stderr; their rights stay
                     denied elsewhere) instead of failing
Logging (ABI 7, for audit):
  --log-same-exec-off, --log-disable-originating
                     do not log denials before the command's execve (landlocked's own)
  --log-new-exec, --log-enable-subprocesses
                     log denials of the command and what it executes (off by default)
  --log-subdomains-off, --log-disable-subdomains
                     do not log denials of sandboxes nested inside this one
Output:
  --quiet            do not say on stderr what the kernel cannot enforce or which paths were
                     skipped (Landlock missing entirely is always said)

Exit status: COMMAND's own; 125 when landlocked fails (bad option, bad policy, missing path,
port out of range, Landlock unavailable, nothing enforceable, strict request unmet); 126 when
COMMAND cannot be executed; 127 when it is not found.

Examples:
  landlocked run --ldd --ro /etc --rw /tmp -- sort /etc/passwd -o /tmp/sorted
  landlocked run --rox /usr,/lib,/lib64 --ro /etc --connect-tcp 443 -- curl https://example.org
  landlocked run --ldd --rw . -- make
  landlocked run --unrestricted-filesystem --connect-tcp 5432 -- ./client
  landlocked run --strict --policy /etc/landlocked/web.toml -- /usr/sbin/nginx
  LL_FS_RO=/usr:/lib:/etc LL_FS_RW=/tmp LL_TCP_CONNECT=443 landlocked run -- bash -i
";

/// One path rule option as given.
pub struct PathOpt {
    pub option: &'static str,
    pub path: OsString,
    pub access: AccessFs,
}

/// One port rule option as given.
pub struct PortOpt {
    pub option: &'static str,
    pub port: u16,
    pub access: AccessNet,
}

/// An `--env` option: a variable passed on with landlocked's value, or set.
pub enum EnvOpt {
    Pass(OsString),
    Set(OsString, OsString),
}

#[derive(Default)]
pub struct Options {
    pub paths: Vec<PathOpt>,
    pub ports: Vec<PortOpt>,
    pub deny_net: bool,
    pub unrestricted_filesystem: bool,
    pub unrestricted_network: bool,
    pub unrestricted_scoped: bool,
    pub scopes: Scope,
    pub policy: Option<OsString>,
    pub best_effort: bool,
    pub strict: bool,
    pub min_abi: Option<Abi>,
    pub ignore_missing: bool,
    pub log: RestrictSelfFlags,
    pub quiet: bool,
    pub ldd: bool,
    pub add_exec: bool,
    pub clear_env: bool,
    pub env: Vec<EnvOpt>,
}

impl Options {
    /// The first option that describes the sandbox itself (otherwise the `LL_*` variables do).
    pub fn rule_option(&self) -> Option<&'static str> {
        let flags = [
            (!self.paths.is_empty(), self.paths.first().map_or("", |p| p.option)),
            (!self.ports.is_empty(), self.ports.first().map_or("", |p| p.option)),
            (self.policy.is_some(), "--policy"),
            (self.ldd, "--ldd"),
            (self.add_exec, "--add-exec"),
            (self.deny_net, "--deny-net"),
            (!self.scopes.is_empty(), "--scope"),
            (self.unrestricted_filesystem, "--unrestricted-filesystem"),
            (self.unrestricted_network, "--unrestricted-network"),
            (self.unrestricted_scoped, "--unrestricted-scoped"),
        ];
        flags.into_iter().find_map(|(given, name)| given.then_some(name))
    }
}

/// `PORT` or `PORT,PORT,...`, each 0 to 65535.
pub fn parse_ports(option: &str, value: &OsStr) -> Result<Vec<u16>, Fail> {
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

/// `PATH` or `PATH,PATH,...` as landrun takes them: split at commas, bytes kept (non-UTF-8
/// paths work); an empty item is an error. A path holding a comma goes in a policy file.
fn parse_paths(option: &str, value: &OsStr) -> Result<Vec<OsString>, Fail> {
    if value.is_empty() {
        return Err(fail(format!("{option}: the path is empty")));
    }
    value
        .as_bytes()
        .split(|&b| b == b',')
        .map(|item| {
            if item.is_empty() {
                Err(fail(format!(
                    "{option} {}: an empty path between commas",
                    value.to_string_lossy()
                )))
            } else {
                Ok(OsString::from_vec(item.to_vec()))
            }
        })
        .collect()
}

fn parse_env(value: OsString) -> Result<EnvOpt, Fail> {
    let bytes = value.as_bytes();
    let (key, set) = match bytes.iter().position(|&b| b == b'=') {
        Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
        None => (bytes, None),
    };
    let shown = value.to_string_lossy();
    if key.is_empty() {
        return Err(fail(format!("--env {shown}: the variable name is empty")));
    }
    if sandboxer_env::is_variable(key) {
        return Err(fail(format!(
            "--env {shown}: the kernel sample's variables never reach the command"
        )));
    }
    let key = OsString::from_vec(key.to_vec());
    Ok(match set {
        Some(v) => EnvOpt::Set(key, OsString::from_vec(v.to_vec())),
        None => EnvOpt::Pass(key),
    })
}

fn parse_scopes(value: &OsStr) -> Result<Scope, Fail> {
    let mut scopes = Scope::empty();
    for item in value.to_string_lossy().split(',') {
        scopes |= match item.trim() {
            "abstract-unix" | "abstract_unix_socket" | "a" => Scope::ABSTRACT_UNIX_SOCKET,
            "signal" | "s" => Scope::SIGNAL,
            other => {
                return Err(fail(format!(
                    "--scope {other}: unknown scope (abstract-unix or signal)"
                )));
            }
        };
    }
    Ok(scopes)
}

fn parse_min_abi(value: &OsStr) -> Result<Abi, Fail> {
    let text = value.to_string_lossy();
    text.parse::<u32>()
        .ok()
        .filter(|v| (1..=Abi::LATEST.version()).contains(v))
        .and_then(Abi::from_version)
        .ok_or_else(|| {
            fail(format!(
                "--min-abi {text}: not a Landlock ABI this landlocked knows (1 to {})",
                Abi::LATEST
            ))
        })
}

/// The options up to COMMAND. `None` once `--help` has been printed.
pub fn parse(args: &mut Args) -> Result<Option<Options>, Fail> {
    let mut o = Options::default();
    while let Some(option) = args.option()? {
        let path_option = match option.as_str() {
            "--ro" => Some(("--ro", AccessFs::READ)),
            "--rox" => Some(("--rox", AccessFs::READ_EXECUTE)),
            "--rw" => Some(("--rw", AccessFs::READ | AccessFs::WRITE)),
            "--rwx" => Some(("--rwx", AccessFs::all())),
            "--unix" => Some(("--unix", AccessFs::RESOLVE_UNIX)),
            _ => None,
        };
        if let Some((option, access)) = path_option {
            let value = args.value(option, "PATH")?;
            for path in parse_paths(option, &value)? {
                o.paths.push(PathOpt { option, path, access });
            }
            continue;
        }
        let port_option = match option.as_str() {
            "--bind-tcp" => Some(("--bind-tcp", AccessNet::BIND_TCP)),
            "--connect-tcp" => Some(("--connect-tcp", AccessNet::CONNECT_TCP)),
            "--bind-udp" => Some(("--bind-udp", AccessNet::BIND_UDP)),
            "--connect-udp" => Some(("--connect-udp", AccessNet::CONNECT_SEND_UDP)),
            _ => None,
        };
        if let Some((option, access)) = port_option {
            let value = args.value(option, "PORT")?;
            for port in parse_ports(option, &value)? {
                o.ports.push(PortOpt { option, port, access });
            }
            continue;
        }
        match option.as_str() {
            "--deny-net" => o.deny_net = true,
            "--unrestricted-network" => o.unrestricted_network = true,
            "--unrestricted-scoped" => o.unrestricted_scoped = true,
            "--unrestricted-filesystem" => o.unrestricted_filesystem = true,
            "--scope" => o.scopes |= parse_scopes(&args.value("--scope", "SCOPE")?)?,
            "--policy" => {
                let value = args.value("--policy", "FILE")?;
                if o.policy.replace(value).is_some() {
                    return Err(fail("--policy given twice (one policy file per run)"));
                }
            }
            "--best-effort" => o.best_effort = true,
            "--strict" => o.strict = true,
            "--min-abi" => o.min_abi = Some(parse_min_abi(&args.value("--min-abi", "N")?)?),
            "--ignore-missing" => o.ignore_missing = true,
            "--log-same-exec-off" | "--log-disable-originating" => {
                o.log |= RestrictSelfFlags::LOG_SAME_EXEC_OFF;
            }
            "--log-new-exec" | "--log-enable-subprocesses" => {
                o.log |= RestrictSelfFlags::LOG_NEW_EXEC_ON;
            }
            "--log-subdomains-off" | "--log-disable-subdomains" => {
                o.log |= RestrictSelfFlags::LOG_SUBDOMAINS_OFF;
            }
            "--clear-env" => o.clear_env = true,
            "--env" => o.env.push(parse_env(args.value("--env", "KEY or KEY=VALUE")?)?),
            "--quiet" => o.quiet = true,
            "--ldd" => o.ldd = true,
            "--add-exec" => o.add_exec = true,
            "--help" => {
                print!("{HELP}");
                return Ok(None);
            }
            other => {
                return Err(fail(format!(
                    "run: unknown option {other} (see landlocked run --help)"
                )));
            }
        }
    }
    args.finish_options()?;
    check(&o)?;
    Ok(Some(o))
}

/// Options that contradict each other.
fn check(o: &Options) -> Result<(), Fail> {
    if o.best_effort && o.strict {
        return Err(fail("--best-effort and --strict contradict each other"));
    }
    if o.unrestricted_network && o.deny_net {
        return Err(fail("--unrestricted-network and --deny-net contradict each other"));
    }
    if o.unrestricted_filesystem {
        let fs = o.paths.first().map(|p| p.option).or(o.ldd.then_some("--ldd"));
        if let Some(fs) = fs.or(o.add_exec.then_some("--add-exec")) {
            return Err(fail(format!(
                "--unrestricted-filesystem and {fs} contradict each other (nothing on the \
                 filesystem is restricted, so nothing needs allowing)"
            )));
        }
    }
    if o.policy.is_some() {
        let unrestricted = [
            (o.unrestricted_filesystem, "--unrestricted-filesystem"),
            (o.unrestricted_network, "--unrestricted-network"),
            (o.unrestricted_scoped, "--unrestricted-scoped"),
            (o.deny_net, "--deny-net"),
        ];
        if let Some((_, name)) = unrestricted.into_iter().find(|(given, _)| *given) {
            return Err(fail(format!(
                "{name} changes the defaults, and with --policy the file says what is handled"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Options, String> {
        let mut args = Args::new(words.iter().map(OsString::from));
        parse(&mut args).map(|o| o.unwrap()).map_err(|f| f.message)
    }

    fn error(words: &[&str]) -> String {
        parse_words(words).err().expect("an error")
    }

    #[test]
    fn comma_separated_paths_and_ports() {
        let o = parse_words(&["--ro", "/a,/b", "--rox=/c", "--connect-tcp", "80,443"]).unwrap();
        let paths: Vec<_> = o.paths.iter().map(|p| (p.option, p.path.to_str().unwrap())).collect();
        assert_eq!(paths, [("--ro", "/a"), ("--ro", "/b"), ("--rox", "/c")]);
        assert_eq!(o.ports.iter().map(|p| p.port).collect::<Vec<_>>(), [80, 443]);
        assert!(error(&["--ro", "/a,,/b"]).contains("empty path"));
        assert!(error(&["--ro", ""]).contains("empty"));
        assert!(error(&["--bind-udp", "70000"]).contains("out of range"));
    }

    #[test]
    fn landrun_spellings() {
        let o = parse_words(&[
            "--log-disable-originating",
            "--log-enable-subprocesses",
            "--log-disable-subdomains",
            "--add-exec",
            "--clear-env",
            "--env",
            "HOME",
            "--env",
            "A=b=c",
        ])
        .unwrap();
        assert_eq!(o.log, RestrictSelfFlags::LOG);
        assert!(o.add_exec && o.clear_env);
        assert!(matches!(&o.env[0], EnvOpt::Pass(k) if k == "HOME"));
        assert!(matches!(&o.env[1], EnvOpt::Set(k, v) if k == "A" && v == "b=c"));
        assert!(error(&["--env", "=x"]).contains("name is empty"));
        assert!(error(&["--env", "LL_FS_RO=/"]).contains("never reach"));
    }

    #[test]
    fn contradictions() {
        for (words, named) in [
            (&["--strict", "--best-effort"][..], "--best-effort"),
            (&["--unrestricted-network", "--deny-net"], "--deny-net"),
            (&["--unrestricted-filesystem", "--ro", "/"], "--ro"),
            (&["--unrestricted-filesystem", "--ldd"], "--ldd"),
            (&["--policy", "p.toml", "--unrestricted-scoped"], "--unrestricted-scoped"),
        ] {
            let e = error(words);
            assert!(e.contains(named), "{words:?}: {e}");
        }
        assert_eq!(
            parse_words(&["--unrestricted-filesystem"]).unwrap().rule_option(),
            Some("--unrestricted-filesystem")
        );
        assert_eq!(parse_words(&["--strict", "--quiet"]).unwrap().rule_option(), None);
    }
}
