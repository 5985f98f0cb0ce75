//! `/init` of the QEMU guests: mount what the cases need, run the suite, print the protocol
//! lines on the console, power off.

use std::ffi::CString;
use std::io::Write;

use landlocked_core::Kernel;

fn mount(source: &str, target: &str, fstype: &str) {
    let _ = std::fs::create_dir_all(target);
    let (s, t, f) = (
        CString::new(source).unwrap(),
        CString::new(target).unwrap(),
        CString::new(fstype).unwrap(),
    );
    // SAFETY: all three strings are NUL-terminated and outlive the call; no data argument.
    let r = unsafe { libc::mount(s.as_ptr(), t.as_ptr(), f.as_ptr(), 0, std::ptr::null()) };
    if r != 0 {
        println!(
            "landlocked-init: mount {fstype} on {target}: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Brings the loopback interface up: the network cases bind and connect on 127.0.0.1.
fn loopback_up() {
    // SAFETY: a plain socket for interface ioctls.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        println!("landlocked-init: no IPv4 socket: {}", std::io::Error::last_os_error());
        return;
    }
    // SAFETY: an all-zero ifreq is valid.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(b"lo") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: `ifr` is a valid ifreq naming "lo"; the ioctls read and write its flags.
    let ok = unsafe {
        libc::ioctl(fd, libc::SIOCGIFFLAGS as libc::Ioctl, &mut ifr) == 0 && {
            ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(fd, libc::SIOCSIFFLAGS as libc::Ioctl, &ifr) == 0
        }
    };
    if !ok {
        println!("landlocked-init: cannot bring lo up: {}", std::io::Error::last_os_error());
    }
    // SAFETY: closing our socket.
    unsafe { libc::close(fd) };
}

fn power_off() -> ! {
    let _ = std::io::stdout().flush();
    // SAFETY: reboot with the power-off command only ends the machine.
    unsafe { libc::sync() };
    // SAFETY: as above.
    unsafe { libc::reboot(libc::LINUX_REBOOT_CMD_POWER_OFF) };
    // Not PID 1 (run by hand): just leave.
    std::process::exit(0)
}

fn main() {
    // Inside a sandbox, for the command-line cases: one operation, then out.
    if let Some(code) = landlocked_conformance::run_probe_if_asked() {
        std::process::exit(i32::from(code));
    }
    if std::process::id() == 1 {
        // Kernel messages share the serial console and could cut a protocol line in two: from
        // here on only emergencies (a panic) reach the console.
        // SAFETY: SYSLOG_ACTION_CONSOLE_LEVEL (8) takes no buffer.
        unsafe { libc::klogctl(8, std::ptr::null_mut(), 1) };
        mount("proc", "/proc", "proc");
        mount("sysfs", "/sys", "sysfs");
        mount("tmpfs", "/tmp", "tmpfs");
        mount("securityfs", "/sys/kernel/security", "securityfs");
        mount("devtmpfs", "/dev", "devtmpfs");
        loopback_up();
    }
    if std::process::id() == 1 {
        landlocked_conformance::tools::set(landlocked_conformance::tools::Tools::guest());
    }
    let filter = std::env::args().nth(1).unwrap_or_default();
    let kernel = Kernel::probe();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    println!("landlocked-init: kernel {} landlock {}", release.trim(), kernel.support);
    let summary = landlocked_conformance::run_all(&kernel, &filter, |line| println!("{line}"));
    println!("{}", landlocked_conformance::summary_line(&kernel, &summary));
    if std::process::id() == 1 {
        power_off();
    }
    std::process::exit(i32::from(summary.fail > 0));
}
