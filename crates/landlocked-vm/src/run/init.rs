//! The guest's `/init` for `landlocked-vm run`: this very program, started as PID 1. It mounts
//! what a test needs (proc, sys, dev, securityfs where there is one; `/tmp` is the initramfs's
//! own, in memory and writable, where a program from the host's `/tmp` already is), brings the
//! loopback interface up, runs the program the initramfs holds with its
//! arguments and environment, sends its output and exit status over the console as frames,
//! and powers the machine off.

use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};

use super::console::Frame;

/// Where the host writes the command: its argument vector and environment, each a list of
/// NUL-terminated strings.
pub const ARGV: &str = "landlocked-vm/argv";
/// See [`ARGV`].
pub const ENV: &str = "landlocked-vm/env";
/// The directory of [`ARGV`] and [`ENV`], the host's and no file's of `--with`.
pub const DIR: &str = "landlocked-vm";

fn mount(source: &str, target: &str, fstype: &str) -> Result<(), String> {
    let _ = std::fs::create_dir_all(target);
    let c = |s: &str| CString::new(s).expect("no NUL");
    let (s, t, f) = (c(source), c(target), c(fstype));
    // SAFETY: three NUL-terminated strings that outlive the call; no data argument.
    let r = unsafe { libc::mount(s.as_ptr(), t.as_ptr(), f.as_ptr(), 0, std::ptr::null()) };
    if r == 0 { Ok(()) } else { Err(format!("mount {fstype} on {target}: {}", last_error())) }
}

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// The NUL-terminated strings of `path`, empty ones kept (`''` is an argument too).
fn strings(path: &str) -> Vec<OsString> {
    let bytes = std::fs::read(format!("/{path}")).unwrap_or_default();
    let mut items: Vec<OsString> =
        bytes.split(|&b| b == 0).map(|s| OsString::from_vec(s.to_vec())).collect();
    // What follows the last terminator is no string.
    items.pop();
    items
}

/// Brings `lo` up; a kernel without IPv4 or the interface has nothing to bring up.
fn loopback_up() {
    // SAFETY: a plain socket for interface ioctls, closed by the OwnedFd.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return;
    }
    // SAFETY: `fd` is a fresh descriptor of this process's own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: an all-zero ifreq is valid.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(b"lo") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: `ifr` is a valid ifreq naming "lo"; the ioctls read and write its flags.
    unsafe {
        if libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFFLAGS as libc::Ioctl, &mut ifr) == 0 {
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(fd.as_raw_fd(), libc::SIOCSIFFLAGS as libc::Ioctl, &ifr);
        }
    }
}

/// One frame, newline included, in one write: the console is shared with whatever else writes
/// to it, and the tty layer keeps one write whole.
fn say(frame: &Frame) {
    let line = format!("{}\n", frame.line());
    let mut bytes = line.as_bytes();
    while !bytes.is_empty() {
        // SAFETY: writing from a live buffer of its length to this process's stdout.
        let n = unsafe { libc::write(1, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 && last_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 {
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

fn power_off() -> ! {
    // SAFETY: sync and reboot with the power-off command only end the machine.
    unsafe {
        libc::sync();
        libc::reboot(libc::LINUX_REBOOT_CMD_POWER_OFF);
    }
    std::process::exit(0)
}

/// How long the program's pipes may stay quiet once it has exited before they are left.
const DRAIN: std::time::Duration = std::time::Duration::from_millis(500);

/// How often the loop looks at the program and the orphans while its pipes are quiet.
const POLL_MS: libc::c_int = 100;

/// Reaps the exited processes other than the program (orphans become children of PID 1),
/// looking before reaping so that the program's own status is left to `try_wait`.
fn reap_orphans(program: u32) {
    loop {
        // SAFETY: an all-zero siginfo_t is valid; waitid fills it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: peeking (WNOWAIT) at any exited child, without blocking.
        let r = unsafe {
            libc::waitid(libc::P_ALL, 0, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT)
        };
        // SAFETY: waitid filled `info` for an exited child (si_pid 0 when there is none).
        let pid = unsafe { info.si_pid() };
        if r != 0 || pid <= 0 || pid as u32 == program {
            return;
        }
        // SAFETY: reaping that one orphan; its status is not wanted.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
    }
}

/// Runs the command and powers off; never returns.
pub fn main() -> ! {
    // Kernel messages share the console: from here on only emergencies reach it, so that no
    // frame is cut in two. SAFETY: SYSLOG_ACTION_CONSOLE_LEVEL (8) takes no buffer.
    unsafe { libc::klogctl(8, std::ptr::null_mut(), 1) };
    for (source, target, fstype) in
        [("proc", "/proc", "proc"), ("sysfs", "/sys", "sysfs"), ("devtmpfs", "/dev", "devtmpfs")]
    {
        if let Err(e) = mount(source, target, fstype) {
            say(&Frame::Failed(e));
            power_off();
        }
    }
    // What a Landlock test may look at, where the kernel has it: the LSM list, and the
    // loopback interface for network rules on 127.0.0.1.
    let _ = mount("securityfs", "/sys/kernel/security", "securityfs");
    loopback_up();
    let support = landlocked::Kernel::probe().support;
    say(&Frame::Landlock(match support {
        landlocked::Support::Available { version, .. } => format!("abi {version}"),
        landlocked::Support::Disabled => "disabled".into(),
        landlocked::Support::NotBuilt => "not-built".into(),
        other => format!("unknown ({other})"),
    }));
    // SAFETY: sysconf takes a constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    say(&Frame::PageSize(page.max(0) as u64));
    let argv = strings(ARGV);
    let Some((program, args)) = argv.split_first() else {
        say(&Frame::Failed("no command in the initramfs".into()));
        power_off();
    };
    let mut cmd = Command::new(program);
    cmd.args(args).env_clear().current_dir("/").stdin(Stdio::null());
    for var in strings(ENV) {
        let bytes = var.as_bytes();
        if let Some(eq) = bytes.iter().position(|&b| b == b'=') {
            cmd.env(
                OsString::from_vec(bytes[..eq].to_vec()),
                OsString::from_vec(bytes[eq + 1..].to_vec()),
            );
        }
    }
    cmd.arg0(program).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            say(&Frame::Failed(format!("cannot execute {}: {e}", program.to_string_lossy())));
            power_off();
        }
    };
    let out = child.stdout.take().expect("piped");
    let err = child.stderr.take().expect("piped");
    // Both streams at once, in the order they come: poll.
    // SAFETY: the descriptors belong to the pipes just taken, which are forgotten below.
    let mut streams: Vec<(OwnedFd, bool)> = unsafe {
        vec![
            (OwnedFd::from_raw_fd(std::os::fd::IntoRawFd::into_raw_fd(out)), true),
            (OwnedFd::from_raw_fd(std::os::fd::IntoRawFd::into_raw_fd(err)), false),
        ]
    };
    let mut buf = vec![0u8; 2048];
    // Once the program has exited, what it left running may hold its pipes open for ever: read
    // on while data comes, and end once they have been quiet for a moment.
    let mut exited: Option<std::process::ExitStatus> = None;
    let mut last_data = std::time::Instant::now();
    while !streams.is_empty() {
        if exited.is_none()
            && let Ok(Some(status)) = child.try_wait()
        {
            exited = Some(status);
            // The quiet moment counts from the exit seen, not from the last data before it.
            last_data = std::time::Instant::now();
        }
        if exited.is_some() && last_data.elapsed() > DRAIN {
            break;
        }
        reap_orphans(child.id());
        let mut fds: Vec<libc::pollfd> = streams
            .iter()
            .map(|(fd, _)| libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 })
            .collect();
        // SAFETY: `fds` is an array of as many pollfd as given.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, POLL_MS) };
        if n < 0 {
            if last_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        let mut closed = Vec::new();
        for (i, pfd) in fds.iter().enumerate() {
            if pfd.revents == 0 {
                continue;
            }
            // SAFETY: reading into a buffer of its length from a pipe this process owns.
            let n =
                unsafe { libc::read(streams[i].0.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                last_data = std::time::Instant::now();
                let bytes = buf[..n as usize].to_vec();
                say(&if streams[i].1 { Frame::Out(bytes) } else { Frame::Err(bytes) });
            } else if n == 0 || last_error().kind() != std::io::ErrorKind::Interrupted {
                closed.push(i);
            }
        }
        for i in closed.into_iter().rev() {
            streams.remove(i);
        }
    }
    // Both pipes closed and the program still running: wait for it, reaping orphans meanwhile.
    let waited = loop {
        if let Some(status) = exited {
            break Ok(status);
        }
        match child.try_wait() {
            Ok(Some(status)) => exited = Some(status),
            Ok(None) => {
                reap_orphans(child.id());
                std::thread::sleep(std::time::Duration::from_millis(POLL_MS as u64));
            }
            Err(e) => break Err(e),
        }
    };
    let frame = match waited {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Frame::Exit(code),
            (None, Some(signal)) => Frame::Signal(signal),
            _ => Frame::Failed(format!("{status}")),
        },
        Err(e) => Frame::Failed(format!("waiting for the program: {e}")),
    };
    say(&frame);
    power_off()
}
