//! The raw layer on the running kernel. Every case that restricts runs in a forked child.

mod common;

use common::{cpath, expect_child, in_child, temp_dir};
use landlocked_core::fs::{self, OFlags};
use landlocked_core::syscall::{self as raw, decode};
use landlocked_core::uapi::RulesetAttr;
use landlocked_core::{
    Abi, AccessFs, AccessNet, AddRuleFlags, Errno, RestrictSelfFlags, Support, nr, restrict, rule,
    ruleset,
};

/// The ABI as libc's own `syscall()` reports it: an independent path to the same kernel answer.
fn abi_from_libc() -> Result<u32, Errno> {
    // SAFETY: the version query takes a null attribute and size 0.
    let r = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, 0usize, 0usize, 1u32) };
    if r < 0 {
        Err(Errno::from_raw(std::io::Error::last_os_error().raw_os_error().unwrap()).unwrap())
    } else {
        Ok(r as u32)
    }
}

fn kernel_abi() -> Abi {
    landlocked_core::Kernel::probe()
        .support
        .abi()
        .expect("these tests need a kernel with Landlock enabled")
}

#[test]
fn probe_agrees_with_the_kernel() {
    let kernel = landlocked_core::Kernel::probe();
    let ours = kernel.support;
    assert_eq!(ours, Support::from_version_query(abi_from_libc()));
    let Support::Available { abi, version } = ours else { panic!("Landlock unavailable: {ours}") };
    assert_eq!(abi.version(), version.min(11));
    // The kernel lists landlock among its active LSMs exactly when the probe says available.
    if let Ok(lsm) = std::fs::read_to_string("/sys/kernel/security/lsm") {
        assert!(lsm.split(',').any(|m| m.trim() == "landlock"), "lsm list: {lsm}");
    }
    // The errata the probe read are the kernel's (EINVAL before 6.15: none fixed).
    // SAFETY: the ERRATA query takes no attribute.
    let raw = unsafe { libc::syscall(444, std::ptr::null::<u8>(), 0usize, 2u32) };
    let fixed = if raw < 0 { 0 } else { raw as u64 };
    assert_eq!(kernel.errata.bits(), fixed);
}

#[test]
fn every_stub_passes_its_arguments() {
    let pid = std::process::id() as usize;
    // Extra arguments are ignored by getpid: each stub must still land on the same syscall.
    // SAFETY: getpid takes no pointer; the extra registers are ignored.
    unsafe {
        assert_eq!(raw::syscall0(nr::GETPID), pid);
        assert_eq!(raw::syscall1(nr::GETPID, 1), pid);
        assert_eq!(raw::syscall2(nr::GETPID, 1, 2), pid);
        assert_eq!(raw::syscall3(nr::GETPID, 1, 2, 3), pid);
        assert_eq!(raw::syscall4(nr::GETPID, 1, 2, 3, 4), pid);
        assert_eq!(raw::syscall5(nr::GETPID, 1, 2, 3, 4, 5), pid);
        assert_eq!(raw::syscall6(nr::GETPID, 1, 2, 3, 4, 5, 6), pid);
    }
    // copy_file_range uses all six registers: copy 5 bytes from offset 2 of one file to offset
    // 3 of another.
    let dir = temp_dir("stubs");
    std::fs::write(dir.join("in"), b"0123456789").unwrap();
    std::fs::write(dir.join("out"), b"abcdefghij").unwrap();
    let input = fs::open(&cpath(&dir.join("in")), OFlags::RDONLY | OFlags::CLOEXEC, 0).unwrap();
    let output = fs::open(&cpath(&dir.join("out")), OFlags::RDWR | OFlags::CLOEXEC, 0).unwrap();
    let (mut off_in, mut off_out) = (2i64, 3i64);
    // SAFETY: both offsets are valid i64s that outlive the call.
    let copied = decode(unsafe {
        raw::syscall6(
            sc::nr::COPY_FILE_RANGE,
            input.as_raw() as usize,
            &mut off_in as *mut i64 as usize,
            output.as_raw() as usize,
            &mut off_out as *mut i64 as usize,
            5,
            0,
        )
    });
    assert_eq!(copied, Ok(5));
    assert_eq!((off_in, off_out), (7, 8));
    assert_eq!(std::fs::read(dir.join("out")).unwrap(), b"abc23456ij");
    // An error comes back as the errno, through the same decoding.
    // SAFETY: closing a descriptor that is certainly not open.
    let r = unsafe { raw::syscall1(nr::CLOSE, 999_999) };
    assert_eq!(decode(r), Err(Errno::EBADF));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn file_types_of_o_path_descriptors() {
    let dir = temp_dir("types");
    std::fs::write(dir.join("f"), b"x").unwrap();
    let d = fs::open(&cpath(&dir), OFlags::PATH | OFlags::CLOEXEC, 0).unwrap();
    let f = fs::open(&cpath(&dir.join("f")), OFlags::PATH | OFlags::CLOEXEC, 0).unwrap();
    assert_eq!(fs::file_type(d.as_fd()), Ok(fs::FileType::Directory));
    assert_eq!(fs::file_type(f.as_fd()), Ok(fs::FileType::Regular));
    let null = fs::open(c"/dev/null", OFlags::PATH | OFlags::CLOEXEC, 0).unwrap();
    assert_eq!(fs::file_type(null.as_fd()), Ok(fs::FileType::CharDevice));
    assert_eq!(fs::open(&cpath(&dir.join("missing")), OFlags::PATH, 0).unwrap_err(), Errno::ENOENT);
    // O_DIRECTORY is the architecture's own value: it refuses a file.
    assert_eq!(fs::open(&cpath(&dir.join("f")), OFlags::DIRECTORY, 0).unwrap_err(), Errno::ENOTDIR);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_right_beyond_the_kernel_abi_is_einval() {
    let abi = kernel_abi();
    let supported =
        RulesetAttr { handled_access_fs: AccessFs::for_abi(abi).bits(), ..Default::default() };
    ruleset::create_ruleset(&supported).expect("every right of the kernel's own ABI is accepted");

    // The first filesystem right the kernel lacks (or an undefined bit on the newest ABI).
    let beyond = AccessFs::all().difference(AccessFs::for_abi(abi)).bits();
    let beyond = if beyond == 0 { 1 << 17 } else { beyond & beyond.wrapping_neg() };
    let attr = RulesetAttr {
        handled_access_fs: AccessFs::for_abi(abi).bits() | beyond,
        ..Default::default()
    };
    assert_eq!(ruleset::create_ruleset(&attr).unwrap_err(), Errno::EINVAL);

    let net_beyond = AccessNet::all().difference(AccessNet::for_abi(abi)).bits();
    let net_beyond = if net_beyond == 0 { 1 << 4 } else { net_beyond };
    let attr =
        RulesetAttr { handled_access_fs: 1, handled_access_net: net_beyond, ..Default::default() };
    let err = ruleset::create_ruleset(&attr).unwrap_err();
    // A kernel before ABI 4 does not know the field at all and rejects a non-zero tail.
    let expected = if abi < Abi::V4 { Errno::E2BIG } else { Errno::EINVAL };
    assert_eq!(err, expected);

    // Nothing handled at all.
    assert_eq!(ruleset::create_ruleset(&RulesetAttr::default()).unwrap_err(), Errno::ENOMSG);
}

#[test]
fn restrict_self_needs_no_new_privs_without_cap_sys_admin() {
    expect_child(|| {
        // Root keeps CAP_SYS_ADMIN, which would allow restricting without no_new_privs: become
        // nobody, which drops every capability.
        // SAFETY: plain setgid/setuid calls in the child.
        if unsafe { libc::setgid(65534) } != 0 || unsafe { libc::setuid(65534) } != 0 {
            return Err(format!("cannot become nobody: {}", std::io::Error::last_os_error()));
        }
        let attr =
            RulesetAttr { handled_access_fs: AccessFs::READ_FILE.bits(), ..Default::default() };
        let fd = ruleset::create_ruleset(&attr).map_err(|e| format!("create: {e}"))?;
        ensure!(restrict::no_new_privs() == Ok(false), "no_new_privs already set");
        let r = restrict::restrict_self(Some(fd.as_fd()), RestrictSelfFlags::empty());
        ensure!(
            r == Err(Errno::EPERM),
            "restrict_self without no_new_privs: {r:?}, expected EPERM"
        );
        restrict::set_no_new_privs().map_err(|e| format!("prctl: {e}"))?;
        ensure!(restrict::no_new_privs() == Ok(true), "no_new_privs not set");
        restrict::restrict_self(Some(fd.as_fd()), RestrictSelfFlags::empty())
            .map_err(|e| format!("restrict_self with no_new_privs: {e}"))
    });
}

#[test]
fn a_restricted_child_reads_only_inside_its_rules() {
    let abi = kernel_abi();
    let dir = temp_dir("read");
    std::fs::create_dir(dir.join("allowed")).unwrap();
    std::fs::create_dir(dir.join("denied")).unwrap();
    std::fs::write(dir.join("allowed/file"), b"ok").unwrap();
    std::fs::write(dir.join("denied/file"), b"secret").unwrap();
    let allowed = cpath(&dir.join("allowed"));
    let inside = cpath(&dir.join("allowed/file"));
    let outside = cpath(&dir.join("denied/file"));

    expect_child(|| {
        let attr =
            RulesetAttr { handled_access_fs: AccessFs::for_abi(abi).bits(), ..Default::default() };
        let ruleset = ruleset::create_ruleset(&attr).map_err(|e| format!("create: {e}"))?;
        let parent = fs::open(&allowed, OFlags::PATH | OFlags::CLOEXEC, 0)
            .map_err(|e| format!("open: {e}"))?;
        rule::add_path_beneath(
            ruleset.as_fd(),
            parent.as_fd(),
            AccessFs::READ,
            AddRuleFlags::empty(),
        )
        .map_err(|e| format!("add_rule: {e}"))?;
        // Before enforcement the denied file is readable: the test would prove nothing otherwise.
        ensure!(
            fs::open(&outside, OFlags::RDONLY, 0).is_ok(),
            "cannot read the outside file at all"
        );
        restrict::set_no_new_privs().map_err(|e| format!("prctl: {e}"))?;
        restrict::restrict_self(Some(ruleset.as_fd()), RestrictSelfFlags::empty())
            .map_err(|e| format!("restrict_self: {e}"))?;

        let fd = fs::open(&inside, OFlags::RDONLY | OFlags::CLOEXEC, 0)
            .map_err(|e| format!("read inside: {e}"))?;
        let mut buf = [0u8; 8];
        let n = fs::read(fd.as_fd(), &mut buf).map_err(|e| format!("read: {e}"))?;
        ensure!(&buf[..n] == b"ok", "wrong content");
        let r = fs::open(&outside, OFlags::RDONLY | OFlags::CLOEXEC, 0).map(drop);
        ensure!(r == Err(Errno::EACCES), "reading outside the rules: {r:?}, expected EACCES");
        // Read-only: writing inside fails too.
        let r = fs::open(&inside, OFlags::WRONLY | OFlags::CLOEXEC, 0).map(drop);
        ensure!(r == Err(Errno::EACCES), "writing inside a read-only rule: {r:?}, expected EACCES");
        Ok(())
    });
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_fork_helper_reports_failures() {
    // The helper itself must be able to fail, or every test above proves nothing.
    assert_eq!(in_child(|| Err("boom".into())), Err("boom".into()));
    assert!(in_child(|| Ok(())).is_ok());
}
