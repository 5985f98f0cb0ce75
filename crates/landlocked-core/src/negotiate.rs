//! From a request to what is sent to the kernel, and the report of what that enforces: a pure
//! function of (policy, what the rules grant, kernel ABI and errata). No syscall here.

use crate::abi::{Abi, Errata, Kernel};
use crate::access::{AccessFs, AccessNet, Scope};
use crate::error::Error;
use crate::flags::RestrictSelfFlags;
use crate::policy::{Compat, Handled, OnMissing, PathSource, Policy, Rule, Rules, Threads};
use crate::report::{Coverage, NoNewPrivs, Report, RuleCounts, ThreadCoverage};
use crate::uapi::RulesetAttr;

/// The longest path a rule may name, NUL excluded (`PATH_MAX` is 4096 with the NUL).
pub const PATH_MAX: usize = 4095;

/// What a set of rules asks to have restricted, learnt in one walk before anything is opened.
/// Also where ports and paths are validated, so that bad input fails before any syscall.
///
/// A rule allowing a right only makes sense if the right is denied elsewhere, so what rules grant
/// is requested, with one refinement: within a family of rights (the filesystem; TCP; UDP), a
/// rule's rights the kernel cannot restrict are requested only when the rule has none it can.
/// `--unix PATH` (only `resolve_unix`) or a UDP port before ABI 10 is reported as not enforced;
/// a read-write group on ABI 7 is not, its `resolve_unix` being incidental. `refer` is always
/// requested when granted: ABI 1 denies every reparenting, which the caller must hear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RulesSummary {
    /// The filesystem rights the path rules ask to have restricted.
    pub fs: AccessFs,
    /// The network rights the port rules ask to have restricted.
    pub net: AccessNet,
    /// Whether any rule is marked quiet.
    pub quiet: bool,
    /// How many rules there are.
    pub count: usize,
}

/// What one rule asks for within one family of rights, given what the kernel restricts.
fn asked<A: bitflags::Flags + Copy>(access: A, family: A, supported: A) -> A {
    let part = access.intersection(family);
    if part.intersects(supported) { part.intersection(supported) } else { part }
}

impl RulesSummary {
    /// Walks `rules` for a kernel of ABI `abi` (`None`: no Landlock, so every granted right is
    /// asked for): fails on a port above 65535 or a path with a NUL byte or too long.
    pub fn of<R: Rules + ?Sized>(rules: &R, abi: Option<Abi>) -> Result<RulesSummary, Error> {
        let fs_supported = abi.map_or(AccessFs::empty(), AccessFs::for_abi);
        let net_supported = abi.map_or(AccessNet::empty(), AccessNet::for_abi);
        let mut s = RulesSummary::default();
        rules.try_for_each(&mut |index, rule| {
            s.count += 1;
            match rule {
                Rule::Path { source, access, quiet } => {
                    if let PathSource::Path(path) = source {
                        check_path(index, path)?;
                    }
                    s.fs |= asked(access, AccessFs::all(), fs_supported);
                    s.fs |= access.intersection(AccessFs::REFER);
                    s.quiet |= quiet;
                }
                Rule::Port { access, quiet, .. } => {
                    s.net |= asked(access, AccessNet::TCP, net_supported);
                    s.net |= asked(access, AccessNet::UDP, net_supported);
                    s.quiet |= quiet;
                }
            }
            Ok(())
        })?;
        Ok(s)
    }
}

/// A path must fit `PATH_MAX` and hold no NUL (it could not reach the kernel whole).
pub(crate) fn check_path(rule: usize, path: &[u8]) -> Result<(), Error> {
    #[expect(
        clippy::manual_contains,
        reason = "`contains` brings memchr's word-at-a-time search, 0.3 KiB in the static \
                  sandboxer, for paths of a few bytes"
    )]
    let nul = path.iter().any(|&b| b == 0);
    if nul {
        Err(Error::InvalidPath { rule, errno: crate::Errno::EINVAL })
    } else if path.len() > PATH_MAX {
        Err(Error::InvalidPath { rule, errno: crate::Errno::ENAMETOOLONG })
    } else {
        Ok(())
    }
}

/// The outcome of negotiation: what to send to the kernel, and the report it will earn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Plan {
    /// The ruleset to create, or `None` when no domain will be enforced (no Landlock, or nothing
    /// this kernel can restrict).
    pub attr: Option<RulesetAttr>,
    /// The rights rules may carry (the handled ones); the rest is masked out of each rule.
    pub rule_fs: AccessFs,
    /// The network rights rules may carry.
    pub rule_net: AccessNet,
    /// Whether rules may carry the `QUIET` flag.
    pub quiet_rules: bool,
    /// The flags for `landlock_restrict_self`.
    pub restrict_flags: RestrictSelfFlags,
    /// How no_new_privs will be set.
    pub no_new_privs: NoNewPrivs,
    /// The policy's choice of threads.
    pub threads: Threads,
    /// The policy's compatibility level.
    pub compat: Compat,
    /// The policy's choice for missing paths.
    pub on_missing: OnMissing,
    /// The report, complete but for what enforcement learns: rule counts, threads, and whether
    /// the domain was created.
    pub report: Report,
}

impl Plan {
    /// The report enforcing this plan earns in a single-threaded process (a freshly forked
    /// child) once `rules` were added: what a sandboxed command gets.
    pub fn expected_report(&self, rules: RuleCounts) -> Report {
        let mut report = self.report;
        report.rules = rules;
        if self.attr.is_some() {
            report.domain = true;
            report.threads = if self.restrict_flags.contains(RestrictSelfFlags::TSYNC) {
                ThreadCoverage::AllThreads
            } else if self.threads == Threads::CallingThread {
                ThreadCoverage::CallingThreadByRequest
            } else {
                ThreadCoverage::SingleThread
            };
        }
        report
    }
}

/// The rights of one kind a request covers: the policy's (or what the kernel supports) and what
/// the rules grant. Bits no ABI defines are dropped: no kernel could be asked for them.
fn requested<A: bitflags::Flags + Copy>(handled: Handled<A>, supported: A, granted: A) -> A {
    let base = match handled {
        Handled::Supported => supported,
        Handled::Only(set) => set,
    };
    base.union(granted).intersection(A::all())
}

/// A ruleset must handle something, or the kernel refuses it (`ENOMSG`).
fn has_domain(fs: AccessFs, net: AccessNet, scoped: Scope) -> bool {
    !(fs.is_empty() && net.is_empty() && scoped.is_empty())
}

/// Negotiates `policy` and its `rules` against `kernel`. Pure: the rules are walked, nothing is
/// opened.
///
/// Errors: a rule's bad port or path; [`Error::Unavailable`] when Landlock is missing and the
/// policy is strict or has a minimum ABI; [`Error::AbiTooOld`]; in strict mode
/// [`Error::Unsupported`] naming everything the kernel cannot enforce, and
/// [`Error::NothingToRestrict`].
pub fn negotiate<R: Rules + ?Sized>(
    policy: &Policy,
    rules: &R,
    kernel: &Kernel,
) -> Result<Plan, Error> {
    let summary = RulesSummary::of(rules, kernel.support.abi())?;
    negotiate_summary(policy, &summary, kernel)
}

/// [`negotiate`] once the rules are summarised (by [`RulesSummary::of`] for the same kernel).
// `#[inline]`: a caller with a fixed policy (the static sandboxer: best effort, no minimum
// beyond its variables' ABI) folds the branches it never takes, 1.4 KiB there.
#[inline]
pub fn negotiate_summary(
    policy: &Policy,
    rules: &RulesSummary,
    kernel: &Kernel,
) -> Result<Plan, Error> {
    let strict = policy.compat == Compat::Strict;
    let Some(abi) = kernel.support.abi() else {
        if strict || policy.min_abi.is_some() || policy.require_domain {
            return Err(Error::Unavailable(kernel.support));
        }
        return Ok(without_landlock(policy, rules, kernel));
    };
    if let Some(required) = policy.min_abi.filter(|&m| abi < m) {
        return Err(Error::AbiTooOld { required, found: abi });
    }

    // Filesystem: ask for what the policy and the rules need, send what the kernel knows.
    let fs_requested = requested(policy.fs, AccessFs::for_abi(abi), rules.fs);
    let fs_sent = fs_requested.intersection(AccessFs::for_abi(abi));
    let mut fs_enforced = fs_sent;
    // ABI 1 has no `refer` right, yet denies every reparenting once any filesystem right is
    // handled: a request to handle `refer` is then met (over-met), unless a rule needs to grant
    // it. Dropping `refer` alone keeps the rest of the sandbox.
    let refer_always_denied = abi == Abi::V1 && !fs_sent.is_empty();
    if refer_always_denied
        && fs_requested.contains(AccessFs::REFER)
        && !rules.fs.contains(AccessFs::REFER)
    {
        fs_enforced |= AccessFs::REFER;
    }

    let net_requested = requested(policy.net, AccessNet::for_abi(abi), rules.net);
    let net_sent = net_requested.intersection(AccessNet::for_abi(abi));

    let scoped_requested = requested(policy.scoped, Scope::for_abi(abi), Scope::empty());
    let scoped_sent = scoped_requested.intersection(Scope::for_abi(abi));

    let has_domain = has_domain(fs_sent, net_sent, scoped_sent);

    // Quiet masks only mean something on handled rights; the kernel refuses them elsewhere.
    let quiet = abi >= Abi::V10;
    let quiet_fs = policy.quiet_fs.intersection(fs_requested);
    let quiet_net = policy.quiet_net.intersection(net_requested);
    let quiet_scoped = policy.quiet_scoped.intersection(scoped_requested);
    let (quiet_fs_sent, quiet_net_sent, quiet_scoped_sent) = if quiet && has_domain {
        (
            quiet_fs.intersection(fs_sent),
            quiet_net.intersection(net_sent),
            quiet_scoped.intersection(scoped_sent),
        )
    } else {
        (AccessFs::empty(), AccessNet::empty(), Scope::empty())
    };

    let log_requested = policy.log.intersection(RestrictSelfFlags::LOG);
    let supported_flags = RestrictSelfFlags::for_abi(abi);
    let log_sent = log_requested.intersection(supported_flags);
    let mut restrict_flags = log_sent;
    if policy.threads == Threads::Process && supported_flags.contains(RestrictSelfFlags::TSYNC) {
        restrict_flags |= RestrictSelfFlags::TSYNC;
    }
    let no_new_privs = if !policy.no_new_privs {
        NoNewPrivs::NotRequested
    } else if supported_flags.contains(RestrictSelfFlags::NO_NEW_PRIVS) {
        restrict_flags |= RestrictSelfFlags::NO_NEW_PRIVS;
        NoNewPrivs::RestrictFlag
    } else {
        NoNewPrivs::Prctl
    };

    let attr = has_domain.then_some(RulesetAttr {
        handled_access_fs: fs_sent.bits(),
        handled_access_net: net_sent.bits(),
        scoped: scoped_sent.bits(),
        quiet_access_fs: quiet_fs_sent.bits(),
        quiet_access_net: quiet_net_sent.bits(),
        quiet_scoped: quiet_scoped_sent.bits(),
    });
    let nothing_asked =
        fs_requested.is_empty() && net_requested.is_empty() && scoped_requested.is_empty();
    if !has_domain && nothing_asked && (strict || policy.require_domain) {
        return Err(Error::NothingToRestrict);
    }

    let report = Report {
        kernel: *kernel,
        domain: false,
        fs: Coverage { requested: fs_requested, enforced: fs_enforced },
        net: Coverage { requested: net_requested, enforced: net_sent },
        scoped: Coverage { requested: scoped_requested, enforced: scoped_sent },
        quiet_fs: Coverage { requested: quiet_fs, enforced: quiet_fs_sent },
        quiet_net: Coverage { requested: quiet_net, enforced: quiet_net_sent },
        quiet_scoped: Coverage { requested: quiet_scoped, enforced: quiet_scoped_sent },
        quiet_rules: Coverage {
            requested: rules.quiet,
            enforced: rules.quiet && quiet && has_domain,
        },
        log: Coverage {
            requested: log_requested,
            enforced: if has_domain { log_sent } else { RestrictSelfFlags::empty() },
        },
        refer_always_denied,
        threads: ThreadCoverage::NoDomain,
        no_new_privs,
        rules: RuleCounts::default(),
        errata_missing: errata_missing(abi, kernel.errata, fs_sent, net_sent, scoped_sent),
        sockets_filtered: false,
    };
    if strict {
        let missing = report.missing();
        if !missing.is_empty() {
            return Err(Error::Unsupported { abi, missing });
        }
    }
    if !has_domain && policy.require_domain {
        return Err(Error::NothingEnforceable { abi, requested: report.missing() });
    }
    Ok(Plan {
        attr,
        rule_fs: fs_sent,
        rule_net: net_sent,
        quiet_rules: quiet,
        restrict_flags,
        no_new_privs,
        threads: policy.threads,
        compat: policy.compat,
        on_missing: policy.on_missing,
        report,
    })
}

/// Best effort without Landlock: no domain, everything requested reported missing. no_new_privs
/// is still set when asked for: it hardens the process on its own.
fn without_landlock(policy: &Policy, rules: &RulesSummary, kernel: &Kernel) -> Plan {
    // Without a kernel to ask, "everything supported" names nothing in particular.
    let fs = requested(policy.fs, AccessFs::empty(), rules.fs);
    let net = requested(policy.net, AccessNet::empty(), rules.net);
    let scoped = requested(policy.scoped, Scope::empty(), Scope::empty());
    let no_new_privs =
        if policy.no_new_privs { NoNewPrivs::Prctl } else { NoNewPrivs::NotRequested };
    Plan {
        attr: None,
        rule_fs: AccessFs::empty(),
        rule_net: AccessNet::empty(),
        quiet_rules: false,
        restrict_flags: RestrictSelfFlags::empty(),
        no_new_privs,
        threads: policy.threads,
        compat: policy.compat,
        on_missing: policy.on_missing,
        report: Report {
            kernel: *kernel,
            domain: false,
            fs: Coverage { requested: fs, enforced: AccessFs::empty() },
            net: Coverage { requested: net, enforced: AccessNet::empty() },
            scoped: Coverage { requested: scoped, enforced: Scope::empty() },
            quiet_fs: Coverage {
                requested: policy.quiet_fs.intersection(fs),
                enforced: AccessFs::empty(),
            },
            quiet_net: Coverage {
                requested: policy.quiet_net.intersection(net),
                enforced: AccessNet::empty(),
            },
            quiet_scoped: Coverage {
                requested: policy.quiet_scoped.intersection(scoped),
                enforced: Scope::empty(),
            },
            quiet_rules: Coverage { requested: rules.quiet, enforced: false },
            log: Coverage {
                requested: policy.log.intersection(RestrictSelfFlags::LOG),
                enforced: RestrictSelfFlags::empty(),
            },
            refer_always_denied: false,
            threads: ThreadCoverage::NoDomain,
            no_new_privs,
            rules: RuleCounts::default(),
            errata_missing: Errata::empty(),
            sockets_filtered: false,
        },
    }
}

/// The known errata that concern what is sent and that the kernel has not fixed.
fn errata_missing(abi: Abi, fixed: Errata, fs: AccessFs, net: AccessNet, scoped: Scope) -> Errata {
    let mut relevant = Errata::empty();
    if !fs.is_empty() {
        relevant |= Errata::DISCONNECTED_DIRECTORY;
    }
    if fs.intersects(AccessFs::MAKE_CHAR | AccessFs::MAKE_REG) {
        relevant |= Errata::WHITEOUT_MAKE_REG;
    }
    if net.intersects(AccessNet::TCP) {
        relevant |= Errata::TCP_SOCKET_IDENTIFICATION;
    }
    if scoped.contains(Scope::SIGNAL) {
        relevant |= Errata::SCOPED_SIGNAL_SAME_PROCESS;
    }
    relevant.intersection(Errata::for_abi(abi)).difference(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::Support;
    use crate::report::Status;
    use crate::{Errno, Missing};
    use std::format;
    use std::vec::Vec;

    /// Every kind of kernel: none, disabled, each ABI, and a future ABI 12.
    fn kernels() -> Vec<Kernel> {
        let mut k = std::vec![
            Kernel::without_landlock(Support::NotBuilt),
            Kernel::without_landlock(Support::Disabled),
        ];
        k.extend(Abi::ALL.iter().map(|&abi| Kernel::with_abi(abi, Errata::empty())));
        k.push(Kernel {
            support: Support::Available { abi: Abi::V11, version: 12 },
            errata: Errata::all(),
        });
        k
    }

    fn strict(mut p: Policy) -> Policy {
        p.compat = Compat::Strict;
        p
    }

    fn everything() -> Policy {
        Policy {
            fs: Handled::Only(AccessFs::all()),
            net: Handled::Only(AccessNet::all()),
            scoped: Handled::Only(Scope::all()),
            ..Policy::new()
        }
    }

    /// What a plan reports once its domain exists.
    fn enforced(plan: &Plan) -> Report {
        Report { domain: plan.attr.is_some(), ..plan.report }
    }

    #[test]
    fn default_policy_on_every_kernel() {
        let none = RulesSummary::default();
        for kernel in kernels() {
            let plan = negotiate_summary(&Policy::new(), &none, &kernel).unwrap();
            let Some(abi) = kernel.support.abi() else {
                assert_eq!(plan.attr, None);
                assert_eq!(enforced(&plan).status(), Status::NotEnforced);
                assert_eq!(plan.no_new_privs, NoNewPrivs::Prctl);
                assert_eq!(
                    negotiate_summary(&strict(Policy::new()), &none, &kernel),
                    Err(Error::Unavailable(kernel.support))
                );
                continue;
            };
            let attr = plan.attr.unwrap();
            assert_eq!(attr.handled_access_fs, AccessFs::for_abi(abi).bits(), "{abi}");
            assert_eq!(attr.handled_access_net, AccessNet::for_abi(abi).bits(), "{abi}");
            assert_eq!(attr.scoped, Scope::for_abi(abi).bits(), "{abi}");
            assert_eq!(
                attr.size(),
                match abi {
                    Abi::V1 | Abi::V2 | Abi::V3 => 8,
                    Abi::V4 | Abi::V5 => 16,
                    _ => 24,
                }
            );
            // "Everything the kernel can restrict" is met in full on every kernel, even strictly.
            assert_eq!(enforced(&plan).status(), Status::Full, "{abi}");
            assert!(negotiate_summary(&strict(Policy::new()), &none, &kernel).is_ok(), "{abi}");
            assert_eq!(plan.restrict_flags.contains(RestrictSelfFlags::TSYNC), abi >= Abi::V8);
            let flag = abi >= Abi::V11;
            assert_eq!(plan.restrict_flags.contains(RestrictSelfFlags::NO_NEW_PRIVS), flag);
            assert_eq!(
                plan.no_new_privs,
                if flag { NoNewPrivs::RestrictFlag } else { NoNewPrivs::Prctl }
            );
            assert_eq!(enforced(&plan).refer_always_denied, abi == Abi::V1);
        }
    }

    #[test]
    fn explicit_requests_report_exactly_what_each_kernel_lacks() {
        let none = RulesSummary::default();
        for kernel in kernels() {
            let Some(abi) = kernel.support.abi() else { continue };
            let plan = negotiate_summary(&everything(), &none, &kernel).unwrap();
            let missing = enforced(&plan).missing();
            let mut fs_lacking = AccessFs::all().difference(AccessFs::for_abi(abi));
            // ABI 1 denies every reparenting: handling `refer` without granting it is met.
            fs_lacking.remove(AccessFs::REFER);
            assert_eq!(missing.fs, fs_lacking, "{abi}");
            assert_eq!(missing.net, AccessNet::all().difference(AccessNet::for_abi(abi)), "{abi}");
            assert_eq!(missing.scoped, Scope::all().difference(Scope::for_abi(abi)), "{abi}");
            let full = abi >= Abi::V10;
            assert_eq!(
                enforced(&plan).status(),
                if full { Status::Full } else { Status::Partial },
                "{abi}"
            );
            match negotiate_summary(&strict(everything()), &none, &kernel) {
                Ok(_) => assert!(full, "{abi}: strict accepted a partial request"),
                Err(Error::Unsupported { abi: a, missing: m }) => {
                    assert!(!full);
                    assert_eq!((a, m), (abi, missing));
                }
                Err(e) => panic!("{abi}: {e}"),
            }
        }
    }

    #[test]
    fn abi_1_drops_refer_alone_and_keeps_the_sandbox() {
        let v1 = Kernel::with_abi(Abi::V1, Errata::empty());
        let granting =
            RulesSummary { fs: AccessFs::READ | AccessFs::REFER, count: 1, ..Default::default() };
        let policy = Policy { fs: Handled::Only(AccessFs::all()), ..Policy::new() };
        let plan = negotiate_summary(&policy, &granting, &v1).unwrap();
        // Everything ABI 1 knows is still handled.
        assert_eq!(plan.attr.unwrap().handled_access_fs, AccessFs::for_abi(Abi::V1).bits());
        assert!(!plan.rule_fs.contains(AccessFs::REFER));
        let report = enforced(&plan);
        assert_eq!(report.status(), Status::Partial);
        assert!(report.missing().fs.contains(AccessFs::REFER), "a rule needed refer: reported");
        assert!(report.refer_always_denied);
        // Strict refuses, naming refer among the rest.
        let Err(Error::Unsupported { missing, .. }) =
            negotiate_summary(&strict(policy), &granting, &v1)
        else {
            panic!("strict accepted refer on ABI 1")
        };
        assert!(missing.fs.contains(AccessFs::REFER | AccessFs::TRUNCATE));
        // The default policy with the same rule: only refer is missing.
        let plan = negotiate_summary(&Policy::new(), &granting, &v1).unwrap();
        assert_eq!(
            enforced(&plan).missing(),
            Missing { fs: AccessFs::REFER, ..Missing::default() }
        );
        // On ABI 2 refer is a real right.
        let v2 = Kernel::with_abi(Abi::V2, Errata::empty());
        let plan = negotiate_summary(&Policy::new(), &granting, &v2).unwrap();
        assert!(plan.rule_fs.contains(AccessFs::REFER));
        assert_eq!(enforced(&plan).status(), Status::Full);
    }

    #[test]
    fn abi_7_lacks_resolve_unix_udp_and_quiet() {
        let v7 = Kernel::with_abi(Abi::V7, Errata::empty());
        let rules = RulesSummary {
            fs: AccessFs::READ | AccessFs::RESOLVE_UNIX,
            net: AccessNet::BIND_TCP | AccessNet::BIND_UDP | AccessNet::CONNECT_SEND_UDP,
            quiet: true,
            count: 4,
        };
        let policy = Policy { quiet_fs: AccessFs::READ_FILE, ..Policy::new() };
        let plan = negotiate_summary(&policy, &rules, &v7).unwrap();
        let missing = enforced(&plan).missing();
        assert_eq!(missing.fs, AccessFs::RESOLVE_UNIX);
        assert_eq!(missing.net, AccessNet::UDP);
        assert_eq!(missing.quiet_fs, AccessFs::READ_FILE);
        assert!(missing.quiet_rules);
        assert_eq!(
            format!("{missing}"),
            "fs: resolve_unix; net: bind_udp, connect_send_udp; quiet fs: read_file; quiet rules"
        );
        let attr = plan.attr.unwrap();
        assert_eq!(attr.handled_access_net, AccessNet::TCP.bits());
        assert_eq!(attr.quiet_access_fs, 0);
        assert!(matches!(
            negotiate_summary(&strict(policy), &rules, &v7),
            Err(Error::Unsupported { .. })
        ));
        // UDP alone is enough for strict to refuse.
        let udp = RulesSummary { net: AccessNet::BIND_UDP, count: 1, ..Default::default() };
        let Err(Error::Unsupported { missing, .. }) =
            negotiate_summary(&strict(Policy::new()), &udp, &v7)
        else {
            panic!("strict accepted UDP on ABI 7")
        };
        assert_eq!(missing, Missing { net: AccessNet::BIND_UDP, ..Missing::default() });
    }

    #[test]
    fn quiet_masks_stay_within_the_handled_rights() {
        let v10 = Kernel::with_abi(Abi::V10, Errata::empty());
        let policy = Policy {
            fs: Handled::Only(AccessFs::READ),
            net: Handled::Only(AccessNet::empty()),
            quiet_fs: AccessFs::READ_FILE | AccessFs::WRITE_FILE,
            quiet_net: AccessNet::BIND_TCP,
            quiet_scoped: Scope::SIGNAL,
            ..Policy::new()
        };
        let plan = negotiate_summary(&policy, &RulesSummary::default(), &v10).unwrap();
        let attr = plan.attr.unwrap();
        assert_eq!(attr.quiet_access_fs, AccessFs::READ_FILE.bits());
        assert_eq!(attr.quiet_access_net, 0);
        assert_eq!(attr.quiet_scoped, Scope::SIGNAL.bits());
        assert_eq!(attr.size(), 48);
        assert!(plan.quiet_rules);
        assert_eq!(enforced(&plan).status(), Status::Full);
    }

    #[test]
    fn log_flags_from_abi_7() {
        let policy = Policy {
            log: RestrictSelfFlags::LOG_NEW_EXEC_ON | RestrictSelfFlags::TSYNC,
            ..Policy::new()
        };
        let none = RulesSummary::default();
        let v6 =
            negotiate_summary(&policy, &none, &Kernel::with_abi(Abi::V6, Errata::empty())).unwrap();
        assert!(v6.restrict_flags.is_empty());
        assert_eq!(enforced(&v6).missing().log, RestrictSelfFlags::LOG_NEW_EXEC_ON);
        let v7 =
            negotiate_summary(&policy, &none, &Kernel::with_abi(Abi::V7, Errata::empty())).unwrap();
        // TSYNC is not a logging flag and ABI 7 has none: only the log flag goes through.
        assert_eq!(v7.restrict_flags, RestrictSelfFlags::LOG_NEW_EXEC_ON);
        assert_eq!(enforced(&v7).status(), Status::Full);
    }

    #[test]
    fn minimum_abi_is_a_floor_in_every_mode() {
        let policy = Policy { min_abi: Some(Abi::V8), ..Policy::new() };
        let none = RulesSummary::default();
        for kernel in kernels() {
            let r = negotiate_summary(&policy, &none, &kernel);
            match kernel.support.abi() {
                None => assert_eq!(r, Err(Error::Unavailable(kernel.support))),
                Some(abi) if abi < Abi::V8 => {
                    assert_eq!(r, Err(Error::AbiTooOld { required: Abi::V8, found: abi }))
                }
                Some(_) => assert!(r.is_ok()),
            }
        }
    }

    #[test]
    fn a_request_for_nothing() {
        let nothing = Policy {
            fs: Handled::Only(AccessFs::empty()),
            net: Handled::Only(AccessNet::empty()),
            scoped: Handled::Only(Scope::empty()),
            ..Policy::new()
        };
        let v7 = Kernel::with_abi(Abi::V7, Errata::empty());
        let plan = negotiate_summary(&nothing, &RulesSummary::default(), &v7).unwrap();
        assert_eq!(plan.attr, None);
        assert_eq!(enforced(&plan).status(), Status::NotEnforced);
        assert_eq!(
            negotiate_summary(&strict(nothing), &RulesSummary::default(), &v7),
            Err(Error::NothingToRestrict)
        );
        // Only UDP on a kernel without UDP: no domain; best effort says so, strict refuses.
        let udp = Policy { net: Handled::Only(AccessNet::UDP), ..nothing };
        let plan = negotiate_summary(&udp, &RulesSummary::default(), &v7).unwrap();
        assert_eq!(plan.attr, None);
        let report = enforced(&plan);
        assert_eq!(report.status(), Status::NotEnforced);
        assert_eq!(report.missing().net, AccessNet::UDP);
        assert!(matches!(
            negotiate_summary(&strict(udp), &RulesSummary::default(), &v7),
            Err(Error::Unsupported { .. })
        ));
    }

    #[test]
    fn errata_that_concern_the_domain() {
        let kernel = Kernel::with_abi(Abi::V7, Errata::TCP_SOCKET_IDENTIFICATION);
        let plan = negotiate_summary(&Policy::new(), &RulesSummary::default(), &kernel).unwrap();
        assert_eq!(
            plan.report.errata_missing,
            Errata::SCOPED_SIGNAL_SAME_PROCESS
                | Errata::DISCONNECTED_DIRECTORY
                | Errata::WHITEOUT_MAKE_REG
        );
        let fs_only = Policy {
            net: Handled::Only(AccessNet::empty()),
            scoped: Handled::Only(Scope::empty()),
            ..Policy::new()
        };
        let plan = negotiate_summary(
            &fs_only,
            &RulesSummary::default(),
            &Kernel::with_abi(Abi::V7, Errata::all()),
        )
        .unwrap();
        assert_eq!(plan.report.errata_missing, Errata::empty());
    }

    #[test]
    fn the_report_names_unfixed_errata_and_what_tcp_rules_leave_out() {
        let tcp = Policy { net: Handled::Only(AccessNet::TCP), ..Policy::new() };
        let none = RulesSummary::default();
        // A 6.12-like kernel without the errata query: nothing fixed.
        let plan = negotiate_summary(&tcp, &none, &Kernel::with_abi(Abi::V6, Errata::empty()));
        let report = enforced(&plan.unwrap());
        let line = format!("{report}");
        assert!(line.contains("unfixed erratum 3 (disconnected_directory): renaming"), "{line}");
        assert!(line.contains("unfixed erratum 1 (tcp_socket_identification)"), "{line}");
        // Unfixed erratum 1 restricts MPTCP as TCP: nothing is left out.
        assert!(!report.tcp_leaves_out_mptcp() && !line.contains("do not cover MPTCP"), "{line}");
        assert_eq!(report.errata_weakening(), Errata::DISCONNECTED_DIRECTORY);
        // Fixed, TCP rules apply to TCP sockets only.
        let plan = negotiate_summary(&tcp, &none, &Kernel::with_abi(Abi::V7, Errata::all()));
        let report = enforced(&plan.unwrap());
        let line = format!("{report}");
        assert!(report.tcp_leaves_out_mptcp() && line.contains("do not cover MPTCP"), "{line}");
        assert!(!line.contains("erratum"), "{line}");
        assert_eq!(report.errata_weakening(), Errata::empty());
        // Without a domain, nothing about it.
        let plan = negotiate_summary(&tcp, &none, &Kernel::with_abi(Abi::V3, Errata::empty()));
        let line = format!("{}", plan.unwrap().report);
        assert!(!line.contains("erratum") && !line.contains("MPTCP"), "{line}");
        for (_, flag) in Errata::NAMED {
            assert!(!flag.meaning().is_empty());
        }
        assert_eq!((Errata::DISCONNECTED_DIRECTORY | Errata::WHITEOUT_MAKE_REG).meaning(), "");
    }

    #[test]
    fn a_required_domain_refuses_a_kernel_that_can_enforce_none_of_it() {
        let udp = Policy {
            fs: Handled::Only(AccessFs::empty()),
            net: Handled::Only(AccessNet::UDP),
            scoped: Handled::Only(Scope::empty()),
            require_domain: true,
            ..Policy::new()
        };
        let none = RulesSummary::default();
        let v7 = Kernel::with_abi(Abi::V7, Errata::empty());
        let e = negotiate_summary(&udp, &none, &v7).unwrap_err();
        assert!(matches!(e, Error::NothingEnforceable { abi: Abi::V7, .. }), "{e:?}");
        assert_eq!(
            format!("{e}"),
            "this kernel (Landlock ABI 7) can enforce none of the sandbox (net: bind_udp, \
             connect_send_udp)"
        );
        let v10 = Kernel::with_abi(Abi::V10, Errata::empty());
        assert!(negotiate_summary(&udp, &none, &v10).unwrap().attr.is_some());
        let scopes = Policy {
            net: Handled::Only(AccessNet::empty()),
            scoped: Handled::Only(Scope::all()),
            ..udp
        };
        let v5 = Kernel::with_abi(Abi::V5, Errata::empty());
        assert!(matches!(
            negotiate_summary(&scopes, &none, &v5),
            Err(Error::NothingEnforceable { .. })
        ));
        let nothing = Policy { scoped: Handled::Only(Scope::empty()), ..scopes };
        assert_eq!(negotiate_summary(&nothing, &none, &v10), Err(Error::NothingToRestrict));
        let missing = Kernel::without_landlock(Support::NotBuilt);
        assert_eq!(
            negotiate_summary(&udp, &none, &missing),
            Err(Error::Unavailable(Support::NotBuilt))
        );
        // Best effort without the requirement: no domain, said in the report.
        let lenient = Policy { require_domain: false, ..udp };
        let plan = negotiate_summary(&lenient, &none, &v7).unwrap();
        assert!(plan.attr.is_none());
    }

    #[test]
    fn rules_are_validated_before_anything_else() {
        let rules = [Rule::path(b"/usr", AccessFs::READ), Rule::port(65535, AccessNet::BIND_TCP)];
        let summary = RulesSummary::of(&rules[..], Some(Abi::V7)).unwrap();
        assert_eq!(
            summary,
            RulesSummary { fs: AccessFs::READ, net: AccessNet::BIND_TCP, quiet: false, count: 2 }
        );
        let nul = [Rule::path(b"/us\0r", AccessFs::READ)];
        assert_eq!(
            RulesSummary::of(&nul, None),
            Err(Error::InvalidPath { rule: 0, errno: Errno::EINVAL })
        );
        let long = [0x61u8; PATH_MAX + 1];
        let rules = [Rule::path(&long, AccessFs::READ)];
        assert_eq!(
            RulesSummary::of(&rules, None),
            Err(Error::InvalidPath { rule: 0, errno: Errno::ENAMETOOLONG })
        );
        assert!(RulesSummary::of(&[Rule::path(&long[..PATH_MAX], AccessFs::READ)], None).is_ok());
    }

    #[test]
    fn rules_ask_for_what_they_make_a_point_of() {
        let v7 = Kernel::with_abi(Abi::V7, Errata::empty());
        let rules = [
            // A read-write group: resolve_unix comes along, incidental on ABI 7.
            Rule::path(b"/tmp", AccessFs::READ | AccessFs::WRITE),
            // TCP and UDP on one port: UDP is a family of its own, and all of it is missing.
            Rule::port(53, AccessNet::CONNECT_TCP | AccessNet::CONNECT_SEND_UDP),
        ];
        let plan = negotiate(&Policy::new(), &rules, &v7).unwrap();
        let missing = enforced(&plan).missing();
        assert_eq!(missing, Missing { net: AccessNet::CONNECT_SEND_UDP, ..Missing::default() });
        // A rule of nothing but resolve_unix (`--unix PATH`) loses its whole point: reported.
        let unix = [Rule::path(b"/run", AccessFs::RESOLVE_UNIX)];
        let plan = negotiate(&Policy::new(), &unix, &v7).unwrap();
        assert_eq!(enforced(&plan).missing().fs, AccessFs::RESOLVE_UNIX);
        // On ABI 9 it is enforced.
        let v9 = Kernel::with_abi(Abi::V9, Errata::empty());
        let plan = negotiate(&Policy::new(), &unix, &v9).unwrap();
        assert_eq!(enforced(&plan).status(), Status::Full);
        // refer is always asked for when granted: ABI 1 cannot honour it and says so.
        let v1 = Kernel::with_abi(Abi::V1, Errata::empty());
        let plan = negotiate(&Policy::new(), &rules[..1], &v1).unwrap();
        assert_eq!(enforced(&plan).missing().fs, AccessFs::REFER);
        // Without Landlock everything granted is asked for.
        let summary = RulesSummary::of(&rules, None).unwrap();
        assert_eq!(summary.fs, AccessFs::READ | AccessFs::WRITE);
        assert_eq!(summary.net, AccessNet::CONNECT_TCP | AccessNet::CONNECT_SEND_UDP);
        // The policy's own explicit request is never filtered.
        let explicit = Policy { fs: Handled::Only(AccessFs::all()), ..Policy::new() };
        let plan = negotiate(&explicit, &rules[..1], &v7).unwrap();
        assert_eq!(enforced(&plan).missing().fs, AccessFs::RESOLVE_UNIX);
    }

    /// A small deterministic generator, so that the sweep below is the same on every run.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 11
        }
    }

    #[test]
    fn any_policy_on_any_kernel_sends_only_what_the_kernel_accepts() {
        let mut rng = Lcg(42);
        for _ in 0..20_000 {
            let bits = rng.next();
            let handled = |r: u64, all: u64| if r & 1 == 0 { None } else { Some((r >> 1) & all) };
            let r = rng.next();
            let policy = Policy {
                fs: handled(r, (1 << 20) - 1)
                    .map_or(Handled::Supported, |b| Handled::Only(AccessFs::from_bits_retain(b))),
                net: handled(r >> 22, 0x3f)
                    .map_or(Handled::Supported, |b| Handled::Only(AccessNet::from_bits_retain(b))),
                scoped: handled(r >> 30, 0xf)
                    .map_or(Handled::Supported, |b| Handled::Only(Scope::from_bits_retain(b))),
                quiet_fs: AccessFs::from_bits_retain(bits & 0x1ffff),
                quiet_net: AccessNet::from_bits_retain((bits >> 17) & 0xf),
                quiet_scoped: Scope::from_bits_retain((bits >> 21) & 0x3),
                log: RestrictSelfFlags::from_bits_retain((bits >> 23) as u32 & 0x3f),
                threads: if bits >> 29 & 1 == 0 {
                    Threads::Process
                } else {
                    Threads::CallingThread
                },
                no_new_privs: bits >> 30 & 1 == 0,
                compat: if bits >> 31 & 1 == 0 { Compat::BestEffort } else { Compat::Strict },
                min_abi: Abi::from_version((bits >> 32) as u32 % 14)
                    .filter(|_| bits >> 36 & 3 == 0),
                require_domain: bits >> 38 & 1 == 0,
                on_missing: OnMissing::Error,
            };
            let rules = RulesSummary {
                fs: AccessFs::from_bits_retain(rng.next() & 0x1ffff),
                net: AccessNet::from_bits_retain(rng.next() & 0xf),
                quiet: rng.next() & 1 == 0,
                count: 3,
            };
            for kernel in kernels() {
                let plan = match negotiate_summary(&policy, &rules, &kernel) {
                    Ok(plan) => plan,
                    Err(e) => {
                        // Only a request that asks for more than best effort may be refused.
                        let demanding = policy.compat == Compat::Strict
                            || policy.min_abi.is_some()
                            || policy.require_domain;
                        assert!(demanding, "best effort refused with {e:?}: {policy:?}");
                        continue;
                    }
                };
                let report = enforced(&plan);
                if policy.require_domain {
                    assert!(plan.attr.is_some(), "no domain though one is required: {policy:?}");
                }
                if policy.compat == Compat::Strict {
                    assert!(
                        report.missing().is_empty(),
                        "strict plan with something missing: {policy:?}"
                    );
                }
                let Some(attr) = plan.attr else {
                    assert_eq!(report.status(), Status::NotEnforced);
                    continue;
                };
                let abi = kernel.support.abi().unwrap();
                assert_eq!(attr.handled_access_fs & !AccessFs::for_abi(abi).bits(), 0);
                assert_eq!(attr.handled_access_net & !AccessNet::for_abi(abi).bits(), 0);
                assert_eq!(attr.scoped & !Scope::for_abi(abi).bits(), 0);
                assert_eq!(attr.quiet_access_fs & !attr.handled_access_fs, 0);
                assert_eq!(attr.quiet_access_net & !attr.handled_access_net, 0);
                assert_eq!(attr.quiet_scoped & !attr.scoped, 0);
                assert!(attr.handled_access_fs | attr.handled_access_net | attr.scoped != 0);
                assert_eq!(
                    plan.restrict_flags.difference(RestrictSelfFlags::for_abi(abi)),
                    RestrictSelfFlags::empty()
                );
                assert_eq!(plan.rule_fs.bits(), attr.handled_access_fs);
                // Every handled right was requested: nothing is restricted that was not asked.
                assert_eq!(attr.handled_access_fs & !report.fs.requested.bits(), 0);
            }
        }
    }
}
