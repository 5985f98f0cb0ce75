//! One rule of a sandbox: rights allowed back beneath a path or on a port, and where the rule
//! came from (so that an error can name the option, variable or file line at fault).

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use landlocked_core::{AccessFs, AccessNet, Errno};

/// A descriptor a rule holds: its own duplicate of one the caller opened, or why duplicating
/// failed (said when the sandbox is prepared).
#[derive(Clone, Debug)]
pub struct HeldFd(pub(crate) Result<Arc<OwnedFd>, Errno>);

impl PartialEq for HeldFd {
    fn eq(&self, other: &HeldFd) -> bool {
        match (&self.0, &other.0) {
            (Ok(a), Ok(b)) => a.as_raw_fd() == b.as_raw_fd(),
            (Err(a), Err(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for HeldFd {}

/// What a rule allows, and on what.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Grant {
    /// Filesystem rights beneath a directory, or on a single file (which keeps only
    /// [`AccessFs::FILE`] rights, the others being meaningless there).
    Path {
        /// The file or directory; relative paths are resolved from the working directory.
        path: PathBuf,
        /// The rights allowed.
        access: AccessFs,
    },
    /// Filesystem rights beneath a directory (or on a file) already open: exactly that
    /// object, whatever its path now leads to.
    Fd {
        /// The descriptor.
        fd: HeldFd,
        /// The rights allowed.
        access: AccessFs,
    },
    /// Network rights on a TCP or UDP port.
    Port {
        /// The port.
        port: u16,
        /// The rights allowed.
        access: AccessNet,
    },
}

impl Grant {
    /// The grant with a descriptor named by the path it leads to now (`/proc/self/fd`); `None`
    /// for a descriptor that could not be opened or named.
    #[cfg(feature = "trace")]
    pub(crate) fn by_path(&self) -> Option<Grant> {
        match self {
            Grant::Fd { fd, access } => {
                let fd = fd.0.as_ref().ok()?;
                let path = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()?;
                Some(Grant::Path { path, access: *access })
            }
            other => Some(other.clone()),
        }
    }
}

/// A rule: a [`Grant`], whether it is quiet, and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rule {
    /// What it allows.
    pub grant: Grant,
    /// Denials of the sandbox's quiet rights on this object are not logged (Landlock ABI 10).
    pub quiet: bool,
    /// Where the rule came from (`--ro /usr`, `policy.toml:7:12`, `LL_FS_RO`), used in error
    /// messages.
    pub origin: Option<String>,
}

impl Rule {
    /// Allows `access` beneath `path`.
    pub fn path(path: impl AsRef<Path>, access: AccessFs) -> Rule {
        Rule {
            grant: Grant::Path { path: path.as_ref().to_path_buf(), access },
            quiet: false,
            origin: None,
        }
    }

    /// Allows `access` beneath the object `fd` refers to (duplicated: the caller keeps its
    /// own).
    pub fn fd(fd: impl AsFd, access: AccessFs) -> Rule {
        let held = fd
            .as_fd()
            .try_clone_to_owned()
            .map(Arc::new)
            .map_err(|e| e.raw_os_error().and_then(Errno::from_raw).unwrap_or(Errno::EBADF));
        Rule { grant: Grant::Fd { fd: HeldFd(held), access }, quiet: false, origin: None }
    }

    /// Allows `access` on `port`.
    pub fn port(port: u16, access: AccessNet) -> Rule {
        Rule { grant: Grant::Port { port, access }, quiet: false, origin: None }
    }

    /// Marks the rule quiet (ABI 10): the sandbox's quiet rights are not logged on its object.
    pub fn quiet(mut self, quiet: bool) -> Rule {
        self.quiet = quiet;
        self
    }

    /// Says where the rule came from, for error messages.
    pub fn origin(mut self, origin: impl Into<String>) -> Rule {
        self.origin = Some(origin.into());
        self
    }

    /// The rule's object: its path or port.
    pub fn target(&self) -> Target<'_> {
        match &self.grant {
            Grant::Path { path, .. } => Target::Path(path),
            Grant::Fd { fd, .. } => Target::Fd(fd.0.as_ref().map_or(-1, |f| f.as_raw_fd())),
            Grant::Port { port, .. } => Target::Port(*port),
        }
    }
}

/// A rule's object, for messages: a path (shown lossily if it is not UTF-8), a descriptor or a
/// port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target<'a> {
    /// A path.
    Path(&'a Path),
    /// An open descriptor (its number, -1 if it could not be duplicated).
    Fd(i32),
    /// A port.
    Port(u16),
}

impl fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Path(path) => write!(f, "{}", path.display()),
            Target::Fd(fd) => write!(f, "descriptor {fd}"),
            Target::Port(port) => write!(f, "port {port}"),
        }
    }
}
