//! Link arguments for the binary, which has its own `_start` and uses nothing from the C
//! toolchain.
//!
//! They are given here, for the binary only (`rustc-link-arg-bins`), so that every build of it is
//! the real thing: the host's `cargo build`, the binary the integration tests run, and
//! `cargo xtask static`. Both linkers in use take the same spelling: `cc` (the host, and
//! x86_64-musl) and `rust-lld` in its `ld.lld` flavour (aarch64-musl, `.cargo/config.toml`).
//!
//! - `-nostdlib`: no crt start files (ours is `_start` in `src/start.rs`), no libc, no libgcc.
//! - `-static`: no dynamic section, no `PT_INTERP`.
//! - `-no-pie`: a position-dependent executable, because nothing would apply the run-time
//!   relocations of a static PIE (that is the job of a libc's start code, which we do not have).
//! - `-T discard-unwind.ld`: drops the unwind tables (`.eh_frame`, a tenth of the binary).
//!   Nothing unwinds with panic=abort, yet functions inlined from the precompiled `core` (built
//!   for unwinding) keep their tables whatever `-C force-unwind-tables` says. The script only
//!   adds a `/DISCARD/` rule to the linker's default layout (`INSERT`), which GNU ld and lld
//!   both understand.
//!
//! The musl targets' self-contained crt objects are added by rustc itself, whatever these flags
//! say, so `cargo xtask static` also passes `-C link-self-contained=no` (and
//! `-C relocation-model=static`, for smaller code); see `xtask/src/static_bin.rs`.

/// See the module documentation.
const DISCARD_UNWIND: &str = "\
SECTIONS { /DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) *(.comment) } } INSERT AFTER .text;
";

fn main() {
    for arg in ["-nostdlib", "-static", "-no-pie"] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
    let script =
        std::path::Path::new(&std::env::var_os("OUT_DIR").unwrap()).join("discard-unwind.ld");
    std::fs::write(&script, DISCARD_UNWIND).expect("writing the linker script");
    println!("cargo:rustc-link-arg-bins=-T{}", script.display());
    println!("cargo:rerun-if-changed=build.rs");
    let musl = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "musl");
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if musl && !flags.contains("link-self-contained=no") {
        println!(
            "cargo:warning=a musl build of landlocked-sandboxer needs -C link-self-contained=no \
             (or musl's crt1.o clashes with our _start): build it with `cargo xtask static`"
        );
    }
}
