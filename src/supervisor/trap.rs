//! Which system calls the notify filter hands to the supervisor, as a BPF
//! program assembled by hand (seccompiler cannot make a listener filter).
//!
//! In every session: execs (recorded), `umask` (noted), the calls of the
//! deny list the supervisor refuses (recorded as denials), every call the
//! supervisor performs itself (see `supervisor::mediate`: what creates,
//! removes, renames or links a name, opens for writing, truncates, or
//! changes metadata). With
//! `log.files = "all"` also read-only opens (recorded);
//! `connect` when the supervisor must perform it.

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

/// The notify program for `policy`.
pub fn program(policy: &Policy) -> Vec<sock_filter> {
    let op = |code, jt, jf, k| sock_filter { code, jt, jf, k };
    let notify = op(BPF_RET_K, 0, 0, libc::SECCOMP_RET_USER_NOTIF);
    let allow = op(BPF_RET_K, 0, 0, libc::SECCOMP_RET_ALLOW);
    // `umask` goes on at once: the supervisor only takes note of it (see
    // `Mediator::umask_of`).
    let mut always: Vec<libc::c_long> = vec![libc::SYS_execve, libc::SYS_execveat, libc::SYS_umask];
    always.extend_from_slice(super::MEDIATED);
    // Calls of the deny list the supervisor refuses, so that each refusal
    // is recorded.
    always.extend(
        crate::sandbox::seccomp::supervisor_entries(policy)
            .iter()
            .map(|entry| entry.number),
    );
    if matches!(policy.network.unix_sockets, UnixSockets::Listed { .. })
        || policy.network.mode == NetworkMode::Allow
    {
        always.push(libc::SYS_connect);
    }
    let all_opens = policy.file_logging == FileLogging::All;
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
    for (number, flags_arg) in [(libc::SYS_open, 1), (libc::SYS_openat, 2)] {
        if all_opens {
            // if (nr == number) notify
            program.push(op(BPF_JEQ_K, 0, 1, number as u32));
            program.push(notify);
        } else {
            // if (nr == number) { if (args[flags_arg] & MEDIATED) notify; allow; }
            program.push(op(BPF_JEQ_K, 0, 4, number as u32));
            program.push(op(BPF_LD_W_ABS, 0, 0, arg_offset(flags_arg)));
            program.push(op(BPF_JSET_K, 0, 1, super::MEDIATED_OPEN_FLAGS as u32));
            program.push(notify);
            program.push(allow);
        }
    }
    program.push(allow);
    program
}
