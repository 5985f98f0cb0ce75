//! The conformance suite as a program: `cargo xtask vmtest` runs it in each guest through
//! `landlocked-vm` (whose `/init` mounts proc, sys, dev and securityfs and brings the loopback
//! interface up) as `landlocked-conformance --guest [FILTER]`; it prints the protocol lines and exits 1
//! when a case failed.

use landlocked_core::Kernel;

fn main() {
    // Inside a sandbox, for the command-line cases: one operation, then out.
    if let Some(code) = landlocked_conformance::run_probe_if_asked() {
        std::process::exit(i32::from(code));
    }
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--guest") {
        args.remove(0);
        match landlocked_conformance::tools::Tools::guest() {
            Ok(tools) => landlocked_conformance::tools::set(tools),
            Err(e) => {
                println!("landlocked-conformance: {e}");
                std::process::exit(2);
            }
        }
    }
    let filter = args.first().cloned().unwrap_or_default();
    let kernel = Kernel::probe();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    println!("landlocked-conformance: kernel {} landlock {}", release.trim(), kernel.support);
    let summary = landlocked_conformance::run_all(&kernel, &filter, |line| println!("{line}"));
    println!("{}", landlocked_conformance::summary_line(&kernel, &summary));
    std::process::exit(i32::from(summary.fail > 0));
}
