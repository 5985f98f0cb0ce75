//! The options of `landlocked run`, as the sandbox is built from them (clap parses and checks
//! them against each other, see [`crate::cli::RunArgs`]).

use std::ffi::OsString;
use std::path::PathBuf;

use landlocked::{Abi, AccessFs, AccessNet, RestrictSelfFlags, Scope, SyscallFilter};

pub use crate::cli::EnvOpt;
use crate::cli::RunArgs;

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
    pub syscall_filter: Option<SyscallFilter>,
    pub verbose: bool,
    pub explain: bool,
    pub explain_json: Option<PathBuf>,
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

impl Options {
    /// The options of `landlocked run` as clap parsed them, and COMMAND with its arguments.
    pub fn from_args(args: RunArgs) -> (Options, Vec<OsString>) {
        let mut o = Options::default();
        let path_groups = [
            ("--ro", AccessFs::READ, args.ro),
            ("--rox", AccessFs::READ_EXECUTE, args.rox),
            ("--rw", AccessFs::READ | AccessFs::WRITE, args.rw),
            ("--rwx", AccessFs::all(), args.rwx),
            ("--unix", AccessFs::RESOLVE_UNIX, args.unix),
        ];
        for (option, access, lists) in path_groups {
            for path in lists.into_iter().flatten() {
                o.paths.push(PathOpt { option, path, access });
            }
        }
        let port_groups = [
            ("--bind-tcp", AccessNet::BIND_TCP, args.bind_tcp),
            ("--connect-tcp", AccessNet::CONNECT_TCP, args.connect_tcp),
            ("--bind-udp", AccessNet::BIND_UDP, args.bind_udp),
            ("--connect-udp", AccessNet::CONNECT_SEND_UDP, args.connect_udp),
        ];
        for (option, access, lists) in port_groups {
            for port in lists.into_iter().flatten() {
                o.ports.push(PortOpt { option, port, access });
            }
        }
        o.deny_net = args.deny_net;
        o.unrestricted_filesystem = args.unrestricted_filesystem;
        o.unrestricted_network = args.unrestricted_network;
        o.unrestricted_scoped = args.unrestricted_scoped;
        o.scopes = args.scope.into_iter().fold(Scope::empty(), |a, b| a | b);
        o.policy = args.policy.map(PathBuf::into_os_string);
        o.best_effort = args.best_effort;
        o.strict = args.strict;
        o.min_abi = args.min_abi;
        o.ignore_missing = args.ignore_missing;
        for (given, flag) in [
            (args.log_same_exec_off, RestrictSelfFlags::LOG_SAME_EXEC_OFF),
            (args.log_new_exec, RestrictSelfFlags::LOG_NEW_EXEC_ON),
            (args.log_subdomains_off, RestrictSelfFlags::LOG_SUBDOMAINS_OFF),
        ] {
            if given {
                o.log |= flag;
            }
        }
        o.quiet = args.quiet;
        o.ldd = args.ldd;
        o.add_exec = args.add_exec;
        o.clear_env = args.clear_env;
        o.env = args.env;
        o.syscall_filter = syscall_filter(&args.syscall_filter, args.syscall_errno);
        o.verbose = args.verbose;
        o.explain = args.explain;
        o.explain_json = args.explain_json;
        (o, args.command)
    }
}

/// The `--syscall-filter` lines merged in order, as systemd merges `SystemCallFilter=` lines
/// (each was checked alone while parsing, and merging adds no new error).
fn syscall_filter(
    lines: &[String],
    action: Option<landlocked::DenyAction>,
) -> Option<SyscallFilter> {
    let (first, rest) = lines.split_first()?;
    let mut filter = SyscallFilter::parse(first).expect("checked by the parser");
    for line in rest {
        filter.add(line).expect("checked by the parser");
    }
    if let Some(action) = action {
        filter.set_action(action);
    }
    Some(filter)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse_words(words: &[&str]) -> Result<Options, String> {
        let argv = ["landlocked", "run"].iter().chain(words).chain(&["--", "true"]);
        match Cli::try_parse_from(argv) {
            Ok(Cli { command: Command::Run(args) }) => Ok(Options::from_args(*args).0),
            Ok(_) => unreachable!(),
            Err(e) => Err(crate::usage::message(&e)),
        }
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
    fn contradictions_and_suggestions() {
        for (words, named) in [
            (&["--strict", "--best-effort"][..], "--best-effort and --strict contradict"),
            (&["--unrestricted-network", "--deny-net"], "--deny-net"),
            (&["--unrestricted-filesystem", "--ro", "/"], "--ro"),
            (&["--unrestricted-filesystem", "--ldd"], "--ldd"),
            (&["--policy", "p.toml", "--unrestricted-scoped"], "--unrestricted-scoped"),
            (&["--policy", "a", "--policy", "b"], "--policy given twice"),
            (&["--rox-x", "/"], "unknown option --rox-x (did you mean --rox?)"),
            (&["--deny-net=yes"], "--deny-net takes no value"),
            (&["--min-abi", "12"], "--min-abi 12: not a Landlock ABI"),
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
