//! Every constant, struct size and field offset of `landlocked_core::uapi` against the kernel's own
//! `linux/landlock.h` (Debian's `linux-libc-dev` 7.3, fetched by `cargo xtask uapi`): a C program
//! compiled against the header prints the truth, and the header's list of macros must be exactly
//! the list checked here.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use landlocked_core::{
    AccessFs, AccessNet, AddRuleFlags, CreateRulesetFlags, RestrictSelfFlags, Scope, uapi,
};

/// `LANDLOCKED_UAPI_INCLUDE` (set by `cargo xtask test`), else the cache's `uapi/include` link.
fn include_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LANDLOCKED_UAPI_INCLUDE") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("LANDLOCKED_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache")
            })
            .join("landlocked")
    });
    cache.join("uapi/include")
}

fn header() -> (PathBuf, String) {
    let dir = include_dir();
    let path = dir.join("linux/landlock.h");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run `cargo xtask uapi` to fetch the 7.3 header",
            path.display()
        )
    });
    (dir, text)
}

/// Every constant of `uapi`, by the header's name.
fn ours() -> Vec<(&'static str, u64)> {
    vec![
        ("LANDLOCK_CREATE_RULESET_VERSION", uapi::LANDLOCK_CREATE_RULESET_VERSION.into()),
        ("LANDLOCK_CREATE_RULESET_ERRATA", uapi::LANDLOCK_CREATE_RULESET_ERRATA.into()),
        ("LANDLOCK_ADD_RULE_QUIET", uapi::LANDLOCK_ADD_RULE_QUIET.into()),
        (
            "LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF",
            uapi::LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF.into(),
        ),
        (
            "LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON",
            uapi::LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON.into(),
        ),
        (
            "LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF",
            uapi::LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF.into(),
        ),
        ("LANDLOCK_RESTRICT_SELF_TSYNC", uapi::LANDLOCK_RESTRICT_SELF_TSYNC.into()),
        ("LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS", uapi::LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS.into()),
        ("LANDLOCK_RULE_PATH_BENEATH", uapi::LANDLOCK_RULE_PATH_BENEATH.into()),
        ("LANDLOCK_RULE_NET_PORT", uapi::LANDLOCK_RULE_NET_PORT.into()),
        ("LANDLOCK_ACCESS_FS_EXECUTE", uapi::LANDLOCK_ACCESS_FS_EXECUTE),
        ("LANDLOCK_ACCESS_FS_WRITE_FILE", uapi::LANDLOCK_ACCESS_FS_WRITE_FILE),
        ("LANDLOCK_ACCESS_FS_READ_FILE", uapi::LANDLOCK_ACCESS_FS_READ_FILE),
        ("LANDLOCK_ACCESS_FS_READ_DIR", uapi::LANDLOCK_ACCESS_FS_READ_DIR),
        ("LANDLOCK_ACCESS_FS_REMOVE_DIR", uapi::LANDLOCK_ACCESS_FS_REMOVE_DIR),
        ("LANDLOCK_ACCESS_FS_REMOVE_FILE", uapi::LANDLOCK_ACCESS_FS_REMOVE_FILE),
        ("LANDLOCK_ACCESS_FS_MAKE_CHAR", uapi::LANDLOCK_ACCESS_FS_MAKE_CHAR),
        ("LANDLOCK_ACCESS_FS_MAKE_DIR", uapi::LANDLOCK_ACCESS_FS_MAKE_DIR),
        ("LANDLOCK_ACCESS_FS_MAKE_REG", uapi::LANDLOCK_ACCESS_FS_MAKE_REG),
        ("LANDLOCK_ACCESS_FS_MAKE_SOCK", uapi::LANDLOCK_ACCESS_FS_MAKE_SOCK),
        ("LANDLOCK_ACCESS_FS_MAKE_FIFO", uapi::LANDLOCK_ACCESS_FS_MAKE_FIFO),
        ("LANDLOCK_ACCESS_FS_MAKE_BLOCK", uapi::LANDLOCK_ACCESS_FS_MAKE_BLOCK),
        ("LANDLOCK_ACCESS_FS_MAKE_SYM", uapi::LANDLOCK_ACCESS_FS_MAKE_SYM),
        ("LANDLOCK_ACCESS_FS_REFER", uapi::LANDLOCK_ACCESS_FS_REFER),
        ("LANDLOCK_ACCESS_FS_TRUNCATE", uapi::LANDLOCK_ACCESS_FS_TRUNCATE),
        ("LANDLOCK_ACCESS_FS_IOCTL_DEV", uapi::LANDLOCK_ACCESS_FS_IOCTL_DEV),
        ("LANDLOCK_ACCESS_FS_RESOLVE_UNIX", uapi::LANDLOCK_ACCESS_FS_RESOLVE_UNIX),
        ("LANDLOCK_ACCESS_NET_BIND_TCP", uapi::LANDLOCK_ACCESS_NET_BIND_TCP),
        ("LANDLOCK_ACCESS_NET_CONNECT_TCP", uapi::LANDLOCK_ACCESS_NET_CONNECT_TCP),
        ("LANDLOCK_ACCESS_NET_BIND_UDP", uapi::LANDLOCK_ACCESS_NET_BIND_UDP),
        ("LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP", uapi::LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP),
        ("LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET", uapi::LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET),
        ("LANDLOCK_SCOPE_SIGNAL", uapi::LANDLOCK_SCOPE_SIGNAL),
    ]
}

/// Sizes and offsets, by the C expression that computes them.
fn layout() -> Vec<(&'static str, u64)> {
    use std::mem::{offset_of, size_of};
    use uapi::{NetPortAttr, PathBeneathAttr, RulesetAttr};
    let mut v = vec![
        ("sizeof(struct landlock_ruleset_attr)", size_of::<RulesetAttr>()),
        ("sizeof(struct landlock_path_beneath_attr)", size_of::<PathBeneathAttr>()),
        ("sizeof(struct landlock_net_port_attr)", size_of::<NetPortAttr>()),
        (
            "offsetof(struct landlock_path_beneath_attr, allowed_access)",
            offset_of!(PathBeneathAttr, allowed_access),
        ),
        (
            "offsetof(struct landlock_path_beneath_attr, parent_fd)",
            offset_of!(PathBeneathAttr, parent_fd),
        ),
        (
            "offsetof(struct landlock_net_port_attr, allowed_access)",
            offset_of!(NetPortAttr, allowed_access),
        ),
        ("offsetof(struct landlock_net_port_attr, port)", offset_of!(NetPortAttr, port)),
        (
            "offsetof(struct landlock_ruleset_attr, handled_access_fs)",
            offset_of!(RulesetAttr, handled_access_fs),
        ),
        (
            "offsetof(struct landlock_ruleset_attr, handled_access_net)",
            offset_of!(RulesetAttr, handled_access_net),
        ),
        ("offsetof(struct landlock_ruleset_attr, scoped)", offset_of!(RulesetAttr, scoped)),
        (
            "offsetof(struct landlock_ruleset_attr, quiet_access_fs)",
            offset_of!(RulesetAttr, quiet_access_fs),
        ),
        (
            "offsetof(struct landlock_ruleset_attr, quiet_access_net)",
            offset_of!(RulesetAttr, quiet_access_net),
        ),
        (
            "offsetof(struct landlock_ruleset_attr, quiet_scoped)",
            offset_of!(RulesetAttr, quiet_scoped),
        ),
    ];
    // Field sizes too: a u32 where the kernel has a u64 would keep every offset right.
    v.extend([
        ("sizeof(((struct landlock_path_beneath_attr *)0)->parent_fd)", size_of::<i32>()),
        ("sizeof(((struct landlock_net_port_attr *)0)->port)", size_of::<u64>()),
        ("sizeof(((struct landlock_ruleset_attr *)0)->quiet_scoped)", size_of::<u64>()),
    ]);
    v.into_iter().map(|(k, n)| (k, n as u64)).collect()
}

/// Compiles and runs a C program printing `expression value` for each expression.
fn evaluate_in_c(include: &std::path::Path, expressions: &[&str]) -> BTreeMap<String, u64> {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("landlocked-uapi-{}-{seq}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include <linux/landlock.h>\nint main(void) {\n",
    );
    for e in expressions {
        c.push_str(&format!("  printf(\"%s\\t%llu\\n\", \"{e}\", (unsigned long long)({e}));\n"));
    }
    c.push_str("  return 0;\n}\n");
    let src = dir.join("check.c");
    let exe = dir.join("check");
    std::fs::write(&src, c).unwrap();
    let out = Command::new("gcc")
        .arg("-Wall")
        .arg("-Werror")
        .arg("-I")
        .arg(include)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("gcc is needed to read the uapi header");
    assert!(out.status.success(), "gcc failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(&exe).output().unwrap();
    assert!(out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('\t').unwrap();
            (k.to_owned(), v.parse().unwrap())
        })
        .collect()
}

/// The names the header defines: its `LANDLOCK_*` macros and enumerators.
fn names_in_header(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let candidate = if let Some(rest) = line.strip_prefix("#define ") {
            rest.split_whitespace().next()
        } else {
            // Enumerators: `LANDLOCK_RULE_PATH_BENEATH = 1,` or `LANDLOCK_RULE_NET_PORT,`.
            line.split([' ', ',', '=']).next().filter(|w| line.ends_with(',') && !w.is_empty())
        };
        if let Some(name) = candidate.filter(|n| n.starts_with("LANDLOCK_")) {
            names.push(name.to_owned());
        }
    }
    names.sort();
    names
}

#[test]
fn every_constant_matches_the_header() {
    let (include, text) = header();
    let ours = ours();
    let mut declared: Vec<String> = ours.iter().map(|(n, _)| n.to_string()).collect();
    declared.sort();
    assert_eq!(names_in_header(&text), declared, "the header's LANDLOCK_* names and ours differ");

    let names: Vec<&str> = ours.iter().map(|(n, _)| *n).collect();
    let truth = evaluate_in_c(&include, &names);
    for (name, value) in &ours {
        assert_eq!(truth[*name], *value, "{name}");
    }
}

#[test]
fn struct_layouts_match_the_header() {
    let (include, _) = header();
    let layout = layout();
    let exprs: Vec<&str> = layout.iter().map(|(e, _)| *e).collect();
    let truth = evaluate_in_c(&include, &exprs);
    for (expr, value) in &layout {
        assert_eq!(truth[*expr], *value, "{expr}");
    }
}

#[test]
fn typed_flag_sets_cover_the_header_exactly() {
    let (include, text) = header();
    let sum = |prefix: &str| -> u64 {
        let names: Vec<String> =
            names_in_header(&text).into_iter().filter(|n| n.starts_with(prefix)).collect();
        let exprs: Vec<&str> = names.iter().map(String::as_str).collect();
        evaluate_in_c(&include, &exprs).values().fold(0, |a, b| a | b)
    };
    assert_eq!(AccessFs::all().bits(), sum("LANDLOCK_ACCESS_FS_"));
    assert_eq!(AccessNet::all().bits(), sum("LANDLOCK_ACCESS_NET_"));
    assert_eq!(Scope::all().bits(), sum("LANDLOCK_SCOPE_"));
    assert_eq!(u64::from(RestrictSelfFlags::all().bits()), sum("LANDLOCK_RESTRICT_SELF_"));
    assert_eq!(u64::from(CreateRulesetFlags::all().bits()), sum("LANDLOCK_CREATE_RULESET_"));
    assert_eq!(u64::from(AddRuleFlags::all().bits()), sum("LANDLOCK_ADD_RULE_"));
}
