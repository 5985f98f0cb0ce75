//! The kernel sample's LL_* variables on any values: parsing must return a policy or an error,
//! never panic, and a parsed environment must walk, number and explain its rules consistently.
#![no_main]

use landlocked_core::sandboxer_env::{SandboxerEnv, VARIABLES};
use landlocked_core::{Rules, RulesSummary};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The input is the variables' values separated by 0xff; a missing piece is an unset
    // variable, and a piece starting with 0xfe is unset too.
    let mut values: [Option<&[u8]>; 11] = [None; 11];
    for (slot, piece) in values.iter_mut().zip(data.split(|&b| b == 0xff)) {
        if piece.first() != Some(&0xfe) {
            *slot = Some(piece);
        }
    }
    let lookup = |name: &str| {
        let i = VARIABLES.iter().position(|v| *v == name)?;
        values[i]
    };
    let Ok(env) = SandboxerEnv::parse(lookup) else { return };
    let _ = env.policy();
    let mut count = 0;
    let _ = env.try_for_each(&mut |index, _rule| -> Result<(), ()> {
        assert_eq!(index, count);
        assert!(env.source(index).is_some());
        count += 1;
        Ok(())
    });
    assert_eq!(count, env.rule_count());
    assert!(env.source(count).is_none());
    match RulesSummary::of(&env, Some(landlocked_core::Abi::V7)) {
        Ok(summary) => assert_eq!(summary.count, count),
        Err(e) => {
            // Only an over-long or NUL-holding path can fail here; it is explained by its source.
            let text = env.explain(&e).to_string();
            assert!(text.starts_with("LL_"), "{text}");
        }
    }
});
