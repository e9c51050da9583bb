//! `guard hook claude|codex|gemini EVENT`: the clients' hook protocols on
//! stdin and stdout, judged by [`crate::hooks::claude`] and, inside a
//! supervised session, by guard over the session's channel. Codex speaks
//! Claude Code's protocol (the same input fields, tool names `Bash` and the
//! MCP tools', the same `permissionDecision` output) with one tool of its
//! own (`apply_patch`) and without `ask`. Gemini CLI's input is read in
//! Claude Code's terms ([`crate::hooks::gemini`]) and answered in its own
//! format.
//!
//! Exit status follows the clients: 0 with JSON on stdout is a decision; 2
//! blocks the call with stderr as the reason (used when the input or the
//! session's rules cannot be read, and on a panic: the adapter fails
//! closed); 1 is an error shown to the user, for the post-call scan, which
//! cannot undo a call.

use super::CommandError;
use crate::cli::ClientHookEvent;
use crate::exit::ExitCode;
use crate::hooks::claude::{self, Judge, ToolCall};
use crate::policy::{HookClient, HostView, SessionRules};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Hook input larger than this is refused.
const MAX_INPUT: u64 = 64 * 1024 * 1024;
/// Claude Code's exit status for "blocked, stderr is the reason".
const BLOCK: ExitCode = ExitCode(2);

/// Reads one hook call of `client` from stdin and answers it.
pub fn client_hook(client: HookClient, event: ClientHookEvent) -> Result<ExitCode, CommandError> {
    if event == ClientHookEvent::PreToolUse {
        fail_closed_on_panic();
    }
    let mut input = String::new();
    let read = std::io::stdin().take(MAX_INPUT).read_to_string(&mut input);
    // Gemini CLI's input, in the terms of Claude Code's that the rest reads.
    if client == HookClient::Gemini
        && let Ok(value) = serde_json::from_str::<Value>(&input)
    {
        input = crate::hooks::gemini::as_claude_input(&value).to_string();
    }
    if event.is_lifecycle() {
        return Ok(read
            .map_err(|e| e.to_string())
            .and_then(|_| lifecycle(event, &input))
            .unwrap_or_else(|error| {
                eprintln!("guard: {error}");
                ExitCode::CHECK_FAILED
            }));
    }
    if event == ClientHookEvent::UserPromptSubmit {
        return Ok(read
            .map_err(|e| e.to_string())
            .and_then(|_| user_prompt_submit(&input))
            .unwrap_or_else(|error| {
                // Never in the way of the user's prompt: shown, not blocking.
                eprintln!("guard: {error}");
                ExitCode::CHECK_FAILED
            }));
    }
    let call = read
        .map_err(|e| format!("the hook input could not be read: {e}"))
        .and_then(|_| ToolCall::parse(&input).map_err(|refused| refused.to_string()));
    let call = match call {
        Ok(call) => call,
        Err(error) => return Ok(failed(event, &error)),
    };
    // Inside a supervised session guard itself decides, over the session's
    // channel, with the trust state it keeps.
    if let Some(channel) = crate::channel::from_env() {
        return Ok(match event {
            ClientHookEvent::PreToolUse => pre_tool_use_by_guard(client, &channel, &call, &input),
            ClientHookEvent::PostToolUse | ClientHookEvent::PostToolUseFailure => {
                post_tool_use_by_guard(client, &channel, &call, &input)
            }
            _ => ExitCode::SUCCESS,
        });
    }
    match event {
        ClientHookEvent::PreToolUse => pre_tool_use(client, &call),
        ClientHookEvent::PostToolUse | ClientHookEvent::PostToolUseFailure => {
            post_tool_use(client, &call)
        }
        // Answered before the input was read as a tool call.
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// A panic in the pre-call hook blocks the call: both clients run a call
/// whose hook exits with any status but 0 or 2.
fn fail_closed_on_panic() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("guard: the hook failed ({info}); the call is refused");
        std::process::exit(BLOCK.0);
    }));
}

/// What the pre-call hook prints to decide a call, in `client`'s format.
fn decision_output(client: HookClient, decision: &str, reason: &str) -> Value {
    match client {
        HookClient::Gemini => crate::hooks::gemini::decision_output(decision, reason),
        HookClient::Claude | HookClient::Codex => claude::decision_output(decision, reason),
    }
}

/// What the post-call hook prints when the result is untrusted.
fn untrusted_output(client: HookClient, message: &str) -> Value {
    match client {
        HookClient::Gemini => crate::hooks::gemini::untrusted_output(message),
        HookClient::Claude | HookClient::Codex => claude::untrusted_output(message),
    }
}

/// The hook could not judge: block before the call, report after it.
fn failed(event: ClientHookEvent, error: &str) -> ExitCode {
    eprintln!("guard: {error}");
    match event {
        ClientHookEvent::PreToolUse => BLOCK,
        _ => ExitCode::CHECK_FAILED,
    }
}

/// Reports the client's session or a subagent starting or ending.
fn lifecycle(event: ClientHookEvent, input: &str) -> Result<ExitCode, String> {
    let value: Value =
        serde_json::from_str(input).map_err(|e| format!("the hook input is not JSON: {e}"))?;
    let hook = match event {
        ClientHookEvent::SessionStart => "session-start",
        ClientHookEvent::SessionEnd => "session-end",
        ClientHookEvent::SubagentStart => "subagent-start",
        _ => "subagent-stop",
    };
    report(&json!({
        "hook": hook,
        "client_session": value["session_id"],
        "source": value["source"],
        "model": value["model"],
        "reason": value["reason"],
        "agent_id": value["agent_id"],
        "agent_type": value["agent_type"],
    }));
    Ok(ExitCode::SUCCESS)
}

/// The longest prompt text a report keeps (beyond: cut, and said so).
const MAX_PROMPT_TEXT: usize = 64 * 1024;

/// Reports the user's prompt for the session's log, as the session's rules
/// say (full, digest or nothing); the prompt goes on to the model.
fn user_prompt_submit(input: &str) -> Result<ExitCode, String> {
    let value: Value =
        serde_json::from_str(input).map_err(|e| format!("the hook input is not JSON: {e}"))?;
    let prompt = value["prompt"]
        .as_str()
        .ok_or("the hook input has no `prompt`")?;
    let Some(rules_file) = std::env::var_os(crate::launch::RULES_VAR) else {
        return Ok(ExitCode::SUCCESS);
    };
    let session = load_rules(Path::new(&rules_file))?;
    let digest = crate::digest::sha256_hex(prompt.as_bytes());
    let text = match session.prompts {
        crate::policy::PromptLogging::None => return Ok(ExitCode::SUCCESS),
        crate::policy::PromptLogging::Digest => Value::Null,
        crate::policy::PromptLogging::Full => {
            let mut end = prompt.len().min(MAX_PROMPT_TEXT);
            while !prompt.is_char_boundary(end) {
                end -= 1;
            }
            Value::from(&prompt[..end])
        }
    };
    report(&json!({
        "hook": crate::launch::PROMPT_HOOK,
        "prompt": text,
        "prompt_sha256": digest,
        "prompt_bytes": prompt.len(),
    }));
    Ok(ExitCode::SUCCESS)
}

/// The sandbox's refusal of `call`, if it would refuse it; `Err` if the
/// session's rules cannot be read.
fn sandbox_refusal(call: &ToolCall) -> Result<Option<claude::Refusal>, String> {
    let Some(rules_file) = std::env::var_os(crate::launch::RULES_VAR) else {
        return Ok(None);
    };
    let session = load_rules(Path::new(&rules_file))?;
    let host = crate::policy::RealHost::from_process();
    let path_var = std::env::var("PATH").unwrap_or_default();
    let find = |name: &str| host.find_program(name, &path_var);
    Ok(Judge::new(&session, &find).pre_tool_use(call))
}

/// Before a call, in a supervised session: the sandbox's refusal, if any,
/// goes to guard with the call; guard's answer (allow, ask the user, deny)
/// is the decision, and guard records it. Fails closed.
fn pre_tool_use_by_guard(
    client: HookClient,
    channel: &Path,
    call: &ToolCall,
    input: &str,
) -> ExitCode {
    let refusal = match sandbox_refusal(call) {
        Ok(refusal) => refusal,
        Err(error) => return failed(ClientHookEvent::PreToolUse, &error),
    };
    let request = json!({
        "op": "pre-tool-use",
        "client": client,
        "input": serde_json::from_str::<Value>(input).unwrap_or_default(),
        "sandbox_refusal": refusal.as_ref().map(|r| json!({
            "reason": r.reason,
            "path": r.path.as_ref().map(|p| p.to_string_lossy()),
            "program": r.program,
        })),
    });
    let answer = match crate::channel::request(channel, &request) {
        Ok(answer) => answer,
        Err(error) => return failed(ClientHookEvent::PreToolUse, &error.to_string()),
    };
    let reason = answer["reason"]
        .as_str()
        .unwrap_or("guard refused the call");
    match answer["decision"].as_str() {
        Some("allow") => ExitCode::SUCCESS,
        // guard does not ask through a client that cannot (it answers
        // `deny` for it); were it to, the call would still be refused.
        Some("ask") => {
            let decision = if client.can_ask() { "ask" } else { "deny" };
            println!("{}", decision_output(client, decision, reason));
            ExitCode::SUCCESS
        }
        Some("deny") => {
            println!("{}", decision_output(client, "deny", reason));
            ExitCode::SUCCESS
        }
        _ => failed(
            ClientHookEvent::PreToolUse,
            &format!("guard's channel gave no decision: {answer}"),
        ),
    }
}

/// After a call, in a supervised session: guard scans the result, records
/// it and updates the session's trust; the model is told when the content
/// is untrusted.
fn post_tool_use_by_guard(
    client: HookClient,
    channel: &Path,
    call: &ToolCall,
    input: &str,
) -> ExitCode {
    let request = json!({
        "op": "post-tool-use",
        "input": serde_json::from_str::<Value>(input).unwrap_or_default(),
    });
    match crate::channel::request(channel, &request) {
        Ok(answer) => {
            if let Some(message) = answer["message"].as_str() {
                println!("{}", untrusted_output(client, message));
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            // Cannot undo the call: scan here and say what failed.
            eprintln!("guard: {error}");
            let _ = post_tool_use(client, call);
            ExitCode::CHECK_FAILED
        }
    }
}

/// Before a call, without a channel (outside a session, or nested in
/// another): the sandbox's refusal, if any, is the decision, reported into
/// the session's reports.
fn pre_tool_use(client: HookClient, call: &ToolCall) -> Result<ExitCode, CommandError> {
    // Outside a guard session nothing confines the assistant, so there is
    // nothing to answer for (`sandbox_refusal` finds no rules).
    let refusal = match sandbox_refusal(call) {
        Ok(refusal) => refusal,
        Err(error) => return Ok(failed(ClientHookEvent::PreToolUse, &error)),
    };
    let Some(refusal) = refusal else {
        if std::env::var_os(crate::launch::RULES_VAR).is_none() {
            return Ok(ExitCode::SUCCESS);
        }
        // Allowed calls are part of the chain too: what was called, on what.
        report(&json!({
            "hook": "pre-tool-use",
            "tool": call.tool,
            "decision": "allow",
            "path": call.input["file_path"].as_str().or(call.input["url"].as_str()),
            "input_sha256": crate::digest::sha256_hex(call.input.to_string().as_bytes()),
        }));
        return Ok(ExitCode::SUCCESS);
    };
    report(&json!({
        "hook": "pre-tool-use",
        "tool": call.tool,
        "decision": "deny",
        "reason": refusal.reason,
        "path": refusal.path.as_ref().map(|p| p.to_string_lossy()),
        "program": refusal.program,
        "input_sha256": crate::digest::sha256_hex(call.input.to_string().as_bytes()),
    }));
    println!("{}", decision_output(client, "deny", &refusal.reason));
    Ok(ExitCode::SUCCESS)
}

fn post_tool_use(client: HookClient, call: &ToolCall) -> Result<ExitCode, CommandError> {
    let findings = claude::post_tool_use(call);
    let result = call
        .response
        .as_ref()
        .map(|response| response.to_string())
        .unwrap_or_default();
    let (result_sha256, result_bytes) =
        (crate::digest::sha256_hex(result.as_bytes()), result.len());
    if findings.is_empty() {
        report(&json!({
            "hook": "post-tool-use",
            "tool": call.tool,
            "decision": "clean",
            "path": call.input["file_path"].as_str().or(call.input["url"].as_str()),
            "result_sha256": result_sha256,
            "result_bytes": result_bytes,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let message = claude::untrusted_message(call, &findings);
    report(&json!({
        "hook": "post-tool-use",
        "tool": call.tool,
        "decision": "untrusted",
        "result_sha256": result_sha256,
        "result_bytes": result_bytes,
        "path": call.input["file_path"].as_str().or(call.input["url"].as_str()),
        "findings": findings.iter().take(20).map(|f| json!({
            "line": f.line,
            "rule": f.rule,
            "severity": f.severity,
            "message": f.message,
        })).collect::<Vec<Value>>(),
    }));
    println!("{}", untrusted_output(client, &message));
    Ok(ExitCode::SUCCESS)
}

fn load_rules(path: &Path) -> Result<SessionRules, String> {
    let text = std::fs::read(path).map_err(|e| {
        format!(
            "the session's rules ({}) could not be read: {e}",
            path.display()
        )
    })?;
    serde_json::from_slice(&text).map_err(|e| {
        format!(
            "the session's rules ({}) are malformed: {e}",
            path.display()
        )
    })
}

/// Sends a report for the session's audit log (inside a session only):
/// over the session's channel when there is one, else into the reports
/// directory.
fn report(report: &Value) {
    if let Some(channel) = crate::channel::from_env() {
        let request = json!({"op": "report", "report": report});
        match crate::channel::request(&channel, &request) {
            Ok(_) => return,
            Err(error) => eprintln!("guard: {error}"),
        }
    }
    let Some(dir) = std::env::var_os(crate::launch::REPORTS_VAR) else {
        return;
    };
    let path = PathBuf::from(dir).join(crate::launch::TOOL_CALLS_FILE);
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .and_then(|mut file| file.write_all(format!("{report}\n").as_bytes()));
    if let Err(error) = written {
        eprintln!(
            "guard: could not report the tool call ({}): {error}",
            path.display()
        );
    }
}
