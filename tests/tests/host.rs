//! The conformance suite on the host's own kernel: every case must pass or say why it does not
//! apply.

use landlocked_conformance::{Outcome, cases};
use landlocked_core::Kernel;

#[test]
fn conformance_on_the_host_kernel() {
    // The command-line cases run `landlocked-init` (the probe), and the `landlocked` and
    // `landlocked-sandboxer` that `cargo test --workspace` builds beside it.
    let probe = std::path::Path::new(env!("CARGO_BIN_EXE_landlocked-init"));
    landlocked_conformance::tools::set(landlocked_conformance::tools::Tools::host(probe));
    let kernel = Kernel::probe();
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in cases() {
        match (case.run)(&kernel) {
            Outcome::Pass => passed += 1,
            Outcome::Skip(why) => eprintln!("skip {}: {why}", case.name),
            Outcome::Fail(why) => failures.push(format!("{}: {why}", case.name)),
        }
    }
    eprintln!("{passed} cases passed on {}", kernel.support);
    assert!(failures.is_empty(), "{} failed:\n{}", failures.len(), failures.join("\n"));
    assert!(passed > 0);
}
