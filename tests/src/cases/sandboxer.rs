//! The static sandboxer: its own scenarios (shared with its integration tests), run against the
//! binary of this architecture on this kernel.

#[path = "../../../crates/landlocked-sandboxer/tests/scenarios/mod.rs"]
pub mod scenarios;

use landlocked_core::Kernel;

use crate::{Case, Outcome, tools};

fn run(kernel: &Kernel, scenario: scenarios::Scenario) -> Outcome {
    let Some(tools) = tools::get() else { return Outcome::Skip("no tools configured".into()) };
    let sandboxer = match tools.program("landlocked-sandboxer") {
        Ok(p) => p,
        Err(outcome) => return outcome,
    };
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let setup = scenarios::Setup {
        sandboxer,
        probe: tools.probe.clone(),
        exec_paths: tools.probe_needs.clone(),
        scratch: std::env::temp_dir().join(format!("llconf-sbx-{}-{seq}", std::process::id())),
        abi: kernel.support.abi().map(|a| a.version()),
    };
    if let Err(e) = setup.prepare() {
        return Outcome::Fail(format!("scratch: {e}"));
    }
    let result = scenario(&setup);
    setup.clean();
    match result {
        Ok(scenarios::Outcome::Pass) => Outcome::Pass,
        Ok(scenarios::Outcome::Skip(why)) => Outcome::Skip(why),
        Err(why) => Outcome::Fail(why),
    }
}

pub fn cases() -> Vec<Case> {
    scenarios::ALL
        .iter()
        .map(|&(name, scenario)| Case::new(format!("sandboxer.{name}"), move |k| run(k, scenario)))
        .collect()
}
