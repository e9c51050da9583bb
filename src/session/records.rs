//! The session's first and last records in its log.

use super::SessionError;
use crate::audit::{Event, EventKind};

/// The session's first record: who, what, under which policy, on which kernel,
/// and inside which session (`outer`, confirmed by the kernel), if any.
pub fn session_start(
    prepared: &super::Prepared,
    outer: Option<&str>,
) -> Result<Event, SessionError> {
    let policy = &prepared.policy;
    let policy_json = serde_json::to_value(policy).map_err(std::io::Error::other)?;
    let kernel_json = serde_json::to_value(&prepared.features).map_err(std::io::Error::other)?;
    Ok(Event::new(EventKind::SessionStart, None)
        .with("guard_version", env!("CARGO_PKG_VERSION"))
        .with("guard_pid", std::process::id())
        .with("uid", nix::unistd::getuid().as_raw())
        .with("profile", policy.profile.name.clone())
        .with("profile_origin", policy.profile.origin.to_string())
        .with("command", policy.command.argv.clone())
        .with(
            "program",
            policy.command.program.to_string_lossy().into_owned(),
        )
        .with("repo", policy.repo.to_string_lossy().into_owned())
        .with("policy_digest", policy.digest())
        .with("policy", policy_json)
        .with("kernel", kernel_json)
        // Inside another session, that session's supervisor records what this
        // one does (a process can have only one seccomp listener), and its
        // Landlock domain is this one's.
        .with("nested_in", outer)
        .with(
            "landlock",
            match outer {
                Some(_) => "the outer session's",
                None => "the session's own",
            },
        ))
}

/// The session's last record: how it ended, and what it did, by kind.
pub fn session_end(
    outcome: &Result<crate::launch::SessionOutcome, crate::launch::LaunchError>,
    counts: &std::collections::BTreeMap<&'static str, u64>,
    duration: std::time::Duration,
) -> Event {
    let counts: serde_json::Map<String, serde_json::Value> = counts
        .iter()
        .map(|(kind, n)| (kind.to_string(), (*n).into()))
        .collect();
    let event = Event::new(EventKind::SessionEnd, None)
        .with("duration_ms", duration.as_millis() as u64)
        .with("counts", counts);
    match outcome {
        Ok(outcome) => event
            .with("exit_code", outcome.exit_code)
            .with("leftover_processes", outcome.leftover_processes as u64)
            .with(
                "restored",
                outcome
                    .restored
                    .iter()
                    .map(|r| r.path.to_string_lossy().into_owned())
                    .collect::<Vec<_>>(),
            ),
        Err(error) => event.with("error", error.to_string()),
    }
}
