//! Network rights: TCP bind and connect from ABI 4, UDP bind and connect/send from ABI 10, on
//! loopback.

use landlocked_core::{Abi, AccessFs, AccessNet, Errno, Handled, Kernel, Policy, Rule, Scope};

use super::{denied_since, expect_op, harness};
use crate::ops::{self, Listener};
use crate::sandbox;
use crate::{Case, Outcome};

/// Only the network rights the rules grant are handled.
fn net_policy() -> Policy {
    Policy::new()
        .with_fs(Handled::Only(AccessFs::empty()))
        .with_net(Handled::Only(AccessNet::empty()))
        .with_scoped(Handled::Only(Scope::empty()))
}

#[derive(Clone, Copy)]
enum Op {
    Bind,
    Connect,
}

/// Binds or connects to `port`, with a rule for `port` (allowed) or for another one (denied).
fn net_case(kernel: &Kernel, kind: libc::c_int, op: Op, allowed: bool) -> Outcome {
    let (right, since) = match (kind, op) {
        (libc::SOCK_STREAM, Op::Bind) => (AccessNet::BIND_TCP, Abi::V4),
        (libc::SOCK_STREAM, Op::Connect) => (AccessNet::CONNECT_TCP, Abi::V4),
        (_, Op::Bind) => (AccessNet::BIND_UDP, Abi::V10),
        (_, Op::Connect) => (AccessNet::CONNECT_SEND_UDP, Abi::V10),
    };
    // A TCP connect needs someone listening; the others need a free port.
    let listener = match (kind, op) {
        (libc::SOCK_STREAM, Op::Connect) => match Listener::tcp() {
            Ok(l) => Some(l),
            Err(e) => return Outcome::Skip(format!("no loopback listener: {e}")),
        },
        _ => None,
    };
    let port = match (&listener, ops::free_port(kind)) {
        (Some(l), _) => l.port,
        (None, Ok(p)) => p,
        (None, Err(e)) => return Outcome::Skip(format!("no free loopback port: {e}")),
    };
    let other = match ops::free_port(kind) {
        Ok(p) if p != port => p,
        _ => port.wrapping_add(1).max(1024),
    };
    let rules = [Rule::port(if allowed { port } else { other }, right)];
    let attempt = || match op {
        Op::Bind => ops::bind(kind, port),
        Op::Connect => ops::connect(kind, port),
    };
    match sandbox::run(&net_policy(), &rules, attempt) {
        Ok(sandbox::Run { enforce: Ok(report), op: Some(got) }) => {
            let want =
                if allowed { Ok(()) } else { denied_since(kernel, since, Errno::EACCES, Ok(())) };
            expect_op(got, want, &report)
        }
        Ok(run) => Outcome::Fail(format!("enforce: {:?}", run.enforce)),
        Err(e) => harness(e),
    }
}

pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (proto, kind) in [("tcp", libc::SOCK_STREAM), ("udp", libc::SOCK_DGRAM)] {
        for (verb, op) in [("bind", Op::Bind), ("connect", Op::Connect)] {
            for allowed in [true, false] {
                let name =
                    format!("net.{proto}.{verb}.{}", if allowed { "allowed" } else { "denied" });
                cases.push(Case::new(name, move |k| net_case(k, kind, op, allowed)));
            }
        }
    }
    cases
}
