//! What registers guard's hooks with each client.

use super::claude::CLAUDE_EVENTS;
use super::codex::{CODEX_EVENTS, codex_trusted_hash};
use super::*;
use serde_json::json;

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
fn a_repository_that_turns_gemini_hooks_off_is_found() {
    let off =
        "{\n  // mine\n  \"hooksConfig\": { /* no */ \"enabled\": false },\n  \"x\": \"a // b\"\n}";
    assert!(gemini_workspace_turns_hooks_off(off).is_some());
    assert!(gemini_workspace_turns_hooks_off("{\"hooksConfig\": {\"enabled\": true}}").is_none());
    assert!(gemini_workspace_turns_hooks_off("{\"model\": \"x\"}").is_none());
    assert!(gemini_workspace_turns_hooks_off("{\"hooksConfig\": ").is_some());
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
    let user = json!({"model": "x", "hooks": {"PreToolUse": [{"matcher": "Bash"}]},
                      "sandbox": {"enabled": true, "autoAllowBashIfSandboxed": true}});
    let merged: serde_json::Value =
        serde_json::from_str(&claude_settings(Path::new("/g"), Some(&user))).unwrap();
    assert_eq!(merged["model"], "x");
    // Claude Code's own sandbox cannot start in a session: guard's is the one.
    assert_eq!(merged["sandbox"]["enabled"], false);
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
