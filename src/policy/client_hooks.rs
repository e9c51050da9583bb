//! guard's hooks, registered with a session's client for that session
//! alone: which clients guard speaks to, and the exact text that registers
//! its hooks with each (Claude Code's settings file, Codex's `-c` flags,
//! the settings in Gemini CLI's per-session stand-in). The user's own
//! configuration files stay as they are.

mod claude;
mod codex;
mod gemini;

pub use claude::{claude_settings, user_settings, without_user_settings};
pub use codex::codex_args;
pub use gemini::{gemini_settings, gemini_workspace_turns_hooks_off};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A client whose hooks guard registers and answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookClient {
    /// Claude Code: `--settings FILE`; a pre-call hook may ask the user.
    Claude,
    /// Codex: `-c hooks.…` flags, pre-trusted; a pre-call hook can only
    /// allow or refuse (Codex takes `ask` as an invalid answer and runs the
    /// call), so guard refuses what it would ask about.
    Codex,
    /// Gemini CLI: user settings in the session's stand-in for `~/.gemini`
    /// (`GEMINI_CLI_HOME`); its own tool names and hook wire format.
    Gemini,
}

impl HookClient {
    /// The client run by the program named `name`, if guard speaks to it.
    pub fn for_program(name: &str) -> Option<HookClient> {
        match name {
            "claude" => Some(HookClient::Claude),
            "codex" => Some(HookClient::Codex),
            "gemini" => Some(HookClient::Gemini),
            _ => None,
        }
    }

    /// Its name, as the profile and `guard hook CLIENT` write it.
    pub fn name(self) -> &'static str {
        match self {
            HookClient::Claude => "claude",
            HookClient::Codex => "codex",
            HookClient::Gemini => "gemini",
        }
    }

    /// Whether its pre-call hook can put a call to the user.
    pub fn can_ask(self) -> bool {
        self != HookClient::Codex
    }

    /// Its name as the user reads it.
    pub fn display_name(self) -> &'static str {
        match self {
            HookClient::Claude => "Claude Code",
            HookClient::Codex => "Codex",
            HookClient::Gemini => "Gemini CLI",
        }
    }

    /// For a client that reads its hooks from its settings in a stand-in:
    /// the stand-in's variable and the copy's name.
    pub fn settings_copy(self) -> Option<(&'static str, &'static str)> {
        match self {
            HookClient::Gemini => Some(("GEMINI_CLI_HOME", "settings.json")),
            _ => None,
        }
    }
}

/// guard's hook adapters, registered for one session of a client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientHooks {
    /// The client.
    pub client: HookClient,
    /// The settings file guard writes and the client is pointed at
    /// (readable, not writable, by the session), for a client that takes
    /// its hooks from a file (Claude Code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<PathBuf>,
    /// The guard binary its hooks run.
    pub guard: PathBuf,
    /// The settings the user passed to Claude Code themselves (`--settings
    /// FILE-OR-JSON`), which guard's settings file takes in: Claude Code
    /// reads one `--settings`, and the last one given wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_settings: Option<String>,
}

impl ClientHooks {
    /// The arguments put before the user's own that register guard's hooks.
    pub fn command_args(&self) -> Vec<String> {
        match (self.client, &self.settings) {
            (HookClient::Claude, Some(settings)) => vec![
                "--settings".to_string(),
                settings.to_string_lossy().into_owned(),
            ],
            (HookClient::Codex, _) => codex_args(&self.guard),
            (HookClient::Claude, None) | (HookClient::Gemini, _) => Vec::new(),
        }
    }
}

/// The shell command that runs `guard hook CLIENT EVENT` (the clients run
/// hook commands through a shell: the path goes in single quotes).
fn hook_command(guard: &Path, client: HookClient, event: &str) -> String {
    let quoted = format!("'{}'", guard.to_string_lossy().replace('\'', "'\\''"));
    format!("{quoted} hook {} {event}", client.name())
}

/// Lays `top` over `base`: objects merged key by key, arrays appended to,
/// anything else replaced.
pub fn overlay(base: &mut serde_json::Value, top: &serde_json::Value) {
    use serde_json::Value;
    match (base, top) {
        (Value::Object(base), Value::Object(top)) => {
            for (key, value) in top {
                match base.get_mut(key) {
                    Some(existing) => overlay(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(base), Value::Array(top)) => base.extend(top.iter().cloned()),
        (base, top) => *base = top.clone(),
    }
}

#[cfg(test)]
mod tests;
