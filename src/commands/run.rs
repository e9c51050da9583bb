//! `guard run` and `guard policy`.

use super::CommandError;
use super::prepare::prepare;
use crate::audit::{AuditLog, Event, EventKind};
use crate::cli::{Format, PolicyArgs, RunArgs};
use crate::exit::ExitCode;
use crate::launch::{self, state_dir};
use crate::policy::HostView;

/// Runs the command in a confined session.
pub fn run(args: RunArgs, no_namespaces: bool) -> Result<ExitCode, CommandError> {
    let prepared = prepare(&args.session, &args.command, no_namespaces)?;
    let missing = prepared.features.missing_requirements();
    if !missing.is_empty() {
        return Err(CommandError::Kernel(missing));
    }
    if args.dry_run {
        print!("{}", prepared.policy);
        return Ok(ExitCode::SUCCESS);
    }
    let state = state_dir(
        prepared.host.var("XDG_STATE_HOME").as_deref(),
        &prepared.home,
    );
    let quarantine = state.join("quarantine").join(&prepared.session.id);
    let log_dir = state.join("sessions");
    let scan_cache = state.join("scan-cache");
    refuse_writable_state(&prepared.policy, &[&log_dir, &scan_cache])?;
    let parent_env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();

    // Leases of sessions whose guard died are revoked first (best effort;
    // `guard reap` reports in full).
    let journal = state.join("leases");
    for line in super::credentials::reap(&journal, &log_dir, false) {
        eprintln!("guard: {line}");
    }

    // The log exists, with its start record, before anything runs: a full
    // disk or an unwritable state directory refuses the session.
    let mut log = AuditLog::create(&log_dir, &prepared.session.id)?;
    log.append(session_start(&prepared)?)?;
    tracing::debug!(session = %prepared.session.id, log = %log.path().display(), "starting session");
    let started = std::time::Instant::now();
    // What refuses the session before it runs also ends its log.
    let before_launch = |log: &mut AuditLog| -> Result<_, CommandError> {
        super::start_scan::scan_before_start(&prepared.policy, &scan_cache, log)?;
        super::credentials::mint_all(&prepared.policy, &prepared.session.id, &journal, log)
    };
    let mut minted = match before_launch(&mut log) {
        Ok(minted) => minted,
        Err(error) => {
            let _ = log
                .append(Event::new(EventKind::SessionEnd, None).with("error", error.to_string()));
            return Err(error);
        }
    };
    let secrets = super::credentials::session_variables(&minted);
    log.redact(secrets.iter().map(|(_, secret)| secret.expose()));
    let outer_session = std::env::var(crate::launch::SESSION_VAR).ok();
    let environment = launch::SessionEnvironment {
        parent: &parent_env,
        credentials: &secrets,
        supervised: outer_session.is_none(),
    };
    // Order at the end: the session's processes are gone when launch::run
    // returns; then credentials are revoked; then the log is sealed.
    let (outcome, mut log) = launch::run(
        &prepared.policy,
        &prepared.session,
        &environment,
        quarantine,
        log,
    );
    drop(secrets);
    let revoke_failures = super::credentials::revoke_all(&mut minted, &journal, Some(&mut log));
    let end = session_end(&outcome, log.counts(), started.elapsed());
    let sealed = log.append(end);
    for failure in &revoke_failures {
        eprintln!(
            "guard: {failure}; the lease stays in the journal and is retried (`guard creds`, `guard reap`)"
        );
    }
    let outcome = outcome?;
    sealed?;
    for restored in &outcome.restored {
        let path = restored.path.display();
        match (&restored.quarantined, restored.put_back) {
            (Some(kept), true) => eprintln!(
                "guard: boundary violation: the session changed protected path {path}; restored it (the session's version is in {})",
                kept.display()
            ),
            (Some(kept), false) => eprintln!(
                "guard: boundary violation: the session changed protected path {path}; moved it to {} (it was too large to save, so the version from before is not back)",
                kept.display()
            ),
            (None, _) => eprintln!(
                "guard: boundary violation: the session deleted protected path {path}; restored it"
            ),
        }
    }
    if outcome.leftover_processes > 0 {
        tracing::info!(
            count = outcome.leftover_processes,
            "ended processes left running by the session"
        );
    }
    // A violation fails the session even when the command succeeded.
    match (outcome.restored.is_empty(), outcome.exit_code) {
        (false, 0) => Ok(ExitCode::BOUNDARY_VIOLATION),
        (_, code) => Ok(ExitCode(code)),
    }
}

/// The session must not be able to write its own log, or the scan results
/// the next session trusts.
fn refuse_writable_state(
    policy: &crate::policy::Policy,
    dirs: &[&std::path::Path],
) -> Result<(), CommandError> {
    for dir in dirs {
        let dir = crate::policy::lexically_normal(dir);
        let exposed = policy.filesystem.iter().find(|(path, rule)| {
            rule.access.write && (dir.starts_with(path) || path.starts_with(&dir))
        });
        if let Some((path, _)) = exposed {
            return Err(CommandError::Unsafe(format!(
                "the profile makes {} writable, which holds guard's state ({}); the session could rewrite its own log and scan results",
                path.display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

/// The first record: who, what, under which policy, on which kernel.
fn session_start(prepared: &super::prepare::Prepared) -> Result<Event, CommandError> {
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
        // one does (a process can have only one seccomp listener).
        .with("nested_in", std::env::var(crate::launch::SESSION_VAR).ok()))
}

/// The last record: how it ended, and what it did, by kind.
fn session_end(
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

/// Prints the compiled policy.
pub fn policy(args: PolicyArgs, no_namespaces: bool) -> Result<ExitCode, CommandError> {
    let command = if args.command.is_empty() {
        vec!["sh".to_string()]
    } else {
        args.command
    };
    let prepared = prepare(&args.session, &command, no_namespaces)?;
    if args.json || args.format == Format::Json {
        let json = serde_json::to_string_pretty(&prepared.policy).map_err(std::io::Error::other)?;
        println!("{json}");
    } else {
        print!("{}", prepared.policy);
        println!(
            "\nseccomp: {} deny rules (see docs/security.md)",
            crate::sandbox::seccomp::entries_for(&prepared.policy).len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
