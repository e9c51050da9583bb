//! Which system calls the notify filter hands to the supervisor, as a BPF
//! program assembled by hand (seccompiler cannot make a listener filter).
//!
//! Execs are always trapped; file operations by the policy's logging level,
//! with read-only `open`/`openat` left out in the BPF itself for `writes`, so
//! that they cost nothing; `connect` when the supervisor must perform it.

use crate::policy::{FileLogging, NetworkMode, Policy, UnixSockets};
use libc::sock_filter;

const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JEQ_K: u16 = 0x15;
const BPF_JSET_K: u16 = 0x45;
const BPF_RET_K: u16 = 0x06;
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;
/// `offsetof(struct seccomp_data, args[i])`, low 32 bits on little-endian.
const fn arg_offset(index: u32) -> u32 {
    16 + 8 * index
}
/// Open flags that make an open worth recording at `writes` level.
const MODIFYING_OPEN_FLAGS: u32 =
    (libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC) as u32;

/// System calls that change the filesystem namespace or attributes.
#[cfg(target_arch = "x86_64")]
const CHANGES: &[libc::c_long] = &[
    libc::SYS_creat,
    libc::SYS_unlink,
    libc::SYS_unlinkat,
    libc::SYS_rename,
    libc::SYS_renameat,
    libc::SYS_renameat2,
    libc::SYS_mkdir,
    libc::SYS_mkdirat,
    libc::SYS_rmdir,
    libc::SYS_link,
    libc::SYS_linkat,
    libc::SYS_symlink,
    libc::SYS_symlinkat,
    libc::SYS_truncate,
    libc::SYS_chmod,
    libc::SYS_fchmodat,
    FCHMODAT2,
    libc::SYS_chown,
    libc::SYS_lchown,
    libc::SYS_fchownat,
    // Its flags are behind a pointer: trapped at every level that logs files.
    libc::SYS_openat2,
];
/// `fchmodat2` (Linux 6.6).
pub const FCHMODAT2: libc::c_long = 452;

/// The notify program for `policy`.
pub fn program(policy: &Policy) -> Vec<sock_filter> {
    let op = |code, jt, jf, k| sock_filter { code, jt, jf, k };
    let notify = op(BPF_RET_K, 0, 0, libc::SECCOMP_RET_USER_NOTIF);
    let allow = op(BPF_RET_K, 0, 0, libc::SECCOMP_RET_ALLOW);
    // chdir/fchdir only tell the supervisor that a cached working directory
    // is stale.
    let mut always: Vec<libc::c_long> = vec![
        libc::SYS_execve,
        libc::SYS_execveat,
        libc::SYS_chdir,
        libc::SYS_fchdir,
    ];
    if matches!(policy.network.unix_sockets, UnixSockets::Listed { .. })
        || policy.network.mode == NetworkMode::Allow
    {
        always.push(libc::SYS_connect);
    }
    if policy.file_logging != FileLogging::None {
        always.extend_from_slice(CHANGES);
    }
    if policy.file_logging == FileLogging::All {
        always.extend_from_slice(&[libc::SYS_open, libc::SYS_openat]);
    }
    // Foreign system call ABIs are refused by the deny filters.
    let mut program = vec![
        op(BPF_LD_W_ABS, 0, 0, 4),
        op(BPF_JEQ_K, 1, 0, AUDIT_ARCH),
        allow,
    ];
    program.push(op(BPF_LD_W_ABS, 0, 0, 0));
    for number in always {
        // if (nr == number) notify
        program.push(op(BPF_JEQ_K, 0, 1, number as u32));
        program.push(notify);
    }
    if policy.file_logging == FileLogging::Writes {
        for (number, flags_arg) in [(libc::SYS_open, 1), (libc::SYS_openat, 2)] {
            // if (nr == number) { if (args[flags_arg] & MODIFYING) notify; allow; }
            program.push(op(BPF_JEQ_K, 0, 4, number as u32));
            program.push(op(BPF_LD_W_ABS, 0, 0, arg_offset(flags_arg)));
            program.push(op(BPF_JSET_K, 0, 1, MODIFYING_OPEN_FLAGS));
            program.push(notify);
            program.push(allow);
        }
    }
    program.push(allow);
    program
}
