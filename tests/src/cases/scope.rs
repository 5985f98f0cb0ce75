//! Scopes (ABI 6): an abstract UNIX socket or a process outside the domain is out of reach,
//! `EPERM`; inside the domain, or without the scope, it is not.

use landlocked_core::{Abi, AccessNet, Errno, Handled, Kernel, Policy, Scope};

use super::{denied_since, expect_op, harness};
use crate::ops::{self, UnixListener};
use crate::sandbox;
use crate::{Case, Outcome};

/// Filesystem handled as usual (so that a domain exists even without scopes), scopes as asked.
fn scope_policy(scoped: Scope) -> Policy {
    Policy::new().with_net(Handled::Only(AccessNet::empty())).with_scoped(Handled::Only(scoped))
}

fn abstract_unix(kernel: &Kernel, scoped: bool) -> Outcome {
    let name = format!("\0landlocked-conformance-{}-{}", std::process::id(), u8::from(scoped));
    let listener = match UnixListener::bind(name.as_bytes()) {
        Ok(l) => l,
        Err(e) => return Outcome::Skip(format!("cannot listen on an abstract socket: {e}")),
    };
    let scope = if scoped { Scope::ABSTRACT_UNIX_SOCKET } else { Scope::empty() };
    match sandbox::run(&scope_policy(scope), &[], || listener.connect()) {
        Ok(sandbox::Run { enforce: Ok(report), op: Some(got) }) => {
            let want =
                if scoped { denied_since(kernel, Abi::V6, Errno::EPERM, Ok(())) } else { Ok(()) };
            expect_op(got, want, &report)
        }
        Ok(run) => Outcome::Fail(format!("enforce: {:?}", run.enforce)),
        Err(e) => harness(e),
    }
}

/// Signals the parent (outside the domain) and the child itself (inside).
fn signal(kernel: &Kernel, scoped: bool) -> Outcome {
    let scope = if scoped { Scope::SIGNAL } else { Scope::empty() };
    // SAFETY: getppid/getpid cannot fail.
    let op = || (ops::signal(unsafe { libc::getppid() }), ops::signal(unsafe { libc::getpid() }));
    match sandbox::run(&scope_policy(scope), &[], op) {
        Ok(sandbox::Run { enforce: Ok(report), op: Some((outside, inside)) }) => {
            let want =
                if scoped { denied_since(kernel, Abi::V6, Errno::EPERM, Ok(())) } else { Ok(()) };
            if inside != Ok(()) {
                return Outcome::Fail(format!("signalling itself: {inside:?} ({report})"));
            }
            expect_op(outside, want, &report)
        }
        Ok(run) => Outcome::Fail(format!("enforce: {:?}", run.enforce)),
        Err(e) => harness(e),
    }
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::new("scope.abstract_unix.scoped", |k| abstract_unix(k, true)),
        Case::new("scope.abstract_unix.unscoped", |k| abstract_unix(k, false)),
        Case::new("scope.signal.scoped", |k| signal(k, true)),
        Case::new("scope.signal.unscoped", |k| signal(k, false)),
    ]
}
