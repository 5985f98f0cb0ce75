//! The conformance suite, written once and run two ways: by `cargo test` on the host, and as a
//! static program in QEMU guests (`src/bin/landlocked-conformance.rs`, run by
//! `cargo xtask vmtest` through `landlocked-vm`).
//!
//! Each case performs real operations in a forked, sandboxed child and compares the outcome with
//! what the running kernel's ABI implies.
//!
//! # Output protocol (read by `cargo xtask vmtest`)
//! One line per case, then one summary line, each starting with a marker no kernel message has:
//!
//! ```text
//! landlocked-case <name> pass|fail|skip <detail>
//! landlocked-summary support=<support> abi=<n|none> pass=<n> fail=<n> skip=<n>
//! ```

use std::fmt;

use landlocked_core::{Kernel, Support};

mod cases;
pub mod ops;
pub mod sandbox;
pub mod scratch;
pub mod tools;

pub use cases::run_probe_if_asked;

/// The result of one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The kernel behaved as its ABI implies.
    Pass,
    /// It did not: what was expected and what happened.
    Fail(String),
    /// The case does not apply here (and why).
    Skip(String),
}

/// A conformance case.
pub struct Case {
    /// Unique, without spaces: `fs.read_file.denied`.
    pub name: String,
    /// Runs the case (forking as it needs) on a kernel described by `kernel`.
    pub run: Box<dyn Fn(&Kernel) -> Outcome>,
}

impl Case {
    /// A case named `name` running `run`.
    pub fn new(name: impl Into<String>, run: impl Fn(&Kernel) -> Outcome + 'static) -> Case {
        Case { name: name.into(), run: Box::new(run) }
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Every case of the suite.
pub fn cases() -> Vec<Case> {
    cases::all()
}

/// One protocol line for a case.
pub fn case_line(name: &str, outcome: &Outcome) -> String {
    let (word, detail) = match outcome {
        Outcome::Pass => ("pass", ""),
        Outcome::Fail(d) => ("fail", d.as_str()),
        Outcome::Skip(d) => ("skip", d.as_str()),
    };
    // One line per case whatever the detail holds.
    let detail = detail.replace(['\n', '\r'], " ");
    format!("landlocked-case {name} {word} {detail}").trim_end().to_owned()
}

/// Counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases that passed.
    pub pass: usize,
    /// Cases that failed.
    pub fail: usize,
    /// Cases that did not apply.
    pub skip: usize,
}

/// The protocol's summary line.
pub fn summary_line(kernel: &Kernel, summary: &Summary) -> String {
    let support = match kernel.support {
        Support::NotBuilt => "not-built",
        Support::Disabled => "disabled",
        Support::Available { .. } => "available",
        _ => "unknown",
    };
    let abi = kernel.support.abi().map_or_else(|| "none".to_owned(), |a| a.version().to_string());
    format!(
        "landlocked-summary support={support} abi={abi} pass={} fail={} skip={}",
        summary.pass, summary.fail, summary.skip
    )
}

/// Runs every case whose name starts with `filter`, calling `each` with its protocol line.
pub fn run_all(kernel: &Kernel, filter: &str, mut each: impl FnMut(&str)) -> Summary {
    let mut summary = Summary::default();
    for case in cases().into_iter().filter(|c| c.name.starts_with(filter)) {
        let outcome = (case.run)(kernel);
        match outcome {
            Outcome::Pass => summary.pass += 1,
            Outcome::Fail(_) => summary.fail += 1,
            Outcome::Skip(_) => summary.skip += 1,
        }
        each(&case_line(&case.name, &outcome));
    }
    summary
}
