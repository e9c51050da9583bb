//! Writing a session's log: synchronously before the session starts and after
//! it ends, and from a writer thread while it runs.

use super::AuditError;
use super::chain::{GENESIS, body_hash};
use super::event::Event;
use crate::clock;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// An open session log and the state of its chain.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: std::fs::File,
    session: String,
    next_seq: u64,
    prev: String,
    counts: BTreeMap<&'static str, u64>,
    /// Credential values (JSON-escaped) no record may contain.
    redactions: Vec<String>,
}

/// How many records may wait for the writer. A session that makes records
/// faster than they are written waits for room at its next trapped call
/// (the supervisor's send blocks, and with it the pipe from the anchor):
/// nothing is dropped, and the queue's memory stays bounded. Before the
/// writer thread starts only guard's own few set-up records are sent, far
/// fewer than this.
pub(super) const WRITER_QUEUE: usize = 4096;

/// What a writer thread receives.
pub(super) enum Message {
    Record(Box<Event>),
    /// Credential values no later record may contain.
    Redact(Vec<String>),
    Finish,
}

/// The log while the session runs: records queue on a channel from the
/// moment the handle exists, and a writer thread takes them once
/// [`AuditHandle::start`] has run. Cloned senders go to the supervisor's
/// threads.
#[derive(Debug)]
pub struct AuditHandle {
    sender: SyncSender<Message>,
    pause: super::batch::Pause,
    writer: Writer,
}

/// What does the writing.
enum Writer {
    /// No thread yet: guard is still single-threaded (the session is cloned
    /// from it, see [`crate::sys::fork_into`]). The slot is shared with the
    /// thread being started, which takes what is in it.
    Waiting(Arc<Mutex<Option<Waiting>>>),
    /// The writer thread.
    Running(std::thread::JoinHandle<(AuditLog, Option<AuditError>)>),
}

/// What the writer thread will take.
struct Waiting {
    log: AuditLog,
    receiver: Receiver<Message>,
    on_failure: Box<dyn FnOnce(&AuditError) + Send>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Writer::Waiting(_) => write!(f, "Waiting"),
            Writer::Running(_) => write!(f, "Running"),
        }
    }
}

/// Where producers send events while the session runs.
#[derive(Debug, Clone)]
pub struct EventSender(pub(super) SyncSender<Message>);

impl EventSender {
    /// Queues an event, waiting for room while the queue is full; dropped
    /// silently once the session has ended.
    pub fn send(&self, event: Event) {
        let _ = self.0.send(Message::Record(Box::new(event)));
    }

    /// Keeps these credential values out of every record sent after this
    /// call (see [`AuditLog::redact`]).
    pub fn redact(&self, values: Vec<String>) {
        let _ = self.0.send(Message::Redact(values));
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Record(event) => write!(f, "Record({:?})", event.kind),
            Message::Redact(values) => write!(f, "Redact({} values)", values.len()),
            Message::Finish => write!(f, "Finish"),
        }
    }
}

impl AuditLog {
    /// Creates `DIR/SESSION.jsonl` (the directory mode 0700, the file 0600,
    /// never an existing file).
    pub fn create(dir: &Path, session: &str) -> Result<AuditLog, AuditError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| AuditError::Create {
                path: dir.to_path_buf(),
                source,
            })?;
        let path = dir.join(format!("{session}.jsonl"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)
            .map_err(|source| AuditError::Create {
                path: path.clone(),
                source,
            })?;
        Ok(AuditLog {
            path,
            file,
            session: session.to_string(),
            next_seq: 0,
            prev: GENESIS.to_string(),
            counts: BTreeMap::new(),
            redactions: Vec::new(),
        })
    }

    /// Reopens the log of a session whose guard is gone, to add records
    /// after its last one. Only an intact log without an end record can be
    /// resumed: `None` for a sealed log (it takes no more records), a broken
    /// one (it is evidence) or a missing one.
    pub fn resume(dir: &Path, session: &str) -> Result<Option<AuditLog>, AuditError> {
        let path = dir.join(format!("{session}.jsonl"));
        if !path.is_file() {
            return Ok(None);
        }
        if !matches!(super::read::verify(&path)?, super::Verdict::Unsealed { records } if records > 0)
        {
            return Ok(None);
        }
        let records = super::read::load_records(&path)?;
        let last = records.last();
        let (Some(seq), Some(hash)) = (
            last.and_then(|r| r.get("seq")?.as_u64()),
            last.and_then(|r| r.get("hash")?.as_str()),
        ) else {
            return Ok(None);
        };
        let file = std::fs::OpenOptions::new()
            .append(true)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|source| AuditError::Write {
                path: path.clone(),
                source,
            })?;
        Ok(Some(AuditLog {
            path,
            file,
            session: session.to_string(),
            next_seq: seq + 1,
            prev: hash.to_string(),
            counts: BTreeMap::new(),
            redactions: Vec::new(),
        }))
    }

    /// Keeps these credential values out of every later record: wherever
    /// one would appear (as JSON writes it), `[redacted credential]` does.
    pub fn redact<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) {
        for value in values {
            let quoted = serde_json::to_string(value).expect("strings serialise");
            let escaped = quoted[1..quoted.len() - 1].to_string();
            // Values under six characters would redact ordinary text.
            if escaped.len() >= 6 && !self.redactions.contains(&escaped) {
                self.redactions.push(escaped);
            }
        }
        // Longest first, so that a value containing another goes whole.
        self.redactions
            .sort_by_key(|value| std::cmp::Reverse(value.len()));
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many records of each kind were written so far.
    pub fn counts(&self) -> &BTreeMap<&'static str, u64> {
        &self.counts
    }

    /// Writes one record now.
    pub fn append(&mut self, event: Event) -> Result<(), AuditError> {
        let line = self.chain(event);
        self.write_all(line.as_bytes())
    }

    /// Writes the last record now, with a signature `sign` makes over it
    /// ([`super::seal`]).
    pub fn append_signed(
        &mut self,
        event: Event,
        sign: &dyn Fn(&Value) -> String,
    ) -> Result<(), AuditError> {
        let line = self.chain_with(event, Some(sign));
        self.write_all(line.as_bytes())
    }

    /// Numbers, times and chains an event; returns its line.
    fn chain(&mut self, event: Event) -> String {
        self.chain_with(event, None)
    }

    /// [`AuditLog::chain`], with a signature over the record when `sign` is
    /// given.
    fn chain_with(&mut self, event: Event, sign: Option<&dyn Fn(&Value) -> String>) -> String {
        let mut record = Map::new();
        record.insert("seq".into(), Value::from(self.next_seq));
        record.insert("time".into(), Value::from(clock::rfc3339(clock::now())));
        record.insert("session".into(), Value::from(self.session.clone()));
        record.insert("kind".into(), Value::from(event.kind.name()));
        if let Some(process) = &event.process {
            record.insert("pid".into(), Value::from(process.pid));
            record.insert("tid".into(), Value::from(process.tid));
            record.insert("ppid".into(), Value::from(process.ppid));
            record.insert("exe".into(), Value::from(process.exe.clone()));
        }
        for (name, value) in event.fields {
            record.entry(name).or_insert(value);
        }
        record.insert("prev".into(), Value::from(self.prev.clone()));
        // One serialisation: the hash covers the record as written, without
        // its `hash` field, which is then added as the last field.
        let mut body =
            serde_json::to_string(&Value::Object(record)).expect("JSON values always serialise");
        // What the session writes into a record (an argv, a report) may hold
        // a credential's value: it never reaches the file.
        for value in &self.redactions {
            if body.contains(value.as_str()) {
                body = body.replace(value.as_str(), "[redacted credential]");
            }
        }
        if let Some(sign) = sign {
            // Signed as written (redacted), then written with the signature.
            let Ok(Value::Object(mut written)) = serde_json::from_str::<Value>(&body) else {
                unreachable!("a record just serialised parses");
            };
            let signature = sign(&super::seal::payload(&written));
            written.insert(super::seal::FIELD.into(), Value::from(signature));
            body = serde_json::to_string(&Value::Object(written))
                .expect("JSON values always serialise");
        }
        let hash = body_hash(&body);
        let mut line = body;
        line.pop();
        line.push_str(",\"hash\":\"");
        line.push_str(&hash);
        line.push_str("\"}\n");
        self.prev = hash;
        self.next_seq += 1;
        *self.counts.entry(event.kind.name()).or_default() += 1;
        line
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<(), AuditError> {
        self.file
            .write_all(bytes)
            .map_err(|source| AuditError::Write {
                path: self.path.clone(),
                source,
            })
    }

    /// Hands the log to an [`AuditHandle`]: records queue from now on, and
    /// are written once [`AuditHandle::start`] runs the writer thread (or,
    /// if it never does, when the handle is finished). `on_failure` runs
    /// (once) if a write fails while the session runs; it should stop the
    /// session.
    pub fn into_handle(self, on_failure: impl FnOnce(&AuditError) + Send + 'static) -> AuditHandle {
        let (sender, receiver) = mpsc::sync_channel(WRITER_QUEUE);
        AuditHandle {
            sender,
            pause: super::batch::Pause::default(),
            writer: Writer::Waiting(Arc::new(Mutex::new(Some(Waiting {
                log: self,
                receiver,
                on_failure: Box::new(on_failure),
            })))),
        }
    }
}

/// Writes what arrives, in batches ([`super::batch`]: a record waits at
/// most the window, so a killed guard loses at most that much, and a busy
/// session's records go out in large writes). Returns the log and the
/// write error that stopped it, if any.
fn write_loop(
    mut log: AuditLog,
    receiver: Receiver<Message>,
    pause: &super::batch::Pause,
    on_failure: impl FnOnce(&AuditError),
) -> (AuditLog, Option<AuditError>) {
    let mut on_failure = Some(on_failure);
    let mut failed: Option<AuditError> = None;
    let mut events = Vec::new();
    let mut lines = String::new();
    loop {
        let next = super::batch::receive(&receiver, pause, &mut events);
        for message in events.drain(..) {
            match message {
                Message::Record(event) if failed.is_none() => lines.push_str(&log.chain(*event)),
                Message::Redact(values) => log.redact(values.iter().map(String::as_str)),
                _ => {}
            }
        }
        if failed.is_none()
            && !lines.is_empty()
            && let Err(error) = log.write_all(lines.as_bytes())
        {
            if let Some(stop_session) = on_failure.take() {
                stop_session(&error);
            }
            failed = Some(error);
        }
        lines.clear();
        if next == super::batch::Next::Last {
            return (log, failed);
        }
    }
}

impl AuditHandle {
    /// A sender for producers.
    pub fn sender(&self) -> EventSender {
        EventSender(self.sender.clone())
    }

    /// Starts the writer thread (once; later calls do nothing). Call it only
    /// once the session's processes are cloned: guard clones them while it
    /// is single-threaded. If no thread can be started, the records go on
    /// queueing and [`AuditHandle::finish`] writes them.
    pub fn start(&mut self) -> std::io::Result<()> {
        let Writer::Waiting(slot) = &self.writer else {
            return Ok(());
        };
        let handed = Arc::clone(slot);
        let pause = self.pause.clone();
        // If the thread never starts, the closure is dropped unrun and the
        // slot keeps the log.
        let thread = std::thread::Builder::new()
            .name("guard-audit".to_string())
            .spawn(move || {
                let Waiting {
                    log,
                    receiver,
                    on_failure,
                } = take(&handed);
                write_loop(log, receiver, &pause, on_failure)
            })?;
        self.writer = Writer::Running(thread);
        Ok(())
    }

    /// Writes what is queued and returns the log for the final records, with
    /// the error that stopped the writer, if one did.
    pub fn finish(self) -> (AuditLog, Option<AuditError>) {
        let _ = self.sender.send(Message::Finish);
        self.pause.finishing();
        match self.writer {
            // Never started: the queue is written here, now.
            Writer::Waiting(slot) => {
                let Waiting {
                    log,
                    receiver,
                    on_failure,
                } = take(&slot);
                write_loop(log, receiver, &self.pause, on_failure)
            }
            Writer::Running(thread) => match thread.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            },
        }
    }
}

/// What a waiting writer's slot holds: taken once, by the thread or by
/// `finish`, never both (`start` replaces the slot once a thread has it).
fn take(slot: &Mutex<Option<Waiting>>) -> Waiting {
    slot.lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .expect("a waiting writer's log is taken once")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{EventKind, Verdict, verify};

    #[test]
    fn a_written_log_verifies_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::create(dir.path(), "s1").unwrap();
        log.append(Event::new(EventKind::SessionStart, None))
            .unwrap();
        let mut handle = log.into_handle(|_| panic!("no failure expected"));
        handle.start().unwrap();
        let sender = handle.sender();
        for n in 0..100 {
            sender.send(Event::new(EventKind::Open, None).with("path", format!("/f{n}")));
        }
        let (mut log, error) = handle.finish();
        assert!(error.is_none());
        log.append(Event::new(EventKind::SessionEnd, None)).unwrap();
        assert_eq!(log.counts()["open"], 100);
        assert_eq!(
            verify(log.path()).unwrap(),
            Verdict::Sealed { records: 102 }
        );
    }

    #[test]
    fn a_full_queue_makes_the_sender_wait_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::create(dir.path(), "s1").unwrap();
        let mut handle = log.into_handle(|_| panic!("no failure expected"));
        let sender = handle.sender();
        let total = WRITER_QUEUE + 10;
        let producer = std::thread::spawn(move || {
            for n in 0..total {
                sender.send(Event::new(EventKind::Open, None).with("path", format!("/f{n}")));
            }
        });
        // No writer yet: the queue fills and the producer waits for room.
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(
            !producer.is_finished(),
            "the producer went on past a full queue"
        );
        handle.start().unwrap();
        producer.join().unwrap();
        let (log, error) = handle.finish();
        assert!(error.is_none());
        assert_eq!(log.counts()["open"], total as u64);
    }

    #[test]
    fn values_redacted_while_the_session_runs_stay_out_of_later_records() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::create(dir.path(), "s1").unwrap();
        let mut handle = log.into_handle(|_| panic!("no failure expected"));
        handle.start().unwrap();
        let sender = handle.sender();
        sender.redact(vec!["minted-on-demand-77".to_string()]);
        sender.send(
            Event::new(EventKind::Exec, None)
                .with("argv", vec!["env", "true", "minted-on-demand-77"]),
        );
        let (log, error) = handle.finish();
        assert!(error.is_none());
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert!(!text.contains("minted-on-demand-77"), "{text}");
        assert!(text.contains("[redacted credential]"), "{text}");
    }

    #[test]
    fn an_existing_log_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        AuditLog::create(dir.path(), "s1").unwrap();
        assert!(AuditLog::create(dir.path(), "s1").is_err());
    }
}
