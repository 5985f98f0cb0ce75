//! The cases, by subject. Each one states what the running kernel's ABI implies and checks it.

mod cli;
mod core;
mod fs;
mod net;
mod sandboxer;
mod scope;
mod seccomp;
mod trace;

use landlocked_core::{Abi, Errno, Kernel, Report, Status};

use crate::{Case, Outcome};

/// Every case, in a stable order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(fs::cases());
    cases.extend(net::cases());
    cases.extend(scope::cases());
    cases.extend(core::cases());
    cases.extend(cli::cases());
    cases.extend(seccomp::cases());
    cases.extend(trace::cases());
    cases.extend(sandboxer::cases());
    cases
}

/// Runs this binary as the probe of the command-line cases when its arguments say so (the
/// sandboxer's scenarios' protocol): the exit code to leave with.
pub fn run_probe_if_asked() -> Option<u8> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    sandboxer::scenarios::probe_main(&args)
}

/// What an operation gives on this kernel when only Landlock (from ABI `since`) can deny it.
pub fn denied_since(
    kernel: &Kernel,
    since: Abi,
    errno: Errno,
    otherwise: Result<(), Errno>,
) -> Result<(), Errno> {
    match kernel.support.abi() {
        Some(abi) if abi >= since => Err(errno),
        _ => otherwise,
    }
}

/// The status a best-effort domain has on this kernel when it asks for nothing beyond `since`.
pub fn status_on(kernel: &Kernel) -> Status {
    if kernel.support.abi().is_some() { Status::Full } else { Status::NotEnforced }
}

/// Compares an operation's result with the expectation.
pub fn expect_op(got: Result<(), Errno>, want: Result<(), Errno>, report: &Report) -> Outcome {
    if got == want {
        Outcome::Pass
    } else {
        Outcome::Fail(format!("expected {want:?}, got {got:?} ({report})"))
    }
}

/// Turns a harness failure (fork, pipe) into a failed case.
pub fn harness(e: String) -> Outcome {
    Outcome::Fail(format!("harness: {e}"))
}

/// Collects the checks of a case: the first failure wins.
#[derive(Debug, Default)]
pub struct Checks {
    failure: Option<String>,
}

impl Checks {
    /// Records `what` as a failure unless `ok`.
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok && self.failure.is_none() {
            self.failure = Some(what());
        }
    }

    /// Records a failure unless `got == want`.
    pub fn eq<T: PartialEq + std::fmt::Debug>(&mut self, label: &str, got: T, want: T) {
        if got != want && self.failure.is_none() {
            self.failure = Some(format!("{label}: expected {want:?}, got {got:?}"));
        }
    }

    /// The outcome.
    pub fn outcome(self) -> Outcome {
        match self.failure {
            None => Outcome::Pass,
            Some(f) => Outcome::Fail(f),
        }
    }
}
