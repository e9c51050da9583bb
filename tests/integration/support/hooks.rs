//! Claude Code's hook protocol, driven by hand inside real sessions.

use super::*;
use serde_json::{Value, json};

/// A hook input as Claude Code sends it.
pub fn hook_input(event: &str, tool: &str, cwd: &Path, input: Value) -> Value {
    json!({
        "session_id": "0d6c5a4e-1111-2222-3333-444455556666",
        "transcript_path": "/tmp/transcript.jsonl",
        "cwd": cwd,
        "permission_mode": "default",
        "hook_event_name": event,
        "tool_name": tool,
        "tool_input": input,
        "tool_use_id": "toolu_01ABC",
    })
}

/// Runs `guard hook claude EVENT < INPUT` for each (event, input), in
/// order, inside one session run with `extra` arguments; returns each
/// answer's exit status and stdout.
pub fn hook_answers(env: &TestEnv, extra: &[&str], calls: &[(&str, Value)]) -> Vec<(i32, String)> {
    let guard = guard_binary().to_str().unwrap();
    let mut script = String::new();
    let file = |index: usize| env.repo.join(format!("hook-input-{index}.json"));
    for (index, (event, input)) in calls.iter().enumerate() {
        std::fs::write(file(index), input.to_string()).unwrap();
        env.give(&file(index));
        script.push_str(&format!(
            "{guard} hook claude {event} < {file} > {file}.out; echo $? > {file}.status\n",
            file = file(index).display()
        ));
    }
    let mut args = vec!["--allow-exec", guard];
    args.extend_from_slice(extra);
    let output = env.run_script(&args, &script);
    assert!(output.status.success(), "{}", all_output(&output));
    (0..calls.len())
        .map(|index| {
            let read = |suffix: &str| {
                std::fs::read_to_string(format!("{}{suffix}", file(index).display())).unwrap()
            };
            (read(".status").trim().parse().unwrap(), read(".out"))
        })
        .collect()
}
