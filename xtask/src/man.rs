//! `cargo xtask man [DIR]`: the man pages of `landlocked`, `landlocked-vm` and each of their
//! subcommands,
//! rendered from the same clap declarations the command parses with, into `target/man/` (or
//! DIR).

use std::path::{Path, PathBuf};

use crate::run::project_root;

/// Renders every page into `dir`; returns the files written.
pub fn write_pages(dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut pages = Vec::new();
    for (program, command) in [
        ("landlocked", landlocked_cli::cli::command()),
        ("landlocked-vm", landlocked_vm::cli::command()),
    ] {
        pages.push((String::from(program), command.clone()));
        for sub in command.get_subcommands() {
            let name = format!("{program}-{}", sub.get_name());
            let page = sub.clone().name(&*Box::leak(name.clone().into_boxed_str()));
            pages.push((name, page));
        }
    }
    let mut written = Vec::new();
    for (name, page) in pages {
        let mut out = Vec::new();
        clap_mangen::Man::new(page).render(&mut out).map_err(|e| format!("{name}: {e}"))?;
        let file = dir.join(format!("{name}.1"));
        std::fs::write(&file, out).map_err(|e| format!("{}: {e}", file.display()))?;
        written.push(file);
    }
    Ok(written)
}

pub fn command(args: &[String]) -> Result<(), String> {
    let dir = match args {
        [] => project_root().join("target/man"),
        [dir] => PathBuf::from(dir),
        _ => return Err("usage: cargo xtask man [DIR]".into()),
    };
    for file in write_pages(&dir)? {
        eprintln!("xtask: {}", file.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_subcommand_gets_a_page() {
        let dir = std::env::temp_dir().join(format!("landlocked-man-{}", std::process::id()));
        let files = super::write_pages(&dir).unwrap();
        let names: Vec<String> =
            files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
        for want in [
            "landlocked.1",
            "landlocked-run.1",
            "landlocked-status.1",
            "landlocked-check.1",
            "landlocked-vm.1",
            "landlocked-vm-run.1",
            "landlocked-vm-matrix.1",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} missing from {names:?}");
        }
        let run = std::fs::read_to_string(dir.join("landlocked-run.1")).unwrap();
        assert!(run.contains("unrestricted\\-network") && run.contains("LL_FS_RO"), "{run}");
        let vm = std::fs::read_to_string(dir.join("landlocked-vm-run.1")).unwrap();
        assert!(vm.contains("HOST:GUEST") && vm.contains("LANDLOCKED_VM_INIT"), "{vm}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
