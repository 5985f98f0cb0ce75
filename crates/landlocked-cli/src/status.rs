//! `landlocked status`: what the running kernel offers, asked of the kernel itself (the
//! `landlock_create_ruleset` version and errata queries), not of securityfs.

use landlocked::{Abi, AccessFs, AccessNet, RestrictSelfFlags, Scope, Support, SyscallFilter};
use landlocked_core::{AddRuleFlags, Errata, Kernel};

use crate::Fail;
use serde_json::{Value, json};

/// The kernel release, from uname(2).
pub fn kernel_release() -> String {
    // SAFETY: `utsname` is plain data; uname fills it.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `uts` is a valid utsname to fill.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return String::from("unknown");
    }
    // SAFETY: uname NUL-terminates the release.
    let release = unsafe { std::ffi::CStr::from_ptr(uts.release.as_ptr()) };
    release.to_string_lossy().into_owned()
}

/// The first ABI whose set contains `flag`.
fn first_abi(in_abi: impl Fn(Abi) -> bool) -> Option<Abi> {
    Abi::ALL.iter().copied().find(|&a| in_abi(a))
}

/// One line of the table: name, whether this kernel has it, and since when.
struct Feature {
    name: &'static str,
    here: bool,
    since: Option<Abi>,
}

/// Each flag of a type, whether this kernel has it and the first ABI that does; `has(abi, flag)`
/// says whether `abi` has `flag`.
fn flags<F: Copy>(
    named: &[(&'static str, F)],
    has: fn(Abi, F) -> bool,
    abi: Option<Abi>,
) -> Vec<Feature> {
    named
        .iter()
        .map(|&(name, flag)| Feature {
            name,
            here: abi.is_some_and(|a| has(a, flag)),
            since: first_abi(|a| has(a, flag)),
        })
        .collect()
}

fn features(abi: Option<Abi>) -> Vec<(&'static str, &'static str, Vec<Feature>)> {
    let fs = flags(AccessFs::NAMED, |a, f| AccessFs::for_abi(a).contains(f), abi);
    let net = flags(AccessNet::NAMED, |a, f| AccessNet::for_abi(a).contains(f), abi);
    let scopes = flags(Scope::NAMED, |a, f| Scope::for_abi(a).contains(f), abi);
    let restrict =
        flags(RestrictSelfFlags::NAMED, |a, f| RestrictSelfFlags::for_abi(a).contains(f), abi);
    let rule = flags(AddRuleFlags::NAMED, |a, f| AddRuleFlags::for_abi(a).contains(f), abi);
    vec![
        ("filesystem rights", "access_fs", fs),
        ("network rights", "access_net", net),
        ("scopes", "scoped", scopes),
        ("restrict_self flags", "restrict_flags", restrict),
        ("add_rule flags", "rule_flags", rule),
    ]
}

pub fn support_word(support: Support) -> &'static str {
    match support {
        Support::Available { .. } => "available",
        Support::Disabled => "disabled",
        Support::NotBuilt => "not_built",
        _ => "unknown",
    }
}

pub fn status(json: bool) -> Result<i32, Fail> {
    let kernel = Kernel::probe();
    let abi = kernel.support.abi();
    let release = kernel_release();
    let errata_known = abi.map_or(Errata::empty(), Errata::for_abi);
    let seccomp = landlocked::seccomp::available();
    if json {
        let (version, abi_num) = match kernel.support {
            Support::Available { abi, version } => (json!(version), json!(abi.version())),
            _ => (Value::Null, Value::Null),
        };
        let errata: Vec<Value> = Errata::NAMED
            .iter()
            .enumerate()
            .map(|(i, &(name, flag))| {
                json!({
                    "number": i + 1,
                    "name": name,
                    "applies": errata_known.contains(flag),
                    "fixed": kernel.errata.contains(flag),
                    "weakens": Errata::WEAKENING.contains(flag),
                    "unfixed_means": flag.meaning(),
                })
            })
            .collect();
        let mut fields = json!({
            "landlock": support_word(kernel.support),
            "abi": abi_num,
            "version": version,
            "kernel_release": release,
            "errata_fixed": kernel.errata.bits(),
            "errata": errata,
            "seccomp": seccomp.is_ok(),
        });
        for (_, key, list) in features(abi) {
            let here: serde_json::Map<String, Value> =
                list.iter().map(|f| (f.name.to_string(), Value::Bool(f.here))).collect();
            fields[key] = Value::Object(here);
        }
        let mut out = String::new();
        emit!(out, "{}", serde_json::to_string_pretty(&fields).unwrap_or_default());
        crate::write_stdout(&out)?;
        return Ok(0);
    }

    let summary = match kernel.support {
        Support::Available { abi, version } => {
            format!("available, ABI {version} (Linux {} or later)", abi.first_kernel())
        }
        Support::Disabled => "disabled at boot (built in, but not in the lsm= boot parameter \
                              or CONFIG_LSM: add \"landlock\" there)"
            .to_string(),
        Support::NotBuilt => {
            "not built into this kernel (CONFIG_SECURITY_LANDLOCK is not set)".to_string()
        }
        Support::Unknown(e) => format!("unknown: the version query failed with {e}"),
        _ => "unknown".to_string(),
    };
    let mut out = String::new();
    emit!(out, "Landlock:        {summary}");
    emit!(out, "kernel release:  {release}");
    if abi.is_some() {
        emit!(out, "errata fixed:    {}", kernel.errata);
        let tcp_only = kernel.errata.contains(Errata::TCP_SOCKET_IDENTIFICATION);
        if tcp_only && abi.is_some_and(|a| !AccessNet::for_abi(a).is_empty()) {
            let closed =
                if seccomp.is_ok() { "; landlocked run denies them with seccomp" } else { "" };
            emit!(
                out,
                "caveat:          {}{closed}",
                landlocked_core::report::TCP_LEAVES_OUT_MPTCP
            );
        }
    }
    match seccomp {
        Ok(()) => emit!(
            out,
            "seccomp:         filters available (the network where Landlock falls short, \
             --syscall-filter)"
        ),
        Err(e) => emit!(out, "seccomp:         no filters ({e}; CONFIG_SECCOMP_FILTER)"),
    }
    for (title, _, list) in features(abi) {
        emit!(out);
        emit!(out, "{title}:");
        for f in list {
            let since = f
                .since
                .map_or(String::new(), |a| format!("  (ABI {a}, Linux {})", a.first_kernel()));
            let word = if f.here { "yes" } else { "no " };
            emit!(out, "  {:<22} {word}{}", f.name, if f.here { String::new() } else { since });
        }
    }
    if abi.is_some() {
        emit!(out);
        emit!(out, "errata:");
        for (i, &(name, flag)) in Errata::NAMED.iter().enumerate() {
            let state = if kernel.errata.contains(flag) {
                "fixed".to_string()
            } else if errata_known.contains(flag) {
                format!("not fixed: {}", flag.meaning())
            } else {
                "does not apply".to_string()
            };
            emit!(out, "  {:<2} {:<28} {state}", i + 1, name);
        }
    }
    crate::write_stdout(&out)?;
    Ok(0)
}

/// `landlocked status --syscall-groups`: the groups of `--syscall-filter`, each with its help
/// text and what it holds on this architecture.
pub fn syscall_groups(json: bool) -> Result<i32, Fail> {
    let groups: Vec<(&str, &str, Vec<&str>)> = SyscallFilter::groups()
        .map(|(name, help)| (name, help, SyscallFilter::group_members(name).unwrap_or_default()))
        .collect();
    let mut out = String::new();
    if json {
        let doc: serde_json::Map<String, Value> = groups
            .iter()
            .map(|(name, help, members)| {
                (name.to_string(), json!({ "help": help, "members": members }))
            })
            .collect();
        emit!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        for (name, help, members) in &groups {
            emit!(out, "{name}");
            emit!(out, "    # {help}");
            let mut line = String::from("   ");
            for member in members {
                if line.len() + member.len() > 96 {
                    emit!(out, "{line}");
                    line = String::from("   ");
                }
                line.push(' ');
                line.push_str(member);
            }
            emit!(out, "{line}");
            emit!(out);
        }
    }
    crate::write_stdout(&out)?;
    Ok(0)
}
