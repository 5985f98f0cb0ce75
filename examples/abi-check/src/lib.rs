//! The Landlock ABI of the running kernel, as a test sees it.

/// The ABI version, or `None` without Landlock.
pub fn abi() -> Option<u32> {
    landlocked_core::Kernel::probe().support.abi().map(|a| a.version())
}
