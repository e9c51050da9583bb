//! seccomp: system calls a coding session has no business making.
//!
//! The table below is the whole deny list, each entry with the reason it is
//! there. Denied calls fail with an errno (never a kill), so tools fall back
//! cleanly: libuv probes `io_uring_setup`, glibc retries `clone3` as `clone`.
//! The filter is compiled by `seccompiler` into one BPF program per errno; a
//! separate, hand-written program refuses the x32 system call ABI, whose
//! numbers would otherwise slip past every rule keyed on a syscall number.

use super::EnforceError;
use crate::policy::{NetworkMode, Policy, UnixSockets};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch, sock_filter,
};
use std::collections::BTreeMap;

#[macro_use]
mod macros;
mod table;

pub use table::{
    ALWAYS_DENIED, NETWORK_ALLOW_DENIED, NETWORK_NONE_DENIED, UNIX_LISTED_DENIED, UNIX_NONE_DENIED,
};

/// When a deny entry applies.
#[derive(Debug, Clone, Copy)]
pub enum When {
    /// Always.
    Always,
    /// When argument `arg` has any of the bits of `mask` set.
    AnyBit {
        /// Argument index.
        arg: u8,
        /// The bits, any of which triggers the entry.
        mask: u64,
    },
    /// When argument `arg` (32-bit) equals `value`.
    Equals {
        /// Argument index.
        arg: u8,
        /// The value.
        value: u64,
    },
    /// When `arg & mask == value`.
    Masked {
        /// Argument index.
        arg: u8,
        /// Mask applied to the argument.
        mask: u64,
        /// Value compared with.
        value: u64,
    },
    /// When a socket is of this domain (argument 0) and type (argument 1,
    /// without the `SOCK_NONBLOCK`/`SOCK_CLOEXEC` flags).
    Socket {
        /// `AF_*`.
        domain: u64,
        /// `SOCK_*`.
        kind: u64,
    },
    /// When argument `arg` (32-bit) is none of `values`.
    NoneOf {
        /// Argument index.
        arg: u8,
        /// The values that do not trigger the entry.
        values: &'static [u64],
    },
}

/// One denied system call (or use of one).
#[derive(Debug, Clone, Copy)]
pub struct DenyEntry {
    /// The syscall name, as documentation.
    pub name: &'static str,
    /// The syscall number on this architecture.
    pub number: libc::c_long,
    /// When it is denied.
    pub when: When,
    /// The errno returned.
    pub errno: i32,
    /// Why.
    pub why: &'static str,
}

impl DenyEntry {
    /// Whether, in a supervised session, the supervisor refuses this call
    /// and records the refusal, in place of the kernel's deny program (a
    /// program's return beats a notification, so the two cannot both hold
    /// it): the refusals a program gets as `EPERM` or `EACCES`. The notify
    /// filter traps such a call only when its arguments meet the entry's
    /// condition, so everyday `ioctl`s, sockets and clones go on untrapped.
    /// `ENOSYS` entries are probes programs fall back from (`clone3`,
    /// `io_uring_setup`), `EAFNOSUPPORT` a socket family that does not
    /// exist here: the kernel keeps those, and they leave no record.
    pub fn refused_by_supervisor(&self) -> bool {
        matches!(self.errno, libc::EPERM | libc::EACCES)
    }
}

impl When {
    /// Whether a call with arguments `args` meets this condition, as the
    /// kernel's deny program tests it (32-bit comparisons but for
    /// [`When::AnyBit`]).
    pub fn matches(&self, args: &[u64; 6]) -> bool {
        let low = |arg: u8| u64::from(args[usize::from(arg)] as u32);
        match *self {
            When::Always => true,
            When::AnyBit { arg, mask } => args[usize::from(arg)] & mask != 0,
            When::Equals { arg, value } => low(arg) == value,
            When::Masked { arg, mask, value } => low(arg) & mask == value,
            When::Socket { domain, kind } => low(0) == domain && low(1) & 0xf == kind,
            When::NoneOf { arg, values } => !values.contains(&low(arg)),
        }
    }
}

/// The deny entries the kernel's programs hold for `policy`: all of them,
/// or in a `supervised` session those the supervisor does not refuse
/// itself ([`DenyEntry::refused_by_supervisor`]).
pub fn kernel_entries(policy: &Policy, supervised: bool) -> Vec<DenyEntry> {
    let mut entries = entries_for(policy);
    if supervised {
        entries.retain(|entry| !entry.refused_by_supervisor());
    }
    entries
}

/// The deny entries a supervised session's supervisor refuses and records.
pub fn supervisor_entries(policy: &Policy) -> Vec<DenyEntry> {
    let mut entries = entries_for(policy);
    entries.retain(DenyEntry::refused_by_supervisor);
    entries
}

/// Every deny entry that applies to `policy`.
pub fn entries_for(policy: &Policy) -> Vec<DenyEntry> {
    let mut entries = ALWAYS_DENIED.to_vec();
    match policy.network.mode {
        NetworkMode::None => entries.extend_from_slice(NETWORK_NONE_DENIED),
        NetworkMode::Allow => entries.extend_from_slice(NETWORK_ALLOW_DENIED),
        NetworkMode::Host => {}
    }
    match policy.network.unix_sockets {
        UnixSockets::None => entries.extend_from_slice(UNIX_NONE_DENIED),
        UnixSockets::Listed { .. } => entries.extend_from_slice(UNIX_LISTED_DENIED),
        UnixSockets::Any => {}
    }
    entries
}

/// Compiles the deny entries into BPF programs, one per errno and per
/// conflicting rule set, plus the x32 guard.
pub fn compile(entries: &[DenyEntry]) -> Result<Vec<BpfProgram>, EnforceError> {
    let arch: TargetArch = std::env::consts::ARCH
        .try_into()
        .map_err(|e| EnforceError::Seccomp(format!("unsupported architecture: {e:?}")))?;
    // A syscall may appear once per filter; entries for the same syscall and
    // errno are OR-ed as several rules, other combinations go to new filters.
    let mut filters: Vec<(i32, BTreeMap<i64, Vec<SeccompRule>>)> = Vec::new();
    for entry in entries {
        let rules = rules_for(entry.when)
            .map_err(|e| EnforceError::Seccomp(format!("{}: {e}", entry.name)))?;
        let slot = filters.iter_mut().find(|(errno, map)| {
            *errno == entry.errno
                && match map.get(&entry.number) {
                    None => true,
                    // An empty rule list already matches unconditionally.
                    Some(existing) => !existing.is_empty() && !rules.is_empty(),
                }
        });
        match slot {
            Some((_, map)) => map.entry(entry.number).or_default().extend(rules),
            None => {
                let mut map = BTreeMap::new();
                map.insert(entry.number, rules);
                filters.push((entry.errno, map));
            }
        }
    }
    let mut programs = vec![x32_guard()];
    for (errno, rules) in filters {
        let filter = SeccompFilter::new(
            rules,
            SeccompAction::Allow,
            SeccompAction::Errno(errno as u32),
            arch,
        )
        .map_err(|e| EnforceError::Seccomp(e.to_string()))?;
        programs.push(
            filter
                .try_into()
                .map_err(|e: seccompiler::BackendError| EnforceError::Seccomp(e.to_string()))?,
        );
    }
    Ok(programs)
}

/// Installs the compiled programs on the calling thread. `no_new_privs` must
/// be set.
pub fn install(programs: &[BpfProgram]) -> Result<(), EnforceError> {
    for program in programs {
        seccompiler::apply_filter(program).map_err(|e| EnforceError::Seccomp(e.to_string()))?;
    }
    Ok(())
}

fn rules_for(when: When) -> Result<Vec<SeccompRule>, seccompiler::BackendError> {
    let condition = |arg, len, op, value| SeccompCondition::new(arg, len, op, value);
    Ok(match when {
        When::Always => Vec::new(),
        When::AnyBit { arg, mask } => (0..64)
            .map(|bit| 1u64 << bit)
            .filter(|bit| mask & bit != 0)
            .map(|bit| {
                SeccompRule::new(vec![condition(
                    arg,
                    SeccompCmpArgLen::Qword,
                    SeccompCmpOp::MaskedEq(bit),
                    bit,
                )?])
            })
            .collect::<Result<_, _>>()?,
        When::Equals { arg, value } => vec![SeccompRule::new(vec![condition(
            arg,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Eq,
            value,
        )?])?],
        When::Masked { arg, mask, value } => {
            vec![SeccompRule::new(vec![condition(
                arg,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::MaskedEq(mask),
                value,
            )?])?]
        }
        When::Socket { domain, kind } => vec![SeccompRule::new(vec![
            condition(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Eq, domain)?,
            condition(
                1,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::MaskedEq(0xf),
                kind,
            )?,
        ])?],
        When::NoneOf { arg, values } => vec![SeccompRule::new(
            values
                .iter()
                .map(|&value| condition(arg, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, value))
                .collect::<Result<_, _>>()?,
        )?],
    })
}

/// A BPF program that fails every x32-ABI system call (numbers with bit 30
/// set) with `ENOSYS`. x86-64 only; elsewhere it allows everything.
fn x32_guard() -> BpfProgram {
    const BPF_LD_W_ABS: u16 = 0x20;
    const BPF_JGE_K: u16 = 0x35;
    const BPF_RET_K: u16 = 0x06;
    const X32_SYSCALL_BIT: u32 = 0x4000_0000;
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    let instruction = |code, jt, jf, k| sock_filter { code, jt, jf, k };
    if cfg!(target_arch = "x86_64") {
        vec![
            // A = seccomp_data.nr
            instruction(BPF_LD_W_ABS, 0, 0, 0),
            // if A >= X32_SYSCALL_BIT goto errno else goto allow
            instruction(BPF_JGE_K, 0, 1, X32_SYSCALL_BIT),
            instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
            instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        ]
    } else {
        vec![instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_entry() -> Vec<DenyEntry> {
        ALWAYS_DENIED
            .iter()
            .chain(NETWORK_NONE_DENIED)
            .chain(UNIX_NONE_DENIED)
            .chain(UNIX_LISTED_DENIED)
            .chain(NETWORK_ALLOW_DENIED)
            .copied()
            .collect()
    }

    #[test]
    fn the_kernel_and_a_supervisor_share_the_deny_list() {
        let (supervisor, kernel): (Vec<DenyEntry>, Vec<DenyEntry>) = every_entry()
            .into_iter()
            .partition(DenyEntry::refused_by_supervisor);
        for name in ["ptrace", "ioctl", "clone", "memfd_create", "execveat"] {
            assert!(supervisor.iter().any(|entry| entry.name == name), "{name}");
        }
        // Probes programs fall back from, and families that do not exist,
        // stay the kernel's.
        for entry in &kernel {
            assert!(
                matches!(entry.errno, libc::ENOSYS | libc::EAFNOSUPPORT),
                "{entry:?}"
            );
        }
        // The notify filter tests only the low 32 bits of an argument.
        for entry in &supervisor {
            if let When::AnyBit { mask, .. } | When::Masked { mask, .. } = entry.when {
                assert_eq!(mask >> 32, 0, "{entry:?}");
            }
        }
    }

    #[test]
    fn conditions_match_as_the_kernel_tests_them() {
        let args = |a0: u64, a1: u64| [a0, a1, 0, 0, 0, 0];
        let tiocsti = When::Equals {
            arg: 1,
            value: libc::TIOCSTI,
        };
        assert!(tiocsti.matches(&args(3, libc::TIOCSTI)));
        // Only the low 32 bits count (the kernel takes an unsigned int).
        assert!(tiocsti.matches(&args(3, libc::TIOCSTI | 1 << 32)));
        assert!(!tiocsti.matches(&args(3, libc::TIOCSTI + 1)));
        let udp = When::Socket {
            domain: libc::AF_INET as u64,
            kind: libc::SOCK_DGRAM as u64,
        };
        let dgram = (libc::SOCK_DGRAM | libc::SOCK_CLOEXEC) as u64;
        assert!(udp.matches(&args(libc::AF_INET as u64, dgram)));
        assert!(!udp.matches(&args(libc::AF_INET6 as u64, dgram)));
        let families = When::NoneOf {
            arg: 0,
            values: &[1, 2],
        };
        assert!(families.matches(&args(17, 0)) && !families.matches(&args(2, 0)));
        let flags = When::AnyBit { arg: 0, mask: 0x30 };
        assert!(flags.matches(&args(0x10, 0)) && !flags.matches(&args(0x40, 0)));
    }

    #[test]
    fn every_entry_compiles() {
        let programs = compile(&every_entry()).unwrap();
        assert!(programs.len() >= 4, "x32 guard plus one program per errno");
    }
}
