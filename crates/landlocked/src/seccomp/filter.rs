//! `--syscall-filter`: systemd's `SystemCallFilter=` and `SystemCallErrorNumber=`, with their
//! syntax and meaning, compiled for this architecture.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use landlocked_core::Errno;

use super::groups;
use super::table::{Resolved, resolve};

/// What a filter does to a syscall it denies (systemd's `SystemCallErrorNumber=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DenyAction {
    /// The syscall fails with this error number (the default: `EPERM`).
    Errno(Errno),
    /// The process is killed by `SIGSYS` (systemd's default, `kill`).
    Kill,
}

impl Default for DenyAction {
    fn default() -> DenyAction {
        DenyAction::Errno(Errno::EPERM)
    }
}

impl FromStr for DenyAction {
    type Err = String;

    /// An error name (`EPERM`, `EUCLEAN`), a number from 1 to 4095, or `kill`.
    fn from_str(s: &str) -> Result<DenyAction, String> {
        if s == "kill" {
            return Ok(DenyAction::Kill);
        }
        let errno = match s.parse::<i32>() {
            Ok(n) => Errno::from_raw(n),
            Err(_) => errno_named(s),
        };
        errno.map(DenyAction::Errno).ok_or_else(|| {
            format!("{s:?}: not an error name (EPERM), a number from 1 to 4095, or kill")
        })
    }
}

impl fmt::Display for DenyAction {
    /// `EPERM`, `error 300`, `kill`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyAction::Kill => f.write_str("kill"),
            DenyAction::Errno(e) => match errno_name(*e) {
                Some(name) => f.write_str(name),
                None => write!(f, "error {}", e.raw()),
            },
        }
    }
}

/// The error number named `name`, from the syscalls crate's table (every `asm-generic` name).
fn errno_named(name: &str) -> Option<Errno> {
    let aliases = [("EWOULDBLOCK", "EAGAIN"), ("EDEADLOCK", "EDEADLK")];
    let name = aliases.iter().find(|(a, _)| *a == name).map_or(name, |(_, n)| n);
    (1..4096).find(|&n| ::syscalls::Errno::new(n).name() == Some(name)).and_then(Errno::from_raw)
}

fn errno_name(e: Errno) -> Option<&'static str> {
    e.name().or_else(|| ::syscalls::Errno::new(e.raw()).name())
}

/// Why a `SystemCallFilter=` line cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyscallFilterError {
    /// The line names nothing.
    Empty,
    /// No architecture has a syscall of this name.
    UnknownSyscall(String),
    /// No group has this name.
    UnknownGroup(String),
    /// `NAME:ERRNO` with an error that cannot be parsed.
    BadAction {
        /// The entry.
        entry: String,
        /// Why.
        reason: String,
    },
    /// `NAME:ERRNO` in an allow-list line, where it means nothing.
    ActionOnAllowed(String),
}

impl fmt::Display for SyscallFilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyscallFilterError::Empty => f.write_str("empty: name syscalls or @groups"),
            SyscallFilterError::UnknownSyscall(name) => write!(
                f,
                "no system call {name:?} on x86_64, aarch64, i386 or arm (a group starts with @)"
            ),
            SyscallFilterError::UnknownGroup(name) => write!(f, "no system call group {name:?}"),
            SyscallFilterError::BadAction { entry, reason } => write!(f, "{entry:?}: {reason}"),
            SyscallFilterError::ActionOnAllowed(entry) => write!(
                f,
                "{entry:?}: an error number applies only to denied entries (a line starting with ~)"
            ),
        }
    }
}

impl std::error::Error for SyscallFilterError {}

/// A syscall filter with the syntax and meaning of systemd's `SystemCallFilter=`: an allow-list
/// of syscall names and `@groups` (everything else denied), or a deny-list after `~`; each
/// later line adds to the list or removes from it, the first one deciding which kind it is.
/// An allow-list always allows `@default` (what every program needs to start and exit).
/// Denied syscalls fail with [`DenyAction`] (`EPERM` unless set; `NAME:ERRNO` for one entry of
/// a `~` line).
///
/// The filter is compiled for this architecture; a name only another architecture has is
/// skipped, as systemd does. Every filter also denies the other entry points of the kernel:
/// on x86_64, i386 (`int 0x80`) and x32 syscalls kill the process (systemd's
/// `SystemCallArchitectures=native`).
///
/// ```
/// use landlocked::SyscallFilter;
/// let mut filter = SyscallFilter::parse("@system-service")?;
/// filter.add("~@privileged @resources")?;
/// assert!(filter.allows("read"));
/// assert!(!filter.allows("reboot"));
/// assert!(!filter.allows("setpriority"));
/// # Ok::<(), landlocked::SyscallFilterError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallFilter {
    allow_list: bool,
    /// Native syscall numbers, each with the action of its `:ERRNO` suffix if it had one.
    entries: BTreeMap<u32, Option<DenyAction>>,
    action: DenyAction,
}

impl SyscallFilter {
    /// The filter of one `SystemCallFilter=` line.
    pub fn parse(line: &str) -> Result<SyscallFilter, SyscallFilterError> {
        let invert = line.trim_start_matches([' ', '\t', '\n', '\r']).starts_with('~');
        let mut filter = SyscallFilter {
            allow_list: !invert,
            entries: BTreeMap::new(),
            action: DenyAction::default(),
        };
        if filter.allow_list {
            filter.apply("@default", None, false)?;
        }
        filter.add(line)?;
        Ok(filter)
    }

    /// Merges another line, as a second `SystemCallFilter=` does: in an allow-list, plain names
    /// are allowed too and `~` names denied again; in a deny-list, `~` names are denied too and
    /// plain names allowed again.
    pub fn add(&mut self, line: &str) -> Result<&mut SyscallFilter, SyscallFilterError> {
        let line = line.trim_start_matches([' ', '\t', '\n', '\r']);
        let (invert, rest) = match line.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        // systemd splits at spaces, tabs and line ends only.
        let words: Vec<&str> =
            rest.split([' ', '\t', '\n', '\r']).filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return Err(SyscallFilterError::Empty);
        }
        // Everything is checked before anything changes.
        let mut parsed = Vec::with_capacity(words.len());
        for word in words {
            let (name, action) = match word.split_once(':') {
                Some((name, action)) => {
                    let action = action.parse::<DenyAction>().map_err(|reason| {
                        SyscallFilterError::BadAction { entry: word.to_owned(), reason }
                    })?;
                    (name, Some(action))
                }
                None => (word, None),
            };
            if action.is_some() && !invert {
                return Err(SyscallFilterError::ActionOnAllowed(word.to_owned()));
            }
            check_name(name)?;
            parsed.push((name, action));
        }
        for (name, action) in parsed {
            self.apply(name, action, invert)?;
        }
        Ok(self)
    }

    /// What a denied syscall gets (systemd's `SystemCallErrorNumber=`), unless its entry says.
    pub fn set_action(&mut self, action: DenyAction) -> &mut SyscallFilter {
        self.action = action;
        self
    }

    /// What a denied syscall gets.
    pub fn action(&self) -> DenyAction {
        self.action
    }

    /// Whether this is an allow-list (the first line had no `~`).
    pub fn is_allow_list(&self) -> bool {
        self.allow_list
    }

    /// What the filter does to the syscall `name` of this architecture: `None` when it is
    /// allowed, or the action it is denied with. A name this architecture lacks is allowed
    /// (it cannot be called here).
    pub fn action_for(&self, name: &str) -> Option<DenyAction> {
        let Resolved::Native(nr) = resolve(name) else { return None };
        match (self.allow_list, self.entries.get(&nr)) {
            (true, Some(None)) | (false, None) => None,
            (_, Some(Some(action))) => Some(*action),
            (true, None) | (false, Some(None)) => Some(self.action),
        }
    }

    /// Whether the syscall `name` of this architecture is allowed.
    pub fn allows(&self, name: &str) -> bool {
        self.action_for(name).is_none()
    }

    /// How many syscalls of this architecture the list names.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list names no syscall of this architecture (an allow-list always names
    /// `@default`'s).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The groups there are: name and help text.
    pub fn groups() -> impl Iterator<Item = (&'static str, &'static str)> {
        groups::GROUPS.iter().map(|g| (g.name, g.help))
    }

    /// The members of a group (syscall names and groups) that mean something on this
    /// architecture, if the group exists; `@known` lists every syscall of this architecture.
    pub fn group_members(name: &str) -> Option<Vec<&'static str>> {
        let group = groups::find(name)?;
        let mut members: Vec<&'static str> = group
            .members
            .iter()
            .copied()
            .filter(|m| m.starts_with('@') || matches!(resolve(m), Resolved::Native(_)))
            .collect();
        if group.name == "@known" {
            members.extend(super::table::native_names());
        }
        Some(members)
    }

    /// The entries by native syscall number.
    pub(crate) fn entries(&self) -> &BTreeMap<u32, Option<DenyAction>> {
        &self.entries
    }

    /// Adds or removes `name` (a syscall or a group, already checked) as systemd's
    /// `seccomp_parse_syscall_filter` does.
    fn apply(
        &mut self,
        name: &str,
        action: Option<DenyAction>,
        invert: bool,
    ) -> Result<(), SyscallFilterError> {
        if let Some(group) = groups::find(name) {
            for member in group.members {
                self.apply(member, action, invert)?;
            }
            if group.name == "@known" {
                for nr in super::table::native_numbers() {
                    self.set(nr, action, invert);
                }
            }
            return Ok(());
        }
        match resolve(name) {
            Resolved::Native(nr) => self.set(nr, action, invert),
            // Another architecture's syscall, or one of systemd's for architectures the syscall
            // tables do not cover: nothing to do here.
            Resolved::OtherArch | Resolved::Unknown => {}
        }
        Ok(())
    }

    fn set(&mut self, nr: u32, action: Option<DenyAction>, invert: bool) {
        if invert != self.allow_list || (invert && action.is_some()) {
            self.entries.insert(nr, action);
        } else {
            self.entries.remove(&nr);
        }
    }
}

/// A name the user gave: a known group, or a syscall some architecture has.
fn check_name(name: &str) -> Result<(), SyscallFilterError> {
    if name.starts_with('@') {
        return match groups::find(name) {
            Some(_) => Ok(()),
            None => Err(SyscallFilterError::UnknownGroup(name.to_owned())),
        };
    }
    match resolve(name) {
        Resolved::Unknown => Err(SyscallFilterError::UnknownSyscall(name.to_owned())),
        _ => Ok(()),
    }
}
