//! `cargo xtask bench-sandboxer`: `landlocked-sandboxer` against the kernel's own sample
//! sandboxer built static with musl, with hyperfine: the launch overhead over `/bin/true`, and
//! 2,000 path rules. Also prints both binaries' sizes.
//!
//! The sample's source comes from Debian's `linux-source-7.3` (experimental) at run time and is
//! never kept in the repository; it is built against the Linux 7.3 uapi headers
//! (`cargo xtask uapi`). Needs `musl-gcc` (Debian `musl-tools`) and `hyperfine`.
//!
//! Each benchmark alternates its commands over several short hyperfine rounds and pools every
//! run's time: on a shared machine, one long batch per command lets the load of the moment
//! decide. The JSON of each round is kept in `target/bench/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::apt::Apt;
use crate::run::{project_root, run};
use crate::{cache, static_bin, uapi};

/// Runs one hyperfine round (its command line is not shown: the environment holds 2,000 paths
/// and the rounds are many).
fn bench(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("cannot run hyperfine: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("hyperfine failed ({status})")) }
}

/// How many path rules the second benchmark gives both sandboxers.
const RULES: usize = 2000;

pub fn command(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!("`xtask bench-sandboxer` takes no argument, got `{arg}`"));
    }
    if !cfg!(target_arch = "x86_64") {
        return Err("the benchmark builds the sample for x86_64 only".into());
    }
    for tool in ["musl-gcc", "hyperfine", "strip"] {
        if Command::new(tool).arg("--version").output().is_err() {
            return Err(format!("`{tool}` is missing: apt-get install musl-tools hyperfine"));
        }
    }
    let out = project_root().join("target/bench");
    fs::create_dir_all(&out).map_err(|e| e.to_string())?;

    let ours = static_bin::build()?.remove(0).0;
    let sample = build_sample(&out)?;
    let size = |p: &Path| fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    println!("sizes (stripped, static):");
    println!("  landlocked-sandboxer  {} bytes", size(&ours));
    println!("  kernel sample (musl)  {} bytes", size(&sample));

    // Launch: one path rule ("/"), so that /bin/true and its libraries can run.
    let true_cmd = "/bin/true".to_string();
    let launch = [
        ("/bin/true", true_cmd.clone()),
        ("landlocked-sandboxer /bin/true", format!("{} /bin/true", ours.display())),
        ("sample /bin/true", format!("{} /bin/true", sample.display())),
    ];
    let env = [("LL_FS_RO", Some("/".into())), ("LL_FS_RW", Some(String::new()))];
    let launch = rounds(&out.join("launch"), &env, &launch, &plan(200))?;

    // 2,000 rules: that many directories in LL_FS_RO, then "/" for /bin/true.
    let dirs = std::env::temp_dir().join("llsb-bench");
    let mut list = Vec::with_capacity(RULES + 1);
    for i in 0..RULES {
        let d = dirs.join(format!("{i:04}"));
        fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        list.push(d.display().to_string());
    }
    list.push("/".into());
    let many = [
        ("landlocked-sandboxer, 2001 rules", format!("{} /bin/true", ours.display())),
        ("sample, 2001 rules", format!("{} /bin/true", sample.display())),
    ];
    let env = [("LL_FS_RO", Some(list.join(":"))), ("LL_FS_RW", Some(String::new()))];
    let many = rounds(&out.join("rules"), &env, &many, &plan(50))?;
    let _ = fs::remove_dir_all(&dirs);

    let ms = |s: f64| format!("{:.3} ms", s * 1000.0);
    table(
        &launch.iter().chain(&many).collect::<Vec<_>>(),
        &[
            ("median", &|t| ms(t.quantile(0.5))),
            ("mean", &|t| ms(t.mean())),
            ("min", &|t| ms(t.quantile(0.0))),
            ("90th percentile", &|t| ms(t.quantile(0.9))),
            ("CPU (user+sys)", &|t| ms(t.cpu)),
        ],
    );
    Ok(())
}

/// How a benchmark alternates its commands: `rounds` hyperfine rounds, each with `warmup`
/// unmeasured runs then `runs` measured runs of every command.
pub(crate) struct Plan {
    pub rounds: usize,
    pub runs: u32,
    pub warmup: u32,
}

/// bench-sandboxer's plan: its commands take about a millisecond, so ten rounds with five
/// warm-up runs each cost little.
const fn plan(runs: u32) -> Plan {
    Plan { rounds: 10, runs, warmup: 5 }
}

/// One command's runs, pooled over the rounds.
pub(crate) struct Timed {
    /// Its name in the table.
    pub name: String,
    /// Every run's wall time, in seconds, sorted.
    pub times: Vec<f64>,
    /// The mean CPU time of a run (user and system, its children's included), in seconds.
    pub cpu: f64,
}

impl Timed {
    /// The run at quantile `q` (0 the fastest, 0.5 the median), in seconds.
    pub fn quantile(&self, q: f64) -> f64 {
        self.times[((self.times.len() - 1) as f64 * q) as usize]
    }

    /// The mean run, in seconds.
    pub fn mean(&self) -> f64 {
        self.times.iter().sum::<f64>() / self.times.len() as f64
    }
}

/// A column of [`table`]: its heading and how a row shows in it.
pub(crate) type Column<'a> = (&'a str, &'a dyn Fn(&Timed) -> String);

/// Prints a markdown table: the command, `columns`, then the number of runs.
pub(crate) fn table(rows: &[&Timed], columns: &[Column]) {
    let headings: String = columns.iter().map(|(h, _)| format!(" {h} |")).collect();
    let aligns = "---:|".repeat(columns.len());
    println!("\n| command |{headings} runs |");
    println!("|:---|{aligns}---:|");
    for row in rows {
        let cells: String = columns.iter().map(|(_, cell)| format!(" {} |", cell(row))).collect();
        println!("| `{}` |{cells} {} |", row.name, row.times.len());
    }
}

/// Runs `commands` (name, command line; `env` set in the environment, or removed from it where
/// `None`) under hyperfine as `plan` says, and returns, by command, every run's wall time and
/// the mean CPU time of a run (user and system, which the machine's other load disturbs less).
/// hyperfine runs one command's batch after the other's; on a shared machine whose load drifts,
/// alternating short rounds keeps that drift from favouring whichever command ran in a quiet
/// moment. Each round's JSON is kept as `stem.<round>.json`.
pub(crate) fn rounds(
    stem: &Path,
    env: &[(&str, Option<String>)],
    commands: &[(&str, String)],
    plan: &Plan,
) -> Result<Vec<Timed>, String> {
    let mut all: Vec<Timed> = commands
        .iter()
        .map(|(name, _)| Timed { name: name.to_string(), times: Vec::new(), cpu: 0.0 })
        .collect();
    eprintln!("xtask: hyperfine, {} rounds of {} runs: {}", plan.rounds, plan.runs, stem.display());
    for round in 0..plan.rounds {
        let json = stem.with_extension(format!("{round}.json"));
        let mut cmd = Command::new("hyperfine");
        cmd.args(["-N", "--style", "none", "--output", "null"])
            .args(["--warmup", &plan.warmup.to_string(), "--runs", &plan.runs.to_string()])
            .arg("--export-json")
            .arg(&json);
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        // Alternate the order as well as the rounds.
        let order: Vec<_> = if round % 2 == 0 {
            commands.iter().collect()
        } else {
            commands.iter().rev().collect()
        };
        for (name, line) in order {
            cmd.args(["-n", name, line]);
        }
        bench(&mut cmd)?;
        let text = fs::read_to_string(&json).map_err(|e| format!("{}: {e}", json.display()))?;
        for (name, times, cpu) in run_times(&text) {
            if let Some(t) = all.iter_mut().find(|t| t.name == name) {
                t.times.extend(times);
                t.cpu += cpu / plan.rounds as f64;
            }
        }
    }
    for t in &mut all {
        if t.times.is_empty() {
            return Err(format!("hyperfine reported no time for {}", t.name));
        }
        t.times.sort_by(f64::total_cmp);
    }
    Ok(all)
}

/// Each command's run times and mean CPU time (user + system) from hyperfine's JSON export.
fn run_times(json: &str) -> Vec<(String, Vec<f64>, f64)> {
    #[derive(serde::Deserialize)]
    struct Export {
        results: Vec<Result>,
    }
    #[derive(serde::Deserialize)]
    struct Result {
        command: String,
        #[serde(default)]
        times: Vec<f64>,
        #[serde(default)]
        user: f64,
        #[serde(default)]
        system: f64,
    }
    let Ok(export) = serde_json::from_str::<Export>(json) else { return Vec::new() };
    export.results.into_iter().map(|r| (r.command, r.times, r.user + r.system)).collect()
}

/// Builds the sample static with musl against the 7.3 uapi headers, stripped.
fn build_sample(out: &Path) -> Result<PathBuf, String> {
    let include = uapi::fetch()?;
    let source = sample_source()?;
    let bin = out.join("sandboxer-sample");
    run(Command::new("musl-gcc")
        .args(["-static", "-O2", "-Wall"])
        .arg("-I")
        .arg(&include)
        .arg("-I")
        .arg(include.join("x86_64-linux-gnu"))
        .arg(&source)
        .arg("-o")
        .arg(&bin))?;
    run(Command::new("strip").arg(&bin))?;
    Ok(bin)
}

/// `samples/landlock/sandboxer.c` of Linux 7.3, extracted once from `linux-source-7.3` into the
/// cache (outside the repository).
fn sample_source() -> Result<PathBuf, String> {
    let apt = Apt::new("experimental", "amd64")?;
    let version = apt.version("linux-source-7.3")?;
    let dest = cache::dir().join("sandboxer-sample").join(version.replace(':', "%3a"));
    let source = dest.join("sandboxer.c");
    if source.is_file() {
        return Ok(source);
    }
    let unpacked = apt.unpack("linux-source-7.3")?;
    let src_dir = unpacked.join("usr/src");
    let tarball = fs::read_dir(&src_dir)
        .map_err(|e| format!("{}: {e}", src_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(".tar")))
        .ok_or_else(|| format!("no source tarball in {}", src_dir.display()))?;
    let tmp = dest.join("extract");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    eprintln!("xtask: extracting samples/landlock/sandboxer.c from {}", tarball.display());
    run(Command::new("tar")
        .arg("-xf")
        .arg(&tarball)
        .arg("-C")
        .arg(&tmp)
        .args(["--wildcards", "*/samples/landlock/sandboxer.c"]))?;
    let found = fs::read_dir(&tmp)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path().join("samples/landlock/sandboxer.c")))
        .find(|p| p.is_file())
        .ok_or("the tarball has no samples/landlock/sandboxer.c")?;
    fs::rename(&found, &source).map_err(|e| e.to_string())?;
    let _ = fs::remove_dir_all(&tmp);
    // The unpacked package (the whole kernel source) is not needed any more.
    let _ = fs::remove_dir_all(&unpacked);
    Ok(source)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_hyperfine_json() {
        let json = r#"{"results": [{"command": "a b", "mean": 0.0015, "median": 0.0012,
            "user": 0.0007, "system": 0.0002, "min": 0.0008, "max": 0.02, "times": [0.001, 0.002,
            0.003], "exit_codes": [0, 0, 0]}, {"command": "c", "mean": 0.01, "times": [0.5]}]}"#;
        let r = super::run_times(json);
        assert_eq!(r[0].0, "a b");
        assert_eq!(r[0].1, [0.001, 0.002, 0.003]);
        assert!((r[0].2 - 0.0009).abs() < 1e-12);
        assert_eq!((r[1].0.as_str(), r[1].1.as_slice(), r[1].2), ("c", &[0.5][..], 0.0));
    }
}
