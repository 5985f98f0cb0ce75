//! The tables printed after a run: kernels, then cases by kernel.

use std::fmt::Write as _;

use crate::kernels;
use crate::protocol::CaseResult;

use super::{Accel, Outcome};

/// The per-kernel table, the kernel-by-case table, and the problems of each failed kernel.
pub fn render(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let expect = |o: &Outcome| o.kernel.expect.map_or("(unchecked)".to_owned(), short_expect);
    let reported = |o: &Outcome| {
        o.report.summary.as_ref().map_or("-".to_owned(), |s| match s.abi {
            Some(abi) if s.support == "available" => format!("abi {abi}"),
            Some(abi) => format!("{} abi {abi}", s.support),
            None => s.support.clone(),
        })
    };
    let _ = writeln!(
        out,
        "\n{:>2}  {:<8} {:<21} {:<25} {:<12} {:<12} {:>4} {:>4} {:>4} {:>7}  result",
        "#", "arch", "kernel", "release", "expected", "reported", "pass", "fail", "skip", "time"
    );
    for (i, o) in outcomes.iter().enumerate() {
        let count = |word| o.report.cases.iter().filter(|(_, r)| r.word() == word).count();
        let accel = if o.accel == Accel::Kvm { " kvm" } else { "" };
        let _ = writeln!(
            out,
            "{:>2}  {:<8} {:<21} {:<25} {:<12} {:<12} {:>4} {:>4} {:>4} {:>6.1}s  {}{accel}",
            i + 1,
            o.kernel.arch.name(),
            o.kernel.name,
            o.report.release.as_deref().unwrap_or("-"),
            expect(o),
            reported(o),
            count("pass"),
            count("fail"),
            count("skip"),
            o.elapsed.as_secs_f64(),
            if o.problems.is_empty() { "ok" } else { "FAIL" },
        );
    }
    let mut names: Vec<&str> = Vec::new();
    for o in outcomes {
        for (name, _) in &o.report.cases {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    if names.is_empty() {
        let _ = writeln!(out, "\n(no case lines: the suite has no cases yet)");
    } else {
        let width = names.iter().map(|n| n.len()).max().unwrap_or(4).max(4);
        let _ = write!(out, "\n{:<width$}", "case");
        for i in 0..outcomes.len() {
            let _ = write!(out, " {:>4}", i + 1);
        }
        out.push('\n');
        for name in names {
            let _ = write!(out, "{name:<width$}");
            for o in outcomes {
                let cell = match o.report.cases.iter().find(|(n, _)| n == name) {
                    Some((_, CaseResult::Pass)) => "pass",
                    Some((_, CaseResult::Fail(_))) => "FAIL",
                    Some((_, CaseResult::Skip(_))) => "skip",
                    None => "-",
                };
                let _ = write!(out, " {cell:>4}");
            }
            out.push('\n');
        }
    }
    for (i, o) in outcomes.iter().enumerate().filter(|(_, o)| !o.problems.is_empty()) {
        let _ = writeln!(out, "\n{} {} ({}):", i + 1, o.kernel.id(), o.origin);
        for p in &o.problems {
            let _ = writeln!(out, "  - {p}");
        }
        if o.report.summary.is_none() {
            let _ = writeln!(out, "  last console lines:");
            for line in &o.tail {
                let _ = writeln!(out, "    | {line}");
            }
        }
    }
    out
}

fn short_expect(e: kernels::Expect) -> String {
    match e {
        kernels::Expect::Abi(n) => format!("abi {n}"),
        other => other.support().to_owned(),
    }
}
