//! What the seccomp layer costs: compiling its filters, and a syscall's latency under them.
//!
//! Filters are irreversible and stack, so the latency groups run in order in this one process,
//! each adding a filter to the ones before: none, a deny-list (`~@mount`), the network filter,
//! an allow-list (`@system-service`). Two syscalls are timed: `getppid` (number 110 on x86_64)
//! and `getcpu` (309), since a filter compares the number with its entries in order.

use criterion::{Criterion, criterion_group, criterion_main};
use landlocked::{AccessNet, Sandbox, SyscallFilter};

fn getppid() -> libc::c_long {
    // SAFETY: no argument.
    unsafe { libc::syscall(libc::SYS_getppid) }
}

fn getcpu() -> libc::c_long {
    // SAFETY: null pointers: nothing is written.
    unsafe { libc::syscall(libc::SYS_getcpu, 0usize, 0usize, 0usize) }
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.bench_function("~@mount", |b| {
        b.iter(|| SyscallFilter::parse("~@mount").unwrap().compile().unwrap())
    });
    group.bench_function("@system-service", |b| {
        b.iter(|| SyscallFilter::parse("@system-service").unwrap().compile().unwrap())
    });
    group.bench_function("network sandbox prepared", |b| {
        let mut sandbox = Sandbox::empty();
        sandbox.restrict_net(AccessNet::all());
        b.iter(|| sandbox.prepare().unwrap())
    });
    group.finish();
}

fn latency(c: &mut Criterion, label: &str) {
    let mut group = c.benchmark_group(format!("syscall, {label}"));
    group.bench_function("getppid", |b| b.iter(getppid));
    group.bench_function("getcpu", |b| b.iter(getcpu));
    group.finish();
}

fn stacked(c: &mut Criterion) {
    latency(c, "no filter");
    let install = |line: &str| {
        let filter = SyscallFilter::parse(line).unwrap().compile().unwrap();
        // SAFETY: no_new_privs first, as seccomp requires without CAP_SYS_ADMIN.
        assert_eq!(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }, 0);
        filter.install(true).unwrap();
    };
    install("~@mount");
    latency(c, "+ deny-list ~@mount");
    let mut network = Sandbox::empty();
    network.restrict_net(AccessNet::all());
    let _report = network.restrict_self().unwrap();
    latency(c, "+ network filter");
    install("@system-service");
    latency(c, "+ allow-list @system-service");
}

criterion_group!(benches, compile, stacked);
criterion_main!(benches);
