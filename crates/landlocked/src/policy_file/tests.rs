use super::*;

fn toml(text: &str) -> Result<PolicyFile, PolicyError> {
    PolicyFile::parse(text, Format::Toml, "p.toml")
}

fn json(text: &str) -> Result<PolicyFile, PolicyError> {
    PolicyFile::parse(text, Format::Json, "p.json")
}

/// The error as `LINE:COLUMN: message`.
fn err(r: Result<PolicyFile, PolicyError>) -> String {
    let e = r.expect_err("the policy was accepted");
    let (line, column) = e.position.expect("no position");
    format!("{line}:{column}: {}", e.message)
}

fn paths(p: &PolicyFile) -> Vec<(String, AccessFs, bool)> {
    p.rules
        .iter()
        .filter_map(|r| match &r.grant {
            Grant::Path { path, access } => Some((path.display().to_string(), *access, r.quiet)),
            _ => None,
        })
        .collect()
}

fn ports(p: &PolicyFile) -> Vec<(u16, AccessNet)> {
    p.rules
        .iter()
        .filter_map(|r| match &r.grant {
            Grant::Port { port, access } => Some((*port, *access)),
            _ => None,
        })
        .collect()
}

const MINI_TOML: &str = r#"abi = 5

[[ruleset]]
handled_access_fs = ["abi.all"]
handled_access_net = ["bind_tcp"]

# Main system directories can be read.
[[path_beneath]]
allowed_access = ["abi.read_execute"]
parent = [".", "/bin", "/usr"]

[[path_beneath]]
allowed_access = ["abi.read_write"]
parent = ["/tmp"]

[[net_port]]
allowed_access = ["bind_tcp"]
port = [80, 443]
"#;

const MINI_JSON: &str = r#"{
  "abi": 5,
  "ruleset": [{ "handledAccessFs": ["abi.all"], "handledAccessNet": ["bind_tcp"] }],
  "pathBeneath": [
    { "allowedAccess": ["abi.read_execute"], "parent": [".", "/bin", "/usr"] },
    { "allowedAccess": ["abi.read_write"], "parent": ["/tmp"] }
  ],
  "netPort": [{ "allowedAccess": ["bind_tcp"], "port": [80, 443] }]
}"#;

#[test]
fn the_landlockconfig_example_in_both_formats() {
    let t = toml(MINI_TOML).unwrap();
    let j = json(MINI_JSON).unwrap();
    let v5 = AccessFs::for_abi(landlocked_core::Abi::V5);
    let rx = AccessFs::READ_EXECUTE | AccessFs::REFER;
    let rw = v5 - AccessFs::EXECUTE;
    for p in [&t, &j] {
        assert_eq!(p.abi, Some(5));
        assert_eq!(p.handled_fs, v5);
        assert_eq!(p.handled_net, AccessNet::BIND_TCP);
        assert_eq!(p.scoped, Scope::empty());
        assert_eq!(
            paths(p),
            [
                (".".to_string(), rx, false),
                ("/bin".to_string(), rx, false),
                ("/usr".to_string(), rx, false),
                ("/tmp".to_string(), rw, false),
            ]
        );
        assert_eq!(ports(p), [(80, AccessNet::BIND_TCP), (443, AccessNet::BIND_TCP)]);
    }
    // Origins point at the string or number that named the object.
    assert_eq!(t.rules[1].origin.as_deref(), Some("p.toml:10:16"));
    assert_eq!(t.rules[5].origin.as_deref(), Some("p.toml:18:13"));
    assert_eq!(j.rules[3].origin.as_deref(), Some("p.json:6:55"));
}

#[test]
fn variables_expand_to_every_combination() {
    let p = toml(
        r#"
[[variable]]
name = "tmp"
literal = ["/tmp", "/var/tmp"]

[[variable]]
name = "sub"
literal = ["a"]

[[variable]]
name = "sub"
literal = ["b", "a"]

[[variable]]
name = "nothing"

[[path_beneath]]
allowed_access = ["read_file"]
parent = ["${tmp}/${sub}", "$${tmp}", "${nothing}", "/x${nothing}"]
"#,
    )
    .unwrap();
    let names: Vec<String> = paths(&p).into_iter().map(|(p, ..)| p).collect();
    assert_eq!(names, ["/tmp/a", "/tmp/b", "/var/tmp/a", "/var/tmp/b", "${tmp}"]);
    // Only what the rules allow is handled, without a ruleset entry.
    assert_eq!(p.handled_fs, AccessFs::READ_FILE);
    assert_eq!(p.handled_net, AccessNet::empty());
}

#[test]
fn json_variables_may_follow_their_use() {
    let p = json(
        r#"{"pathBeneath": [{"allowedAccess": ["execute"], "parent": ["${foo}"]}],
            "variable": [{"name": "foo", "literal": ["b", "a"]}]}"#,
    )
    .unwrap();
    let names: Vec<String> = paths(&p).into_iter().map(|(p, ..)| p).collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn rules_on_one_object_merge() {
    let p = toml(
        r#"
[[path_beneath]]
allowed_access = ["read_file"]
parent = ["/usr"]
[[path_beneath]]
allowed_access = ["execute"]
parent = ["/usr"]
quiet = true
[[net_port]]
allowed_access = ["bind_tcp"]
port = [53]
[[net_port]]
allowed_access = ["bind_udp"]
port = [53]
"#,
    )
    .unwrap();
    assert_eq!(paths(&p), [("/usr".to_string(), AccessFs::READ_FILE | AccessFs::EXECUTE, true)]);
    assert_eq!(ports(&p), [(53, AccessNet::BIND_TCP | AccessNet::BIND_UDP)]);
}

#[test]
fn groups_follow_the_abi() {
    use landlocked_core::Abi;
    for v in 1..=12u32 {
        let text = format!(
            r#"abi = {v}
[[ruleset]]
handled_access_fs = ["abi.read_execute"]
handled_access_net = ["abi.all"]
scoped = ["abi.all"]
[[path_beneath]]
allowed_access = ["abi.read_write"]
parent = ["/tmp"]
"#
        );
        let p = toml(&text).unwrap();
        let abi = Abi::from_version(v).unwrap();
        let all = AccessFs::for_abi(abi);
        let rx = AccessFs::READ_EXECUTE | (all & AccessFs::REFER);
        assert_eq!(p.handled_fs, rx | (all - AccessFs::EXECUTE), "ABI {v}");
        assert_eq!(p.handled_net, AccessNet::for_abi(abi), "ABI {v}");
        assert_eq!(p.scoped, Scope::for_abi(abi), "ABI {v}");
        assert_eq!(paths(&p)[0].1, all - AccessFs::EXECUTE);
    }
    // The ABI 9 and 10 rights are in the groups from then on.
    let p = toml("abi = 10\n[[ruleset]]\nhandled_access_fs = [\"abi.read_write\"]\nhandled_access_net = [\"abi.all\"]\n").unwrap();
    assert!(p.handled_fs.contains(AccessFs::RESOLVE_UNIX));
    assert_eq!(p.handled_net, AccessNet::all());
    let p = toml("abi = 2147483647\n[[ruleset]]\nhandled_access_fs = [\"abi.all\"]\n").unwrap();
    assert_eq!(p.handled_fs, AccessFs::all());
}

#[test]
fn the_abi_11_extensions() {
    let text = r#"
[[ruleset]]
handled_access_fs = ["resolve_unix", "read_file"]
handled_access_net = ["bind_udp", "connect_send_udp"]
scoped = ["signal"]
quiet_access_fs = ["read_file"]
quiet_access_net = ["bind_udp"]
quiet_scoped = ["signal"]

[[path_beneath]]
allowed_access = []
parent = ["/proc"]
quiet = true

[[net_port]]
allowed_access = []
port = [5353]
quiet = true
"#;
    let p = toml(text).unwrap();
    assert_eq!(p.handled_fs, AccessFs::RESOLVE_UNIX | AccessFs::READ_FILE);
    assert_eq!(p.handled_net, AccessNet::UDP);
    assert_eq!(p.quiet_fs, AccessFs::READ_FILE);
    assert_eq!(p.quiet_net, AccessNet::BIND_UDP);
    assert_eq!(p.quiet_scoped, Scope::SIGNAL);
    assert_eq!(paths(&p), [("/proc".to_string(), AccessFs::empty(), true)]);
    let j = json(
        r#"{"ruleset": [{"quietAccessFs": ["read_file"], "quietAccessNet": ["bind_udp"],
             "quietScoped": ["signal"], "handledAccessFs": ["read_file"]}],
            "netPort": [{"allowedAccess": [], "port": [1], "quiet": true}]}"#,
    )
    .unwrap();
    assert_eq!((j.quiet_fs, j.quiet_net, j.quiet_scoped), (p.quiet_fs, p.quiet_net, Scope::SIGNAL));
}

#[test]
fn syntax_errors_name_line_and_column() {
    assert!(err(toml("abi = 5\nabi = 6\n")).starts_with("2:1: "));
    assert!(err(toml("[[path_beneath]\n")).starts_with("1:"));
    assert_eq!(err(json("{\n  \"abi\": 5,\n  \"abi\": 6\n}")), "3:3: duplicate key `abi`");
    assert_eq!(err(json("{\"abi\": 5,}")), "1:11: key must be a string");
    assert_eq!(err(json("")), "1:1: EOF while parsing a value");
}

#[test]
fn schema_errors_name_line_and_column() {
    let cases: &[(&str, &str)] = &[
        (
            "abi = 5\n",
            "1:1: empty policy: expected at least one of `variable`, `ruleset`, `path_beneath`, `net_port`",
        ),
        (
            "abi = 0\n[[ruleset]]\nscoped = [\"signal\"]\n",
            "1:7: the ABI version out of range (1 to 2147483647)",
        ),
        (
            "abi = -1\n[[ruleset]]\nscoped = [\"signal\"]\n",
            "1:7: the ABI version out of range (1 to 2147483647)",
        ),
        (
            "abi = 2147483648\n[[ruleset]]\nscoped = [\"signal\"]\n",
            "1:7: the ABI version out of range (1 to 2147483647)",
        ),
        (
            "abi = \"5\"\n[[ruleset]]\nscoped = [\"signal\"]\n",
            "1:7: expected the ABI version (an integer), found a string",
        ),
        (
            "abi = 5\nfoo = 1\n",
            "2:1: unknown field `foo` in the policy, expected one of `abi`, `variable`, `ruleset`, `path_beneath`, `net_port`",
        ),
        ("[[ruleset]]\n", "1:1: empty ruleset"),
        ("[[ruleset]]\nhandled_access_fs = []\n", "2:21: `handled_access_fs` must not be empty"),
        (
            "[[ruleset]]\nhandled_access_fs = [\"reed_file\"]\n",
            "2:22: unknown filesystem right \"reed_file\"",
        ),
        (
            "[[ruleset]]\nhandled_access_net = [\"bind_tcp\", \"bind_sctp\"]\n",
            "2:35: unknown network right \"bind_sctp\"",
        ),
        ("[[ruleset]]\nscoped = [\"abstract_unix\"]\n", "2:11: unknown scope \"abstract_unix\""),
        (
            "[[ruleset]]\nhandled_access_fs = [\"abi.all\"]\n",
            "2:22: the access group \"abi.all\" needs the top-level `abi` version",
        ),
        (
            "[[ruleset]]\nhandled_access_fs = [1]\n",
            "2:22: expected a filesystem right (a string), found an integer",
        ),
        (
            "[[ruleset]]\nhandled = [\"execute\"]\n",
            "2:1: unknown field `handled` in a ruleset, expected one of `handled_access_fs`, `handled_access_net`, `scoped`, `quiet_access_fs`, `quiet_access_net`, `quiet_scoped`",
        ),
        ("ruleset = 3\n", "1:11: expected an array for `ruleset`, found an integer"),
        ("ruleset = [3]\n", "1:12: expected a ruleset (a table), found an integer"),
        (
            "[[path_beneath]]\nparent = [\"/\"]\n",
            "1:1: missing field `allowed_access` in a path_beneath rule",
        ),
        (
            "[[path_beneath]]\nallowed_access = [\"execute\"]\n",
            "1:1: missing field `parent` in a path_beneath rule",
        ),
        (
            "[[path_beneath]]\nallowed_access = []\nparent = [\"/\"]\n",
            "2:18: `allowed_access` must not be empty",
        ),
        (
            "[[path_beneath]]\nallowed_access = [\"execute\"]\nparent = []\n",
            "3:10: `parent` must not be empty",
        ),
        (
            "[[path_beneath]]\nallowed_access = [\"execute\"]\nparent = [\"${x}\"]\n",
            "3:11: undefined variable \"x\"",
        ),
        (
            "[[path_beneath]]\nallowed_access = [\"execute\"]\nparent = [\"/a\", \"${x\"]\n",
            "3:17: unclosed variable reference in \"${x\"",
        ),
        (
            "[[path_beneath]]\nallowed_access = [\"execute\"]\nparent = [\"/\"]\nquiet = 1\n",
            "4:9: expected a boolean for `quiet`, found an integer",
        ),
        (
            "[[net_port]]\nallowed_access = [\"bind_tcp\"]\nport = [80, 65536]\n",
            "3:13: a port out of range (0 to 65535)",
        ),
        (
            "[[net_port]]\nallowed_access = [\"bind_tcp\"]\nport = [-1]\n",
            "3:9: a port out of range (0 to 65535)",
        ),
        (
            "[[net_port]]\nallowed_access = [\"bind_tcp\"]\nport = [8.5]\n",
            "3:9: expected a port (an integer), found a float",
        ),
        (
            "[[net_port]]\nallowed_access = [\"bind_tcp\"]\nport = [1979-05-27]\n",
            "3:9: expected a port (an integer), found a date-time",
        ),
        ("[[variable]]\nliteral = [\"a\"]\n", "1:1: missing field `name` in a variable"),
        (
            "[[variable]]\nname = \"1a\"\n",
            "2:8: invalid variable name \"1a\": it must start with an ASCII letter",
        ),
        (
            "[[variable]]\nname = \"a-b\"\n",
            "2:8: invalid variable name \"a-b\": only ASCII letters, digits and `_` are allowed",
        ),
        ("[[variable]]\nname = \"a\"\nliteral = []\n", "3:11: `literal` must not be empty"),
        (
            "[[variable]]\nname = \"a\"\nliteral = [true]\n",
            "3:12: expected a literal value (a string), found a boolean",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(err(toml(text)), *expected, "for {text:?}");
    }
}

#[test]
fn json_schema_errors_use_json_names_and_positions() {
    let cases: &[(&str, &str)] = &[
        ("[]", "1:1: expected the policy (a table), found an array"),
        (
            "{}",
            "1:1: empty policy: expected at least one of `variable`, `ruleset`, `pathBeneath`, `netPort`",
        ),
        (
            "{\"path_beneath\": []}",
            "1:2: unknown field `path_beneath` in the policy, expected one of `abi`, `variable`, `ruleset`, `pathBeneath`, `netPort`",
        ),
        (
            "{\"pathBeneath\": [{\"allowedAccess\": [\"execute\"]}]}",
            "1:18: missing field `parent` in a path_beneath rule",
        ),
        (
            "{\"netPort\": [{\"allowedAccess\": [\"bind_tcp\"],\n \"port\": [99999999999999999999999999999999999999999]}]}",
            "2:11: a port out of range (0 to 65535)",
        ),
        (
            "{\"ruleset\": [{\"handledAccessFs\": [\"abi.read_write\"]}]}",
            "1:35: the access group \"abi.read_write\" needs the top-level `abi` version",
        ),
        ("{\"ruleset\": [{\"scoped\": [null]}]}", "1:26: expected a scope (a string), found null"),
        (
            "{\"abi\": 1.0, \"ruleset\": [{\"scoped\": [\"signal\"]}]}",
            "1:9: expected the ABI version (an integer), found a float",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(err(json(text)), *expected, "for {text:?}");
    }
}

#[test]
fn loading_a_file() {
    let dir = std::env::temp_dir().join(format!("landlocked-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    std::fs::write(&good, MINI_JSON).unwrap();
    assert_eq!(PolicyFile::load(&good).unwrap().abi, Some(5));
    // No extension: guessed from the content.
    let guessed = dir.join("policy");
    std::fs::write(&guessed, MINI_TOML).unwrap();
    assert_eq!(PolicyFile::load(&guessed).unwrap().rules.len(), 6);
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, b"abi = 5\n# \xff\n").unwrap();
    let e = PolicyFile::load(&bad).unwrap_err();
    assert_eq!(e.to_string(), format!("{}:2:3: the file is not valid UTF-8", bad.display()));
    let missing = dir.join("missing.toml");
    let e = PolicyFile::load(&missing).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}: cannot read: No such file or directory (ENOENT)", missing.display())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_makes_a_sandbox_that_handles_only_what_it_says() {
    let p = toml(MINI_TOML).unwrap();
    let sandbox = p.sandbox();
    assert_eq!(sandbox.policy.fs(), Handled::Only(p.handled_fs));
    assert_eq!(sandbox.policy.net(), Handled::Only(AccessNet::BIND_TCP));
    assert_eq!(sandbox.policy.scoped(), Handled::Only(Scope::empty()));
    assert_eq!(sandbox.rules().len(), 6);
    // Added to a default sandbox, the filesystem stays fully handled.
    let mut sandbox = Sandbox::new();
    p.add_to(&mut sandbox);
    assert_eq!(sandbox.policy.fs(), Handled::Supported);
    assert_eq!(sandbox.policy.net(), Handled::Only(AccessNet::BIND_TCP));
}
