//! Policy files in the landlockconfig schema of the Landlock project, in TOML or JSON.
//!
//! ```toml
//! abi = 7
//!
//! [[variable]]
//! name = "tmp"
//! literal = ["/tmp", "/var/tmp"]
//!
//! [[ruleset]]
//! handled_access_fs = ["abi.all"]
//! handled_access_net = ["bind_tcp", "connect_tcp"]
//! scoped = ["abi.all"]
//!
//! [[path_beneath]]
//! allowed_access = ["abi.read_execute"]
//! parent = ["/usr", "/lib", "/etc"]
//!
//! [[path_beneath]]
//! allowed_access = ["abi.read_write"]
//! parent = ["${tmp}"]
//!
//! [[net_port]]
//! allowed_access = ["connect_tcp"]
//! port = [443]
//! ```
//!
//! JSON takes the same fields in camelCase (`handledAccessFs`, `pathBeneath`, `allowedAccess`,
//! `netPort`, ...). As in landlockconfig:
//!
//! - What a ruleset handles is the union of every `ruleset` entry and of every right a rule
//!   allows; nothing else is restricted.
//! - `abi` is the version the groups `abi.all`, `abi.read_execute` (read, execute, and `refer`
//!   from ABI 2) and `abi.read_write` (everything but execute) stand for; a group without `abi`
//!   is an error. It is not a minimum: an older kernel gets the best effort.
//! - `${name}` in a `parent` string stands for each `literal` of the variable `name` (several
//!   references give every combination); `$$` is a literal `$`. A variable declared twice has
//!   the values of both.
//! - Rules on the same path or port are merged; relative paths are resolved from the working
//!   directory.
//!
//! Extensions, for the rights and fields of ABI 9 to 11:
//!
//! - the filesystem right `resolve_unix`, the network rights `bind_udp` and `connect_send_udp`
//!   (included in `abi.all`, `abi.read_write` for the ABIs that have them);
//! - `quiet_access_fs`, `quiet_access_net`, `quiet_scoped` in a `ruleset` (JSON
//!   `quietAccessFs`, `quietAccessNet`, `quietScoped`): the rights whose denials are not logged on
//!   quiet objects, and the scopes whose denials are not logged;
//! - `quiet = true` in a `path_beneath` or `net_port` rule marks its objects quiet; such a rule
//!   may have an empty `allowed_access`;
//! - a port must be 0 to 65535 (landlockconfig takes any 64-bit number; the kernel refuses
//!   larger ones anyway).
//!
//! Limits, so that no file makes the parser run away: a `parent` string expands to at most 4096
//! paths, a file to at most 65536 rules, and JSON nests at most 64 levels.

mod json;
mod schema;
mod toml;
mod tree;

use std::path::{Path, PathBuf};

use landlocked_core::{AccessFs, AccessNet, Handled, Scope};

use crate::error::PolicyError;
use crate::rule::{Grant, Rule};
use crate::sandbox::Sandbox;

/// The two syntaxes of a policy file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// TOML, fields in snake_case.
    Toml,
    /// JSON, fields in camelCase.
    Json,
}

impl Format {
    /// The format a file name implies: `.json` is JSON, `.toml` TOML, anything else is guessed
    /// from the content (JSON starts with `{`).
    pub fn guess(path: &Path, text: &str) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Format::Json,
            Some("toml") => Format::Toml,
            _ if text.trim_start().starts_with('{') => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// A parsed and validated policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyFile {
    /// The file, as named.
    pub file: PathBuf,
    /// Its `abi` field, if any (the version its access groups stand for).
    pub abi: Option<u32>,
    /// Filesystem rights handled: the `ruleset` entries and every right a rule allows.
    pub handled_fs: AccessFs,
    /// Network rights handled.
    pub handled_net: AccessNet,
    /// Scopes.
    pub scoped: Scope,
    /// Filesystem rights not logged on quiet objects.
    pub quiet_fs: AccessFs,
    /// Network rights not logged on quiet ports.
    pub quiet_net: AccessNet,
    /// Scopes whose denials are not logged.
    pub quiet_scoped: Scope,
    /// The rules, expanded and merged, each with its origin `FILE:LINE:COLUMN`.
    pub rules: Vec<Rule>,
}

impl PolicyFile {
    /// Reads and parses `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<PolicyFile, PolicyError> {
        let path = path.as_ref();
        let error =
            |message: String| PolicyError { file: path.to_path_buf(), position: None, message };
        let bytes = std::fs::read(path)
            .map_err(|e| error(format!("cannot read: {}", crate::prepare::io_errno(&e))))?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let valid = std::str::from_utf8(&e.as_bytes()[..offset]).unwrap_or("");
                let (line, column) = tree::line_column(valid, offset);
                return Err(PolicyError {
                    file: path.to_path_buf(),
                    position: Some((line, column)),
                    message: "the file is not valid UTF-8".into(),
                });
            }
        };
        PolicyFile::parse(&text, Format::guess(path, &text), path)
    }

    /// Parses `text` in `format`; `file` names it in errors and rule origins.
    pub fn parse(
        text: &str,
        format: Format,
        file: impl AsRef<Path>,
    ) -> Result<PolicyFile, PolicyError> {
        let file = file.as_ref();
        let at = |e: tree::SpanError| PolicyError {
            file: file.to_path_buf(),
            position: Some(tree::line_column(text, e.offset)),
            message: e.message,
        };
        let root = match format {
            Format::Toml => toml::parse(text),
            Format::Json => json::parse(text),
        }
        .map_err(at)?;
        let parsed = schema::check(&root, format).map_err(at)?;
        let origin = |offset: usize| {
            let (line, column) = tree::line_column(text, offset);
            format!("{}:{line}:{column}", file.display())
        };
        let mut rules = Vec::new();
        for (path, access, quiet, offset) in parsed.paths {
            rules.push(Rule {
                grant: Grant::Path { path, access },
                quiet,
                origin: Some(origin(offset)),
            });
        }
        for (port, access, quiet, offset) in parsed.ports {
            rules.push(Rule {
                grant: Grant::Port { port, access },
                quiet,
                origin: Some(origin(offset)),
            });
        }
        Ok(PolicyFile {
            file: file.to_path_buf(),
            abi: parsed.abi,
            handled_fs: parsed.handled_fs,
            handled_net: parsed.handled_net,
            scoped: parsed.scoped,
            quiet_fs: parsed.quiet_fs,
            quiet_net: parsed.quiet_net,
            quiet_scoped: parsed.quiet_scoped,
            rules,
        })
    }

    /// The sandbox the file describes: it handles exactly what the file says (see
    /// [`Sandbox::empty`]); compatibility and the rest are the builder's defaults.
    pub fn sandbox(&self) -> Sandbox {
        let mut sandbox = Sandbox::empty();
        self.add_to(&mut sandbox);
        sandbox
    }

    /// Adds the file's handled rights, quiet masks and rules to `sandbox`.
    pub fn add_to(&self, sandbox: &mut Sandbox) {
        let fs = match sandbox.policy.fs() {
            Handled::Only(set) => Handled::Only(set | self.handled_fs),
            other => other,
        };
        sandbox.handle_fs(fs).restrict_net(self.handled_net).scope(self.scoped).quiet(
            self.quiet_fs,
            self.quiet_net,
            self.quiet_scoped,
        );
        for rule in &self.rules {
            sandbox.rule(rule.clone());
        }
    }
}

#[cfg(test)]
mod tests;
