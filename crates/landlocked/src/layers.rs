//! The sandbox split between the two layers: what seccomp takes over, what is left to
//! Landlock, and when Landlock still needs a domain of its own.

use landlocked_core::{
    AccessFs, AccessNet, Compat, Errno, Handled, Kernel, PathSource, Policy, RestrictSelfFlags,
    RulesSummary, Scope, negotiate_summary,
};

use crate::report::BeyondPin;
use crate::sandbox::Sandbox;
use crate::seccomp;

/// The core's policy for `sandbox` on `kernel`: what [`Sandbox::restrict_net`] and
/// [`Sandbox::scope`] asked on top of everything supported, and the pinned ABI's limits.
pub(crate) fn effective_policy(sandbox: &Sandbox, kernel: &Kernel) -> Policy {
    let abi = kernel.support.abi();
    let mut policy = sandbox.policy;
    if !sandbox.also_net.is_empty() {
        let supported = abi.map_or(AccessNet::empty(), AccessNet::for_abi);
        policy = policy.with_net(Handled::Only(supported | sandbox.also_net));
    }
    if !sandbox.also_scoped.is_empty() {
        let supported = abi.map_or(Scope::empty(), Scope::for_abi);
        policy = policy.with_scoped(Handled::Only(supported | sandbox.also_scoped));
    }
    if let Some(pin) = sandbox.pinned {
        // Within the pin, whatever the kernel: `Only` sets cut to the pin (what they lose is
        // reported: [`beyond_pin`]), `Supported` to what both the pin and this kernel have.
        fn cap<A: bitflags::Flags + Copy>(handled: Handled<A>, pin: A, here: A) -> Handled<A> {
            match handled {
                Handled::Only(set) => Handled::Only(set.intersection(pin)),
                _ => Handled::Only(pin.intersection(here)),
            }
        }
        let fs_here = abi.map_or(AccessFs::empty(), AccessFs::for_abi);
        let net_here = abi.map_or(AccessNet::empty(), AccessNet::for_abi);
        let scoped_here = abi.map_or(Scope::empty(), Scope::for_abi);
        policy = policy
            .with_fs(cap(policy.fs(), AccessFs::for_abi(pin), fs_here))
            .with_net(cap(policy.net(), AccessNet::for_abi(pin), net_here))
            .with_scoped(cap(policy.scoped(), Scope::for_abi(pin), scoped_here));
        // Logging as the pin logs, quiet only from ABI 10: what is cut is reported too.
        policy = policy.with_log(policy.log().intersection(RestrictSelfFlags::for_abi(pin)));
        if !quiet_within(pin) {
            policy = policy.with_quiet(AccessFs::empty(), AccessNet::empty(), Scope::empty());
        }
    }
    policy
}

/// What `sandbox` asks beyond the ABI it is pinned to: the rights and scopes its options
/// ([`Sandbox::restrict_net`], [`Sandbox::scope`], `handle_*` with `Only`) and its rules
/// (`asked`: what they ask for that ABI, as the core counts a rule's request, computed without
/// the pin's cut) name that the pinned ABI lacks. [`effective_policy`] and the rules leave them
/// out, so that no kernel enforces them; the report counts them missing rather than keeping
/// quiet about it.
pub(crate) fn beyond_pin(sandbox: &Sandbox, asked: &RulesSummary) -> BeyondPin {
    let Some(pin) = sandbox.pinned else { return BeyondPin::default() };
    fn only<A: bitflags::Flags + Copy>(handled: Handled<A>) -> A {
        match handled {
            Handled::Only(set) => set,
            Handled::Supported => A::empty(),
        }
    }
    let fs: AccessFs = only(sandbox.policy.fs()) | asked.fs;
    let net: AccessNet = only(sandbox.policy.net()) | sandbox.also_net | asked.net;
    let scoped: Scope = only(sandbox.policy.scoped()) | sandbox.also_scoped;
    let (quiet_fs, quiet_net, quiet_scoped) = sandbox.policy.quiet();
    let quiet_cut = !quiet_within(pin);
    let beyond = BeyondPin {
        abi: None,
        fs: fs.difference(AccessFs::for_abi(pin)),
        net: net.difference(AccessNet::for_abi(pin)),
        scoped: scoped.difference(Scope::for_abi(pin)),
        log: sandbox.policy.log().difference(RestrictSelfFlags::for_abi(pin)),
        quiet_fs: if quiet_cut { quiet_fs } else { AccessFs::empty() },
        quiet_net: if quiet_cut { quiet_net } else { AccessNet::empty() },
        quiet_scoped: if quiet_cut { quiet_scoped } else { Scope::empty() },
        quiet_rules: quiet_cut && asked.quiet,
    };
    BeyondPin { abi: (!beyond.is_empty()).then_some(pin), ..beyond }
}

/// Whether quiet rules and rights (ABI 10) are within `pin`.
pub(crate) fn quiet_within(pin: landlocked_core::Abi) -> bool {
    landlocked_core::AddRuleFlags::for_abi(pin).contains(landlocked_core::AddRuleFlags::QUIET)
}

/// The rule of a domain that restricts nothing but is there (see [`split`]): `make_block`
/// granted beneath `/`, the one right of ABI 1 that needs a capability anyway.
pub(crate) const ANCHOR_RULE: landlocked_core::Rule<'static> = landlocked_core::Rule::Path {
    source: PathSource::Path(b"/"),
    access: ANCHOR_ACCESS,
    quiet: false,
};

const ANCHOR_ACCESS: AccessFs = AccessFs::MAKE_BLOCK;

/// The sandbox split between the two layers.
pub(crate) struct Layers {
    /// What Landlock is asked for: the request without what seccomp enforces in its place.
    pub landlock: Policy,
    /// What seccomp is asked for.
    pub seccomp: seccomp::Request,
    /// Landlock is left nothing but must still enforce a domain: with [`ANCHOR_RULE`].
    pub anchor: bool,
    /// seccomp is needed (strict, or a syscall filter that must be enforced) and this kernel
    /// cannot install filters: why.
    pub unavailable: Option<Errno>,
}

/// Decides what seccomp does and what is left to Landlock.
///
/// A network protocol that Landlock cannot restrict on this kernel, with no port allowed, is
/// seccomp's ([`seccomp::net::covered`]): it leaves Landlock's request, so that it is neither
/// reported missing nor refused in strict mode.
///
/// When that leaves Landlock nothing at all (a network-only sandbox before ABI 4, a syscall
/// filter alone), Landlock still enforces a domain, one that restricts nothing: a process in a
/// Landlock domain cannot trace, or write the memory of, processes outside it, and without
/// that any seccomp filter is escaped by making another process of the same user do what it
/// denies. Without Landlock there is no such domain: the request stays one that Landlock
/// must meet, refused unless best effort.
pub(crate) fn split(
    sandbox: &Sandbox,
    requested: &Policy,
    summary: &RulesSummary,
    kernel: &Kernel,
) -> Layers {
    let relaxed =
        requested.with_compat(Compat::BestEffort).with_require_domain(false).with_min_abi(None);
    // With nothing demanded the core cannot refuse: what Landlock alone would request and
    // enforce.
    let alone = match negotiate_summary(&relaxed, summary, kernel) {
        Ok(plan) => plan.report,
        Err(_) => unreachable!("best effort with no minimum is never refused"),
    };
    let available = seccomp::available();
    let strict = requested.compat() == Compat::Strict;
    let restricted = sandbox.network_seccomp && !alone.net.requested.is_empty();
    let needed = match &sandbox.syscall_filter {
        Some(_) => strict || requested.require_domain(),
        None => strict && restricted,
    };
    let network = restricted.then(|| {
        let covered = seccomp::net::covered(alone.net.requested, alone.net.missing(), summary.net);
        seccomp::net::Request {
            requested: alone.net.requested,
            covered: if available.is_ok() { covered } else { AccessNet::empty() },
            landlock_abi: kernel.support.abi(),
        }
    });
    let request = seccomp::Request {
        available: available.is_ok(),
        network,
        syscall_filter: sandbox.syscall_filter.clone(),
    };
    let covered = network.map_or(AccessNet::empty(), |n| n.covered);
    let mut landlock = *requested;
    if !covered.is_empty() {
        landlock = landlock.with_net(Handled::Only(alone.net.requested.difference(covered)));
    }
    let nothing_left = requested.fs() == Handled::Only(AccessFs::empty())
        && summary.fs.is_empty()
        && requested.scoped() == Handled::Only(Scope::empty())
        && alone.net.requested.difference(covered).is_empty();
    let anchor = nothing_left && request.is_active() && kernel.support.abi().is_some();
    if anchor {
        landlock = landlock.with_fs(Handled::Only(ANCHOR_ACCESS));
    }
    Layers { landlock, seccomp: request, anchor, unavailable: available.err().filter(|_| needed) }
}
