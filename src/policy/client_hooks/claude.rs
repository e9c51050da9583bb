//! Claude Code: guard's hooks in a settings file passed with `--settings`,
//! which takes in the user's own `--settings`.

use super::{HookClient, hook_command, overlay};
use serde_json::json;
use std::path::Path;

/// Claude Code's hook events guard registers, and the `guard hook claude`
/// event that answers each.
pub(super) const CLAUDE_EVENTS: [(&str, &str); 8] = [
    ("PreToolUse", "pre-tool-use"),
    ("PostToolUse", "post-tool-use"),
    ("PostToolUseFailure", "post-tool-use-failure"),
    ("UserPromptSubmit", "user-prompt-submit"),
    ("SessionStart", "session-start"),
    ("SessionEnd", "session-end"),
    ("SubagentStart", "subagent-start"),
    ("SubagentStop", "subagent-stop"),
];

/// The value of the user's own `--settings` among Claude Code's arguments
/// (`--settings X` or `--settings=X`, before any `--`).
pub fn user_settings(args: &[String]) -> Option<String> {
    let mut args = args.iter().take_while(|arg| *arg != "--");
    while let Some(arg) = args.next() {
        if arg == "--settings" {
            return args.next().cloned();
        }
        if let Some(value) = arg.strip_prefix("--settings=") {
            return Some(value.to_string());
        }
    }
    None
}

/// `args` without the user's own `--settings` (see [`user_settings`]).
pub fn without_user_settings(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut iter = args.iter();
    let mut done = false;
    while let Some(arg) = iter.next() {
        if !done && arg == "--settings" {
            iter.next();
            done = true;
        } else if !done && arg.starts_with("--settings=") {
            done = true;
        } else {
            done |= arg == "--";
            out.push(arg.clone());
        }
    }
    out
}

/// Claude Code settings that register guard's hooks for every tool: what
/// `guard run -- claude` hands the session's Claude Code with `--settings`,
/// laid over the settings the user passed with their own `--settings`.
/// They also turn Claude Code's own sandbox off: guard is the sandbox its
/// commands run in, and Claude Code's (sandbox-runtime: bubblewrap and a
/// proxy on a unix socket) cannot start in a session, where it failed the
/// first command of every session it was enabled in.
pub fn claude_settings(guard: &Path, user: Option<&serde_json::Value>) -> String {
    let hooks: serde_json::Map<String, serde_json::Value> = CLAUDE_EVENTS
        .iter()
        .map(|(name, event)| {
            let command = hook_command(guard, HookClient::Claude, event);
            let group =
                json!([{"matcher": "*", "hooks": [{"type": "command", "command": command}]}]);
            (name.to_string(), group)
        })
        .collect();
    let mut settings = user.cloned().unwrap_or_else(|| json!({}));
    overlay(
        &mut settings,
        &json!({ "hooks": hooks, "sandbox": { "enabled": false } }),
    );
    settings.to_string()
}
