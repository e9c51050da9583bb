//! Calls the supervisor performs itself: every call that creates, removes,
//! renames or links a name, opens a file for writing, truncates one, or
//! changes a file's mode, owner, times or extended attributes.
//!
//! For these a check followed by `CONTINUE` would be a race: the kernel
//! reads the path from the process's memory again, and another thread may
//! have changed it (`seccomp_unotify(2)`). So the supervisor reads the
//! arguments once, resolves the paths into descriptors as the kernel would
//! for the caller ([`resolve`]), judges what the call changes (the session's
//! boundary, see [`crate::policy::Change`]; for metadata, which Landlock
//! does not cover, also the policy's write rights), and makes the call
//! itself on those descriptors ([`perform`]): the process gets the result,
//! or the new descriptor. The supervisor lives in the session's Landlock
//! domain, so the kernel checks its call exactly as it would have checked
//! the process's; guard's judgement can only refuse more.

mod brought;
mod made;
mod metadata;
mod objects;
mod open;
mod outcome;
mod perform;
mod read;
mod request;
mod resolve;
mod verified;
mod work_tree_top;

pub use open::open_mode;
pub use read::{Opened, Opening, ReadOpen, reopen};
pub use request::{MEDIATED, MEDIATED_OPEN_FLAGS, is_mediated};
pub use resolve::{Caller, path_of};

use crate::audit::{Event, EventKind, EventSender, ProcessInfo};
use crate::policy::Protection;
use crate::policy::refusal::{Right, Rules};
use crate::sys::notify::{Listener, Notification, Response};
use outcome::{Answer, Outcome};
use perform::Judge;
use request::Request;
use std::sync::atomic::{AtomicBool, Ordering};

/// What mediating a session's calls takes.
#[derive(Debug)]
pub struct Mediator {
    /// What stays unchanged.
    pub protection: Protection,
    /// The filesystem rules.
    pub rules: Rules,
    /// Whether calls that went through are recorded (`log.files` other than
    /// `"none"`); refusals always are.
    pub record_changes: bool,
    /// The session's file creation masks.
    umasks: Umasks,
    /// What the session made where only the maker may change it.
    made: made::Made,
    /// The session's channel to guard, whose path an open connects to.
    pub channel: Option<crate::channel::broker::Broker>,
}

/// The file creation mask of the session's processes. A process starts with
/// its parent's, and only `umask(2)` changes one (for every process sharing
/// it through `CLONE_FS`), so until the first `umask` call, which the
/// supervisor is told of before it takes effect, every process has the one
/// the session started with. After it, the mask is read from `/proc` for
/// each call that creates.
#[derive(Debug)]
struct Umasks {
    /// The mask the session's first process started with.
    at_start: u32,
    /// Whether a process has called `umask`.
    changed: AtomicBool,
}

impl Mediator {
    /// A mediator for these rules.
    pub fn new(protection: Protection, rules: Rules, record_changes: bool) -> Mediator {
        Mediator {
            protection,
            rules,
            record_changes,
            // The session's first process is this one's child, waiting for
            // the supervisor; neither calls `umask` before it starts.
            umasks: Umasks {
                at_start: umask_in_status("self").unwrap_or(0o077),
                changed: AtomicBool::new(false),
            },
            made: made::Made::default(),
            channel: None,
        }
    }

    /// Takes note of a trapped `umask` call, before it takes effect.
    pub fn umask_called(&self) {
        self.umasks.changed.store(true, Ordering::SeqCst);
    }

    /// The calling thread's file creation mask now: the session's first
    /// mask until some process changed one, then read for every call (a
    /// `clone(CLONE_FS)` sibling's `umask` changes it too); the narrowest
    /// mask if it cannot be read. Whatever the mask, nothing the supervisor
    /// makes is writable by every user (another local account could plant
    /// in it what the user later runs).
    fn umask_of(&self, caller: &Caller) -> u32 {
        let mask = match self.umasks.changed.load(Ordering::SeqCst) {
            false => self.umasks.at_start,
            true => umask_in_status(&caller.tid.to_string()).unwrap_or(0o077),
        };
        mask | libc::S_IWOTH
    }
}

/// The `Umask:` of `/proc/TASK/status`.
fn umask_in_status(task: &str) -> Option<u32> {
    use std::io::Read;
    // One read: the mask is on the second line, the whole file is ~1.5 KiB.
    let mut status = [0u8; 4096];
    let mut file = std::fs::File::open(format!("/proc/{task}/status")).ok()?;
    let length = file.read(&mut status).ok()?;
    let status = std::str::from_utf8(&status[..length]).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
    u32::from_str_radix(line.trim(), 8).ok()
}

/// Decodes, judges, performs, answers and records one mediated call. The
/// receiving thread must have its own file creation mask (`unshare(CLONE_FS)`).
pub fn handle(
    listener: &std::sync::Arc<Listener>,
    mediator: &std::sync::Arc<Mediator>,
    call: &Notification,
    process: ProcessInfo,
    events: &EventSender,
    unrecorded: &super::Unrecorded,
) {
    let syscall = super::decode::syscall_name(call.syscall);
    let request = match request::decode(call) {
        Ok(request) => request,
        Err(errno) => {
            let _recording = unrecorded.hold();
            let _ = listener.respond(call.id, Response::Fail(errno));
            let event = Event::new(EventKind::Denied, Some(process))
                .with("syscall", syscall)
                .with("unreadable", true)
                .with("errno", super::record::errno_name(errno));
            events.send(event);
            return;
        }
    };
    // Act only on what was read from the process that is still waiting.
    if !listener.is_valid(call.id) {
        return;
    }
    if let (Request::Open { at, flags, .. }, Some(channel)) = (&request, &mediator.channel)
        && channel.is_channel_open(&at.path, *flags)
    {
        channel.answer(listener, call, flags & libc::O_CLOEXEC != 0);
        return;
    }
    let caller = Caller {
        tid: call.pid,
        pid: process.pid,
    };
    let judge = Judge {
        protection: &mediator.protection,
        rules: &mediator.rules,
        made: &mediator.made,
    };
    let mut outcome = match &request {
        Request::Open { at, flags, mode } => {
            match open::prepare_open(&judge, &caller, at, *flags, *mode) {
                Err(outcome) => outcome,
                // The open of a FIFO waits for its other end: on a thread of
                // its own, so that the supervisor goes on answering.
                Ok(prepared) if prepared.blocking => {
                    let (worker, mediator) = (listener.clone(), mediator.clone());
                    let (call, events, unrecorded) = (*call, events.clone(), unrecorded.clone());
                    let spawned = std::thread::Builder::new().spawn(move || {
                        let mut outcome = open::open(prepared, &mediator.made);
                        let _recording = unrecorded.hold();
                        answer(&worker, &call, &mut outcome);
                        mediator.record(&events, outcome, syscall, process);
                    });
                    if spawned.is_err() {
                        let _ = listener.respond(call.id, Response::Fail(libc::EAGAIN));
                    }
                    return;
                }
                Ok(prepared) => with_umask(mediator.umask_of(&caller), || {
                    open::open(prepared, &mediator.made)
                }),
            }
        }
        Request::Mkdir { .. } | Request::Mknod { .. } => {
            with_umask(mediator.umask_of(&caller), || {
                perform::perform(&judge, &caller, &request)
            })
        }
        request => perform::perform(&judge, &caller, request),
    };
    let _recording = unrecorded.hold();
    answer(listener, call, &mut outcome);
    mediator.record(events, outcome, syscall, process);
}

impl Mediator {
    /// Sends the record of a call, unless only refusals are recorded and it
    /// was not refused.
    fn record(&self, events: &EventSender, outcome: Outcome, syscall: &str, process: ProcessInfo) {
        let event = record(&self.rules, outcome, syscall, process);
        if self.record_changes || event.kind == EventKind::Denied {
            events.send(event);
        }
    }
}

/// Runs `make` with the calling thread's file creation mask set to `mask`.
fn with_umask<T>(mask: u32, make: impl FnOnce() -> T) -> T {
    let mask = nix::sys::stat::Mode::from_bits_truncate(mask & 0o777);
    let previous = nix::sys::stat::umask(mask);
    let made = make();
    nix::sys::stat::umask(previous);
    made
}

/// Answers the call; a descriptor goes to the process (the supervisor
/// keeps no copy: see [`Listener::respond_with_fd`]), leaving `Done`.
fn answer(listener: &Listener, call: &Notification, outcome: &mut Outcome) {
    // The process may have died meanwhile: nothing to answer then.
    let _ = match std::mem::replace(&mut outcome.answer, Answer::Done) {
        Answer::Fd { fd, cloexec } => listener.respond_with_fd(call, fd, cloexec).map(drop),
        Answer::Done => listener.respond(call.id, Response::Return(0)),
        Answer::Errno(errno) => {
            outcome.answer = Answer::Errno(errno);
            listener.respond(call.id, Response::Fail(errno))
        }
    };
}

/// The record of a mediated call: what it did, or who refused it and why.
fn record(rules: &Rules, outcome: Outcome, syscall: &str, process: ProcessInfo) -> Event {
    let Outcome {
        answer,
        kind,
        fields,
        refused,
    } = outcome;
    let errno = match answer {
        Answer::Errno(errno) => Some(errno),
        _ => None,
    };
    let denied_by = match (&refused, errno) {
        (Some(rule), _) => Some(("guard", rule.clone())),
        (None, Some(errno @ (libc::EACCES | libc::EPERM))) => {
            let path = fields
                .get("path")
                .and_then(|p| p.as_str())
                .map(std::path::PathBuf::from)
                .unwrap_or_default();
            let rule = rules
                .denial(&path, Right::Write)
                .map(|denial| denial.rule)
                .unwrap_or_else(|| {
                    format!(
                        "the kernel refused it ({})",
                        super::record::errno_name(errno)
                    )
                });
            Some(("kernel", rule))
        }
        _ => None,
    };
    let mut event = match &denied_by {
        Some((by, rule)) => Event::new(EventKind::Denied, Some(process))
            .with("operation", kind.name())
            .with("needs", "write")
            .with("by", *by)
            .with("rule", rule.clone()),
        None => Event::new(kind, Some(process)),
    };
    event = event.with("syscall", syscall);
    for (name, value) in fields {
        event = event.with(&name, value);
    }
    if let Some(errno) = errno {
        event = event.with("errno", super::record::errno_name(errno));
    }
    event
}
