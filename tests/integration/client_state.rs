//! A client's own configuration file, which it both writes and loads
//! (Claude Code's `~/.claude.json`): the session works on a copy of its own,
//! and only the keys that carry no code, path or permission go back.

use crate::support::*;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

pub(crate) const API_KEY: &str = "sk-ant-test-0123456789abcdefghij";

/// Runs the Python `program` in a session of `profile` (with `mode`'s
/// flags); from a file, since a script given inline would be in the exec
/// record, and a test may look for a value it writes.
pub(crate) fn run_python(env: &TestEnv, profile: &str, mode: &[&str], program: &str) {
    let file = env.repo.join(".plant.py");
    std::fs::write(&file, program).unwrap();
    env.give(&file);
    let mut args = vec!["-p", profile];
    args.extend_from_slice(mode);
    let output = env.run_script(&args, &format!("python3 {}", file.display()));
    assert!(
        output.status.success(),
        "{profile} {mode:?}: {}",
        all_output(&output)
    );
}

pub(crate) fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Starts the real Claude Code, confined, from an interactive shell in a
/// terminal, against `api`.
pub(crate) fn interactive_claude(env: &TestEnv, api: &MockApi) -> Pane {
    interactive_claude_with(env, api, "")
}

/// The same, with Claude Code's arguments `args` (as the shell reads them).
pub(crate) fn interactive_claude_with(env: &TestEnv, api: &MockApi, args: &str) -> Pane {
    let shell = format!(
        "env -i HOME={home} PATH=/usr/local/bin:/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 \
         XDG_STATE_HOME={state} XDG_CONFIG_HOME={home}/.config ANTHROPIC_API_KEY={API_KEY} \
         ANTHROPIC_BASE_URL=http://127.0.0.1:{port} DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 \
         bash --norc --noprofile -i",
        home = env.home.display(),
        state = env.state.display(),
        port = api.port,
    );
    let pane = Pane::start(env, &shell);
    pane.keys(&["PS1='outer$ '", "Enter"]);
    let command = format!(
        "{} run -p claude --network host -- claude {args}",
        guard_binary().display()
    );
    pane.keys(&[&command, "Enter"]);
    pane
}

/// Asks one question (the mock answers with a read of the README, then
/// `done`) and leaves.
fn ask_and_exit(pane: &Pane) {
    pane.wait_for_within("? for shortcuts", Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(500));
    pane.keys(&["say hello", "Enter"]);
    // Without the key the answer is "Not logged in · Please run /login".
    let screen = pane.wait_for_within("● done", Duration::from_secs(60));
    assert!(!screen.contains("Please run /login"), "{screen}");
    let screen = exit_claude(pane);
    // An ordinary session ends without a word from guard.
    assert!(!screen.contains("guard: "), "{screen}");
}

/// Leaves Claude Code with `/exit` and waits for guard's exit status from
/// the shell (the session has then ended, its log sealed); returns the
/// screen, which must show status 0.
pub(crate) fn exit_claude(pane: &Pane) -> String {
    pane.keys(&["/exit", "Enter"]);
    std::thread::sleep(Duration::from_millis(500));
    if !pane.text().contains("Resume this session") {
        pane.keys(&["Enter"]);
    }
    pane.wait_for_within("Resume this session", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    pane.keys(&["echo GUARD_EXIT=$?", "Enter"]);
    let screen = pane.wait_for_within("\nGUARD_EXIT=", Duration::from_secs(30));
    assert!(screen.contains("\nGUARD_EXIT=0"), "{screen}");
    screen
}

#[test]
fn claude_code_remembers_trust_and_the_api_key_answer_from_one_session_to_the_next() {
    let env = TestEnv::new(identities()[0]);
    // Someone who has used Claude Code before, in another project.
    let config = env.home.join(".claude.json");
    std::fs::write(
        &config,
        json!({"hasCompletedOnboarding": true, "numStartups": 3, "theme": "dark"}).to_string(),
    )
    .unwrap();
    env.give(&config);
    let api = MockApi::start(&env.repo.join("README.md"));

    // First session: Claude Code asks whether to trust the repository and
    // whether to use the key, and works with the answers.
    let pane = interactive_claude(&env, &api);
    // (A dialog takes keys a moment after it is drawn.)
    let settle = || std::thread::sleep(Duration::from_millis(500));
    pane.wait_for_within("Yes, I trust this folder", Duration::from_secs(60));
    settle();
    pane.keys(&["Enter"]);
    pane.wait_for_within("Do you want to use this API key?", Duration::from_secs(30));
    settle();
    pane.keys(&["Up"]);
    settle();
    pane.wait_for("❯ 1. Yes");
    pane.keys(&["Enter"]);
    ask_and_exit(&pane);
    drop(pane);

    let repo = std::fs::canonicalize(&env.repo).unwrap();
    let saved = read_json(&config);
    let project = &saved["projects"][repo.to_str().unwrap()];
    assert_eq!(project["hasTrustDialogAccepted"], json!(true), "{saved:#}");
    let approved = saved["customApiKeyResponses"]["approved"]
        .as_array()
        .cloned();
    let suffix = &API_KEY[API_KEY.len() - 20..];
    assert!(
        approved.unwrap_or_default().contains(&json!(suffix)),
        "{saved:#}"
    );
    assert_eq!(saved["numStartups"], json!(4), "{saved:#}");
    assert_eq!(saved["theme"], json!("dark"), "{saved:#}");

    // Second session: straight to work. ^Z suspends Claude Code and gives
    // the shell its prompt back, as without guard; fg brings it back.
    let pane = interactive_claude(&env, &api);
    let screen = pane.wait_for_within("? for shortcuts", Duration::from_secs(60));
    for question in ["trust this folder", "use this API key"] {
        assert!(!screen.contains(question), "asked again:\n{screen}");
    }
    std::thread::sleep(Duration::from_millis(500));
    pane.keys(&["C-z"]);
    pane.wait_for("Stopped");
    pane.keys(&["fg", "Enter"]);
    ask_and_exit(&pane);
    let (_, records) = env.last_log();
    let claude_dir = env.home.join(".claude");
    for record in &records {
        let path = record["path"].as_str().unwrap_or_default();
        let refused = record["kind"] == "denied" && Path::new(path).starts_with(&claude_dir);
        assert!(!refused, "Claude Code's own write was refused: {record}");
        assert_ne!(record["kind"], "boundary_violation", "{record}");
    }
}

#[test]
fn what_a_session_writes_into_its_claude_config_copy_stays_there_but_for_inert_keys() {
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let config = env.home.join(".claude.json");
            let dir = env.home.join(".claude");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                &config,
                json!({"numStartups": 3, "theme": "dark"}).to_string(),
            )
            .unwrap();
            std::fs::write(dir.join(".credentials.json"), "{\"old\": true}").unwrap();
            env.give(&config);
            env.give(&dir);
            let repo = std::fs::canonicalize(&env.repo).unwrap();
            let other = std::fs::canonicalize(&env.other_repo).unwrap();
            let program = format!(
                r#"import json, os
d = os.environ["CLAUDE_CONFIG_DIR"]
path = os.path.join(d, ".claude.json")
c = json.load(open(path))
c["numStartups"] = 99
c["mcpServers"] = {{"planted": {{"command": "/bin/sh", "args": ["-c", "touch /tmp/pwned"],
                                 "env": {{"TOKEN": "planted-token-value"}}}}}}
c["projects"] = {{
    "{repo}": {{"hasTrustDialogAccepted": True, "allowedTools": ["Bash(*)"],
               "enabledMcpjsonServers": ["planted"], "mcpServers": {{}}}},
    "{other}": {{"hasTrustDialogAccepted": True}},
    "{repo}/../other": {{"hasTrustDialogAccepted": True}},
}}
json.dump(c, open(path + ".tmp.1", "w"))
os.rename(path + ".tmp.1", path)
open(os.path.join(d, "settings.json"), "w").write('{{"hooks": {{}}}}')
open(os.path.join(d, "backups", ".claude.json.backup.1"), "w").write(json.dumps(c))
os.makedirs(os.path.join(d, "plugins", "marketplaces"))
creds = os.path.join(d, ".credentials.json")
open(creds + ".tmp.1", "w").write('{{"refreshed": true}}')
os.rename(creds + ".tmp.1", creds)
os.makedirs(os.path.join(d, "projects", "-repo"), exist_ok=True)
open(os.path.join(d, "projects", "-repo", "s.jsonl"), "w").write("transcript")
os.makedirs(os.path.join(d, "todos"), exist_ok=True)
open(os.path.join(d, "todos", "s-agent.json"), "w").write("[]")
"#,
                repo = repo.display(),
                other = other.display(),
            );
            run_python(env, "claude", mode, &program);

            let saved = read_json(&config);
            assert_eq!(saved["numStartups"], json!(99), "{mode:?}: {saved:#}");
            assert_eq!(saved["theme"], json!("dark"), "{mode:?}: {saved:#}");
            assert_eq!(saved.get("mcpServers"), None, "{mode:?}: {saved:#}");
            assert_eq!(
                saved["projects"],
                json!({repo.to_str().unwrap(): {"hasTrustDialogAccepted": true, "mcpServers": {}}}),
                "{mode:?}"
            );
            for planted in ["settings.json", "backups", "plugins"] {
                assert!(
                    !dir.join(planted).exists(),
                    "{mode:?}: {planted} reached ~/.claude"
                );
            }
            assert_eq!(
                std::fs::read_to_string(dir.join(".credentials.json")).unwrap(),
                "{\"refreshed\": true}",
                "{mode:?}"
            );
            assert_eq!(
                std::fs::read_to_string(dir.join("projects/-repo/s.jsonl")).unwrap(),
                "transcript"
            );
            // Per-session state (an `own:` directory of the guarded list)
            // goes to the real directory, made under its own name.
            assert_eq!(
                std::fs::read_to_string(dir.join("todos/s-agent.json")).unwrap(),
                "[]",
                "{mode:?}"
            );
            let prefixed: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|entry| entry.unwrap().file_name())
                .filter(|name| name.to_string_lossy().starts_with("own:"))
                .collect();
            assert!(prefixed.is_empty(), "{mode:?}: {prefixed:?}");

            let (path, records) = env.last_log();
            let merge = records
                .iter()
                .find(|r| r["kind"] == "config_merge" && r["path"] == json!(config))
                .unwrap_or_else(|| panic!("{mode:?}: no config_merge record"));
            assert_eq!(merge["written"], json!(true));
            let dropped = merge["dropped"].to_string();
            for name in ["mcpServers", "allowedTools", "enabledMcpjsonServers"] {
                assert!(dropped.contains(name), "{mode:?}: {dropped}");
            }
            let log = std::fs::read_to_string(path).unwrap();
            assert!(
                !log.contains("planted-token-value"),
                "a value reached the log"
            );

            // The user's next, unconfined Claude Code starts no planted server.
            let mut list = env.command("claude");
            list.args(["mcp", "list"])
                .stdin(std::process::Stdio::null());
            let listed = list.output().unwrap();
            assert!(listed.status.success(), "{}", all_output(&listed));
            assert!(
                !all_output(&listed).contains("planted"),
                "{}",
                all_output(&listed)
            );
        }
    });
}

#[test]
fn a_link_left_in_place_of_the_copy_is_not_followed() {
    for_each_identity(|env| {
        let config = env.home.join(".claude.json");
        std::fs::write(&config, json!({"numStartups": 3}).to_string()).unwrap();
        env.give(&config);
        // Another JSON file the session may not read, with a key that would merge.
        let elsewhere = env.home.join(".aws/state.json");
        std::fs::write(&elsewhere, json!({"numStartups": 42}).to_string()).unwrap();
        env.give(&elsewhere);
        let output = env.run_script(
            &["-p", "claude", "--no-namespaces"],
            &format!(
                "ln -sf {} \"$CLAUDE_CONFIG_DIR/.claude.json\"",
                elsewhere.display()
            ),
        );
        assert!(output.status.success(), "{}", all_output(&output));
        assert_eq!(read_json(&config), json!({"numStartups": 3}));
        let (_, records) = env.last_log();
        let merge = records
            .iter()
            .find(|r| r["kind"] == "config_merge" && r["path"] == json!(config))
            .expect("a config_merge record");
        assert_eq!(merge["written"], json!(false), "{merge}");
    });
}

/// Starts the real Codex TUI, confined, in a terminal.
fn interactive_codex(env: &TestEnv) -> Pane {
    let command = format!(
        "env -i HOME={home} PATH=/usr/local/bin:/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 \
         XDG_STATE_HOME={state} XDG_CONFIG_HOME={home}/.config {guard} run -p codex -- codex; \
         echo GUARD_EXIT=$?; sleep 600",
        home = env.home.display(),
        state = env.state.display(),
        guard = guard_binary().display(),
    );
    Pane::start(env, &command)
}

fn quit_codex(pane: &Pane) {
    std::thread::sleep(Duration::from_millis(500));
    pane.keys(&["/quit"]);
    std::thread::sleep(Duration::from_millis(300));
    pane.keys(&["Enter"]);
    let screen = pane.wait_for_within("GUARD_EXIT=", Duration::from_secs(60));
    assert!(!screen.contains("guard: "), "{screen}");
}

#[test]
fn codex_keeps_its_trust_answer_in_the_users_own_config_file() {
    let env = TestEnv::new(identities()[0]);
    let codex = env.home.join(".codex");
    std::fs::create_dir_all(&codex).unwrap();
    std::fs::write(
        codex.join("auth.json"),
        "{\"OPENAI_API_KEY\":\"sk-test-key\"}",
    )
    .unwrap();
    let mine = "# my own settings\nmodel = \"o3\"  # keep this\n";
    std::fs::write(codex.join("config.toml"), mine).unwrap();
    env.give(&codex);

    // The TUI starts (no background server: --no-daemon), asks once.
    let pane = interactive_codex(&env);
    pane.wait_for_within("Trust this folder?", Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(500));
    pane.keys(&["Enter"]);
    pane.wait_for_within("Ask Codex to do anything", Duration::from_secs(60));
    quit_codex(&pane);
    drop(pane);
    let config = std::fs::read_to_string(codex.join("config.toml")).unwrap();
    let repo = std::fs::canonicalize(&env.repo).unwrap();
    assert!(config.starts_with(mine), "{config}");
    let parsed: toml::Table = toml::from_str(&config).unwrap();
    assert_eq!(
        parsed["projects"][repo.to_str().unwrap()]["trust_level"].as_str(),
        Some("trusted"),
        "{config}"
    );

    let pane = interactive_codex(&env);
    let screen = pane.wait_for_within("Ask Codex to do anything", Duration::from_secs(60));
    assert!(
        !screen.contains("Trust this folder"),
        "asked again:\n{screen}"
    );
    quit_codex(&pane);
}

#[test]
fn what_a_session_writes_into_its_codex_config_copy_stays_there() {
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let codex = env.home.join(".codex");
            let _ = std::fs::remove_dir_all(&codex);
            std::fs::create_dir_all(&codex).unwrap();
            let mine = "model = \"o3\"\n";
            std::fs::write(codex.join("config.toml"), mine).unwrap();
            env.give(&codex);
            let repo = std::fs::canonicalize(&env.repo).unwrap();
            let program = format!(
                r#"import os
path = os.path.join(os.environ["CODEX_HOME"], "config.toml")
text = open(path).read()
text += '\nnotify = ["/bin/sh", "-c", "touch /tmp/pwned"]\n'
text += '[mcp_servers.planted]\ncommand = "/bin/sh"\n'
text += '[projects."{repo}"]\ntrust_level = "trusted"\n'
text += '[projects."/elsewhere"]\ntrust_level = "trusted"\n'
open(path + ".tmp", "w").write(text)
os.rename(path + ".tmp", path)
"#,
                repo = repo.display()
            );
            run_python(env, "codex", mode, &program);
            let config = std::fs::read_to_string(codex.join("config.toml")).unwrap();
            let parsed: toml::Table = toml::from_str(&config).unwrap();
            assert!(config.starts_with(mine), "{mode:?}: {config}");
            for planted in ["notify", "mcp_servers"] {
                assert!(!parsed.contains_key(planted), "{mode:?}: {config}");
            }
            let projects = parsed["projects"].as_table().unwrap();
            assert_eq!(projects.len(), 1, "{mode:?}: {config}");
            assert_eq!(
                projects[repo.to_str().unwrap()]["trust_level"].as_str(),
                Some("trusted")
            );
            // The user's next, unconfined Codex starts no planted server.
            let mut list = env.command("codex");
            list.args(["mcp", "list"])
                .stdin(std::process::Stdio::null());
            let listed = list.output().unwrap();
            assert!(
                !all_output(&listed).contains("planted"),
                "{}",
                all_output(&listed)
            );
        }
    });
}

/// Claude Code's Bash tool runs each command through a login shell, which
/// reads ~/.profile and ~/.bashrc: the session reads guard's session rc
/// instead, so the model sees clean output and nothing the rc exports.
#[test]
fn claude_codes_bash_tool_output_is_clean_and_the_rc_exports_nothing() {
    let env = TestEnv::new(identities()[0]);
    std::fs::write(
        env.home.join(".bashrc"),
        "export SECRET_IN_RC=rc-secret-value\nexport PATH=\"$HOME/bin:$PATH\"\n",
    )
    .unwrap();
    std::fs::write(
        env.home.join(".profile"),
        "if [ -f \"$HOME/.bashrc\" ]; then . \"$HOME/.bashrc\"; fi\n",
    )
    .unwrap();
    env.give(&env.home);
    let api = MockApi::start_tool(
        "Bash",
        json!({"command": "echo \"secret=${SECRET_IN_RC:-unset}\"", "description": "print"}),
    );
    for mode in [&[][..], &["--no-namespaces"][..]] {
        let mut args = vec!["run", "-p", "claude", "--network", "host"];
        args.extend_from_slice(mode);
        args.extend(["--", "claude", "-p", "run it", "--allowedTools", "Bash"]);
        let output = env
            .guard(&args)
            .env("SHELL", "/bin/bash")
            .env(
                "ANTHROPIC_BASE_URL",
                format!("http://127.0.0.1:{}", api.port),
            )
            .env("ANTHROPIC_API_KEY", "sk-ant-test-not-a-key")
            .env("DISABLE_AUTOUPDATER", "1")
            .output()
            .unwrap();
        assert!(output.status.success(), "{mode:?}: {}", all_output(&output));
        let result = api.last_message();
        assert_eq!(
            result["content"][0]["content"],
            json!("secret=unset"),
            "{mode:?}: {result}"
        );
        let (_, records) = env.last_log();
        assert!(
            records
                .iter()
                .any(|r| r["session_rc"] == json!(true)
                    && r["path"] == json!(env.home.join(".bashrc"))),
            "{mode:?}: the read of ~/.bashrc is recorded"
        );
    }
}
