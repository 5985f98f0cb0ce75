//! `cargo xtask static`: the libc-free `landlocked-sandboxer` for x86_64 and aarch64, stripped
//! of its symbols and then of its section headers, into
//! `target/static/<arch>/landlocked-sandboxer`, each checked to be a fully static executable;
//! then the scenarios run against the one this machine can execute.

use std::path::PathBuf;
use std::process::Command;

use crate::elf;
use crate::run::{cargo, project_root, run};

/// `(target triple, directory under target/static, ELF machine)`.
pub const TARGETS: [(&str, &str, u16); 2] = [
    ("x86_64-unknown-linux-musl", "x86_64", elf::EM_X86_64),
    ("aarch64-unknown-linux-musl", "aarch64", elf::EM_AARCH64),
];

/// Where `cargo xtask static` puts the binary for `arch` (`x86_64`, `aarch64`).
pub fn output(arch: &str) -> PathBuf {
    project_root().join("target/static").join(arch).join("landlocked-sandboxer")
}

/// Builds, checks and copies both binaries; returns their paths and sizes.
pub fn build() -> Result<Vec<(PathBuf, u64)>, String> {
    let mut built = Vec::new();
    for (target, arch, machine) in TARGETS {
        let mut cmd = cargo();
        cmd.args(["build", "--locked", "--profile", "static", "-p", "landlocked-sandboxer"]);
        cmd.args(["--target", target]);
        // For this build only (build.rs explains the link arguments it adds itself):
        // - link-self-contained=no: rustc would add musl's crt1.o, whose _start clashes with
        //   ours (and which would call a libc we do not link);
        // - relocation-model=static: code for a position-dependent executable, smaller than PIC;
        // - relro-level=off: no PT_GNU_RELRO header. Only a dynamic loader or a libc's start
        //   code makes that range read-only; the kernel ignores the header, and this binary has
        //   neither (the x86_64 GOT, holding the addresses of memcpy and memset, stays writable
        //   either way);
        // - no jump tables (LLVM's `-min-jump-table-entries`): in a position-dependent x86_64
        //   binary each entry is an 8-byte address, and the sandboxer's matches (on errors, on
        //   the ABI version) cost 0.4 KiB more as tables than as compare chains. No effect on
        //   aarch64, where LLVM builds them without tables anyway;
        // - rust-lld for both targets: it packs the segments of a small file tightly, where
        //   GNU ld pads each one to a page.
        let flags = [
            "-Clink-self-contained=no",
            "-Crelocation-model=static",
            "-Crelro-level=off",
            "-Cllvm-args=-min-jump-table-entries=1000",
        ];
        cmd.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
        let linker_var = format!("CARGO_TARGET_{}_LINKER", target.to_uppercase().replace('-', "_"));
        cmd.env(linker_var, "rust-lld");
        run(&mut cmd)?;

        let from = project_root().join("target").join(target).join("static/landlocked-sandboxer");
        let mut bytes = std::fs::read(&from).map_err(|e| format!("{}: {e}", from.display()))?;
        elf::check_static(&bytes, machine).map_err(|e| format!("{}: {e}", from.display()))?;
        // The section headers go too (cargo's copy keeps them, for objdump).
        let linked = bytes.len();
        elf::strip_sections(&mut bytes).map_err(|e| format!("{}: {e}", from.display()))?;
        elf::check_static(&bytes, machine).map_err(|e| format!("{}: {e}", from.display()))?;
        let to = output(arch);
        std::fs::create_dir_all(to.parent().unwrap()).map_err(|e| e.to_string())?;
        std::fs::write(&to, &bytes).map_err(|e| format!("{}: {e}", to.display()))?;
        let mode = std::fs::metadata(&from).map_err(|e| format!("{}: {e}", from.display()))?;
        std::fs::set_permissions(&to, mode.permissions())
            .map_err(|e| format!("{}: {e}", to.display()))?;
        eprintln!(
            "xtask: {} ({} bytes, static, stripped; {linked} with its section headers)",
            to.display(),
            bytes.len()
        );
        built.push((to, bytes.len() as u64));
    }
    Ok(built)
}

/// `cargo xtask static`: build both, then run the scenarios against the host's architecture.
pub fn command(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`xtask static` takes no argument, got `{arg}`"));
    }
    build()?;
    let host = if cfg!(target_arch = "x86_64") { "x86_64" } else { "aarch64" };
    run(Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["test", "--locked", "-p", "landlocked-sandboxer", "--test", "sandboxer"])
        .env("LANDLOCKED_SANDBOXER", output(host)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binaries `cargo xtask static` left (`cargo xtask test` builds them before the
    /// tests run; by hand, run `cargo xtask static` first).
    #[test]
    fn built_binaries_are_fully_static() {
        for (_, arch, machine) in TARGETS {
            let path = output(arch);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| {
                panic!("{}: {e} (build it with cargo xtask static)", path.display())
            });
            if let Err(e) = elf::check_static(&bytes, machine) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}
