//! The system calls guard names, in one table: each with its number on this
//! architecture, from `libc`, or given by number for calls newer than the
//! `libc` crate (those have one number on every architecture since Linux
//! 5.1). The seccomp deny list, the notify filter and the supervisor's
//! records all take names and numbers from here.

/// Makes [`ALL`], the `number` constants and [`name`] from one list.
macro_rules! syscalls {
    ($($name:ident = $number:expr,)*) => {
        /// Every system call guard names, with its number.
        pub const ALL: &[(&str, libc::c_long)] = &[$((stringify!($name), $number)),*];

        /// Each system call's number, under its name
        /// (`syscalls::number::fchmodat2`).
        #[allow(non_upper_case_globals)]
        pub mod number {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                pub const $name: libc::c_long = $number;
            )*
        }
    };
}

syscalls! {
    ptrace = libc::SYS_ptrace,
    process_vm_readv = libc::SYS_process_vm_readv,
    process_vm_writev = libc::SYS_process_vm_writev,
    pidfd_getfd = libc::SYS_pidfd_getfd,
    kcmp = libc::SYS_kcmp,
    landlock_restrict_self = libc::SYS_landlock_restrict_self,
    io_uring_setup = libc::SYS_io_uring_setup,
    io_uring_enter = libc::SYS_io_uring_enter,
    io_uring_register = libc::SYS_io_uring_register,
    bpf = libc::SYS_bpf,
    perf_event_open = libc::SYS_perf_event_open,
    userfaultfd = libc::SYS_userfaultfd,
    keyctl = libc::SYS_keyctl,
    add_key = libc::SYS_add_key,
    request_key = libc::SYS_request_key,
    mount = libc::SYS_mount,
    umount2 = libc::SYS_umount2,
    pivot_root = libc::SYS_pivot_root,
    chroot = libc::SYS_chroot,
    move_mount = libc::SYS_move_mount,
    open_tree = libc::SYS_open_tree,
    fsopen = libc::SYS_fsopen,
    fsconfig = libc::SYS_fsconfig,
    fsmount = libc::SYS_fsmount,
    fspick = libc::SYS_fspick,
    mount_setattr = libc::SYS_mount_setattr,
    unshare = libc::SYS_unshare,
    setns = libc::SYS_setns,
    clone = libc::SYS_clone,
    clone3 = libc::SYS_clone3,
    kexec_load = libc::SYS_kexec_load,
    kexec_file_load = libc::SYS_kexec_file_load,
    init_module = libc::SYS_init_module,
    finit_module = libc::SYS_finit_module,
    delete_module = libc::SYS_delete_module,
    reboot = libc::SYS_reboot,
    swapon = libc::SYS_swapon,
    swapoff = libc::SYS_swapoff,
    acct = libc::SYS_acct,
    syslog = libc::SYS_syslog,
    open_by_handle_at = libc::SYS_open_by_handle_at,
    quotactl = libc::SYS_quotactl,
    iopl = libc::SYS_iopl,
    ioperm = libc::SYS_ioperm,
    vhangup = libc::SYS_vhangup,
    ioctl = libc::SYS_ioctl,
    socket = libc::SYS_socket,
    memfd_create = libc::SYS_memfd_create,
    execveat = libc::SYS_execveat,
    openat2 = libc::SYS_openat2,
    setxattrat = 463,
    removexattrat = 466,
    file_setattr = 469,
    execve = libc::SYS_execve,
    open = libc::SYS_open,
    openat = libc::SYS_openat,
    creat = libc::SYS_creat,
    unlink = libc::SYS_unlink,
    unlinkat = libc::SYS_unlinkat,
    rmdir = libc::SYS_rmdir,
    rename = libc::SYS_rename,
    renameat = libc::SYS_renameat,
    renameat2 = libc::SYS_renameat2,
    mkdir = libc::SYS_mkdir,
    mkdirat = libc::SYS_mkdirat,
    mknod = libc::SYS_mknod,
    mknodat = libc::SYS_mknodat,
    link = libc::SYS_link,
    linkat = libc::SYS_linkat,
    symlink = libc::SYS_symlink,
    symlinkat = libc::SYS_symlinkat,
    truncate = libc::SYS_truncate,
    chmod = libc::SYS_chmod,
    fchmod = libc::SYS_fchmod,
    fchmodat = libc::SYS_fchmodat,
    fchmodat2 = 452,
    chown = libc::SYS_chown,
    fchown = libc::SYS_fchown,
    lchown = libc::SYS_lchown,
    fchownat = libc::SYS_fchownat,
    utime = libc::SYS_utime,
    utimes = libc::SYS_utimes,
    futimesat = libc::SYS_futimesat,
    utimensat = libc::SYS_utimensat,
    setxattr = libc::SYS_setxattr,
    lsetxattr = libc::SYS_lsetxattr,
    fsetxattr = libc::SYS_fsetxattr,
    removexattr = libc::SYS_removexattr,
    lremovexattr = libc::SYS_lremovexattr,
    fremovexattr = libc::SYS_fremovexattr,
    connect = libc::SYS_connect,
    chdir = libc::SYS_chdir,
    fchdir = libc::SYS_fchdir,
    umask = libc::SYS_umask,
}

/// The name of system call `number`, if guard names it.
pub fn name(number: libc::c_long) -> Option<&'static str> {
    ALL.iter()
        .find(|(_, known)| *known == number)
        .map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_and_number_once() {
        let mut names: Vec<_> = ALL.iter().map(|(name, _)| *name).collect();
        let mut numbers: Vec<_> = ALL.iter().map(|(_, number)| *number).collect();
        names.sort_unstable();
        numbers.sort_unstable();
        let total = ALL.len();
        names.dedup();
        numbers.dedup();
        assert_eq!((names.len(), numbers.len()), (total, total));
        assert_eq!(name(number::openat), Some("openat"));
        assert_eq!(name(-1), None);
    }
}
