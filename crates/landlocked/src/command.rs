//! Sandboxing a child: everything is prepared in the parent, the child only enforces.

use std::process::Command;

use crate::error::Error;
use crate::report::Report;
use crate::sandbox::Sandbox;

/// Sandboxes the program a [`Command`] spawns.
pub trait CommandExt {
    /// Applies `sandbox` to the child between `fork` and `exec`.
    ///
    /// Everything that can fail with a useful message happens now, in the parent: probing the
    /// kernel, negotiating (a strict request the kernel cannot meet fails here), opening every
    /// path (a missing one is named here) and filling the ruleset. The child only calls
    /// `landlock_restrict_self` (and `prctl` for no_new_privs before ABI 11): raw syscalls, no
    /// allocation. Should that fail, `spawn` fails with its errno and nothing runs.
    ///
    /// The report says what the child will be under. Calling this twice stacks two sandboxes.
    ///
    /// ```no_run
    /// use landlocked::{CommandExt, Sandbox};
    /// let mut cmd = std::process::Command::new("/usr/bin/ls");
    /// let report = cmd.sandbox(Sandbox::new().read_exec(["/usr", "/lib", "/lib64"]))?;
    /// let status = cmd.status()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn sandbox(&mut self, sandbox: &Sandbox) -> Result<Report, Error>;
}

impl CommandExt for Command {
    fn sandbox(&mut self, sandbox: &Sandbox) -> Result<Report, Error> {
        use std::os::unix::process::CommandExt as _;
        let prepared = sandbox.prepare()?;
        let report = prepared.report().clone();
        // SAFETY: the hook only makes raw syscalls through landlocked-core (no allocation, no
        // lock, nothing that fork could have left inconsistent), which is what `pre_exec`
        // requires.
        unsafe {
            self.pre_exec(move || prepared.enforce_in_child());
        }
        Ok(report)
    }
}
