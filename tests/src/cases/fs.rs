//! Filesystem rights: each operation allowed where a rule grants its right and denied with the
//! exact errno where none does, from the ABI that introduced the right.

use landlocked_core::{
    Abi, AccessFs, AccessNet, Errno, Handled, Kernel, Policy, Rule, Scope, Status,
};

use super::{Checks, denied_since, expect_op, harness};
use crate::ops::{self, UnixListener};
use crate::sandbox;
use crate::scratch::Scratch;
use crate::{Case, Outcome};

/// Filesystem only: no network or scope restriction to get in the way.
fn fs_policy() -> Policy {
    Policy::new()
        .with_net(Handled::Only(AccessNet::empty()))
        .with_scoped(Handled::Only(Scope::empty()))
}

/// One operation on the scratch tree and the right that governs it.
struct FsOp {
    name: &'static str,
    /// The right under test.
    right: AccessFs,
    /// Other rights the operation needs, granted in both variants.
    with: AccessFs,
    /// The first ABI able to deny it.
    since: Abi,
    /// What it gives when Landlock lets it through.
    success: Result<(), Errno>,
    op: fn(&Scratch) -> Result<(), Errno>,
}

fn mknod_in_a(s: &Scratch, kind: libc::mode_t) -> Result<(), Errno> {
    ops::mknod(&s.c("a/node"), kind)
}

fn fs_ops() -> Vec<FsOp> {
    let ok = Ok(());
    vec![
        FsOp {
            name: "read_file",
            right: AccessFs::READ_FILE,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| ops::read_file(&s.c("a/f")),
        },
        FsOp {
            name: "write_file",
            right: AccessFs::WRITE_FILE,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| ops::write_file(&s.c("a/f")),
        },
        FsOp {
            name: "read_dir",
            right: AccessFs::READ_DIR,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| ops::read_dir(&s.c("a")),
        },
        FsOp {
            name: "execute",
            right: AccessFs::EXECUTE,
            // The kernel opens a program for reading as well as executing.
            with: AccessFs::READ_FILE,
            since: Abi::V1,
            // The file is no program: getting as far as ENOEXEC means Landlock allowed it.
            success: Err(Errno::ENOEXEC),
            op: |s| ops::execute(&s.c("a/x")),
        },
        FsOp {
            name: "make_reg",
            right: AccessFs::MAKE_REG,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| mknod_in_a(s, libc::S_IFREG),
        },
        FsOp {
            name: "make_dir",
            right: AccessFs::MAKE_DIR,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| ops::mkdir(&s.c("a/new")),
        },
        FsOp {
            name: "make_fifo",
            right: AccessFs::MAKE_FIFO,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| mknod_in_a(s, libc::S_IFIFO),
        },
        FsOp {
            name: "make_sock",
            right: AccessFs::MAKE_SOCK,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| mknod_in_a(s, libc::S_IFSOCK),
        },
        FsOp {
            name: "make_char",
            right: AccessFs::MAKE_CHAR,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| mknod_in_a(s, libc::S_IFCHR),
        },
        FsOp {
            name: "make_block",
            right: AccessFs::MAKE_BLOCK,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| mknod_in_a(s, libc::S_IFBLK),
        },
        FsOp {
            name: "make_sym",
            right: AccessFs::MAKE_SYM,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| ops::symlink(c"f", &s.c("a/link")),
        },
        FsOp {
            name: "remove_file",
            right: AccessFs::REMOVE_FILE,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| ops::unlink(&s.c("a/f")),
        },
        FsOp {
            name: "remove_dir",
            right: AccessFs::REMOVE_DIR,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| ops::rmdir(&s.c("a/d")),
        },
        FsOp {
            name: "rename_same_dir",
            right: AccessFs::REMOVE_FILE.union(AccessFs::MAKE_REG),
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| ops::rename(&s.c("a/f"), &s.c("a/g")),
        },
        FsOp {
            name: "link_same_dir",
            right: AccessFs::MAKE_REG,
            with: AccessFs::empty(),
            since: Abi::V1,
            success: ok,
            op: |s| ops::link(&s.c("a/f"), &s.c("a/h")),
        },
        FsOp {
            name: "truncate",
            right: AccessFs::TRUNCATE,
            with: AccessFs::empty(),
            since: Abi::V3,
            success: ok,
            op: |s| ops::truncate(&s.c("a/f")),
        },
    ]
}

/// Whether the operation works at all here, unsandboxed (creating devices needs CAP_MKNOD).
fn works_unsandboxed(op: &FsOp) -> Result<(), String> {
    let scratch = Scratch::new("probe");
    match sandbox::in_child(|| (op.op)(&scratch)) {
        Ok(r) if r == op.success => Ok(()),
        Ok(r) => Err(format!("unsandboxed it gives {r:?}")),
        Err(e) => Err(e),
    }
}

/// The operation with a rule granting exactly its right on `a/`: it works.
fn allowed(op: &FsOp, kernel: &Kernel) -> Outcome {
    if let Err(why) = works_unsandboxed(op) {
        return Outcome::Skip(why);
    }
    let scratch = Scratch::new(op.name);
    let a = scratch.bytes("a");
    let rules = [Rule::path(&a, op.right | op.with)];
    let run = match sandbox::run(&fs_policy(), &rules, || (op.op)(&scratch)) {
        Ok(run) => run,
        Err(e) => return harness(e),
    };
    match run.enforce {
        Ok(report) => {
            let mut c = Checks::default();
            // A rule granting a right the kernel cannot restrict leaves it allowed everywhere:
            // the report must call that partial.
            let status = match kernel.support.abi() {
                Some(abi) if abi < op.since => Status::Partial,
                _ => super::status_on(kernel),
            };
            c.eq("status", report.status(), status);
            if let Outcome::Fail(f) =
                expect_op(run.op.unwrap_or(Err(Errno::EIO)), op.success, &report)
            {
                return Outcome::Fail(f);
            }
            c.outcome()
        }
        Err(e) => Outcome::Fail(format!("enforce: {e}")),
    }
}

/// The operation with a rule granting every other right on `a/`: denied from `since`.
fn denied(op: &FsOp, kernel: &Kernel) -> Outcome {
    if let Err(why) = works_unsandboxed(op) {
        return Outcome::Skip(why);
    }
    let scratch = Scratch::new(op.name);
    let a = scratch.bytes("a");
    let rules = [Rule::path(&a, AccessFs::all().difference(op.right))];
    let run = match sandbox::run(&fs_policy(), &rules, || (op.op)(&scratch)) {
        Ok(run) => run,
        Err(e) => return harness(e),
    };
    match run.enforce {
        Ok(report) => expect_op(
            run.op.unwrap_or(Err(Errno::EIO)),
            denied_since(kernel, op.since, Errno::EACCES, op.success),
            &report,
        ),
        Err(e) => Outcome::Fail(format!("enforce: {e}")),
    }
}

/// Reading a file beneath no rule at all.
fn outside_every_rule(kernel: &Kernel) -> Outcome {
    let scratch = Scratch::new("outside");
    let a = scratch.bytes("a");
    let rules = [Rule::path(&a, AccessFs::all())];
    let outside = scratch.c("b/f");
    match sandbox::run(&fs_policy(), &rules, || ops::read_file(&outside)) {
        Ok(sandbox::Run { enforce: Ok(report), op: Some(got) }) => {
            expect_op(got, denied_since(kernel, Abi::V1, Errno::EACCES, Ok(())), &report)
        }
        Ok(run) => Outcome::Fail(format!("enforce: {:?}", run.enforce)),
        Err(e) => harness(e),
    }
}

/// Moving or linking a file into another directory. Without `refer` it is `EXDEV` on every ABI;
/// with `refer` granted on both sides it works from ABI 2, and ABI 1 denies it whatever the
/// rules say.
fn cross_directory(kernel: &Kernel, grant_refer: bool, link: bool) -> Outcome {
    let scratch = Scratch::new("refer");
    let (a, c) = (scratch.bytes("a"), scratch.bytes("c"));
    let mut access = AccessFs::MAKE_REG | AccessFs::REMOVE_FILE | AccessFs::READ_FILE;
    if grant_refer {
        access |= AccessFs::REFER;
    }
    let rules = [Rule::path(&a, access), Rule::path(&c, access)];
    let (from, to) = (scratch.c("a/f"), scratch.c("c/f"));
    let op = || if link { ops::link(&from, &to) } else { ops::rename(&from, &to) };
    let (report, op) = match sandbox::enforced(&fs_policy(), &rules, op) {
        Ok(v) => v,
        Err(outcome) => return outcome,
    };
    let want = match kernel.support.abi() {
        None => Ok(()),
        Some(Abi::V1) => Err(Errno::EXDEV),
        Some(_) if grant_refer => Ok(()),
        Some(_) => Err(Errno::EXDEV),
    };
    let mut c = Checks::default();
    c.eq("refer_always_denied", report.refer_always_denied, kernel.support.abi() == Some(Abi::V1));
    // A rule that grants refer cannot be honoured on ABI 1, nor anything without Landlock: the
    // report must say so.
    let refer_missing = grant_refer && matches!(kernel.support.abi(), None | Some(Abi::V1));
    c.eq("refer reported missing", report.missing().fs.contains(AccessFs::REFER), refer_missing);
    if let Outcome::Fail(f) = expect_op(op, want, &report) {
        return Outcome::Fail(f);
    }
    c.outcome()
}

/// A device's ioctl, governed by a rule on the device file itself (ABI 5).
fn ioctl_dev(kernel: &Kernel, grant: bool) -> Outcome {
    let null = c"/dev/null";
    if ops::ioctl_dev(null) != Err(Errno::ENOTTY) {
        return Outcome::Skip("/dev/null does not answer TCGETS with ENOTTY here".into());
    }
    let mut access = AccessFs::READ_FILE;
    if grant {
        access |= AccessFs::IOCTL_DEV;
    }
    let rules = [Rule::path(b"/dev/null", access)];
    match sandbox::run(&fs_policy(), &rules, || ops::ioctl_dev(null)) {
        Ok(sandbox::Run { enforce: Ok(report), op: Some(got) }) => {
            let want = if grant {
                Err(Errno::ENOTTY)
            } else {
                denied_since(kernel, Abi::V5, Errno::EACCES, Err(Errno::ENOTTY))
            };
            expect_op(got, want, &report)
        }
        Ok(run) => Outcome::Fail(format!("enforce: {:?}", run.enforce)),
        Err(e) => harness(e),
    }
}

/// Connecting to a pathname UNIX socket created outside the domain (ABI 9).
fn resolve_unix(kernel: &Kernel, grant: bool) -> Outcome {
    let scratch = Scratch::new("unix");
    let sock = scratch.bytes("a/sock");
    let listener = match UnixListener::bind(&sock) {
        Ok(l) => l,
        Err(e) => return Outcome::Skip(format!("cannot listen on a UNIX socket: {e}")),
    };
    let a = scratch.bytes("a");
    let access = if grant {
        AccessFs::RESOLVE_UNIX
    } else {
        AccessFs::all().difference(AccessFs::RESOLVE_UNIX)
    };
    let rules = [Rule::path(&a, access)];
    match sandbox::run(&fs_policy(), &rules, || listener.connect()) {
        Ok(sandbox::Run { enforce: Ok(report), op: Some(got) }) => {
            let want =
                if grant { Ok(()) } else { denied_since(kernel, Abi::V9, Errno::EACCES, Ok(())) };
            expect_op(got, want, &report)
        }
        Ok(run) => Outcome::Fail(format!("enforce: {:?}", run.enforce)),
        Err(e) => harness(e),
    }
}

/// A rule on a single file: directory rights are dropped (the kernel refuses them on a file),
/// the file rights work, and a sibling stays denied.
fn rule_on_a_file(kernel: &Kernel) -> Outcome {
    let scratch = Scratch::new("file-rule");
    let f = scratch.bytes("a/f");
    let rules = [Rule::path(&f, AccessFs::READ_FILE | AccessFs::READ_DIR | AccessFs::MAKE_REG)];
    let (file, sibling) = (scratch.c("a/f"), scratch.c("a/x"));
    match sandbox::run(&fs_policy(), &rules, || (ops::read_file(&file), ops::read_file(&sibling))) {
        Ok(sandbox::Run { enforce: Ok(report), op: Some((file, sibling)) }) => {
            let mut c = Checks::default();
            c.eq("reading the file", file, Ok(()));
            c.eq(
                "reading its sibling",
                sibling,
                denied_since(kernel, Abi::V1, Errno::EACCES, Ok(())),
            );
            let added = u32::from(kernel.support.abi().is_some());
            c.eq("rules added", report.rules.added, added);
            c.outcome()
        }
        Ok(run) => Outcome::Fail(format!("enforce: {:?}", run.enforce)),
        Err(e) => harness(e),
    }
}

pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for op in fs_ops() {
        let op = std::rc::Rc::new(op);
        let (o1, o2) = (op.clone(), op.clone());
        cases.push(Case::new(format!("fs.{}.allowed", op.name), move |k| allowed(&o1, k)));
        cases.push(Case::new(format!("fs.{}.denied", op.name), move |k| denied(&o2, k)));
    }
    cases.push(Case::new("fs.outside_every_rule", outside_every_rule));
    cases.push(Case::new("fs.rename_cross_dir.refer_granted", |k| cross_directory(k, true, false)));
    cases.push(Case::new("fs.rename_cross_dir.no_refer", |k| cross_directory(k, false, false)));
    cases.push(Case::new("fs.link_cross_dir.refer_granted", |k| cross_directory(k, true, true)));
    cases.push(Case::new("fs.link_cross_dir.no_refer", |k| cross_directory(k, false, true)));
    cases.push(Case::new("fs.ioctl_dev.allowed", |k| ioctl_dev(k, true)));
    cases.push(Case::new("fs.ioctl_dev.denied", |k| ioctl_dev(k, false)));
    cases.push(Case::new("fs.resolve_unix.allowed", |k| resolve_unix(k, true)));
    cases.push(Case::new("fs.resolve_unix.denied", |k| resolve_unix(k, false)));
    cases.push(Case::new("fs.rule_on_a_file", rule_on_a_file));
    cases
}
