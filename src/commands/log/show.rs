//! `guard log show`: a session as a timeline.

use super::{denial_subject, destination, glob, recorded_program, strings, text};
use crate::audit::{self, SessionSummary};
use crate::commands::CommandError;
use crate::exit::ExitCode;
use serde_json::{Map, Value};
use std::io::Write;

/// Which records to show.
#[derive(Debug, Default)]
pub struct Filter {
    /// Only these kinds (all when empty).
    pub kinds: Vec<String>,
    /// Only records whose path (or `to`) matches.
    pub path: Option<String>,
    /// Only this process.
    pub pid: Option<u64>,
}

impl Filter {
    fn keeps(&self, record: &Map<String, Value>) -> bool {
        let kind = text(record, "kind");
        (self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind))
            && self.path.as_ref().is_none_or(|pattern| {
                ["path", "to"]
                    .iter()
                    .any(|key| glob::matches(pattern, text(record, key)))
            })
            && self
                .pid
                .is_none_or(|pid| record.get("pid").and_then(Value::as_u64) == Some(pid))
    }
}

/// Prints the records of `session` that `filter` keeps.
pub fn show(
    session: &SessionSummary,
    filter: &Filter,
    json: bool,
    out: &mut impl Write,
) -> Result<ExitCode, CommandError> {
    for record in audit::load_records(&session.path)?
        .iter()
        .filter(|r| filter.keeps(r))
    {
        if json {
            writeln!(out, "{}", Value::Object(record.clone()))?;
        } else {
            writeln!(out, "{}", line(record))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One record as one line: time, pid, kind, then what it is about.
fn line(record: &Map<String, Value>) -> String {
    let time = text(record, "time").get(11..23).unwrap_or("");
    let pid = record
        .get("pid")
        .and_then(Value::as_u64)
        .map(|p| p.to_string())
        .unwrap_or_default();
    let kind = text(record, "kind");
    let detail = match kind {
        "session_start" => format!(
            "profile {} · policy {} · {}",
            text(record, "profile"),
            text(record, "policy_digest").get(..12).unwrap_or(""),
            strings(record.get("command"))
        ),
        "session_end" => match record.get("exit_code") {
            Some(code) => format!(
                "exit {code} after {} ms",
                record.get("duration_ms").cloned().unwrap_or_default()
            ),
            None => format!("error: {}", text(record, "error")),
        },
        "scan" => match (record.get("error"), record.get("skipped")) {
            (Some(_), _) => format!("error: {}", text(record, "error")),
            (_, Some(_)) => format!("skipped: {}", text(record, "skipped")),
            _ => format!(
                "{} files ({} read) · {} at or above {} · {}",
                record.get("files").cloned().unwrap_or_default(),
                record.get("files_read").cloned().unwrap_or_default(),
                record
                    .get("findings")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len),
                text(record, "fail_on"),
                if record.get("blocked") == Some(&Value::Bool(true)) {
                    "blocked"
                } else {
                    text(record, "mode")
                }
            ),
        },
        "tool_call" => format!(
            "{} {} {}: {} (reported by the session)",
            text(record, "hook"),
            text(record, "tool"),
            text(record, "decision"),
            match (text(record, "path"), text(record, "program")) {
                ("", program) => program,
                (path, _) => path,
            }
        ),
        "exec" if record.get("unreadable").is_some() => {
            "(its arguments could not be read)".to_string()
        }
        "exec" => match text(record, "errno") {
            "" => format!(
                "{}  [{}]",
                text(record, "path"),
                strings(record.get("argv"))
            ),
            errno => format!(
                "{}  [{}]  (failed: {errno})",
                text(record, "path"),
                strings(record.get("argv"))
            ),
        },
        "exec_mismatch" => format!(
            "{}  [{}]  {}",
            text(record, "path"),
            strings(record.get("argv")),
            match text(record, "differs") {
                "unrecorded" => "ran (its exec's arguments could not be read)".to_string(),
                differs => format!(
                    "not as recorded: {} ({})",
                    match differs {
                        "program" => "another program",
                        "arguments" => "other arguments",
                        _ => "what runs could not be read",
                    },
                    recorded_program(record)
                ),
            }
        ),
        "denied" => {
            let mut line = denial_subject(record);
            match text(record, "needs") {
                "" => {}
                needs => line.push_str(&format!(" (needs {needs})")),
            }
            match text(record, "rule") {
                "" => {}
                rule => line.push_str(&format!(": {rule}")),
            }
            line
        }
        "rename" => format!("{} -> {}", text(record, "path"), text(record, "to")),
        "credential_minted" | "credential_revoked" | "credential_revoke_failed" => format!(
            "{} ({}) lease {} expires {}{}",
            text(record, "credential"),
            text(record, "provider"),
            text(record, "lease"),
            text(record, "expires_at"),
            match text(record, "error") {
                "" => String::new(),
                error => format!(": {error}"),
            }
        ),
        "link" => format!("{} -> {}", text(record, "path"), text(record, "target")),
        "connect" => {
            let verdict = if record.get("allowed") == Some(&Value::Bool(true)) {
                "allowed"
            } else {
                "refused"
            };
            match record.get("host") {
                Some(_) => format!(
                    "{} {}:{} ({verdict}: {}; {} bytes sent, {} received)",
                    text(record, "method"),
                    text(record, "host"),
                    record.get("port").cloned().unwrap_or_default(),
                    text(record, "rule"),
                    record.get("bytes_sent").cloned().unwrap_or_default(),
                    record.get("bytes_received").cloned().unwrap_or_default()
                ),
                None => match text(record, "errno") {
                    "" => format!("{} ({verdict})", destination(record)),
                    errno => format!("{} ({verdict}: {errno})", destination(record)),
                },
            }
        }
        _ => {
            let detail = match record.get("mode") {
                Some(mode) => format!("{}  ({})", text(record, "path"), strings(Some(mode))),
                None => text(record, "path").to_string(),
            };
            // The name asked for, when the file opened is named otherwise.
            let detail = match text(record, "asked") {
                "" => detail,
                asked => format!("{detail}  asked: {asked}"),
            };
            // A call that failed says so (`ENOENT`): nothing was opened.
            match text(record, "errno") {
                "" => detail,
                errno => format!("{detail}  failed: {errno}"),
            }
        }
    };
    crate::text::for_terminal(&format!("{time}  {pid:>7}  {kind:<13} {detail}"))
}
