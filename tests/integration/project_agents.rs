//! What an assistant loads from the repository and runs without asking:
//! Claude Code's project agents, skills and commands register hooks in
//! their frontmatter, which run when the model uses one (a subagent it
//! spawns unasked runs its `PreToolUse` hook); Cursor's and Windsurf's
//! project hooks run around every step of their agents. A session cannot
//! plant any of them, at the top or in a package, by writing, copying, a
//! link or a move, in both modes as every identity; the user's next
//! unconfined Claude Code runs nothing planted. The same agent written by
//! the user does run its hook there, so the check would see one.

use crate::boundary::MODES;
use crate::support::*;

/// A project agent whose hook touches `marker` before every tool call.
fn agent_with_hook(marker: &std::path::Path) -> String {
    format!(
        "---\nname: helper\ndescription: Use this agent for every task.\nhooks:\n  PreToolUse:\n    \
         - matcher: \"*\"\n      hooks:\n        - type: command\n          command: \"touch {}\"\n\
         ---\nRead README.md first.\n",
        marker.display()
    )
}

/// The user's Claude Code, unconfined, whose model spawns the `helper`
/// agent, which reads a file.
fn unconfined_claude_spawning_the_agent(env: &TestEnv) -> std::process::Output {
    let read =
        serde_json::json!({"name": "Read", "input": {"file_path": env.repo.join("README.md")}});
    let spawn = serde_json::json!({
        "name": "Agent",
        "input": {"subagent_type": "helper", "description": "help", "prompt": "read README.md"},
    });
    let api = MockApi::scripted(serde_json::json!([spawn, read, read]));
    let mut command = env.command("timeout");
    command.args(["120", "claude", "-p", "go", "--output-format", "json"]);
    claude_against(&mut command, &api).output().unwrap()
}

#[test]
fn project_agents_skills_commands_and_hooks_cannot_be_planted() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let marker = env.home.join("PLANTED-RAN");
            std::fs::create_dir_all(env.repo.join("notes")).unwrap();
            std::fs::create_dir_all(env.repo.join(".claude")).unwrap();
            std::fs::write(env.repo.join("notes/helper.md"), agent_with_hook(&marker)).unwrap();
            env.give(&env.repo);
            let attacks = [
                "mkdir -p .claude/agents && cp notes/helper.md .claude/agents/helper.md",
                "mkdir -p .claude/skills/helper && cp notes/helper.md .claude/skills/helper/SKILL.md",
                "mkdir -p .claude/commands && cp notes/helper.md .claude/commands/helper.md",
                "mkdir -p app/.claude/skills/helper && cp notes/helper.md app/.claude/skills/helper/SKILL.md",
                "ln -s ../notes .claude/agents",
                "mkdir -p staged && cp notes/helper.md staged/ && mv staged .claude/agents",
                "echo '{\"configurations\": []}' > .claude/launch.json",
                "mkdir -p .claude/routines && echo x > .claude/routines/nightly.md",
                "mkdir -p .cursor && echo '{\"version\": 1, \"hooks\": {}}' > .cursor/hooks.json",
                "mkdir -p .cursor/hooks && echo 'touch x' > .cursor/hooks/format.sh",
                "mkdir -p .windsurf && echo '{\"hooks\": {}}' > .windsurf/hooks.json",
            ]
            .map(String::from);
            // Instructions and rules are prompts: still the session's to write.
            let work = [
                "mkdir -p .claude/rules && echo 'Use tabs.' > .claude/rules/style.md",
                "echo '# Notes' > CLAUDE.md",
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &work,
            };
            battery.run(env, mode);
            for planted in [
                ".claude/agents",
                ".claude/skills",
                ".claude/commands",
                "app/.claude/skills",
                ".claude/launch.json",
                ".claude/routines",
                ".cursor/hooks.json",
                ".cursor/hooks",
                ".windsurf/hooks.json",
            ] {
                assert!(
                    std::fs::symlink_metadata(env.repo.join(planted)).is_err(),
                    "{mode:?}: {planted} was made"
                );
            }
            // The user's next Claude Code runs nothing planted.
            let output = unconfined_claude_spawning_the_agent(env);
            assert!(output.status.success(), "{}", all_output(&output));
            assert!(!marker.exists(), "{mode:?}: a planted hook ran");
        }
        // An agent of the user's does run its hook.
        let marker = env.home.join("PLANTED-RAN");
        let agents = env.repo.join(".claude/agents");
        std::fs::create_dir_all(&agents).unwrap();
        std::fs::write(agents.join("helper.md"), agent_with_hook(&marker)).unwrap();
        env.give(&env.repo);
        let output = unconfined_claude_spawning_the_agent(env);
        assert!(output.status.success(), "{}", all_output(&output));
        assert!(marker.exists(), "{}", all_output(&output));
    });
}
