//! Read-only opens trapped with `log.files = "all"`: judged, made by the
//! supervisor ([`mediate::ReadOpen`]), answered with the very file, and
//! recorded as what happened: the file opened, the error the kernel gave,
//! or the refusal and its rule.

use super::decode::Operation;
use super::mediate::{self, Opened, Opening, ReadOpen};
use super::memory::{MAX_PATH, Remote};
use super::{Shared, record};
use crate::audit::{Event, EventKind, ProcessInfo};
use crate::policy::refusal::Right;
use crate::sys::notify::{Listener, Notification, Response};
use nix::errno::Errno;
use std::sync::Arc;

/// Whether the call is an open the notify filter traps only to record it.
pub fn is_read_open(call: &Notification) -> bool {
    matches!(
        call.syscall as libc::c_long,
        libc::SYS_open | libc::SYS_openat
    )
}

/// Handles one read-only open (the process waits for the answer).
pub fn handle(
    listener: &Arc<Listener>,
    shared: &Arc<Shared>,
    call: &Notification,
    processes: &mut record::Processes,
) {
    let supervision = &shared.supervision;
    let syscall = super::decode::syscall_name(call.syscall);
    let a = call.args;
    let (dirfd, address, flags) = match call.syscall as libc::c_long {
        libc::SYS_open => (libc::AT_FDCWD, a[0], a[1] as i32),
        _ => (a[0] as i32, a[1], a[2] as i32),
    };
    let process = processes.get(call.pid);
    let caller = mediate::Caller {
        tid: call.pid,
        pid: process.pid,
    };
    let request = match Remote::new(call.pid).c_string(address, MAX_PATH) {
        None => Err(Errno::EFAULT),
        Some(raw) if raw.len() >= MAX_PATH => Err(Errno::ENAMETOOLONG),
        Some(raw) => ReadOpen::new(caller, dirfd, raw, flags),
    };
    // Act only on what was read from the process that is still waiting.
    if !listener.is_valid(call.id) {
        return;
    }
    let recording = shared.unrecorded.hold();
    let request = match request {
        Ok(request) => request,
        Err(errno) => {
            let _ = listener.respond(call.id, Response::Fail(errno as i32));
            let event = Event::new(EventKind::Open, Some(process))
                .with("syscall", syscall)
                .with("unreadable", true)
                .with("errno", format!("{errno:?}"));
            supervision.events.send(event);
            return;
        }
    };
    let operation = Operation::Open {
        path: request.path.clone(),
        flags,
    };
    if supervision.session_rc.hand_over(listener, call, &operation) {
        let event = record::operation_event(&operation, syscall, process).with("session_rc", true);
        supervision.events.send(event);
        return;
    }
    if flags & libc::O_PATH != 0 {
        // A handle that reads nothing, and one `SECCOMP_IOCTL_NOTIF_ADDFD`
        // cannot pass: the kernel makes it. Whatever reads through it later
        // opens it again (`/proc/self/fd/N`), and that open is made here.
        let _ = listener.respond(call.id, Response::Continue);
        supervision
            .events
            .send(record::operation_event(&operation, syscall, process));
        return;
    }
    match request.open() {
        Opening::Blocking(fd) => {
            // A FIFO or terminal: its open waits on a thread of its own,
            // and counts as unrecorded only once it is made (an open still
            // waiting when the session's processes are gone answers no one).
            drop(recording);
            let (worker, shared) = (Arc::clone(listener), Arc::clone(shared));
            let call = *call;
            let spawned = std::thread::Builder::new().spawn(move || {
                let opened = match mediate::reopen(&fd, flags) {
                    Ok(file) => Opened::File(file),
                    Err(errno) => Opened::Failed(errno),
                };
                // The first open is not the caller's: a FIFO end it holds
                // past the answer would meet the other end's open.
                drop(fd);
                let _recording = shared.unrecorded.hold();
                finish(&worker, &shared, &call, &operation, opened, process);
            });
            if spawned.is_err() {
                let _ = listener.respond(call.id, Response::Fail(libc::EAGAIN));
            }
        }
        Opening::Now(opened) => finish(listener, shared, call, &operation, opened, process),
    }
}

/// Answers the call and records what happened.
fn finish(
    listener: &Listener,
    shared: &Shared,
    call: &Notification,
    operation: &Operation,
    opened: Opened,
    process: ProcessInfo,
) {
    let supervision = &shared.supervision;
    let syscall = super::decode::syscall_name(call.syscall);
    let Operation::Open { path, flags } = operation else {
        return;
    };
    let cloexec = flags & libc::O_CLOEXEC != 0;
    let event = match opened {
        Opened::File(fd) => {
            // The record names the file opened, wherever the links and `..`
            // of the name asked for led; the name asked is kept beside it.
            let opened = mediate::path_of(&fd).unwrap_or_else(|_| path.clone());
            let operation = Operation::Open {
                path: opened.clone(),
                flags: *flags,
            };
            let mut event = record::operation_event(&operation, syscall, process.clone());
            if opened != *path {
                event = event.with("asked", path.to_string_lossy());
            }
            match listener.respond_with_fd(call, fd, cloexec) {
                Ok(_) => {
                    if let Some(scan) = &supervision.read_scan {
                        scan.offer(&opened, path, &process);
                    }
                    event
                }
                // The process died meanwhile: nothing to answer.
                Err(error) if error.raw_os_error() == Some(libc::ENOENT) => {
                    event.with("errno", "ENOENT")
                }
                // It could not take the file (no descriptor left, say):
                // the call fails with the reason rather than waiting.
                Err(error) => {
                    let errno = Errno::from_raw(error.raw_os_error().unwrap_or(libc::EIO));
                    let _ = listener.respond(call.id, Response::Fail(errno as i32));
                    event.with("errno", format!("{errno:?}"))
                }
            }
        }
        Opened::Refused(rule) => {
            let _ = listener.respond(call.id, Response::Fail(libc::EACCES));
            refusal(operation, syscall, process, "guard", rule).with("errno", "EACCES")
        }
        Opened::Failed(errno @ (Errno::EACCES | Errno::EPERM)) => {
            let _ = listener.respond(call.id, Response::Fail(errno as i32));
            let rule = supervision
                .rules
                .denial(path, Right::Read)
                .map(|denial| denial.rule)
                .unwrap_or_else(|| format!("the kernel refused it ({errno:?})"));
            refusal(operation, syscall, process, "kernel", rule).with("errno", format!("{errno:?}"))
        }
        Opened::Failed(errno) => {
            let _ = listener.respond(call.id, Response::Fail(errno as i32));
            record::operation_event(operation, syscall, process).with("errno", format!("{errno:?}"))
        }
    };
    supervision.events.send(event);
}

/// The record of a refused open.
fn refusal(
    operation: &Operation,
    syscall: &str,
    process: ProcessInfo,
    by: &str,
    rule: String,
) -> Event {
    let denial = crate::policy::refusal::Denial {
        path: operation.path().to_path_buf(),
        needs: Right::Read.name(),
        rule,
    };
    record::denial_event(operation, syscall, &denial, process).with("by", by)
}
