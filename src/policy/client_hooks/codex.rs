//! Codex: guard's hooks as `-c` flags, with the trust Codex's hook trust
//! store would hold for them.

use super::{HookClient, hook_command};
use serde_json::json;
use std::path::Path;

/// Codex's hook events guard registers: its name in the configuration,
/// the label its trust keys use, and the `guard hook codex` event. Codex
/// has no session end, subagent or failed-call events.
pub(super) const CODEX_EVENTS: [(&str, &str, &str); 4] = [
    ("PreToolUse", "pre_tool_use", "pre-tool-use"),
    ("PostToolUse", "post_tool_use", "post-tool-use"),
    (
        "UserPromptSubmit",
        "user_prompt_submit",
        "user-prompt-submit",
    ),
    ("SessionStart", "session_start", "session-start"),
];

/// How long Codex lets a hook run, in seconds (its default, written out:
/// the trust hash covers it).
const CODEX_TIMEOUT: u64 = 600;

/// Codex flags that register guard's hooks for every tool, as the
/// highest-precedence layer a user can set (`-c`), and mark them trusted
/// and enabled: Codex runs a hook from its configuration only once its
/// trust store holds that hook's hash, and a lower layer (the repository's
/// `.codex/config.toml`) could otherwise switch it off.
pub fn codex_args(guard: &Path) -> Vec<String> {
    let mut args = Vec::new();
    let mut states = toml::Table::new();
    for (name, label, event) in CODEX_EVENTS {
        let command = hook_command(guard, HookClient::Codex, event);
        let handler = toml::Table::from_iter([
            ("type".to_string(), toml::Value::from("command")),
            ("command".to_string(), toml::Value::from(command.as_str())),
            (
                "timeout".to_string(),
                toml::Value::from(CODEX_TIMEOUT as i64),
            ),
        ]);
        let group = toml::Table::from_iter([(
            "hooks".to_string(),
            toml::Value::Array(vec![toml::Value::Table(handler)]),
        )]);
        args.push("-c".to_string());
        args.push(format!("hooks.{name}=[{}]", inline(&group)));
        // One group with one handler: the key's two indices are 0.
        let key = format!("/<session-flags>/config.toml:{label}:0:0");
        let state = toml::Table::from_iter([
            ("enabled".to_string(), toml::Value::Boolean(true)),
            (
                "trusted_hash".to_string(),
                toml::Value::from(codex_trusted_hash(label, &command)),
            ),
        ]);
        states.insert(key, toml::Value::Table(state));
    }
    args.push("-c".to_string());
    args.push(format!("hooks.state={}", inline(&states)));
    args
}

/// `table` as a TOML inline table (how a `Value` renders, nested tables
/// included).
fn inline(table: &toml::Table) -> String {
    toml::Value::Table(table.clone()).to_string()
}

/// The hash Codex's hook trust store keeps for a command hook with no
/// matcher: SHA-256 of the hook's normalized identity as JSON with sorted
/// keys and no spaces (Codex's `version_for_toml` over its
/// `NormalizedHookIdentity`), as `sha256:HEX`.
pub(super) fn codex_trusted_hash(label: &str, command: &str) -> String {
    // serde_json's maps keep keys sorted.
    let identity = json!({
        "event_name": label,
        "hooks": [{
            "async": false,
            "command": command,
            "timeout": CODEX_TIMEOUT,
            "type": "command",
        }],
    });
    format!(
        "sha256:{}",
        crate::digest::sha256_hex(identity.to_string().as_bytes())
    )
}
