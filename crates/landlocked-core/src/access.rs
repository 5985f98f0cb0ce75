//! Typed access rights and scopes, and which of them each ABI version can restrict.

use crate::abi::Abi;
use crate::uapi;

named_flags! {
    /// Filesystem rights (`LANDLOCK_ACCESS_FS_*`).
    AccessFs: u64 {
        /// Execute a file.
        EXECUTE = uapi::LANDLOCK_ACCESS_FS_EXECUTE, "execute";
        /// Open a file for writing.
        WRITE_FILE = uapi::LANDLOCK_ACCESS_FS_WRITE_FILE, "write_file";
        /// Open a file for reading.
        READ_FILE = uapi::LANDLOCK_ACCESS_FS_READ_FILE, "read_file";
        /// Open or list a directory.
        READ_DIR = uapi::LANDLOCK_ACCESS_FS_READ_DIR, "read_dir";
        /// Remove or rename an empty directory.
        REMOVE_DIR = uapi::LANDLOCK_ACCESS_FS_REMOVE_DIR, "remove_dir";
        /// Unlink or rename a file.
        REMOVE_FILE = uapi::LANDLOCK_ACCESS_FS_REMOVE_FILE, "remove_file";
        /// Create a character device.
        MAKE_CHAR = uapi::LANDLOCK_ACCESS_FS_MAKE_CHAR, "make_char";
        /// Create a directory.
        MAKE_DIR = uapi::LANDLOCK_ACCESS_FS_MAKE_DIR, "make_dir";
        /// Create a regular file.
        MAKE_REG = uapi::LANDLOCK_ACCESS_FS_MAKE_REG, "make_reg";
        /// Create a UNIX domain socket.
        MAKE_SOCK = uapi::LANDLOCK_ACCESS_FS_MAKE_SOCK, "make_sock";
        /// Create a named pipe.
        MAKE_FIFO = uapi::LANDLOCK_ACCESS_FS_MAKE_FIFO, "make_fifo";
        /// Create a block device.
        MAKE_BLOCK = uapi::LANDLOCK_ACCESS_FS_MAKE_BLOCK, "make_block";
        /// Create a symbolic link.
        MAKE_SYM = uapi::LANDLOCK_ACCESS_FS_MAKE_SYM, "make_sym";
        /// Link or rename a file into another directory (ABI 2).
        REFER = uapi::LANDLOCK_ACCESS_FS_REFER, "refer";
        /// Truncate a file (ABI 3).
        TRUNCATE = uapi::LANDLOCK_ACCESS_FS_TRUNCATE, "truncate";
        /// `ioctl` on a character or block device (ABI 5).
        IOCTL_DEV = uapi::LANDLOCK_ACCESS_FS_IOCTL_DEV, "ioctl_dev";
        /// Connect or send to a pathname UNIX socket (ABI 9).
        RESOLVE_UNIX = uapi::LANDLOCK_ACCESS_FS_RESOLVE_UNIX, "resolve_unix";
    }
}

named_flags! {
    /// Network rights (`LANDLOCK_ACCESS_NET_*`), granted per port.
    AccessNet: u64 {
        /// Bind a TCP socket to a local port (ABI 4).
        BIND_TCP = uapi::LANDLOCK_ACCESS_NET_BIND_TCP, "bind_tcp";
        /// Connect a TCP socket to a remote port (ABI 4).
        CONNECT_TCP = uapi::LANDLOCK_ACCESS_NET_CONNECT_TCP, "connect_tcp";
        /// Bind a UDP socket to a local port (ABI 10).
        BIND_UDP = uapi::LANDLOCK_ACCESS_NET_BIND_UDP, "bind_udp";
        /// Connect a UDP socket to, or send a datagram to, a remote port (ABI 10).
        CONNECT_SEND_UDP = uapi::LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP, "connect_send_udp";
    }
}

named_flags! {
    /// IPC scopes (`LANDLOCK_SCOPE_*`): what the domain may not reach outside itself.
    Scope: u64 {
        /// Connect to an abstract UNIX socket created outside the domain (ABI 6).
        ABSTRACT_UNIX_SOCKET = uapi::LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, "abstract_unix_socket";
        /// Send a signal to a process outside the domain (ABI 6).
        SIGNAL = uapi::LANDLOCK_SCOPE_SIGNAL, "signal";
    }
}

impl AccessFs {
    /// The rights that may be granted on a file that is not a directory; every other right only
    /// makes sense beneath a directory, and the kernel refuses it on a file.
    pub const FILE: AccessFs = AccessFs::EXECUTE
        .union(AccessFs::WRITE_FILE)
        .union(AccessFs::READ_FILE)
        .union(AccessFs::TRUNCATE)
        .union(AccessFs::IOCTL_DEV)
        .union(AccessFs::RESOLVE_UNIX);

    /// Reading: files and directory listings.
    pub const READ: AccessFs = AccessFs::READ_FILE.union(AccessFs::READ_DIR);

    /// Reading and executing.
    pub const READ_EXECUTE: AccessFs = AccessFs::READ.union(AccessFs::EXECUTE);

    /// Everything that changes the filesystem or uses its objects beyond reading (the kernel
    /// sample's "roughly write" set).
    pub const WRITE: AccessFs = AccessFs::WRITE_FILE
        .union(AccessFs::REMOVE_DIR)
        .union(AccessFs::REMOVE_FILE)
        .union(AccessFs::MAKE_CHAR)
        .union(AccessFs::MAKE_DIR)
        .union(AccessFs::MAKE_REG)
        .union(AccessFs::MAKE_SOCK)
        .union(AccessFs::MAKE_FIFO)
        .union(AccessFs::MAKE_BLOCK)
        .union(AccessFs::MAKE_SYM)
        .union(AccessFs::REFER)
        .union(AccessFs::TRUNCATE)
        .union(AccessFs::IOCTL_DEV)
        .union(AccessFs::RESOLVE_UNIX);

    /// The rights the kernel of ABI `abi` can restrict.
    pub const fn for_abi(abi: Abi) -> AccessFs {
        const V1: AccessFs = AccessFs::from_bits_truncate((1 << 13) - 1);
        match abi {
            Abi::V1 => V1,
            Abi::V2 => V1.union(AccessFs::REFER),
            Abi::V3 | Abi::V4 => AccessFs::for_abi(Abi::V2).union(AccessFs::TRUNCATE),
            Abi::V5 | Abi::V6 | Abi::V7 | Abi::V8 => {
                AccessFs::for_abi(Abi::V3).union(AccessFs::IOCTL_DEV)
            }
            Abi::V9 | Abi::V10 | Abi::V11 => {
                AccessFs::for_abi(Abi::V5).union(AccessFs::RESOLVE_UNIX)
            }
        }
    }
}

impl AccessNet {
    /// The TCP rights.
    pub const TCP: AccessNet = AccessNet::BIND_TCP.union(AccessNet::CONNECT_TCP);
    /// The UDP rights.
    pub const UDP: AccessNet = AccessNet::BIND_UDP.union(AccessNet::CONNECT_SEND_UDP);

    /// The rights the kernel of ABI `abi` can restrict.
    pub const fn for_abi(abi: Abi) -> AccessNet {
        match abi {
            Abi::V1 | Abi::V2 | Abi::V3 => AccessNet::empty(),
            Abi::V4 | Abi::V5 | Abi::V6 | Abi::V7 | Abi::V8 | Abi::V9 => AccessNet::TCP,
            Abi::V10 | Abi::V11 => AccessNet::TCP.union(AccessNet::UDP),
        }
    }
}

impl Scope {
    /// The scopes the kernel of ABI `abi` can enforce.
    pub const fn for_abi(abi: Abi) -> Scope {
        match abi {
            Abi::V1 | Abi::V2 | Abi::V3 | Abi::V4 | Abi::V5 => Scope::empty(),
            Abi::V6 | Abi::V7 | Abi::V8 | Abi::V9 | Abi::V10 | Abi::V11 => {
                Scope::ABSTRACT_UNIX_SOCKET.union(Scope::SIGNAL)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn counts() {
        assert_eq!(AccessFs::all().bits().count_ones(), 17);
        assert_eq!(AccessNet::all().bits().count_ones(), 4);
        assert_eq!(Scope::all().bits().count_ones(), 2);
        assert_eq!(AccessFs::NAMED.len(), 17);
    }

    #[test]
    fn per_abi_sets_grow_as_the_kernel_documents() {
        let fs: std::vec::Vec<u32> =
            Abi::ALL.iter().map(|&a| AccessFs::for_abi(a).bits().count_ones()).collect();
        assert_eq!(fs, [13, 14, 15, 15, 16, 16, 16, 16, 17, 17, 17]);
        let net: std::vec::Vec<u32> =
            Abi::ALL.iter().map(|&a| AccessNet::for_abi(a).bits().count_ones()).collect();
        assert_eq!(net, [0, 0, 0, 2, 2, 2, 2, 2, 2, 4, 4]);
        let scope: std::vec::Vec<u32> =
            Abi::ALL.iter().map(|&a| Scope::for_abi(a).bits().count_ones()).collect();
        assert_eq!(scope, [0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2]);
        assert_eq!(AccessFs::for_abi(Abi::LATEST), AccessFs::all());
        assert!(!AccessFs::for_abi(Abi::V1).contains(AccessFs::REFER));
        assert!(AccessFs::for_abi(Abi::V3).contains(AccessFs::TRUNCATE));
        assert!(!AccessFs::for_abi(Abi::V8).contains(AccessFs::RESOLVE_UNIX));
    }

    #[test]
    fn names_round_trip_and_display() {
        for &(name, flag) in AccessFs::NAMED {
            assert_eq!(AccessFs::by_name(name), Some(flag));
        }
        assert_eq!(format!("{}", AccessFs::READ), "read_file, read_dir");
        assert_eq!(format!("{}", AccessNet::empty()), "none");
        assert_eq!(format!("{:?}", Scope::SIGNAL), "Scope(signal)");
        assert_eq!(AccessNet::by_name("bind_udp"), Some(AccessNet::BIND_UDP));
        assert_eq!(AccessNet::by_name("BIND_UDP"), None);
    }

    #[test]
    fn file_rights_are_the_non_directory_ones() {
        assert_eq!(AccessFs::FILE.bits().count_ones(), 6);
        assert!(AccessFs::WRITE.union(AccessFs::READ_EXECUTE) == AccessFs::all());
    }
}
