//! Which traced accesses a sandbox denied, and what would allow each (the `trace` feature).
//!
//! An access that failed with the errors Landlock gives (`EACCES`, `EPERM` for the scopes,
//! `EXDEV` for a reparenting) is the sandbox's doing only if the sandbox handles its right and
//! no rule grants it there: otherwise it is an ordinary permission error, and not reported.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use landlocked_core::{AccessFs, AccessNet, Errno, Scope};

use crate::report::Report;
use crate::rule::Grant;
use crate::sandbox::Sandbox;
use crate::trace::{Access, FileKind, Target};

/// What a sandbox allows, as enforced: its handled rights and its rules, each path
/// canonical.
#[derive(Clone, Debug, Default)]
pub struct Allowed {
    fs: AccessFs,
    net: AccessNet,
    scoped: Scope,
    /// (canonical path, rights, whether it is a directory).
    paths: Vec<(PathBuf, AccessFs, bool)>,
    ports: Vec<(u16, AccessNet)>,
}

impl Allowed {
    /// What `sandbox` allows where it is enforced as `report` says.
    pub fn of(sandbox: &Sandbox, report: &Report) -> Allowed {
        let domain = report.domain();
        let mut allowed = Allowed {
            fs: domain.fs.enforced,
            net: domain.net.enforced,
            scoped: domain.scoped.enforced,
            ..Allowed::default()
        };
        allowed.rules(sandbox.rules());
        allowed
    }

    /// What a policy file allows by its own terms, whatever this kernel enforces of it.
    pub fn of_policy(policy: &crate::PolicyFile) -> Allowed {
        let mut allowed = Allowed {
            fs: policy.handled_fs,
            net: policy.handled_net,
            scoped: policy.scoped,
            ..Allowed::default()
        };
        allowed.rules(&policy.rules);
        allowed
    }

    /// What a policy file's rules grant, every right counted as handled: what need not be
    /// added to it.
    pub fn granted_by(policy: &crate::PolicyFile) -> Allowed {
        let mut allowed = Allowed {
            fs: AccessFs::all(),
            net: AccessNet::all(),
            scoped: Scope::all(),
            ..Allowed::default()
        };
        allowed.rules(&policy.rules);
        allowed
    }

    fn rules(&mut self, rules: &[crate::Rule]) {
        for rule in rules {
            match rule.grant.by_path() {
                Some(Grant::Path { path, access }) => self.path(&path, access),
                Some(Grant::Port { port, access }) => self.ports.push((port, access)),
                _ => {}
            }
        }
    }

    fn path(&mut self, path: &Path, access: AccessFs) {
        if let Ok(real) = std::fs::canonicalize(path) {
            let dir = real.is_dir();
            let access = if dir { access } else { access & AccessFs::FILE };
            self.paths.push((real, access, dir));
        }
    }

    /// The rights of `access` on `path` that the sandbox denies (with `by_rules`, those no
    /// rule grants, handled or not).
    fn denied_fs(&self, path: &Path, access: AccessFs, by_rules: bool) -> AccessFs {
        let mut granted = if by_rules { AccessFs::empty() } else { !self.fs };
        for (rule, rights, dir) in &self.paths {
            if path == rule || (*dir && path.starts_with(rule)) {
                granted |= *rights;
            }
        }
        access.difference(granted)
    }

    /// What of `target` the sandbox denies, as a target of its own (`None`: nothing).
    pub fn denied(&self, target: &Target) -> Option<Target> {
        self.not_granted(target, false)
    }

    /// Whether the sandbox's rules grant all of `target` (a right it does not handle is not
    /// granted by this: what a policy that handles it needs).
    pub fn grants(&self, target: &Target) -> bool {
        self.not_granted(target, true).is_none()
    }

    fn not_granted(&self, target: &Target, by_rules: bool) -> Option<Target> {
        match target {
            Target::Path { path, access, kind, created } => {
                let denied = self.denied_fs(path, *access, by_rules);
                (!denied.is_empty()).then(|| Target::Path {
                    path: path.clone(),
                    access: denied,
                    kind: *kind,
                    created: *created,
                })
            }
            Target::Port { port, access } => {
                let handled = by_rules || self.net.intersects(*access);
                let granted = self.ports.iter().any(|(p, a)| p == port && a.contains(*access));
                (handled && !granted).then(|| target.clone())
            }
            // A scope has no rules: not scoped, it is allowed.
            Target::AbstractUnix { .. } => {
                self.scoped.contains(Scope::ABSTRACT_UNIX_SOCKET).then(|| target.clone())
            }
            Target::Signal { .. } => self.scoped.contains(Scope::SIGNAL).then(|| target.clone()),
        }
    }

    /// Whether the sandbox allows all of `target`.
    pub fn allows(&self, target: &Target) -> bool {
        self.denied(target).is_none()
    }
}

/// Whether `access` failed the way a sandbox makes it fail.
fn failed_like_a_denial(access: &Access) -> bool {
    matches!(access.result, Err(Errno::EACCES | Errno::EPERM | Errno::EXDEV))
}

/// What a `landlocked run` option would allow `target` (`--ro /etc/ld.so.cache`).
pub fn option_for(target: &Target) -> String {
    match target {
        Target::Path { path, access, kind, .. } => {
            let option =
                if access.contains(AccessFs::RESOLVE_UNIX) && access.bits().count_ones() == 1 {
                    "--unix"
                } else if access.intersects(AccessFs::EXECUTE) {
                    if access.intersects(AccessFs::WRITE) { "--rwx" } else { "--rox" }
                } else if access.intersects(AccessFs::WRITE) {
                    "--rw"
                } else {
                    "--ro"
                };
            let _ = kind;
            format!("{option} {}", path.display())
        }
        Target::Port { port, access } => {
            let option = match *access {
                AccessNet::BIND_TCP => "--bind-tcp",
                AccessNet::CONNECT_TCP => "--connect-tcp",
                AccessNet::BIND_UDP => "--bind-udp",
                _ => "--connect-udp",
            };
            format!("{option} {port}")
        }
        Target::AbstractUnix { .. } | Target::Signal { .. } => "--unrestricted-scoped".to_string(),
    }
}

/// Denials of the same thing, counted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Denial {
    /// What was denied (only the rights the sandbox denied).
    pub target: Target,
    /// How many times.
    pub count: usize,
    /// The syscalls that asked.
    pub syscalls: BTreeSet<&'static str>,
    /// The programs that asked.
    pub programs: BTreeSet<PathBuf>,
    /// The processes that asked.
    pub pids: BTreeSet<i32>,
    /// The `landlocked run` option that would allow it.
    pub option: String,
}

/// The accesses `allowed` denied, grouped by what was denied (most frequent first, then in
/// the order they happened).
pub fn denials(accesses: &[Access], allowed: &Allowed) -> Vec<Denial> {
    let mut groups: Vec<Denial> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for access in accesses.iter().filter(|a| failed_like_a_denial(a)) {
        let Some(target) = allowed.denied(&access.target) else { continue };
        // A directory that an open names: the rule goes on it, a file's on the file.
        let target = match target {
            // A file it would have created: what allows it is a rule on its directory.
            Target::Path { path, access: rights, created: true, .. } => Target::Path {
                path: path.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf),
                access: rights,
                kind: FileKind::Dir,
                created: false,
            },
            Target::Path { path, access: rights, kind: FileKind::Missing, created } => {
                Target::Path { path, access: rights, kind: FileKind::File, created }
            }
            other => other,
        };
        let key = target.to_string();
        let i = *index.entry(key).or_insert_with(|| {
            groups.push(Denial {
                option: option_for(&target),
                target: target.clone(),
                count: 0,
                syscalls: BTreeSet::new(),
                programs: BTreeSet::new(),
                pids: BTreeSet::new(),
            });
            groups.len() - 1
        });
        let group = &mut groups[i];
        group.count += 1;
        group.syscalls.insert(access.syscall);
        group.programs.insert(access.program.clone());
        group.pids.insert(access.pid);
    }
    // Stable: equal counts keep the order of their first denial.
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    groups
}
