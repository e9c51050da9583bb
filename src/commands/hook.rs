//! `guard hook install|uninstall|run`.

use super::CommandError;
use crate::cli::HookCommand;
use crate::exit::ExitCode;
use crate::hooks;
use crate::policy::HookClient;
use crate::scan::StagedFinding;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a `guard hook` subcommand.
pub fn hook(command: HookCommand) -> Result<ExitCode, CommandError> {
    match command {
        HookCommand::Install {
            repo,
            hooks: names,
            force,
        } => {
            let dir = hooks_dir(repo.as_deref())?;
            let guard = std::env::current_exe()?;
            let names: Vec<String> = match names {
                Some(list) => list
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
                None => hooks::DEFAULT_HOOKS.iter().map(|s| s.to_string()).collect(),
            };
            for (name, outcome) in
                hooks::install(&dir, &guard, &names, force).map_err(hook_error)?
            {
                let what = match outcome {
                    hooks::Installed::New => "installed",
                    hooks::Installed::Chained => {
                        "installed; the existing hook runs after guard's checks"
                    }
                    hooks::Installed::AlreadyInstalled => "already installed",
                };
                println!("{}: {what}", dir.join(name).display());
            }
            Ok(ExitCode::SUCCESS)
        }
        HookCommand::Uninstall { repo } => {
            let dir = hooks_dir(repo.as_deref())?;
            let removed = hooks::uninstall(&dir).map_err(hook_error)?;
            if removed.is_empty() {
                println!("no guard hooks in {}", dir.display());
            }
            for name in removed {
                println!(
                    "{}: removed (a chained hook, if any, is back)",
                    dir.join(name).display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        HookCommand::Run { hook, args } => run_hook(&hook, &args),
        HookCommand::Claude { event } => super::client_hook::client_hook(HookClient::Claude, event),
        HookCommand::Codex { event } => super::client_hook::client_hook(HookClient::Codex, event),
        HookCommand::Gemini { event } => super::client_hook::client_hook(HookClient::Gemini, event),
    }
}

fn hook_error(error: hooks::HookError) -> CommandError {
    CommandError::Unsafe(error.to_string())
}

/// `git OPTIONS` in the current directory (or `repo`); stdout, trimmed.
fn git(repo: Option<&Path>, args: &[&str]) -> Result<String, CommandError> {
    let mut command = Command::new("git");
    if let Some(repo) = repo {
        command.arg("-C").arg(repo);
    }
    let output = command.args(args).output()?;
    if !output.status.success() {
        return Err(CommandError::Repo {
            path: repo
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            reason: format!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_string())
}

/// The repository's hooks directory (`core.hooksPath` respected).
fn hooks_dir(repo: Option<&Path>) -> Result<PathBuf, CommandError> {
    let dir = PathBuf::from(git(
        repo,
        &["rev-parse", "--path-format=absolute", "--git-path", "hooks"],
    )?);
    Ok(dir)
}

/// What a commit is checked for before the repository's own hook runs.
fn run_hook(hook: &str, args: &[String]) -> Result<ExitCode, CommandError> {
    let top = PathBuf::from(git(None, &["rev-parse", "--show-toplevel"])?);
    let dir = hooks_dir(None)?;
    match hook {
        "pre-commit" => {
            let findings = pre_commit_findings(&top)?;
            if !findings.is_empty() {
                eprintln!("guard: commit blocked:");
                for finding in &findings {
                    eprintln!(
                        "  {}:{}  {}  {}",
                        finding.file,
                        finding.line,
                        finding.rule,
                        super::log::for_terminal(&finding.excerpt)
                    );
                }
                let rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
                eprintln!(
                    "To commit anyway, deliberately: GUARD_HOOK_ALLOW={} git commit …  (or git commit --no-verify, which skips every hook)",
                    rules.join(",")
                );
                return Ok(ExitCode::CHECK_FAILED);
            }
        }
        "prepare-commit-msg" | "commit-msg" => {
            // The variable alone is anyone's to set: the kernel confirms a
            // session before a commit is said to come from one.
            let session = crate::launch::enclosing_session().ok().flatten();
            if let (Some(session), Some(message)) = (session, args.first()) {
                git(
                    None,
                    &[
                        "interpret-trailers",
                        "--in-place",
                        "--if-exists",
                        "addIfDifferent",
                        "--trailer",
                        &format!("Guard-Session: {session}"),
                        message,
                    ],
                )?;
            }
        }
        _ => {}
    }
    match hooks::chained(&dir, hook) {
        Some(chained) => run_chained(&top, &chained, args),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The findings of the pre-commit checks, minus those the user allowed.
fn pre_commit_findings(top: &Path) -> Result<Vec<StagedFinding>, CommandError> {
    let diff = git(
        Some(top),
        &[
            "diff",
            "--cached",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--text",
        ],
    )?;
    // The values of the credentials minted for the session this commit is
    // made in (guard names their variables in GUARD_CREDENTIAL_VARS).
    let values: Vec<String> = std::env::var(crate::launch::CREDENTIAL_VARS)
        .unwrap_or_default()
        .split(',')
        .filter_map(|name| std::env::var(name).ok())
        .collect();
    let mut findings = crate::scan::secrets::scan_diff(&diff, &values);
    findings.extend(injection_findings(top, &diff)?);
    let staged = git(
        Some(top),
        &["diff", "--cached", "--name-only", "--no-renames"],
    )?;
    let protected = protected_entries()?;
    for path in staged.lines() {
        if let Some(entry) = protected
            .iter()
            .find(|entry| path == entry.as_str() || path.starts_with(&format!("{entry}/")))
        {
            findings.push(StagedFinding {
                file: path.to_string(),
                line: 0,
                rule: "protected-path".into(),
                excerpt: format!("changes {entry}, a protected path"),
            });
        }
    }
    let allowed = std::env::var("GUARD_HOOK_ALLOW").unwrap_or_default();
    let allowed: Vec<&str> = allowed.split(',').map(str::trim).collect();
    findings.retain(|finding| !allowed.contains(&finding.rule.as_str()));
    Ok(findings)
}

/// `guard scan`'s rules over the staged version of each changed file, kept
/// where they fall on an added line (a file-level finding, such as agent
/// configuration, counts when the file changed).
fn injection_findings(top: &Path, diff: &str) -> Result<Vec<StagedFinding>, CommandError> {
    let mut findings = Vec::new();
    for file in crate::scan::diff::added_lines(diff) {
        let path = &file.path;
        let Ok(staged) = git(Some(top), &["show", &format!(":{path}")]) else {
            continue;
        };
        let blocking = crate::scan::scan_text(path, &staged)
            .into_iter()
            .filter(|finding| finding.severity >= crate::scan::Severity::Medium);
        for finding in blocking {
            let file_level = matches!(finding.rule, "agent-config" | "agent-instructions");
            if file_level || file.lines.iter().any(|&(line, _)| line == finding.line) {
                findings.push(StagedFinding {
                    file: finding.file,
                    line: finding.line,
                    rule: finding.rule.to_string(),
                    excerpt: finding.message,
                });
            }
        }
    }
    Ok(findings)
}

/// The repository-relative protected paths of the `default` profile.
fn protected_entries() -> Result<Vec<String>, CommandError> {
    let sources = crate::profile::ProfileSources { user_dir: None };
    let profile = sources.resolve("default")?;
    Ok(profile
        .profile
        .filesystem
        .protected
        .into_iter()
        .map(|entry| entry.trim_start_matches(['?', '+']).to_string())
        .filter(|entry| !entry.starts_with('/') && !entry.starts_with('{'))
        .collect())
}

/// Runs the chained hook under the `git-hook` profile: the repository
/// readable, only `.git` writable, no network, no credentials, a scratch home.
fn run_chained(top: &Path, chained: &Path, args: &[String]) -> Result<ExitCode, CommandError> {
    let guard = std::env::current_exe()?;
    let status = Command::new(guard)
        .args(["run", "-p", "git-hook", "--repo"])
        .arg(top)
        .arg("--allow-exec")
        .arg(chained)
        .arg("--")
        .arg(chained)
        .args(args)
        .status()?;
    Ok(ExitCode(status.code().unwrap_or(1)))
}
