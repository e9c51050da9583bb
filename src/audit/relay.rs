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
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};

/// How long a record may wait in the anchor before it is sent.
const FLUSH_AFTER: std::time::Duration = std::time::Duration::from_millis(2);
/// How much is sent at once at most.
const FLUSH_BYTES: usize = 64 * 1024;
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
    sender: mpsc::Sender<Message>,
    thread: std::thread::JoinHandle<std::io::Result<std::fs::File>>,
}

impl Outbound {
    /// Starts sending records to `pipe`.
    pub fn start(pipe: std::fs::File) -> std::io::Result<Outbound> {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("guard-relay".to_string())
            .spawn(move || send_loop(pipe, &receiver))?;
        Ok(Outbound { sender, thread })
    }

    /// Where the supervisor sends its records.
    pub fn sender(&self) -> EventSender {
        EventSender(self.sender.clone())
    }

    /// Sends what is queued, then the end line.
    pub fn finish(self, end: SessionEnd) -> std::io::Result<()> {
        let _ = self.sender.send(Message::Finish);
        let mut pipe = match self.thread.join() {
            Ok(pipe) => pipe?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let mut line = serde_json::to_vec(&Line::End(end)).map_err(std::io::Error::other)?;
        line.push(b'\n');
        pipe.write_all(&line)
    }
}

/// Batches records into lines: a record waits at most [`FLUSH_AFTER`].
fn send_loop(
    mut pipe: std::fs::File,
    receiver: &Receiver<Message>,
) -> std::io::Result<std::fs::File> {
    let mut batch = Vec::new();
    let mut oldest: Option<std::time::Instant> = None;
    loop {
        let message = match oldest {
            None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(since) => receiver.recv_timeout(FLUSH_AFTER.saturating_sub(since.elapsed())),
        };
        let finish = match message {
            Ok(Message::Record(event)) => {
                serde_json::to_writer(&mut batch, &Line::Record(*event))
                    .map_err(std::io::Error::other)?;
                batch.push(b'\n');
                oldest.get_or_insert_with(std::time::Instant::now);
                false
            }
            Ok(Message::Finish) | Err(RecvTimeoutError::Disconnected) => true,
            Err(RecvTimeoutError::Timeout) => false,
        };
        let due = oldest.is_some_and(|since| since.elapsed() >= FLUSH_AFTER);
        if (finish || due || batch.len() >= FLUSH_BYTES) && !batch.is_empty() {
            pipe.write_all(&batch)?;
            batch.clear();
            oldest = None;
        }
        if finish {
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
    /// Starts reading `pipe` into `log`.
    pub fn start(pipe: std::fs::File, log: EventSender) -> std::io::Result<Inbound> {
        let thread = std::thread::Builder::new()
            .name("guard-inbound".to_string())
            .spawn(move || receive_loop(pipe, &log))?;
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

fn receive_loop(pipe: std::fs::File, log: &EventSender) -> std::io::Result<Option<SessionEnd>> {
    let mut reader = std::io::BufReader::with_capacity(FLUSH_BYTES, pipe);
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
            Ok(Line::Record(event)) => log.send(event),
            Ok(Line::End(reported)) => end = Some(reported),
            Err(error) => {
                return Err(std::io::Error::other(format!(
                    "the session's supervisor sent a malformed record: {error}"
                )));
            }
        }
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
        let writer = log
            .start_writer(|_| panic!("no failure expected"))
            .map_err(|failed| failed.1)
            .unwrap();
        let (read, write) = std::io::pipe().unwrap();
        let inbound = Inbound::start(file(read), writer.sender()).unwrap();
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
        let writer = log.start_writer(|_| {}).map_err(|failed| failed.1).unwrap();
        let (read, mut write) = std::io::pipe().unwrap();
        let inbound = Inbound::start(file(read), writer.sender()).unwrap();
        write.write_all(b"{\"Record\":42}\n").unwrap();
        drop(write);
        assert!(inbound.join().is_err());
    }
}
