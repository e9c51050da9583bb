//! The lease journal: one small JSON file per minted credential, holding what
//! revocation needs and never the secret.

use super::CredentialError;
use crate::policy::ProviderPlan;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The guard process that owns a lease, identified so that a reused pid does
/// not pass for it: pid, start time (clock ticks since boot) and boot id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Owner {
    /// guard's pid.
    pub pid: u32,
    /// Its start time (`/proc/PID/stat`, field 22).
    pub start_time: u64,
    /// `/proc/sys/kernel/random/boot_id` when it ran.
    pub boot_id: String,
}

/// A lease, as journaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaseRecord {
    /// The session it was minted for.
    pub session: String,
    /// The credential's name.
    pub name: String,
    /// Who revokes it (no secret: a postgres plan names the variable that
    /// holds the admin URL, not the URL).
    pub provider: ProviderPlan,
    /// The provider's lease id (a role name, a helper's opaque lease).
    pub lease_id: String,
    /// When it was minted (Unix seconds).
    pub minted_at: u64,
    /// When it expires by itself (Unix seconds).
    pub expires_at: u64,
    /// The guard that holds it.
    pub owner: Owner,
    /// Failed revocation attempts so far.
    pub attempts: u32,
    /// Earliest time for the next attempt (Unix seconds).
    pub next_attempt: u64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The claims of the session's token (`openbao`), for the new login that
    /// revokes the lease if guard dies holding it. No secret.
    #[serde(default)]
    pub claims: Option<serde_json::Value>,
}

impl Owner {
    /// The calling process.
    pub fn current() -> Owner {
        let pid = std::process::id();
        Owner {
            pid,
            start_time: start_time(pid).unwrap_or(0),
            boot_id: boot_id(),
        }
    }

    /// Whether that guard is still running.
    pub fn is_alive(&self) -> bool {
        self.boot_id == boot_id() && start_time(self.pid) == Some(self.start_time)
    }
}

fn start_time(pid: u32) -> Option<u64> {
    let stat = crate::sys::proc_stat::process_stat(i32::try_from(pid).ok()?)?;
    Some(stat.start_time)
}

fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|id| id.trim().to_string())
        .unwrap_or_default()
}

/// Seconds to wait before revocation attempt `attempts + 1`: 30 s doubling,
/// at most an hour.
pub fn backoff_seconds(attempts: u32) -> u64 {
    (30u64 << attempts.min(7)).min(3600)
}

fn file_of(dir: &Path, lease: &LeaseRecord) -> PathBuf {
    dir.join(format!("{}.{}.json", lease.session, lease.name))
}

fn journal_error(path: &Path) -> impl FnOnce(std::io::Error) -> CredentialError + '_ {
    move |source| CredentialError::Journal {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes (or replaces) a lease record, durably: a temporary file, fsync,
/// rename.
pub fn write(dir: &Path, lease: &LeaseRecord) -> Result<(), CredentialError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(journal_error(dir))?;
    let path = file_of(dir, lease);
    let temporary = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(lease).expect("lease records always serialise");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(journal_error(&temporary))?;
    file.write_all(text.as_bytes())
        .map_err(journal_error(&temporary))?;
    file.sync_all().map_err(journal_error(&temporary))?;
    std::fs::rename(&temporary, &path).map_err(journal_error(&path))
}

/// Removes a lease record (it was revoked).
pub fn remove(dir: &Path, lease: &LeaseRecord) -> Result<(), CredentialError> {
    let path = file_of(dir, lease);
    match std::fs::remove_file(&path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(journal_error(&path)(error))
        }
        _ => Ok(()),
    }
}

/// Every lease record in the journal; unreadable files are reported as errors
/// beside the records.
pub fn list(dir: &Path) -> (Vec<LeaseRecord>, Vec<String>) {
    let mut leases = Vec::new();
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (leases, problems);
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    for path in paths {
        match std::fs::read_to_string(&path).map(|text| serde_json::from_str::<LeaseRecord>(&text))
        {
            Ok(Ok(lease)) => leases.push(lease),
            Ok(Err(error)) => problems.push(format!("{}: {error}", path.display())),
            Err(error) => problems.push(format!("{}: {error}", path.display())),
        }
    }
    (leases, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_process_is_alive_and_a_stranger_is_not() {
        let me = Owner::current();
        assert!(me.is_alive());
        let reused = Owner {
            start_time: me.start_time + 1,
            ..me.clone()
        };
        assert!(
            !reused.is_alive(),
            "same pid, another start time: a reused pid"
        );
        let rebooted = Owner {
            boot_id: "other".into(),
            ..me
        };
        assert!(!rebooted.is_alive());
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_seconds(0), 30);
        assert_eq!(backoff_seconds(1), 60);
        assert_eq!(backoff_seconds(20), 3600);
    }
}
