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
use crate::sys::notify::{Listener, Notification, Response};
use crate::sys::proc_file::{read_text, status_field};

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
    super::refuse(listener, shared, call, processes, libc::EPERM, |event| {
        event
            .with("syscall", "kill")
            .with("operation", "signal")
            .with("target", target)
            .with("signal", call.args[1] as i32)
            .with(
                "rule",
                "Landlock signal scope: a session signals only its own processes",
            )
    });
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
