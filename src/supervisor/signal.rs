//! Signals the session sends outside itself.
//!
//! Landlock's signal scope refuses them in the kernel (`EPERM`), where no
//! record is made. So every call that sends a signal to a process or a
//! thread is trapped ([`CALLS`]), and a signal to a process that is
//! certainly not the session's is refused here first, with a record; the
//! rest goes on to the kernel, which still decides (and refuses anything
//! this check let through that leaves the domain).
//!
//! A session's process is known by what guard put on it: `no_new_privs`
//! and at least the seccomp filters guard installs over those it started
//! with. A process without them is outside (guard itself, its anchor,
//! the user's other programs). One that has them is taken for the
//! session's (its signal then goes on, and another sandbox's process so
//! confined would be refused by the kernel without a record).

use super::Shared;
use super::record::Processes;
use crate::sys::notify::{Listener, Notification, Response, take_fd};
use crate::sys::proc_file::{read_text, status_field};

/// The calls that send a signal to a process or thread, with the name the
/// record gives each.
pub const CALLS: [(libc::c_long, &str); 6] = [
    (libc::SYS_kill, "kill"),
    (libc::SYS_tkill, "tkill"),
    (libc::SYS_tgkill, "tgkill"),
    (libc::SYS_rt_sigqueueinfo, "rt_sigqueueinfo"),
    (libc::SYS_rt_tgsigqueueinfo, "rt_tgsigqueueinfo"),
    (libc::SYS_pidfd_send_signal, "pidfd_send_signal"),
];

/// The name of `syscall` if it is one of [`CALLS`].
pub(super) fn call_name(syscall: i32) -> Option<&'static str> {
    (CALLS.iter())
        .find(|(number, _)| *number as i32 == syscall)
        .map(|(_, name)| *name)
}

/// Answers a trapped call of [`CALLS`] (named `name`): refused, with a
/// record, when its target is certainly outside the session; otherwise
/// handed to the kernel.
pub(super) fn handle(
    listener: &Listener,
    shared: &Shared,
    call: &Notification,
    processes: &mut Processes,
    name: &'static str,
) {
    let Aimed { target, signal } = aimed(call);
    let outside = match (shared.supervision.session_filters, target) {
        // A process group, every process, or a target not known here: the
        // kernel signals those it may, and says nothing of the rest.
        (Some(minimum), Some(target)) if target > 0 && target as u32 != call.pid => {
            is_outside(target, minimum)
        }
        _ => false,
    };
    if !outside {
        let _ = listener.respond(call.id, Response::Continue);
        return;
    }
    super::refuse(listener, shared, call, processes, libc::EPERM, |event| {
        event
            .with("syscall", name)
            .with("operation", "signal")
            .with("target", target)
            .with("signal", signal)
            .with(
                "rule",
                "Landlock signal scope: a session signals only its own processes",
            )
    });
}

/// Where a signal call is aimed, as the supervisor sees pids.
struct Aimed {
    /// The process, or for a thread-directed call the thread; `None` when
    /// a descriptor names it and that could not be read.
    target: Option<i32>,
    /// The signal number (0 only asks whether the target exists).
    signal: i32,
}

/// The target and signal of a trapped call of [`CALLS`].
fn aimed(call: &Notification) -> Aimed {
    let arg = |index: usize| call.args[index] as i32;
    let (target, signal) = match call.syscall as libc::c_long {
        libc::SYS_tgkill | libc::SYS_rt_tgsigqueueinfo => (Some(arg(1)), arg(2)),
        // Signals to a process group (a flag since Linux 6.9) are left to
        // the kernel, like `kill` with a negative pid.
        libc::SYS_pidfd_send_signal if call.args[3] & PIDFD_SIGNAL_PROCESS_GROUP != 0 => {
            (None, arg(1))
        }
        libc::SYS_pidfd_send_signal => (pidfd_target(call), arg(1)),
        // kill, tkill, rt_sigqueueinfo: (pid or tid, signal).
        _ => (Some(arg(0)), arg(1)),
    };
    Aimed { target, signal }
}

/// `PIDFD_SIGNAL_PROCESS_GROUP` (linux/pidfd.h).
const PIDFD_SIGNAL_PROCESS_GROUP: u64 = 1 << 2;

/// The pid a `pidfd_send_signal` descriptor names: a pidfd (its `Pid:`
/// line in fdinfo) or a `/proc/PID` directory.
fn pidfd_target(call: &Notification) -> Option<i32> {
    use std::os::fd::AsRawFd;
    let descriptor = take_fd(call.pid, call.args[0] as i32).ok()?;
    let fdinfo = read_text(&format!("/proc/self/fdinfo/{}", descriptor.as_raw_fd())).ok()?;
    if let Some(pid) = status_field::<i32>(&fdinfo, "Pid:") {
        return Some(pid);
    }
    let link = std::fs::read_link(format!("/proc/self/fd/{}", descriptor.as_raw_fd())).ok()?;
    link.strip_prefix("/proc").ok()?.to_str()?.parse().ok()
}

/// Whether process `pid` lacks what every process of the session has:
/// `no_new_privs` and at least `minimum` seccomp filters. A process that
/// cannot be read (gone) is not judged.
fn is_outside(pid: i32, minimum: u32) -> bool {
    let Ok(status) = read_text(&format!("/proc/{pid}/status")) else {
        return false;
    };
    match (
        status_field::<u32>(&status, "NoNewPrivs:"),
        status_field::<u32>(&status, "Seccomp_filters:"),
    ) {
        (Some(no_new_privs), Some(filters)) => no_new_privs == 0 || filters < minimum,
        _ => false,
    }
}

/// How many seccomp filters the calling process has (`None` if the kernel
/// does not say).
pub fn own_filter_count() -> Option<u32> {
    let status = read_text("/proc/self/status").ok()?;
    status_field(&status, "Seccomp_filters:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_without_the_session_filters_is_outside() {
        // This test process has no no_new_privs (or fewer filters than a
        // session adds).
        let me = std::process::id() as i32;
        let own = own_filter_count().expect("the kernel says");
        assert!(is_outside(me, own + 1));
        // A process that cannot be read is not judged.
        assert!(!is_outside(i32::MAX, 1));
    }
}
