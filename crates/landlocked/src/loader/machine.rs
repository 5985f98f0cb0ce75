//! The machine a program runs on: which ELF objects its kernel executes, where its loader looks
//! by default, and which CPU variants (`glibc-hwcaps`, `$PLATFORM`) it tries.

use std::path::{Path, PathBuf};

use object::elf::{EM_386, EM_AARCH64, EM_ARM, EM_X86_64};

use super::elf::Kind;

/// A machine programs run on, for [`Config::machine`](super::Config::machine).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Machine {
    /// x86-64, whose kernel also runs i386 programs.
    X86_64,
    /// AArch64, whose kernel may also run 32-bit Arm programs.
    Aarch64,
}

impl Machine {
    /// This machine, if it is one of these.
    pub const fn host() -> Option<Machine> {
        if cfg!(target_arch = "x86_64") {
            Some(Machine::X86_64)
        } else if cfg!(target_arch = "aarch64") {
            Some(Machine::Aarch64)
        } else {
            None
        }
    }

    /// The ELF machines its kernel executes: its own, or the 32-bit ones of its compat layer.
    fn native(self) -> [object::elf::Machine; 2] {
        match self {
            Machine::X86_64 => [EM_X86_64, EM_386],
            Machine::Aarch64 => [EM_AARCH64, EM_ARM],
        }
    }
}

/// The machine a search is for, and whether it is this one: only then is this CPU asked what
/// it has, since another machine's CPU is not known.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    machine: Option<Machine>,
    here: bool,
}

impl Target {
    /// For `configured`, or this machine where it is `None`.
    pub fn new(configured: Option<Machine>) -> Target {
        match configured {
            None => Target { machine: Machine::host(), here: true },
            Some(machine) => {
                Target { machine: Some(machine), here: Machine::host() == Some(machine) }
            }
        }
    }

    /// Whether its kernel runs ELF programs of `kind` (any, for a machine not known here).
    pub fn runs(self, kind: Kind) -> bool {
        match self.machine {
            Some(machine) => machine.native().contains(&kind.machine) && kind.little,
            None => true,
        }
    }

    /// The `glibc-hwcaps` subdirectories glibc tries for objects of `kind`, best first: the
    /// x86-64 micro-architecture levels this CPU has (glibc 2.33 and later); none elsewhere,
    /// nor for another machine, whose CPU is not known (its loader then falls back to the
    /// library itself, which is what is found).
    pub fn hwcaps_subdirs(self, kind: Kind) -> Vec<&'static str> {
        #[cfg(target_arch = "x86_64")]
        if self.here && kind.machine == EM_X86_64 {
            return x86_64_levels();
        }
        let _ = kind;
        Vec::new()
    }

    /// `$PLATFORM`: this CPU's as glibc 2.36 sets it, or another machine's baseline.
    pub fn platform(self) -> &'static str {
        if self.here {
            return host_platform();
        }
        match self.machine {
            Some(Machine::X86_64) => "x86_64",
            Some(Machine::Aarch64) => "aarch64",
            None => std::env::consts::ARCH,
        }
    }
}

/// The x86-64 micro-architecture levels this CPU has, best first.
#[cfg(target_arch = "x86_64")]
fn x86_64_levels() -> Vec<&'static str> {
    use std::arch::is_x86_feature_detected as has;
    // LAHF/SAHF in 64-bit mode, which std does not name: CPUID 0x80000001, ECX bit 0.
    // SAFETY: CPUID exists on every x86-64 CPU.
    #[allow(unused_unsafe)]
    let lahf = unsafe { std::arch::x86_64::__cpuid(0x8000_0001) }.ecx & 1 == 1;
    let v2 = lahf
        && has!("cmpxchg16b")
        && has!("popcnt")
        && has!("sse3")
        && has!("sse4.1")
        && has!("sse4.2")
        && has!("ssse3");
    let v3 = v2
        && has!("avx")
        && has!("avx2")
        && has!("bmi1")
        && has!("bmi2")
        && has!("f16c")
        && has!("fma")
        && has!("lzcnt")
        && has!("movbe")
        && has!("xsave");
    let v4 = v3
        && has!("avx512f")
        && has!("avx512bw")
        && has!("avx512cd")
        && has!("avx512dq")
        && has!("avx512vl");
    let levels = [(v4, "x86-64-v4"), (v3, "x86-64-v3"), (v2, "x86-64-v2")];
    levels.into_iter().filter(|(has, _)| *has).map(|(_, name)| name).collect()
}

/// `$PLATFORM` as glibc 2.36 sets it: on x86-64, `haswell` for a CPU with AVX2, BMI1, BMI2,
/// LZCNT, MOVBE and POPCNT, else the kernel's `x86_64`; the machine's name elsewhere.
fn host_platform() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let haswell = has!("avx2")
            && has!("bmi1")
            && has!("bmi2")
            && has!("lzcnt")
            && has!("movbe")
            && has!("popcnt");
        if haswell { "haswell" } else { "x86_64" }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::consts::ARCH
    }
}

/// The Debian multiarch directory name of a machine.
pub(crate) fn multiarch(kind: Kind) -> Option<&'static str> {
    match kind.machine {
        EM_X86_64 => Some("x86_64-linux-gnu"),
        EM_AARCH64 => Some("aarch64-linux-gnu"),
        EM_386 => Some("i386-linux-gnu"),
        EM_ARM => Some("arm-linux-gnueabihf"),
        _ => None,
    }
}

/// The ARCH of musl's loader (`ld-musl-ARCH.so.1`) and of its path file.
pub(crate) fn musl_arch(kind: Kind) -> Option<&'static str> {
    match kind.machine {
        EM_X86_64 => Some("x86_64"),
        EM_AARCH64 => Some("aarch64"),
        EM_386 => Some("i386"),
        EM_ARM => Some("armhf"),
        _ => None,
    }
}

/// The loader's built-in directories (candidates of another kind are passed over anyway): for
/// glibc the multiarch ones, as Debian's loader has them, then `lib64` and `lib` (and their
/// `/usr` twins) in the order of their class.
pub(crate) fn default_dirs(kind: Kind, musl: bool) -> Vec<PathBuf> {
    if musl {
        return ["/lib", "/usr/local/lib", "/usr/lib"].map(PathBuf::from).into();
    }
    let mut dirs = Vec::new();
    if let Some(triplet) = multiarch(kind) {
        dirs.push(Path::new("/lib").join(triplet));
        dirs.push(Path::new("/usr/lib").join(triplet));
    }
    let lib = if kind.is64 {
        ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    } else {
        ["/lib", "/usr/lib", "/lib32", "/usr/lib32"]
    };
    dirs.extend(lib.map(PathBuf::from));
    dirs
}
