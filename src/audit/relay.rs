//! Records made inside the session cross to guard over a pipe.
//!
//! The supervisor runs in the session's anchor process (see
//! `crate::launch::anchor`), which cannot open guard's log: its records go
//! out one JSON line each ([`Outbound`]), and guard reads them back
//! ([`Inbound`]) into its own writer, which numbers, chains and writes them
//! with everything else guard records. The last line says how the session's
//! processes ended.

use super::event::Event;
use super::writer::{EventSender, Message};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// The reader's buffer.
const READ_BUFFER: usize = 64 * 1024;
/// How many records may wait for the pipe in the anchor (the supervisor
/// waits for room beyond that: see [`super::writer::WRITER_QUEUE`]).
const OUTBOUND_QUEUE: usize = 1024;
/// A longer line is not one the anchor wrote.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// One line on the pipe.
#[derive(Debug, Serialize, Deserialize)]
enum Line {
    /// A record.
    Record(Event),
    /// The last line: the session's processes are gone.
    End(SessionEnd),
}

/// What the anchor reports when the session's processes are gone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEnd {
    /// Processes still running when the command exited (then ended).
    pub leftover_processes: usize,
}

/// The anchor's end: a thread that sends what the supervisor records.
#[derive(Debug)]
pub struct Outbound {
    sender: SyncSender<Message>,
    pause: super::batch::Pause,
    thread: std::thread::JoinHandle<std::io::Result<std::fs::File>>,
}

impl Outbound {
    /// Starts sending records to `pipe`.
    pub fn start(pipe: std::fs::File) -> std::io::Result<Outbound> {
        let (sender, receiver) = mpsc::sync_channel(OUTBOUND_QUEUE);
        let pause = super::batch::Pause::default();
        let paused = pause.clone();
        let thread = std::thread::Builder::new()
            .name("guard-relay".to_string())
            .spawn(move || send_loop(pipe, &receiver, &paused))?;
        Ok(Outbound {
            sender,
            pause,
            thread,
        })
    }

    /// Where the supervisor sends its records.
    pub fn sender(&self) -> EventSender {
        EventSender(self.sender.clone())
    }

    /// Sends what is queued, then the end line.
    pub fn finish(self, end: SessionEnd) -> std::io::Result<()> {
        let _ = self.sender.send(Message::Finish);
        self.pause.finishing();
        let mut pipe = match self.thread.join() {
            Ok(pipe) => pipe?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let mut line = serde_json::to_vec(&Line::End(end)).map_err(std::io::Error::other)?;
        line.push(b'\n');
        pipe.write_all(&line)
    }
}

/// Sends records as lines, in batches ([`super::batch`]).
fn send_loop(
    mut pipe: std::fs::File,
    receiver: &Receiver<Message>,
    pause: &super::batch::Pause,
) -> std::io::Result<std::fs::File> {
    let mut events = Vec::new();
    let mut lines = Vec::new();
    loop {
        let next = super::batch::receive(receiver, pause, &mut events);
        for message in events.drain(..) {
            // Only records cross the pipe: values to redact stay in guard.
            if let Message::Record(event) = message {
                serde_json::to_writer(&mut lines, &Line::Record(*event))
                    .map_err(std::io::Error::other)?;
                lines.push(b'\n');
            }
        }
        if !lines.is_empty() {
            pipe.write_all(&lines)?;
            lines.clear();
        }
        if next == super::batch::Next::Last {
            return Ok(pipe);
        }
    }
}

/// guard's end: a thread that hands the anchor's records to guard's writer.
#[derive(Debug)]
pub struct Inbound {
    thread: std::thread::JoinHandle<Result<Option<SessionEnd>, std::io::Error>>,
}

impl Inbound {
    /// Starts reading `pipe` into `log`; `observe` sees each record after
    /// it is queued for the log.
    pub fn start(
        pipe: std::fs::File,
        log: EventSender,
        observe: Box<dyn Fn(&Event) + Send>,
    ) -> std::io::Result<Inbound> {
        let thread = std::thread::Builder::new()
            .name("guard-inbound".to_string())
            .spawn(move || receive_loop(pipe, &log, &*observe))?;
        Ok(Inbound { thread })
    }

    /// Waits until the anchor has closed its end (it exited) and returns its
    /// end line; `None` if it died before writing one.
    pub fn join(self) -> std::io::Result<Option<SessionEnd>> {
        match self.thread.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

fn receive_loop(
    pipe: std::fs::File,
    log: &EventSender,
    observe: &dyn Fn(&Event),
) -> std::io::Result<Option<SessionEnd>> {
    let mut reader = std::io::BufReader::with_capacity(READ_BUFFER, pipe);
    let mut line = Vec::new();
    let mut end = None;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(end);
        }
        if line.last() != Some(&b'\n') {
            return Err(std::io::Error::other(
                "the session's supervisor sent a truncated or oversized record",
            ));
        }
        match serde_json::from_slice::<Line>(&line) {
            Ok(Line::Record(event)) => {
                if event.kind == super::EventKind::JobStop {
                    stop_job(&event);
                }
                let kept = (event.kind == super::EventKind::Scan).then(|| event.clone());
                log.send(event);
                if let Some(event) = kept {
                    observe(&event);
                }
            }
            Ok(Line::End(reported)) => end = Some(reported),
            Err(error) => {
                return Err(std::io::Error::other(format!(
                    "the session's supervisor sent a malformed record: {error}"
                )));
            }
        }
    }
}

/// The command stopped itself: guard stops its process group (itself and
/// the session's processes; a pid namespace's init ignores it) with the
/// same signal, so the user's shell sees the job stop. Its `fg` continues
/// them all.
fn stop_job(event: &Event) {
    let signal = event
        .fields
        .get("signal")
        .and_then(|name| name.as_str()?.parse::<nix::sys::signal::Signal>().ok());
    use nix::sys::signal::Signal;
    // Only a stop: nothing else ever stops a child.
    if let Some(signal @ (Signal::SIGTSTP | Signal::SIGSTOP | Signal::SIGTTIN | Signal::SIGTTOU)) =
        signal
    {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(0), signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditLog, EventKind, Verdict, verify};

    fn file(end: impl Into<std::os::fd::OwnedFd>) -> std::fs::File {
        std::fs::File::from(end.into())
    }

    #[test]
    fn records_cross_the_pipe_in_order_with_the_end_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::create(dir.path(), "s1").unwrap();
        log.append(Event::new(EventKind::SessionStart, None))
            .unwrap();
        let mut writer = log.into_handle(|_| panic!("no failure expected"));
        writer.start().unwrap();
        let (read, write) = std::io::pipe().unwrap();
        let inbound = Inbound::start(file(read), writer.sender(), Box::new(|_| {})).unwrap();
        let outbound = Outbound::start(file(write)).unwrap();
        let sender = outbound.sender();
        for n in 0..500 {
            sender.send(Event::new(EventKind::Open, None).with("path", format!("/f{n}")));
        }
        drop(sender);
        outbound
            .finish(SessionEnd {
                leftover_processes: 3,
            })
            .unwrap();
        let end = inbound.join().unwrap();
        assert_eq!(end.map(|e| e.leftover_processes), Some(3));
        let (log, error) = writer.finish();
        assert!(error.is_none());
        assert_eq!(log.counts()["open"], 500);
        let records = crate::audit::load_records(log.path()).unwrap();
        assert_eq!(records[500]["path"], "/f499");
        assert_eq!(
            verify(log.path()).unwrap(),
            Verdict::Unsealed { records: 501 }
        );
    }

    #[test]
    fn a_malformed_line_is_an_error_not_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::create(dir.path(), "s1").unwrap();
        let writer = log.into_handle(|_| {});
        let (read, mut write) = std::io::pipe().unwrap();
        let inbound = Inbound::start(file(read), writer.sender(), Box::new(|_| {})).unwrap();
        write.write_all(b"{\"Record\":42}\n").unwrap();
        drop(write);
        assert!(inbound.join().is_err());
    }
}
