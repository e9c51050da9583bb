//! `guard reap` and `guard creds`: the lease journal, for the user.

use super::CommandError;
use crate::credentials;
use crate::exit::ExitCode;
use crate::session::leases::reap;
use std::path::Path;

/// `guard reap`.
pub fn reap_command(
    journal: &Path,
    log_dir: &Path,
    identity: &Path,
) -> Result<ExitCode, CommandError> {
    let lines = reap(journal, log_dir, identity, true);
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
