//! Prints what the running kernel offers: Landlock support, ABI, errata, and the rights it can
//! restrict.

use landlocked_core::{AccessFs, AccessNet, Kernel, RestrictSelfFlags, Scope};

fn main() {
    let kernel = Kernel::probe();
    println!("landlock: {}", kernel.support);
    let Some(abi) = kernel.support.abi() else { std::process::exit(1) };
    println!("errata:   {}", kernel.errata);
    println!("fs:       {}", AccessFs::for_abi(abi));
    println!("net:      {}", AccessNet::for_abi(abi));
    println!("scopes:   {}", Scope::for_abi(abi));
    println!("flags:    {}", RestrictSelfFlags::for_abi(abi));
}
