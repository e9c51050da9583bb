//! `guard log show --tree`: the prompt chain as a tree. Each prompt holds
//! the tool calls that followed it; each call, guard's decision, its
//! result, a change of trust, and what the session's processes did for it
//! or while it ran (execs, changes, denials, connections).
//!
//! Calls and results are paired exactly, by the client's tool-use id (for
//! Gemini CLI, which sends none, by the call's digest). A shell call's
//! processes are found by their command and lineage, not by time: the
//! first process after the call whose command line carries the call's
//! command (as written, or quoted for a shell as the clients quote it) is
//! the call's, and so is every process it starts; what they do is the
//! call's (`by`), even after its result. Anything else the session did
//! between a call's decision and its result is placed by the log's order
//! (`during`): the clients do not say which process a call started, so
//! a call running beside another shares that activity.

use super::{strings, text};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::Write;

/// Record kinds a call's window shows (reads are too many to list).
const ACTIVITY: [&str; 10] = [
    "exec", "create", "write", "delete", "rename", "mkdir", "link", "metadata", "connect", "denied",
];

/// A call whose result is not in yet.
struct OpenCall {
    /// Where it is: (prompt, call) indices.
    at: (usize, usize),
    /// The client's id of the call.
    id: String,
    /// The tool.
    tool: String,
    /// A shell call's command, until its first process is found.
    command: Option<String>,
}

/// The tree of `records`, as JSON: `{"prompts": [{…, "calls": [{…,
/// "result", "trust", "by": […], "during": […]}]}]}`; calls before the
/// first prompt hang under a prompt of `null`.
pub fn tree(records: &[Map<String, Value>]) -> Value {
    let mut prompts: Vec<Value> = vec![json!({"prompt": null, "calls": []})];
    let mut open: Vec<OpenCall> = Vec::new();
    // Processes known to be a call's: pid → (prompt, call) indices.
    let mut owners: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
    for record in records {
        let kind = text(record, "kind");
        let hook = text(record, "hook");
        let last = prompts.len() - 1;
        match (kind, hook) {
            ("prompt", _) => {
                prompts.push(json!({"prompt": Value::Object(record.clone()), "calls": []}));
                open.clear();
            }
            ("tool_call", "pre-tool-use") => {
                let calls = prompts[last]["calls"].as_array_mut().expect("calls");
                calls.push(json!({"call": Value::Object(record.clone()), "by": [], "during": []}));
                if text(record, "decision") != "deny" {
                    open.push(OpenCall {
                        at: (last, calls.len() - 1),
                        id: text(record, "tool_use_id").to_string(),
                        tool: text(record, "tool").to_string(),
                        command: record
                            .get("command")
                            .and_then(Value::as_str)
                            .filter(|c| !c.trim().is_empty())
                            .map(str::to_string),
                    });
                }
            }
            ("tool_call", "post-tool-use") => {
                let (id, tool) = (text(record, "tool_use_id"), text(record, "tool"));
                let position = open
                    .iter()
                    .position(|call| !id.is_empty() && call.id == id)
                    .or_else(|| open.iter().position(|call| call.tool == tool));
                if let Some(position) = position {
                    let (p, c) = open.remove(position).at;
                    prompts[p]["calls"][c]["result"] = Value::Object(record.clone());
                }
            }
            ("agent", _) => {
                let events = prompts[last]
                    .as_object_mut()
                    .expect("a prompt is an object")
                    .entry("events")
                    .or_insert_with(|| json!([]));
                if let Some(events) = events.as_array_mut() {
                    events.push(Value::Object(record.clone()));
                }
            }
            ("trust", _) => {
                let calls = prompts[last]["calls"].as_array_mut().expect("calls");
                match calls.last_mut() {
                    Some(call) => call["trust"] = Value::Object(record.clone()),
                    None => prompts[last]["trust"] = Value::Object(record.clone()),
                }
            }
            (kind, _) if ACTIVITY.contains(&kind) => {
                let pid = record.get("pid").and_then(Value::as_i64);
                let ppid = record.get("ppid").and_then(Value::as_i64);
                let mut owner = pid.and_then(|pid| owners.get(&pid).copied());
                if owner.is_none()
                    && let Some(parent) = ppid.and_then(|ppid| owners.get(&ppid).copied())
                {
                    owner = Some(parent);
                }
                if owner.is_none() && kind == "exec" {
                    owner = first_process_of(&mut open, record);
                }
                match (owner, pid) {
                    (Some((p, c)), Some(pid)) => {
                        owners.insert(pid, (p, c));
                        push(&mut prompts[p]["calls"][c]["by"], record);
                    }
                    _ => {
                        for call in &open {
                            let (p, c) = call.at;
                            push(&mut prompts[p]["calls"][c]["during"], record);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if prompts[0]["calls"].as_array().is_some_and(Vec::is_empty) {
        prompts.remove(0);
    }
    json!({"prompts": prompts})
}

/// The call whose first process `exec` is: the earliest open shell call
/// whose command its command line carries. The call then has its process.
fn first_process_of(open: &mut [OpenCall], exec: &Map<String, Value>) -> Option<(usize, usize)> {
    let line: String = exec
        .get("argv")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    let call = open.iter_mut().find(|call| {
        call.command
            .as_deref()
            .is_some_and(|command| carries(&line, command))
    })?;
    call.command = None;
    Some(call.at)
}

/// Whether a command line carries `command`: as written, or single-quoted
/// for a shell (a `'` inside written `'\''` or `'"'"'`).
fn carries(line: &str, command: &str) -> bool {
    line.contains(command)
        || ["'\\''", "'\"'\"'"]
            .iter()
            .any(|quote| line.contains(&format!("'{}'", command.replace('\'', quote))))
}

fn push(list: &mut Value, record: &Map<String, Value>) {
    if let Some(list) = list.as_array_mut() {
        list.push(Value::Object(record.clone()));
    }
}

/// Prints the tree as indented text.
pub fn print(tree: &Value, out: &mut impl Write) -> std::io::Result<()> {
    let field = |value: &Value, key: &str| value[key].as_str().unwrap_or("").to_string();
    let safe = crate::text::for_terminal;
    for prompt in tree["prompts"].as_array().into_iter().flatten() {
        let record = &prompt["prompt"];
        if record.is_null() {
            writeln!(out, "(before the first prompt)")?;
        } else {
            let shown = record["prompt"]
                .as_str()
                .map(|text| safe(text).chars().take(80).collect::<String>())
                .unwrap_or_else(|| format!("sha256 {}", field(record, "prompt_sha256")));
            writeln!(out, "prompt: {shown}")?;
        }
        for event in prompt["events"].as_array().into_iter().flatten() {
            writeln!(
                out,
                "  [{}] {}",
                field(event, "hook"),
                safe(&field(event, "agent_type"))
            )?;
        }
        for call in prompt["calls"].as_array().into_iter().flatten() {
            let pre = &call["call"];
            let target = [
                field(pre, "path"),
                field(pre, "program"),
                field(pre, "target"),
            ]
            .into_iter()
            .find(|t| !t.is_empty())
            .unwrap_or_default();
            writeln!(
                out,
                "  {} {} → {}",
                field(pre, "tool"),
                safe(&target),
                field(pre, "decision")
            )?;
            if !pre["reason"].is_null() {
                writeln!(out, "      reason: {}", safe(&field(pre, "reason")))?;
            }
            let by = call["by"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| ("by", a));
            let during = call["during"].as_array().into_iter().flatten();
            for (label, activity) in by.chain(during.map(|a| ("during", a))) {
                let what = match field(activity, "kind").as_str() {
                    "exec" => {
                        let argv = strings(activity.get("argv"));
                        match field(activity, "errno").as_str() {
                            "" => argv,
                            errno => {
                                format!("{argv} (failed: {errno}: {})", field(activity, "path"))
                            }
                        }
                    }
                    "denied" => format!(
                        "{} {} ({})",
                        field(activity, "operation"),
                        field(activity, "path"),
                        field(activity, "rule")
                    ),
                    _ => field(activity, "path"),
                };
                writeln!(
                    out,
                    "      {label}: {} {} {}",
                    activity["pid"],
                    field(activity, "kind"),
                    safe(&what)
                )?;
            }
            if !call["result"].is_null() {
                writeln!(out, "    result: {}", field(&call["result"], "decision"))?;
            }
            if !call["trust"].is_null() {
                let trust = &call["trust"];
                writeln!(
                    out,
                    "    session now {} ({}: {})",
                    field(trust, "state"),
                    field(trust, "source_kind"),
                    safe(&field(trust, "source"))
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_shell_calls_processes_are_found_by_command_and_lineage() {
        let records: Vec<Map<String, Value>> = [
            json!({"kind": "prompt", "prompt_sha256": "ab"}),
            json!({"kind": "tool_call", "hook": "pre-tool-use", "tool": "Bash", "decision": "allow", "tool_use_id": "t1", "command": "echo \"it's\" | cat"}),
            json!({"kind": "tool_call", "hook": "pre-tool-use", "tool": "Bash", "decision": "allow", "tool_use_id": "t2", "command": "make"}),
            // The client's own work meanwhile, then each call's shell.
            json!({"kind": "exec", "pid": 5, "ppid": 2, "argv": ["/bin/bash", "-c", "env"]}),
            json!({"kind": "exec", "pid": 6, "ppid": 2, "argv": ["/bin/bash", "-c", "make"]}),
            json!({"kind": "exec", "pid": 7, "ppid": 2, "argv": ["/bin/bash", "-c", "eval 'echo \"it'\"'\"'s\" | cat'"]}),
            json!({"kind": "exec", "pid": 8, "ppid": 7, "argv": ["cat"]}),
            json!({"kind": "write", "pid": 9, "ppid": 6, "path": "/r/out.o"}),
            json!({"kind": "tool_call", "hook": "post-tool-use", "tool": "Bash", "decision": "clean", "tool_use_id": "t1"}),
            json!({"kind": "tool_call", "hook": "post-tool-use", "tool": "Bash", "decision": "clean", "tool_use_id": "t2"}),
            // A process the second call left running, after its result.
            json!({"kind": "connect", "pid": 9, "ppid": 6, "path": "10.0.0.1:80"}),
        ]
        .into_iter()
        .map(record)
        .collect();
        let tree = tree(&records);
        let calls = tree["prompts"][0]["calls"].as_array().unwrap();
        let pids = |call: &Value, list: &str| -> Vec<i64> {
            call[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["pid"].as_i64().unwrap())
                .collect()
        };
        assert_eq!(pids(&calls[0], "by"), [7, 8]);
        assert_eq!(pids(&calls[1], "by"), [6, 9, 9]);
        // The client's own exec is neither call's: it ran while both did.
        assert_eq!(pids(&calls[0], "during"), [5]);
        assert_eq!(pids(&calls[1], "during"), [5]);
    }

    #[test]
    fn calls_pair_with_their_results_and_hold_what_ran_meanwhile() {
        let records: Vec<Map<String, Value>> = [
            json!({"kind": "prompt", "prompt_sha256": "ab"}),
            json!({"kind": "tool_call", "hook": "pre-tool-use", "tool": "Read", "decision": "allow", "tool_use_id": "t1", "path": "/r/NOTES.md"}),
            json!({"kind": "tool_call", "hook": "post-tool-use", "tool": "Read", "decision": "untrusted", "tool_use_id": "t1"}),
            json!({"kind": "trust", "state": "untrusted", "source_kind": "content the scan flags", "source": "/r/NOTES.md"}),
            json!({"kind": "tool_call", "hook": "pre-tool-use", "tool": "Bash", "decision": "allow", "tool_use_id": "t2"}),
            json!({"kind": "exec", "pid": 7, "argv": ["cargo", "test"]}),
            json!({"kind": "open", "pid": 7, "path": "/r/src/lib.rs"}),
            json!({"kind": "tool_call", "hook": "post-tool-use", "tool": "Bash", "decision": "clean", "tool_use_id": "t2"}),
            json!({"kind": "exec", "pid": 9, "argv": ["later"]}),
            json!({"kind": "tool_call", "hook": "pre-tool-use", "tool": "Edit", "decision": "deny", "tool_use_id": "t3", "action": "dependencies"}),
        ]
        .into_iter()
        .map(record)
        .collect();
        let tree = tree(&records);
        let calls = tree["prompts"][0]["calls"].as_array().unwrap();
        assert_eq!(tree["prompts"].as_array().unwrap().len(), 1);
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0]["result"]["decision"], "untrusted");
        assert_eq!(calls[0]["trust"]["source"], "/r/NOTES.md");
        assert_eq!(
            calls[1]["during"].as_array().unwrap().len(),
            1,
            "the exec, not the read"
        );
        assert_eq!(calls[1]["during"][0]["argv"][0], "cargo");
        assert!(calls[2]["result"].is_null());
        assert_eq!(calls[2]["call"]["action"], "dependencies");
        let mut text = Vec::new();
        print(&tree, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("session now untrusted"), "{text}");
        assert!(text.contains("during: 7 exec cargo test"), "{text}");
    }
}
