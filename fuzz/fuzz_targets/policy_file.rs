//! The policy file parser on any input, in both formats: it must return a policy or an error
//! with a position inside the text, never panic, and every rule must name its origin.
#![no_main]

use landlocked::policy_file::{Format, PolicyFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in [Format::Toml, Format::Json] {
        match PolicyFile::parse(text, format, "fuzz") {
            Ok(policy) => {
                for rule in &policy.rules {
                    assert!(rule.origin.as_deref().is_some_and(|o| o.starts_with("fuzz:")));
                }
                // Turning it into a sandbox must not panic either.
                let _ = policy.sandbox();
            }
            Err(e) => {
                let (line, column) = e.position.expect("a parse error has a position");
                assert!(line >= 1 && column >= 1);
                assert!(line <= text.lines().count().max(1) + 1);
                assert!(!e.message.contains('\n'), "{:?}", e.message);
            }
        }
    }
});
