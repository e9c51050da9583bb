//! Trust levels applied to a client's tool calls: which results make the
//! session untrusted ([`untrusted_source`]), and which calls are sensitive
//! ([`sensitive_call`]). The rules themselves are the policy's
//! ([`crate::policy::trust`]); this reads Claude Code's tool names and
//! inputs, which Codex shares, and Codex's `apply_patch`.

use super::claude::ToolCall;
use crate::policy::trust::{self, Action, Source, TrustPlan};
use crate::scan::Finding;
use std::path::Path;

/// The path a file tool reads or edits, made absolute.
fn file_path(call: &ToolCall, repo: &Path) -> Option<std::path::PathBuf> {
    let field = match call.tool.as_str() {
        "Read" | "Write" | "Edit" | "MultiEdit" => "file_path",
        "NotebookRead" | "NotebookEdit" => "notebook_path",
        "Glob" | "Grep" | "LS" => "path",
        _ => return None,
    };
    let raw = call.input[field].as_str().filter(|s| !s.is_empty())?;
    let cwd = call.cwd.as_deref().unwrap_or(repo);
    Some(trust::absolute(raw, cwd))
}

/// Where the result of `call` came from, if that source is untrusted: a
/// result the scan flags, a fetched page or search, an MCP tool outside the
/// trusted servers, a file outside the repository or on a path the profile
/// marks untrusted.
pub fn untrusted_source(
    plan: &TrustPlan,
    repo: &Path,
    call: &ToolCall,
    findings: &[Finding],
) -> Option<Source> {
    let path = file_path(call, repo);
    if !findings.is_empty() {
        let command = call.input["command"]
            .as_str()
            .filter(|_| call.tool == "Bash");
        let what = match (&path, command) {
            (Some(path), _) => path.display().to_string(),
            (None, Some(command)) => format!("the output of `{}`", short(command)),
            (None, None) => format!("the output of the {} tool", call.tool),
        };
        return Some(Source {
            kind: "content the scan flags",
            what,
        });
    }
    match call.tool.as_str() {
        "WebFetch" => {
            return Some(Source {
                kind: "a fetched page",
                what: call.input["url"].as_str().unwrap_or("?").to_string(),
            });
        }
        "WebSearch" => {
            return Some(Source {
                kind: "a web search",
                what: call.input["query"].as_str().unwrap_or("?").to_string(),
            });
        }
        _ => {}
    }
    if let Some(rest) = call.tool.strip_prefix("mcp__") {
        let server = rest.split("__").next().unwrap_or(rest);
        if !plan.trusted_mcp.iter().any(|trusted| trusted == server) {
            return Some(Source {
                kind: "an MCP tool outside trust.trusted_mcp",
                what: call.tool.clone(),
            });
        }
        return None;
    }
    // Only what a tool read counts: an edit's result is the session's own.
    if !matches!(
        call.tool.as_str(),
        "Read" | "NotebookRead" | "Glob" | "Grep" | "LS"
    ) {
        return None;
    }
    let path = path?;
    if trust::outside(&path, repo) {
        return Some(Source {
            kind: "a file outside the repository",
            what: path.display().to_string(),
        });
    }
    plan.marks_untrusted(&path, repo).map(|pattern| Source {
        kind: "a path the profile marks untrusted",
        what: format!("{} ({pattern})", path.display()),
    })
}

/// The sensitive action of the first file a patch in the call's `command`
/// changes that has one.
fn patch_action(call: &ToolCall, repo: &Path) -> Option<(Action, String)> {
    let cwd = call.cwd.as_deref().unwrap_or(repo);
    super::patch::changed_files(call.input["command"].as_str()?)
        .into_iter()
        .map(|file| trust::absolute(file, cwd))
        .find_map(|path| {
            trust::edit_action(&path, repo).map(|action| (action, path.display().to_string()))
        })
}

/// A command as a reason quotes it: its first line, at most 120 characters.
fn short(command: &str) -> String {
    let line = command.lines().next().unwrap_or_default();
    match line.char_indices().nth(120) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None if line.len() < command.trim_end().len() => format!("{line}…"),
        None => line.to_string(),
    }
}

/// The sensitive action `call` takes, and what it names.
pub fn sensitive_call(call: &ToolCall, repo: &Path) -> Option<(Action, String)> {
    match call.tool.as_str() {
        "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => {
            let path = file_path(call, repo)?;
            trust::edit_action(&path, repo).map(|action| (action, path.display().to_string()))
        }
        // Codex's patches, also when a shell command carries one (Codex
        // takes `apply_patch <<'EOF'` in a shell call as its own tool).
        "apply_patch" => patch_action(call, repo),
        "Bash" if call.input["command"].as_str()?.contains("*** Begin Patch") => {
            patch_action(call, repo)
                .or_else(|| trust::command_action(call.input["command"].as_str()?))
        }
        "Read" | "NotebookRead" => {
            let path = file_path(call, repo)?;
            trust::read_action(&path).map(|action| (action, path.display().to_string()))
        }
        "WebFetch" => {
            let url = call.input["url"].as_str()?;
            Some((Action::Network, trust::destination(url)))
        }
        "Bash" => trust::command_action(call.input["command"].as_str()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(tool: &str, input: serde_json::Value) -> ToolCall {
        ToolCall {
            tool: tool.into(),
            input,
            response: None,
            cwd: Some("/work/repo".into()),
            id: None,
        }
    }

    #[test]
    fn results_from_outside_the_repository_the_web_and_untrusted_mcp_are_untrusted() {
        let plan = TrustPlan::from_section(&Default::default());
        let repo = Path::new("/work/repo");
        let source = |c: &ToolCall| untrusted_source(&plan, repo, c, &[]).map(|s| s.kind);
        assert_eq!(
            source(&call("Read", json!({"file_path": "src/lib.rs"}))),
            None
        );
        assert_eq!(
            source(&call(
                "Read",
                json!({"file_path": "/home/u/.cargo/registry/src/x/README.md"})
            )),
            Some("a file outside the repository")
        );
        assert_eq!(
            source(&call("Read", json!({"file_path": "vendor/dep/README.md"}))),
            Some("a path the profile marks untrusted")
        );
        assert_eq!(
            source(&call("WebFetch", json!({"url": "https://example.com"}))),
            Some("a fetched page")
        );
        assert_eq!(
            source(&call("mcp__jira__get_issue", json!({}))),
            Some("an MCP tool outside trust.trusted_mcp")
        );
        assert_eq!(
            source(&call("Edit", json!({"file_path": "/tmp/elsewhere.txt"}))),
            None,
            "an edit's result is the session's own"
        );
    }

    #[test]
    fn sensitive_calls_name_what_they_touch() {
        let repo = Path::new("/work/repo");
        let edit = call("Edit", json!({"file_path": ".github/workflows/ci.yml"}));
        assert_eq!(
            sensitive_call(&edit, repo),
            Some((Action::Ci, "/work/repo/.github/workflows/ci.yml".into()))
        );
        let fetch = call("WebFetch", json!({"url": "https://docs.rs/x"}));
        assert_eq!(
            sensitive_call(&fetch, repo),
            Some((Action::Network, "docs.rs".into()))
        );
        let push = call("Bash", json!({"command": "git push"}));
        assert_eq!(
            sensitive_call(&push, repo).map(|s| s.0),
            Some(Action::Publish)
        );
        assert_eq!(
            sensitive_call(&call("Read", json!({"file_path": "src/main.rs"})), repo),
            None
        );
        // Codex's patches: whichever file they change is sensitive.
        let patch = |text: &str| call("apply_patch", json!({"command": text}));
        let manifest = "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-a\n+b\n*** Add File: Cargo.toml\n+[package]\n*** End Patch\n";
        assert_eq!(
            sensitive_call(&patch(manifest), repo),
            Some((Action::Dependencies, "/work/repo/Cargo.toml".into()))
        );
        let plain = "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-a\n+b\n*** End Patch\n";
        assert_eq!(sensitive_call(&patch(plain), repo), None);
        let shell = call(
            "Bash",
            json!({"command": format!("apply_patch <<'EOF'\n{manifest}EOF\n")}),
        );
        assert_eq!(
            sensitive_call(&shell, repo).map(|s| s.0),
            Some(Action::Dependencies)
        );
    }
}
