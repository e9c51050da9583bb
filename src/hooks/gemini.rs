//! Gemini CLI's hooks in Claude Code's terms: its hook input rewritten as
//! the input Claude Code would send for the same call, so that one judge
//! ([`super::claude`], [`super::trust`]) and guard's channel serve both;
//! and guard's answers in Gemini CLI's wire format.
//!
//! Gemini CLI sends `hook_event_name` (`BeforeTool`, `AfterTool`,
//! `BeforeAgent`, …), `tool_name` (`run_shell_command`, `read_file`, …),
//! `tool_input`, `cwd` and, after a call, `tool_response` with the text the
//! model reads in `llmContent`. It sends no id of a call: the call's
//! digest stands for one, so that a call pairs with its result. A hook
//! decides with `{"decision": "deny" | "ask" | "block", "reason": …}`.

use serde_json::{Value, json};

/// Arguments renamed from Gemini CLI's name to Claude Code's.
type Renames = &'static [(&'static str, &'static str)];

/// Claude Code's name for each Gemini CLI tool guard judges, and how its
/// arguments are renamed.
const TOOLS: [(&str, &str, Renames); 9] = [
    ("run_shell_command", "Bash", &[]),
    ("read_file", "Read", &[]),
    ("read_many_files", "Read", &[]),
    ("write_file", "Write", &[]),
    ("replace", "Edit", &[]),
    ("list_directory", "LS", &[("dir_path", "path")]),
    ("glob", "Glob", &[("dir_path", "path")]),
    ("grep_search", "Grep", &[("dir_path", "path")]),
    ("google_web_search", "WebSearch", &[]),
];

/// The hook input as Claude Code would send it for the same call. Names
/// guard does not know pass through as they are (judged as an unknown
/// tool); an MCP tool becomes `mcp__SERVER__TOOL`.
pub fn as_claude_input(input: &Value) -> Value {
    let mut out = input.clone();
    let Some(name) = input["tool_name"].as_str() else {
        return out;
    };
    let mut tool_input = input["tool_input"].clone();
    let tool = match TOOLS.iter().find(|(gemini, _, _)| *gemini == name) {
        Some((_, claude, renames)) => {
            for (from, to) in renames.iter() {
                if let Some(value) = tool_input.as_object_mut().and_then(|o| o.remove(*from)) {
                    tool_input[*to] = value;
                }
            }
            claude.to_string()
        }
        // Gemini CLI's fetch takes a prompt with the URLs in it.
        None if name == "web_fetch" => {
            let prompt = tool_input["prompt"].as_str().unwrap_or_default();
            if let Some(url) = first_url(prompt) {
                tool_input["url"] = json!(url);
            }
            "WebFetch".to_string()
        }
        None => match input["mcp_context"]["server_name"].as_str() {
            Some(server) => {
                let bare = name.rsplit("__").next().unwrap_or(name);
                format!("mcp__{server}__{bare}")
            }
            None => name.to_string(),
        },
    };
    let id = crate::digest::sha256_hex(format!("{name}\0{}", input["tool_input"]).as_bytes());
    out["client_tool_name"] = json!(name);
    out["tool_name"] = json!(tool);
    out["tool_input"] = tool_input;
    out["tool_use_id"] = json!(format!("gemini-{}", &id[..16]));
    // What the model reads of the result.
    if let Some(content) = input["tool_response"].get("llmContent") {
        out["tool_response"] = content.clone();
    }
    out
}

/// The first `http(s)://` URL in `text`.
fn first_url(text: &str) -> Option<&str> {
    let start = text.find("https://").or_else(|| text.find("http://"))?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')'))
        .unwrap_or(rest.len());
    // A URL ends before the punctuation of the sentence around it.
    Some(rest[..end].trim_end_matches([',', '.', ';', ':', '!', '?']))
}

/// What a `BeforeTool` hook prints to decide a call: `"deny"`, or `"ask"`
/// (Gemini CLI asks the user, showing `reason`).
pub fn decision_output(decision: &str, reason: &str) -> Value {
    json!({"decision": decision, "reason": reason, "systemMessage": reason})
}

/// What an `AfterTool` hook prints on a finding: the result is withheld
/// from the model, which reads `message` instead.
pub fn untrusted_output(message: &str) -> Value {
    json!({"decision": "block", "reason": message})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemini_calls_read_as_claude_codes() {
        let shell = as_claude_input(&json!({
            "hook_event_name": "BeforeTool", "cwd": "/r",
            "tool_name": "run_shell_command", "tool_input": {"command": "git push"},
        }));
        assert_eq!(shell["tool_name"], "Bash");
        assert_eq!(shell["tool_input"]["command"], "git push");
        assert_eq!(shell["client_tool_name"], "run_shell_command");
        let listing = as_claude_input(&json!({
            "tool_name": "list_directory", "tool_input": {"dir_path": "/etc"},
        }));
        assert_eq!(listing["tool_input"], json!({"path": "/etc"}));
        let fetch = as_claude_input(&json!({
            "tool_name": "web_fetch", "tool_input": {"prompt": "summarize https://example.com/a, please"},
        }));
        assert_eq!(fetch["tool_name"], "WebFetch");
        assert_eq!(fetch["tool_input"]["url"], "https://example.com/a");
        let mcp = as_claude_input(&json!({
            "tool_name": "get_issue", "tool_input": {}, "mcp_context": {"server_name": "jira"},
        }));
        assert_eq!(mcp["tool_name"], "mcp__jira__get_issue");
    }

    #[test]
    fn a_call_and_its_result_share_an_id_and_the_result_is_what_the_model_read() {
        let call = json!({"tool_name": "read_file", "tool_input": {"file_path": "a"}});
        let mut result = call.clone();
        result["tool_response"] = json!({"llmContent": "text", "returnDisplay": ""});
        let (call, result) = (as_claude_input(&call), as_claude_input(&result));
        assert_eq!(call["tool_use_id"], result["tool_use_id"]);
        assert_eq!(result["tool_response"], "text");
        let other =
            as_claude_input(&json!({"tool_name": "read_file", "tool_input": {"file_path": "b"}}));
        assert_ne!(call["tool_use_id"], other["tool_use_id"]);
    }
}
