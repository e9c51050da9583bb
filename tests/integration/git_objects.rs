//! git's object store and index are verified, not trusted: a session cannot
//! give an object name other content, in place, by a rename, or through a
//! pack whose index names it (the supervisor puts in place the index git
//! itself makes of the pack); nor stage, in the index, what the user's next
//! commit would take for a protected path. Both modes, every identity; then
//! the user's unconfined git reads the object's own content and commits
//! the protected files as they are, and ordinary work (add, commit, gc)
//! succeeds.

use crate::boundary::MODES;
use crate::support::*;
use std::path::Path;

fn unconfined_git(env: &TestEnv, args: &[&str]) -> std::process::Output {
    let mut command = env.command("git");
    command.args(args);
    command.output().unwrap()
}

#[test]
fn an_object_name_keeps_its_own_content() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forge_objects.py");
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let forge = env.home.join("forge_objects.py");
            std::fs::copy(&source, &forge).unwrap();
            env.give(&forge);
            std::fs::write(env.repo.join("kept.txt"), "original\n").unwrap();
            let written = unconfined_git(env, &["hash-object", "-w", "kept.txt"]);
            let blob = String::from_utf8_lossy(&written.stdout).trim().to_string();
            assert_eq!(blob.len(), 40, "{}", all_output(&written));
            env.give(&env.repo);
            for attack in ["overwrite", "rename", "pack"] {
                let script = format!(
                    "/usr/bin/python3 {} {attack} {blob}; git commit -q --allow-empty -m work && git gc -q && echo WORK-DONE",
                    forge.display()
                );
                let home = env.home.to_str().unwrap();
                let mut args = vec!["--allow-exec", "/usr/bin/python3", "--allow-read", home];
                args.extend_from_slice(mode);
                let output = env.run_script(&args, &script);
                let text = all_output(&output);
                assert!(!text.contains("WORKED"), "{mode:?} {attack}: {text}");
                assert!(text.contains("WORK-DONE"), "{mode:?} {attack}: {text}");
                // What the user's git reads for the name, unconfined.
                let shown = unconfined_git(env, &["cat-file", "-p", &blob]);
                let content = String::from_utf8_lossy(&shown.stdout);
                assert!(!content.contains("evil"), "{mode:?} {attack}: {content}");
                assert_eq!(
                    content,
                    "original\n",
                    "{mode:?} {attack}: {}",
                    all_output(&shown)
                );
            }
        }
    });
}

#[test]
fn the_index_stages_nothing_for_a_protected_path() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forge_index.py");
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let forge = env.home.join("forge_index.py");
            std::fs::copy(&source, &forge).unwrap();
            env.give(&forge);
            for attack in [
                "stage",
                "stage-new",
                "cache-tree",
                "cache-tree-in-place",
                "remove",
            ] {
                let script = format!(
                    "/usr/bin/python3 {} {attack}; echo work >> README.md && git add README.md && \
                     git commit -qm work && git status --short && echo WORK-DONE",
                    forge.display()
                );
                let home = env.home.to_str().unwrap();
                let mut args = vec!["--allow-exec", "/usr/bin/python3", "--allow-read", home];
                args.extend_from_slice(mode);
                let output = env.run_script(&args, &script);
                let text = all_output(&output);
                assert!(!text.contains("WORKED"), "{mode:?} {attack}: {text}");
                assert!(text.contains("WORK-DONE"), "{mode:?} {attack}: {text}");
                assert!(env.repo.join(".git/index").is_file(), "{mode:?} {attack}");
                // The user's next commit, unconfined, of a change of their own.
                std::fs::write(env.repo.join("mine.txt"), attack).unwrap();
                env.give(&env.repo.join("mine.txt"));
                let added = unconfined_git(env, &["add", "mine.txt"]);
                assert!(added.status.success(), "{}", all_output(&added));
                let commit = unconfined_git(env, &["commit", "-qm", "mine"]);
                assert!(commit.status.success(), "{}", all_output(&commit));
                let committed = unconfined_git(env, &["show", "HEAD:.github/workflows/ci.yml"]);
                assert_eq!(
                    String::from_utf8_lossy(&committed.stdout),
                    "on: push\n",
                    "{mode:?} {attack}: {}",
                    all_output(&committed)
                );
                let listed =
                    unconfined_git(env, &["ls-files", "--stage", ".pre-commit-config.yaml"]);
                assert_eq!(
                    String::from_utf8_lossy(&listed.stdout),
                    "",
                    "{mode:?} {attack}"
                );
                let work = unconfined_git(env, &["show", "HEAD~1:README.md"]);
                assert!(
                    String::from_utf8_lossy(&work.stdout).ends_with("work\n"),
                    "{mode:?} {attack}"
                );
            }
            // The user's own edit of a protected file, committed by the
            // session: the index may say what the work tree has.
            let edit = "on: [push, pull_request]\n";
            std::fs::write(env.repo.join(".github/workflows/ci.yml"), edit).unwrap();
            let output = env.run_script(
                mode,
                "git add -A && git commit -qm theirs && echo COMMITTED",
            );
            assert!(
                all_output(&output).contains("COMMITTED"),
                "{mode:?}: {}",
                all_output(&output)
            );
            let committed = unconfined_git(env, &["show", "HEAD:.github/workflows/ci.yml"]);
            assert_eq!(String::from_utf8_lossy(&committed.stdout), edit, "{mode:?}");
            // Each refusal is on record, naming the index (the last
            // session's log is of the work above, the attacks' are before).
            let (last, _) = env.last_log();
            let logs = std::fs::read_dir(last.parent().unwrap()).unwrap();
            let refused = logs.flatten().any(|log| {
                std::fs::read_to_string(log.path()).is_ok_and(|text| text.contains("git's index"))
            });
            assert!(refused, "{mode:?}: no refusal names the index");
        }
    });
}
