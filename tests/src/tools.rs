//! Where the programs under test are: the `landlocked` command, the static sandboxer, and the
//! probe that performs one operation inside a sandbox (this suite's own binary, see
//! [`crate::cases::run_probe_if_asked`]).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The programs the command-line cases run.
#[derive(Clone, Debug)]
pub struct Tools {
    /// Holds `landlocked` and `landlocked-sandboxer`.
    pub bin_dir: PathBuf,
    /// A program that acts as the probe when its first argument is the probe flag.
    pub probe: PathBuf,
    /// What the probe needs to run (itself, and its loader and libraries when it is dynamic):
    /// every sandbox in these cases grants them read and execute.
    pub probe_needs: Vec<PathBuf>,
    /// Whether a missing program is a failure (in the guest, where vmtest packs them all) or a
    /// skip (on the host, where `cargo test -p landlocked-conformance` alone does not build them).
    pub required: bool,
}

static TOOLS: OnceLock<Tools> = OnceLock::new();

/// Sets where the programs are; the first call wins.
pub fn set(tools: Tools) {
    let _ = TOOLS.set(tools);
}

/// The programs, as [`set`] said; without a call, no tool is known and those cases skip.
pub fn get() -> Option<&'static Tools> {
    TOOLS.get()
}

impl Tools {
    /// The host's: the binaries cargo built beside `probe` (in `target/debug`), the probe being
    /// a dynamic executable that needs the system's libraries.
    pub fn host(probe: &Path) -> Tools {
        let bin_dir = probe.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut probe_needs = vec![probe.to_path_buf()];
        probe_needs.extend(
            ["/usr", "/lib", "/lib64", "/etc/ld.so.cache"]
                .iter()
                .map(PathBuf::from)
                .filter(|p| p.exists()),
        );
        Tools { bin_dir, probe: probe.to_path_buf(), probe_needs, required: false }
    }

    /// The guest's: everything under `/bin`, the suite (a static program) its own probe.
    pub fn guest() -> Result<Tools, String> {
        let me = std::env::current_exe().map_err(|e| format!("the suite's own path: {e}"))?;
        Ok(Tools {
            bin_dir: "/bin".into(),
            probe: me.clone(),
            probe_needs: vec![me],
            required: true,
        })
    }

    /// The path of program `name`, if it is there.
    pub fn program(&self, name: &str) -> Result<PathBuf, crate::Outcome> {
        let path = self.bin_dir.join(name);
        if path.is_file() {
            Ok(path)
        } else if self.required {
            Err(crate::Outcome::Fail(format!("{} is missing", path.display())))
        } else {
            Err(crate::Outcome::Skip(format!(
                "{} is not built (cargo build --workspace)",
                path.display()
            )))
        }
    }
}
