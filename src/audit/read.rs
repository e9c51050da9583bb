//! Reading logs back: listing sessions, loading records, verifying chains.

use super::AuditError;
use super::chain::{GENESIS, record_hash};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// What `verify` concluded about one log.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Every record is intact and the end record seals the chain.
    Sealed {
        /// How many records.
        records: u64,
    },
    /// Every record present is intact but there is no end record: guard was
    /// killed, or records were cut off the end.
    Unsealed {
        /// How many records.
        records: u64,
    },
    /// The chain is broken at `line`.
    Broken {
        /// 1-based line number.
        line: usize,
        /// What is wrong there.
        reason: String,
    },
}

/// One session, as `guard log list` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    /// Session id.
    pub id: String,
    /// The log file.
    pub path: PathBuf,
    /// The start record.
    pub start: Map<String, Value>,
    /// The end record, if the session ended cleanly.
    pub end: Option<Map<String, Value>>,
}

fn read_error(path: &Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
    move |source| AuditError::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// Every record of a log that parses (a torn last line is skipped).
pub fn load_records(path: &Path) -> Result<Vec<Map<String, Value>>, AuditError> {
    let text = std::fs::read_to_string(path).map_err(read_error(path))?;
    Ok(text
        .lines()
        .filter_map(|line| match serde_json::from_str(line) {
            Ok(Value::Object(record)) => Some(record),
            _ => None,
        })
        .collect())
}

/// Checks a log's chain.
/// One record, as read.
pub type Record = Map<String, Value>;

/// The first and the last record of a log (`None` for an empty one or one
/// whose ends are not JSON objects): the start, and the end that may carry
/// the seal's signature.
pub fn first_and_last_records(path: &Path) -> Result<Option<(Record, Record)>, AuditError> {
    let text = std::fs::read_to_string(path).map_err(read_error(path))?;
    let parse = |line: Option<&str>| match serde_json::from_str::<Value>(line?) {
        Ok(Value::Object(record)) => Some(record),
        _ => None,
    };
    Ok(parse(text.lines().next()).zip(parse(text.lines().last())))
}

/// Checks a log's chain (not its signature: see [`super::seal`]).
pub fn verify(path: &Path) -> Result<Verdict, AuditError> {
    let text = std::fs::read_to_string(path).map_err(read_error(path))?;
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 0u64;
    let mut sealed = false;
    let broken = |line: usize, reason: String| Ok(Verdict::Broken { line, reason });
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if sealed {
            return broken(
                number,
                "a record after the end record (appended after the session ended)".into(),
            );
        }
        let Ok(Value::Object(record)) = serde_json::from_str::<Value>(line) else {
            return broken(
                number,
                "not a JSON record (edited, or cut off mid-line)".into(),
            );
        };
        let stored_hash = record
            .get("hash")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if record_hash(&record) != stored_hash {
            return broken(
                number,
                "record edited: its hash does not match its content".into(),
            );
        }
        let seq = record
            .get("seq")
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX);
        let record_prev = record
            .get("prev")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if record_prev != prev || seq != expected_seq {
            let reason = if seq > expected_seq && seq != u64::MAX {
                format!("records {expected_seq}–{} are missing (deleted)", seq - 1)
            } else if seq < expected_seq {
                format!(
                    "record {seq} is out of order or inserted (record {expected_seq} expected here)"
                )
            } else {
                "record does not follow the one before it (inserted or reordered)".to_string()
            };
            return broken(number, reason);
        }
        let kind = record
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if number == 1 && kind != "session_start" {
            return broken(
                number,
                "the first record is not the session start (records deleted)".into(),
            );
        }
        sealed = kind == "session_end";
        prev = stored_hash.to_string();
        expected_seq += 1;
    }
    if expected_seq == 0 {
        return broken(1, "the log is empty".into());
    }
    Ok(if sealed {
        Verdict::Sealed {
            records: expected_seq,
        }
    } else {
        Verdict::Unsealed {
            records: expected_seq,
        }
    })
}

/// Every session log in `dir`, oldest first.
pub fn list_sessions(dir: &Path) -> Result<Vec<SessionSummary>, AuditError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(read_error(dir)(error)),
    };
    let mut sessions = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|ext| ext != "jsonl") {
            continue;
        }
        let records = load_records(&path)?;
        let Some(start) = records.first().cloned() else {
            continue;
        };
        let end = records
            .last()
            .filter(|r| r.get("kind").and_then(Value::as_str) == Some("session_end"))
            .cloned();
        let id = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        sessions.push(SessionSummary {
            id,
            path,
            start,
            end,
        });
    }
    sessions.sort_by(|a, b| {
        let time = |s: &SessionSummary| {
            s.start
                .get("time")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        time(a).cmp(&time(b)).then_with(|| a.id.cmp(&b.id))
    });
    Ok(sessions)
}

/// The session `spec` names: `last`, or a unique prefix of an id.
pub fn resolve_session(dir: &Path, spec: &str) -> Result<SessionSummary, AuditError> {
    let sessions = list_sessions(dir)?;
    if spec == "last" {
        return sessions
            .into_iter()
            .last()
            .ok_or_else(|| AuditError::NoSession(spec.to_string()));
    }
    let mut matches: Vec<SessionSummary> = sessions
        .into_iter()
        .filter(|s| s.id.starts_with(spec))
        .collect();
    match matches.len() {
        0 => Err(AuditError::NoSession(spec.to_string())),
        1 => Ok(matches.remove(0)),
        _ => Err(AuditError::Ambiguous {
            prefix: spec.to_string(),
            matches: matches
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditLog, Event, EventKind};

    fn sample(dir: &Path) -> PathBuf {
        let mut log = AuditLog::create(dir, "s").unwrap();
        log.append(Event::new(EventKind::SessionStart, None))
            .unwrap();
        for n in 0..4 {
            log.append(Event::new(EventKind::Open, None).with("path", format!("/f{n}")))
                .unwrap();
        }
        log.append(Event::new(EventKind::SessionEnd, None)).unwrap();
        log.path().to_path_buf()
    }

    fn tamper(path: &Path, change: impl FnOnce(&mut Vec<String>)) -> Verdict {
        let mut lines: Vec<String> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        change(&mut lines);
        let copy = path.with_extension("tampered");
        std::fs::write(&copy, lines.join("\n") + "\n").unwrap();
        verify(&copy).unwrap()
    }

    fn broken_at(verdict: Verdict) -> (usize, String) {
        match verdict {
            Verdict::Broken { line, reason } => (line, reason),
            other => panic!("expected a broken chain, got {other:?}"),
        }
    }

    #[test]
    fn each_kind_of_tampering_is_found_where_it_happened() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        assert_eq!(verify(&path).unwrap(), Verdict::Sealed { records: 6 });

        let (line, reason) =
            broken_at(tamper(&path, |l| l[2] = l[2].replace("/f1", "/etc/shadow")));
        assert_eq!(line, 3);
        assert!(reason.contains("edited"), "{reason}");

        let (line, reason) = broken_at(tamper(&path, |l| {
            l.remove(2);
        }));
        assert_eq!(line, 3);
        assert!(reason.contains("missing"), "{reason}");

        let (line, reason) = broken_at(tamper(&path, |l| l.swap(2, 3)));
        assert_eq!(line, 3);
        assert!(
            reason.contains("missing") || reason.contains("order"),
            "{reason}"
        );

        let (line, reason) = broken_at(tamper(&path, |l| {
            let copy = l[1].clone();
            l.insert(3, copy);
        }));
        assert_eq!(line, 4);
        assert!(reason.contains("out of order or inserted"), "{reason}");

        assert_eq!(
            tamper(&path, |l| l.truncate(4)),
            Verdict::Unsealed { records: 4 }
        );
        let (line, _) = broken_at(tamper(&path, |l| {
            let half = l[3].len() / 2;
            l[3].truncate(half);
            l.truncate(4);
        }));
        assert_eq!(line, 4);
        let (line, reason) = broken_at(tamper(&path, |l| {
            l.remove(0);
        }));
        assert_eq!(line, 1);
        assert!(!reason.is_empty());
    }
}
