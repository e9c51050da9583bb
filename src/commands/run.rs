//! `guard run` and `guard policy`.

use super::CommandError;
use super::prepare::prepare;
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
    let parent_env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    tracing::debug!(session = %prepared.session.id, profile = %prepared.policy.profile.name, "starting session");
    let outcome = launch::run(&prepared.policy, &prepared.session, &parent_env, quarantine)?;
    for restored in &outcome.restored {
        match &restored.quarantined {
            Some(kept) => eprintln!(
                "guard: the session changed protected path {}; restored it (the session's version is in {})",
                restored.path.display(),
                kept.display()
            ),
            None => eprintln!(
                "guard: the session deleted protected path {}; restored it",
                restored.path.display()
            ),
        }
    }
    if outcome.leftover_processes > 0 {
        tracing::info!(
            count = outcome.leftover_processes,
            "ended processes left running by the session"
        );
    }
    Ok(ExitCode(outcome.exit_code))
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
