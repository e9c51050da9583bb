//! Gemini CLI: guard's hooks laid over the user's settings in the
//! session's stand-in for `~/.gemini`, and the repository settings that
//! would switch them off.

use super::{HookClient, hook_command};
use serde_json::json;
use std::path::Path;

/// Gemini CLI's hook events guard registers, and the `guard hook gemini`
/// event that answers each (named as Claude Code names them).
const GEMINI_EVENTS: [(&str, &str); 5] = [
    ("BeforeTool", "pre-tool-use"),
    ("AfterTool", "post-tool-use"),
    ("BeforeAgent", "user-prompt-submit"),
    ("SessionStart", "session-start"),
    ("SessionEnd", "session-end"),
];

/// Gemini CLI settings, laid over the user's own in the session's copy,
/// that register guard's hooks for every tool and turn hooks on. Each hook
/// has a name of this session's (`nonce`): Gemini CLI switches a hook off
/// by name (`hooksConfig.disabled`, merged from every settings file,
/// the repository's included), and no file written before the session
/// can name it.
pub fn gemini_settings(guard: &Path, nonce: &str) -> serde_json::Value {
    let hooks: serde_json::Map<String, serde_json::Value> = GEMINI_EVENTS
        .iter()
        .map(|(name, event)| {
            let handler = json!({
                "type": "command",
                "name": format!("guard {event} {nonce}"),
                "command": hook_command(guard, HookClient::Gemini, event),
            });
            (
                name.to_string(),
                json!([{"matcher": "*", "hooks": [handler]}]),
            )
        })
        .collect();
    json!({"hooksConfig": {"enabled": true}, "hooks": hooks})
}

/// Why the repository's own Gemini CLI settings (`.gemini/settings.json`,
/// `text`) would switch guard's hooks off, if they would: Gemini CLI lets a
/// trusted folder's settings override the user's, `hooksConfig.enabled`
/// included. Settings that mention `hooksConfig` but cannot be read as JSON
/// (with comments) are taken to: guard cannot tell.
pub fn gemini_workspace_turns_hooks_off(text: &str) -> Option<&'static str> {
    if !text.contains("hooksConfig") {
        return None;
    }
    let Ok(value) = crate::jsonc::parse(text) else {
        return Some("it mentions hooksConfig and is not JSON guard can read");
    };
    (value["hooksConfig"]["enabled"] == false).then_some("it sets hooksConfig.enabled = false")
}
