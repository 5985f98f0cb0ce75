//! The conformance suite on the host's own kernel: every case must pass, except those that
//! cannot apply to a kernel with Landlock, each named below. A case skipped for any other reason
//! (a listener that could not be made, a tool not built) fails the run: a skip is not a pass.

use landlocked_conformance::{Outcome, cases};
use landlocked_core::Kernel;

/// The cases that may skip here, and why.
const MAY_SKIP: &[(&str, &str)] = &[
    // Checks the refusal on a kernel without Landlock: the VM matrix runs it on debian-5.10.
    ("sandboxer.no_landlock_is_an_error", "this kernel has Landlock"),
    // Reads the records from the kernel log, where they are only without an audit daemon: the
    // VM matrix boots its ABI 7 kernels with audit=1 for it.
    ("trace.audit_records", "booted without audit=1"),
];

#[test]
fn conformance_on_the_host_kernel() {
    // The command-line cases run `landlocked-conformance` (the probe), and the `landlocked` and
    // `landlocked-sandboxer` that `cargo test --workspace` builds beside it.
    let probe = std::path::Path::new(env!("CARGO_BIN_EXE_landlocked-conformance"));
    landlocked_conformance::tools::set(landlocked_conformance::tools::Tools::host(probe));
    let kernel = Kernel::probe();
    assert!(kernel.support.abi().is_some(), "the host suite needs Landlock: {}", kernel.support);
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in cases() {
        match (case.run)(&kernel) {
            Outcome::Pass => passed += 1,
            Outcome::Skip(why) => {
                let allowed = MAY_SKIP
                    .iter()
                    .any(|&(name, reason)| name == case.name && why.contains(reason));
                if allowed {
                    eprintln!("skip {}: {why}", case.name);
                } else {
                    failures
                        .push(format!("{}: skipped, which it must not be here: {why}", case.name));
                }
            }
            Outcome::Fail(why) => failures.push(format!("{}: {why}", case.name)),
        }
    }
    eprintln!("{passed} cases passed on {}", kernel.support);
    assert!(failures.is_empty(), "{} failed:\n{}", failures.len(), failures.join("\n"));
}
