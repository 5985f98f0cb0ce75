//! The seccomp layer of `landlocked run` on this kernel: which layer denies the network
//! (Landlock from ABI 4 for TCP and ABI 10 for UDP, seccomp before), the sockets Landlock never
//! covers, sandboxes of seccomp alone on kernels without Landlock, the syscall filter, and the
//! other entry points of the kernel.

use landlocked_core::{Abi, Kernel};

use super::cli::{Cli, Run, answer, case, free_port, refused};
use crate::scratch::Scratch;
use crate::{Case, Outcome, ops, tools};

fn seccomp() -> bool {
    landlocked_core::seccomp::available().is_ok()
}

fn s(p: &std::path::Path) -> &str {
    p.to_str().expect("UTF-8 scratch path")
}

fn listener() -> Result<ops::Listener, String> {
    ops::Listener::tcp().map_err(|e| format!("no listener: {e:?}"))
}

fn udp_port() -> Result<String, String> {
    ops::free_port(libc::SOCK_DGRAM).map(|p| p.to_string()).map_err(|e| format!("{e:?}"))
}

fn has(run: &Run, text: &str) -> Result<(), String> {
    if run.stderr.contains(text) { Ok(()) } else { Err(format!("{text:?} not said: {run:?}")) }
}

/// TCP and UDP denied by default, each by the layer that can: the report says which. Files stay
/// Landlock's.
fn network_layers(kernel: &Kernel, cli: &Cli, sc: &Scratch) -> Result<(), String> {
    let tcp = listener()?;
    let a = sc.path("a");
    let ro = ["--verbose", "--ro", s(&a)];
    let connect = cli.probe(&ro, "connect-tcp", &tcp.port.to_string());
    let Some(abi) = kernel.support.abi() else { return refused(&connect) };
    let denied = |since: Abi| if abi >= since || seccomp() { "EACCES" } else { "ok" };
    answer(&connect, denied(Abi::V4), "a TCP connect by default")?;
    let send = cli.probe(&ro, "send-udp", &udp_port()?);
    answer(&send, denied(Abi::V10), "a UDP send by default")?;
    answer(&cli.probe(&ro, "read", s(&sc.path("b/f"))), "EACCES", "reading outside --ro")?;
    let cannot = format!("(Landlock ABI {abi} cannot)");
    match (seccomp(), abi) {
        (false, _) => has(&connect, "other sockets and io_uring").and(has(&connect, "(no seccomp")),
        (true, a) if a < Abi::V4 => has(
            &connect,
            &format!("seccomp: bind_tcp, connect_tcp, bind_udp, connect_send_udp {cannot}"),
        ),
        (true, a) if a < Abi::V10 => {
            has(&connect, &format!("seccomp: bind_udp, connect_send_udp {cannot}"))
        }
        (true, _) => {
            has(&connect, "seccomp: other sockets and io_uring")?;
            if connect.stderr.contains("cannot)") {
                return Err(format!(
                    "Landlock does it all here, yet seccomp took over: {connect:?}"
                ));
            }
            Ok(())
        }
    }
}

/// An MPTCP socket connects where TCP is restricted unless seccomp denies it; with no filter
/// this is said.
fn other_protocols(_: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let tcp = listener()?;
    let port = tcp.port.to_string();
    let fs_open = ["--best-effort", "--unrestricted-filesystem", "--unrestricted-scoped"];
    let open = cli.probe_fs_open(
        &[&fs_open[..], &["--unrestricted-network"]].concat(),
        "mptcp-connect",
        &port,
    );
    let other = free_port()?.to_string();
    let restricted = [&fs_open[..], &["--connect-tcp", &other]].concat();
    let run = cli.probe_fs_open(&restricted, "mptcp-connect", &port);
    if !seccomp() {
        return has(&run, "other sockets and io_uring").and(has(&run, "(no seccomp filters)"));
    }
    // With MPTCP in the kernel (off by default before Linux 5.15) the hole exists without the
    // filter; with the filter the socket cannot even be made.
    if open.stdout != "ok" && open.stdout != "EPROTONOSUPPORT" {
        return Err(format!("MPTCP with the network left alone: {open:?}"));
    }
    answer(&run, "EACCES", "MPTCP where TCP is restricted")?;
    if run.stderr.contains("MPTCP") {
        return Err(format!("MPTCP is closed, yet warned about: {run:?}"));
    }
    Ok(())
}

/// A network-only sandbox is still a Landlock domain, which cannot trace a process outside;
/// without Landlock it is refused unless best effort, and seccomp then denies the network.
fn network_only(kernel: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let network_only = ["--unrestricted-filesystem", "--unrestricted-scoped"];
    let parent = std::process::id().to_string();
    let run = cli.probe_fs_open(&network_only, "ptrace", &parent);
    let Some(abi) = kernel.support.abi() else {
        refused(&run)?;
        let best = [&network_only[..], &["--best-effort"]].concat();
        let run = cli.probe_fs_open(&best, "bind-tcp", &free_port()?.to_string());
        let want = if seccomp() { "EACCES" } else { "ok" };
        return answer(&run, want, "binding TCP without Landlock, best effort");
    };
    if abi < Abi::V4 && !seccomp() {
        // Landlock can restrict none of the network, and seccomp is missing.
        return refused(&run);
    }
    answer(&run, "EPERM", "tracing a process outside the sandbox")?;
    let run = cli.probe_fs_open(&network_only, "bind-tcp", &free_port()?.to_string());
    answer(&run, "EACCES", "binding TCP in a network-only sandbox")
}

/// A TCP fast open connects through `sendto`: denied where TCP connects are, by seccomp before
/// ABI 10 and by Landlock from it.
fn fast_open(kernel: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let tcp = listener()?;
    let port = tcp.port.to_string();
    let all = ["--best-effort", "--unrestricted-filesystem", "--unrestricted-scoped"];
    let open =
        cli.probe_fs_open(&[&all[..], &["--unrestricted-network"]].concat(), "fast-open", &port);
    answer(&open, "ok", "a fast open, unsandboxed")?;
    let other = free_port()?.to_string();
    let run =
        cli.probe_fs_open(&[&all[..], &["--connect-tcp", &other]].concat(), "fast-open", &port);
    let abi = kernel.support.abi();
    let landlock_tcp = abi.is_some_and(|a| a >= Abi::V4);
    if abi.is_some_and(|a| a >= Abi::V10) || (landlock_tcp && seccomp()) {
        answer(&run, "EACCES", "a fast open to a port not allowed")
    } else if landlock_tcp {
        // ABI 4 to 9 without seccomp: the kernel may check it (a fix without an erratum), or
        // not; either way the gap is said.
        if run.stdout != "ok" && run.stdout != "EACCES" {
            return Err(format!("a fast open without seccomp: {run:?}"));
        }
        has(&run, "TCP fast open")
    } else {
        // No TCP rule can be enforced here: said as such.
        answer(&run, "ok", "a fast open where TCP cannot be restricted")?;
        has(&run, "connect_tcp")
    }
}

/// `--syscall-filter`: the denied syscall fails with EPERM; without seccomp, refused.
fn syscall_filter(kernel: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let unrestricted =
        ["--unrestricted-filesystem", "--unrestricted-scoped", "--unrestricted-network"];
    let deny = [&unrestricted[..], &["--syscall-filter", "~uname"]].concat();
    let run = cli.probe_fs_open(&deny, "uname", "-");
    if kernel.support.abi().is_none() {
        // A filter alone is no sandbox without a Landlock domain: refused unless best effort.
        refused(&run)?;
        let best = [&deny[..], &["--best-effort"]].concat();
        let want = if seccomp() { "EPERM" } else { "ok" };
        return answer(&cli.probe_fs_open(&best, "uname", "-"), want, "uname, best effort");
    }
    if !seccomp() {
        if run.code == Some(125) && run.stderr.contains("cannot install seccomp filters") {
            return Ok(());
        }
        return Err(format!("a syscall filter without seccomp must be refused: {run:?}"));
    }
    answer(&run, "EPERM", "uname under ~uname")?;
    let allow = [&unrestricted[..], &["--syscall-filter", "@system-service"]].concat();
    answer(&cli.probe_fs_open(&allow, "uname", "-"), "ok", "uname under @system-service")
}

/// On x86_64, a syscall through `int 0x80` kills the process under any filter.
fn foreign_entry_points(_: &Kernel, cli: &Cli, _: &Scratch) -> Result<(), String> {
    let all = ["--best-effort", "--unrestricted-filesystem", "--unrestricted-scoped"];
    let all_open = [&all[..], &["--unrestricted-network"]].concat();
    let plain = cli.probe_fs_open(&all_open, "i386-getpid", "-");
    answer(&plain, "ok", "getpid through int 0x80, unfiltered")?;
    let filtered = cli.probe_fs_open(&all, "i386-getpid", "-");
    if filtered.code.is_none() && filtered.stdout.is_empty() {
        Ok(())
    } else {
        Err(format!("int 0x80 under the network filter must be killed: {filtered:?}"))
    }
}

fn needs_seccomp_on_x86_64(
    f: fn(&Kernel, &Cli, &Scratch) -> Result<(), String>,
) -> impl Fn(&Kernel) -> Outcome {
    let run = case(f);
    move |kernel| {
        if !cfg!(target_arch = "x86_64") {
            return Outcome::Skip("only x86_64 has another entry point a program can call".into());
        }
        if !seccomp() {
            return Outcome::Skip("this kernel has no seccomp filters to kill it".into());
        }
        if tools::get().is_none() {
            return Outcome::Skip("no tools configured".into());
        }
        run(kernel)
    }
}

pub fn cases() -> Vec<Case> {
    vec![
        Case::new("seccomp.network_layers", case(network_layers)),
        Case::new("seccomp.other_protocols", case(other_protocols)),
        Case::new("seccomp.network_only", case(network_only)),
        Case::new("seccomp.fast_open", case(fast_open)),
        Case::new("seccomp.syscall_filter", case(syscall_filter)),
        Case::new("seccomp.foreign_entry_points", needs_seccomp_on_x86_64(foreign_entry_points)),
    ]
}
