//! `landlocked denials`: Landlock's audit records, joined and summarised.

use std::io::Read;

use serde_json::json;

use crate::cli::DenialsArgs;
use crate::{Fail, fail};

pub fn denials(args: &DenialsArgs) -> Result<i32, Fail> {
    let mut text = Vec::new();
    let read = match &args.file {
        Some(file) => std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut text)),
        None => std::io::stdin().read_to_end(&mut text),
    };
    if let Err(e) = read {
        let from = args.file.as_ref().map_or("standard input".into(), |f| f.display().to_string());
        return Err(fail(format!("{from}: cannot read: {e}")));
    }
    // Audit logs are text, but a path in them may not be UTF-8.
    let text = String::from_utf8_lossy(&text);
    let domains = landlocked::audit::domains(&text);
    let mut out = String::new();
    if args.json {
        let doc: Vec<serde_json::Value> = domains
            .iter()
            .map(|d| {
                json!({
                    "domain": d.id,
                    "creator": {
                        "pid": d.creator.pid,
                        "uid": d.creator.uid,
                        "exe": d.creator.exe,
                        "comm": d.creator.comm,
                    },
                    "denials": d.denials,
                    "blocked": d.blocked.iter().map(|b| json!({
                        "blockers": b.blockers,
                        "object": b.object,
                        "count": b.count,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        emit!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        crate::write_stdout(&out)?;
        return Ok(0);
    }
    if domains.is_empty() {
        emit!(out, "no Landlock audit records (types 1423, 1424)");
    }
    for d in &domains {
        let mut creator = d
            .creator
            .exe
            .clone()
            .or_else(|| d.creator.comm.clone())
            .unwrap_or_else(|| "creator unknown".into());
        if let Some(pid) = d.creator.pid {
            creator.push_str(&format!(" (pid {pid}"));
            if let Some(uid) = d.creator.uid {
                creator.push_str(&format!(", uid {uid}"));
            }
            creator.push(')');
        }
        let logged: usize = d.blocked.iter().map(|b| b.count).sum();
        let total = d.denials.map_or(String::new(), |n| format!(", {n} in all"));
        emit!(out, "domain {}: {creator}: {logged} denials logged{total}", d.id);
        for b in &d.blocked {
            emit!(out, "  {:>5}x {} {}", b.count, b.blockers, b.object);
        }
    }
    crate::write_stdout(&out)?;
    Ok(0)
}
