//! `landlocked check`: validates a policy file and says what this kernel would enforce of it.

use landlocked::{Missing, PolicyFile, Status};
use landlocked_core::Kernel;

use crate::cli::CheckArgs;
use crate::status::support_word;
use crate::{Fail, fail};
use serde_json::{Value, json};

fn names(names: impl Iterator<Item = &'static str>) -> Value {
    Value::from(names.collect::<Vec<_>>())
}

fn missing_json(m: &Missing) -> Value {
    json!({
        "fs": names(m.fs.names()),
        "net": names(m.net.names()),
        "scoped": names(m.scoped.names()),
        "quiet_fs": names(m.quiet_fs.names()),
        "quiet_net": names(m.quiet_net.names()),
        "quiet_scoped": names(m.quiet_scoped.names()),
        "quiet_rules": m.quiet_rules,
        "log": names(m.log.names()),
    })
}

fn seccomp_json(s: &landlocked::SeccompReport) -> Value {
    let coverage = |c: &landlocked::Coverage<bool>| json!({ "requested": c.requested, "enforced": c.enforced });
    json!({
        "available": s.available,
        "net": names(s.net.names()),
        "sockets": coverage(&s.sockets),
        "fast_open": coverage(&s.fast_open),
        "syscall_filter": coverage(&s.syscall_filter),
        "filters": s.filters,
    })
}

pub fn check(args: &CheckArgs) -> Result<i32, Fail> {
    let (json, file) = (args.json, args.policy.as_path());
    let policy = match PolicyFile::load(file) {
        Ok(p) => p,
        Err(e) => {
            if json {
                let (line, column) = e.position.unzip();
                let doc = json!({
                    "file": file.to_string_lossy(),
                    "valid": false,
                    "error": { "line": line, "column": column, "message": e.message },
                });
                let mut out = String::new();
                emit!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
                crate::write_stdout(&out)?;
            }
            return Err(fail(e.to_string()));
        }
    };
    let kernel = Kernel::probe();
    let mut sandbox = policy.sandbox();
    sandbox.ignore_missing(true);
    // Opens every path and fills a ruleset, so the kernel itself checks the rules.
    let prepared = sandbox.prepare_on(&kernel).map_err(|e| fail(e.to_string()))?;
    let report = prepared.report();
    let (paths, ports) = policy
        .rules
        .iter()
        .partition::<Vec<_>, _>(|r| matches!(r.grant, landlocked::Grant::Path { .. }));
    let status = match report.status() {
        Status::Full => "full",
        Status::Partial => "partial",
        _ => "none",
    };
    if json {
        let core = report.domain();
        let missing_paths: Vec<Value> = report
            .skipped()
            .iter()
            .map(|s| {
                json!({
                    "path": s.rule.target().to_string(),
                    "origin": s.rule.origin.clone().unwrap_or_default(),
                    "error": s.errno.to_string(),
                })
            })
            .collect();
        let doc = json!({
            "file": file.to_string_lossy(),
            "valid": true,
            "abi": policy.abi,
            "path_rules": paths.len(),
            "port_rules": ports.len(),
            "handled": {
                "fs": names(policy.handled_fs.names()),
                "net": names(policy.handled_net.names()),
                "scoped": names(policy.scoped.names()),
            },
            "landlock": support_word(kernel.support),
            "kernel_abi": kernel.support.abi().map(|a| a.version()),
            "enforcement": status,
            "missing": missing_json(&report.missing()),
            "errata_unfixed": names(core.errata_missing.names()),
            "errata_weakening": names(core.errata_weakening().names()),
            "tcp_leaves_out_mptcp": core.tcp_leaves_out_mptcp(),
            "seccomp": seccomp_json(report.seccomp()),
            "missing_paths": missing_paths,
        });
        let mut out = String::new();
        emit!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        crate::write_stdout(&out)?;
        return Ok(0);
    }
    let mut out = String::new();
    emit!(
        out,
        "{}: valid, {} path rules and {} port rules{}",
        file.display(),
        paths.len(),
        ports.len(),
        policy.abi.map_or(String::new(), |a| format!(", written for ABI {a}"))
    );
    emit!(
        out,
        "handles: fs: {}; net: {}; scopes: {}",
        policy.handled_fs,
        policy.handled_net,
        policy.scoped
    );
    let here = match kernel.support {
        landlocked::Support::Available { version, .. } => format!("Landlock ABI {version}"),
        other => format!("Landlock {other}"),
    };
    match report.status() {
        Status::Full => emit!(out, "this kernel ({here}) would enforce it fully"),
        Status::Partial => {
            emit!(
                out,
                "this kernel ({here}) would enforce it partly, not: {}",
                report.missing_text()
            )
        }
        _ => emit!(out, "this kernel ({here}) would not enforce it at all"),
    }
    if report.seccomp().is_active() {
        emit!(out, "{}", report.seccomp_text());
    }
    if report.domain().tcp_leaves_out_mptcp() {
        emit!(out, "caveat: {}", landlocked_core::report::TCP_LEAVES_OUT_MPTCP);
    }
    let unfixed = report.domain().errata_missing;
    if !unfixed.is_empty() {
        let mut text = String::new();
        let _ = landlocked_core::report::write_errata(&mut text, unfixed);
        emit!(out, "errata: {text}");
    }
    for s in report.skipped() {
        emit!(
            out,
            "missing path: {}: {}: {}",
            s.rule.origin.as_deref().unwrap_or(""),
            s.rule.target(),
            s.errno
        );
    }
    crate::write_stdout(&out)?;
    Ok(0)
}
