//! Enforcing 1, 100 and 2,000 path rules, each time in a fresh forked child (a domain is
//! irreversible), with the `landlock` crate doing the same work as the yardstick.
//!
//! Both handle every filesystem right of the running kernel, grant read-execute beneath each
//! directory, set no_new_privs and enforce. The fork and wait are the same for both.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use landlocked_core::{AccessFs, AccessNet, Handled, Policy, Rule, Scope};

/// `n` directories, created once.
fn directories(n: usize) -> Vec<PathBuf> {
    let root = std::env::temp_dir().join("landlocked-bench-dirs");
    (0..n)
        .map(|i| {
            let dir = root.join(format!("d{i}"));
            std::fs::create_dir_all(&dir).expect("bench directory");
            dir
        })
        .collect()
}

/// Runs `f` in a forked child and checks that it succeeded.
fn in_child(f: impl FnOnce() -> bool) {
    // SAFETY: the child only runs `f` and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        let ok = f();
        // SAFETY: leaving the child without running the parent's exit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed to enforce"
    );
}

fn landlocked(paths: &[Vec<u8>]) -> bool {
    let rules: Vec<Rule<'_>> =
        paths.iter().map(|p| Rule::path(p, AccessFs::READ_EXECUTE)).collect();
    let policy = Policy::new()
        .with_net(Handled::Only(AccessNet::empty()))
        .with_scoped(Handled::Only(Scope::empty()));
    landlocked_core::enforce(&policy, rules.as_slice()).is_ok_and(|r| r.is_fully_enforced())
}

fn landlock_crate(paths: &[PathBuf]) -> bool {
    use landlock::{
        ABI, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
    };
    let abi = ABI::V7;
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(landlock::path_beneath_rules(paths, AccessFs::from_read(abi))))
        .and_then(|r| r.restrict_self());
    status.is_ok_and(|s| s.ruleset == RulesetStatus::FullyEnforced)
}

fn enforce(c: &mut Criterion) {
    let mut group = c.benchmark_group("enforce_path_rules");
    for n in [1usize, 100, 2000] {
        let dirs = directories(n);
        let bytes: Vec<Vec<u8>> = dirs.iter().map(|d| d.as_os_str().as_bytes().to_vec()).collect();
        group.bench_with_input(BenchmarkId::new("landlocked", n), &bytes, |b, paths| {
            b.iter(|| in_child(|| landlocked(paths)))
        });
        group.bench_with_input(BenchmarkId::new("landlock-crate", n), &dirs, |b, paths| {
            b.iter(|| in_child(|| landlock_crate(paths)))
        });
    }
    group.finish();
}

criterion_group!(benches, enforce);
criterion_main!(benches);
