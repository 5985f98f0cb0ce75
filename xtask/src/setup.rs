//! `cargo xtask setup`, the first step of `cargo xtask test`: what the tests need on this
//! machine, found missing and installed, idempotently.
//!
//! - The Rust targets and components that `rust-toolchain.toml` names, added with rustup. rustup
//!   may add them by itself when it reads that file, but not when its automatic installation is
//!   off (`RUSTUP_AUTO_INSTALL=0`), so they are checked here either way.
//! - Debian's packages: gcc and the C library headers (the uapi header test), g++ (libFuzzer),
//!   the kernel build tools (the manifest's `built-*` kernels, arm64 cross-compiled) and QEMU.
//!   On bookworm QEMU comes from `bookworm-backports`, whose 10.0 is what these machines already
//!   ship as `qemu-utils` (plain bookworm's 7.2 `qemu-system-*` conflicts with it); the suite is
//!   added beside the system's own Debian source, with the same URI and key.
//!
//! As root on Debian what is missing is installed, said in one line first. Otherwise nothing is
//! changed and the set-up fails with one line naming the exact command that would install it.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::run::project_root;
use crate::sources::{self, Sources};

/// A Debian package a test needs, and why.
struct Need {
    package: &'static str,
    /// The command whose presence stands for the package, for a tool that may have been
    /// installed some other way (QEMU built from source): found in `PATH`, the package is not
    /// needed.
    command: Option<&'static str>,
    /// Taken from the backports suite on a release that has one for it.
    backports: bool,
}

const fn pkg(package: &'static str) -> Need {
    Need { package, command: None, backports: false }
}

const fn qemu(package: &'static str, command: &'static str) -> Need {
    Need { package, command: Some(command), backports: true }
}

const NEEDS: &[Need] = &[
    // The uapi header test compiles a C program against the kernel's header.
    pkg("gcc"),
    pkg("libc6-dev"),
    // libfuzzer-sys builds libFuzzer (fuzz smoke run).
    pkg("g++"),
    // `kernels build`, for the manifest's built-* kernels: Kbuild, its host tools, and Debian's
    // linux-source-X.Y, a .tar.xz.
    pkg("make"),
    pkg("flex"),
    pkg("bison"),
    pkg("bc"),
    pkg("libelf-dev"),
    pkg("libssl-dev"),
    pkg("xz-utils"),
    pkg("gcc-aarch64-linux-gnu"),
    // landlocked-vm's tests: a dynamic aarch64 program, its libraries from the cross sysroot.
    pkg("libc6-dev-arm64-cross"),
    // vmtest.
    qemu("qemu-system-x86", "qemu-system-x86_64"),
    qemu("qemu-system-arm", "qemu-system-aarch64"),
];

/// The backports suite QEMU comes from on a Debian release, if any: bookworm's own 7.2 conflicts
/// with the 10.0 `qemu-utils` of the machines this runs on, and boots the newest kernels less
/// well. Later releases carry a recent QEMU themselves.
fn qemu_suite(codename: &str) -> Option<String> {
    (codename == "bookworm").then(|| format!("{codename}-backports"))
}

/// The packages of `wanted` that `dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n'` does not
/// show installed (`ii`). dpkg-query prints nothing for a package it has never heard of (and
/// exits 1): that one is missing too. A multi-arch package installed for any architecture counts.
fn not_installed<'a>(wanted: &[&'a str], dpkg_query: &str) -> Vec<&'a str> {
    let installed: BTreeSet<&str> = dpkg_query
        .lines()
        .filter_map(|l| {
            let (status, name) = l.split_once(' ')?;
            let name = name.trim();
            (status.trim() == "ii").then(|| name.split(':').next().unwrap_or(name))
        })
        .collect();
    wanted.iter().copied().filter(|p| !installed.contains(p)).collect()
}

/// What this machine lacks.
#[derive(Debug, Default, PartialEq, Eq)]
struct Missing {
    targets: Vec<String>,
    components: Vec<String>,
    /// From the release's own suites.
    packages: Vec<&'static str>,
    /// From `backports` (when set), else with the others.
    backported: Vec<&'static str>,
    backports: Option<String>,
    /// The sources file to write, with its content, when the backports suite is not in apt yet.
    new_source: Option<(String, String)>,
}

impl Missing {
    fn debian_is_complete(&self) -> bool {
        self.packages.is_empty() && self.backported.is_empty()
    }

    /// The one line that says what is about to be installed.
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.targets.is_empty() {
            parts.push(format!("Rust targets {}", self.targets.join(" ")));
        }
        if !self.components.is_empty() {
            parts.push(format!("Rust components {}", self.components.join(" ")));
        }
        if !self.packages.is_empty() {
            parts.push(format!("Debian packages {}", self.packages.join(" ")));
        }
        if !self.backported.is_empty() {
            let from = self.backports.as_deref().unwrap_or("the release");
            let added = if self.new_source.is_some() { ", added to apt" } else { "" };
            parts.push(format!("{} from {from}{added}", self.backported.join(" ")));
        }
        parts.join("; ")
    }

    /// The apt commands that install the Debian part, in order, as argument lists.
    fn apt_commands(&self) -> Vec<Vec<String>> {
        let install = |suite: Option<&str>, packages: &[&str]| {
            let mut cmd: Vec<String> =
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends"]
                    .map(Into::into)
                    .into();
            if let Some(suite) = suite {
                cmd.extend(["-t".into(), suite.into()]);
            }
            cmd.extend(packages.iter().map(|p| p.to_string()));
            cmd
        };
        let mut cmds = vec![["apt-get", "update", "-qq"].map(Into::into).to_vec()];
        if !self.packages.is_empty() {
            cmds.push(install(None, &self.packages));
        }
        if !self.backported.is_empty() {
            cmds.push(install(self.backports.as_deref(), &self.backported));
        }
        cmds
    }

    /// One shell command line that does what [`install_debian`] would, for a user who is not
    /// root: to be pasted as it is.
    fn root_command(&self) -> String {
        let mut steps = Vec::new();
        if let Some((path, text)) = &self.new_source {
            steps.push(format!("printf '{}' > {path}", text.replace('\n', "\\n")));
        }
        steps.extend(self.apt_commands().iter().map(|c| c.join(" ")));
        format!("sudo sh -ec \"{}\"", steps.join("; "))
    }
}

/// The targets and components `rust-toolchain.toml` names.
fn toolchain_file(text: &str) -> Result<(Vec<String>, Vec<String>), String> {
    use toml::de::{DeTable, DeValue};
    let table =
        DeTable::parse(text).map_err(|e| format!("rust-toolchain.toml: {}", e.message()))?;
    let Some(DeValue::Table(toolchain)) = table.get_ref().get("toolchain").map(|v| v.get_ref())
    else {
        return Err("rust-toolchain.toml has no [toolchain] table".into());
    };
    let list = |key: &str| -> Result<Vec<String>, String> {
        match toolchain.get(key).map(|v| v.get_ref()) {
            None => Ok(Vec::new()),
            Some(DeValue::Array(items)) => items
                .iter()
                .map(|i| match i.get_ref() {
                    DeValue::String(s) => Ok(s.to_string()),
                    _ => Err(format!("rust-toolchain.toml: `{key}` must list strings")),
                })
                .collect(),
            Some(_) => Err(format!("rust-toolchain.toml: `{key}` must be an array")),
        }
    };
    Ok((list("targets")?, list("components")?))
}

/// The names of `rustup {target,component} list --installed` without their host suffix
/// (`clippy-x86_64-unknown-linux-gnu` is `clippy`); a target's name is kept whole.
fn rustup_missing(wanted: &[String], installed: &str, host: &str) -> Vec<String> {
    let suffix = format!("-{host}");
    let have: BTreeSet<&str> = installed
        .lines()
        .map(str::trim)
        .flat_map(|l| [l, l.strip_suffix(suffix.as_str()).unwrap_or(l)])
        .collect();
    wanted.iter().filter(|w| !have.contains(w.as_str())).cloned().collect()
}

fn output(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{cmd:?}").replace('"', "");
    let out = cmd.output().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{shown}` failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn rustup(args: &[&str]) -> Command {
    let mut cmd = Command::new("rustup");
    cmd.args(args).current_dir(project_root());
    cmd
}

fn rust_missing(missing: &mut Missing) -> Result<(), String> {
    let path = project_root().join("rust-toolchain.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (targets, components) = toolchain_file(&text)?;
    let host = output(Command::new("rustc").args(["--print", "host-tuple"]))
        .or_else(|_| {
            // rustc before 1.84 has no host-tuple.
            output(Command::new("rustc").arg("-vV")).map(|v| {
                v.lines().find_map(|l| l.strip_prefix("host: ")).unwrap_or_default().to_owned()
            })
        })?
        .trim()
        .to_owned();
    if Command::new("rustup").arg("--version").output().is_err() {
        // A toolchain without rustup: its sysroot tells the targets; components cannot be added.
        let sysroot = output(Command::new("rustc").args(["--print", "sysroot"]))?;
        let rustlib = Path::new(sysroot.trim()).join("lib/rustlib");
        missing.targets = targets.into_iter().filter(|t| !rustlib.join(t).is_dir()).collect();
        if !missing.targets.is_empty() {
            return Err(format!(
                "the Rust targets {} are missing from {} and there is no rustup to add them",
                missing.targets.join(" "),
                rustlib.display()
            ));
        }
        return Ok(());
    }
    let installed = output(&mut rustup(&["target", "list", "--installed"]))?;
    missing.targets = rustup_missing(&targets, &installed, &host);
    let installed = output(&mut rustup(&["component", "list", "--installed"]))?;
    missing.components = rustup_missing(&components, &installed, &host);
    Ok(())
}

/// The release's codename (`VERSION_CODENAME` of `/etc/os-release`), if this is Debian.
fn debian_codename(os_release: &str) -> Option<String> {
    let field = |name: &str| {
        os_release.lines().find_map(|l| {
            l.strip_prefix(name)?.strip_prefix('=').map(|v| v.trim().trim_matches('"').to_owned())
        })
    };
    let is_debian = field("ID").as_deref() == Some("debian")
        || field("ID_LIKE").is_some_and(|l| l.split_whitespace().any(|w| w == "debian"));
    is_debian.then(|| field("VERSION_CODENAME")).flatten().filter(|c| !c.is_empty())
}

fn on_path(command: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            fs::metadata(dir.join(command)).is_ok_and(|m| {
                use std::os::unix::fs::PermissionsExt;
                m.is_file() && m.permissions().mode() & 0o111 != 0
            })
        })
    })
}

/// Decides the Debian part from the facts gathered: which packages are wanted, what dpkg
/// says is installed, the release and the apt sources.
fn debian_missing(
    missing: &mut Missing,
    codename: &str,
    dpkg_query: &str,
    has_command: impl Fn(&str) -> bool,
    sources: &Sources,
) -> Result<(), String> {
    let wanted: Vec<&Need> =
        NEEDS.iter().filter(|n| !n.command.is_some_and(&has_command)).collect();
    let names: Vec<&str> = wanted.iter().map(|n| n.package).collect();
    let lacking = not_installed(&names, dpkg_query);
    let suite = qemu_suite(codename);
    for need in wanted.iter().filter(|n| lacking.contains(&n.package)) {
        if need.backports && suite.is_some() {
            missing.backported.push(need.package);
        } else {
            missing.packages.push(need.package);
        }
    }
    if missing.backported.is_empty() {
        return Ok(());
    }
    let suite = suite.unwrap_or_default();
    if !sources.has_suite(&suite) {
        let Some(archive) = sources.archive_of(codename) else {
            return Err(format!(
                "{} come from {suite}, and no Debian source of {codename} in apt tells its \
                 mirror: add {suite} to apt, then run this again",
                missing.backported.join(" ")
            ));
        };
        let path = format!("/etc/apt/sources.list.d/{suite}.sources");
        missing.new_source = Some((path, sources::deb822_stanza(archive, &suite)));
    }
    missing.backports = Some(suite);
    Ok(())
}

fn effective_uid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs an apt command quietly: dpkg's progress is shown only when it fails.
fn run_quiet(argv: &[String]) -> Result<(), String> {
    let shown = argv.join(" ");
    eprintln!("xtask: $ {shown}");
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    let tail: Vec<&str> = log.lines().rev().take(40).collect();
    for line in tail.iter().rev() {
        eprintln!("  {line}");
    }
    Err(format!("`{shown}` failed ({})", out.status))
}

fn install_debian(missing: &Missing) -> Result<(), String> {
    if let Some((path, text)) = &missing.new_source {
        fs::write(path, text).map_err(|e| format!("cannot write {path}: {e}"))?;
        eprintln!("xtask: wrote {path} (the same mirror and key as the system's own source)");
    }
    for argv in missing.apt_commands() {
        run_quiet(&argv)?;
    }
    Ok(())
}

/// Checks everything and installs what is missing (see the module's documentation).
pub fn ensure() -> Result<(), String> {
    // The Rust part needs no root: rustup installs into the user's own toolchain.
    let mut rust = Missing::default();
    rust_missing(&mut rust)?;
    if rust != Missing::default() {
        eprintln!("xtask: set-up: installing {}", rust.describe());
        for (kind, names) in [("target", &rust.targets), ("component", &rust.components)] {
            if !names.is_empty() {
                let mut args = vec![kind, "add"];
                args.extend(names.iter().map(String::as_str));
                crate::run::run(&mut rustup(&args))?;
            }
        }
    }

    let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
    let Some(codename) = debian_codename(&os_release) else {
        let lacking: Vec<&str> =
            NEEDS.iter().filter_map(|n| n.command).filter(|c| !on_path(c)).collect();
        if lacking.is_empty() {
            return Ok(());
        }
        return Err(format!(
            "not Debian, and {} not found: install QEMU, gcc, g++, make, flex, bison, bc, the \
             libelf and OpenSSL headers, xz and an aarch64 cross gcc, then run this again",
            lacking.join(" ")
        ));
    };
    let names: Vec<&str> = NEEDS.iter().map(|n| n.package).collect();
    // dpkg-query exits 1 when some package is unknown: its output is read all the same.
    let dpkg = Command::new("dpkg-query")
        .args(["-W", "-f", "${db:Status-Abbrev} ${Package}\n"])
        .args(&names)
        .output()
        .map_err(|e| format!("cannot run dpkg-query: {e}"))?;
    let listed = String::from_utf8_lossy(&dpkg.stdout);
    let mut debian = Missing::default();
    debian_missing(&mut debian, &codename, &listed, on_path, &sources::system())?;
    if debian.debian_is_complete() {
        return Ok(());
    }
    if effective_uid() != Some(0) {
        return Err(format!(
            "missing {}; install them as root: {}",
            debian.describe(),
            debian.root_command()
        ));
    }
    eprintln!("xtask: set-up: installing {}", debian.describe());
    install_debian(&debian)
}

/// `cargo xtask setup`.
pub fn command(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`xtask setup` takes no argument, got `{arg}`"));
    }
    ensure()?;
    eprintln!("xtask: set-up complete: nothing the tests need is missing");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::Source;

    fn bookworm_sources(with_backports: bool) -> Sources {
        let mut list = vec![
            Source {
                uri: "http://deb.debian.org/debian-security".into(),
                suites: vec!["bookworm-security".into()],
                signed_by: None,
            },
            Source {
                uri: "http://deb.debian.org/debian".into(),
                suites: vec!["bookworm".into(), "bookworm-updates".into()],
                signed_by: Some(sources::DEFAULT_KEYRING.into()),
            },
        ];
        if with_backports {
            list.push(Source {
                uri: "http://deb.debian.org/debian".into(),
                suites: vec!["bookworm-backports".into()],
                signed_by: None,
            });
        }
        Sources(list)
    }

    #[test]
    fn unknown_and_removed_packages_are_missing() {
        // Not installed (un), removed with its configuration left (rc), half installed (iF).
        let listed = "ii  gcc\nrc  flex\nun  bison\niF  bc\nii  libssl-dev:amd64\n";
        assert_eq!(
            not_installed(&["gcc", "flex", "bison", "bc", "libssl-dev", "never-heard-of"], listed),
            ["flex", "bison", "bc", "never-heard-of"]
        );
        // dpkg-query printed nothing at all: everything is missing.
        assert_eq!(not_installed(&["gcc"], ""), ["gcc"]);
    }

    #[test]
    fn qemu_comes_from_backports_on_bookworm_only() {
        assert_eq!(qemu_suite("bookworm").as_deref(), Some("bookworm-backports"));
        assert_eq!(qemu_suite("trixie"), None);
        assert_eq!(qemu_suite("sid"), None);
    }

    #[test]
    fn a_fresh_bookworm_gets_the_backports_source_and_two_installs() {
        let mut m = Missing::default();
        debian_missing(&mut m, "bookworm", "ii  gcc\n", |_| false, &bookworm_sources(false))
            .unwrap();
        assert!(m.packages.contains(&"flex") && !m.packages.contains(&"gcc"));
        assert!(!m.packages.iter().any(|p| p.starts_with("qemu")));
        assert_eq!(m.backported, ["qemu-system-x86", "qemu-system-arm"]);
        assert_eq!(m.backports.as_deref(), Some("bookworm-backports"));
        let (path, text) = m.new_source.clone().unwrap();
        assert_eq!(path, "/etc/apt/sources.list.d/bookworm-backports.sources");
        assert!(text.contains("URIs: http://deb.debian.org/debian\n"), "{text}");
        assert!(text.contains(&format!("Signed-By: {}\n", sources::DEFAULT_KEYRING)));
        let cmds = m.apt_commands();
        assert_eq!(cmds[0].join(" "), "apt-get update -qq");
        assert!(cmds[1].contains(&"flex".to_string()) && !cmds[1].contains(&"-t".to_string()));
        assert!(
            cmds[2].join(" ").ends_with("-t bookworm-backports qemu-system-x86 qemu-system-arm")
        );
        let line = m.root_command();
        assert!(!line.contains('\n'), "{line}");
        assert!(line.starts_with("sudo sh -ec \"printf 'Types: deb\\nURIs: "), "{line}");
    }

    #[test]
    fn nothing_is_written_or_installed_when_all_is_there() {
        let all = NEEDS.iter().map(|n| format!("ii  {}\n", n.package)).collect::<String>();
        let mut m = Missing::default();
        debian_missing(&mut m, "bookworm", &all, |_| false, &bookworm_sources(false)).unwrap();
        assert_eq!(m, Missing::default());
        // QEMU on PATH from elsewhere, backports already in apt: no new source either.
        let mut m = Missing::default();
        debian_missing(&mut m, "bookworm", "", |_| true, &bookworm_sources(true)).unwrap();
        assert!(m.backported.is_empty() && m.new_source.is_none());
        let mut m = Missing::default();
        debian_missing(&mut m, "bookworm", "", |_| false, &bookworm_sources(true)).unwrap();
        assert_eq!(m.backported.len(), 2);
        assert_eq!(m.new_source, None);
    }

    #[test]
    fn later_releases_take_qemu_from_their_own_suite() {
        let mut m = Missing::default();
        debian_missing(&mut m, "trixie", "", |_| false, &Sources::default()).unwrap();
        assert!(m.packages.contains(&"qemu-system-arm"));
        assert!(m.backported.is_empty() && m.backports.is_none() && m.new_source.is_none());
    }

    #[test]
    fn bookworm_without_a_debian_source_is_an_error_naming_the_suite() {
        let mut m = Missing::default();
        let e = debian_missing(&mut m, "bookworm", "", |_| false, &Sources::default()).unwrap_err();
        assert!(e.contains("bookworm-backports"), "{e}");
    }

    #[test]
    fn the_toolchain_file_and_rustup_lists() {
        let (targets, components) = toolchain_file(
            "[toolchain]\nchannel = \"stable\"\ntargets = [\"a-musl\", \"b-musl\"]\n\
             components = [\"clippy\"]\n",
        )
        .unwrap();
        assert_eq!(targets, ["a-musl", "b-musl"]);
        assert_eq!(components, ["clippy"]);
        let host = "x86_64-unknown-linux-gnu";
        let installed = "cargo-x86_64-unknown-linux-gnu\nclippy-x86_64-unknown-linux-gnu\n";
        assert!(rustup_missing(&components, installed, host).is_empty());
        assert_eq!(rustup_missing(&["rustfmt".into()], installed, host), ["rustfmt"]);
        assert_eq!(
            rustup_missing(&targets, "a-musl\nx86_64-unknown-linux-gnu\n", host),
            ["b-musl"]
        );
        assert!(toolchain_file("channel = 1").is_err());
        assert!(toolchain_file("[toolchain]\ntargets = \"a\"").is_err());
    }

    #[test]
    fn the_project_toolchain_file_names_both_musl_targets() {
        let text = fs::read_to_string(project_root().join("rust-toolchain.toml")).unwrap();
        let (targets, components) = toolchain_file(&text).unwrap();
        for (target, ..) in crate::static_bin::TARGETS {
            assert!(targets.iter().any(|t| t == target), "{target} missing from {targets:?}");
        }
        for c in ["rustfmt", "clippy"] {
            assert!(components.iter().any(|x| x == c), "{c} missing from {components:?}");
        }
    }

    #[test]
    fn codenames_of_debian_only() {
        let bookworm = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n\
                        VERSION_CODENAME=bookworm\n";
        assert_eq!(debian_codename(bookworm).as_deref(), Some("bookworm"));
        assert_eq!(debian_codename("ID=fedora\nVERSION_CODENAME=\n"), None);
        assert_eq!(
            debian_codename("ID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=noble\n").as_deref(),
            Some("noble")
        );
        assert_eq!(debian_codename(""), None);
    }
}
