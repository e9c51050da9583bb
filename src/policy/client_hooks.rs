//! guard's hooks, registered with a session's client for that session
//! alone: which clients guard speaks to, and the exact text that registers
//! its hooks with each (Claude Code's settings file, Codex's `-c` flags,
//! the settings in Gemini CLI's per-session stand-in). The user's own
//! configuration files stay as they are.

use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};

/// A client whose hooks guard registers and answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// Claude Code's hook events guard registers, and the `guard hook claude`
/// event that answers each.
const CLAUDE_EVENTS: [(&str, &str); 8] = [
    ("PreToolUse", "pre-tool-use"),
    ("PostToolUse", "post-tool-use"),
    ("PostToolUseFailure", "post-tool-use-failure"),
    ("UserPromptSubmit", "user-prompt-submit"),
    ("SessionStart", "session-start"),
    ("SessionEnd", "session-end"),
    ("SubagentStart", "subagent-start"),
    ("SubagentStop", "subagent-stop"),
];

/// Codex's hook events guard registers: its name in the configuration,
/// the label its trust keys use, and the `guard hook codex` event. Codex
/// has no session end, subagent or failed-call events.
const CODEX_EVENTS: [(&str, &str, &str); 4] = [
    ("PreToolUse", "pre_tool_use", "pre-tool-use"),
    ("PostToolUse", "post_tool_use", "post-tool-use"),
    (
        "UserPromptSubmit",
        "user_prompt_submit",
        "user-prompt-submit",
    ),
    ("SessionStart", "session_start", "session-start"),
];

/// Gemini CLI's hook events guard registers, and the `guard hook gemini`
/// event that answers each (named as Claude Code names them).
const GEMINI_EVENTS: [(&str, &str); 5] = [
    ("BeforeTool", "pre-tool-use"),
    ("AfterTool", "post-tool-use"),
    ("BeforeAgent", "user-prompt-submit"),
    ("SessionStart", "session-start"),
    ("SessionEnd", "session-end"),
];

/// How long Codex lets a hook run, in seconds (its default, written out:
/// the trust hash covers it).
const CODEX_TIMEOUT: u64 = 600;

/// The shell command that runs `guard hook CLIENT EVENT` (the clients run
/// hook commands through a shell: the path goes in single quotes).
fn hook_command(guard: &Path, client: HookClient, event: &str) -> String {
    let quoted = format!("'{}'", guard.to_string_lossy().replace('\'', "'\\''"));
    format!("{quoted} hook {} {event}", client.name())
}

/// Claude Code settings that register guard's hooks for every tool: what
/// `guard run -- claude` hands the session's Claude Code with `--settings`,
/// laid over the settings the user passed with their own `--settings`.
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
    overlay(&mut settings, &json!({ "hooks": hooks }));
    settings.to_string()
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
fn codex_trusted_hash(label: &str, command: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_trust_hashes_match_what_codex_accepted() {
        // The hash a real Codex 0.171 run accepted for this hook (it ran).
        assert_eq!(
            codex_trusted_hash(
                "pre_tool_use",
                "'/usr/local/bin/guard' hook codex pre-tool-use"
            ),
            "sha256:6add1c742cb7387a8767151fdb6e4e7dadaf5e5ede12ef134052c1793803e799"
        );
    }

    #[test]
    fn codex_flags_register_every_event_trusted_and_enabled() {
        let args = codex_args(Path::new("/opt/it's/guard"));
        let flags: Vec<&String> = args.iter().skip(1).step_by(2).collect();
        assert!(args.iter().step_by(2).all(|flag| flag == "-c"));
        assert_eq!(flags.len(), CODEX_EVENTS.len() + 1);
        // Each flag is `KEY=VALUE` with VALUE a TOML value: as Codex reads it.
        for flag in &flags {
            let (key, value) = flag.split_once('=').unwrap();
            let parsed: toml::Table = toml::from_str(&format!("v = {value}")).unwrap();
            if key == "hooks.state" {
                let states = parsed["v"].as_table().unwrap();
                assert_eq!(states.len(), CODEX_EVENTS.len());
                let state = &states["/<session-flags>/config.toml:pre_tool_use:0:0"];
                assert_eq!(state["enabled"].as_bool(), Some(true));
                let command = "'/opt/it'\\''s/guard' hook codex pre-tool-use";
                assert_eq!(
                    state["trusted_hash"].as_str().unwrap(),
                    codex_trusted_hash("pre_tool_use", command)
                );
            } else {
                let handler = &parsed["v"][0]["hooks"][0];
                assert!(
                    handler["command"]
                        .as_str()
                        .unwrap()
                        .starts_with("'/opt/it'\\''s/guard' hook codex ")
                );
                assert_eq!(handler["timeout"].as_integer(), Some(600));
            }
        }
    }

    #[test]
    fn the_users_own_claude_settings_are_taken_in() {
        let args: Vec<String> = ["-p", "hi", "--settings", "my.json", "--", "--settings", "x"]
            .map(String::from)
            .to_vec();
        assert_eq!(user_settings(&args).as_deref(), Some("my.json"));
        assert_eq!(
            without_user_settings(&args),
            ["-p", "hi", "--", "--settings", "x"]
        );
        let inline: Vec<String> = vec!["--settings={\"a\":1}".into()];
        assert_eq!(user_settings(&inline).as_deref(), Some("{\"a\":1}"));
        assert!(without_user_settings(&inline).is_empty());
        assert_eq!(user_settings(&["--".into(), "--settings".into()]), None);
        let user = json!({"model": "x", "hooks": {"PreToolUse": [{"matcher": "Bash"}]}});
        let merged: serde_json::Value =
            serde_json::from_str(&claude_settings(Path::new("/g"), Some(&user))).unwrap();
        assert_eq!(merged["model"], "x");
        let pre = merged["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 2);
        assert_eq!(
            pre[1]["hooks"][0]["command"],
            "'/g' hook claude pre-tool-use"
        );
    }

    #[test]
    fn claude_settings_run_guard_for_every_event() {
        let settings: serde_json::Value =
            serde_json::from_str(&claude_settings(Path::new("/usr/bin/guard"), None)).unwrap();
        assert_eq!(
            settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
            "'/usr/bin/guard' hook claude pre-tool-use"
        );
        assert_eq!(
            settings["hooks"].as_object().unwrap().len(),
            CLAUDE_EVENTS.len()
        );
    }
}
