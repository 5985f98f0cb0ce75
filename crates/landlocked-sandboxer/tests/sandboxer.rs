//! Runs every scenario of `scenarios/mod.rs` against the built sandboxer, on the host's kernel:
//! `cargo test -p landlocked-sandboxer` (set `LANDLOCKED_SANDBOXER` to test another build, such
//! as `target/static/x86_64/landlocked-sandboxer`).
//!
//! Not the libtest harness: this executable is also the probe that the scenarios run inside the
//! sandbox, so it needs its own `main`. Each scenario sandboxes only the process it spawns.
//! Arguments that are not options filter scenarios by name, as with libtest.

mod scenarios;

use std::process::ExitCode;

use scenarios::{ALL, Outcome, Setup};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = scenarios::probe_main(&args) {
        return ExitCode::from(code);
    }
    let filters: Vec<String> = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .filter(|a| !a.starts_with('-'))
        .map(str::to_owned)
        .collect();
    let list = args.iter().any(|a| a == "--list");
    let chosen: Vec<_> = ALL
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    if list {
        for (name, _) in &chosen {
            println!("{name}: test");
        }
        return ExitCode::SUCCESS;
    }

    let setup = Setup::host(env!("CARGO_BIN_EXE_landlocked-sandboxer").as_ref());
    if let Err(e) = setup.prepare() {
        eprintln!("cannot create {}: {e}", setup.scratch.display());
        return ExitCode::FAILURE;
    }
    println!("\nrunning {} tests against {}", chosen.len(), setup.sandboxer.display());
    let landlock = landlocked_core::Kernel::probe().support.abi().is_some();
    let (mut passed, mut failed, mut skipped) = (0, Vec::new(), 0);
    for (name, scenario) in &chosen {
        match scenario(&setup) {
            Ok(Outcome::Pass) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            // On a host with Landlock only the scenario about its absence may skip: any other
            // skip would be a scenario that ran nothing, counted as fine.
            Ok(Outcome::Skip(why)) if *name != "no_landlock_is_an_error" && landlock => {
                println!("test {name} ... FAILED\n    skipped on a kernel with Landlock: {why}");
                failed.push(*name);
            }
            Ok(Outcome::Skip(why)) => {
                println!("test {name} ... skipped: {why}");
                skipped += 1;
            }
            Err(e) => {
                println!("test {name} ... FAILED\n    {e}");
                failed.push(*name);
            }
        }
    }
    setup.clean();
    let status = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {status}. {passed} passed; {} failed; {skipped} ignored; 0 measured; {} \
         filtered out\n",
        failed.len(),
        ALL.len() - chosen.len()
    );
    if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
