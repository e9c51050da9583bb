//! Protected paths next to ordinary work, and the assistants' user
//! configuration (the attacks themselves are in `boundary.rs`).

use crate::support::*;
use serde_json::json;

#[test]
fn git_commit_works_next_to_protected_paths() {
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let output = env.run_script(
                mode,
                "echo change >> README.md && git commit -qam change && echo COMMITTED",
            );
            assert!(all_output(&output).contains("COMMITTED"), "{mode:?}");
        }
    });
}

/// Each client's directory is an allowlist: what the client writes while it
/// works lands, and nothing it loads at its next, unconfined start can be
/// planted, replaced or created, in either mode, as either identity.
#[test]
fn client_directories_take_only_what_the_client_writes() {
    // (profile, directory, what the client writes, what it loads at start)
    let clients: [(&str, &str, &[&str], &[&str]); 4] = [
        (
            "claude",
            ".claude",
            &["projects/-repo/s.jsonl", "history.jsonl", "todos/t.json"],
            &[
                "settings.json",
                "CLAUDE.md",
                "commands/x.md",
                "hooks/h.sh",
                "plugins/p.json",
                // Cached feature gates, acted on at the next start.
                "statsig/statsig.cached.evaluations.x",
            ],
        ),
        (
            "codex",
            ".codex",
            &["sessions/2026/s.jsonl", "history.jsonl", "state_5.sqlite"],
            &[
                ".env",
                "config.toml",
                "AGENTS.md",
                "rules/default.rules",
                "skills/s/SKILL.md",
                // First on the PATH of a running Codex's commands.
                "tmp/path2/codex-arg0run/git",
                // The models' base instructions: Codex's system prompt.
                "models_cache.json",
            ],
        ),
        (
            "gemini",
            ".gemini",
            &["tmp/repo/chat.json", "projects.json"],
            &[
                ".env",
                "settings.json",
                "GEMINI.md",
                "trustedFolders.json",
                "commands/c.toml",
                // A checkpointing shadow repository's configuration.
                "history/repo/.git/config",
            ],
        ),
        (
            "aider",
            ".aider",
            &["caches/map.db", "analytics.json"],
            &["oauth-keys.env"],
        ),
    ];
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            for (profile, dir, writes, loads) in clients {
                let root = env.home.join(dir);
                let existing = root.join(loads[0]);
                std::fs::create_dir_all(&root).unwrap();
                std::fs::write(&existing, "original\n").unwrap();
                // What a running Codex keeps there: the directory it puts on
                // its commands' PATH.
                if profile == "codex" {
                    std::fs::create_dir_all(root.join("tmp/path2/codex-arg0run")).unwrap();
                }
                env.give(&root);
                let mut script = String::new();
                for name in writes.iter().chain(loads) {
                    script += &format!(
                        "mkdir -p \"$(dirname ~/{dir}/{name})\"; echo planted >> ~/{dir}/{name}; "
                    );
                }
                // Replacing a loaded file through a rename, and moving the
                // directory away to put another in its place.
                script += &format!(
                    "echo planted > ~/{dir}/history.tmp; mv ~/{dir}/history.tmp ~/{dir}/{}; \
                     mv ~/{dir} ~/{dir}.old && mkdir ~/{dir}; true",
                    loads[0]
                );
                let mut args = vec!["-p", profile];
                args.extend_from_slice(mode);
                let output = env.run_script(&args, &script);
                assert!(output.status.success(), "{}", all_output(&output));
                for name in writes {
                    let text = std::fs::read_to_string(root.join(name)).unwrap_or_default();
                    assert!(
                        text.contains("planted"),
                        "{profile} {mode:?}: {name} was not written"
                    );
                }
                assert_eq!(
                    std::fs::read_to_string(&existing).unwrap(),
                    "original\n",
                    "{profile} {mode:?}: {} changed",
                    loads[0]
                );
                for name in &loads[1..] {
                    assert!(
                        !root.join(name).exists(),
                        "{profile} {mode:?}: {name} was planted"
                    );
                }
                assert!(
                    !env.home.join(format!("{dir}.old")).exists(),
                    "{profile} {mode:?}"
                );
                std::fs::remove_dir_all(&root).unwrap();
            }
        }
    });
}

/// The end-of-session check is defence in depth: a protected path that was
/// missing at launch and exists at the end is quarantined, recorded as a
/// `boundary_violation`, reported, and the session fails although its command
/// succeeded. (The supervisor refuses such a creation from the session, so
/// the test makes the change from outside while the session runs.)
/// Starts `guard ARGS` (stderr piped) and waits until the session made
/// `started`.
fn spawn_until(env: &TestEnv, args: &[&str], started: &std::path::Path) -> std::process::Child {
    let child = env
        .guard(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_until(
        || started.exists(),
        std::time::Duration::from_secs(30)
    ));
    child
}

#[test]
fn a_change_the_end_check_finds_is_restored_recorded_and_fails_the_session() {
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let planted = env.repo.join(".circleci");
            let started = env.repo.join("started");
            let mut args = vec!["run"];
            args.extend_from_slice(mode);
            args.extend_from_slice(&[
                "--",
                "bash",
                "-c",
                "touch started; for i in $(seq 300); do [ -e .circleci/config.yml ] && exit 0; sleep 0.1; done; exit 9",
            ]);
            let child = spawn_until(env, &args, &started);
            // Made whole, as the session's identity, then moved in at once.
            let staging = env.home.join("staging");
            std::fs::create_dir(&staging).unwrap();
            std::fs::write(staging.join("config.yml"), "run: planted\n").unwrap();
            env.give(&staging);
            std::fs::rename(&staging, &planted).unwrap();
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(4), "{mode:?}: {stderr}");
            assert!(stderr.contains("boundary violation"), "{stderr}");
            assert!(
                !planted.exists(),
                "{mode:?}: the planted path was not removed"
            );
            let (_, records) = env.last_log();
            let violation = records
                .iter()
                .find(|r| r["kind"] == "boundary_violation")
                .unwrap_or_else(|| panic!("{mode:?}: no boundary_violation record"));
            assert_eq!(violation["path"], planted.to_str().unwrap());
            let kept = std::path::PathBuf::from(violation["quarantined"].as_str().unwrap());
            assert_eq!(
                std::fs::read_to_string(kept.join("config.yml")).unwrap(),
                "run: planted\n"
            );
            std::fs::remove_file(&started).unwrap();
        }
    });
}

#[test]
fn the_end_check_stands_behind_the_supervisor_in_guarded_trees() {
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let namespaces = mode.is_empty();
            let claude = env.home.join(".claude");
            std::fs::create_dir_all(claude.join("plugins")).unwrap();
            std::fs::write(claude.join("settings.json"), "original\n").unwrap();
            let big = claude.join("plugins/big.bin");
            std::fs::write(&big, vec![b'x'; 300 * 1024]).unwrap();
            env.give(&claude);
            let git_config = env.repo.join(".git/config");
            let config_before = std::fs::read_to_string(&git_config).unwrap();
            let (started, go) = (env.repo.join("started"), env.repo.join("go"));
            // Ordinary work in the trees first: a commit, a transcript.
            let script = "echo more >> README.md && git commit -qam more && \
                 mkdir -p ~/.claude/projects/r && echo t > ~/.claude/projects/r/s.jsonl && \
                 touch started && for i in $(seq 300); do [ -e go ] && exit 0; sleep 0.1; done; exit 9";
            let mut args = vec!["run", "-p", "claude"];
            args.extend_from_slice(mode);
            args.extend_from_slice(&["--", "bash", "-c", script]);
            let child = spawn_until(env, &args, &started);
            // What a hole in the supervisor would let through, made from
            // outside: a new name no pattern allows, and (without
            // namespaces, where nothing else guards them) changed entries.
            let staging = env.home.join("staging");
            std::fs::create_dir_all(&staging).unwrap();
            std::fs::write(staging.join("evil.md"), "planted\n").unwrap();
            env.give(&staging);
            std::fs::rename(&staging, claude.join("commands")).unwrap();
            if !namespaces {
                std::fs::write(claude.join("settings.json"), "planted\n").unwrap();
                std::fs::write(&big, b"planted").unwrap();
                let mut planted = config_before.clone();
                planted.push_str("[core]\n\tfsmonitor = /tmp/evil\n");
                std::fs::write(&git_config, planted).unwrap();
            }
            std::fs::write(&go, "").unwrap();
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(4), "{mode:?}: {stderr}");
            assert!(!claude.join("commands").exists(), "{mode:?}: {stderr}");
            assert!(claude.join("projects/r/s.jsonl").exists(), "{mode:?}");
            let (_, records) = env.last_log();
            let violations: Vec<&serde_json::Value> = records
                .iter()
                .filter(|r| r["kind"] == "boundary_violation")
                .collect();
            let paths: Vec<&str> = violations
                .iter()
                .filter_map(|r| r["path"].as_str())
                .collect();
            assert!(
                paths.contains(&claude.join("commands").to_str().unwrap()),
                "{mode:?}: {paths:?}"
            );
            if namespaces {
                assert_eq!(paths.len(), 1, "{paths:?}");
            } else {
                assert_eq!(
                    std::fs::read_to_string(claude.join("settings.json")).unwrap(),
                    "original\n"
                );
                assert_eq!(std::fs::read_to_string(&git_config).unwrap(), config_before);
                // Too large to save whole: moved away, not put back.
                assert!(!big.exists(), "{mode:?}");
                let moved = violations
                    .iter()
                    .find(|r| r["path"] == json!(claude.join("plugins")))
                    .unwrap_or_else(|| panic!("{paths:?}"));
                assert_eq!(moved["restored"], json!(false));
                assert!(stderr.contains("too large to save"), "{stderr}");
                assert_eq!(paths.len(), 4, "{paths:?}");
            }
            let _ = std::fs::remove_dir_all(&claude);
            for path in [&started, &go] {
                std::fs::remove_file(path).unwrap();
            }
        }
    });
}

/// What a running client acts on in its own per-session files (Claude Code
/// sources its shell snapshot and session-env files before every Bash
/// command) is `own:`: a session adds and changes its own files there, but
/// cannot change, replace, link, remove or open up another session's, so a
/// concurrent unconfined Claude Code sources nothing planted.
#[test]
fn another_sessions_state_cannot_be_changed_and_the_sessions_own_can() {
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let claude = env.home.join(".claude");
            let marker = env.home.join("PLANTED-RAN");
            let theirs = claude.join("shell-snapshots/snapshot-bash-other.sh");
            let their_env = claude.join("session-env/other/hook-0.sh");
            for file in [&theirs, &their_env] {
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(file, "export FROM_HOOK=1\n").unwrap();
            }
            env.give(&claude);
            let plant = format!("echo 'touch {}' ", marker.display());
            let attacks = [
                format!("{plant} >> ~/.claude/shell-snapshots/snapshot-bash-other.sh"),
                format!("{plant} >> ~/.claude/session-env/other/hook-0.sh"),
                format!(
                    "{plant} > ~/.claude/shell-snapshots/mine.sh && mv ~/.claude/shell-snapshots/mine.sh ~/.claude/shell-snapshots/snapshot-bash-other.sh"
                ),
                "rm ~/.claude/shell-snapshots/snapshot-bash-other.sh".to_string(),
                "truncate -s 0 ~/.claude/session-env/other/hook-0.sh".to_string(),
                "chmod 666 ~/.claude/shell-snapshots/snapshot-bash-other.sh".to_string(),
                // A directory guard made for the client's state, opened up.
                "chmod 755 ~/.claude/sessions".to_string(),
                "ln ~/.claude/shell-snapshots/snapshot-bash-other.sh ~/.claude/shell-snapshots/link.sh"
                    .to_string(),
                // A new hook file in the other session's directory: Claude
                // Code reads every `*-hook-N.sh` there before each command.
                format!("{plant} > ~/.claude/session-env/other/sessionstart-hook-9.sh"),
                format!(
                    "{plant} > ~/.claude/session-env/mine-hook.sh && mv ~/.claude/session-env/mine-hook.sh ~/.claude/session-env/other/setup-hook-9.sh"
                ),
            ];
            let neighbours = [
                "echo 'export A=1' > ~/.claude/shell-snapshots/snapshot-bash-mine.sh",
                "echo 'export B=1' >> ~/.claude/shell-snapshots/snapshot-bash-mine.sh",
                "mv ~/.claude/shell-snapshots/snapshot-bash-mine.sh ~/.claude/shell-snapshots/snapshot-bash-kept.sh",
                "mkdir -p ~/.claude/session-env/mine && echo x > ~/.claude/session-env/mine/sessionstart-hook-0.sh && rm -r ~/.claude/session-env/mine",
                "mkdir -p ~/.claude/todos && echo '[]' > ~/.claude/todos/t.json && echo '[1]' > ~/.claude/todos/t.json",
                // A mode set to what it is changes nothing (Claude Code
                // sets its state directories to 0700 at every start).
                "chmod 700 ~/.claude/sessions",
                "f=~/.claude/shell-snapshots/snapshot-bash-other.sh; chmod \"$(stat -c %a $f)\" $f",
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &neighbours,
            };
            let mut args = vec!["-p", "claude"];
            args.extend_from_slice(mode);
            battery.run(env, &args);
            for file in [&theirs, &their_env] {
                assert_eq!(
                    std::fs::read_to_string(file).unwrap(),
                    "export FROM_HOOK=1\n",
                    "{mode:?}"
                );
            }
            assert_eq!(
                std::fs::read_to_string(claude.join("shell-snapshots/snapshot-bash-kept.sh"))
                    .unwrap(),
                "export A=1\nexport B=1\n",
                "{mode:?}"
            );
            // What the concurrent client does before each command, unconfined:
            // source its snapshot and every hook file of its session.
            let their_dir = their_env.parent().unwrap();
            let mut source = env.command("bash");
            source.arg("-c").arg(format!(
                "source {} && for f in {}/*; do source \"$f\"; done",
                theirs.display(),
                their_dir.display()
            ));
            assert!(source.output().unwrap().status.success());
            let names: Vec<_> = std::fs::read_dir(their_dir)
                .unwrap()
                .map(|entry| entry.unwrap().file_name())
                .collect();
            assert_eq!(names, ["hook-0.sh"], "{mode:?}: {names:?}");
            assert!(!marker.exists(), "{mode:?}: a planted command ran");
            let _ = std::fs::remove_dir_all(&claude);
        }
    });
}
