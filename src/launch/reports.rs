//! Tool-call reports that hook adapters inside the session leave in its
//! reports directory, added to the audit log as they arrive (a watcher
//! thread next to the supervisor), or when the session ends for a session
//! nobody supervises (nested in another).
//!
//! The session can write that directory, so a report is the session's word,
//! not guard's observation: records carry `"reported_by": "session"`, keep
//! only known fields, and are bounded in number and size. The file is opened
//! without following links, and only a regular file with one link is read.

use crate::audit::{Event, EventKind, EventSender};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The file adapters append to, one JSON object per line.
pub const TOOL_CALLS_FILE: &str = "tool-calls.jsonl";
/// At most this much of the file is read.
const MAX_BYTES: u64 = 4 * 1024 * 1024;
/// At most this many records are added.
const MAX_RECORDS: usize = 2000;
/// A line longer than this is not a report.
const MAX_LINE: usize = 256 * 1024;
/// How often the watcher looks for new reports.
const POLL: std::time::Duration = std::time::Duration::from_millis(200);
/// The fields a report may carry.
const FIELDS: [&str; 19] = [
    "hook",
    "tool",
    "decision",
    "reason",
    "path",
    "program",
    "findings",
    "prompt",
    "prompt_sha256",
    "prompt_bytes",
    "input_sha256",
    "result_sha256",
    "result_bytes",
    "client_session",
    "source",
    "model",
    "agent_id",
    "agent_type",
    "tool_use_id",
];

/// The hooks whose reports are the client's lifecycle.
const LIFECYCLE_HOOKS: [&str; 4] = [
    "session-start",
    "session-end",
    "subagent-start",
    "subagent-stop",
];

/// The hook whose reports are prompts, not tool calls.
pub const PROMPT_HOOK: &str = "user-prompt-submit";

/// Reads the reports file as it grows, line by line, within the bounds.
struct ReportReader {
    dir: PathBuf,
    file: Option<std::fs::File>,
    pending: Vec<u8>,
    read: u64,
    records: usize,
}

impl ReportReader {
    fn new(dir: &Path) -> ReportReader {
        ReportReader {
            dir: dir.to_path_buf(),
            file: None,
            pending: Vec::new(),
            read: 0,
            records: 0,
        }
    }

    /// The reports that arrived since the last call.
    fn new_reports(&mut self) -> Vec<Event> {
        if self.file.is_none() {
            self.file = open_reports(&self.dir);
        }
        let Some(file) = self.file.as_mut() else {
            return Vec::new();
        };
        let mut chunk = Vec::new();
        let left = MAX_BYTES.saturating_sub(self.read);
        if let Ok(n) = file.by_ref().take(left).read_to_end(&mut chunk) {
            self.read += n as u64;
        }
        self.pending.extend_from_slice(&chunk);
        let mut events = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            if self.records < MAX_RECORDS {
                events.push(event_of(&String::from_utf8_lossy(&line[..end])));
                self.records += 1;
            }
        }
        if self.pending.len() > MAX_LINE {
            self.pending.clear();
            if self.records < MAX_RECORDS {
                events.push(Event::new(EventKind::ToolCall, None).with("malformed", true));
                self.records += 1;
            }
        }
        events
    }
}

/// Adds the reports in `dir` to the log (a session without a watcher);
/// returns how many were added.
pub fn record(dir: &Path, log: &EventSender) -> usize {
    let events = ReportReader::new(dir).new_reports();
    let added = events.len();
    for event in events {
        log.send(event);
    }
    added
}

/// A thread sending reports to the audit writer as they arrive.
pub struct Watcher {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Watcher {
    /// Watches `dir`, sending each report through `events`.
    pub fn start(dir: &Path, events: EventSender) -> std::io::Result<Watcher> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let mut reader = ReportReader::new(dir);
        let thread = std::thread::Builder::new()
            .name("guard-reports".to_string())
            .spawn(move || {
                loop {
                    let last = stopping.load(Ordering::Acquire);
                    for event in reader.new_reports() {
                        events.send(event);
                    }
                    if last {
                        return;
                    }
                    std::thread::park_timeout(POLL);
                }
            })?;
        Ok(Watcher { stop, thread })
    }

    /// Sends what is left (the session has ended) and stops.
    pub fn finish(self) {
        self.stop.store(true, Ordering::Release);
        self.thread.thread().unpark();
        let _ = self.thread.join();
    }
}

/// The reports file, if it is a regular file with one link.
fn open_reports(dir: &Path) -> Option<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(dir.join(TOOL_CALLS_FILE))
        .ok()?;
    let metadata = file.metadata().ok()?;
    (metadata.is_file() && metadata.nlink() == 1).then_some(file)
}

/// One report line as a record.
pub(crate) fn event_of(line: &str) -> Event {
    let mut event = Event::new(EventKind::ToolCall, None).with("reported_by", "session");
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
        Ok(report) => {
            let hook = report.get("hook").and_then(|hook| hook.as_str());
            if hook == Some(PROMPT_HOOK) {
                event = Event::new(EventKind::Prompt, None).with("reported_by", "session");
            }
            if hook.is_some_and(|hook| LIFECYCLE_HOOKS.contains(&hook)) {
                event = Event::new(EventKind::Agent, None).with("reported_by", "session");
            }
            for (name, value) in report {
                if FIELDS.contains(&name.as_str()) && !value.is_null() {
                    event = event.with(&name, value);
                }
            }
            event
        }
        Err(_) => event.with("malformed", true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_read_as_they_grow_and_links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let mut reader = ReportReader::new(dir.path());
        assert!(reader.new_reports().is_empty(), "no file yet");
        let path = dir.path().join(TOOL_CALLS_FILE);
        std::fs::write(
            &path,
            "{\"tool\": \"Read\", \"secret_field\": 1}\n{\"tool\": \"Ba",
        )
        .unwrap();
        let first = reader.new_reports();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].fields["tool"], "Read");
        assert!(!first[0].fields.contains_key("secret_field"));
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, b"sh\"}\nnot json\n").unwrap();
        let second = reader.new_reports();
        assert_eq!(second.len(), 2);
        assert_eq!(second[0].fields["tool"], "Bash");
        assert_eq!(second[1].fields["malformed"], true);

        // A prompt report is a prompt record.
        std::io::Write::write_all(
            &mut file,
            b"{\"hook\": \"user-prompt-submit\", \"prompt\": null, \"prompt_sha256\": \"ab\", \"prompt_bytes\": 3}\n",
        )
        .unwrap();
        let third = reader.new_reports();
        assert_eq!(third[0].kind, EventKind::Prompt);
        assert_eq!(third[0].fields["prompt_bytes"], 3);

        let linked = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&path, linked.path().join(TOOL_CALLS_FILE)).unwrap();
        assert!(ReportReader::new(linked.path()).new_reports().is_empty());
    }
}
