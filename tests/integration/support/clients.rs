//! The clients' side of the fixture: stand-in APIs for the real clients to
//! talk to, and terminals to drive them in.

use super::*;

/// A stand-in API on loopback: the Anthropic Messages one
/// (`tests/fixtures/mock_anthropic.py`) or the OpenAI Responses one
/// (`tests/fixtures/mock_openai.py`); killed on drop.
pub struct MockApi {
    child: std::process::Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl MockApi {
    /// Starts it, answering with a `Read` of `file`.
    pub fn start(file: &std::path::Path) -> MockApi {
        MockApi::start_tool("Read", serde_json::json!({"file_path": file}))
    }

    /// Starts the Anthropic one, answering with a call of `tool` with `input`.
    pub fn start_tool(tool: &str, input: serde_json::Value) -> MockApi {
        MockApi::spawn("mock_anthropic.py", &[&input.to_string(), tool])
    }

    /// Starts the Anthropic one, whose model makes `calls` (each
    /// `{"name": TOOL, "input": {...}}`) one after the other, then answers.
    pub fn scripted(calls: serde_json::Value) -> MockApi {
        MockApi::spawn("mock_anthropic.py", &[&calls.to_string()])
    }

    /// Starts the OpenAI Responses one, answering every request with `reply`.
    pub fn responses(reply: &str) -> MockApi {
        MockApi::spawn("mock_openai.py", &[reply])
    }

    /// Starts the OpenAI Responses one, whose model makes one call of
    /// Codex's `exec` tool per JavaScript source in `calls`, one after the
    /// other, then answers `reply`.
    pub fn responses_scripted(calls: &[String], reply: &str) -> MockApi {
        let calls = serde_json::to_string(calls).unwrap();
        MockApi::spawn("mock_openai.py", &[reply, &calls])
    }

    /// `python3 tests/fixtures/SCRIPT PORT_FILE LOG_FILE ARGS…`, once it listens.
    fn spawn(script: &str, args: &[&str]) -> MockApi {
        let dir = tempfile::tempdir().unwrap();
        let (port_file, log) = (dir.path().join("port"), dir.path().join("requests.jsonl"));
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(script);
        let child = std::process::Command::new("python3")
            .arg(script)
            .arg(&port_file)
            .arg(&log)
            .args(args)
            .spawn()
            .unwrap();
        assert!(
            wait_until(|| port_file.exists(), std::time::Duration::from_secs(20)),
            "the mock API did not start"
        );
        let port = std::fs::read_to_string(&port_file)
            .unwrap()
            .parse()
            .unwrap();
        MockApi {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// What Claude Code sent back after the tool call: the last request's
    /// last message.
    pub fn last_message(&self) -> serde_json::Value {
        self.last_request()["messages"]
            .as_array()
            .and_then(|m| m.last())
            .cloned()
            .unwrap_or_default()
    }
}

impl MockApi {
    /// The last request the client sent, as the Anthropic stand-in logged
    /// it (`path`, `authorization`, `body`).
    fn last_logged(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        serde_json::from_str(text.lines().last().unwrap_or("{}")).unwrap()
    }

    /// The body of the last request the client sent.
    fn last_request(&self) -> serde_json::Value {
        serde_json::from_str(self.last_logged()["body"].as_str().unwrap_or("{}")).unwrap()
    }

    /// The Authorization header of the last request to the Anthropic
    /// stand-in, if it had one.
    pub fn last_authorization(&self) -> Option<String> {
        self.last_logged()["authorization"]
            .as_str()
            .map(str::to_string)
    }

    /// The Authorization and OpenAI-Organization headers of the last
    /// request to the OpenAI stand-in, where it had them.
    pub fn last_headers(&self) -> (Option<String>, Option<String>) {
        let logged = self.last_logged();
        let header = |name: &str| logged[name].as_str().map(str::to_string);
        (header("authorization"), header("organization"))
    }

    /// Starts the Gemini one, whose model makes `calls` (each `{"name":
    /// TOOL, "args": {...}}`) one per turn, then answers `reply`.
    pub fn gemini_scripted(calls: serde_json::Value, reply: &str) -> MockApi {
        MockApi::spawn("mock_gemini.py", &[reply, &calls.to_string()])
    }

    /// Every function response Gemini CLI sent back, in order (from its
    /// last chat request, which carries the whole conversation).
    pub fn function_responses(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let last_chat = text
            .lines()
            .rev()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|line| line["path"].as_str().is_some_and(|p| p.contains("alt=sse")))
            .and_then(|line| serde_json::from_str(line["body"].as_str()?).ok())
            .unwrap_or(serde_json::Value::Null);
        last_chat["contents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|content| content["parts"].as_array())
            .flatten()
            .filter_map(|part| part.get("functionResponse"))
            .map(|response| response["response"].clone())
            .collect()
    }

    /// The text of every tool output Codex sent back, in order (from its
    /// last request, which carries the whole conversation).
    pub fn tool_outputs(&self) -> Vec<String> {
        self.last_request()["input"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|item| item["type"] == "custom_tool_call_output")
            .map(|item| item["output"].to_string())
            .collect()
    }

    /// Every tool result the client sent back, in order (from its last
    /// request, which carries the whole conversation).
    pub fn tool_results(&self) -> Vec<serde_json::Value> {
        self.last_request()["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|message| message["content"].as_array())
            .flatten()
            .filter(|block| block["type"] == "tool_result")
            .cloned()
            .collect()
    }
}

impl Drop for MockApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `timeout 180 guard run -p PROFILE --network host --`, for a real client
/// against a stand-in API on loopback; its command and environment follow.
pub fn confined(env: &TestEnv, profile: &str) -> Command {
    let guard = guard_binary().to_str().unwrap();
    let mut command = env.command("timeout");
    command.args([
        "180",
        guard,
        "run",
        "-p",
        profile,
        "--network",
        "host",
        "--",
    ]);
    command.stdin(std::process::Stdio::null());
    command
}

/// `guard run -p PROFILE --network host -- claude -p PROMPT --output-format
/// json ARGS…`, against `api` (the real Claude Code, offline).
pub fn confined_claude(
    env: &TestEnv,
    profile: &str,
    api: &MockApi,
    prompt: &str,
    args: &[&str],
) -> std::process::Output {
    let mut command = confined(env, profile);
    command
        .args(["claude", "-p", prompt, "--output-format", "json"])
        .args(args);
    claude_against(&mut command, api).output().unwrap()
}

/// `command`, a run of Claude Code, against `api`: the stand-in's address,
/// a test key, no telemetry, no update, nothing on standard input.
pub fn claude_against<'a>(command: &'a mut Command, api: &MockApi) -> &'a mut Command {
    command
        .env(
            "ANTHROPIC_BASE_URL",
            format!("http://127.0.0.1:{}", api.port),
        )
        .env("ANTHROPIC_API_KEY", "sk-ant-test-not-a-key")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .stdin(std::process::Stdio::null())
}

/// A detached tmux session running one command, on a tmux server of its
/// own, killed on drop.
pub struct Pane {
    /// The tmux session's name.
    pub name: String,
}

impl Pane {
    /// Starts `command` in the repository, on a 120x30 terminal.
    pub fn start(env: &TestEnv, command: &str) -> Pane {
        static PANES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let number = PANES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("guard-test-{}-{number}", std::process::id());
        let status = Command::new("tmux")
            .args(["-L", &name])
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "120",
                "-y",
                "30",
                "-c",
            ])
            .arg(&env.repo)
            .arg(command)
            .status()
            .unwrap();
        assert!(status.success(), "tmux new-session");
        Pane { name }
    }

    /// A tmux command for this pane's own server (one server per pane, so
    /// that panes of tests running side by side never share one that is
    /// shutting down).
    pub fn tmux(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.name]);
        command
    }

    /// Types `keys` (tmux key names).
    pub fn keys(&self, keys: &[&str]) {
        let status = self
            .tmux()
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// What the pane shows.
    pub fn text(&self) -> String {
        let output = self
            .tmux()
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the pane shows `needle` (10 s at most).
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_for_within(needle, Duration::from_secs(10))
    }

    /// Waits until the pane shows `needle`, `limit` at most.
    pub fn wait_for_within(&self, needle: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if text.contains(needle) {
                return text;
            }
            assert!(start.elapsed() < limit, "never saw {needle:?} in:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}
