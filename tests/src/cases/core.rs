//! The enforcement core's own promises: the report tells the truth, strict refuses before
//! anything changes, threads, no_new_privs, missing paths, logging flags, nesting.

use landlocked_core::{
    Abi, AccessFs, AccessNet, Compat, Errno, Error, Handled, Kernel, Missing, NoNewPrivs,
    OnMissing, Policy, RestrictSelfFlags, Rule, Scope, Status, Support, ThreadCoverage,
};

use super::{Checks, denied_since, harness, status_on};
use crate::ops;
use crate::sandbox::{self, Run};
use crate::scratch::Scratch;
use crate::{Case, Outcome};

fn strict(policy: Policy) -> Policy {
    policy.with_compat(Compat::Strict)
}

fn no_new_privs_set() -> bool {
    // SAFETY: PR_GET_NO_NEW_PRIVS takes no pointer.
    unsafe { libc::prctl(libc::PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 }
}

/// The default policy: everything the kernel can restrict, and the report says exactly that.
fn default_policy(kernel: &Kernel) -> Outcome {
    let (report, ()) = match sandbox::enforced(&Policy::new(), &[], || ()) {
        Ok(v) => v,
        Err(outcome) => return outcome,
    };
    let mut c = Checks::default();
    c.eq("support", report.kernel.support, kernel.support);
    c.eq("status", report.status(), status_on(kernel));
    if let Some(abi) = kernel.support.abi() {
        c.eq("fs enforced", report.fs.enforced, AccessFs::for_abi(abi));
        c.eq("net enforced", report.net.enforced, AccessNet::for_abi(abi));
        c.eq("scopes enforced", report.scoped.enforced, Scope::for_abi(abi));
        let nnp = if abi >= Abi::V11 { NoNewPrivs::RestrictFlag } else { NoNewPrivs::Prctl };
        c.eq("no_new_privs", report.no_new_privs, nnp);
    }
    // Strict with the default policy: met on every kernel with Landlock, refused without.
    match (sandbox::run(&strict(Policy::new()), &[], || ()), kernel.support.abi()) {
        (Ok(Run { enforce: Ok(_), .. }), Some(_)) => {}
        (Ok(Run { enforce: Err(Error::Unavailable(s)), .. }), None) => {
            c.eq("strict unavailable", s, kernel.support)
        }
        (Ok(run), _) => c.check(false, || format!("strict default policy: {:?}", run.enforce)),
        (Err(e), _) => return harness(e),
    }
    c.outcome()
}

/// Rights this kernel may lack, requested through rules and quiet flags: best effort reports
/// each one missing, exactly.
fn best_effort_reports_gaps(kernel: &Kernel) -> Outcome {
    let scratch = Scratch::new("gaps");
    let a = scratch.bytes("a");
    let rules = [
        Rule::path(&a, AccessFs::READ),
        // Nothing but resolve_unix, as `landlocked run --unix`: its whole point needs ABI 9.
        Rule::path(&a, AccessFs::RESOLVE_UNIX),
        Rule::port(53, AccessNet::BIND_UDP | AccessNet::CONNECT_SEND_UDP),
        Rule::port(8080, AccessNet::BIND_TCP),
        Rule::Path {
            source: landlocked_core::PathSource::Path(&a),
            access: AccessFs::empty(),
            quiet: true,
        },
    ];
    let policy = Policy::new().with_quiet(AccessFs::READ_FILE, AccessNet::BIND_TCP, Scope::empty());
    let outside = scratch.c("b/f");
    let (report, op) = match sandbox::enforced(&policy, &rules, || ops::read_file(&outside)) {
        Ok(v) => v,
        Err(outcome) => return outcome,
    };
    let mut c = Checks::default();
    let Some(abi) = kernel.support.abi() else {
        c.eq("status", report.status(), Status::NotEnforced);
        c.eq("read outside", op, Ok(()));
        return c.outcome();
    };
    let mut expected = Missing::default();
    expected.fs = if abi < Abi::V9 { AccessFs::RESOLVE_UNIX } else { AccessFs::empty() };
    // What the rules grant and the kernel lacks; ungranted rights are not requested.
    expected.net = (AccessNet::UDP | AccessNet::BIND_TCP).difference(AccessNet::for_abi(abi));
    expected.quiet_fs = if abi < Abi::V10 { AccessFs::READ_FILE } else { AccessFs::empty() };
    expected.quiet_net = if abi < Abi::V10 { AccessNet::BIND_TCP } else { AccessNet::empty() };
    expected.quiet_rules = abi < Abi::V10;
    c.eq("missing", report.missing(), expected);
    c.eq("status", report.status(), if abi >= Abi::V10 { Status::Full } else { Status::Partial });
    // Whatever is missing, the rest is enforced: reading outside the rules is still denied.
    c.eq("read outside", op, Err(Errno::EACCES));
    // Each rule is added from the ABI that can express it, and skipped as unsupported before:
    // resolve_unix from 9, UDP and the quiet-only rule from 10, TCP from 4.
    let (added, skipped) = match abi {
        Abi::V10 | Abi::V11 => (5, 0),
        Abi::V9 => (3, 2),
        Abi::V4 | Abi::V5 | Abi::V6 | Abi::V7 | Abi::V8 => (2, 3),
        Abi::V1 | Abi::V2 | Abi::V3 => (1, 4),
        // A newer ABI than this suite knows: as the newest it knows.
        _ => (5, 0),
    };
    c.eq("rules added", report.rules.added, added);
    c.eq("rules skipped", report.rules.skipped_unsupported, skipped);
    c.outcome()
}

/// Strict with UDP: refused before ABI 10 with UDP named, and refused before anything about the
/// process changed (no domain, no no_new_privs).
fn strict_udp(kernel: &Kernel) -> Outcome {
    let scratch = Scratch::new("strict");
    let a = scratch.bytes("a");
    let rules = [Rule::path(&a, AccessFs::READ), Rule::port(53, AccessNet::BIND_UDP)];
    let outside = scratch.c("b/f");
    let after = || (ops::read_file(&outside), no_new_privs_set());
    let run = sandbox::in_child(|| {
        let r = landlocked_core::enforce(&strict(Policy::new()), &rules);
        (r, after())
    });
    let (result, (read, nnp)) = match run {
        Ok(v) => v,
        Err(e) => return harness(e),
    };
    let mut c = Checks::default();
    match (kernel.support.abi(), result) {
        (None, Err(Error::Unavailable(s))) => c.eq("support", s, kernel.support),
        (Some(abi), Err(Error::Unsupported { abi: a, missing })) if abi < Abi::V10 => {
            c.eq("abi", a, abi);
            let mut want = Missing::default();
            want.net = AccessNet::BIND_UDP;
            c.eq("missing", missing, want);
            c.eq("read outside after the refusal", read, Ok(()));
            c.eq("no_new_privs after the refusal", nnp, false);
        }
        (Some(abi), Ok(report)) if abi >= Abi::V10 => {
            c.eq("status", report.status(), Status::Full);
            c.eq("read outside", read, Err(Errno::EACCES));
        }
        (_, other) => c.check(false, || format!("unexpected: {other:?}")),
    }
    c.outcome()
}

/// A second thread exists when the domain is enforced. With TSYNC (ABI 8) it is restricted
/// too; before, strict refuses and best effort says only the calling thread is.
fn threads(kernel: &Kernel, compat: Compat) -> Outcome {
    let scratch = Scratch::new("threads");
    let a = scratch.bytes("a");
    let rules = [Rule::path(&a, AccessFs::READ)];
    let outside = scratch.c("b/f");
    let policy = Policy::new().with_compat(compat);
    let run = sandbox::in_child(|| {
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (res_tx, res_rx) = std::sync::mpsc::channel();
        let outside = outside.clone();
        let thread = std::thread::spawn(move || {
            let _ = go_rx.recv();
            let _ = res_tx.send(ops::read_file(&outside));
        });
        let r = landlocked_core::enforce(&policy, &rules);
        let _ = go_tx.send(());
        let other = res_rx.recv().unwrap_or(Err(Errno::EIO));
        let _ = thread.join();
        (r, other)
    });
    let (result, other) = match run {
        Ok(v) => v,
        Err(e) => return harness(e),
    };
    let mut c = Checks::default();
    let abi = kernel.support.abi();
    match (abi, compat, result) {
        (None, Compat::Strict, Err(Error::Unavailable(_))) => {}
        (None, Compat::BestEffort, Ok(report)) => {
            c.eq("status", report.status(), Status::NotEnforced);
            c.eq("other thread", other, Ok(()));
        }
        (Some(abi), _, Ok(report)) if abi >= Abi::V8 => {
            c.eq("threads", report.threads, ThreadCoverage::AllThreads);
            c.eq("other thread", other, Err(Errno::EACCES));
        }
        (Some(_), Compat::Strict, Err(Error::MultiThreaded { threads })) => {
            c.eq("threads", threads, Some(2))
        }
        (Some(_), Compat::BestEffort, Ok(report)) => {
            c.eq("threads", report.threads, ThreadCoverage::CallingThreadOnly { threads: Some(2) });
            c.eq("status", report.status(), Status::Partial);
            // The report is true: the other thread really is unrestricted.
            c.eq("other thread", other, Ok(()));
        }
        (_, _, other) => c.check(false, || format!("unexpected: {other:?}")),
    }
    c.outcome()
}

/// no_new_privs ends up set, by the ABI 11 flag or by prctl.
fn no_new_privs(kernel: &Kernel) -> Outcome {
    match sandbox::in_child(|| (landlocked_core::enforce(&Policy::new(), &[]), no_new_privs_set()))
    {
        Ok((Ok(report), set)) => {
            let mut c = Checks::default();
            c.eq("no_new_privs set", set, true);
            let how = match kernel.support.abi() {
                Some(abi) if abi >= Abi::V11 => NoNewPrivs::RestrictFlag,
                _ => NoNewPrivs::Prctl,
            };
            c.eq("how", report.no_new_privs, how);
            c.outcome()
        }
        Ok((Err(e), _)) => Outcome::Fail(format!("enforce: {e}")),
        Err(e) => harness(e),
    }
}

/// Without no_new_privs and without CAP_SYS_ADMIN the kernel refuses the domain: the core
/// returns its EPERM and does not pretend.
fn without_no_new_privs(kernel: &Kernel) -> Outcome {
    let policy = Policy::new().with_no_new_privs(false);
    let run = sandbox::in_child(|| {
        // SAFETY: dropping to nobody in the child; that also drops every capability.
        if unsafe { libc::setgid(65534) } != 0 || unsafe { libc::setuid(65534) } != 0 {
            return None;
        }
        Some(landlocked_core::enforce(&policy, &[]))
    });
    match (run, kernel.support.abi()) {
        (Ok(None), _) => Outcome::Skip("cannot switch to uid 65534".into()),
        (Ok(Some(Err(Error::RestrictSelf(Errno::EPERM)))), Some(_)) => Outcome::Pass,
        (Ok(Some(Ok(report))), None) if report.status() == Status::NotEnforced => Outcome::Pass,
        (Ok(Some(other)), _) => {
            Outcome::Fail(format!("expected EPERM from restrict_self, got {other:?}"))
        }
        (Err(e), _) => harness(e),
    }
}

/// A missing path is an error naming the rule, on every kernel; skipped and counted on request.
fn missing_path(kernel: &Kernel, on_missing: OnMissing) -> Outcome {
    let scratch = Scratch::new("missing");
    let (a, nope) = (scratch.bytes("a"), scratch.bytes("no/such/dir"));
    let rules = [Rule::path(&a, AccessFs::READ), Rule::path(&nope, AccessFs::READ)];
    let policy = Policy::new().with_on_missing(on_missing);
    let run = match sandbox::run(&policy, &rules, || ()) {
        Ok(run) => run,
        Err(e) => return harness(e),
    };
    let mut c = Checks::default();
    match (on_missing, run.enforce) {
        (OnMissing::Error, Err(e)) => {
            c.eq("error", e, Error::OpenPath { rule: 1, errno: Errno::ENOENT })
        }
        (OnMissing::Skip, Ok(report)) => {
            let landlock = kernel.support.abi().is_some();
            c.eq("added", report.rules.added, u32::from(landlock));
            c.eq("skipped", report.rules.skipped_missing, u32::from(landlock));
            c.eq("status", report.status(), status_on(kernel));
        }
        (_, other) => c.check(false, || format!("unexpected: {other:?}")),
    }
    c.outcome()
}

/// Binding to port 0 (an ephemeral port) is a bind like any other: denied from ABI 4 unless a
/// rule allows port 0 itself.
fn port_zero(kernel: &Kernel) -> Outcome {
    let policy = Policy::new()
        .with_fs(Handled::Only(AccessFs::empty()))
        .with_net(Handled::Only(AccessNet::BIND_TCP))
        .with_scoped(Handled::Only(Scope::empty()));
    let bind = |rules: &[Rule<'_>]| {
        sandbox::enforced(&policy, rules, || crate::ops::bind(libc::SOCK_STREAM, 0))
    };
    let denied = if kernel.support.abi().is_some_and(|a| a >= Abi::V4) {
        Err(Errno::EACCES)
    } else {
        Ok(())
    };
    let mut c = Checks::default();
    match bind(&[Rule::port(8, AccessNet::BIND_TCP)]) {
        Ok((_, op)) => c.eq("bind to 0 without its rule", op, denied),
        Err(outcome) => return outcome,
    }
    match bind(&[Rule::port(0, AccessNet::BIND_TCP)]) {
        Ok((_, op)) => c.eq("bind to 0 with its rule", op, Ok(())),
        Err(outcome) => return outcome,
    }
    c.outcome()
}

/// Logging flags (ABI 7): accepted by kernels that have them, reported missing before.
fn log_flags(kernel: &Kernel) -> Outcome {
    let log = RestrictSelfFlags::LOG_NEW_EXEC_ON | RestrictSelfFlags::LOG_SUBDOMAINS_OFF;
    let policy = Policy::new().with_log(log);
    match sandbox::run(&policy, &[], || ()) {
        Ok(Run { enforce: Ok(report), .. }) => {
            let mut c = Checks::default();
            match kernel.support.abi() {
                Some(abi) if abi >= Abi::V7 => {
                    c.eq("log enforced", report.log.enforced, log);
                    c.eq("status", report.status(), Status::Full);
                }
                Some(_) => {
                    c.eq("log missing", report.missing().log, log);
                    c.eq("status", report.status(), Status::Partial);
                }
                None => c.eq("status", report.status(), Status::NotEnforced),
            }
            c.outcome()
        }
        Ok(run) => Outcome::Fail(format!("enforce: {:?}", run.enforce)),
        Err(e) => harness(e),
    }
}

/// A second domain only narrows the first: a rule for `a/` then one for `a/d/` leaves `a/f`
/// denied.
fn nested_domains(kernel: &Kernel) -> Outcome {
    let scratch = Scratch::new("nested");
    let (a, d) = (scratch.bytes("a"), scratch.bytes("a/d"));
    let (file, inner) = (scratch.c("a/f"), scratch.c("a/d"));
    let run = sandbox::in_child(|| {
        let first = landlocked_core::enforce(&Policy::new(), &[Rule::path(&a, AccessFs::READ)]);
        let before = ops::read_file(&file);
        let second = landlocked_core::enforce(&Policy::new(), &[Rule::path(&d, AccessFs::READ)]);
        (first.is_ok(), before, second.is_ok(), ops::read_file(&file), ops::read_dir(&inner))
    });
    match run {
        Ok((true, before, true, after, inner)) => {
            let mut c = Checks::default();
            c.eq("read after the first domain", before, Ok(()));
            c.eq(
                "read after the second",
                after,
                denied_since(kernel, Abi::V1, Errno::EACCES, Ok(())),
            );
            c.eq("the inner directory", inner, Ok(()));
            c.outcome()
        }
        Ok(other) => Outcome::Fail(format!("enforce failed: {other:?}")),
        Err(e) => harness(e),
    }
}

/// The probe agrees with a second, independent query through libc.
fn probe(kernel: &Kernel) -> Outcome {
    // SAFETY: the version query takes a null attribute and size 0.
    let r = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, 0usize, 0usize, 1u32) };
    let libc_view = if r < 0 { Err(crate::sandbox::last_errno()) } else { Ok(r as u32) };
    let expected = Support::from_version_query(libc_view);
    if expected == kernel.support {
        Outcome::Pass
    } else {
        Outcome::Fail(format!("probe {:?}, libc says {expected:?}", kernel.support))
    }
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::new("core.probe", probe),
        Case::new("core.default_policy", default_policy),
        Case::new("core.best_effort_reports_gaps", best_effort_reports_gaps),
        Case::new("core.strict_udp", strict_udp),
        Case::new("core.threads.strict", |k| threads(k, Compat::Strict)),
        Case::new("core.threads.best_effort", |k| threads(k, Compat::BestEffort)),
        Case::new("core.no_new_privs", no_new_privs),
        Case::new("core.without_no_new_privs", without_no_new_privs),
        Case::new("core.missing_path.error", |k| missing_path(k, OnMissing::Error)),
        Case::new("core.missing_path.skip", |k| missing_path(k, OnMissing::Skip)),
        Case::new("core.port_zero", port_zero),
        Case::new("core.log_flags", log_flags),
        Case::new("core.nested_domains", nested_domains),
    ]
}
