//! The guest's initramfs: the static binaries (built for the guest's musl target) and the few
//! directories and the console device an init needs.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::cpio;
use crate::kernels::Arch;
use crate::run::{cargo, run};
use crate::static_bin;

use super::{target_dir, vmtest_dir};

/// A static binary packed into the initramfs.
#[derive(Clone, Copy, Debug)]
pub struct Agent {
    /// The workspace package that builds it.
    pub package: &'static str,
    /// The binary's name in that package.
    pub bin: &'static str,
    /// Where it goes in the guest, relative to `/`.
    pub path: &'static str,
}

/// Every binary of the guest built in release mode for the guest's musl target: the suite as
/// `/init` (also the probe its command-line cases run inside sandboxes), and the `landlocked`
/// command, which the suite finds under `/bin`. The static sandboxer joins them from
/// `cargo xtask static` ([`STATIC_SANDBOXER`]).
pub const AGENTS: &[Agent] = &[
    Agent { package: "landlocked-conformance", bin: "landlocked-init", path: "init" },
    Agent { package: "landlocked-cli", bin: "landlocked", path: "bin/landlocked" },
];

/// Where the libc-free sandboxer goes in the guest; it is built by [`static_bin::build`] with
/// link settings of its own.
const STATIC_SANDBOXER: &str = "bin/landlocked-sandboxer";

/// Directories of the guest's root, besides the parents of the agents' paths.
const ROOT_DIRS: &[&str] = &["bin", "dev", "proc", "sys", "tmp", "root"];

/// Builds every agent for each architecture and writes one initramfs per architecture.
pub(super) fn build_initramfs(arches: &[Arch]) -> Result<BTreeMap<Arch, PathBuf>, String> {
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--locked"]);
    for &arch in arches {
        cmd.args(["--target", arch.rust_target()]);
    }
    let mut packages: Vec<&str> = AGENTS.iter().map(|a| a.package).collect();
    packages.sort();
    packages.dedup();
    for package in packages {
        cmd.args(["-p", package]);
    }
    for agent in AGENTS {
        cmd.args(["--bin", agent.bin]);
    }
    run(&mut cmd)?;
    static_bin::build()?;
    let mut out = BTreeMap::new();
    for &arch in arches {
        let mut files = Vec::new();
        for agent in AGENTS {
            let path = target_dir().join(arch.rust_target()).join("release").join(agent.bin);
            let data = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.push((agent.path, data));
        }
        let sandboxer = static_bin::output(arch.name());
        let data = fs::read(&sandboxer).map_err(|e| format!("{}: {e}", sandboxer.display()))?;
        files.push((STATIC_SANDBOXER, data));
        let bytes = initramfs(&files);
        let dir = vmtest_dir().join(arch.name());
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join("initramfs.cpio");
        fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        out.insert(arch, path);
    }
    Ok(out)
}

/// The guest's root: the usual directories, `/dev/console` (without it `/init` starts with no
/// stdout), and the agents at their paths, executable.
pub fn initramfs(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut dirs: Vec<String> = ROOT_DIRS.iter().map(|d| d.to_string()).collect();
    for (path, _) in files {
        let mut parent = Path::new(path).parent();
        while let Some(p) = parent.filter(|p| !p.as_os_str().is_empty()) {
            dirs.push(p.display().to_string());
            parent = p.parent();
        }
    }
    dirs.sort();
    dirs.dedup();
    let mut w = cpio::Writer::new();
    for dir in &dirs {
        w.dir(dir, 0o755);
    }
    w.char_device("dev/console", 0o600, 5, 1);
    for (path, data) in files {
        w.file(path, 0o755, data);
    }
    w.finish()
}
