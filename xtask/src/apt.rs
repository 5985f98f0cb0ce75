//! Debian packages of any suite and architecture, fetched with apt under a private
//! configuration: the system's own apt state is never touched, and the mirror is the one the
//! system already uses (read from its apt sources, never written into the code).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::cache;

/// One (suite, architecture) view of the Debian archive, with its own lists and downloads.
pub struct Apt {
    root: PathBuf,
    suite: String,
    arch: String,
}

/// How old the package lists may be before `apt-get update` runs again.
const LISTS_MAX_AGE: Duration = Duration::from_secs(12 * 3600);

impl Apt {
    /// Prepares the private apt tree for `suite` (`bookworm`, `experimental`, ...) and Debian
    /// architecture `arch` (`amd64`, `arm64`), and refreshes its lists when they are stale.
    pub fn new(suite: &str, arch: &str) -> Result<Apt, String> {
        let root = cache::dir().join("apt").join(format!("{suite}-{arch}"));
        for sub in ["lists/partial", "archives/partial", "debs"] {
            fs::create_dir_all(root.join(sub))
                .map_err(|e| format!("{}: {e}", root.join(sub).display()))?;
        }
        let mirror = system_mirror()?;
        let line =
            format!("deb [arch={arch} signed-by={}] {} {suite} main\n", mirror.keyring, mirror.uri);
        let sources = root.join("sources.list");
        let changed = fs::read_to_string(&sources).ok().as_deref() != Some(line.as_str());
        if changed {
            fs::write(&sources, &line).map_err(|e| format!("{}: {e}", sources.display()))?;
        }
        let apt = Apt { root, suite: suite.to_owned(), arch: arch.to_owned() };
        if changed || apt.lists_are_stale() {
            apt.run("apt-get", &["update"])?;
            fs::write(apt.root.join("updated"), b"").map_err(|e| e.to_string())?;
        }
        Ok(apt)
    }

    fn lists_are_stale(&self) -> bool {
        let stamp = fs::metadata(self.root.join("updated")).and_then(|m| m.modified());
        match stamp {
            Ok(t) => SystemTime::now().duration_since(t).map_or(true, |age| age > LISTS_MAX_AGE),
            Err(_) => true,
        }
    }

    fn options(&self) -> Vec<String> {
        let r = self.root.display();
        vec![
            format!("-oDir::Etc::SourceList={r}/sources.list"),
            "-oDir::Etc::SourceParts=/nonexistent".into(),
            format!("-oDir::State::Lists={r}/lists"),
            format!("-oDir::Cache={r}"),
            format!("-oDir::Cache::Archives={r}/archives"),
            "-oDir::State::status=/dev/null".into(),
            format!("-oAPT::Architecture={}", self.arch),
            format!("-oAPT::Architectures={}", self.arch),
            "-oAPT::Sandbox::User=root".into(),
            "-oAcquire::Retries=3".into(),
            "-qq".into(),
        ]
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(tool);
        cmd.args(self.options()).args(args).current_dir(self.root.join("debs"));
        cmd
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<String, String> {
        let out = self
            .command(tool, args)
            .output()
            .map_err(|e| format!("cannot run {tool} (is this Debian?): {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{tool} {} ({} {}) failed: {}",
                args.join(" "),
                self.suite,
                self.arch,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The candidate version of `package` in this suite.
    pub fn version(&self, package: &str) -> Result<String, String> {
        let out = self.run("apt-cache", &["show", "--no-all-versions", package])?;
        out.lines()
            .find_map(|l| l.strip_prefix("Version: "))
            .map(str::to_owned)
            .ok_or_else(|| format!("no version of {package} in {}", self.suite))
    }

    /// Downloads `package` and unpacks it into a directory of its own, named after its version;
    /// a package already unpacked is not fetched again.
    pub fn unpack(&self, package: &str) -> Result<PathBuf, String> {
        let version = self.version(package)?;
        let dest =
            self.root.join("unpacked").join(format!("{package}_{}", version.replace(':', "%3a")));
        if dest.join(".complete").exists() {
            return Ok(dest);
        }
        let debs = self.root.join("debs");
        clear_debs(&debs)?;
        eprintln!("xtask: downloading {package} {version} ({} {})", self.suite, self.arch);
        self.run("apt-get", &["download", &format!("{package}={version}")])?;
        let deb = find_deb(&debs, package)?;
        let _ = fs::remove_dir_all(&dest);
        fs::create_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        let status = Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(&dest)
            .status()
            .map_err(|e| format!("cannot run dpkg-deb: {e}"))?;
        if !status.success() {
            return Err(format!("dpkg-deb -x {} failed", deb.display()));
        }
        fs::write(dest.join(".complete"), version).map_err(|e| e.to_string())?;
        let _ = fs::remove_file(&deb);
        Ok(dest)
    }
}

fn clear_debs(dir: &Path) -> Result<(), String> {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "deb") {
            let _ = fs::remove_file(path);
        }
    }
    Ok(())
}

fn find_deb(dir: &Path, package: &str) -> Result<PathBuf, String> {
    let prefix = format!("{package}_");
    fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".deb"))
        })
        .ok_or_else(|| format!("apt-get download left no {package}_*.deb in {}", dir.display()))
}

/// The Debian archive the system's apt already uses.
struct Mirror {
    uri: String,
    keyring: String,
}

const DEFAULT_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// Reads the system's apt sources (deb822 `.sources` files and one-line `.list` files) and
/// returns the first Debian archive (not the security archive) they name.
fn system_mirror() -> Result<Mirror, String> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        more.sort();
        files.extend(more);
    }
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let found = match file.extension().and_then(|e| e.to_str()) {
            Some("sources") => parse_deb822(&text),
            Some("list") => parse_one_line(&text),
            _ => continue,
        };
        if let Some(mirror) = found {
            return Ok(mirror);
        }
    }
    Err("no Debian archive found in /etc/apt/sources.list or /etc/apt/sources.list.d".into())
}

fn is_debian_archive(uri: &str, suites: &str) -> bool {
    !uri.contains("security")
        && suites.split_whitespace().any(|s| !s.contains("security"))
        && (uri.contains("debian")
            || suites.split_whitespace().any(|s| {
                ["bullseye", "bookworm", "trixie", "forky", "sid"].iter().any(|c| s.starts_with(c))
            }))
}

fn parse_deb822(text: &str) -> Option<Mirror> {
    for stanza in text.split("\n\n") {
        let field = |name: &str| {
            stanza.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
        };
        let (Some(types), Some(uris), Some(suites)) =
            (field("Types:"), field("URIs:"), field("Suites:"))
        else {
            continue;
        };
        let enabled = field("Enabled:").is_none_or(|v| v != "no");
        if !enabled || !types.split_whitespace().any(|t| t == "deb") {
            continue;
        }
        let uri = uris.split_whitespace().next()?.to_owned();
        if is_debian_archive(&uri, &suites) {
            let keyring = field("Signed-By:")
                .filter(|k| k.starts_with('/'))
                .unwrap_or_else(|| DEFAULT_KEYRING.into());
            return Some(Mirror { uri, keyring });
        }
    }
    None
}

fn parse_one_line(text: &str) -> Option<Mirror> {
    for line in text.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let mut keyring = DEFAULT_KEYRING.to_owned();
        let rest = if let Some(opts) = rest.trim_start().strip_prefix('[') {
            let (opts, after) = opts.split_once(']')?;
            if let Some(k) = opts.split_whitespace().find_map(|o| o.strip_prefix("signed-by=")) {
                keyring = k.to_owned();
            }
            after
        } else {
            rest
        };
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        if is_debian_archive(uri, suite) {
            return Some(Mirror { uri: uri.to_owned(), keyring });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb822_skips_security_and_disabled() {
        let text = "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n\
                    Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n\n\
                    Types: deb deb-src\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n\
                    Signed-By: /etc/keys/debian.gpg\n";
        let m = parse_deb822(text).unwrap();
        assert_eq!(m.uri, "http://mirror.example/debian");
        assert_eq!(m.keyring, "/etc/keys/debian.gpg");
    }

    #[test]
    fn one_line_with_options() {
        let text =
            "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n";
        let m = parse_one_line(text).unwrap();
        assert_eq!(m.uri, "http://m.example/debian");
        assert_eq!(m.keyring, "/k.gpg");
        assert!(parse_one_line("deb http://deb.nodesource.com/node_20.x nodistro main").is_none());
    }
}
