//! `guard log show --tree`: the prompt chain as a tree. Each prompt holds
//! the tool calls that followed it; each call, guard's decision, its
//! result, a change of trust, and what the session's processes did while
//! the call ran (execs, changes, denials, connections).
//!
//! Calls and results are paired exactly, by the client's tool-use id.
//! What a call's processes did is placed by the log's order: between the
//! call's decision and its result. The client does not say which process a
//! call started, so a call running beside another shares their activity
//! (the tree says `during`, not `by`).

use super::text;
use serde_json::{Map, Value, json};
use std::io::Write;

/// Record kinds a call's window shows (reads are too many to list).
const ACTIVITY: [&str; 10] = [
    "exec", "create", "write", "delete", "rename", "mkdir", "link", "metadata", "connect", "denied",
];

/// The tree of `records`, as JSON: `{"prompts": [{…, "calls": [{…,
/// "result", "trust", "during": […]}]}]}`; calls before the first prompt
/// hang under a prompt of `null`.
pub fn tree(records: &[Map<String, Value>]) -> Value {
    let mut prompts: Vec<Value> = vec![json!({"prompt": null, "calls": []})];
    // Open calls: (index in the last prompt's calls, tool-use id, tool).
    let mut open: Vec<(usize, String, String)> = Vec::new();
    for record in records {
        let kind = text(record, "kind");
        let hook = text(record, "hook");
        let current = prompts.last_mut().expect("one prompt at least");
        match (kind, hook) {
            ("prompt", _) => {
                prompts.push(json!({"prompt": Value::Object(record.clone()), "calls": []}));
                open.clear();
            }
            ("tool_call", "pre-tool-use") => {
                let calls = current["calls"].as_array_mut().expect("calls");
                calls.push(json!({"call": Value::Object(record.clone()), "during": []}));
                if text(record, "decision") != "deny" {
                    open.push((
                        calls.len() - 1,
                        text(record, "tool_use_id").to_string(),
                        text(record, "tool").to_string(),
                    ));
                }
            }
            ("tool_call", "post-tool-use") => {
                let id = text(record, "tool_use_id");
                let tool = text(record, "tool");
                let position = open
                    .iter()
                    .position(|(_, open_id, _)| !id.is_empty() && open_id == id)
                    .or_else(|| open.iter().position(|(_, _, open_tool)| open_tool == tool));
                if let Some(position) = position {
                    let (index, _, _) = open.remove(position);
                    current["calls"][index]["result"] = Value::Object(record.clone());
                }
            }
            ("agent", _) => {
                let events = current
                    .as_object_mut()
                    .expect("a prompt is an object")
                    .entry("events")
                    .or_insert_with(|| json!([]));
                if let Some(events) = events.as_array_mut() {
                    events.push(Value::Object(record.clone()));
                }
            }
            ("trust", _) => {
                let calls = current["calls"].as_array_mut().expect("calls");
                match calls.last_mut() {
                    Some(call) => call["trust"] = Value::Object(record.clone()),
                    None => current["trust"] = Value::Object(record.clone()),
                }
            }
            (kind, _) if ACTIVITY.contains(&kind) => {
                for (index, _, _) in &open {
                    if let Some(during) = current["calls"][*index]["during"].as_array_mut() {
                        during.push(Value::Object(record.clone()));
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
            for activity in call["during"].as_array().into_iter().flatten() {
                let what = match field(activity, "kind").as_str() {
                    "exec" => activity["argv"]
                        .as_array()
                        .map(|argv| {
                            argv.iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_default(),
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
                    "      during: {} {} {}",
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
