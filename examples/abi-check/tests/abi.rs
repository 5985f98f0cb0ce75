//! Run under `landlocked-vm run --env LANDLOCK_EXPECTED_ABI=N --kernel K --` as cargo's
//! runner: the kernel K must report ABI N (`none` without Landlock).

#[test]
fn the_kernel_reports_the_expected_abi() {
    let want = std::env::var("LANDLOCK_EXPECTED_ABI")
        .expect("LANDLOCK_EXPECTED_ABI is not set: pass it with landlocked-vm run --env");
    let seen = abi_check::abi();
    println!("ABI seen: {}", seen.map_or("none".into(), |v| v.to_string()));
    let want = if want == "none" { None } else { Some(want.parse::<u32>().expect("a number")) };
    assert_eq!(seen, want);
}

#[test]
fn the_guest_is_not_the_host() {
    // The runner's guest holds only the test and what it needs. The repository's check runs
    // the test above alone (a filter passed through the runner); this one fails on a host.
    assert!(!std::path::Path::new("/etc/hostname").exists());
}
