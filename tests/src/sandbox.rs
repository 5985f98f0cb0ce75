//! Runs an operation in a forked child after enforcing a policy there, and brings back what
//! happened: the enforcement's result and the operation's.

use std::mem::{MaybeUninit, size_of};

use landlocked_core::{Errno, Error, Policy, Report, Rule};

/// What a sandboxed child saw.
#[derive(Clone, Copy, Debug)]
pub struct Run<T> {
    /// What `enforce` returned.
    pub enforce: Result<Report, Error>,
    /// The operation's result, when enforcement succeeded.
    pub op: Option<T>,
}

/// Forks; the child enforces `policy` with `rules` through `landlocked_core::enforce`, runs `op`
/// when that succeeded, and sends both results back through a pipe.
///
/// `T` must be plain data (no pointers into the child): it is copied byte for byte, which is
/// sound only because parent and child are the same program image.
pub fn run<T: Copy + 'static>(
    policy: &Policy,
    rules: &[Rule<'_>],
    op: impl FnOnce() -> T,
) -> Result<Run<T>, String> {
    in_child(|| {
        let enforce = landlocked_core::enforce(policy, rules);
        let op = enforce.is_ok().then(op);
        Run { enforce, op }
    })
}

/// [`run`], when both the harness and `enforce` succeeded: the report and the operation's
/// result; otherwise the case's failure.
pub fn enforced<T: Copy + 'static>(
    policy: &Policy,
    rules: &[Rule<'_>],
    op: impl FnOnce() -> T,
) -> Result<(Report, T), crate::Outcome> {
    match run(policy, rules, op) {
        Ok(Run { enforce: Ok(report), op: Some(value) }) => Ok((report, value)),
        Ok(Run { enforce: Err(e), .. }) => Err(crate::Outcome::Fail(format!("enforce: {e}"))),
        Ok(Run { op: None, .. }) => Err(crate::Outcome::Fail("the operation did not run".into())),
        Err(e) => Err(crate::Outcome::Fail(format!("harness: {e}"))),
    }
}

/// Forks, runs `f` in the child and returns its value, copied through a pipe.
pub fn in_child<T: Copy + 'static>(f: impl FnOnce() -> T) -> Result<T, String> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is an array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe2: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: the child only runs `f`, writes to the pipe and exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: the child's copy of the read end.
        unsafe { libc::close(fds[0]) };
        let value = f();
        let bytes = (&value as *const T).cast::<u8>();
        // SAFETY: `value` is `size_of::<T>()` readable bytes.
        let n = unsafe { libc::write(fds[1], bytes.cast(), size_of::<T>()) };
        // SAFETY: leaving the child at once, without the parent's atexit handlers.
        unsafe { libc::_exit(if n == size_of::<T>() as isize { 0 } else { 3 }) };
    }
    // SAFETY: the parent's copy of the write end.
    unsafe { libc::close(fds[1]) };
    let mut value = MaybeUninit::<T>::uninit();
    let mut got = 0;
    while got < size_of::<T>() {
        // SAFETY: reading into the remaining bytes of `value`.
        let n = unsafe {
            libc::read(
                fds[0],
                value.as_mut_ptr().cast::<u8>().add(got).cast(),
                size_of::<T>() - got,
            )
        };
        if n <= 0 {
            break;
        }
        got += n as usize;
    }
    // SAFETY: closing our read end.
    unsafe { libc::close(fds[0]) };
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if got != size_of::<T>() {
        return Err(if libc::WIFSIGNALED(status) {
            format!("the sandboxed child died of signal {}", libc::WTERMSIG(status))
        } else {
            format!(
                "the sandboxed child exited with {} before reporting",
                libc::WEXITSTATUS(status)
            )
        });
    }
    // SAFETY: all bytes were written by the child from a valid `T` of the same program image.
    Ok(unsafe { value.assume_init() })
}

/// The current `errno` as an [`Errno`].
pub fn last_errno() -> Errno {
    std::io::Error::last_os_error().raw_os_error().and_then(Errno::from_raw).unwrap_or(Errno::EIO)
}
