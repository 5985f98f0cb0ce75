//! The filters as the kernel would run them: a classic BPF interpreter over `seccomp_data`, so
//! that every decision is checked for every architecture entry point, with no kernel involved.

use super::table::native;
use super::*;
use landlocked_core::Abi;

/// `struct seccomp_data` as the filter reads it.
struct Data {
    nr: u32,
    arch: u32,
    args: [u64; 6],
}

impl Data {
    fn native(name: &str, args: &[u64]) -> Data {
        let mut a = [0; 6];
        a[..args.len()].copy_from_slice(args);
        Data { nr: native(name), arch: raw::AUDIT_ARCH_NATIVE, args: a }
    }

    fn word(&self, offset: u32) -> u32 {
        match offset {
            raw::DATA_NR => self.nr,
            raw::DATA_ARCH => self.arch,
            o if (raw::DATA_ARGS..raw::DATA_ARGS + 48).contains(&o) => {
                let i = ((o - raw::DATA_ARGS) / 8) as usize;
                let high = (o - raw::DATA_ARGS) % 8 == 4;
                (if high { self.args[i] >> 32 } else { self.args[i] }) as u32
            }
            o => panic!("load of offset {o}"),
        }
    }
}

/// Runs one program: the classic BPF subset seccomp allows (loads, ALU, jumps, returns).
fn run(program: &[SockFilter], data: &Data) -> u32 {
    let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
    loop {
        let i = program[pc];
        pc += 1;
        let operand = if i.code & 0x08 != 0 { x } else { i.k };
        match i.code & 0x07 {
            0x00 => match i.code & 0xe0 {
                0x20 => a = data.word(i.k),
                0x00 => a = i.k,
                m => panic!("load mode {m:#x}"),
            },
            0x01 => x = if i.code & 0xe0 == 0 { i.k } else { panic!("ldx mode") },
            0x04 => {
                a = match i.code & 0xf0 {
                    0x00 => a.wrapping_add(operand),
                    0x10 => a.wrapping_sub(operand),
                    0x50 => a & operand,
                    0x40 => a | operand,
                    0x60 => a << operand,
                    0x70 => a >> operand,
                    op => panic!("alu {op:#x}"),
                }
            }
            0x05 => {
                let taken = match i.code & 0xf0 {
                    0x00 => {
                        pc += i.k as usize;
                        continue;
                    }
                    0x10 => a == operand,
                    0x20 => a > operand,
                    0x30 => a >= operand,
                    0x40 => a & operand != 0,
                    op => panic!("jump {op:#x}"),
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            0x06 => return if i.code & 0x18 == 0x10 { a } else { i.k },
            0x07 => {
                if i.code & 0xf8 == 0 {
                    x = a
                } else {
                    a = x
                }
            }
            class => panic!("class {class:#x}"),
        }
    }
}

/// What the kernel decides with every program installed: the strictest action wins (the
/// lowest action as a signed number: `KILL_PROCESS` is negative), and among equal actions the
/// newest filter's.
fn decide(plan: &Plan, data: &Data) -> u32 {
    let action = |r: u32| (r & 0xffff_0000) as i32;
    let mut result = raw::RET_ALLOW;
    for program in plan.filters.programs.iter().rev() {
        let r = run(program, data);
        if action(r) < action(result) {
            result = r;
        }
    }
    result
}

const EACCES: u32 = raw::RET_ERRNO | 13;
const EPERM: u32 = raw::RET_ERRNO | 1;

fn network(covered: AccessNet) -> Plan {
    let network =
        net::Request { requested: AccessNet::all(), covered, landlock_abi: Some(Abi::V7) };
    plan(Request { available: true, network: Some(network), syscall_filter: None }).unwrap()
}

fn with_filter(filter: &SyscallFilter) -> Plan {
    plan(Request { available: true, network: None, syscall_filter: Some(filter.clone()) }).unwrap()
}

fn socket(family: i32, kind: i32, protocol: i32) -> Data {
    Data::native("socket", &[family as u64, kind as u64, protocol as u64])
}

#[test]
fn the_network_filter_lets_through_only_what_landlock_sees() {
    let plan = network(AccessNet::empty());
    let tcp = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
    for (data, want, what) in [
        (socket(libc::AF_INET, tcp, 0), raw::RET_ALLOW, "TCP"),
        (
            socket(libc::AF_INET6, tcp | libc::SOCK_NONBLOCK, libc::IPPROTO_TCP),
            raw::RET_ALLOW,
            "TCP6",
        ),
        (socket(libc::AF_INET, libc::SOCK_DGRAM, 0), raw::RET_ALLOW, "UDP"),
        (socket(libc::AF_UNIX, libc::SOCK_STREAM, 0), raw::RET_ALLOW, "unix"),
        (socket(libc::AF_NETLINK, libc::SOCK_RAW, 0), raw::RET_ALLOW, "netlink"),
        (socket(libc::AF_INET, tcp, libc::IPPROTO_MPTCP), EACCES, "MPTCP"),
        (socket(libc::AF_INET6, libc::SOCK_STREAM, libc::IPPROTO_SCTP), EACCES, "SCTP stream"),
        (socket(libc::AF_INET, libc::SOCK_SEQPACKET, libc::IPPROTO_SCTP), EACCES, "SCTP"),
        (socket(libc::AF_INET, libc::SOCK_DGRAM, libc::IPPROTO_ICMP), EACCES, "ping"),
        (socket(libc::AF_INET, libc::SOCK_DGRAM, libc::IPPROTO_UDPLITE), EACCES, "UDP-Lite"),
        (socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_TCP), EACCES, "raw"),
        (socket(libc::AF_VSOCK, libc::SOCK_STREAM, 0), EACCES, "vsock"),
        (socket(libc::AF_PACKET, libc::SOCK_RAW, 0), EACCES, "packet"),
        (Data::native("socketpair", &[libc::AF_UNIX as u64, 1, 0]), raw::RET_ALLOW, "unix pair"),
        (Data::native("socketpair", &[libc::AF_TIPC as u64, 5, 0]), EACCES, "TIPC pair"),
        (Data::native("io_uring_setup", &[8, 0]), EACCES, "io_uring"),
        (Data::native("connect", &[3, 0, 16]), raw::RET_ALLOW, "connect"),
    ] {
        assert_eq!(run(&plan.filters.programs[0], &data), want, "{what}");
    }
    // The high half of an argument is not looked at: the kernel takes an int.
    let smuggled = socket(libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_MPTCP);
    let smuggled = Data { args: [smuggled.args[0] | 1 << 32, 1, 262, 0, 0, 0], ..smuggled };
    assert_eq!(run(&plan.filters.programs[0], &smuggled), EACCES);
}

#[test]
fn a_protocol_landlock_cannot_restrict_is_denied_whole() {
    let udp_too = network(AccessNet::UDP);
    assert_eq!(decide(&udp_too, &socket(libc::AF_INET, libc::SOCK_DGRAM, 0)), EACCES);
    assert_eq!(decide(&udp_too, &socket(libc::AF_INET, libc::SOCK_STREAM, 0)), raw::RET_ALLOW);
    let all = network(AccessNet::all());
    for family in [libc::AF_INET, libc::AF_INET6] {
        for kind in [libc::SOCK_STREAM, libc::SOCK_DGRAM, libc::SOCK_RAW] {
            assert_eq!(decide(&all, &socket(family, kind, 0)), EACCES, "{family} {kind}");
        }
    }
    assert_eq!(decide(&all, &socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0)), raw::RET_ALLOW);
    assert_eq!(all.report.net, AccessNet::all());
}

#[test]
fn other_entry_points_are_killed() {
    let plans = [network(AccessNet::empty()), syscalls("~@mount"), syscalls("@system-service")];
    for plan in &plans {
        for program in &plan.filters.programs {
            if cfg!(target_arch = "x86_64") {
                // getpid through int 0x80, and through the x32 ABI.
                let i386 = Data { nr: 20, arch: raw::AUDIT_ARCH_I386, args: [0; 6] };
                assert_eq!(run(program, &i386), raw::RET_KILL_PROCESS);
                let x32 = Data { nr: raw::X32_SYSCALL_BIT | 39, ..Data::native("getpid", &[]) };
                assert_eq!(run(program, &x32), raw::RET_KILL_PROCESS);
            } else {
                let arm = Data { nr: 20, arch: raw::AUDIT_ARCH_ARM, args: [0; 6] };
                assert_eq!(run(program, &arm), raw::RET_KILL_PROCESS);
            }
        }
    }
}

fn syscalls(line: &str) -> Plan {
    with_filter(&SyscallFilter::parse(line).unwrap())
}

fn syscall(plan: &Plan, name: &str) -> u32 {
    decide(plan, &Data::native(name, &[]))
}

#[test]
fn an_allow_list_allows_its_groups_and_default_and_denies_the_rest() {
    let plan = syscalls("@basic-io @file-system");
    assert_eq!(plan.filters.programs.len(), 1);
    for allowed in
        ["read", "write", "openat", "execve", "exit_group", "brk", "mmap", "rt_sigreturn"]
    {
        assert_eq!(syscall(&plan, allowed), raw::RET_ALLOW, "{allowed}");
    }
    for denied in ["socket", "mount", "ptrace", "clone3", "reboot"] {
        assert_eq!(syscall(&plan, denied), EPERM, "{denied}");
    }
}

#[test]
fn lines_merge_as_systemd_merges_them() {
    let mut filter = SyscallFilter::parse("@system-service").unwrap();
    filter.add("~@resources @privileged").unwrap();
    filter.add("~mount:EBADF").unwrap();
    filter.set_action(DenyAction::Errno(Errno::EACCES));
    let plan = with_filter(&filter);
    assert_eq!(syscall(&plan, "read"), raw::RET_ALLOW);
    assert_eq!(syscall(&plan, "setpriority"), EACCES, "removed from the allow-list");
    assert_eq!(syscall(&plan, "reboot"), EACCES);
    assert_eq!(syscall(&plan, "mount"), raw::RET_ERRNO | libc::EBADF as u32);
    assert_eq!(filter.action_for("mount"), Some(DenyAction::Errno(Errno::from_raw(9).unwrap())));

    let mut deny = SyscallFilter::parse("~@mount @swap:ENOSYS").unwrap();
    deny.add("umount2").unwrap();
    deny.set_action(DenyAction::Kill);
    let plan = with_filter(&deny);
    assert_eq!(syscall(&plan, "mount"), raw::RET_KILL_PROCESS);
    assert_eq!(syscall(&plan, "swapon"), raw::RET_ERRNO | libc::ENOSYS as u32);
    assert_eq!(syscall(&plan, "umount2"), raw::RET_ALLOW, "allowed again");
    assert_eq!(syscall(&plan, "read"), raw::RET_ALLOW);
    // With the default KILL, an allow-list entry's own errno still wins.
    let mut allow = SyscallFilter::parse("@basic-io").unwrap();
    allow.add("~uname:ENOSYS").unwrap().set_action(DenyAction::Kill);
    let plan = with_filter(&allow);
    assert_eq!(syscall(&plan, "uname"), raw::RET_ERRNO | libc::ENOSYS as u32);
    assert_eq!(syscall(&plan, "socket"), raw::RET_KILL_PROCESS);
}

#[test]
fn bad_lines_are_refused_naming_the_entry() {
    for (line, want) in [
        ("", SyscallFilterError::Empty),
        ("  ~ ", SyscallFilterError::Empty),
        ("@nope", SyscallFilterError::UnknownGroup("@nope".into())),
        ("reed", SyscallFilterError::UnknownSyscall("reed".into())),
        ("read:EPERM", SyscallFilterError::ActionOnAllowed("read:EPERM".into())),
        // Only ASCII spaces, tabs and line ends separate entries, as in systemd.
        ("read\u{a0}write", SyscallFilterError::UnknownSyscall("read\u{a0}write".into())),
    ] {
        assert_eq!(SyscallFilter::parse(line), Err(want), "{line:?}");
    }
    let Err(SyscallFilterError::BadAction { entry, .. }) = SyscallFilter::parse("~read:EWHAT")
    else {
        panic!("a bad errno is refused")
    };
    assert_eq!(entry, "read:EWHAT");
    // A later bad line changes nothing.
    let mut filter = SyscallFilter::parse("~mount").unwrap();
    let before = filter.clone();
    assert!(filter.add("~swapon reed").is_err());
    assert_eq!(filter, before);
    // Another architecture's syscall is accepted and does nothing here.
    let other = if cfg!(target_arch = "x86_64") { "~renameat2 mmap2" } else { "~renameat2 open" };
    assert_eq!(SyscallFilter::parse(other).unwrap().len(), 1);
}

#[test]
fn actions_parse_as_systemd_error_numbers() {
    assert_eq!("EPERM".parse(), Ok(DenyAction::Errno(Errno::EPERM)));
    assert_eq!("EUCLEAN".parse(), Ok(DenyAction::Errno(Errno::from_raw(117).unwrap())));
    assert_eq!("EWOULDBLOCK".parse(), Ok(DenyAction::Errno(Errno::from_raw(11).unwrap())));
    assert_eq!("300".parse(), Ok(DenyAction::Errno(Errno::from_raw(300).unwrap())));
    assert_eq!("kill".parse(), Ok(DenyAction::Kill));
    for bad in ["", "0", "4096", "-1", "eperm", "EPERM "] {
        assert!(bad.parse::<DenyAction>().is_err(), "{bad:?}");
    }
    assert_eq!(DenyAction::Errno(Errno::from_raw(117).unwrap()).to_string(), "EUCLEAN");
    assert_eq!(DenyAction::default().to_string(), "EPERM");
}

#[test]
fn every_group_member_is_a_syscall_or_a_group() {
    for group in groups::GROUPS {
        for member in group.members {
            if member.starts_with('@') {
                assert!(groups::find(member).is_some(), "{}: {member}", group.name);
            }
        }
    }
    // The groups the issue names, with what must be in them here.
    for (group, member) in [
        ("@system-service", "openat"),
        ("@basic-io", "read"),
        ("@file-system", "openat"),
        ("@network-io", "connect"),
        ("@process", "clone"),
        ("@mount", "mount"),
        ("@module", "init_module"),
        ("@raw-io", if cfg!(target_arch = "x86_64") { "iopl" } else { "pciconfig_read" }),
        ("@reboot", "reboot"),
        ("@swap", "swapon"),
        ("@debug", "ptrace"),
        ("@privileged", "setuid"),
        ("@clock", "settimeofday"),
        ("@keyring", "keyctl"),
        ("@resources", "setpriority"),
        ("@obsolete", if cfg!(target_arch = "x86_64") { "uselib" } else { "" }),
        ("@cpu-emulation", if cfg!(target_arch = "x86_64") { "modify_ldt" } else { "" }),
    ] {
        let filter = SyscallFilter::parse(&format!("~{group}")).unwrap();
        if !member.is_empty() {
            assert!(!filter.allows(member), "{group} denies {member}");
        }
    }
    let known = SyscallFilter::parse("~@known").unwrap();
    assert!(known.len() > 300, "{}", known.len());
}

#[test]
fn a_number_set_matches_exactly_its_numbers() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..200 {
        let density = next() % 100;
        let set: BTreeSet<u32> = (0..600).filter(|_| next() % 100 < density).collect();
        let program = bpf::number_set(&set, raw::RET_ALLOW, EPERM, None).unwrap();
        for nr in 0..700 {
            let data = Data { nr, arch: raw::AUDIT_ARCH_NATIVE, args: [0; 6] };
            let want = if set.contains(&nr) { raw::RET_ALLOW } else { EPERM };
            assert_eq!(run(&program, &data), want, "round {round}, nr {nr}");
        }
    }
    // The whole native table allowed or denied stays far below the kernel's limit.
    let known = SyscallFilter::parse("~@known").unwrap();
    assert!(syscall_programs(&known).unwrap()[0].len() < 200);
}

#[test]
fn an_allow_list_gives_enosys_past_the_table_and_for_minus_one() {
    let mut filter = SyscallFilter::parse("@basic-io").unwrap();
    filter.set_action(DenyAction::Kill);
    let plan = with_filter(&filter);
    let enosys = raw::RET_ERRNO | libc::ENOSYS as u32;
    let last = table::native_numbers().max().unwrap();
    for nr in [last + 1, last + 40, u32::MAX] {
        let data = Data { nr, arch: raw::AUDIT_ARCH_NATIVE, args: [0; 6] };
        assert_eq!(decide(&plan, &data), enosys, "{nr}");
    }
    assert_eq!(syscall(&plan, "socket"), raw::RET_KILL_PROCESS);
    // A deny-list and the network filter let -1 through to the kernel (which says ENOSYS).
    let minus_one = Data { nr: u32::MAX, arch: raw::AUDIT_ARCH_NATIVE, args: [0; 6] };
    assert_eq!(decide(&syscalls("~@mount"), &minus_one), raw::RET_ALLOW);
    assert_eq!(decide(&network(AccessNet::empty()), &minus_one), raw::RET_ALLOW);
}

#[test]
fn the_program_denying_seccomp_is_installed_last() {
    for line in ["~@sandbox:EIO @mount:ENOSYS", "~seccomp mount:ENOSYS", "~swapon:EIO seccomp"] {
        let plan = syscalls(line);
        let seccomp = Data::native("seccomp", &[]);
        let programs = &plan.filters.programs;
        let denying: Vec<bool> =
            programs.iter().map(|p| run(p, &seccomp) != raw::RET_ALLOW).collect();
        assert_eq!(denying.iter().filter(|&&d| d).count(), 1, "{line}");
        assert_eq!(denying.last(), Some(&true), "{line}");
    }
    let mut allow = SyscallFilter::parse("@basic-io").unwrap();
    allow.add("~@sandbox").unwrap().add("~read:EIO").unwrap();
    let plan = with_filter(&allow);
    let last = plan.filters.programs.last().unwrap();
    assert_ne!(run(last, &Data::native("seccomp", &[])), raw::RET_ALLOW);
}

#[test]
fn tcp_fast_open_and_upper_layers_are_denied_where_landlock_misses_them() {
    let request = |abi| net::Request {
        requested: AccessNet::all(),
        covered: AccessNet::UDP,
        landlock_abi: Some(abi),
    };
    let fastopen = |name, flags_arg: usize| {
        let mut args = [3u64, 0, 0, 0, 0, 0];
        args[flags_arg] = 0x2000_0000 | libc::MSG_NOSIGNAL as u64;
        Data::native(name, &args)
    };
    let v7 =
        plan(Request { available: true, network: Some(request(Abi::V7)), syscall_filter: None })
            .unwrap();
    for (name, flags) in [("sendto", 3), ("sendmsg", 2), ("sendmmsg", 3)] {
        assert_eq!(decide(&v7, &fastopen(name, flags)), EACCES, "{name}");
        assert_eq!(decide(&v7, &Data::native(name, &[3, 0, 0, 0])), raw::RET_ALLOW, "{name}");
    }
    let ulp = Data::native("setsockopt", &[3, libc::IPPROTO_TCP as u64, 31, 0, 0]);
    assert_eq!(decide(&v7, &ulp), EACCES);
    let nodelay = Data::native("setsockopt", &[3, libc::IPPROTO_TCP as u64, 1, 0, 0]);
    assert_eq!(decide(&v7, &nodelay), raw::RET_ALLOW);
    // From ABI 10 Landlock checks a fast open itself.
    let v10 =
        plan(Request { available: true, network: Some(request(Abi::V10)), syscall_filter: None })
            .unwrap();
    assert_eq!(decide(&v10, &fastopen("sendto", 3)), raw::RET_ALLOW);
}
