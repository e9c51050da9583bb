//! The supervisor: guard's side of seccomp user notification.
//!
//! The kernel traps a call in the confined process and hands it to the
//! supervisor, which reads its arguments once, from the process's memory,
//! and acts on that copy alone: the kernel never reads a path again after
//! the supervisor judged and recorded it (a racing thread could change it
//! in between, `seccomp_unotify(2)`).
//!
//! - Read-only opens (`log.files = "all"`) are made by the supervisor, with
//!   the session's rights, and handed over as the very file (`reads`,
//!   `mediate::ReadOpen`): the record names what was opened, and a refusal
//!   is Landlock's own, recorded with the rule that lacks the right.
//! - Every call that changes something (creates, removes, renames or links
//!   a name, writes or truncates a file, changes its mode, owner, times or
//!   extended attributes) is performed by the supervisor itself, on the
//!   descriptors it resolved and judged (`mediate`), and so is `connect` for
//!   `unix_sockets = "listed"` (`connect`).
//! - Execs are decoded (path, argv), refused early where Landlock will
//!   refuse them, recorded, and handed back to the kernel (`CONTINUE`): the
//!   supervisor cannot run a program for the process. The kernel reads the
//!   path again, so a racing thread can make it run another program than
//!   the record names (Landlock's execute right still decides what can
//!   run); the new program's first trapped call is where that is found out
//!   and recorded (`exec_check`).

mod bind;
mod connect;
mod decode;
mod deny;
mod exec;
mod exec_check;
mod mediate;
mod memory;
pub mod read_scan;
mod reads;
mod record;
pub mod signal;
pub mod trap;

pub use mediate::{MEDIATED, MEDIATED_OPEN_FLAGS};

pub use connect::SocketRules;

use crate::audit::{Event, EventKind, EventSender};
use crate::policy::refusal::Rules;
use crate::sys::notify::{Listener, Notification, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads receive trapped calls. One: a second only adds
/// wake-ups (measured on two cores: an open storm takes 15% longer with two,
/// a two-threaded one 11%); calls that may block (a FIFO's open, `connect`)
/// run on threads of their own.
const RECEIVERS: usize = 1;

/// What the supervisor needs to decide and record.
#[derive(Debug)]
pub struct Supervision {
    /// The policy's filesystem rules, for early denial.
    pub rules: Rules,
    /// What stays unchanged in the writable trees.
    pub protection: crate::policy::Protection,
    /// Whether changes that went through are recorded, or only refusals.
    pub record_changes: bool,
    /// Socket files `connect` may reach, when the supervisor performs it.
    pub sockets: Option<SocketRules>,
    /// Where records go.
    pub events: EventSender,
    /// Shell start-up files read as the session rc, and that file.
    pub session_rc: SessionRc,
    /// The session's channel to guard, when guard serves one.
    pub channel: Option<crate::channel::broker::Broker>,
    /// Scans what the session reads outside the repository.
    pub read_scan: Option<read_scan::ReadScan>,
    /// The calls of the deny list the supervisor refuses (and records).
    pub refused: Vec<crate::sandbox::seccomp::DenyEntry>,
    /// How many seccomp filters every process of the session has at least,
    /// when known: a signal to a process with fewer is refused and
    /// recorded (`signal`).
    pub session_filters: Option<u32>,
}

impl Supervision {
    /// What supervising a session under `policy` takes; `proxy` is the
    /// address of guard's network proxy, when the session has one.
    pub fn for_policy(
        policy: &crate::policy::Policy,
        proxy: Option<std::net::SocketAddr>,
        events: EventSender,
    ) -> Supervision {
        Supervision {
            rules: Rules::from_policy(policy),
            protection: policy.protection.clone(),
            record_changes: policy.file_logging != crate::policy::FileLogging::None,
            sockets: SocketRules::for_policy(&policy.network, proxy),
            events,
            session_rc: SessionRc {
                replaced: policy.session_rc.iter().cloned().collect(),
                file: policy.session.shell_rc(),
            },
            channel: None,
            read_scan: None,
            refused: crate::sandbox::seccomp::supervisor_entries(policy),
            session_filters: None,
        }
    }
}

/// [`Supervision`] plus the supervisor's own shared state.
#[derive(Debug)]
struct Shared {
    supervision: Supervision,
    mediator: Arc<mediate::Mediator>,
    unrecorded: Unrecorded,
}

/// Calls answered whose record is not sent yet: the process goes on while
/// its record is made, so the session can end in between.
#[derive(Debug, Clone, Default)]
pub struct Unrecorded(Arc<AtomicUsize>);

/// One answered call whose record is on its way; dropped once it is sent.
#[derive(Debug)]
pub struct Recording(Arc<AtomicUsize>);

impl Unrecorded {
    /// Counts a call about to be answered before its record is sent.
    pub fn hold(&self) -> Recording {
        self.0.fetch_add(1, Ordering::AcqRel);
        Recording(Arc::clone(&self.0))
    }

    fn none(&self) -> bool {
        self.0.load(Ordering::Acquire) == 0
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The running supervisor.
#[derive(Debug)]
pub struct Supervisor {
    shared: Arc<Shared>,
    /// Receiving threads still running.
    receiving: Arc<AtomicUsize>,
}

impl Supervisor {
    /// Waits (at most `limit`) until every answered call has been recorded
    /// and the receiving threads have ended; call it when the session's
    /// processes are gone, before the log is closed. Returns whether it
    /// settled.
    pub fn settle(&self, limit: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        // Once no process is left to trap, the receiving threads end (a
        // thread that went on receiving would spin: the kernel fails every
        // receive at once then).
        while !self.shared.unrecorded.none() || self.receiving.load(Ordering::Acquire) > 0 {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        true
    }
}

/// Serves trapped calls until the session's processes are gone.
pub fn spawn(listener: Listener, supervision: Supervision) -> std::io::Result<Supervisor> {
    if let Err(error) = listener.set_sync_wakeup() {
        tracing::debug!(%error, "no synchronous wake-up for seccomp notifications; slower path in use");
    }
    let listener = Arc::new(listener);
    let mut supervision = supervision;
    let mut mediator = mediate::Mediator::new(
        supervision.protection.clone(),
        supervision.rules.clone(),
        supervision.record_changes,
    );
    // An open of the channel is a mediated open (read-write), answered
    // where the path is read anyway.
    mediator.channel = supervision.channel.take();
    let mediator = Arc::new(mediator);
    let supervision = Arc::new(Shared {
        supervision,
        mediator,
        unrecorded: Unrecorded::default(),
    });
    let receiving = Arc::new(AtomicUsize::new(RECEIVERS));
    for index in 0..RECEIVERS {
        let (listener, supervision) = (Arc::clone(&listener), Arc::clone(&supervision));
        let running = Arc::clone(&receiving);
        std::thread::Builder::new()
            .name(format!("guard-supervisor-{index}"))
            .spawn(move || {
                receive_loop(&listener, &supervision);
                running.fetch_sub(1, Ordering::AcqRel);
            })?;
    }
    Ok(Supervisor {
        receiving,
        shared: supervision,
    })
}

fn receive_loop(listener: &Arc<Listener>, supervision: &Arc<Shared>) {
    // Creations are made with the caller's file creation mask, set on this
    // thread alone.
    if let Err(error) = nix::sched::unshare(nix::sched::CloneFlags::CLONE_FS) {
        eprintln!(
            "guard: the supervisor cannot have a file creation mask of its own ({error}); ending the session"
        );
        std::process::abort();
    }
    let mut processes = record::Processes::default();
    let mut exec_checks = exec_check::ExecChecks::default();
    loop {
        let call = match listener.receive() {
            Ok(call) => call,
            // No process is left to trap: the session is over (since Linux
            // 6.6 `receive` would fail at once, forever).
            Err(error) if error.raw_os_error() == Some(libc::ENOENT) && listener.is_orphaned() => {
                return;
            }
            // The trapped process died before we read the call.
            Err(error) if error.raw_os_error() == Some(libc::ENOENT) => continue,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                tracing::debug!(%error, "supervisor stops");
                return;
            }
        };
        if let Some(finding) = exec_checks.check(call.pid) {
            let process = processes.get(call.pid);
            let event = record::exec_mismatch_event(finding, process);
            supervision.supervision.events.send(event);
        }
        if call.syscall == libc::SYS_umask as i32 {
            // Noted before it takes effect, so creations made after it use
            // the mask it sets.
            supervision.mediator.umask_called();
            let _ = listener.respond(call.id, Response::Continue);
            continue;
        }
        if let Some(name) = signal::call_name(call.syscall) {
            signal::handle(listener, supervision, &call, &mut processes, name);
            continue;
        }
        if call.syscall == libc::SYS_bind as i32 {
            bind::handle(listener, supervision, &call, &mut processes);
            continue;
        }
        if call.syscall == libc::SYS_connect as i32 {
            spawn_connect(listener, supervision, call, &mut processes);
            continue;
        }
        // A supervisor that stops answering would hang the session: if
        // handling a call panics, guard aborts, and the session dies with it
        // (parent-death signal, pid namespace).
        let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if mediate::is_mediated(&call) {
                let process = processes.get(call.pid);
                mediate::handle(
                    listener,
                    &supervision.mediator,
                    &call,
                    process,
                    &supervision.supervision.events,
                    &supervision.unrecorded,
                );
            } else if reads::is_read_open(&call) {
                reads::handle(listener, supervision, &call, &mut processes);
            } else if let Some(entry) = refused_entry(&supervision.supervision.refused, &call) {
                refuse_denied_call(listener, supervision, &call, entry, &mut processes);
            } else {
                exec::handle(
                    listener,
                    supervision,
                    &call,
                    &mut processes,
                    &mut exec_checks,
                );
            }
        }));
        if handled.is_err() {
            eprintln!("guard: the supervisor failed; ending the session");
            std::process::abort();
        }
    }
}

/// Refuses trapped `call` with `errno`, as the kernel would without a
/// word, and records the refusal: a `denied` record by guard, which
/// `details` completes (`syscall`, `operation`, `rule`, …). A process gone
/// before the answer was refused nothing, and nothing is recorded.
fn refuse(
    listener: &Listener,
    shared: &Shared,
    call: &Notification,
    processes: &mut record::Processes,
    errno: i32,
    details: impl FnOnce(Event) -> Event,
) {
    let recording = shared.unrecorded.hold();
    // Who made the call, read while it waits.
    let process = processes.get(call.pid);
    if listener.respond(call.id, Response::Fail(errno)).is_err() {
        return;
    }
    let event = Event::new(EventKind::Denied, Some(process))
        .with("by", "guard")
        .with("errno", record::errno_name(errno));
    shared.supervision.events.send(details(event));
    drop(recording);
}

/// The entry of the deny list `call` meets, as the notify filter matched
/// it (none of them is a call trapped for another reason but `execveat`,
/// which is an exec otherwise: `trap::tests`).
fn refused_entry<'a>(
    refused: &'a [crate::sandbox::seccomp::DenyEntry],
    call: &Notification,
) -> Option<&'a crate::sandbox::seccomp::DenyEntry> {
    refused.iter().find(|entry| {
        entry.number == libc::c_long::from(call.syscall) && entry.when.matches(&call.args)
    })
}

/// Refuses a call of the deny list (`entry`), as the kernel's deny program
/// would, with a record.
fn refuse_denied_call(
    listener: &Listener,
    shared: &Shared,
    call: &Notification,
    entry: &crate::sandbox::seccomp::DenyEntry,
    processes: &mut record::Processes,
) {
    refuse(listener, shared, call, processes, entry.errno, |event| {
        event
            .with("syscall", entry.name)
            .with("operation", "syscall")
            .with("rule", format!("seccomp deny list: {}", entry.why))
    });
}

/// The user's shell start-up files, which the session reads as the
/// session rc.
#[derive(Debug)]
pub struct SessionRc {
    /// The files replaced.
    pub replaced: std::collections::HashSet<std::path::PathBuf>,
    /// The session rc.
    pub file: std::path::PathBuf,
}

impl SessionRc {
    /// For a read of one of the replaced files: opens the session rc and
    /// answers the call with it (the record still names the file asked
    /// for). False for any other call, or if the hand-over failed (the
    /// call then goes on as usual).
    fn hand_over(
        &self,
        listener: &Listener,
        call: &Notification,
        operation: &decode::Operation,
    ) -> bool {
        let decode::Operation::Open { path, flags } = operation else {
            return false;
        };
        let reads_only = flags & libc::O_ACCMODE == libc::O_RDONLY && flags & libc::O_CREAT == 0;
        if self.replaced.is_empty() || !reads_only || !self.replaced.contains(path) {
            return false;
        }
        let Ok(file) = std::fs::File::open(&self.file) else {
            return false;
        };
        let fd = std::os::fd::OwnedFd::from(file);
        listener
            .respond_with_fd(call, fd, flags & libc::O_CLOEXEC != 0)
            .is_ok()
    }
}

/// A `connect` may block: it runs on its own thread.
fn spawn_connect(
    listener: &Arc<Listener>,
    supervision: &Arc<Shared>,
    call: Notification,
    processes: &mut record::Processes,
) {
    let process = processes.get(call.pid);
    let (worker_listener, shared) = (Arc::clone(listener), Arc::clone(supervision));
    let handled = std::thread::Builder::new().spawn(move || {
        let supervision = &shared.supervision;
        let outcome = match &supervision.sockets {
            Some(rules) => connect::handle(&worker_listener, &call, rules),
            None => connect::Outcome {
                response: Response::Fail(libc::EACCES),
                refused_by: Some("network: the session connects nowhere"),
                target: None,
            },
        };
        let recording = shared.unrecorded.hold();
        let _ = worker_listener.respond(call.id, outcome.response);
        // A destination the policy refused is a denial; any other failure
        // is the connect's own outcome.
        let mut event = match outcome.refused_by {
            Some(rule) => Event::new(EventKind::Denied, Some(process))
                .with("operation", "connect")
                .with("by", "guard")
                .with("rule", rule),
            None => Event::new(EventKind::Connect, Some(process)).with("allowed", true),
        };
        event = event.with("syscall", "connect");
        if let Some((field, target)) = outcome.target {
            event = event.with(field, target);
        }
        if let Response::Fail(errno) = outcome.response {
            event = event.with("errno", record::errno_name(errno));
        }
        supervision.events.send(event);
        drop(recording);
    });
    if handled.is_err() {
        // No thread to be had: refuse rather than leave the call hanging.
        let _ = listener.respond(call.id, Response::Fail(libc::EAGAIN));
    }
}
