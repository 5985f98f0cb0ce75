//! The network, completed: what a seccomp filter denies where Landlock cannot.
//!
//! Landlock restricts binding and connecting TCP sockets (ABI 4) and UDP sockets (ABI 10), by
//! port, and nothing else: an MPTCP socket connects to any TCP server, SCTP, ICMP and raw
//! sockets are not covered, nor sockets of other families (vsock reaches the hypervisor's
//! host). seccomp sees only a syscall's arguments, never a port behind a pointer, so it acts by
//! socket kind: when the network is restricted, it lets `socket` create unix, netlink and
//! crypto (`AF_ALG`) sockets, and IP sockets of the protocols Landlock handles here; everything
//! else fails with `EACCES`. A protocol that Landlock cannot restrict on this kernel (TCP before
//! ABI 4, UDP before ABI 10) is denied outright when no port of it is allowed. io_uring, which
//! creates sockets without the `socket` syscall, is denied too.

use std::collections::BTreeMap;

use landlocked_core::{Abi, AccessNet};
use seccompiler::{SeccompCmpArgLen as Len, SeccompCmpOp as Op, SeccompCondition, SeccompRule};

use super::table::native;

/// The network's completion asked of seccomp.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// The network rights the sandbox restricts.
    pub requested: AccessNet,
    /// Those seccomp enforces in Landlock's place ([`covered`]).
    pub covered: AccessNet,
    /// The kernel's Landlock, if any.
    pub landlock_abi: Option<Abi>,
}

impl Request {
    /// Whether Landlock restricts TCP connects on a kernel that may not check a fast open:
    /// ABI 4 to 9, where the check came as a fix without an erratum (Debian's 6.12 has it, a
    /// 6.18 seen here did not); from ABI 10 its `sendmsg` hook always does.
    pub fn fast_open_unchecked(&self) -> bool {
        self.requested.contains(AccessNet::CONNECT_TCP)
            && !self.covered.contains(AccessNet::CONNECT_TCP)
            && self.landlock_abi.is_some_and(|abi| (Abi::V4..Abi::V10).contains(&abi))
    }
}

/// `MSG_FASTOPEN`: a TCP connect inside `sendto` or `sendmsg` (see
/// [`Request::fast_open_unchecked`]).
const MSG_FASTOPEN: i32 = 0x2000_0000;
/// `TCP_ULP`: turns a TCP socket into another protocol's (the SMC upper layer), out of reach
/// of Landlock's TCP rights.
const TCP_ULP: i32 = 31;

/// The network rights whose sockets a seccomp filter denies in Landlock's place: a protocol's,
/// when both its rights are requested, no port of it is granted, and Landlock cannot restrict
/// it on this kernel (`missing`).
pub fn covered(requested: AccessNet, missing: AccessNet, granted: AccessNet) -> AccessNet {
    let mut covered = AccessNet::empty();
    for proto in [AccessNet::TCP, AccessNet::UDP] {
        if requested.contains(proto) && missing.intersects(proto) && !granted.intersects(proto) {
            covered |= missing & proto;
        }
    }
    covered
}

/// One `socket` argument compared, on its low 32 bits (the kernel takes `int`s: the high bits
/// cannot smuggle anything past the comparison).
fn arg(index: u8, op: Op, value: i32) -> SeccompCondition {
    SeccompCondition::new(index, Len::Dword, op, value as u32 as u64)
        .expect("argument index below 6")
}

fn rule(conditions: Vec<SeccompCondition>) -> SeccompRule {
    SeccompRule::new(conditions).expect("a rule has conditions")
}

/// The socket types Landlock handles, with the protocols that select them (0 picks the first
/// protocol of the type, which is TCP for streams and UDP for datagrams).
fn handled_kinds(covered: AccessNet) -> Vec<(i32, [i32; 2])> {
    let mut kinds = Vec::new();
    if !covered.intersects(AccessNet::TCP) {
        kinds.push((libc::SOCK_STREAM, [0, libc::IPPROTO_TCP]));
    }
    if !covered.intersects(AccessNet::UDP) {
        kinds.push((libc::SOCK_DGRAM, [0, libc::IPPROTO_UDP]));
    }
    kinds
}

/// The rules of the network filter: every syscall and argument combination it denies with
/// `EACCES`.
pub fn rules(request: &Request) -> BTreeMap<i64, Vec<SeccompRule>> {
    let kinds = handled_kinds(request.covered);
    let mut socket = Vec::new();
    for family in [libc::AF_INET, libc::AF_INET6] {
        // A type Landlock does not handle, with any of the flags `socket` takes (the kernel
        // refuses others with EINVAL).
        let mut other_type = vec![arg(0, Op::Eq, family)];
        for &(kind, _) in &kinds {
            for flags in [0, libc::SOCK_NONBLOCK, libc::SOCK_CLOEXEC] {
                other_type.push(arg(1, Op::Ne, kind | flags));
            }
            other_type.push(arg(1, Op::Ne, kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC));
        }
        socket.push(rule(other_type));
        // A handled type with another protocol (MPTCP, SCTP, SMC, UDP-Lite, ICMP).
        for &(kind, protocols) in &kinds {
            let mut other_protocol = vec![arg(0, Op::Eq, family), arg(1, Op::MaskedEq(0xf), kind)];
            other_protocol.extend(protocols.iter().map(|&p| arg(2, Op::Ne, p)));
            socket.push(rule(other_protocol));
        }
    }
    let local = [libc::AF_UNIX, libc::AF_NETLINK, libc::AF_ALG, libc::AF_INET, libc::AF_INET6];
    socket.push(rule(local.iter().map(|&f| arg(0, Op::Ne, f)).collect()));

    let mut rules = BTreeMap::new();
    rules.insert(i64::from(native("socket")), socket);
    // Only unix socket pairs exist (and TIPC's, which reach the network).
    rules.insert(i64::from(native("socketpair")), vec![rule(vec![arg(0, Op::Ne, libc::AF_UNIX)])]);
    for name in ["io_uring_setup", "io_uring_enter", "io_uring_register"] {
        rules.insert(i64::from(native(name)), Vec::new());
    }
    let tcp = request.requested.intersects(AccessNet::TCP);
    if request.fast_open_unchecked() {
        let fast_open = |flags_arg| {
            vec![rule(vec![arg(flags_arg, Op::MaskedEq(MSG_FASTOPEN as u64), MSG_FASTOPEN)])]
        };
        rules.insert(i64::from(native("sendto")), fast_open(3));
        rules.insert(i64::from(native("sendmsg")), fast_open(2));
        rules.insert(i64::from(native("sendmmsg")), fast_open(3));
    }
    if tcp {
        let ulp = vec![arg(1, Op::Eq, libc::IPPROTO_TCP), arg(2, Op::Eq, TCP_ULP)];
        rules.insert(i64::from(native("setsockopt")), vec![rule(ulp)]);
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seccomp_covers_a_protocol_only_whole_and_without_ports() {
        let all = AccessNet::all();
        // ABI 2: nothing of the network; no port allowed: both protocols denied.
        assert_eq!(covered(all, all, AccessNet::empty()), all);
        // A TCP port allowed: TCP stays with Landlock (reported missing), UDP is denied.
        assert_eq!(covered(all, all, AccessNet::CONNECT_TCP), AccessNet::UDP);
        // ABI 4 to 9: only UDP is missing.
        assert_eq!(covered(all, AccessNet::UDP, AccessNet::empty()), AccessNet::UDP);
        assert_eq!(covered(all, AccessNet::UDP, AccessNet::BIND_UDP), AccessNet::empty());
        // ABI 10: Landlock does it all.
        assert_eq!(covered(all, AccessNet::empty(), AccessNet::empty()), AccessNet::empty());
        // Only connect_tcp asked for: denying TCP sockets would deny binding too.
        let connect = AccessNet::CONNECT_TCP;
        assert_eq!(covered(connect, connect, AccessNet::empty()), AccessNet::empty());
    }

    #[test]
    fn the_filter_names_socket_creation_and_io_uring() {
        let request =
            |covered| Request { requested: AccessNet::all(), covered, landlock_abi: Some(Abi::V7) };
        let rules = rules(&request(AccessNet::empty()));
        let socket = i64::from(native("socket"));
        // Per IP family: other types, TCP's other protocols, UDP's; then other families.
        assert_eq!(rules[&socket].len(), 2 * 3 + 1);
        assert!(rules[&i64::from(native("io_uring_setup"))].is_empty());
        let denied = super::rules(&request(AccessNet::all()));
        assert_eq!(denied[&socket].len(), 2 + 1);
    }
}
