//! The landlockconfig schema, checked on the parsed document: every error points at the value
//! or key at fault.

use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

use landlocked_core::{Abi, AccessFs, AccessNet, Scope};

use super::Format;
use super::tree::{Key, Node, SpanError, Value};

/// The policy as the file states it, rules expanded and merged, before it meets a kernel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub abi: Option<u32>,
    pub handled_fs: AccessFs,
    pub handled_net: AccessNet,
    pub scoped: Scope,
    pub quiet_fs: AccessFs,
    pub quiet_net: AccessNet,
    pub quiet_scoped: Scope,
    /// (path, rights, quiet, offset of the first `parent` string naming it)
    pub paths: Vec<(PathBuf, AccessFs, bool, usize)>,
    /// (port, rights, quiet, offset of the first `port` naming it)
    pub ports: Vec<(u16, AccessNet, bool, usize)>,
}

type Result<T> = std::result::Result<T, SpanError>;

/// A field's name in `format`: TOML takes the snake_case name, JSON the camelCase one.
fn field(format: Format, snake: &'static str) -> &'static str {
    if format == Format::Toml {
        return snake;
    }
    match snake {
        "path_beneath" => "pathBeneath",
        "net_port" => "netPort",
        "handled_access_fs" => "handledAccessFs",
        "handled_access_net" => "handledAccessNet",
        "quiet_access_fs" => "quietAccessFs",
        "quiet_access_net" => "quietAccessNet",
        "quiet_scoped" => "quietScoped",
        "allowed_access" => "allowedAccess",
        other => other,
    }
}

/// The fields of a table, by their snake_case name: unknown keys are errors.
struct Fields<'n> {
    span: Range<usize>,
    found: Vec<(&'static str, &'n Key, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn of(node: &'n Node, format: Format, what: &str, known: &[&'static str]) -> Result<Self> {
        let Value::Table(entries) = &node.value else {
            return Err(SpanError::new(
                node.span.start,
                format!("expected {what} (a table), found {}", node.value.type_name()),
            ));
        };
        let mut found = Vec::new();
        for (key, value) in entries {
            let Some(&snake) = known.iter().find(|&&k| field(format, k) == key.name) else {
                let names: Vec<String> =
                    known.iter().map(|k| format!("`{}`", field(format, k))).collect();
                return Err(SpanError::new(
                    key.span.start,
                    format!(
                        "unknown field `{}` in {what}, expected one of {}",
                        key.name,
                        names.join(", ")
                    ),
                ));
            };
            found.push((snake, key, value));
        }
        Ok(Fields { span: node.span.clone(), found })
    }

    fn get(&self, snake: &str) -> Option<&'n Node> {
        self.found.iter().find(|(k, _, _)| *k == snake).map(|(_, _, v)| *v)
    }

    fn require(&self, snake: &'static str, format: Format, what: &str) -> Result<&'n Node> {
        self.get(snake).ok_or_else(|| {
            SpanError::new(
                self.span.start,
                format!("missing field `{}` in {what}", field(format, snake)),
            )
        })
    }
}

/// The items of an array; `allow_empty` is false where the schema has `minItems: 1`.
fn array<'n>(node: &'n Node, name: &str, allow_empty: bool) -> Result<&'n [Node]> {
    match &node.value {
        Value::Array(items) if items.is_empty() && !allow_empty => {
            Err(SpanError::new(node.span.start, format!("`{name}` must not be empty")))
        }
        Value::Array(items) => Ok(items),
        other => Err(SpanError::new(
            node.span.start,
            format!("expected an array for `{name}`, found {}", other.type_name()),
        )),
    }
}

fn string<'n>(node: &'n Node, what: &str) -> Result<&'n str> {
    match &node.value {
        Value::String(s) => Ok(s),
        other => Err(SpanError::new(
            node.span.start,
            format!("expected {what} (a string), found {}", other.type_name()),
        )),
    }
}

fn integer(node: &Node, what: &str, range: std::ops::RangeInclusive<i128>) -> Result<i128> {
    match node.value {
        Value::Integer(Some(v)) if range.contains(&v) => Ok(v),
        Value::Integer(_) => Err(SpanError::new(
            node.span.start,
            format!("{what} out of range ({} to {})", range.start(), range.end()),
        )),
        ref other => Err(SpanError::new(
            node.span.start,
            format!("expected {what} (an integer), found {}", other.type_name()),
        )),
    }
}

fn boolean(node: &Node, name: &str) -> Result<bool> {
    match node.value {
        Value::Bool(b) => Ok(b),
        ref other => Err(SpanError::new(
            node.span.start,
            format!("expected a boolean for `{name}`, found {}", other.type_name()),
        )),
    }
}

/// The ABI the access groups (`abi.all`, ...) resolve against.
fn group_abi(abi: Option<u32>, node: &Node, name: &str) -> Result<Abi> {
    abi.and_then(Abi::from_version).ok_or_else(|| {
        SpanError::new(
            node.span.start,
            format!("the access group \"{name}\" needs the top-level `abi` version"),
        )
    })
}

fn access_fs(nodes: &[Node], abi: Option<u32>) -> Result<AccessFs> {
    let mut set = AccessFs::empty();
    for node in nodes {
        let name = string(node, "a filesystem right")?;
        set |= match name {
            "abi.all" => AccessFs::for_abi(group_abi(abi, node, name)?),
            "abi.read_execute" => {
                let abi = group_abi(abi, node, name)?;
                AccessFs::READ_EXECUTE.union(AccessFs::for_abi(abi).intersection(AccessFs::REFER))
            }
            "abi.read_write" => {
                AccessFs::for_abi(group_abi(abi, node, name)?).difference(AccessFs::EXECUTE)
            }
            _ => AccessFs::by_name(name).ok_or_else(|| {
                SpanError::new(node.span.start, format!("unknown filesystem right \"{name}\""))
            })?,
        };
    }
    Ok(set)
}

fn access_net(nodes: &[Node], abi: Option<u32>) -> Result<AccessNet> {
    let mut set = AccessNet::empty();
    for node in nodes {
        let name = string(node, "a network right")?;
        set |= match name {
            "abi.all" => AccessNet::for_abi(group_abi(abi, node, name)?),
            _ => AccessNet::by_name(name).ok_or_else(|| {
                SpanError::new(node.span.start, format!("unknown network right \"{name}\""))
            })?,
        };
    }
    Ok(set)
}

fn scopes(nodes: &[Node], abi: Option<u32>) -> Result<Scope> {
    let mut set = Scope::empty();
    for node in nodes {
        let name = string(node, "a scope")?;
        set |= match name {
            "abi.all" => Scope::for_abi(group_abi(abi, node, name)?),
            _ => Scope::by_name(name).ok_or_else(|| {
                SpanError::new(node.span.start, format!("unknown scope \"{name}\""))
            })?,
        };
    }
    Ok(set)
}

/// A variable name: an ASCII letter, then ASCII letters, digits or `_`.
fn check_name(name: &str) -> std::result::Result<(), String> {
    let mut chars = name.chars();
    match chars.next() {
        None => Err("a variable name cannot be empty".into()),
        Some(c) if !c.is_ascii_alphabetic() => {
            Err(format!("invalid variable name \"{name}\": it must start with an ASCII letter"))
        }
        _ if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') => Err(format!(
            "invalid variable name \"{name}\": only ASCII letters, digits and `_` are allowed"
        )),
        _ => Ok(()),
    }
}

/// One piece of a `parent` string.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'s> {
    Text(String),
    Var(&'s str),
}

/// Splits a `parent` string into text and `${name}` references; `$$` is a literal `$`.
fn template(s: &str) -> std::result::Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        text.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(after) = after.strip_prefix('$') {
            text.push('$');
            rest = after;
        } else if let Some(after) = after.strip_prefix('{') {
            let Some(end) = after.find('}') else {
                return Err(format!("unclosed variable reference in \"{s}\""));
            };
            let name = &after[..end];
            check_name(name)?;
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Var(name));
            rest = &after[end + 1..];
        } else {
            text.push('$');
            rest = after;
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// Checks `root` against the schema in `format`.
pub(crate) fn check(root: &Node, format: Format) -> Result<Parsed> {
    const TOP: &[&str] = &["abi", "variable", "ruleset", "path_beneath", "net_port"];
    let top = Fields::of(root, format, "the policy", TOP)?;
    let mut parsed = Parsed::default();

    // The ABI and the variables first: groups and references may come before them in JSON.
    if let Some(node) = top.get("abi") {
        parsed.abi = Some(integer(node, "the ABI version", 1..=i128::from(i32::MAX))? as u32);
    }
    let mut variables: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(node) = top.get("variable") {
        for item in array(node, "variable", false)? {
            let fields = Fields::of(item, format, "a variable", &["name", "literal"])?;
            let name_node = fields.require("name", format, "a variable")?;
            let name = string(name_node, "a variable name")?;
            check_name(name).map_err(|m| SpanError::new(name_node.span.start, m))?;
            let values = variables.entry(name.to_string()).or_default();
            if let Some(literal) = fields.get("literal") {
                for value in array(literal, "literal", false)? {
                    values.push(string(value, "a literal value")?.to_string());
                }
            }
        }
    }
    for values in variables.values_mut() {
        values.sort();
        values.dedup();
    }
    let abi = parsed.abi;

    let (mut path_index, mut port_index) = (HashMap::new(), HashMap::new());
    let mut empty = true;
    for (snake, key, node) in &top.found {
        match *snake {
            "variable" => empty = false,
            "ruleset" => {
                empty = false;
                const RULESET: &[&str] = &[
                    "handled_access_fs",
                    "handled_access_net",
                    "scoped",
                    "quiet_access_fs",
                    "quiet_access_net",
                    "quiet_scoped",
                ];
                for item in array(node, field(format, "ruleset"), false)? {
                    let fields = Fields::of(item, format, "a ruleset", RULESET)?;
                    if fields.found.is_empty() {
                        return Err(SpanError::new(item.span.start, "empty ruleset"));
                    }
                    for &(name, _, value) in &fields.found {
                        let list = array(value, field(format, name), false)?;
                        match name {
                            "handled_access_fs" => parsed.handled_fs |= access_fs(list, abi)?,
                            "handled_access_net" => parsed.handled_net |= access_net(list, abi)?,
                            "scoped" => parsed.scoped |= scopes(list, abi)?,
                            "quiet_access_fs" => parsed.quiet_fs |= access_fs(list, abi)?,
                            "quiet_access_net" => parsed.quiet_net |= access_net(list, abi)?,
                            _ => parsed.quiet_scoped |= scopes(list, abi)?,
                        }
                    }
                }
            }
            "path_beneath" => {
                empty = false;
                let what = "a path_beneath rule";
                for item in array(node, field(format, "path_beneath"), false)? {
                    let fields =
                        Fields::of(item, format, what, &["allowed_access", "parent", "quiet"])?;
                    let quiet = match fields.get("quiet") {
                        Some(q) => boolean(q, "quiet")?,
                        None => false,
                    };
                    let access_node = fields.require("allowed_access", format, what)?;
                    let access = access_fs(
                        array(access_node, field(format, "allowed_access"), quiet)?,
                        abi,
                    )?;
                    parsed.handled_fs |= access;
                    let parents = fields.require("parent", format, what)?;
                    for parent in array(parents, "parent", false)? {
                        let s = string(parent, "a path")?;
                        let at = parent.span.start;
                        let pieces = template(s).map_err(|m| SpanError::new(at, m))?;
                        for path in
                            expand(&pieces, &variables).map_err(|m| SpanError::new(at, m))?
                        {
                            merge(
                                &mut parsed.paths,
                                &mut path_index,
                                (PathBuf::from(path), access, quiet),
                                at,
                            )?;
                        }
                    }
                }
            }
            "net_port" => {
                empty = false;
                let what = "a net_port rule";
                for item in array(node, field(format, "net_port"), false)? {
                    let fields =
                        Fields::of(item, format, what, &["allowed_access", "port", "quiet"])?;
                    let quiet = match fields.get("quiet") {
                        Some(q) => boolean(q, "quiet")?,
                        None => false,
                    };
                    let access_node = fields.require("allowed_access", format, what)?;
                    let access = access_net(
                        array(access_node, field(format, "allowed_access"), quiet)?,
                        abi,
                    )?;
                    parsed.handled_net |= access;
                    let ports = fields.require("port", format, what)?;
                    for port in array(ports, "port", false)? {
                        let p = integer(port, "a port", 0..=65535)? as u16;
                        merge(
                            &mut parsed.ports,
                            &mut port_index,
                            (p, access, quiet),
                            port.span.start,
                        )?;
                    }
                }
            }
            _ => {
                // `abi` alone is not a policy.
                let _ = key;
            }
        }
    }
    if empty {
        return Err(SpanError::new(
            root.span.start,
            format!(
                "empty policy: expected at least one of `variable`, `ruleset`, `{}`, `{}`",
                field(format, "path_beneath"),
                field(format, "net_port")
            ),
        ));
    }
    Ok(parsed)
}

/// The most paths one `parent` string may expand to: several references multiply their
/// variables' values, and a file must not make the parser build billions of paths.
const MAX_EXPANSION: usize = 4096;

/// Every path a template stands for: the product of its variables' values, in order.
fn expand(
    pieces: &[Piece<'_>],
    variables: &HashMap<String, Vec<String>>,
) -> std::result::Result<Vec<String>, String> {
    let mut out = vec![String::new()];
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.iter_mut().for_each(|s| s.push_str(t)),
            Piece::Var(name) => {
                let values =
                    variables.get(*name).ok_or_else(|| format!("undefined variable \"{name}\""))?;
                if out.len().saturating_mul(values.len()) > MAX_EXPANSION {
                    return Err(format!("the variables expand to more than {MAX_EXPANSION} paths"));
                }
                out = out
                    .iter()
                    .flat_map(|prefix| values.iter().map(move |v| format!("{prefix}{v}")))
                    .collect();
            }
        }
    }
    // An empty string names no path (a template made only of an empty variable).
    out.retain(|s| !s.is_empty());
    Ok(out)
}

/// The most path rules a file may expand to.
const MAX_RULES: usize = 65536;

/// Adds a rule, merging it with an earlier one on the same object (`index` finds it).
fn merge<K: Eq + std::hash::Hash + Clone, A: Copy + std::ops::BitOrAssign>(
    rules: &mut Vec<(K, A, bool, usize)>,
    index: &mut HashMap<K, usize>,
    (key, access, quiet): (K, A, bool),
    at: usize,
) -> Result<()> {
    match index.get(&key) {
        Some(&i) => {
            rules[i].1 |= access;
            rules[i].2 |= quiet;
        }
        None if rules.len() >= MAX_RULES => {
            return Err(SpanError::new(at, format!("more than {MAX_RULES} rules")));
        }
        None => {
            index.insert(key.clone(), rules.len());
            rules.push((key, access, quiet, at));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert_eq!(template("/a").unwrap(), [Piece::Text("/a".into())]);
        assert_eq!(
            template("x${foo}/y").unwrap(),
            [Piece::Text("x".into()), Piece::Var("foo"), Piece::Text("/y".into())]
        );
        assert_eq!(template("$$").unwrap(), [Piece::Text("$".into())]);
        assert_eq!(template("$${foo}").unwrap(), [Piece::Text("${foo}".into())]);
        assert_eq!(template("$${${foo}").unwrap(), [Piece::Text("${".into()), Piece::Var("foo")]);
        assert_eq!(template("{${foo}").unwrap(), [Piece::Text("{".into()), Piece::Var("foo")]);
        assert_eq!(template("a$b$").unwrap(), [Piece::Text("a$b$".into())]);
        assert!(template("${foo").unwrap_err().contains("unclosed"));
        assert!(template("${}").unwrap_err().contains("empty"));
        assert!(template("${1a}").unwrap_err().contains("start with"));
        assert!(template("${a-b}").unwrap_err().contains("only ASCII"));
    }

    #[test]
    fn expansion_is_a_product() {
        let vars: HashMap<String, Vec<String>> = [
            ("a".to_string(), vec!["1".to_string(), "2".to_string()]),
            ("b".to_string(), vec!["x".to_string(), "y".to_string()]),
            ("none".to_string(), vec![]),
        ]
        .into();
        let pieces = template("/${a}/${b}").unwrap();
        assert_eq!(expand(&pieces, &vars).unwrap(), ["/1/x", "/1/y", "/2/x", "/2/y"]);
        assert!(expand(&template("/${none}").unwrap(), &vars).unwrap().is_empty());
        assert!(expand(&template("${c}").unwrap(), &vars).unwrap_err().contains("undefined"));
        let many: HashMap<String, Vec<String>> =
            [("v".to_string(), (0..64).map(|i| i.to_string()).collect())].into();
        assert_eq!(expand(&template("${v}/${v}").unwrap(), &many).unwrap().len(), 4096);
        let err = expand(&template("${v}/${v}/${v}").unwrap(), &many).unwrap_err();
        assert_eq!(err, "the variables expand to more than 4096 paths");
    }
}
