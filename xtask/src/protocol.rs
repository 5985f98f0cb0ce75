//! The suite's output, read back: the protocol lines of `landlocked-conformance` (documented at the top
//! of `tests/src/lib.rs`), kernel panics, and the verdict against the manifest.

use crate::kernels::Expect;

/// The result of one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseResult {
    /// `pass`.
    Pass,
    /// `fail <detail>`.
    Fail(String),
    /// `skip <detail>`.
    Skip(String),
}

impl CaseResult {
    /// The word of the protocol.
    pub fn word(&self) -> &'static str {
        match self {
            CaseResult::Pass => "pass",
            CaseResult::Fail(_) => "fail",
            CaseResult::Skip(_) => "skip",
        }
    }
}

/// The `landlocked-summary` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// `not-built`, `disabled`, `available` or `unknown`.
    pub support: String,
    /// `None` for `abi=none`.
    pub abi: Option<u32>,
    /// Cases that passed, failed, were skipped.
    pub pass: usize,
    /// See `pass`.
    pub fail: usize,
    /// See `pass`.
    pub skip: usize,
}

impl Summary {
    /// `available abi=6`, `not-built`.
    pub fn landlock(&self) -> String {
        match self.abi {
            Some(abi) => format!("{} abi={abi}", self.support),
            None => self.support.clone(),
        }
    }
}

/// What one boot's console said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The kernel release `/init` read (`6.12.57+deb13-amd64`).
    pub release: Option<String>,
    /// Each case, in the order printed.
    pub cases: Vec<(String, CaseResult)>,
    /// The summary line, if one came.
    pub summary: Option<Summary>,
    /// The first line of a kernel panic.
    pub panic: Option<String>,
    /// Protocol lines that could not be read (malformed, duplicated, after the summary).
    pub garbled: Vec<String>,
}

const CASE: &str = "landlocked-case ";
const SUMMARY: &str = "landlocked-summary ";
const INIT: &str = "landlocked-conformance: kernel ";
const PANIC: &str = "Kernel panic - not syncing";

impl Report {
    /// Reads a whole console.
    #[cfg(test)]
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> Report {
        let mut report = Report::default();
        for line in lines {
            report.line(line);
        }
        report
    }

    /// Takes in one more console line. A marker may follow other output on the same line (a
    /// kernel message printed while `/init` wrote), so it is looked for anywhere in the line.
    pub fn line(&mut self, line: &str) {
        let line = line.trim_end_matches(['\r', '\n']);
        if let Some(at) = line.find(PANIC) {
            if self.panic.is_none() {
                self.panic = Some(line[at..].trim().to_owned());
            }
        } else if let Some(at) = line.find(CASE) {
            let rest = &line[at + CASE.len()..];
            match parse_case(rest) {
                Some(_) if self.summary.is_some() => self.garbled.push(line[at..].to_owned()),
                Some((name, _)) if self.cases.iter().any(|(n, _)| n == name) => {
                    self.garbled.push(format!("{} (duplicate)", &line[at..]));
                }
                Some((name, result)) => self.cases.push((name.to_owned(), result)),
                None => self.garbled.push(line[at..].to_owned()),
            }
        } else if let Some(at) = line.find(SUMMARY) {
            match parse_summary(&line[at + SUMMARY.len()..]) {
                Some(_) if self.summary.is_some() => {
                    self.garbled.push(format!("{} (second summary)", &line[at..]));
                }
                Some(summary) => self.summary = Some(summary),
                None => self.garbled.push(line[at..].to_owned()),
            }
        } else if let Some(at) = line.find(INIT) {
            let release = line[at + INIT.len()..].split_whitespace().next();
            self.release = release.map(str::to_owned);
        }
    }
}

fn parse_case(rest: &str) -> Option<(&str, CaseResult)> {
    let mut parts = rest.splitn(3, ' ');
    let name = parts.next().filter(|n| !n.is_empty())?;
    let word = parts.next()?;
    let detail = parts.next().unwrap_or("").trim().to_owned();
    let result = match word {
        "pass" => CaseResult::Pass,
        "fail" => CaseResult::Fail(detail),
        "skip" => CaseResult::Skip(detail),
        _ => return None,
    };
    Some((name, result))
}

/// `support=... abi=... pass=N fail=N skip=N`, keys in any order; keys unknown here are
/// ignored, so the guest may add some.
fn parse_summary(rest: &str) -> Option<Summary> {
    let (mut support, mut abi, mut pass, mut fail, mut skip) = (None, None, None, None, None);
    for pair in rest.split_whitespace() {
        let (key, value) = pair.split_once('=')?;
        match key {
            "support" => support = Some(value.to_owned()),
            "abi" if value == "none" => abi = Some(None),
            "abi" => abi = Some(Some(value.parse().ok()?)),
            "pass" => pass = Some(value.parse().ok()?),
            "fail" => fail = Some(value.parse().ok()?),
            "skip" => skip = Some(value.parse().ok()?),
            _ => {}
        }
    }
    Some(Summary { support: support?, abi: abi?, pass: pass?, fail: fail?, skip: skip? })
}

/// How a boot ended, as `landlocked-vm` saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The suite exited with this status and the guest powered off.
    Exited(i32),
    /// The guest failed: `landlocked-vm`'s reason (a timeout, a kernel panic, no power-off).
    Guest(String),
}

/// Everything wrong with a boot, given what the kernel was expected to report; empty means the
/// boot passed.
pub fn problems(report: &Report, ending: &Ending, expect: Option<Expect>) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(panic) = &report.panic {
        problems.push(format!("kernel panic: {panic}"));
    }
    let failed = report.cases.iter().any(|(_, r)| matches!(r, CaseResult::Fail(_)));
    match ending {
        Ending::Exited(0) => {}
        // Exit status 1 says that a case failed, which the case lines say better.
        Ending::Exited(1) if failed => {}
        Ending::Exited(code) => problems.push(format!("the suite exited with status {code}")),
        Ending::Guest(why) => problems.push(why.clone()),
    }
    for line in &report.garbled {
        problems.push(format!("unreadable protocol line: {line}"));
    }
    for (name, result) in &report.cases {
        if let CaseResult::Fail(detail) = result {
            problems.push(format!("case {name} failed: {detail}"));
        }
    }
    let Some(summary) = &report.summary else {
        problems.push("no landlocked-summary line: the guest's /init did not finish".into());
        return problems;
    };
    let count = |word: &str| report.cases.iter().filter(|(_, r)| r.word() == word).count();
    let counted = (count("pass"), count("fail"), count("skip"));
    if counted != (summary.pass, summary.fail, summary.skip) {
        problems.push(format!(
            "the summary counts pass={} fail={} skip={} but the console holds {} {} {} case lines",
            summary.pass, summary.fail, summary.skip, counted.0, counted.1, counted.2
        ));
    }
    if let Some(expect) = expect
        && (summary.support != expect.support() || summary.abi != expect.abi())
    {
        let abi = |a: Option<u32>| a.map_or("none".to_owned(), |n| n.to_string());
        problems.push(format!(
            "expected support={} abi={} (the manifest), the guest reported support={} abi={}",
            expect.support(),
            abi(expect.abi()),
            summary.support,
            abi(summary.abi)
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONSOLE: &str = "\
[    0.000000] Linux version 6.12.57+deb13-amd64 (debian-kernel@lists.debian.org)\r
[    1.234567] Run /init as init process\r
landlocked-conformance: kernel 6.12.57+deb13-amd64 landlock available (ABI 6)\r
landlocked-case fs.read.denied pass\r
landlocked-case fs.truncate.denied skip needs ABI 3 or later\r
[    2.000001] random: crng init done landlocked-case net.bind fail expected EACCES, got success\r
landlocked-summary support=available abi=6 pass=1 fail=1 skip=1\r
[    2.500000] reboot: Power down\r
";

    #[test]
    fn parses_cases_summary_and_release() {
        let r = Report::parse(CONSOLE.lines());
        assert_eq!(r.release.as_deref(), Some("6.12.57+deb13-amd64"));
        assert_eq!(
            r.cases,
            [
                ("fs.read.denied".to_owned(), CaseResult::Pass),
                ("fs.truncate.denied".to_owned(), CaseResult::Skip("needs ABI 3 or later".into())),
                ("net.bind".to_owned(), CaseResult::Fail("expected EACCES, got success".into())),
            ]
        );
        let s = r.summary.clone().unwrap();
        assert_eq!(
            (s.support.as_str(), s.abi, s.pass, s.fail, s.skip),
            ("available", Some(6), 1, 1, 1)
        );
        assert!(r.garbled.is_empty() && r.panic.is_none());
        let p = problems(&r, &Ending::Exited(0), Some(Expect::Abi(6)));
        assert_eq!(p, ["case net.bind failed: expected EACCES, got success"]);
    }

    #[test]
    fn a_summary_alone_is_checked_against_the_manifest() {
        let r =
            Report::parse(["landlocked-summary support=not-built abi=none pass=0 fail=0 skip=0"]);
        let ok = Ending::Exited(0);
        assert!(problems(&r, &ok, Some(Expect::NotBuilt)).is_empty());
        assert!(problems(&r, &ok, None).is_empty());
        let p = problems(&r, &ok, Some(Expect::Disabled));
        assert_eq!(
            p,
            ["expected support=disabled abi=none (the manifest), the guest reported \
              support=not-built abi=none"]
        );
        let r = Report::parse(["landlocked-summary support=available abi=10 pass=0 fail=0 skip=0"]);
        assert_eq!(problems(&r, &ok, Some(Expect::Abi(11))).len(), 1);
        assert!(problems(&r, &ok, Some(Expect::Abi(10))).is_empty());
    }

    #[test]
    fn missing_results_are_problems() {
        let r = Report::parse(["[    0.1] Linux version 7.3", "landlocked-case a pass"]);
        let p = problems(
            &r,
            &Ending::Guest("timed out after 120 s (--timeout)".into()),
            Some(Expect::Abi(11)),
        );
        assert_eq!(
            p,
            [
                "timed out after 120 s (--timeout)",
                "no landlocked-summary line: the guest's /init did not finish"
            ]
        );
        let r = Report::parse([
            "[    0.5] Kernel panic - not syncing: VFS: Unable to mount root fs\r",
            "[    0.5] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs ]---",
        ]);
        assert_eq!(
            r.panic.as_deref(),
            Some("Kernel panic - not syncing: VFS: Unable to mount root fs")
        );
        let p = problems(&r, &Ending::Exited(0), None);
        assert_eq!(p.len(), 2);
        assert!(p[0].starts_with("kernel panic: "));
    }

    #[test]
    fn counts_must_agree_and_lines_must_be_readable() {
        let r = Report::parse([
            "landlocked-case a pass",
            "landlocked-case a pass",
            "landlocked-case b maybe",
            "landlocked-summary support=available abi=2 pass=2 fail=0 skip=0",
            "landlocked-case c pass",
        ]);
        assert_eq!(r.cases.len(), 1);
        assert_eq!(r.garbled.len(), 3);
        let p = problems(&r, &Ending::Exited(0), Some(Expect::Abi(2)));
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p[3].contains("pass=2 fail=0 skip=0 but the console holds 1 0 0"), "{p:?}");
    }

    #[test]
    fn summary_keys_in_any_order_and_extra_keys() {
        let s = parse_summary("abi=none skip=0 support=disabled fail=0 pass=0 errata=0").unwrap();
        assert_eq!((s.support.as_str(), s.abi), ("disabled", None));
        assert!(parse_summary("support=available abi=x pass=0 fail=0 skip=0").is_none());
        assert!(parse_summary("support=available pass=0 fail=0 skip=0").is_none());
    }
}
