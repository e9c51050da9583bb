//! Tool-call reports that hook adapters inside the session leave in its
//! reports directory, added to the audit log when the session ends.
//!
//! The session can write that directory, so a report is the session's word,
//! not guard's observation: records carry `"reported_by": "session"`, keep
//! only known fields, and are bounded in number and size. The file is opened
//! without following links, and only a regular file with one link is read.

use crate::audit::{AuditError, AuditLog, Event, EventKind};
use std::io::{BufRead, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// The file adapters append to, one JSON object per line.
pub const TOOL_CALLS_FILE: &str = "tool-calls.jsonl";
/// At most this much of the file is read.
const MAX_BYTES: u64 = 4 * 1024 * 1024;
/// At most this many records are added.
const MAX_RECORDS: usize = 2000;
/// The fields a report may carry.
const FIELDS: [&str; 7] = [
    "hook", "tool", "decision", "reason", "path", "program", "findings",
];

/// Adds the reports in `dir` to `log`; returns how many were added.
pub fn record(dir: &Path, log: &mut AuditLog) -> Result<usize, AuditError> {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(dir.join(TOOL_CALLS_FILE));
    let Ok(file) = opened else {
        return Ok(0);
    };
    match file.metadata() {
        Ok(metadata) if metadata.is_file() && metadata.nlink() == 1 => {}
        _ => return Ok(0),
    }
    let mut added = 0;
    for line in std::io::BufReader::new(file.take(MAX_BYTES))
        .lines()
        .map_while(Result::ok)
        .take(MAX_RECORDS)
    {
        log.append(event_of(&line))?;
        added += 1;
    }
    Ok(added)
}

/// One report line as a record.
fn event_of(line: &str) -> Event {
    let mut event = Event::new(EventKind::ToolCall, None).with("reported_by", "session");
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
        Ok(report) => {
            for (name, value) in report {
                if FIELDS.contains(&name.as_str()) {
                    event = event.with(&name, value);
                }
            }
            event
        }
        Err(_) => event.with("malformed", true),
    }
}
