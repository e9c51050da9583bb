//! `guard log summary`: what a session did, at a glance.

use super::{denial_subject, recorded_program, strings, text};
use crate::audit::{self, SessionSummary};
use crate::commands::CommandError;
use crate::exit::ExitCode;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

/// Prints the summary of `session`: first what the session was stopped
/// from doing, and the execs that ran something else than their record
/// named, then what it read outside the repository, then what it changed
/// (only what happened: a refused or failed call changed nothing), then its
/// processes.
pub fn summary(session: &SessionSummary, out: &mut impl Write) -> Result<ExitCode, CommandError> {
    let records = audit::load_records(&session.path)?;
    writeln!(out, "session {} ({})", session.id, session.path.display())?;
    let repo = Path::new(text(&session.start, "repo"));

    let mut changed: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut outside_reads: BTreeMap<String, u64> = BTreeMap::new();
    let mut reads = 0u64;
    let mut denials: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut mismatches = Vec::new();
    let mut left_in_progress = Vec::new();
    let mut shadows = Vec::new();
    let mut checkpoints = Vec::new();
    for record in &records {
        let path = text(record, "path");
        let kind = text(record, "kind");
        // A call that failed (an `errno`) changed nothing, nor did one
        // that set what already was (`unchanged`), nor a write to a device
        // that keeps nothing.
        let failed = record.contains_key("errno");
        let changed_nothing =
            failed || record.contains_key("unchanged") || (kind == "write" && is_sink(path));
        match kind {
            "write" | "create" | "delete" | "rename" | "mkdir" | "link" | "metadata"
                if !changed_nothing =>
            {
                changed
                    .entry(kind)
                    .or_default()
                    .insert(changed_entry(record, path));
            }
            "open" if !failed => {
                reads += 1;
                let path = Path::new(path);
                if repo.as_os_str().is_empty() || !path.starts_with(repo) {
                    let dir = path
                        .parent()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    *outside_reads.entry(dir).or_default() += 1;
                }
            }
            "denied" => denials
                .entry(match text(record, "rule") {
                    "" => "its arguments could not be read".to_string(),
                    rule => rule.to_string(),
                })
                .or_default()
                .push(denial_subject(record)),
            "git_left" => {
                let mut line = format!("{} ({path})", text(record, "operation"));
                if record.contains_key("protected") {
                    line.push_str(&format!(": {}", strings(record.get("protected"))));
                }
                left_in_progress.push(line);
            }
            "path_shadow" => shadows.push(match record.get("more") {
                Some(more) => format!("… and {more} more"),
                None => format!("{path}, before {}", text(record, "shadows")),
            }),
            "checkpoint_left" => checkpoints.push(match record.get("more") {
                Some(more) => format!(
                    "… and {more} more; changed transcripts not read: {}",
                    record.get("unread").cloned().unwrap_or_default()
                ),
                None => format!(
                    "{} {path} ({})",
                    text(record, "restore"),
                    text(record, "transcript")
                ),
            }),
            "exec_mismatch" => mismatches.push(format!(
                "pid {}: recorded {}, runs {} [{}]",
                record.get("pid").cloned().unwrap_or_default(),
                recorded_program(record),
                path,
                strings(record.get("argv"))
            )),
            _ => {}
        }
    }

    writeln!(out, "\ndenials by rule")?;
    if denials.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for (rule, what) in &denials {
        writeln!(out, "  {} ({}×)", rule, what.len())?;
        // The same refusal made again (a name service lookup in every
        // process) is one line with its count, in the order first seen.
        let mut distinct: Vec<(&String, usize)> = Vec::new();
        for item in what {
            match distinct.iter_mut().find(|(seen, _)| *seen == item) {
                Some((_, count)) => *count += 1,
                None => distinct.push((item, 1)),
            }
        }
        for (item, count) in distinct.iter().take(10) {
            let times = if *count > 1 {
                format!(" ({count}×)")
            } else {
                String::new()
            };
            writeln!(out, "    {}{times}", crate::text::for_terminal(item))?;
        }
        if distinct.len() > 10 {
            writeln!(out, "    … and {} more", distinct.len() - 10)?;
        }
    }

    let heading = format!(
        "execs that ran other than their record named ({}×)",
        mismatches.len()
    );
    print_section(out, &heading, &mismatches)?;
    print_section(
        out,
        "git state the session left for your next command (it runs unconfined)",
        &left_in_progress,
    )?;
    print_section(
        out,
        "programs the session added ahead of others on your PATH (they run unconfined)",
        &shadows,
    )?;
    print_section(
        out,
        "what a rewind of Claude Code's checkpoints would change that the session could not (do not rewind outside guard)",
        &checkpoints,
    )?;

    let mut top: Vec<(String, u64)> = outside_reads.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    writeln!(
        out,
        "\nread outside the repository (files opened, by directory)"
    )?;
    if reads == 0 {
        writeln!(
            out,
            "  (no reads recorded: log.files = \"all\" records them)"
        )?;
    } else if top.is_empty() {
        writeln!(out, "  (none)")?;
    }
    let places = private_places(&session.start);
    for (dir, count) in top.iter().take(20) {
        let whose = places
            .iter()
            .find(|(private, _)| Path::new(dir).starts_with(private))
            .map(|(_, what)| format!("  ({what})"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {count:>6}  {}{}",
            crate::text::for_terminal(dir),
            crate::text::for_terminal(&whose)
        )?;
    }
    if top.len() > 20 {
        writeln!(out, "  … and {} more directories", top.len() - 20)?;
    }

    writeln!(out, "\nfiles changed")?;
    if changed.is_empty() {
        writeln!(out, "  (none)")?;
    }
    for (kind, paths) in &changed {
        for path in paths {
            writeln!(out, "  {kind:<7} {}", crate::text::for_terminal(path))?;
        }
    }

    writeln!(out, "\nprocesses (execs, by parent)")?;
    let execs: Vec<&Map<String, Value>> = records
        .iter()
        // An exec that failed ran nothing.
        .filter(|r| text(r, "kind") == "exec" && !r.contains_key("errno"))
        .collect();
    let pids: BTreeSet<u64> = execs
        .iter()
        .filter_map(|r| r.get("pid").and_then(Value::as_u64))
        .collect();
    let roots: Vec<&&Map<String, Value>> = execs
        .iter()
        .filter(|r| {
            r.get("ppid")
                .and_then(Value::as_u64)
                .is_none_or(|ppid| !pids.contains(&ppid))
        })
        .collect();
    let mut printed = BTreeSet::new();
    for root in roots {
        print_tree(out, &execs, root, 1, &mut printed)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A heading and its lines (made safe for a terminal), if there are any.
fn print_section(out: &mut impl Write, heading: &str, lines: &[String]) -> std::io::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{heading}")?;
    for line in lines {
        writeln!(out, "  {}", crate::text::for_terminal(line))?;
    }
    Ok(())
}

fn print_tree(
    out: &mut impl Write,
    execs: &[&Map<String, Value>],
    node: &Map<String, Value>,
    depth: usize,
    printed: &mut BTreeSet<u64>,
) -> std::io::Result<()> {
    let seq = node.get("seq").and_then(Value::as_u64).unwrap_or(0);
    if !printed.insert(seq) {
        return Ok(());
    }
    let argv = node
        .get("argv")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let pid = node.get("pid").and_then(Value::as_u64).unwrap_or(0);
    writeln!(
        out,
        "{}{pid}  {}",
        "  ".repeat(depth),
        crate::text::for_terminal(&argv)
    )?;
    for child in execs.iter().filter(|r| {
        r.get("ppid").and_then(Value::as_u64) == Some(pid)
            && r.get("pid").and_then(Value::as_u64) != Some(pid)
    }) {
        print_tree(out, execs, child, depth + 1, printed)?;
    }
    Ok(())
}

/// The session's own directories its policy made (from the start record),
/// each with what it stands for: a read there is of the session's copy or
/// layer, named by the real directory it stands in for.
fn private_places(start: &Map<String, Value>) -> Vec<(String, String)> {
    let policy = &start.get("policy").cloned().unwrap_or_default();
    let text_at = |value: &Value, key: &str| value[key].as_str().unwrap_or_default().to_string();
    let mut places = Vec::new();
    for client in policy["client_dirs"].as_array().into_iter().flatten() {
        let dir = &client["dir"];
        let what = format!("the session's stand-in for {}", text_at(dir, "real"));
        places.push((text_at(dir, "private"), what));
    }
    for layer in policy["layers"].as_array().into_iter().flatten() {
        let what = format!("the session's layer over {}", text_at(layer, "path"));
        places.push((text_at(layer, "private"), what));
    }
    let session = &policy["session"];
    places.push((
        text_at(session, "tmp"),
        "the session's temporary directory".into(),
    ));
    places.push((text_at(session, "home"), "the session's home".into()));
    places.retain(|(private, _)| !private.is_empty());
    places
}

/// A device written to that keeps nothing (`/dev/null`, a terminal): an
/// open of it for writing changes no file.
fn is_sink(path: &str) -> bool {
    matches!(
        path,
        "/dev/null" | "/dev/zero" | "/dev/full" | "/dev/tty" | "/dev/random" | "/dev/urandom"
    ) || path
        .strip_prefix("/dev/pts/")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// How a change reads in the summary: its path, and for a rename where
/// it went (`notes.md.tmp → notes.md`: what changed is `notes.md`), for a
/// link what it points to.
fn changed_entry(record: &Map<String, Value>, path: &str) -> String {
    let other = match text(record, "kind") {
        "rename" => text(record, "to"),
        "link" => text(record, "target"),
        _ => "",
    };
    match other {
        "" => path.to_string(),
        other => format!("{path} → {other}"),
    }
}
