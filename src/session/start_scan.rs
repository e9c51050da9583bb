//! `scan.on_start`: `guard scan`'s rules over the repository before a session
//! starts, answered mostly from the cache of the last scan.

use super::SessionError;
use crate::audit::{AuditLog, Event, EventKind};
use crate::policy::{Policy, ScanOnStart};
use crate::scan::{self, Finding, Severity};
use std::path::Path;

/// At most this many findings are printed; the log gets [`RECORDED`].
const PRINTED: usize = 10;
/// At most this many findings are written to the audit log.
const RECORDED: usize = 200;

/// Scans the repository as the policy says, records the outcome in `log`, and
/// refuses the session when the policy blocks on what was found.
pub fn scan_before_start(
    policy: &Policy,
    cache_dir: &Path,
    log: &mut AuditLog,
    notify: &mut dyn FnMut(&str),
) -> Result<(), SessionError> {
    let mode = match policy.scan.on_start {
        ScanOnStart::Off => return Ok(()),
        ScanOnStart::Warn => "warn",
        ScanOnStart::Block => "block",
    };
    let started = std::time::Instant::now();
    let options = scan::ScanOptions {
        cache_dir: Some(cache_dir.to_path_buf()),
        max_files: Some(policy.scan.max_files),
        ..scan::ScanOptions::full()
    };
    let event = Event::new(EventKind::Scan, None)
        .with("mode", mode)
        .with("repo", policy.repo.to_string_lossy().into_owned());
    let report = match scan::scan(std::slice::from_ref(&policy.repo), &options) {
        Ok(report) => report,
        Err(error @ scan::ScanError::TooManyFiles { .. })
            if policy.scan.on_start == ScanOnStart::Warn =>
        {
            log.append(event.with("skipped", error.to_string()))?;
            notify(&format!("warning: the repository was not scanned: {error}"));
            return Ok(());
        }
        Err(error) => {
            log.append(event.with("error", error.to_string()))?;
            return Err(error.into());
        }
    };
    let fail_on = policy.scan.fail_on;
    let reported: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity >= fail_on)
        .collect();
    let count = |severity: Severity| {
        report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let blocked = policy.scan.on_start == ScanOnStart::Block && !reported.is_empty();
    log.append(
        event
            .with("fail_on", fail_on.name())
            .with("files", report.files as u64)
            .with("files_read", report.read as u64)
            .with("duration_ms", started.elapsed().as_millis() as u64)
            .with(
                "counts",
                serde_json::json!({
                    "high": count(Severity::High),
                    "medium": count(Severity::Medium),
                    "low": count(Severity::Low),
                }),
            )
            .with(
                "findings",
                serde_json::to_value(&reported[..reported.len().min(RECORDED)])
                    .map_err(std::io::Error::other)?,
            )
            .with(
                "findings_not_recorded",
                reported.len().saturating_sub(RECORDED) as u64,
            )
            .with("blocked", blocked),
    )?;
    if reported.is_empty() {
        return Ok(());
    }
    let summary = summary(&policy.repo, &reported, fail_on);
    if blocked {
        Err(SessionError::ScanBlocked(format!(
            "refusing to start (scan.on_start = \"block\"): {summary}"
        )))
    } else {
        notify(&format!("warning: {summary}"));
        Ok(())
    }
}

/// What was found, for the terminal: a count, the first findings, and what to do.
fn summary(repo: &Path, reported: &[&Finding], fail_on: Severity) -> String {
    let clean = crate::text::for_terminal;
    let repo = clean(&repo.display().to_string());
    let mut text = format!(
        "the repository scan found {} finding{} of {} severity or higher in {repo}:",
        reported.len(),
        if reported.len() == 1 { "" } else { "s" },
        fail_on.name(),
    );
    for finding in reported.iter().take(PRINTED) {
        text.push_str(&format!(
            "\n  {}:{}:{}: {} {}: {}",
            clean(&finding.file),
            finding.line,
            finding.column,
            finding.severity.name(),
            finding.rule,
            clean(&finding.message)
        ));
    }
    if reported.len() > PRINTED {
        text.push_str(&format!("\n  … and {} more", reported.len() - PRINTED));
    }
    text.push_str(&format!(
        "\nReview them with `guard scan {repo}`; a reviewed finding can be allowed in {}.",
        scan::ALLOWLIST
    ));
    text
}
