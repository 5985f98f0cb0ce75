//! The enforcement core's negotiation on any policy and any rules, against every kind of kernel:
//! it must never panic, and what it would send must always be something the kernel accepts.
#![no_main]

use landlocked_core::{
    Abi, AccessFs, AccessNet, Compat, Errata, Handled, Kernel, OnMissing, Policy, RestrictSelfFlags, Rule, Scope,
    Support, Threads, negotiate,
};
use libfuzzer_sys::fuzz_target;

/// Reads little-endian words from the input, zero once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn u64(&mut self) -> u64 {
        let n = self.0.len().min(8);
        let mut word = [0u8; 8];
        word[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        u64::from_le_bytes(word)
    }
}

fn handled<A: bitflags::Flags<Bits = u64>>(word: u64) -> Handled<A> {
    if word & 1 == 0 { Handled::Supported } else { Handled::Only(A::from_bits_retain(word >> 1)) }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let flags = input.u64();
    let policy = Policy::new()
        .with_fs(handled(input.u64()))
        .with_net(handled(input.u64()))
        .with_scoped(handled(input.u64()))
        .with_quiet(
            AccessFs::from_bits_retain(input.u64()),
            AccessNet::from_bits_retain(input.u64()),
            Scope::from_bits_retain(input.u64()),
        )
        .with_log(RestrictSelfFlags::from_bits_retain(flags as u32))
        .with_threads(if flags & (1 << 40) == 0 { Threads::Process } else { Threads::CallingThread })
        .with_no_new_privs(flags & (1 << 41) == 0)
        .with_compat(if flags & (1 << 42) == 0 { Compat::BestEffort } else { Compat::Strict })
        .with_min_abi(Abi::from_version((flags >> 48) as u32 & 0xf).filter(|_| flags & (1 << 43) != 0))
        .with_require_domain(flags & (1 << 44) != 0)
        .with_on_missing(OnMissing::Error);
    let paths: Vec<Vec<u8>> = (0..4).map(|i| vec![b'a' + i as u8; (input.u64() % 5000) as usize]).collect();
    let mut rules = Vec::new();
    for path in &paths {
        let word = input.u64();
        rules.push(Rule::Path {
            source: landlocked_core::PathSource::Path(path),
            access: AccessFs::from_bits_retain(word),
            quiet: word >> 63 == 1,
        });
        let word = input.u64();
        rules.push(Rule::Port { port: (word >> 8) as u16, access: AccessNet::from_bits_retain(word & 0xff), quiet: word & 0x80 != 0 });
    }
    let mut kernels = vec![Kernel::without_landlock(Support::NotBuilt), Kernel::without_landlock(Support::Disabled)];
    kernels.extend(Abi::ALL.iter().map(|&abi| Kernel::with_abi(abi, Errata::from_bits_retain(flags))));
    kernels.push(Kernel::new(Support::Available { abi: Abi::V11, version: 12 }, Errata::empty()));
    for kernel in kernels {
        let Ok(plan) = negotiate(&policy, rules.as_slice(), &kernel) else { continue };
        let _ = plan.report.to_string();
        // A required domain is there, or negotiation refused.
        assert!(!policy.require_domain() || plan.attr.is_some());
        let Some(attr) = plan.attr else { continue };
        let abi = kernel.support.abi().expect("a domain only with Landlock");
        assert_eq!(attr.handled_access_fs & !AccessFs::for_abi(abi).bits(), 0);
        assert_eq!(attr.handled_access_net & !AccessNet::for_abi(abi).bits(), 0);
        assert_eq!(attr.scoped & !Scope::for_abi(abi).bits(), 0);
        assert_eq!(attr.quiet_access_fs & !attr.handled_access_fs, 0);
        assert_eq!(attr.quiet_access_net & !attr.handled_access_net, 0);
        assert_eq!(attr.quiet_scoped & !attr.scoped, 0);
        assert!(plan.restrict_flags.difference(RestrictSelfFlags::for_abi(abi)).is_empty());
        if policy.compat() == Compat::Strict {
            assert!(plan.report.missing().is_empty());
        }
    }
});
