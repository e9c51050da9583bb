//! Execs: judged, answered, and recorded as what happened. An exec the
//! rules allow goes on to the kernel (`CONTINUE`), which reads it again:
//! what runs is checked at the process's next trapped call
//! ([`super::exec_check`]). One the kernel would fail before anything runs
//! (no such program, not executable) is answered here, so that its record
//! says so rather than name a program that never ran.

use super::exec_check;
use super::{Shared, decode, record};
use crate::audit::{Event, EventKind};
use crate::sys::notify::{Listener, Notification, Response};

/// Decides an exec, answers it, then records it (the process goes on while
/// the record is made; who it is was read before).
pub(super) fn handle(
    listener: &Listener,
    shared: &Shared,
    call: &Notification,
    processes: &mut record::Processes,
    exec_checks: &mut exec_check::ExecChecks,
) {
    let supervision = &shared.supervision;
    let syscall = decode::syscall_name(call.syscall);
    // The calling thread's working directory now, not a remembered one: a
    // `clone(CLONE_FS)` sibling's `chdir` changes it without a word.
    let cwd = || std::fs::read_link(format!("/proc/{}/cwd", call.pid)).ok();
    let Some(operation) = decode::decode(call, &cwd) else {
        // Its memory could not be read: the kernel decides, the record
        // says what little is known, and the check says what ran.
        let process = processes.get(call.pid);
        exec_checks.expect_unread(process.pid);
        let _ = listener.respond(call.id, Response::Continue);
        let event = Event::new(EventKind::Exec, Some(process))
            .with("syscall", syscall)
            .with("unreadable", true);
        supervision.events.send(event);
        return;
    };
    // Act only on what was read from the process that is still waiting.
    if !listener.is_valid(call.id) {
        return;
    }
    let recording = shared.unrecorded.hold();
    // Who made the call, read while it waits: a process let go at once can
    // end (and its `/proc` entry with it) before it is looked up.
    let process = processes.get(call.pid);
    let denial = supervision.rules.early_denial(&operation);
    let fails = exec_fails(&operation);
    let response = match (&denial, fails) {
        (Some(_), _) | (None, Some(ExecFails::NotExecutable)) => Response::Fail(libc::EACCES),
        (None, Some(ExecFails::Missing(errno))) => Response::Fail(errno),
        (None, None) => {
            // The kernel reads the exec again: what runs is checked later.
            if let decode::Operation::Exec {
                path,
                argv,
                argv_truncated,
                cwd,
                ..
            } = &operation
            {
                exec_checks.expect(process.pid, path, argv, *argv_truncated, cwd);
            }
            Response::Continue
        }
    };
    // The process may have died meanwhile: nothing to answer then.
    let _ = listener.respond(call.id, response);
    let (tid, pid) = (process.tid, process.pid);
    let event = match (&denial, fails) {
        (Some(denial), _) => {
            record::denial_event(&operation, syscall, denial, process).with("errno", "EACCES")
        }
        (None, Some(ExecFails::NotExecutable)) => {
            let denial = crate::policy::refusal::Denial {
                path: operation.path().to_path_buf(),
                needs: crate::policy::refusal::Right::Execute.name(),
                rule: "not executable: a directory, a mode without execute permission, or a noexec mount".to_string(),
            };
            record::denial_event(&operation, syscall, &denial, process)
                .with("by", "kernel")
                .with("errno", "EACCES")
        }
        // An exec that ran nothing (a PATH search tries each directory):
        // the record says so.
        (None, Some(ExecFails::Missing(errno))) => {
            record::operation_event(&operation, syscall, process)
                .with("errno", record::errno_name(errno))
        }
        (None, None) => record::operation_event(&operation, syscall, process),
    };
    if event.kind == EventKind::Exec && fails.is_none() {
        processes.executed(tid, pid);
    }
    supervision.events.send(event);
    drop(recording);
}

/// Why the kernel would fail an `execve` before anything runs, as the
/// supervisor sees the file it names: it answers so itself, and the record
/// tells. Only for a name the kernel resolves as the supervisor does
/// ([`decode::Operation::Exec`]'s `exact`); a change in the moment after
/// (a program made, a mode set) is not seen, as if it had come a moment
/// later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExecFails {
    /// `ENOENT` or `ENOTDIR`: no such program; it ran nothing.
    Missing(i32),
    /// `EACCES`: a directory, a file without execute permission for the
    /// session, or one on a `noexec` mount (a denial by the kernel).
    NotExecutable,
}

/// How the kernel would fail `operation`, if it is an exec it would fail.
fn exec_fails(operation: &decode::Operation) -> Option<ExecFails> {
    let decode::Operation::Exec {
        path, exact: true, ..
    } = operation
    else {
        return None;
    };
    match std::fs::metadata(path) {
        Err(error) => error
            .raw_os_error()
            .filter(|&errno| errno == libc::ENOENT || errno == libc::ENOTDIR)
            .map(ExecFails::Missing),
        Ok(metadata) if metadata.is_dir() => Some(ExecFails::NotExecutable),
        // The kernel's own check (mode, ACLs, `noexec`), with the
        // session's identity, which the supervisor shares.
        Ok(_) => match nix::unistd::eaccess(path.as_path(), nix::unistd::AccessFlags::X_OK) {
            Err(nix::errno::Errno::EACCES) => Some(ExecFails::NotExecutable),
            _ => None,
        },
    }
}
