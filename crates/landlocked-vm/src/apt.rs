//! Debian packages of any suite and architecture, fetched with apt under a private
//! configuration: the system's own apt state is never touched, and the mirror is the one the
//! system already uses (read from its apt sources, never written into the code).

use std::cmp::Ordering;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::cache;
use crate::sources;

/// One (suite, architecture) view of the Debian archive, with its own lists and downloads.
#[derive(Debug)]
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
        let sources = sources::system();
        let mirror = sources.debian_archive()?;
        let line = format!(
            "deb [arch={arch} signed-by={}] {} {suite} main\n",
            mirror.keyring(),
            mirror.uri
        );
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

    /// The names of the packages whose name matches the POSIX regular expression `regex`,
    /// with their candidate versions, in the index's order.
    pub fn search(&self, regex: &str) -> Result<Vec<(String, String)>, String> {
        let out = self.run("apt-cache", &["search", "--names-only", regex])?;
        let names: Vec<&str> = out.lines().filter_map(|l| l.split_whitespace().next()).collect();
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec!["show", "--no-all-versions"];
        args.extend(&names);
        let shown = self.run("apt-cache", &args)?;
        Ok(parse_stanza_versions(&shown))
    }

    /// The suite, as given to [`Apt::new`].
    pub fn suite(&self) -> &str {
        &self.suite
    }

    /// Downloads `package` at `version` into this tree's download directory (emptied first)
    /// and returns the `.deb`; the caller removes it when done.
    pub fn download(&self, package: &str, version: &str) -> Result<PathBuf, String> {
        let debs = self.root.join("debs");
        clear_debs(&debs)?;
        crate::errln!(
            "landlocked-vm: downloading {package} {version} ({} {})",
            self.suite,
            self.arch
        );
        self.run("apt-get", &["download", &format!("{package}={version}")])?;
        find_deb(&debs, package)
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
        let deb = self.download(package, &version)?;
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

/// `(Package, Version)` of each stanza of `apt-cache show` output.
fn parse_stanza_versions(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut package = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("Package: ") {
            package = Some(p.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("Version: ") {
            if let Some(p) = package.take() {
                found.push((p, v.trim().to_owned()));
            }
        } else if line.is_empty() {
            package = None;
        }
    }
    found
}

/// Compares two Debian version strings (`[epoch:]upstream[-revision]`) as dpkg does.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn split(v: &str) -> (u64, &str, &str) {
        let (epoch, rest) = match v.split_once(':') {
            Some((e, rest)) if e.bytes().all(|c| c.is_ascii_digit()) => {
                (e.parse().unwrap_or(0), rest)
            }
            _ => (0, v),
        };
        match rest.rsplit_once('-') {
            Some((upstream, revision)) => (epoch, upstream, revision),
            None => (epoch, rest, ""),
        }
    }
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb).then_with(|| compare_part(ua, ub)).then_with(|| compare_part(ra, rb))
}

/// dpkg's `verrevcmp`: alternating runs of non-digits (compared character by character, `~`
/// before everything, even the end; letters before other characters) and digits (numerically).
fn compare_part(a: &str, b: &str) -> Ordering {
    fn order(c: Option<u8>) -> i32 {
        match c {
            None => 0,
            Some(b'~') => -1,
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_ascii_alphabetic() => i32::from(c),
            Some(c) => i32::from(c) + 256,
        }
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ca, cb) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ca != cb {
                return ca.cmp(&cb);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_like_dpkg() {
        use Ordering::*;
        for (a, b, want) in [
            ("5.10.223-1", "5.10.218-1", Greater),
            ("6.12.117-1", "6.12.107-1", Greater),
            ("7.3~rc7-1~exp1", "7.3-1", Less),
            ("7.3~rc7-1~exp1", "7.3~rc6-1~exp1", Greater),
            ("1:1.0", "2.0", Greater),
            ("1.0-1", "1.0-1", Equal),
            ("1.0", "1.0-0", Equal),
            ("1.0a", "1.0+", Less),
            ("1.0", "1.0.1", Less),
            ("6.1.158-1", "6.1.99-1", Greater),
            ("1.01", "1.1", Equal),
        ] {
            assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn stanza_versions() {
        let text = "Package: a\nVersion: 1\nSize: 3\n\nPackage: b\nSource: x (2)\nVersion: 2-1\n";
        assert_eq!(
            parse_stanza_versions(text),
            [("a".to_owned(), "1".to_owned()), ("b".to_owned(), "2-1".to_owned())]
        );
    }
}
