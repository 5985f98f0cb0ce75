//! The `LL_*` interface against the kernel sample's meanings.

use super::*;
use crate::abi::{Errata, Kernel};
use crate::errno::Errno;
use crate::negotiate::negotiate;
use crate::policy::Rules;
use crate::report::Report;
use std::cell::RefCell;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

/// Parses an environment given as `NAME=value` entries.
fn env<'a>(entries: &[&'a str]) -> Result<SandboxerEnv<'a>, EnvError<'a>> {
    SandboxerEnv::parse(|name| {
        entries.iter().find_map(|&e: &&'a str| {
            let (n, v) = e.split_once('=').unwrap();
            (n == name).then_some(v.as_bytes())
        })
    })
}

fn rules<'a>(env: &SandboxerEnv<'a>) -> Vec<(String, Rule<'a>)> {
    let mut out = Vec::new();
    env.walk(&mut |i, source, rule| -> Result<(), ()> {
        assert_eq!(i, out.len());
        out.push((source.to_string(), rule));
        Ok(())
    })
    .unwrap();
    out
}

fn path(p: &str, access: AccessFs) -> Rule<'_> {
    Rule::Path { source: PathSource::Path(p.as_bytes()), access, quiet: false }
}

const BASE: [&str; 2] = ["LL_FS_RO=", "LL_FS_RW="];

fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = BASE.to_vec();
    v.extend_from_slice(extra);
    v
}

#[test]
fn both_path_variables_are_required() {
    assert_eq!(env(&["LL_FS_RW="]), Err(EnvError::Missing(LL_FS_RO)));
    assert_eq!(env(&["LL_FS_RO=/usr"]), Err(EnvError::Missing(LL_FS_RW)));
    assert_eq!(
        EnvError::Missing(LL_FS_RO).to_string(),
        "LL_FS_RO is not set (set it to the paths to allow, or to \"\" for none)"
    );
}

#[test]
fn empty_paths_mean_no_rule_and_everything_denied() {
    let e = env(&BASE).unwrap();
    assert_eq!(e.rule_count(), 0);
    let p = e.policy();
    assert_eq!(p.fs, Handled::Supported);
    assert_eq!(p.net, Handled::Only(AccessNet::empty()));
    assert_eq!(p.scoped, Handled::Only(Scope::empty()));
    assert_eq!(p.log, RestrictSelfFlags::empty());
    assert_eq!((p.quiet_fs, p.quiet_net, p.quiet_scoped), Default::default());
    assert!(p.no_new_privs);
    assert_eq!(p.compat, Compat::BestEffort);
    assert_eq!(p.min_abi, Some(Abi::V1));
    assert_eq!(p.on_missing, OnMissing::Skip);
    assert_eq!(p.threads, Threads::Process);
    assert_eq!(e.required_by(), None);
}

#[test]
fn read_only_and_read_write_paths_in_order() {
    let e = env(&["LL_FS_RW=/tmp:/dev/null", "LL_FS_RO=/usr:/etc/hosts"]).unwrap();
    assert_eq!(
        rules(&e),
        [
            ("LL_FS_RO \"/usr\"".to_string(), path("/usr", ACCESS_RO)),
            ("LL_FS_RO \"/etc/hosts\"".to_string(), path("/etc/hosts", ACCESS_RO)),
            ("LL_FS_RW \"/tmp\"".to_string(), path("/tmp", AccessFs::all())),
            ("LL_FS_RW \"/dev/null\"".to_string(), path("/dev/null", AccessFs::all())),
        ]
    );
    assert_eq!(ACCESS_RO, AccessFs::EXECUTE | AccessFs::READ_FILE | AccessFs::READ_DIR);
    assert_eq!(e.source(2), Some(RuleSource { variable: LL_FS_RW, item: b"/tmp" }));
    assert_eq!(e.source(4), None);
    assert_eq!(e.rule_count(), 4);
    for (i, (text, _)) in rules(&e).into_iter().enumerate() {
        assert_eq!(e.source(i).unwrap().to_string(), text);
    }
}

#[test]
fn paths_are_slices_of_the_variable() {
    let value = String::from("LL_FS_RO=/a:/bb");
    let entries = [value.as_str(), "LL_FS_RW="];
    let e = env(&entries).unwrap();
    let Rule::Path { source: PathSource::Path(p), .. } = rules(&e)[1].1 else { panic!() };
    assert_eq!(p, b"/bb");
    assert!(value.as_bytes().as_ptr_range().contains(&p.as_ptr()), "the path was copied");
}

#[test]
fn empty_items_of_a_path_list_are_paths_as_in_the_sample() {
    // Only a wholly empty value means "no rule"; `a::b` and `:` hold empty paths, which
    // cannot be opened and are skipped with a message.
    let e = env(&["LL_FS_RO=/a::/b", "LL_FS_RW=:"]).unwrap();
    let got: Vec<String> = rules(&e).into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        got,
        ["LL_FS_RO \"/a\"", "LL_FS_RO \"\"", "LL_FS_RO \"/b\"", "LL_FS_RW \"\"", "LL_FS_RW \"\""]
    );
}

#[test]
fn unset_port_variables_leave_their_access_unrestricted() {
    let e = env(&with(&["LL_TCP_CONNECT=", "LL_UDP_BIND=53"])).unwrap();
    assert_eq!(
        e.policy().net,
        Handled::Only(AccessNet::CONNECT_TCP | AccessNet::BIND_UDP),
        "set (even empty) variables are handled, unset ones are not"
    );
    assert_eq!(
        rules(&e),
        [("LL_UDP_BIND \"53\"".to_string(), Rule::port(53, AccessNet::BIND_UDP))]
    );
    let all = env(&with(&[
        "LL_TCP_BIND=1",
        "LL_TCP_CONNECT=2",
        "LL_UDP_BIND=3",
        "LL_UDP_CONNECT_SEND=4",
    ]))
    .unwrap();
    assert_eq!(all.policy().net, Handled::Only(AccessNet::all()));
    let got: Vec<Rule<'_>> = rules(&all).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        got,
        [
            Rule::port(1, AccessNet::BIND_TCP),
            Rule::port(2, AccessNet::CONNECT_TCP),
            Rule::port(3, AccessNet::BIND_UDP),
            Rule::port(4, AccessNet::CONNECT_SEND_UDP),
        ]
    );
}

#[test]
fn ports_parse_as_strtoull_in_the_sample() {
    let e = env(&with(&["LL_TCP_BIND=80::443:", "LL_TCP_CONNECT= +8080:0:65535"])).unwrap();
    let ports: Vec<u16> = rules(&e)
        .into_iter()
        .map(|(_, r)| match r {
            Rule::Port { port, .. } => port,
            _ => panic!(),
        })
        .collect();
    assert_eq!(ports, [80, 443, 8080, 0, 65535]);

    for (value, item) in [("abc", "abc"), ("80:8x", "8x"), ("-1", "-1"), ("+", "+"), (" ", " ")] {
        let entry = format!("LL_TCP_CONNECT={value}");
        let entries = with(&[entry.as_str()]);
        assert_eq!(
            env(&entries),
            Err(EnvError::BadPort { variable: LL_TCP_CONNECT, item: item.as_bytes() }),
            "{value}"
        );
    }
    for value in ["70000", "65536", "99999999999999999999999999"] {
        let entry = format!("LL_UDP_CONNECT_SEND=22:{value}");
        let entries = with(&[entry.as_str()]);
        let err = env(&entries).unwrap_err();
        assert_eq!(
            err,
            EnvError::PortOutOfRange { variable: LL_UDP_CONNECT_SEND, item: value.as_bytes() }
        );
        assert_eq!(
            err.to_string(),
            format!("LL_UDP_CONNECT_SEND: port \"{value}\" is out of range (0 to 65535)")
        );
    }
    assert_eq!(
        env(&with(&["LL_TCP_BIND=abc"])).unwrap_err().to_string(),
        "LL_TCP_BIND: \"abc\" is not a port number"
    );
}

#[test]
fn scopes() {
    let scoped = |v: &str| {
        let entry = format!("LL_SCOPED={v}");
        env(&with(&[entry.as_str()])).map(|e| e.policy().scoped).map_err(|e| e.to_string())
    };
    assert_eq!(scoped("a:s"), Ok(Handled::Only(Scope::all())));
    assert_eq!(scoped("s"), Ok(Handled::Only(Scope::SIGNAL)));
    assert_eq!(scoped("a"), Ok(Handled::Only(Scope::ABSTRACT_UNIX_SOCKET)));
    assert_eq!(scoped(""), Ok(Handled::Only(Scope::empty())));
    assert_eq!(env(&BASE).unwrap().policy().scoped, Handled::Only(Scope::empty()));
    for (value, item) in [("a:a", "a"), ("x", "x"), ("a:", ""), ("s:a:s", "s"), ("A", "A")] {
        assert_eq!(
            scoped(value),
            Err(format!(
                "LL_SCOPED: unknown or duplicate scope \"{item}\" (expected \"a\" and/or \"s\")"
            )),
            "{value}"
        );
    }
}

#[test]
fn force_log_takes_only_1_and_needs_abi_7() {
    let e = env(&with(&["LL_FORCE_LOG=1"])).unwrap();
    assert_eq!(e.policy().log, RestrictSelfFlags::LOG_NEW_EXEC_ON);
    assert_eq!(e.policy().min_abi, Some(Abi::V7));
    assert_eq!(e.required_by(), Some((Abi::V7, LL_FORCE_LOG)));
    for bad in ["0", "", "yes", "1 "] {
        let entry = format!("LL_FORCE_LOG={bad}");
        let entries = with(&[entry.as_str()]);
        assert_eq!(env(&entries), Err(EnvError::BadForceLog(bad.as_bytes())));
    }
}

#[test]
fn quiet_lists_need_quiet_access() {
    assert_eq!(env(&with(&["LL_FS_QUIET=/tmp"])), Err(EnvError::QuietAccessRequired(LL_FS_QUIET)));
    assert_eq!(
        env(&with(&["LL_NET_QUIET=53"])).unwrap_err().to_string(),
        "LL_QUIET_ACCESS must be set (e.g. to \"all\") when LL_NET_QUIET is used"
    );
    let e = env(&with(&[
        "LL_FS_QUIET=/tmp:/var",
        "LL_NET_QUIET=53",
        "LL_QUIET_ACCESS=read",
        "LL_TCP_BIND=8",
    ]))
    .unwrap();
    assert_eq!(
        rules(&e).into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
        [
            Rule::Path {
                source: PathSource::Path(b"/tmp"),
                access: AccessFs::empty(),
                quiet: true
            },
            Rule::Path {
                source: PathSource::Path(b"/var"),
                access: AccessFs::empty(),
                quiet: true
            },
            Rule::port(8, AccessNet::BIND_TCP),
            Rule::Port { port: 53, access: AccessNet::empty(), quiet: true },
        ]
    );
    assert_eq!(e.required_by(), Some((Abi::V10, LL_FS_QUIET)));
    assert_eq!(e.policy().min_abi, Some(Abi::V10));
    // Quiet-access alone (it quiets scope denials, which need no rule) also needs ABI 10.
    let alone = env(&with(&["LL_QUIET_ACCESS=signal", "LL_FORCE_LOG=1"])).unwrap();
    assert_eq!(alone.required_by(), Some((Abi::V10, LL_QUIET_ACCESS)));
    assert_eq!(alone.policy().quiet_scoped, Scope::SIGNAL);
}

#[test]
fn quiet_access_words() {
    let quiet = |v: &str| {
        let entry = format!("LL_QUIET_ACCESS={v}");
        env(&with(&[entry.as_str()]))
            .map(|e| (e.policy().quiet_fs, e.policy().quiet_net, e.policy().quiet_scoped))
            .map_err(|e| e.to_string())
    };
    assert_eq!(quiet("all"), Ok((AccessFs::all(), AccessNet::all(), Scope::all())));
    assert_eq!(quiet("read:all"), quiet("all"));
    assert_eq!(quiet("read"), Ok((ACCESS_RO, AccessNet::empty(), Scope::empty())));
    assert_eq!(quiet("write::"), Ok((AccessFs::WRITE, AccessNet::empty(), Scope::empty())));
    assert_eq!(quiet("read:write"), Ok((AccessFs::all(), AccessNet::empty(), Scope::empty())));
    assert_eq!(
        quiet("tcp_bind:tcp_connect:udp_bind:udp_connect"),
        Ok((AccessFs::empty(), AccessNet::all(), Scope::empty()))
    );
    assert_eq!(
        quiet("abstract_unix_socket:signal"),
        Ok((AccessFs::empty(), AccessNet::empty(), Scope::all()))
    );
    assert_eq!(quiet(""), Ok(Default::default()));
    assert_eq!(
        quiet("read:udp_connect_send"),
        Err("LL_QUIET_ACCESS: unknown access \"udp_connect_send\"".to_string())
    );
    assert_eq!(
        EnvError::BadQuietAccess(b"READ").to_string(),
        "LL_QUIET_ACCESS: unknown access \"READ\""
    );
}

#[test]
fn the_first_of_duplicate_entries_wins_as_with_getenv() {
    let e = env(&["LL_FS_RO=/first", "LL_FS_RO=/second", "LL_FS_RW="]).unwrap();
    assert_eq!(rules(&e)[0].0, "LL_FS_RO \"/first\"");
}

#[test]
fn the_list_variables_come_first_in_rule_order() {
    for (i, (name, _)) in LISTS.iter().enumerate() {
        assert_eq!(VARIABLES[i], *name);
    }
}

#[test]
fn variable_names() {
    for v in VARIABLES {
        assert!(is_variable(v.as_bytes()), "{v}");
        assert!(v.starts_with("LL_"));
    }
    assert!(!is_variable(b"LL_FS"));
    assert!(!is_variable(b"LL_FS_RO="));
    assert!(!is_variable(b"PATH"));
    let mut sorted = VARIABLES.to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), VARIABLES.len());
}

#[test]
fn bytes_are_shown_on_one_line() {
    assert_eq!(Bytes(b"/caf\xc3\xa9").to_string(), "/café");
    assert_eq!(Bytes(b"a\nb\"c\\").to_string(), "a\\nb\\\"c\\\\");
    assert_eq!(Bytes(b"\xff/x\xc3").to_string(), "\\xff/x\\xc3");
}

/// What enforcement on a given kernel would report for these variables.
fn report_on(e: &SandboxerEnv<'_>, abi: Abi) -> Report {
    let plan = negotiate(&e.policy(), e, &Kernel::with_abi(abi, Errata::all())).unwrap();
    Report { domain: plan.attr.is_some(), ..plan.report }
}

#[test]
fn udp_on_an_abi_7_kernel_is_reported_not_enforced() {
    let e = env(&with(&["LL_UDP_BIND=53", "LL_TCP_BIND=80"])).unwrap();
    let report = report_on(&e, Abi::V7);
    let missing = report.missing();
    assert_eq!(missing.net, AccessNet::BIND_UDP);
    // LL_FS_RW's resolve_unix is incidental to the group: not a request on ABI 7.
    assert_eq!(missing.fs, AccessFs::empty());
    let line = report.to_string();
    assert!(line.contains("partly enforced") && line.contains("bind_udp"), "{line}");
    // The same on ABI 10 and later is complete.
    assert!(report_on(&e, Abi::V10).missing().is_empty());
    // Without Landlock at all it is an error, as in the sample.
    let none = Kernel::without_landlock(crate::abi::Support::NotBuilt);
    assert!(matches!(negotiate(&e.policy(), &e, &none), Err(Error::Unavailable(_))));
}

#[test]
fn scopes_and_logging_before_their_abi() {
    let e = env(&with(&["LL_SCOPED=a:s"])).unwrap();
    assert_eq!(report_on(&e, Abi::V5).missing().scoped, Scope::all());
    assert_eq!(report_on(&e, Abi::V6).missing().scoped, Scope::empty());
    let logged = env(&with(&["LL_FORCE_LOG=1"])).unwrap();
    let err = negotiate(&logged.policy(), &logged, &Kernel::with_abi(Abi::V6, Errata::all()))
        .unwrap_err();
    assert_eq!(err, Error::AbiTooOld { required: Abi::V7, found: Abi::V6 });
    assert_eq!(
        logged.explain(&err).to_string(),
        "LL_FORCE_LOG needs Landlock ABI 7, this kernel has ABI 6"
    );
}

#[test]
fn errors_name_the_variable_and_item() {
    let e = env(&["LL_FS_RO=/usr:/nope", "LL_FS_RW=/tmp", "LL_TCP_BIND=22"]).unwrap();
    let open = Error::OpenPath { rule: 1, errno: Errno::ENOENT };
    assert_eq!(
        e.explain(&open).to_string(),
        "LL_FS_RO \"/nope\": cannot open: No such file or directory (ENOENT)"
    );
    let add = Error::AddRule { rule: 3, errno: Errno::EINVAL };
    assert_eq!(
        e.explain(&add).to_string(),
        "LL_TCP_BIND \"22\": the kernel refused the rule: Invalid argument (EINVAL)"
    );
    let other = Error::RestrictSelf(Errno::EPERM);
    assert_eq!(e.explain(&other).to_string(), other.to_string());
}

#[test]
fn the_skip_hook_gets_the_source() {
    let e = env(&["LL_FS_RO=/usr:/nope", "LL_FS_RW=", "LL_UDP_BIND=53"]).unwrap();
    let seen = RefCell::new(Vec::new());
    let hooked = e.with_skip_hook(|source, reason| {
        seen.borrow_mut().push((source.to_string(), reason));
    });
    let mut n = 0;
    hooked
        .try_for_each(&mut |_, _| -> Result<(), ()> {
            n += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 3);
    hooked.skipped(1, path("/nope", ACCESS_RO), SkipReason::Missing(Errno::ENOENT));
    hooked.skipped(2, Rule::port(53, AccessNet::BIND_UDP), SkipReason::Unsupported);
    assert_eq!(
        *seen.borrow(),
        [
            ("LL_FS_RO \"/nope\"".to_string(), SkipReason::Missing(Errno::ENOENT)),
            ("LL_UDP_BIND \"53\"".to_string(), SkipReason::Unsupported),
        ]
    );
}

#[test]
fn the_walk_stops_at_the_first_error() {
    let e = env(&["LL_FS_RO=/a:/b:/c", "LL_FS_RW="]).unwrap();
    let mut seen = 0;
    let r = e.try_for_each(&mut |i, _| {
        seen += 1;
        if i == 1 { Err("stop") } else { Ok(()) }
    });
    assert_eq!((r, seen), (Err("stop"), 2));
}
