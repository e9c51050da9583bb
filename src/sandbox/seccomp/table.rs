//! The deny list itself: every denied system call (or use of one), with the
//! errno it gets and the reason it is there.

use super::{DenyEntry, When};

const NAMESPACE_FLAGS: u64 = (libc::CLONE_NEWUSER
    | libc::CLONE_NEWNS
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWCGROUP
    | libc::CLONE_NEWTIME) as u64;
/// `MFD_NOEXEC_SEAL` (Linux 6.3): the memfd can never be made executable.
const MFD_NOEXEC_SEAL: u64 = 0x8;
const ALLOWED_SOCKET_FAMILIES: &[u64] = &[
    libc::AF_UNIX as u64,
    libc::AF_INET as u64,
    libc::AF_INET6 as u64,
    libc::AF_NETLINK as u64,
];

/// `FS_IOC_SETFLAGS`, `FS_IOC32_SETFLAGS`, `FS_IOC_FSSETXATTR`: inode flags
/// (`chattr`) and extended inode attributes.
const FS_IOC_SETFLAGS: u64 = 0x4008_6602;
const FS_IOC32_SETFLAGS: u64 = 0x4004_6602;
const FS_IOC_FSSETXATTR: u64 = 0x401c_5820;
/// `FS_IOC_SETVERSION` (and its 32-bit form): the inode's generation.
const FS_IOC_SETVERSION: u64 = 0x4008_7602;
const FS_IOC32_SETVERSION: u64 = 0x4004_7602;
/// `FS_IOC_ENABLE_VERITY`: makes a file read-only for good (its owner may,
/// on a descriptor opened for reading).
const FS_IOC_ENABLE_VERITY: u64 = 0x4080_6685;
/// `FS_IOC_SET_ENCRYPTION_POLICY`: encrypts an empty directory's future
/// entries with a key of the caller's choosing.
const FS_IOC_SET_ENCRYPTION_POLICY: u64 = 0x800c_6613;

/// The deny list that holds for every session.
pub const ALWAYS_DENIED: &[DenyEntry] = &[
    deny!(
        ptrace,
        When::Always,
        EPERM,
        "inspect or control other processes"
    ),
    deny!(
        process_vm_readv,
        When::Always,
        EPERM,
        "read another process's memory"
    ),
    deny!(
        process_vm_writev,
        When::Always,
        EPERM,
        "write another process's memory"
    ),
    deny!(
        pidfd_getfd,
        When::Always,
        EPERM,
        "steal another process's file descriptors"
    ),
    deny!(
        kcmp,
        When::Always,
        EPERM,
        "probe other processes' kernel objects"
    ),
    deny!(
        io_uring_setup,
        When::Always,
        ENOSYS,
        "io_uring bypasses seccomp and the audit log; ENOSYS so libuv and others fall back"
    ),
    deny!(
        io_uring_enter,
        When::Always,
        ENOSYS,
        "io_uring (see io_uring_setup)"
    ),
    deny!(
        io_uring_register,
        When::Always,
        ENOSYS,
        "io_uring (see io_uring_setup)"
    ),
    deny!(
        bpf,
        When::Always,
        EPERM,
        "kernel attack surface: eBPF programs and maps"
    ),
    deny!(
        perf_event_open,
        When::Always,
        EPERM,
        "kernel attack surface and side channels"
    ),
    deny!(
        userfaultfd,
        When::Always,
        EPERM,
        "used to widen kernel race windows in exploits"
    ),
    deny!(
        landlock_restrict_self,
        When::Always,
        EPERM,
        "a Landlock layer added inside the session would not be honoured: guard's supervisor makes the session's writes with the session's rights, so a nested sandbox is refused, never silently weakened"
    ),
    deny!(
        keyctl,
        When::Always,
        EPERM,
        "the kernel keyring may hold the user's secrets"
    ),
    deny!(add_key, When::Always, EPERM, "kernel keyring"),
    deny!(request_key, When::Always, EPERM, "kernel keyring"),
    deny!(
        mount,
        When::Always,
        EPERM,
        "change the filesystem view (undo read-only binds)"
    ),
    deny!(
        umount2,
        When::Always,
        EPERM,
        "remove the read-only binds that protect paths"
    ),
    deny!(pivot_root, When::Always, EPERM, "change the root"),
    deny!(chroot, When::Always, EPERM, "change the root"),
    deny!(move_mount, When::Always, EPERM, "new mount API"),
    deny!(
        open_tree,
        When::Always,
        EPERM,
        "new mount API: clone mounts"
    ),
    deny!(fsopen, When::Always, EPERM, "new mount API"),
    deny!(fsconfig, When::Always, EPERM, "new mount API"),
    deny!(fsmount, When::Always, EPERM, "new mount API"),
    deny!(fspick, When::Always, EPERM, "new mount API"),
    deny!(
        mount_setattr,
        When::Always,
        EPERM,
        "new mount API: make read-only mounts writable"
    ),
    deny!(
        unshare,
        When::Always,
        EPERM,
        "new namespaces (a user namespace gives back capabilities)"
    ),
    deny!(setns, When::Always, EPERM, "enter other namespaces"),
    deny!(
        clone,
        When::AnyBit {
            arg: 0,
            mask: NAMESPACE_FLAGS
        },
        EPERM,
        "clone into new namespaces"
    ),
    deny!(
        clone3,
        When::Always,
        ENOSYS,
        "its flags are behind a pointer seccomp cannot read; ENOSYS makes glibc fall back to clone"
    ),
    deny!(kexec_load, When::Always, EPERM, "load a new kernel"),
    deny!(kexec_file_load, When::Always, EPERM, "load a new kernel"),
    deny!(init_module, When::Always, EPERM, "load kernel modules"),
    deny!(finit_module, When::Always, EPERM, "load kernel modules"),
    deny!(delete_module, When::Always, EPERM, "unload kernel modules"),
    deny!(reboot, When::Always, EPERM, "reboot the machine"),
    deny!(swapon, When::Always, EPERM, "swap configuration"),
    deny!(swapoff, When::Always, EPERM, "swap configuration"),
    deny!(acct, When::Always, EPERM, "process accounting"),
    deny!(
        syslog,
        When::Always,
        EPERM,
        "read the kernel log (addresses, other users' activity)"
    ),
    deny!(
        open_by_handle_at,
        When::Always,
        EPERM,
        "open files by handle, bypassing path checks"
    ),
    deny!(quotactl, When::Always, EPERM, "disk quota administration"),
    deny!(iopl, When::Always, EPERM, "raw I/O port access"),
    deny!(ioperm, When::Always, EPERM, "raw I/O port access"),
    deny!(vhangup, When::Always, EPERM, "hang up the terminal"),
    deny!(
        ioctl,
        When::Equals {
            arg: 1,
            value: libc::TIOCSTI
        },
        EPERM,
        "TIOCSTI pushes keystrokes into the user's terminal"
    ),
    deny!(
        ioctl,
        When::Equals {
            arg: 1,
            value: libc::TIOCLINUX
        },
        EPERM,
        "TIOCLINUX can inject console input"
    ),
    deny!(
        socket,
        When::NoneOf {
            arg: 0,
            values: ALLOWED_SOCKET_FAMILIES
        },
        EAFNOSUPPORT,
        "only unix, IPv4, IPv6 and netlink sockets (no AF_PACKET, AF_VSOCK, bluetooth, …)"
    ),
    deny!(
        socket,
        When::Masked {
            arg: 1,
            mask: 0xf,
            value: libc::SOCK_RAW as u64
        },
        EPERM,
        "raw sockets"
    ),
    deny!(
        memfd_create,
        When::Masked {
            arg: 1,
            mask: MFD_NOEXEC_SEAL,
            value: 0
        },
        EACCES,
        "a memfd not sealed non-executable (MFD_NOEXEC_SEAL) can be run through /proc/self/fd, and Landlock does not check files on internal mounts"
    ),
    deny!(
        execveat,
        When::AnyBit {
            arg: 4,
            mask: libc::AT_EMPTY_PATH as u64
        },
        EPERM,
        "fexecve() of a descriptor (memfd) runs code no Landlock rule grants"
    ),
    deny!(
        openat2,
        When::Always,
        ENOSYS,
        "its flags are behind a pointer, so guard could not tell a write from a read; ENOSYS makes programs fall back to openat, which guard judges"
    ),
    deny!(
        setxattrat,
        When::Always,
        ENOSYS,
        "extended attributes are changed through setxattr and friends, which guard judges"
    ),
    deny!(removexattrat, When::Always, ENOSYS, "as setxattrat"),
    deny!(
        file_setattr,
        When::Always,
        ENOSYS,
        "inode attributes (flags, project id) outside what guard judges"
    ),
    deny!(
        ioctl,
        When::Equals {
            arg: 1,
            value: FS_IOC_SETFLAGS
        },
        EPERM,
        "inode flags (chattr: append-only, immutable, no-COW…) are metadata no session changes"
    ),
    deny!(
        ioctl,
        When::Equals {
            arg: 1,
            value: FS_IOC32_SETFLAGS
        },
        EPERM,
        "inode flags, 32-bit form"
    ),
    deny!(
        ioctl,
        When::Equals {
            arg: 1,
            value: FS_IOC_FSSETXATTR
        },
        EPERM,
        "extended inode attributes (project id, flags)"
    ),
    deny!(
        ioctl,
        When::Equals {
            arg: 1,
            value: FS_IOC_SETVERSION
        },
        EPERM,
        "the inode's generation number"
    ),
    deny!(
        ioctl,
        When::Equals {
            arg: 1,
            value: FS_IOC32_SETVERSION
        },
        EPERM,
        "the inode's generation number, 32-bit form"
    ),
    deny!(
        ioctl,
        When::Equals {
            arg: 1,
            value: FS_IOC_ENABLE_VERITY
        },
        EPERM,
        "fs-verity makes a file read-only for good, through a descriptor opened for reading"
    ),
    deny!(
        ioctl,
        When::Equals {
            arg: 1,
            value: FS_IOC_SET_ENCRYPTION_POLICY
        },
        EPERM,
        "an encryption policy on a directory, through a descriptor opened for reading"
    ),
];

/// Denied when the policy's network mode is `none`.
pub const NETWORK_NONE_DENIED: &[DenyEntry] = &[
    deny!(
        socket,
        When::Equals {
            arg: 0,
            value: libc::AF_INET as u64
        },
        EACCES,
        "network = none: no IPv4 (TCP is also refused by Landlock; UDP only here)"
    ),
    deny!(
        socket,
        When::Equals {
            arg: 0,
            value: libc::AF_INET6 as u64
        },
        EACCES,
        "network = none: no IPv6"
    ),
];

/// Denied when the policy's unix socket setting is `none`.
pub const UNIX_NONE_DENIED: &[DenyEntry] = &[deny!(
    socket,
    When::Equals {
        arg: 0,
        value: libc::AF_UNIX as u64
    },
    EACCES,
    "unix_sockets = none: Landlock ABI 7 does not check connect() on socket files, so the D-Bus bus, docker.sock, ssh-agent and X11 are only out of reach if no unix socket can be made (socketpair still works)"
)];

/// Denied when the policy's unix socket setting is `listed`: datagram sockets
/// can send to any socket file with `sendto`, which the supervisor does not
/// trap; stream and seqpacket sockets can only reach a peer through `connect`.
pub const UNIX_LISTED_DENIED: &[DenyEntry] = &[deny!(
    socket,
    When::Socket {
        domain: libc::AF_UNIX as u64,
        kind: libc::SOCK_DGRAM as u64
    },
    EACCES,
    "unix_sockets = listed: no unix datagram sockets (sendto could address any socket file)"
)];

/// Denied when the policy's network mode is `allow`: TCP goes to guard's
/// proxy; UDP (and so DNS of the session's own) goes nowhere.
pub const NETWORK_ALLOW_DENIED: &[DenyEntry] = &[
    deny!(
        socket,
        When::Socket {
            domain: libc::AF_INET as u64,
            kind: libc::SOCK_DGRAM as u64
        },
        EACCES,
        "network = allow: no UDP (names are resolved by guard's proxy)"
    ),
    deny!(
        socket,
        When::Socket {
            domain: libc::AF_INET6 as u64,
            kind: libc::SOCK_DGRAM as u64
        },
        EACCES,
        "network = allow: no UDP over IPv6"
    ),
];
