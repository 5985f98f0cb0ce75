//! `cargo xtask fuzz-smoke`: a short run of every fuzz target, enough to catch a parser that
//! panics on the seeds or on what libFuzzer finds in a few seconds.
//!
//! cargo-fuzz needs nightly features (`-Z sanitizer`); on the stable toolchain
//! `RUSTC_BOOTSTRAP=1` enables them. libFuzzer itself is built by `libfuzzer-sys` with the C++
//! compiler.

use std::path::Path;
use std::process::Command;

use crate::run::{project_root, run};

/// The targets, each with its seed corpus in `fuzz/seeds/<target>`.
const TARGETS: [&str; 3] = ["policy_file", "ll_env", "negotiate"];

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Installs cargo-fuzz from crates.io unless it is already there.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let installed = cargo().args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if installed {
        return Ok(());
    }
    run(cargo().args(["install", "cargo-fuzz", "--locked"]))
}

pub fn smoke(args: &[String]) -> Result<(), String> {
    let seconds: u32 = match args {
        [] => 30,
        [s] => s.parse().map_err(|_| format!("`{s}` is not a number of seconds"))?,
        _ => return Err("usage: cargo xtask fuzz-smoke [SECONDS]".into()),
    };
    ensure_cargo_fuzz()?;
    let root = project_root();
    for target in TARGETS {
        // New inputs go to a scratch corpus under target/, never into the seeds.
        let corpus = root.join("target").join("fuzz-corpus").join(target);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
        let seeds = Path::new("fuzz").join("seeds").join(target);
        run(cargo()
            .args(["fuzz", "run", target])
            .arg(&corpus)
            .arg(&seeds)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048")
            .env("RUSTC_BOOTSTRAP", "1"))?;
    }
    eprintln!("xtask: fuzz smoke run passed ({} targets, {seconds} s each)", TARGETS.len());
    Ok(())
}
