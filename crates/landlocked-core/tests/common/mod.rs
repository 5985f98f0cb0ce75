//! Runs a closure in a forked child so that the test process itself is never restricted.

#![allow(dead_code)]

/// Forks, runs `f` in the child and returns what it reported: `Ok(())` when it returned `Ok`,
/// its message otherwise (or the signal that killed it).
pub fn in_child(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    let mut pipe = [0; 2];
    // SAFETY: `pipe` is a valid array of two ints.
    let r = unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(r, 0);
    // SAFETY: the child only runs `f` and exits; glibc makes malloc usable after fork.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: closing our copy of the read end.
        unsafe { libc::close(pipe[0]) };
        let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(Ok(())) => 0,
            Ok(Err(msg)) => {
                // SAFETY: writing a valid buffer to the pipe.
                unsafe { libc::write(pipe[1], msg.as_ptr().cast(), msg.len()) };
                1
            }
            Err(_) => 2,
        };
        // SAFETY: leaving the child without running the parent's atexit handlers.
        unsafe { libc::_exit(code) };
    }
    // SAFETY: closing the parent's copy of the write end.
    unsafe { libc::close(pipe[1]) };
    let mut msg = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        // SAFETY: reading into a valid buffer.
        let n = unsafe { libc::read(pipe[0], buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        msg.extend_from_slice(&buf[..n as usize]);
    }
    // SAFETY: closing the read end.
    unsafe { libc::close(pipe[0]) };
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    match (libc::WIFEXITED(status), libc::WEXITSTATUS(status)) {
        (true, 0) => Ok(()),
        (true, 2) => Err("the child panicked".into()),
        (true, _) => Err(String::from_utf8_lossy(&msg).into_owned()),
        _ => Err(format!("the child died of signal {}", libc::WTERMSIG(status))),
    }
}

/// Fails the test with the child's message.
#[track_caller]
pub fn expect_child(f: impl FnOnce() -> Result<(), String>) {
    if let Err(msg) = in_child(f) {
        panic!("{msg}");
    }
}

/// Checks a condition in the child, returning its message as the child's failure.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)*) => {
        if !$cond {
            return Err(format!($($fmt)*));
        }
    };
}

/// A NUL-terminated copy of `path`.
pub fn cpath(path: &std::path::Path) -> std::ffi::CString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap()
}

/// A fresh directory under the system temp dir, removed by the caller when it wants.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("landlocked-{name}-{}-{seq}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
