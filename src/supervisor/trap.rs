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
use crate::sandbox::seccomp::When;
use libc::sock_filter;

const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JEQ_K: u16 = 0x15;
const BPF_JSET_K: u16 = 0x45;
const BPF_RET_K: u16 = 0x06;
const BPF_ALU_AND_K: u16 = 0x54;
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
    // `Mediator::umask_of`). The signal calls, so that a signal Landlock's
    // scope would refuse is recorded.
    let mut always: Vec<libc::c_long> = vec![libc::SYS_execve, libc::SYS_execveat, libc::SYS_umask];
    always.extend(super::signal::CALLS.iter().map(|(number, _)| *number));
    always.extend_from_slice(super::MEDIATED);
    // `bind` when Landlock refuses every TCP bind, so that each is recorded.
    if policy.network.mode != NetworkMode::Host {
        always.push(libc::SYS_bind);
    }
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
    // Calls of the deny list the supervisor refuses, when their arguments
    // meet the entry's condition, so that each refusal is recorded.
    for entry in crate::sandbox::seccomp::supervisor_entries(policy) {
        program.extend(refusal_block(entry.number, entry.when));
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

/// Where a jump of a [`refusal_block`] goes.
#[derive(Clone, Copy)]
enum Target {
    /// The next instruction.
    Next,
    /// Hand the call to the supervisor.
    Notify,
    /// Not this entry: load the number again and go on.
    Reload,
}

/// The instructions that notify when the call (its number in the
/// accumulator) is `number` and its arguments meet `when`, the test
/// [`When::matches`] makes; otherwise they end with the number in the
/// accumulator again.
fn refusal_block(number: libc::c_long, when: When) -> Vec<sock_filter> {
    let load = |arg: u8| {
        (
            BPF_LD_W_ABS,
            Target::Next,
            Target::Next,
            arg_offset(u32::from(arg)),
        )
    };
    let test = |code, k| (code, Target::Notify, Target::Reload, k);
    let low = |value: u64| value as u32;
    let body: Vec<(u16, Target, Target, u32)> = match when {
        When::Always => Vec::new(),
        When::AnyBit { arg, mask } => vec![load(arg), test(BPF_JSET_K, low(mask))],
        When::Equals { arg, value } => vec![load(arg), test(BPF_JEQ_K, low(value))],
        When::Masked { arg, mask, value } => vec![
            load(arg),
            (BPF_ALU_AND_K, Target::Next, Target::Next, low(mask)),
            test(BPF_JEQ_K, low(value)),
        ],
        When::Socket { domain, kind } => vec![
            load(0),
            (BPF_JEQ_K, Target::Next, Target::Reload, low(domain)),
            load(1),
            (BPF_ALU_AND_K, Target::Next, Target::Next, 0xf),
            test(BPF_JEQ_K, low(kind)),
        ],
        // Any listed value is not this entry; none of them falls through
        // to the notification.
        When::NoneOf { arg, values } => std::iter::once(load(arg))
            .chain(
                (values.iter()).map(|&value| (BPF_JEQ_K, Target::Reload, Target::Next, low(value))),
            )
            .collect(),
    };
    // [number test] body… [notify] [reload]
    let (notify, reload) = (1 + body.len(), 2 + body.len());
    let offset = |at: usize, target| match target {
        Target::Next => 0,
        Target::Notify => (notify - at - 1) as u8,
        Target::Reload => (reload - at - 1) as u8,
    };
    let op = |code, jt, jf, k| sock_filter { code, jt, jf, k };
    // Another number skips the block (the number is still loaded).
    let mut block = vec![op(BPF_JEQ_K, 0, reload as u8, number as u32)];
    for (index, &(code, jt, jf, k)) in body.iter().enumerate() {
        let at = 1 + index;
        block.push(op(code, offset(at, jt), offset(at, jf), k));
    }
    block.push(op(BPF_RET_K, 0, 0, libc::SECCOMP_RET_USER_NOTIF));
    block.push(op(BPF_LD_W_ABS, 0, 0, 0));
    block
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::seccomp::{
        ALWAYS_DENIED, DenyEntry, NETWORK_ALLOW_DENIED, NETWORK_NONE_DENIED, UNIX_LISTED_DENIED,
        UNIX_NONE_DENIED,
    };

    /// Runs `program` on a call as the kernel would (the few instructions
    /// this module emits); true if it notifies.
    fn notifies(program: &[sock_filter], number: libc::c_long, args: [u64; 6]) -> bool {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&(number as u32).to_le_bytes());
        data[4..8].copy_from_slice(&AUDIT_ARCH.to_le_bytes());
        for (index, arg) in args.iter().enumerate() {
            let at = arg_offset(index as u32) as usize;
            data[at..at + 8].copy_from_slice(&arg.to_le_bytes());
        }
        let (mut pc, mut accumulator) = (0usize, 0u32);
        loop {
            let instruction = program[pc];
            let k = instruction.k;
            let jump = |taken: bool| {
                1 + usize::from(if taken {
                    instruction.jt
                } else {
                    instruction.jf
                })
            };
            pc += match instruction.code {
                BPF_LD_W_ABS => {
                    let at = k as usize;
                    accumulator = u32::from_le_bytes(data[at..at + 4].try_into().unwrap());
                    1
                }
                BPF_ALU_AND_K => {
                    accumulator &= k;
                    1
                }
                BPF_JEQ_K => jump(accumulator == k),
                BPF_JSET_K => jump(accumulator & k != 0),
                BPF_RET_K => return k == libc::SECCOMP_RET_USER_NOTIF,
                code => panic!("instruction {code:#x} not emitted here"),
            };
        }
    }

    /// Arguments that meet, and that miss, each kind of condition.
    fn samples(entry: &DenyEntry) -> Vec<[u64; 6]> {
        let mut values = vec![0, 1, 2, 3, 10, 17, 0x1000, 0xffff_ffff, 1 << 32];
        let mut add =
            |value: u64| values.extend([value, value ^ 1, value | 0x800, value | 1 << 40]);
        match entry.when {
            When::Always => {}
            When::AnyBit { mask, .. } => (0..32).for_each(|bit| add(mask & (1 << bit))),
            When::Equals { value, .. } => add(value),
            When::Masked { mask, value, .. } => add(value | !mask),
            When::Socket { domain, kind } => {
                add(domain);
                add(kind);
            }
            When::NoneOf { values: listed, .. } => listed.iter().for_each(|&v| add(v)),
        }
        let mut all = Vec::new();
        for &a in &values {
            for &b in &values {
                all.push([a, b, a, b, a, b]);
            }
        }
        all
    }

    #[test]
    fn refusal_blocks_notify_exactly_when_a_condition_matches() {
        let entries: Vec<DenyEntry> = ALWAYS_DENIED
            .iter()
            .chain(NETWORK_NONE_DENIED)
            .chain(UNIX_NONE_DENIED)
            .chain(UNIX_LISTED_DENIED)
            .chain(NETWORK_ALLOW_DENIED)
            .filter(|entry| entry.refused_by_supervisor())
            .copied()
            .collect();
        // Every block in one program, as `program` chains them: each must
        // leave the number for the next.
        let op = |code, k| sock_filter {
            code,
            jt: 0,
            jf: 0,
            k,
        };
        let mut program = vec![op(BPF_LD_W_ABS, 0)];
        for entry in &entries {
            program.extend(refusal_block(entry.number, entry.when));
        }
        program.push(op(BPF_RET_K, libc::SECCOMP_RET_ALLOW));
        for entry in &entries {
            for args in samples(entry) {
                let expected = (entries.iter())
                    .any(|other| other.number == entry.number && other.when.matches(&args));
                assert_eq!(
                    notifies(&program, entry.number, args),
                    expected,
                    "{entry:?} {args:x?}"
                );
            }
        }
        // The supervisor takes a refusal for what it is only after the
        // calls it traps for other reasons: none of those may be one.
        let signals = super::super::signal::CALLS.map(|(number, _)| number);
        let elsewhere = [
            libc::SYS_open,
            libc::SYS_openat,
            libc::SYS_umask,
            libc::SYS_bind,
            libc::SYS_connect,
        ]
        .into_iter()
        .chain(signals);
        for entry in &entries {
            assert!(
                !super::super::MEDIATED.contains(&entry.number)
                    && !elsewhere.clone().any(|number| number == entry.number),
                "{entry:?}"
            );
        }
        assert!(!notifies(&program, libc::SYS_getpid, [0; 6]));
        assert!(!notifies(
            &program,
            libc::SYS_ioctl,
            [1, libc::TCGETS, 0, 0, 0, 0]
        ));
    }
}
