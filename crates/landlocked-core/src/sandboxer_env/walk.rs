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
        use crate::text::{Filled, NEEDS_ABI, needs_abi};
        // A rule's error names its variable and item, then says what went wrong with it.
        let source = self.error.rule().and_then(|i| self.env.source(i));
        if let (Some(s), Some((template, arg))) = (source, self.error.message()) {
            return write!(f, "{s}: {}", Filled(template, &[arg]));
        }
        match (*self.error, self.env.required) {
            (Error::AbiTooOld { required, found }, Some((abi, var))) if abi == required => {
                Filled(NEEDS_ABI, &needs_abi(var, required, found)).fmt(f)
            }
            _ => write!(f, "{}", self.error),
        }
    }
}
