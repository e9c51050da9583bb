//! `guard reap` and `guard creds`: the lease journal, for the user; and
//! `guard credential get`, a session's request for a credential.

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

/// `guard credential get NAME`: asks guard, over the session's channel.
pub fn get_command(name: &str, json: bool) -> Result<ExitCode, CommandError> {
    let Some(channel) = crate::channel::from_env() else {
        eprintln!("guard: `guard credential get` works inside a guard session only");
        return Ok(ExitCode::USAGE);
    };
    let request = serde_json::json!({"op": "credential", "name": name});
    let answer = match crate::channel::request(&channel, &request) {
        Ok(answer) => answer,
        Err(error) => {
            eprintln!("guard: {error}");
            return Ok(ExitCode::CHECK_FAILED);
        }
    };
    let Some(variables) = answer["variables"].as_object() else {
        let reason = answer["error"]
            .as_str()
            .unwrap_or("guard gave no credential");
        eprintln!("{reason}");
        return Ok(ExitCode::CHECK_FAILED);
    };
    if json {
        println!("{}", serde_json::Value::Object(variables.clone()));
    } else {
        for (variable, value) in variables {
            let value = value.as_str().unwrap_or_default().replace('\'', "'\\''");
            println!("export {variable}='{value}'");
        }
    }
    Ok(ExitCode::SUCCESS)
}
