//! `cargo xtask test`, the README's test command and all of CI: the set-up (`cargo xtask
//! setup`), the lint gates, every suite (the host's, then the conformance suite on every kernel
//! under QEMU), and a short run of each fuzz target.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::kernels::{self, Fetch};
use crate::{uapi, vmtest};

/// The workspace root (the parent of `xtask/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Runs `cmd` from the project root, failing with its command line if it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    cmd.current_dir(project_root());
    let shown = format!("{cmd:?}").replace('"', "");
    eprintln!("xtask: $ {shown}");
    let status = cmd.status().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{shown}` failed ({status})")) }
}

/// `cargo`, the one running this xtask when there is one.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Every check CI runs, in order; stops at the first failure.
pub fn test(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`xtask test` takes no argument, got `{arg}`"));
    }
    crate::setup::ensure()?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The API documentation's links hold (a renamed item must not leave a dead link).
    run(cargo()
        .args(["doc", "--no-deps", "--locked", "-p", "landlocked-core", "-p", "landlocked"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    let include = uapi::fetch()?;
    // First, so that the tests also check the static binaries it leaves.
    crate::static_bin::build()?;
    run(cargo()
        .args(["test", "--workspace", "--locked"])
        .env("LANDLOCKED_UAPI_INCLUDE", &include))?;
    for target in ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"] {
        run(cargo().args(["build", "--locked", "-p", "landlocked-core", "--target", target]))?;
    }
    // The conformance suite on every kernel of the manifest, each image first brought up to the
    // newest package of its suite (the index is refreshed at most every 12 hours).
    for kernel in kernels::manifest() {
        kernel.image(Fetch::Newest)?;
    }
    vmtest::vmtest(&vmtest::Options::default())?;
    crate::fuzz::smoke(&[])?;
    eprintln!("xtask: all tests passed");
    Ok(())
}
