//! `guard run` and `guard policy`.

use super::CommandError;
use crate::cli::{Format, PolicyArgs, RunArgs};
use crate::exit::ExitCode;
use crate::session;

/// Runs the command in a confined session.
pub fn run(args: RunArgs, no_namespaces: bool) -> Result<ExitCode, CommandError> {
    let prepared = session::prepare(&args.session, &args.command, no_namespaces)?;
    tell(&prepared.notices);
    if args.dry_run {
        session::check_kernel(&prepared)?;
        print!("{}", prepared.policy);
        return Ok(ExitCode::SUCCESS);
    }
    // Notices name what the session chose (refs, paths): shown escaped.
    let outcome = session::run(prepared, &mut |notice| {
        eprintln!("guard: {}", lines_for_terminal(notice))
    })?;
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

/// Prints what preparing the session found the user should know.
pub fn tell(notices: &[String]) {
    for notice in notices {
        eprintln!("guard: {notice}");
    }
}

/// Prints the compiled policy.
pub fn policy(args: PolicyArgs, no_namespaces: bool) -> Result<ExitCode, CommandError> {
    let command = if args.command.is_empty() {
        vec!["sh".to_string()]
    } else {
        args.command
    };
    let prepared = session::prepare(&args.session, &command, no_namespaces)?;
    tell(&prepared.notices);
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

/// [`crate::text::for_terminal`] line by line, for a message of several
/// lines: its line breaks stay, and every line after the first is indented,
/// so a line break in what a process chose cannot start a line that reads
/// as one of guard's own (`guard: …`).
fn lines_for_terminal(text: &str) -> String {
    text.split('\n')
        .map(crate::text::for_terminal)
        .collect::<Vec<_>>()
        .join("\n  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_keeps_its_lines_and_indents_all_but_the_first() {
        assert_eq!(
            lines_for_terminal("found:\n  a\x1b[2J\nguard: fake"),
            "found:\n    a\\u{1b}[2J\n  guard: fake"
        );
        assert_eq!(lines_for_terminal("one line"), "one line");
    }
}
