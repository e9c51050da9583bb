//! Signals the session sends outside itself.
//!
//! Landlock's signal scope refuses them in the kernel (`EPERM`), where no
//! record is made. So `kill` is trapped, and a signal to a process that is
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
use crate::audit::{Event, EventKind};
use crate::sys::notify::{Listener, Notification, Response};

/// Answers a trapped `kill`: refused, with a record, when its target is
/// certainly outside the session; otherwise handed to the kernel.
pub(super) fn handle(
    listener: &Listener,
    shared: &Shared,
    call: &Notification,
    processes: &mut Processes,
) {
    let target = call.args[0] as i32;
    let outside = match shared.supervision.session_filters {
        // A process group, or every process: the kernel signals those it
        // may, and says nothing of the rest.
        Some(minimum) if target > 0 => is_outside(target, minimum),
        _ => false,
    };
    if !outside {
        let _ = listener.respond(call.id, Response::Continue);
        return;
    }
    refuse(listener, shared, call, target, processes);
}

fn refuse(
    listener: &Listener,
    shared: &Shared,
    call: &Notification,
    target: i32,
    processes: &mut Processes,
) {
    let recording = shared.unrecorded.hold();
    let process = processes.get(call.pid);
    if listener
        .respond(call.id, Response::Fail(libc::EPERM))
        .is_err()
    {
        return;
    }
    let event = Event::new(EventKind::Denied, Some(process))
        .with("syscall", "kill")
        .with("operation", "signal")
        .with("target", target)
        .with("signal", call.args[1] as i32)
        .with("by", "guard")
        .with(
            "rule",
            "Landlock signal scope: a session signals only its own processes",
        )
        .with("errno", "EPERM");
    shared.supervision.events.send(event);
    drop(recording);
}

/// Whether process `pid` lacks what every process of the session has:
/// `no_new_privs` and at least `minimum` seccomp filters. A process that
/// cannot be read (gone) is not judged.
fn is_outside(pid: i32, minimum: u32) -> bool {
    let Ok(status) = crate::sys::proc_file::read_text(&format!("/proc/{pid}/status")) else {
        return false;
    };
    match (
        field(&status, "NoNewPrivs:"),
        field(&status, "Seccomp_filters:"),
    ) {
        (Some(no_new_privs), Some(filters)) => no_new_privs == 0 || filters < minimum,
        _ => false,
    }
}

/// How many seccomp filters the calling process has (`None` if the kernel
/// does not say).
pub fn own_filter_count() -> Option<u32> {
    let status = crate::sys::proc_file::read_text("/proc/self/status").ok()?;
    field(&status, "Seccomp_filters:")
}

/// A number of a `/proc/PID/status` text, by its name (with the colon).
fn field(status: &str, name: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|value| value.trim().parse().ok())
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
