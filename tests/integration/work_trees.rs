//! The repository's other work trees inside the session's writable tree (a
//! linked worktree in `.claude/worktrees/`, as Claude Code makes them, a
//! submodule, a clone of the user's) are protected at their top as the
//! repository is at its own:
//! with husky's relative `core.hooksPath`, a hook written at the top of a
//! linked worktree ran at the user's next unconfined commit there. Both
//! modes, every identity; then the user's unconfined commits in each.

use crate::boundary::MODES;
use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Output;

fn unconfined_git(env: &TestEnv, dir: &Path, args: &[&str]) {
    let mut command = env.command("git");
    command.current_dir(dir).args(args);
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        all_output(&output)
    );
}

/// A repository of the user's outside the test repository, with one
/// commit: what a submodule or a clone is made from.
fn library_repo(env: &TestEnv) -> PathBuf {
    let library = env.home.join("lib");
    std::fs::create_dir_all(&library).unwrap();
    git(&library, &["init", "-q", "-b", "main"]);
    git(&library, &["config", "user.email", "t@example.com"]);
    git(&library, &["config", "user.name", "T"]);
    std::fs::write(library.join("lib.txt"), "library\n").unwrap();
    git(&library, &["add", "-A"]);
    git(&library, &["commit", "-qm", "library"]);
    env.give(&env.home);
    library
}

/// `library` added to the repository as the submodule `vendor/lib`, and
/// committed, by the user.
fn add_submodule(env: &TestEnv, library: &Path) {
    let mut add = env.command("git");
    add.current_dir(&env.repo)
        .args(["-c", "protocol.file.allow=always", "submodule", "add", "-q"])
        .args([library.to_str().unwrap(), "vendor/lib"]);
    let added = add.output().unwrap();
    assert!(added.status.success(), "{}", all_output(&added));
    unconfined_git(env, &env.repo, &["commit", "-qm", "submodule"]);
}

/// `guard run MODE… -- bash -c SCRIPT` started in `dir`, with `extra`
/// options before the mode's.
fn run_in(env: &TestEnv, mode: &[&str], extra: &[&str], dir: &Path, script: &str) -> Output {
    let mut args = vec!["run"];
    args.extend_from_slice(extra);
    args.extend_from_slice(mode);
    args.extend_from_slice(&["--", "bash", "-c", script]);
    env.guard(&args).current_dir(dir).output().unwrap()
}

#[test]
fn the_top_of_every_other_work_tree_is_protected_like_the_repositorys() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let marker = env.home.join("PLANTED-RAN");
            let library = library_repo(env);
            // husky's setting: hooks at the top of whichever work tree the
            // commit is made in.
            unconfined_git(env, &env.repo, &["config", "core.hooksPath", ".husky/_"]);
            let feature = env.repo.join(".claude/worktrees/feature");
            let feature_arg = feature.to_str().unwrap();
            unconfined_git(
                env,
                &env.repo,
                &["worktree", "add", "-q", "-b", "feature", feature_arg],
            );
            add_submodule(env, &library);
            let library_arg = library.to_str().unwrap();
            // A clone of the user's inside the repository, neither worktree
            // nor submodule, with husky's setting of its own.
            let clone = env.repo.join("tools/helper");
            let clone_arg = clone.to_str().unwrap();
            unconfined_git(env, &env.repo, &["clone", "-q", library_arg, clone_arg]);
            unconfined_git(env, &clone, &["config", "core.hooksPath", ".husky/_"]);

            let hook = format!("#!/bin/sh\\ntouch {}\\n", marker.display());
            let plant_hook = |dir: &str| {
                format!(
                    "mkdir -p {dir}/.husky/_ && printf '{hook}' > {dir}/.husky/_/pre-commit \
                     && chmod +x {dir}/.husky/_/pre-commit"
                )
            };
            let worktree = ".claude/worktrees/feature";
            let attacks = [
                plant_hook(worktree),
                plant_hook("vendor/lib"),
                plant_hook("tools/helper"),
                // Made elsewhere, then moved to the clone's top.
                format!("{} && mv x/.husky tools/helper/.husky", plant_hook("x")),
                "echo 'repos: []' > tools/helper/.pre-commit-config.yaml".to_string(),
                format!("echo 'repos: []' > {worktree}/.pre-commit-config.yaml"),
                "echo 'repos: []' > vendor/lib/.pre-commit-config.yaml".to_string(),
                format!(
                    "mkdir -p {worktree}/.github/workflows && echo evil > {worktree}/.github/workflows/ci.yml"
                ),
                format!("echo evil >> {worktree}/.github/workflows/ci.yml"),
                // What the names resolve to.
                format!("mv {worktree} .claude/worktrees/moved && mkdir -p {worktree}"),
                format!("rm -rf {worktree}/.husky && ln -s ../../../hooks {worktree}/.husky"),
            ];
            let work = [
                "echo change >> .claude/worktrees/feature/README.md",
                "echo change >> vendor/lib/lib.txt",
                "echo change >> tools/helper/lib.txt && mv tools/helper tools/renamed && mv tools/renamed tools/helper",
                // Such names where no work tree has its top.
                "mkdir -p notes/.husky/_ notes/.github/workflows && echo x > notes/.github/workflows/a.yml",
                "mkdir -p .claude/worktrees/feature/src && echo new > .claude/worktrees/feature/src/new.txt",
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &work,
            };
            battery.run(env, mode);

            // The user commits in each work tree, unconfined.
            for dir in [
                feature.clone(),
                env.repo.join("vendor/lib"),
                clone.clone(),
                env.repo.clone(),
            ] {
                let who = ["-c", "user.name=T", "-c", "user.email=t@example.com"];
                unconfined_git(
                    env,
                    &dir,
                    &[&who[..], &["commit", "--allow-empty", "-qm", "after"]].concat(),
                );
            }
            assert!(!marker.exists(), "{mode:?}: a planted hook ran");
            assert!(!feature.join(".husky").exists(), "{mode:?}");
            assert!(!feature.join(".pre-commit-config.yaml").exists());
            assert!(!clone.join(".husky").exists(), "{mode:?}");
            assert!(!clone.join(".pre-commit-config.yaml").exists(), "{mode:?}");
            assert_eq!(
                std::fs::read_to_string(feature.join(".github/workflows/ci.yml")).unwrap(),
                "on: push\n"
            );
            assert_eq!(
                std::fs::read_to_string(feature.join("README.md")).unwrap(),
                "hello\nchange\n"
            );
            // Each refusal names the work tree it protects.
            let (_, records) = env.last_log();
            assert!(
                records
                    .iter()
                    .any(|r| r["kind"] == "denied" && r.to_string().contains("in the work tree")),
                "{mode:?}: no refusal names the work tree"
            );
        }
    });
}

/// A session in a linked worktree or a submodule (whose `.git` is a file)
/// could not start ("Not a directory"). It commits there, and changes
/// nothing of the main work tree's own state, of another worktree's, or
/// of what git runs.
#[test]
fn a_session_runs_in_a_linked_worktree_and_in_a_submodule() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let library = library_repo(env);
            let linked = env.repo.parent().unwrap().join("linked");
            let other = env.repo.parent().unwrap().join("other-tree");
            for (path, branch) in [(&linked, "feature"), (&other, "other")] {
                let path = path.to_str().unwrap();
                unconfined_git(
                    env,
                    &env.repo,
                    &["worktree", "add", "-q", "-b", branch, path],
                );
            }
            add_submodule(env, &library);
            let main_head = std::fs::read_to_string(env.repo.join(".git/HEAD")).unwrap();
            let main = env.repo.display().to_string();
            let commit = "git -c user.name=T -c user.email=t@example.com commit -qm";

            // In the linked worktree.
            let attacks = [
                format!("echo 'ref: refs/heads/planted' > {main}/.git/HEAD"),
                format!("cp {main}/.git/index i && mv i {main}/.git/index"),
                format!("echo x > {main}/.git/index.lock"),
                format!("echo x >> {main}/.git/logs/HEAD"),
                format!("echo '[core]' >> {main}/.git/config"),
                format!("echo x > {main}/.git/hooks/post-checkout"),
                format!("echo x > {main}/README.md"),
                format!("echo x > {main}/.git/worktrees/other-tree/HEAD"),
                format!("echo ../.. > {main}/.git/worktrees/linked/commondir"),
                "echo 'gitdir: /tmp' > .git".to_string(),
            ];
            let work = [
                format!("echo change >> README.md && git add README.md && {commit} linked"),
                "git stash list >/dev/null && git branch -q topic && git pack-refs --all".into(),
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &work.iter().map(String::as_str).collect::<Vec<_>>(),
            };
            let output = run_in(env, mode, &[], &linked, &battery.script());
            battery.check(mode, &all_output(&output));

            // In the submodule.
            let attacks = [
                format!("echo x > {main}/.git/modules/lib/hooks/pre-commit"),
                format!("echo '[core]' >> {main}/.git/modules/lib/config"),
                format!("echo x > {main}/.gitmodules"),
            ];
            let work = format!("echo change >> lib.txt && git add lib.txt && {commit} sub");
            let work = [work.as_str()];
            let battery = Battery {
                attacks: &attacks,
                work: &work,
            };
            let submodule = env.repo.join("vendor/lib");
            let output = run_in(env, mode, &[], &submodule, &battery.script());
            battery.check(mode, &all_output(&output));

            // The user's main work tree is as it was, and the commits are there.
            assert_eq!(
                std::fs::read_to_string(env.repo.join(".git/HEAD")).unwrap(),
                main_head
            );
            assert!(!env.repo.join(".git/index.lock").exists(), "{mode:?}");
            let status = env.command("git").args(["status", "--porcelain"]).output();
            let status = String::from_utf8(status.unwrap().stdout).unwrap();
            assert_eq!(status, " M vendor/lib\n", "{mode:?}");
            let log = env
                .command("git")
                .args(["log", "--oneline", "feature"])
                .output();
            assert!(String::from_utf8_lossy(&log.unwrap().stdout).contains("linked"));
        }
    });
}

/// A `.git` file that leads to no git directory (a worktree whose main
/// repository was moved) stopped every session with "Not a directory"; the
/// session runs, and the file stays as it is.
#[test]
fn a_git_file_that_leads_nowhere_does_not_stop_the_session() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let dir = env.home.join("moved-worktree");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(".git"), "gitdir: /nonexistent/worktrees/x\n").unwrap();
            env.give(&env.home);
            let script = "echo work > notes.txt && echo planted > .git; cat notes.txt";
            let output = run_in(env, mode, &["--repo", dir.to_str().unwrap()], &dir, script);
            let text = all_output(&output);
            assert!(text.contains("work\n"), "{mode:?}: {text}");
            assert_eq!(
                std::fs::read_to_string(dir.join(".git")).unwrap(),
                "gitdir: /nonexistent/worktrees/x\n",
                "{mode:?}"
            );
        }
    });
}
