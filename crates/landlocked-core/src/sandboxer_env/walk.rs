//! The rules the variables give, walked in place, and errors told in their terms.

use core::fmt;

use super::{RuleSource, SandboxerEnv};
use crate::error::Error;
use crate::policy::{Rule, Rules, SkipReason};

impl Rules for SandboxerEnv<'_> {
    fn try_for_each<E>(
        &self,
        f: &mut dyn FnMut(usize, Rule<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.walk(&mut |index, _, rule| f(index, rule))
    }
}

/// [`SandboxerEnv`]'s rules with a hook for skipped ones ([`SandboxerEnv::with_skip_hook`]).
pub struct WithSkipHook<'e, 'a, F> {
    pub(super) env: &'e SandboxerEnv<'a>,
    pub(super) hook: F,
}

impl<F> fmt::Debug for WithSkipHook<'_, '_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithSkipHook").field("env", self.env).finish_non_exhaustive()
    }
}

impl<F: Fn(RuleSource<'_>, SkipReason)> Rules for WithSkipHook<'_, '_, F> {
    fn try_for_each<E>(
        &self,
        f: &mut dyn FnMut(usize, Rule<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.env.try_for_each(f)
    }

    fn skipped(&self, index: usize, rule: Rule<'_>, reason: SkipReason) {
        let _ = rule;
        if let Some(source) = self.env.source(index) {
            (self.hook)(source, reason);
        }
    }
}

/// An enforcement error told in terms of the variables ([`SandboxerEnv::explain`]).
#[derive(Debug)]
pub struct Explained<'s, 'a> {
    pub(super) env: &'s SandboxerEnv<'a>,
    pub(super) error: &'s Error,
}

impl fmt::Display for Explained<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = self.error.rule().and_then(|i| self.env.source(i));
        match (*self.error, source) {
            (Error::OpenPath { errno, .. }, Some(s)) => write!(f, "{s}: cannot open: {errno}"),
            (Error::InvalidPath { errno, .. }, Some(s)) => write!(f, "{s}: invalid path: {errno}"),
            (Error::AddRule { errno, .. }, Some(s)) => {
                write!(f, "{s}: the kernel refused the rule: {errno}")
            }
            (Error::AbiTooOld { required, found }, _)
                if self.env.required.is_some_and(|(abi, _)| abi == required) =>
            {
                let (_, var) = self.env.required.unwrap_or((required, "?"));
                write!(
                    f,
                    "{var} needs Landlock ABI {required} (Linux {}), this kernel has ABI {found}",
                    required.first_kernel()
                )
            }
            (error, _) => write!(f, "{error}"),
        }
    }
}
