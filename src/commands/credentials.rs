//! Credentials around a session (mint before, revoke after), `guard reap` and
//! `guard creds`.

use super::CommandError;
use crate::audit::{AuditLog, Event, EventKind};
use crate::credentials::{self, CredentialError, LeaseRecord, Minted, Owner, Secret};
use crate::exit::ExitCode;
use crate::policy::Policy;
use std::path::Path;

/// The record of a lease event: names and ids, never values.
fn lease_event(kind: EventKind, lease: &LeaseRecord) -> Event {
    Event::new(kind, None)
        .with("credential", lease.name.clone())
        .with("provider", credentials::provider_name(&lease.provider))
        .with("lease", lease.lease_id.clone())
        .with(
            "expires_at",
            crate::clock::rfc3339(std::time::Duration::from_secs(
                lease.expires_at.min(i64::MAX as u64),
            )),
        )
}

/// Mints every credential of the policy, journaling and recording each. If
/// one fails, those already minted are revoked and the error names the one
/// that failed.
pub fn mint_all(
    policy: &Policy,
    session: &str,
    journal: &Path,
    log: &mut AuditLog,
) -> Result<Vec<Minted>, CommandError> {
    let owner = Owner::current();
    let mut minted: Vec<Minted> = Vec::new();
    for plan in &policy.credentials {
        match credentials::mint(plan, session, journal, &owner) {
            Ok(credential) => {
                log.append(lease_event(EventKind::CredentialMinted, &credential.lease))?;
                minted.push(credential);
            }
            Err(error) => {
                revoke_all(&mut minted, journal, Some(log));
                return Err(CommandError::Credential(error));
            }
        }
    }
    Ok(minted)
}

/// The variables the minted credentials give the session.
pub fn session_variables(minted: &[Minted]) -> Vec<(String, Secret)> {
    minted
        .iter()
        .flat_map(|credential| credential.env.iter().cloned())
        .collect()
}

/// Revokes every minted credential (the session's processes are gone by
/// now), recording each outcome; failures stay in the journal for retry.
pub fn revoke_all(
    minted: &mut [Minted],
    journal: &Path,
    mut log: Option<&mut AuditLog>,
) -> Vec<CredentialError> {
    let mut failures = Vec::new();
    for credential in minted.iter_mut() {
        let result = credentials::revoke_and_settle(journal, &mut credential.lease);
        let event = match &result {
            Ok(()) => lease_event(EventKind::CredentialRevoked, &credential.lease),
            Err(error) => lease_event(EventKind::CredentialRevokeFailed, &credential.lease)
                .with("error", error.to_string()),
        };
        if let Some(log) = log.as_deref_mut() {
            let _ = log.append(event);
        }
        if let Err(error) = result {
            failures.push(error);
        }
    }
    failures
}

/// Revokes the leases of sessions whose guard is gone. `force` ignores the
/// back-off of earlier failures. Each outcome is added to the session's log
/// in `log_dir` when that log is still open (its guard died before sealing
/// it), and a log whose leases are all settled is then sealed. Returns lines
/// to show the user.
pub fn reap(journal: &Path, log_dir: &Path, force: bool) -> Vec<String> {
    let (leases, problems) = credentials::journal::list(journal);
    let now = crate::clock::now().as_secs();
    let mut lines: Vec<String> = problems
        .into_iter()
        .map(|p| format!("unreadable lease record {p}"))
        .collect();
    let mut logs: std::collections::BTreeMap<String, Option<AuditLog>> = Default::default();
    for mut lease in leases {
        if lease.owner.is_alive() || (!force && lease.next_attempt > now) {
            continue;
        }
        let result = credentials::revoke_and_settle(journal, &mut lease);
        let log = logs
            .entry(lease.session.clone())
            .or_insert_with(|| AuditLog::resume(log_dir, &lease.session).ok().flatten());
        if let Some(log) = log {
            let event = match &result {
                Ok(()) => lease_event(EventKind::CredentialRevoked, &lease),
                Err(error) => lease_event(EventKind::CredentialRevokeFailed, &lease)
                    .with("error", error.to_string()),
            };
            if let Err(error) = log.append(event.with("by", "guard reap")) {
                lines.push(error.to_string());
            }
        }
        match result {
            Ok(()) => lines.push(format!(
                "revoked credential `{}` ({}) of session {} (its guard is gone)",
                lease.name,
                credentials::provider_name(&lease.provider),
                lease.session
            )),
            Err(error) => lines.push(format!(
                "{error} (attempt {}; retried later)",
                lease.attempts
            )),
        }
    }
    let pending = credentials::journal::list(journal).0;
    for (session, log) in logs {
        if let Some(mut log) = log
            && !pending.iter().any(|lease| lease.session == session)
        {
            let end = Event::new(EventKind::SessionEnd, None)
                .with(
                    "error",
                    "guard ended without closing the session (killed, or the machine stopped); `guard reap` revoked its credentials",
                )
                .with("by", "guard reap");
            if let Err(error) = log.append(end) {
                lines.push(error.to_string());
            }
        }
    }
    lines
}

/// `guard reap`.
pub fn reap_command(journal: &Path, log_dir: &Path) -> Result<ExitCode, CommandError> {
    let lines = reap(journal, log_dir, true);
    for line in &lines {
        println!("{line}");
    }
    let pending = credentials::journal::list(journal)
        .0
        .iter()
        .filter(|l| !l.owner.is_alive())
        .count();
    if lines.is_empty() {
        println!("nothing to reap");
    }
    Ok(if pending == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::CHECK_FAILED
    })
}

/// `guard creds`.
pub fn creds_command(journal: &Path) -> Result<ExitCode, CommandError> {
    let (leases, problems) = credentials::journal::list(journal);
    let now = crate::clock::now().as_secs();
    if leases.is_empty() && problems.is_empty() {
        println!("no leases");
    }
    for lease in &leases {
        let state = if lease.owner.is_alive() {
            "live".to_string()
        } else if lease.attempts > 0 {
            format!(
                "pending revocation ({} failed attempts: {})",
                lease.attempts,
                lease.last_error.as_deref().unwrap_or("")
            )
        } else {
            "orphaned (guard gone; `guard reap` revokes it)".to_string()
        };
        let expiry = if lease.expires_at <= now {
            "expired".to_string()
        } else {
            format!("expires in {} s", lease.expires_at - now)
        };
        println!(
            "{}  {:<12} {:<9} lease {:<40} {expiry}  {state}",
            lease.session,
            lease.name,
            credentials::provider_name(&lease.provider),
            lease.lease_id
        );
    }
    for problem in problems {
        println!("unreadable: {problem}");
    }
    Ok(ExitCode::SUCCESS)
}
