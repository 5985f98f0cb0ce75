//! A ruleset being filled for a plan: each rule masked to what the plan handles, each path
//! opened and checked, the counts kept for the report.

use crate::error::Error;
use crate::fd::OwnedFd;
use crate::fs::{self, FileType, OFlags};
use crate::negotiate::{PATH_MAX, Plan, check_path};
use crate::policy::{OnMissing, PathSource, Rule, Rules, SkipReason};
use crate::report::RuleCounts;
use crate::rule;
use crate::ruleset::create_ruleset;
use crate::{AccessFs, AddRuleFlags, BorrowedFd};

/// A ruleset being filled for a [`Plan`]: created, given its rules, then enforced with
/// [`Ruleset::restrict_self`]. Nothing here allocates or touches anything but the ruleset.
#[derive(Debug)]
pub struct Ruleset {
    pub(crate) fd: OwnedFd,
    pub(crate) plan: Plan,
    pub(crate) counts: RuleCounts,
}

impl Ruleset {
    /// Creates the ruleset the plan describes, or `None` when the plan enforces no domain.
    // `#[inline]` (as for `open_path` and `fs::file_type`): called once, where the caller's
    // plan and result can be used in place (the static sandboxer is 0.35 KiB smaller).
    #[inline]
    pub fn new(plan: &Plan) -> Result<Option<Ruleset>, Error> {
        let Some(attr) = plan.attr else { return Ok(None) };
        let fd = create_ruleset(&attr).map_err(Error::CreateRuleset)?;
        Ok(Some(Ruleset { fd, plan: *plan, counts: RuleCounts::default() }))
    }

    /// The ruleset's descriptor.
    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Rules added and skipped so far.
    pub fn counts(&self) -> RuleCounts {
        self.counts
    }

    /// Adds every rule of `rules`, telling `rules` about each one skipped.
    pub fn add_rules<R: Rules + ?Sized>(&mut self, rules: &R) -> Result<(), Error> {
        rules.try_for_each(&mut |index, rule| {
            if let Some(reason) = self.add_rule(index, rule)? {
                rules.skipped(index, rule, reason);
            }
            Ok(())
        })
    }

    /// Adds one rule, masked to what the plan handles. Returns why it was skipped, if it was.
    ///
    /// A path is opened `O_PATH | O_CLOEXEC`; a non-directory keeps only [`AccessFs::FILE`]
    /// rights. A rule left with nothing the kernel restricts is skipped, as adding it would
    /// change nothing (and the kernel refuses an empty rule).
    pub fn add_rule(&mut self, index: usize, rule: Rule<'_>) -> Result<Option<SkipReason>, Error> {
        let quiet_flag = |quiet: bool| {
            if quiet && self.plan.quiet_rules { AddRuleFlags::QUIET } else { AddRuleFlags::empty() }
        };
        let skipped = match rule {
            Rule::Port { port, access, quiet } => {
                let access = access.intersection(self.plan.rule_net);
                let flags = quiet_flag(quiet);
                if access.is_empty() && flags.is_empty() {
                    Some(SkipReason::Unsupported)
                } else {
                    rule::add_net_port(self.fd.as_fd(), u64::from(port), access, flags)
                        .map_err(|errno| Error::AddRule { rule: index, errno })?;
                    None
                }
            }
            Rule::Path { source, access, quiet } => {
                let flags = quiet_flag(quiet);
                let access = access.intersection(self.plan.rule_fs);
                if access.is_empty() && flags.is_empty() {
                    // Nothing to open for: skip before touching the path.
                    Some(SkipReason::Unsupported)
                } else {
                    self.add_path(index, source, access, flags)?
                }
            }
        };
        match skipped {
            None => self.counts.added += 1,
            Some(SkipReason::Missing(_)) => self.counts.skipped_missing += 1,
            Some(SkipReason::Unsupported) => self.counts.skipped_unsupported += 1,
        }
        Ok(skipped)
    }

    fn add_path(
        &mut self,
        index: usize,
        source: PathSource<'_>,
        access: AccessFs,
        flags: AddRuleFlags,
    ) -> Result<Option<SkipReason>, Error> {
        let opened;
        let fd = match source {
            PathSource::Fd(fd) => fd,
            PathSource::Path(path) => match open_path(index, path)? {
                Ok(fd) => {
                    opened = fd;
                    opened.as_fd()
                }
                Err(errno) => return self.missing(index, errno),
            },
        };
        let access = match fs::file_type(fd) {
            Ok(FileType::Directory) => access,
            Ok(_) => access.intersection(AccessFs::FILE),
            Err(errno) => return self.missing(index, errno),
        };
        if access.is_empty() && flags.is_empty() {
            return Ok(Some(SkipReason::Unsupported));
        }
        rule::add_path_beneath(self.fd.as_fd(), fd, access, flags)
            .map_err(|errno| Error::AddRule { rule: index, errno })?;
        Ok(None)
    }

    fn missing(&self, index: usize, errno: crate::Errno) -> Result<Option<SkipReason>, Error> {
        match self.plan.on_missing {
            OnMissing::Error => Err(Error::OpenPath { rule: index, errno }),
            OnMissing::Skip => Ok(Some(SkipReason::Missing(errno))),
        }
    }
}

/// Checks that every path rule's path can be opened, for a plan without a domain: bad input is
/// an error whether or not the kernel can enforce anything.
pub(crate) fn check_paths<R: Rules + ?Sized>(rules: &R) -> Result<(), Error> {
    rules.try_for_each(&mut |index, rule| match rule {
        Rule::Path { source: PathSource::Path(path), .. } => match open_path(index, path)? {
            Ok(_) => Ok(()),
            Err(errno) => Err(Error::OpenPath { rule: index, errno }),
        },
        _ => Ok(()),
    })
}

/// Opens a rule's path `O_PATH | O_CLOEXEC`, NUL-terminating it in a stack buffer. The outer
/// error is a malformed path, the inner one the kernel's answer.
#[inline]
fn open_path(index: usize, path: &[u8]) -> Result<Result<OwnedFd, crate::Errno>, Error> {
    check_path(index, path)?;
    // Most paths are short: terminate those in a small buffer rather than zeroing 4 KiB for
    // every rule, which shows with thousands of rules.
    let mut small = [0u8; 256];
    let mut large;
    let buf: &mut [u8] = if path.len() < small.len() {
        &mut small
    } else {
        large = [0u8; PATH_MAX + 1];
        &mut large
    };
    // `get_mut` rather than indexing: `check_path` bounds the length, and no panic path is
    // left for a static binary without `core::fmt` to carry.
    let Some(dst) = buf.get_mut(..path.len()) else {
        return Err(Error::InvalidPath { rule: index, errno: crate::Errno::ENAMETOOLONG });
    };
    dst.copy_from_slice(path);
    let Some(with_nul) = buf.get(..=path.len()) else {
        return Err(Error::InvalidPath { rule: index, errno: crate::Errno::ENAMETOOLONG });
    };
    // SAFETY: `check_path` refused a NUL in `path`, and the byte after it is one of the
    // buffer's zeros: `with_nul` is a C string, and it need not be scanned again.
    let cpath = unsafe { core::ffi::CStr::from_bytes_with_nul_unchecked(with_nul) };
    Ok(fs::open(cpath, OFlags::PATH | OFlags::CLOEXEC, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn paths_of_every_length_are_opened_whole() {
        // "/" then "./" as often as needed: the root, at whatever length, so that both buffers
        // (and the boundary between them) are used.
        for len in [1, 3, 255, 257, 1001, PATH_MAX] {
            let mut path = Vec::from(&b"/"[..]);
            while path.len() + 2 <= len {
                path.extend_from_slice(b"./");
            }
            if path.len() < len {
                path.push(b'.');
            }
            assert_eq!(path.len(), len);
            let fd = open_path(0, &path).unwrap().unwrap_or_else(|e| panic!("{len}: {e}"));
            assert_eq!(fs::file_type(fd.as_fd()), Ok(FileType::Directory));
        }
        // A path cut short at the buffer's end would open something else: "/tmp/x" ending at
        // byte 256 must not be read as its first 255 bytes.
        let mut path = Vec::from(&b"/"[..]);
        while path.len() < 250 {
            path.extend_from_slice(b"./");
        }
        path.extend_from_slice(b"no-such-entry");
        assert_eq!(open_path(0, &path).unwrap().err(), Some(crate::Errno::ENOENT));
    }
}
