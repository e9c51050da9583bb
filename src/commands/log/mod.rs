//! `guard log`: list, show, summarise and verify session logs.

mod glob;
mod show;
mod summary;
mod tree;
mod verify;

pub use crate::text::for_terminal;

use super::CommandError;
use crate::audit;
use crate::cli::LogCommand;
use crate::exit::ExitCode;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

/// Where session logs live: `$XDG_STATE_HOME/guard/sessions`.
pub fn sessions_dir() -> PathBuf {
    crate::session::StateDir::from_process().sessions()
}

/// Runs a `guard log` subcommand.
pub fn run(command: LogCommand) -> Result<ExitCode, CommandError> {
    let dir = sessions_dir();
    let mut out = std::io::stdout().lock();
    match command {
        LogCommand::List => list(&dir, &mut out),
        LogCommand::Show {
            id,
            kinds,
            path,
            pid,
            json,
            tree,
        } => {
            let session = audit::resolve_session(&dir, &id)?;
            if tree {
                let tree = tree::tree(&audit::load_records(&session.path)?);
                if json {
                    writeln!(out, "{tree}")?;
                } else {
                    tree::print(&tree, &mut out)?;
                }
                return Ok(ExitCode::SUCCESS);
            }
            let filter = show::Filter { kinds, path, pid };
            show::show(&session, &filter, json, &mut out)
        }
        LogCommand::Summary { id } => {
            summary::summary(&audit::resolve_session(&dir, &id)?, &mut out)
        }
        LogCommand::Verify { id, all, jwks } => {
            let sessions = if all {
                audit::list_sessions(&dir)?
            } else {
                vec![audit::resolve_session(
                    &dir,
                    id.as_deref().unwrap_or("last"),
                )?]
            };
            let keys = verify::Keys::load(jwks.as_deref())?;
            verify::verify(&sessions, &keys, &mut out)
        }
        LogCommand::Path { id } => {
            writeln!(out, "{}", audit::resolve_session(&dir, &id)?.path.display())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn text<'a>(record: &'a serde_json::Map<String, Value>, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or("")
}

/// What a `denied` record refused: the operation and its path, a call of
/// the deny list, a signal and its target, a TCP bind, or a call whose
/// arguments could not be read.
fn denial_subject(record: &serde_json::Map<String, Value>) -> String {
    let (syscall, errno) = (text(record, "syscall"), text(record, "errno"));
    match (text(record, "operation"), text(record, "path")) {
        ("syscall", _) => format!("{syscall} ({errno})"),
        ("bind", _) => format!(
            "{syscall} of TCP port {} ({errno})",
            record.get("port").cloned().unwrap_or_default()
        ),
        ("signal", _) => format!(
            "{syscall} of pid {} (signal {}; {errno})",
            record.get("target").cloned().unwrap_or_default(),
            record.get("signal").cloned().unwrap_or_default()
        ),
        ("connect", _) => format!("connect to {} ({errno})", destination(record)),
        (_, "") => format!("{syscall} (its arguments could not be read; {errno})"),
        (operation, path) => format!("{operation} {path}"),
    }
}

/// Where a `connect` record of the supervisor went: a unix socket's path or
/// an IP address and port.
fn destination(record: &serde_json::Map<String, Value>) -> &str {
    match text(record, "path") {
        "" => text(record, "address"),
        path => path,
    }
}

/// The program an `exec_mismatch` record says the exec record named.
fn recorded_program(record: &serde_json::Map<String, Value>) -> &str {
    match text(record, "recorded") {
        "" => "nothing (its arguments could not be read)",
        recorded => recorded,
    }
}

/// A record's list of strings (an exec's `argv`, an open's `mode`), joined
/// by spaces.
fn strings(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn list(dir: &std::path::Path, out: &mut impl Write) -> Result<ExitCode, CommandError> {
    let sessions = audit::list_sessions(dir)?;
    if sessions.is_empty() {
        writeln!(out, "no sessions in {}", dir.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "{:<16}  {:<19}  {:<9}  {:>8}  {:>4}  {:<28}  command",
        "id", "start", "profile", "duration", "exit", "counts"
    )?;
    for session in &sessions {
        let start = text(&session.start, "time")
            .get(..19)
            .unwrap_or("")
            .replace('T', " ");
        let command = session
            .start
            .get("command")
            .and_then(Value::as_array)
            .map(|argv| {
                argv.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let (duration, exit, counts) = match &session.end {
            Some(end) => (
                format!(
                    "{:.1}s",
                    end.get("duration_ms").and_then(Value::as_u64).unwrap_or(0) as f64 / 1000.0
                ),
                end.get("exit_code")
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "err".into()),
                counts_text(end.get("counts")),
            ),
            None => ("-".into(), "-".into(), "(no end record)".into()),
        };
        let command: String = for_terminal(&command).chars().take(60).collect();
        writeln!(
            out,
            "{:<16}  {:<19}  {:<9}  {:>8}  {:>4}  {:<28}  {command}",
            session.id,
            start,
            text(&session.start, "profile"),
            duration,
            exit,
            counts
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `exec 3, write 2, denied 1` from a counts object (without start/end).
fn counts_text(counts: Option<&Value>) -> String {
    let Some(Value::Object(counts)) = counts else {
        return String::new();
    };
    counts
        .iter()
        .filter(|(kind, _)| !kind.starts_with("session_"))
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
