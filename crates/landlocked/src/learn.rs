//! A policy learned from what a traced command did (the `trace` feature): a landlockconfig
//! file that allows exactly that, with every right of the kernel handled, so that anything not
//! learned is denied.
//!
//! - Read and execute on the system prefixes the command used (`/usr`, `/lib`, `/lib64`,
//!   `/bin`, `/sbin`) and on the directories of its executables and libraries.
//! - Elsewhere rules as narrow as observed: a file rule for a file read or written, a
//!   directory rule where it listed, created, removed or renamed entries (a file it created
//!   gets its rights on its directory, since its name may change from one run to the next).
//!   What names a process (`/proc/PID/...`) or a terminal (`/dev/pts/N`) is granted on
//!   `/proc` or `/dev/pts`.
//! - The ports it bound or connected; the scopes it needed (a signal or an abstract socket
//!   outside) left unhandled.
//!
//! Each rule carries a comment naming the operations it is there for.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use landlocked_core::{Abi, AccessFs, AccessNet, Errno, Scope};

use crate::explain::Allowed;
use crate::trace::{Access, FileKind, Target};

/// The system prefixes granted whole (read and execute) once used.
const SYSTEM_PREFIXES: &[&str] = &["/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin"];

/// Why a rule is there: operations counted, by syscall, with the programs and an example.
#[derive(Clone, Debug, Default)]
struct Why {
    /// (syscall, right) → count.
    counts: BTreeMap<(&'static str, String), usize>,
    programs: BTreeSet<String>,
    example: Option<PathBuf>,
}

impl Why {
    fn add(&mut self, access: &Access, rights: String, example: Option<&Path>) {
        *self.counts.entry((access.syscall, rights)).or_default() += 1;
        let name = access.program.file_name().map_or_else(
            || access.program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        self.programs.insert(name);
        if self.example.is_none() {
            self.example = example.map(Path::to_path_buf);
        }
    }

    fn merge(&mut self, other: Why) {
        for (key, n) in other.counts {
            *self.counts.entry(key).or_default() += n;
        }
        self.programs.extend(other.programs);
        if self.example.is_none() {
            self.example = other.example;
        }
    }

    fn text(&self, rule_path: Option<&Path>) -> String {
        let mut ops: Vec<String> = self
            .counts
            .iter()
            .map(|((syscall, rights), n)| format!("{rights} by {syscall} x{n}"))
            .collect();
        ops.dedup();
        let mut text = ops.join(", ");
        let programs: Vec<&str> = self.programs.iter().map(String::as_str).collect();
        write!(text, " ({})", programs.join(", ")).ok();
        if let (Some(example), Some(rule)) = (&self.example, rule_path) {
            if example != rule {
                write!(text, "; e.g. {}", example.display()).ok();
            }
        }
        text
    }
}

/// A learned policy.
#[derive(Clone, Debug)]
pub struct Learned {
    /// The ABI whose rights it handles.
    pub abi: Abi,
    /// Path rules: canonical path → (rights, directory or file).
    paths: BTreeMap<PathBuf, (AccessFs, bool, Why)>,
    /// Port rules: (right name, port) → why.
    ports: BTreeMap<(u16, &'static str), (AccessNet, Why)>,
    /// Scopes that cannot be handled: the command needed them.
    needed_scopes: Scope,
    scope_why: Vec<String>,
    /// Rules of the sandbox the command was learned in, kept as they were given.
    given: Vec<(String, crate::Grant)>,
}

/// Whether `access` shows a right the command needs: it succeeded, or failed only past the
/// check Landlock makes (a refused connection, a device that knows no such ioctl), or the
/// sandbox of this run denied what the kernel's file permissions would have let it do (an
/// attempt they refuse too is no need: learning it would only widen the policy).
fn needed(access: &Access, sandbox: Option<&Allowed>) -> bool {
    let denied_here = sandbox.is_some_and(|s| !s.allows(&access.target));
    match (&access.target, access.result) {
        (_, Ok(())) => true,
        (_, Err(Errno::EACCES | Errno::EPERM | Errno::EXDEV)) => {
            denied_here && permitted(&access.target)
        }
        (Target::Port { .. } | Target::AbstractUnix { .. }, Err(_)) => true,
        (Target::Path { access: a, .. }, Err(e)) => *a == AccessFs::IOCTL_DEV && e != Errno::EBADF,
        _ => false,
    }
}

/// Whether the kernel's file permissions let this process (the tracer, with the command's
/// credentials) do what `target` asks, as `faccessat(AT_EACCESS)` says.
fn permitted(target: &Target) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Target::Path { path, access, .. } = target else { return true };
    let check = |path: &Path, mode: i32| {
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return false };
        // SAFETY: a NUL-terminated path.
        unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), mode, libc::AT_EACCESS) == 0 }
    };
    let mut mode = 0;
    if access.intersects(AccessFs::READ_FILE | AccessFs::READ_DIR) {
        mode |= libc::R_OK;
    }
    if access.intersects(AccessFs::WRITE_FILE | AccessFs::TRUNCATE) {
        mode |= libc::W_OK;
    }
    if access.intersects(AccessFs::EXECUTE) {
        mode |= libc::X_OK;
    }
    // Making, removing, moving: writing the directory, searched.
    if access.intersects(AccessFs::from_bits_truncate(!AccessFs::FILE.bits()) - AccessFs::READ_DIR)
    {
        mode |= libc::W_OK | libc::X_OK;
    }
    if std::fs::symlink_metadata(path).is_ok() {
        check(path, mode)
    } else {
        // A file to be created: its directory must be writable.
        path.parent().is_some_and(|dir| check(dir, libc::W_OK | libc::X_OK))
    }
}

/// `/proc/1234/...` and `/proc/self/...` → `/proc`; `/dev/pts/3` → `/dev/pts`: paths whose
/// names change from one run to the next, granted on the directory that stays. Only to read:
/// a write beneath `/proc` would reach `/proc/sys`, so a process's own file is granted as
/// `/proc/self/...` (which `landlocked run`, executing the command in place, opens as the
/// command's), and nothing of other processes.
fn generalized(path: &Path, rights: AccessFs) -> Option<PathBuf> {
    let mut parts = path.components().skip(1);
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(a)), Some(Component::Normal(b))) if a == "proc" => {
            let b = b.to_string_lossy();
            let process =
                b == "self" || b == "thread-self" || b.bytes().all(|c| c.is_ascii_digit());
            if !process {
                None
            } else if AccessFs::READ_EXECUTE.contains(rights) {
                Some(PathBuf::from("/proc"))
            } else {
                let rest: PathBuf = parts.collect();
                Some(Path::new("/proc/self").join(rest))
            }
        }
        (Some(Component::Normal(a)), Some(Component::Normal(b))) if a == "dev" && b == "pts" => {
            Some(PathBuf::from("/dev/pts"))
        }
        _ => None,
    }
}

/// Whether `dir` may be granted read and execute whole for a program or library in it: not
/// `/`, not a home directory, not a directory anyone may write (`/tmp`). Elsewhere the program
/// or library gets a rule of its own.
fn program_dir(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    dir.parent().is_some()
        && dir != Path::new("/root")
        && dir.parent() != Some(Path::new("/home"))
        && home.as_deref() != Some(dir)
        && std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o002 == 0)
}

/// `libc.so.6`, `_json.cpython-311-x86_64-linux-gnu.so`: a shared library (named so, not
/// `ld.so.cache`, and an ELF file).
fn is_library(path: &Path) -> bool {
    library_name(path) && is_elf(path)
}

fn is_elf(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok()
        && magic == *b"\x7fELF"
}

fn library_name(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    match name.find(".so") {
        Some(at) => {
            let rest = &name[at + 3..];
            rest.is_empty()
                || (rest.starts_with('.')
                    && rest[1..].bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        }
        None => false,
    }
}

/// The directory that held the first of `path`'s ancestors (or itself) the run created: the
/// path will be missing when the policy is enforced, that directory will not.
fn lifted(path: &Path, created: &BTreeSet<PathBuf>) -> Option<PathBuf> {
    if created.is_empty() {
        return None;
    }
    let first = path.ancestors().filter(|a| created.contains(*a)).last()?;
    Some(first.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf))
}

/// The system prefixes that exist, canonical (on a merged /usr, `/bin` is `/usr/bin`).
fn system_prefixes() -> Vec<PathBuf> {
    SYSTEM_PREFIXES.iter().filter_map(|p| std::fs::canonicalize(p).ok()).collect()
}

/// The system prefix of `prefixes` that `path` is beneath.
fn prefix_of(path: &Path, prefixes: &[PathBuf]) -> Option<PathBuf> {
    prefixes.iter().filter(|p| path.starts_with(p)).min_by_key(|p| p.components().count()).cloned()
}

impl Learned {
    /// Learns from `accesses`, made in `sandbox` if any (an access it denied is learned) and
    /// for a policy that extends `already`: what `sandbox` or `already` allows is left out.
    /// What is beneath a path in `created` (made by the run, so missing before the next one)
    /// is granted on the directory that held it.
    pub fn from_accesses(
        accesses: &[Access],
        created: &BTreeSet<PathBuf>,
        abi: Abi,
        sandbox: Option<&Allowed>,
        already: Option<&Allowed>,
    ) -> Learned {
        // Granted by a rule: a right the sandbox leaves unhandled is no grant, the learned
        // policy handles it.
        let covered = |target: &Target| {
            sandbox.is_some_and(|s| s.grants(target)) || already.is_some_and(|a| a.grants(target))
        };
        let mut learned = Learned {
            abi,
            paths: BTreeMap::new(),
            ports: BTreeMap::new(),
            needed_scopes: Scope::empty(),
            scope_why: Vec::new(),
            given: Vec::new(),
        };
        let rox = AccessFs::READ_EXECUTE;
        // First the read-execute directories: prefixes used, and where programs and libraries
        // were executed or loaded from.
        let mut rox_dirs: BTreeSet<PathBuf> = BTreeSet::new();
        let prefixes = system_prefixes();
        for access in accesses.iter().filter(|a| needed(a, sandbox)) {
            let Target::Path { path, access: rights, .. } = &access.target else { continue };
            if covered(&access.target) {
                continue;
            }
            // A program the run made: its directory was made too, the one that held it is
            // granted.
            let held = lifted(path, created);
            let dir = if let Some(prefix) =
                prefix_of(path, &prefixes).filter(|_| rox.contains(*rights))
            {
                Some(prefix)
            } else if rights.contains(AccessFs::EXECUTE) || is_library(path) {
                held.or_else(|| path.parent().map(Path::to_path_buf))
                    .filter(|dir| rox.contains(*rights) && program_dir(dir))
            } else {
                None
            };
            if let Some(dir) = dir {
                rox_dirs.insert(dir);
            }
        }
        // Their reasons are counted with the rest, below.
        for dir in rox_dirs {
            learned.paths.insert(dir, (rox, true, Why::default()));
        }
        for access in accesses.iter().filter(|a| needed(a, sandbox)) {
            if covered(&access.target) {
                continue;
            }
            match &access.target {
                Target::Path { path, access: rights, kind, created: new } => {
                    match lifted(path, created) {
                        Some(dir) => learned.path(access, &dir, *rights, FileKind::Dir, false),
                        None => learned.path(access, path, *rights, *kind, *new),
                    }
                }
                Target::Port { port, access: right } => {
                    let name = right.names().next().unwrap_or("?");
                    let entry =
                        learned.ports.entry((*port, name)).or_insert((*right, Why::default()));
                    entry.1.add(access, name.to_string(), None);
                }
                Target::AbstractUnix { name } => {
                    learned.needed_scopes |= Scope::ABSTRACT_UNIX_SOCKET;
                    learned.scope_why.push(format!(
                        "abstract_unix_socket: {} connected to @{}",
                        access.program.display(),
                        String::from_utf8_lossy(name)
                    ));
                }
                Target::Signal { pid } => {
                    learned.needed_scopes |= Scope::SIGNAL;
                    learned
                        .scope_why
                        .push(format!("signal: {} signalled {pid}", access.program.display()));
                }
            }
        }
        learned.scope_why.sort();
        learned.scope_why.dedup();
        learned.drop_covered();
        learned
    }

    fn path(
        &mut self,
        access: &Access,
        path: &Path,
        rights: AccessFs,
        kind: FileKind,
        created: bool,
    ) {
        let covering = self.paths.iter_mut().find(|(rule, (granted, dir, _))| {
            *dir && path.starts_with(rule) && granted.contains(rights)
        });
        if let Some((_, (_, _, why))) = covering {
            why.add(access, rights.to_string(), Some(path));
            return;
        }
        let (rule, dir, rights) = if let Some(general) = generalized(path, rights) {
            let dir = general == Path::new("/proc")
                || general == Path::new("/dev/pts")
                || kind == FileKind::Dir;
            (general, dir, if dir { rights } else { rights & AccessFs::FILE })
        } else if created {
            (path.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf), true, rights)
        } else if kind == FileKind::Dir {
            (path.to_path_buf(), true, rights)
        } else {
            (path.to_path_buf(), false, rights & AccessFs::FILE)
        };
        let entry = self.paths.entry(rule).or_insert((AccessFs::empty(), dir, Why::default()));
        entry.0 |= rights;
        entry.1 |= dir;
        entry.2.add(access, rights.to_string(), Some(path));
    }

    /// Drops a rule whose rights a directory rule above it already grants (a file rule, or
    /// a library's directory beneath a prefix), its reasons counted with that rule's.
    fn drop_covered(&mut self) {
        let dirs: Vec<(PathBuf, AccessFs)> = self
            .paths
            .iter()
            .filter(|(_, (_, dir, _))| *dir)
            .map(|(p, (a, _, _))| (p.clone(), *a))
            .collect();
        let covering = |path: &Path, rights: AccessFs| {
            dirs.iter()
                .filter(|(d, a)| path.starts_with(d) && path != d && a.contains(rights))
                .min_by_key(|(d, _)| d.components().count())
                .map(|(d, _)| d.clone())
        };
        let covered: Vec<(PathBuf, PathBuf)> = self
            .paths
            .iter()
            .filter_map(|(p, (a, _, _))| covering(p, *a).map(|d| (p.clone(), d)))
            .collect();
        for (path, into) in covered {
            let (_, _, why) = self.paths.remove(&path).expect("listed");
            if let Some((_, _, above)) = self.paths.get_mut(&into) {
                above.merge(why);
            }
        }
        self.paths.retain(|_, (_, _, why)| !why.counts.is_empty());
    }

    /// Keeps `rules` (those of the sandbox the command was learned in) in the policy, before
    /// what was learned: the policy extends them.
    pub fn with_given(self, rules: &[crate::Rule]) -> Learned {
        self.with_given_beyond(rules, None)
    }

    /// [`Learned::with_given`], leaving out the rules `already` grants (appending to the policy
    /// the run was given: its own rules are there).
    pub fn with_given_beyond(
        mut self,
        rules: &[crate::Rule],
        already: Option<&Allowed>,
    ) -> Learned {
        for rule in rules {
            let Some(grant) = rule.grant.by_path() else { continue };
            let granted = already.is_some_and(|a| match &grant {
                crate::Grant::Path { path, access } => {
                    let (kind, access) = if path.is_dir() {
                        (FileKind::Dir, *access)
                    } else {
                        // A rule on a file grants only a file's rights.
                        (FileKind::File, *access & AccessFs::FILE)
                    };
                    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                    a.grants(&Target::Path { path: real, access, kind, created: false })
                }
                crate::Grant::Port { port, access } => access
                    .iter()
                    .all(|right| a.grants(&Target::Port { port: *port, access: right })),
                _ => false,
            });
            if granted {
                continue;
            }
            let origin = rule.origin.clone().unwrap_or_else(|| rule.target().to_string());
            self.given.push((origin, grant));
        }
        self
    }

    /// Whether nothing was learned.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.ports.is_empty() && self.needed_scopes.is_empty()
    }

    /// How many path and port rules were learned (the given ones not counted).
    pub fn counts(&self) -> (usize, usize) {
        (self.paths.len(), self.port_groups().len())
    }

    /// The scopes the policy handles: the ABI's, but those the command needed.
    fn scopes(&self) -> Scope {
        Scope::for_abi(self.abi).difference(self.needed_scopes)
    }

    /// The port rules, by right: (right, ports, why).
    fn port_groups(&self) -> Vec<(AccessNet, Vec<u16>, String)> {
        let mut by_right: BTreeMap<&'static str, (AccessNet, Vec<u16>, Vec<String>)> =
            BTreeMap::new();
        for ((port, name), (right, why)) in &self.ports {
            let entry = by_right.entry(name).or_insert((*right, Vec::new(), Vec::new()));
            entry.1.push(*port);
            entry.2.push(format!("{port}: {}", why.text(None)));
        }
        by_right.into_values().map(|(r, p, w)| (r, p, w.join("; "))).collect()
    }

    /// The policy as landlockconfig TOML, with a comment on every rule; `header` starts it.
    pub fn to_toml(&self, header: &str) -> String {
        let mut doc = toml_edit::DocumentMut::new();
        doc["abi"] = toml_edit::value(i64::from(self.abi.version()));
        doc.decor_mut().set_prefix(comment_block(header));
        self.append_to(&mut doc, true);
        doc.to_string()
    }

    /// Appends the rules (and a ruleset entry if `ruleset`) to a TOML document.
    fn append_to(&self, doc: &mut toml_edit::DocumentMut, ruleset: bool) {
        use toml_edit::{Array, Table, value};
        let names = |it: &mut dyn Iterator<Item = &'static str>| -> Array { it.collect() };
        if ruleset {
            let mut table = Table::new();
            table.decor_mut().set_prefix(comment_block(&format!(
                "Every right of Landlock ABI {} is handled: what is not allowed below is \
                 denied.{}",
                self.abi,
                if self.scope_why.is_empty() {
                    String::new()
                } else {
                    format!(" Not handled, the command needed it: {}", self.scope_why.join("; "))
                }
            )));
            table["handled_access_fs"] = value(names(&mut AccessFs::for_abi(self.abi).names()));
            let net = AccessNet::for_abi(self.abi);
            if !net.is_empty() {
                table["handled_access_net"] = value(names(&mut net.names()));
            }
            if !self.scopes().is_empty() {
                table["scoped"] = value(names(&mut self.scopes().names()));
            }
            push(doc, "ruleset", table);
        }
        for (origin, grant) in &self.given {
            let mut table = Table::new();
            table.decor_mut().set_prefix(comment_block(&format!("given: {origin}")));
            match grant {
                crate::Grant::Path { path, access } => {
                    table["allowed_access"] = value(names(&mut access.names()));
                    let mut parent = Array::new();
                    parent.push(path.to_string_lossy().into_owned());
                    table["parent"] = value(parent);
                    push(doc, "path_beneath", table);
                }
                crate::Grant::Port { port, access } => {
                    table["allowed_access"] = value(names(&mut access.names()));
                    table["port"] = value([i64::from(*port)].into_iter().collect::<Array>());
                    push(doc, "net_port", table);
                }
                _ => {}
            }
        }
        for (path, (rights, _, why)) in &self.paths {
            let mut table = Table::new();
            table.decor_mut().set_prefix(comment_block(&why.text(Some(path))));
            table["allowed_access"] = value(names(&mut rights.names()));
            let mut parent = Array::new();
            parent.push(path.to_string_lossy().into_owned());
            table["parent"] = value(parent);
            push(doc, "path_beneath", table);
        }
        for (right, ports, why) in self.port_groups() {
            let mut table = Table::new();
            table.decor_mut().set_prefix(comment_block(&why));
            table["allowed_access"] = value(names(&mut right.names()));
            table["port"] = value(ports.iter().map(|&p| i64::from(p)).collect::<Array>());
            push(doc, "net_port", table);
        }
    }

    /// `existing` (a TOML policy) with the rules of this one appended, its text and comments
    /// kept.
    pub fn append_to_toml(&self, existing: &str, header: &str) -> Result<String, String> {
        let mut doc: toml_edit::DocumentMut =
            existing.parse().map_err(|e: toml_edit::TomlError| {
                e.to_string().lines().next().unwrap_or("not TOML").to_string()
            })?;
        let before = doc.to_string();
        self.append_to(&mut doc, false);
        let mut text = doc.to_string();
        if text != before && !header.is_empty() {
            // Where the appended rules start.
            let at = text.find(&before).map_or(0, |i| i + before.len());
            text.insert_str(at, &format!("\n# {header}\n"));
        }
        Ok(text)
    }

    /// The policy as landlockconfig JSON (which has no comments).
    pub fn to_json(&self) -> String {
        use serde_json::{Value, json};
        let names =
            |it: &mut dyn Iterator<Item = &'static str>| -> Value { it.collect::<Vec<_>>().into() };
        let mut ruleset =
            json!({ "handledAccessFs": names(&mut AccessFs::for_abi(self.abi).names()) });
        let net = AccessNet::for_abi(self.abi);
        if !net.is_empty() {
            ruleset["handledAccessNet"] = names(&mut net.names());
        }
        if !self.scopes().is_empty() {
            ruleset["scoped"] = names(&mut self.scopes().names());
        }
        let mut paths: Vec<Value> = Vec::new();
        let mut ports: Vec<Value> = Vec::new();
        for (_, grant) in &self.given {
            match grant {
                crate::Grant::Path { path, access } => paths.push(json!({
                    "allowedAccess": names(&mut access.names()),
                    "parent": [path.to_string_lossy()]
                })),
                crate::Grant::Port { port, access } => ports.push(json!({
                    "allowedAccess": names(&mut access.names()),
                    "port": [port]
                })),
                _ => {}
            }
        }
        paths.extend(self.paths.iter().map(|(path, (rights, _, _))| {
            json!({ "allowedAccess": names(&mut rights.names()), "parent": [path.to_string_lossy()] })
        }));
        ports.extend(self.port_groups().into_iter().map(|(right, ports, _)| {
            json!({ "allowedAccess": names(&mut right.names()), "port": ports })
        }));
        let mut doc = json!({ "abi": self.abi.version(), "ruleset": [ruleset] });
        if !paths.is_empty() {
            doc["pathBeneath"] = paths.into();
        }
        if !ports.is_empty() {
            doc["netPort"] = ports.into();
        }
        serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
    }
}

fn push(doc: &mut toml_edit::DocumentMut, key: &str, table: toml_edit::Table) {
    let item =
        doc.entry(key).or_insert(toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()));
    if let Some(array) = item.as_array_of_tables_mut() {
        array.push(table);
    } else if let Some(array) = item.as_array_mut() {
        // `path_beneath = [{ ... }]`: the rule joins the inline array.
        array.push(table.into_inline_table());
    }
}

/// `text` as TOML comment lines, wrapped at 96 columns, preceded by a blank line.
fn comment_block(text: &str) -> String {
    // A control character (an escape, a carriage return) is no valid TOML comment.
    let text: String = text.split('\n').map(crate::printable).collect::<Vec<_>>().join("\n");
    let mut out = String::from("\n");
    for paragraph in text.lines() {
        let mut line = String::from("#");
        for word in paragraph.split(' ') {
            if line.len() + word.len() + 1 > 96 && line.len() > 1 {
                out.push_str(&line);
                out.push('\n');
                line = String::from("#");
            }
            line.push(' ');
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Grant;

    fn access(syscall: &'static str, target: Target, result: Result<(), Errno>) -> Access {
        Access { pid: 42, program: PathBuf::from("/usr/bin/tool"), syscall, target, result }
    }

    fn path(p: &str, access: AccessFs, kind: FileKind, created: bool) -> Target {
        Target::Path { path: PathBuf::from(p), access, kind, created }
    }

    fn sample() -> Vec<Access> {
        let file = FileKind::File;
        vec![
            access("execve", path("/usr/bin/tool", AccessFs::EXECUTE, file, false), Ok(())),
            access("openat", path("/usr/lib/libx.so.1", AccessFs::READ_FILE, file, false), Ok(())),
            access("openat", path("/etc/ld.so.cache", AccessFs::READ_FILE, file, false), Ok(())),
            access(
                "openat",
                path("/etc/shadow", AccessFs::READ_FILE, file, false),
                Err(Errno::EACCES),
            ),
            access(
                "openat",
                path("/etc/nope", AccessFs::READ_FILE, FileKind::Missing, false),
                Err(Errno::ENOENT),
            ),
            access("openat", path("/tmp", AccessFs::MAKE_REG, FileKind::Dir, false), Ok(())),
            access("openat", path("/tmp/out.123", AccessFs::WRITE_FILE, file, true), Ok(())),
            access("openat", path("/proc/4242/stat", AccessFs::READ_FILE, file, false), Ok(())),
            access(
                "ioctl",
                path("/dev/pts/3", AccessFs::IOCTL_DEV, FileKind::Device, false),
                Err(Errno::ENOTTY),
            ),
            access("openat", path("/srv/data", AccessFs::READ_DIR, FileKind::Dir, false), Ok(())),
            access(
                "connect",
                Target::Port { port: 443, access: AccessNet::CONNECT_TCP },
                Err(Errno::ECONNREFUSED),
            ),
            access("bind", Target::Port { port: 8080, access: AccessNet::BIND_TCP }, Ok(())),
            access("connect", Target::Port { port: 80, access: AccessNet::CONNECT_TCP }, Ok(())),
            access("kill", Target::Signal { pid: 1 }, Ok(())),
        ]
    }

    fn rules(learned: &Learned) -> Vec<(String, AccessFs)> {
        learned.paths.iter().map(|(p, (a, _, _))| (p.display().to_string(), *a)).collect()
    }

    #[test]
    fn rules_are_as_narrow_as_observed() {
        let learned = Learned::from_accesses(&sample(), &BTreeSet::new(), Abi::V7, None, None);
        let rules = rules(&learned);
        let usr = std::fs::canonicalize("/usr").unwrap().display().to_string();
        let has = |p: &str, a: AccessFs| rules.iter().any(|(q, b)| q == p && *b == a);
        assert!(has(&usr, AccessFs::READ_EXECUTE), "{rules:?}");
        assert!(has("/etc/ld.so.cache", AccessFs::READ_FILE), "{rules:?}");
        // Created: on its directory, with the creation's right.
        assert!(has("/tmp", AccessFs::MAKE_REG | AccessFs::WRITE_FILE), "{rules:?}");
        assert!(has("/proc", AccessFs::READ_FILE), "{rules:?}");
        assert!(has("/dev/pts", AccessFs::IOCTL_DEV), "{rules:?}");
        assert!(has("/srv/data", AccessFs::READ_DIR), "{rules:?}");
        // Failures of the kind a sandbox never causes are no needs; a DAC refusal neither.
        assert!(!rules.iter().any(|(p, _)| p == "/etc/shadow" || p == "/etc/nope" || p == "/etc"));
        assert_eq!(learned.needed_scopes, Scope::SIGNAL);
        let ports: Vec<u16> = learned.ports.keys().map(|(p, _)| *p).collect();
        assert_eq!(ports, [80, 443, 8080]);
    }

    #[test]
    fn the_policy_parses_back_and_allows_what_was_learned() {
        let learned = Learned::from_accesses(&sample(), &BTreeSet::new(), Abi::V7, None, None);
        let dir = std::env::temp_dir().join(format!("landlocked-learn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let toml = learned.to_toml("Learned from: tool\nOn a test.");
        assert!(toml.starts_with("\n# Learned from: tool\n# On a test.\nabi = 7\n"), "{toml}");
        assert!(
            toml.contains(
                "# execute by execve x1, read_file by openat x1 (tool); e.g. /usr/bin/tool"
            ),
            "{toml}"
        );
        for (name, text) in [("p.toml", toml), ("p.json", learned.to_json())] {
            let file = dir.join(name);
            std::fs::write(&file, text).unwrap();
            let policy = crate::PolicyFile::load(&file).unwrap();
            assert_eq!(policy.handled_fs, AccessFs::for_abi(Abi::V7), "{name}");
            assert_eq!(policy.scoped, Scope::ABSTRACT_UNIX_SOCKET, "{name}: signal was needed");
            let ports: Vec<u16> = policy
                .rules
                .iter()
                .filter_map(|r| match r.grant {
                    Grant::Port { port, .. } => Some(port),
                    _ => None,
                })
                .collect();
            assert_eq!(ports.len(), 3, "{name}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn appending_keeps_the_file_and_adds_only_what_is_new() {
        let existing = "# mine\nabi = 7\n\n[[ruleset]]\nhandled_access_fs = [\"read_file\"]\n\n\
                        [[path_beneath]]\n# kept\nallowed_access = [\"read_file\"]\nparent = [\"/etc/ld.so.cache\"]\n";
        let dir = std::env::temp_dir().join(format!("landlocked-append-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("p.toml");
        std::fs::write(&file, existing).unwrap();
        let policy = crate::PolicyFile::load(&file).unwrap();
        let allowed = Allowed::granted_by(&policy);
        let learned =
            Learned::from_accesses(&sample(), &BTreeSet::new(), Abi::V7, None, Some(&allowed));
        assert!(!rules(&learned).iter().any(|(p, _)| p == "/etc/ld.so.cache"));
        let merged = learned.append_to_toml(existing, "appended").unwrap();
        assert!(merged.starts_with(existing), "{merged}");
        assert!(merged.contains("# appended"), "{merged}");
        std::fs::write(&file, &merged).unwrap();
        let policy = crate::PolicyFile::load(&file).unwrap();
        assert!(policy.rules.len() > 3, "{merged}");
        assert!(learned.append_to_toml("[[oops", "x").is_err());
        // Rules written as an inline array: the new ones join it.
        let inline = "abi = 7\n\
                      path_beneath = [{ allowed_access = [\"read_file\"], parent = [\"/etc\"] }]\n\
                      [[ruleset]]\nhandled_access_fs = [\"read_file\"]\n";
        let merged = learned.append_to_toml(inline, "appended").unwrap();
        std::fs::write(&file, &merged).unwrap();
        let policy = crate::PolicyFile::load(&file).unwrap();
        assert!(policy.rules.len() > 2, "{merged}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
