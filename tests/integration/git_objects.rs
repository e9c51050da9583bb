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

/// git-lfs copies an object from its local store into the work tree at
/// checkout without hashing it again, so its store is verified like git's:
/// a session cannot give an object's name other content, in place or by a
/// rename, while its own `git add` of a new large file still works.
#[test]
fn a_git_lfs_object_keeps_its_own_content() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            for args in [
                &["lfs", "install", "--local"][..],
                &["lfs", "track", "*.bin"],
            ] {
                let done = unconfined_git(env, args);
                assert!(done.status.success(), "{}", all_output(&done));
            }
            std::fs::write(env.repo.join("tool.bin"), "the real tool\n").unwrap();
            for args in [&["add", "-A"][..], &["commit", "-qm", "lfs"]] {
                let done = unconfined_git(env, args);
                assert!(done.status.success(), "{}", all_output(&done));
            }
            let pointer = unconfined_git(env, &["show", "HEAD:tool.bin"]);
            let pointer = String::from_utf8_lossy(&pointer.stdout).to_string();
            let oid = pointer
                .lines()
                .find_map(|line| line.strip_prefix("oid sha256:"))
                .unwrap_or_else(|| panic!("no LFS pointer: {pointer}"))
                .to_string();
            let object = format!(".git/lfs/objects/{}/{}/{oid}", &oid[..2], &oid[2..4]);
            assert!(env.repo.join(&object).is_file(), "{object}");
            env.give(&env.repo);
            let forged = format!(".git/lfs/objects/aa/bb/aabb{}", "0".repeat(60));
            let attacks = [
                format!("chmod u+w {object}; printf 'evil\\n' > {object}"),
                format!(
                    "printf 'evil\\n' > .git/lfs/tmp/forged && mv -f .git/lfs/tmp/forged {object}"
                ),
                // A name of its own for other content, by a link.
                format!(
                    "mkdir -p .git/lfs/objects/aa/bb && printf 'evil\\n' > .git/lfs/tmp/forged2 && \
                     ln .git/lfs/tmp/forged2 {forged}"
                ),
            ];
            let work = [
                "echo new > new.bin && git add new.bin && git commit -qm new && git lfs ls-files | grep -q new.bin",
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &work,
            };
            // git-lfs is one of the tools every profile allows where present.
            let output = env.run_script(
                mode,
                &format!("mkdir -p .git/lfs/tmp; {}", battery.script()),
            );
            battery.check(mode, &all_output(&output));
            // The user's checkout, unconfined, of the file the object holds.
            std::fs::remove_file(env.repo.join("tool.bin")).unwrap();
            let checkout = unconfined_git(env, &["checkout", "--", "tool.bin"]);
            assert!(checkout.status.success(), "{}", all_output(&checkout));
            let content = std::fs::read_to_string(env.repo.join("tool.bin")).unwrap();
            assert_eq!(content, "the real tool\n", "{mode:?}");
            assert!(!env.repo.join(&forged).exists(), "{mode:?}");
        }
    });
}

/// A split index keeps most entries in a shared file the index names: the
/// session can change neither, so what the user's git reads as staged stays.
#[test]
fn a_split_index_stays_as_the_user_made_it() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let split = unconfined_git(env, &["update-index", "--split-index"]);
            assert!(split.status.success(), "{}", all_output(&split));
            let staged = unconfined_git(env, &["ls-files", "--stage"]);
            assert!(!staged.stdout.is_empty());
            env.give(&env.repo);
            let attacks = [
                "f=$(ls .git/sharedindex.* | head -1) && test -n \"$f\" && printf x >> \"$f\"".to_string(),
                "f=$(ls .git/sharedindex.* | head -1) && cp \"$f\" .git/x.lock && mv .git/x.lock \"$f\"".to_string(),
                "echo evil | git hash-object -w --stdin > blob && \
                 git update-index --cacheinfo 100644,$(cat blob),.github/workflows/ci.yml"
                    .to_string(),
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &["git status --short > /dev/null"],
            };
            battery.run(env, mode);
            let after = unconfined_git(env, &["ls-files", "--stage"]);
            assert_eq!(after.stdout, staged.stdout, "{mode:?}");
        }
    });
}

/// guard runs git unconfined (`index-pack` on a new pack, the end's
/// comparison of commits): never one the session may change. With a
/// directory of the repository first on the user's PATH holding a `git`,
/// that one is not run: a new pack is refused, and the session's commit is
/// told as not checked.
#[test]
fn guard_runs_no_git_the_session_could_change() {
    for_each_identity(|env| {
        let marker = env.home.join("GIT-RAN-UNCONFINED");
        let tools = env.repo.join("tools");
        std::fs::create_dir_all(&tools).unwrap();
        let git = tools.join("git");
        std::fs::write(
            &git,
            format!(
                "#!/bin/sh\ntouch {} 2>/dev/null\nexec /usr/bin/git \"$@\"\n",
                marker.display()
            ),
        )
        .unwrap();
        crate::boundary::set_mode(&git, 0o755);
        env.give(&env.repo);
        let script = "/usr/bin/git -c user.name=T -c user.email=t@example.com commit -q --allow-empty -m x && \
                      /usr/bin/git repack -q; echo repacked=$?";
        let output = env
            .guard(&[
                "run",
                "--allow-exec",
                "/usr/bin/git",
                "--",
                "bash",
                "-c",
                script,
            ])
            .env(
                "PATH",
                format!("{}:/usr/local/bin:/usr/bin:/bin", tools.display()),
            )
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(!marker.exists(), "guard ran the repository's git: {text}");
        assert!(
            text.contains("repacked=") && !text.contains("repacked=0"),
            "{text}"
        );
        assert!(
            text.contains("no git was found outside what the session may write"),
            "{text}"
        );
    });
}
