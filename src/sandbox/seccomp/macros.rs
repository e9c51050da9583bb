//! The deny list's vocabulary: `deny!(name, when, errno, why)` makes a
//! [`super::DenyEntry`], and `syscall_number!` maps each denied call's name
//! to its number (from `libc` where it has one; the newest calls by number).

macro_rules! deny {
    ($name:ident, $when:expr, $errno:ident, $why:expr) => {
        DenyEntry {
            name: stringify!($name),
            number: paste_sys!($name),
            when: $when,
            errno: libc::$errno,
            why: $why,
        }
    };
}
macro_rules! paste_sys {
    ($name:ident) => {
        syscall_number!($name)
    };
}
macro_rules! syscall_number {
    (ptrace) => {
        libc::SYS_ptrace
    };
    (process_vm_readv) => {
        libc::SYS_process_vm_readv
    };
    (process_vm_writev) => {
        libc::SYS_process_vm_writev
    };
    (pidfd_getfd) => {
        libc::SYS_pidfd_getfd
    };
    (kcmp) => {
        libc::SYS_kcmp
    };
    (io_uring_setup) => {
        libc::SYS_io_uring_setup
    };
    (io_uring_enter) => {
        libc::SYS_io_uring_enter
    };
    (io_uring_register) => {
        libc::SYS_io_uring_register
    };
    (bpf) => {
        libc::SYS_bpf
    };
    (perf_event_open) => {
        libc::SYS_perf_event_open
    };
    (userfaultfd) => {
        libc::SYS_userfaultfd
    };
    (keyctl) => {
        libc::SYS_keyctl
    };
    (add_key) => {
        libc::SYS_add_key
    };
    (request_key) => {
        libc::SYS_request_key
    };
    (mount) => {
        libc::SYS_mount
    };
    (umount2) => {
        libc::SYS_umount2
    };
    (pivot_root) => {
        libc::SYS_pivot_root
    };
    (chroot) => {
        libc::SYS_chroot
    };
    (move_mount) => {
        libc::SYS_move_mount
    };
    (open_tree) => {
        libc::SYS_open_tree
    };
    (fsopen) => {
        libc::SYS_fsopen
    };
    (fsconfig) => {
        libc::SYS_fsconfig
    };
    (fsmount) => {
        libc::SYS_fsmount
    };
    (fspick) => {
        libc::SYS_fspick
    };
    (mount_setattr) => {
        libc::SYS_mount_setattr
    };
    (unshare) => {
        libc::SYS_unshare
    };
    (setns) => {
        libc::SYS_setns
    };
    (clone) => {
        libc::SYS_clone
    };
    (clone3) => {
        libc::SYS_clone3
    };
    (kexec_load) => {
        libc::SYS_kexec_load
    };
    (kexec_file_load) => {
        libc::SYS_kexec_file_load
    };
    (init_module) => {
        libc::SYS_init_module
    };
    (finit_module) => {
        libc::SYS_finit_module
    };
    (delete_module) => {
        libc::SYS_delete_module
    };
    (reboot) => {
        libc::SYS_reboot
    };
    (swapon) => {
        libc::SYS_swapon
    };
    (swapoff) => {
        libc::SYS_swapoff
    };
    (acct) => {
        libc::SYS_acct
    };
    (syslog) => {
        libc::SYS_syslog
    };
    (open_by_handle_at) => {
        libc::SYS_open_by_handle_at
    };
    (quotactl) => {
        libc::SYS_quotactl
    };
    (iopl) => {
        libc::SYS_iopl
    };
    (ioperm) => {
        libc::SYS_ioperm
    };
    (vhangup) => {
        libc::SYS_vhangup
    };
    (ioctl) => {
        libc::SYS_ioctl
    };
    (socket) => {
        libc::SYS_socket
    };
    (memfd_create) => {
        libc::SYS_memfd_create
    };
    (execveat) => {
        libc::SYS_execveat
    };
    (openat2) => {
        libc::SYS_openat2
    };
    // Linux 6.13 and 6.17: the same number on every architecture.
    (setxattrat) => {
        463
    };
    (removexattrat) => {
        466
    };
    (file_setattr) => {
        469
    };
}
