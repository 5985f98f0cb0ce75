//! `cargo xtask bench-sandboxer`: `landlocked-sandboxer` against the kernel's own sample
//! sandboxer built static with musl, with hyperfine: the launch overhead over `/bin/true`, and
//! 2,000 path rules. Also prints both binaries' sizes.
//!
//! The sample's source comes from Debian's `linux-source-7.3` (experimental) at run time and is
//! never kept in the repository; it is built against the Linux 7.3 uapi headers
//! (`cargo xtask uapi`). Needs `musl-gcc` (Debian `musl-tools`) and `hyperfine`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::apt::Apt;
use crate::run::{project_root, run};

/// Runs hyperfine, showing its command line without the environment (2,000 paths).
fn bench(cmd: &mut Command) -> Result<(), String> {
    eprintln!(
        "xtask: $ hyperfine {}",
        cmd.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
    );
    let status = cmd.status().map_err(|e| format!("cannot run hyperfine: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("hyperfine failed ({status})")) }
}
use crate::{cache, static_bin, uapi};

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
    let launch = out.join("launch.md");
    bench(
        hyperfine(&launch, 100, 2000)
            .env("LL_FS_RO", "/")
            .env("LL_FS_RW", "")
            .args(["-n", "/bin/true", "/bin/true"])
            .args(["-n", "landlocked-sandboxer /bin/true"])
            .arg(format!("{} /bin/true", ours.display()))
            .args(["-n", "sample /bin/true"])
            .arg(format!("{} /bin/true", sample.display())),
    )?;

    // 2,000 rules: that many directories in LL_FS_RO, then "/" for /bin/true.
    let dirs = std::env::temp_dir().join("llsb-bench");
    let mut list = Vec::with_capacity(RULES + 1);
    for i in 0..RULES {
        let d = dirs.join(format!("{i:04}"));
        fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        list.push(d.display().to_string());
    }
    list.push("/".into());
    let rules = out.join("rules.md");
    bench(
        hyperfine(&rules, 20, 300)
            .env("LL_FS_RO", list.join(":"))
            .env("LL_FS_RW", "")
            .args(["-n", "landlocked-sandboxer, 2001 rules"])
            .arg(format!("{} /bin/true", ours.display()))
            .args(["-n", "sample, 2001 rules"])
            .arg(format!("{} /bin/true", sample.display())),
    )?;
    let _ = fs::remove_dir_all(&dirs);

    println!("\n| command | median | mean ± σ | min | user | system |");
    println!("|:---|---:|---:|---:|---:|---:|");
    for table in [launch, rules] {
        let json = fs::read_to_string(table.with_extension("json")).map_err(|e| e.to_string())?;
        for r in summary(&json) {
            println!(
                "| `{}` | {:.2} ms | {:.2} ± {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
                r.command, r.median, r.mean, r.stddev, r.min, r.user, r.system
            );
        }
    }
    Ok(())
}

/// hyperfine without a shell (`-N`), its output discarded, a markdown table kept.
fn hyperfine(table: &Path, warmup: u32, runs: u32) -> Command {
    let mut cmd = Command::new("hyperfine");
    cmd.args(["-N", "--style", "basic", "--output", "null"])
        .args(["--warmup", &warmup.to_string(), "--runs", &runs.to_string()])
        .arg("--export-markdown")
        .arg(table)
        .arg("--export-json")
        .arg(table.with_extension("json"));
    cmd
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

/// One command's timings from hyperfine's JSON, in milliseconds.
struct Timing {
    command: String,
    mean: f64,
    stddev: f64,
    median: f64,
    min: f64,
    user: f64,
    system: f64,
}

/// Reads the few fields needed from hyperfine's JSON export (xtask has no JSON parser, and the
/// format is flat enough: each result starts with its `"command"`).
fn summary(json: &str) -> Vec<Timing> {
    let field = |chunk: &str, name: &str| -> f64 {
        let key = format!("\"{name}\":");
        chunk
            .find(&key)
            .map(|i| &chunk[i + key.len()..])
            .and_then(|rest| {
                let end = rest.find([',', '}']).unwrap_or(rest.len());
                rest[..end].trim().parse::<f64>().ok()
            })
            .map_or(f64::NAN, |s| s * 1000.0)
    };
    json.split("\"command\":")
        .skip(1)
        .map(|chunk| {
            let command = chunk.trim().trim_start_matches('"');
            let command = command[..command.find('"').unwrap_or(command.len())].to_owned();
            Timing {
                command,
                mean: field(chunk, "mean"),
                stddev: field(chunk, "stddev"),
                median: field(chunk, "median"),
                min: field(chunk, "min"),
                user: field(chunk, "user"),
                system: field(chunk, "system"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_hyperfine_json() {
        let json = r#"{"results": [{"command": "a b", "mean": 0.0015, "stddev": 0.0002,
            "median": 0.0012, "user": 0.0007, "system": 0.0001, "min": 0.0008, "max": 0.02,
            "times": [0.001]}, {"command": "c", "mean": 0.01, "stddev": 0.001, "median": 0.009,
            "user": 0.001, "system": 0.008, "min": 0.007, "max": 0.05}]}"#;
        let r = super::summary(json);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].command, "a b");
        assert!((r[0].median - 1.2).abs() < 1e-9 && (r[1].system - 8.0).abs() < 1e-9);
    }
}
