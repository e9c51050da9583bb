//! What git carries out later from its own state: a session left an
//! interactive rebase stopped with `exec` lines in its list, and the
//! user's next unconfined `git rebase --continue` ran them. The list
//! changes only by a rename guard checks: it may drop commands, never add
//! one. Rebasing, stopped and continued, still works in a session, and so
//! does continuing the user's own rebase with its commands. Both modes,
//! every identity.

use crate::boundary::MODES;
use crate::support::*;

fn unconfined(env: &TestEnv, script: &str) -> std::process::Output {
    let mut command = env.command("bash");
    command.args(["-c", script]);
    command.output().unwrap()
}

/// Three more commits, so that a rebase has something to do.
fn three_commits(env: &TestEnv) {
    let made = unconfined(
        env,
        "for n in 1 2 3; do echo $n > file$n; git add file$n; git commit -qm c$n; done",
    );
    assert!(made.status.success(), "{}", all_output(&made));
}

#[test]
fn a_rebase_runs_no_command_a_session_added_to_its_list() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            three_commits(env);
            let marker = env.home.join("PLANTED-RAN");
            let touch = format!("touch {}", marker.display());
            let todo = ".git/rebase-merge/git-rebase-todo";
            // The session stops a rebase of its own, then adds to its list.
            let stop = "GIT_SEQUENCE_EDITOR=\"sed -i '1i break'\" git rebase -q -i HEAD~2";
            let attacks = [
                // A rebase with commands of its own, left as git leaves it.
                format!(
                    "git rebase -q -x '{touch}' HEAD~1; made=$?; \
                     git rebase --abort 2>/dev/null; rm -rf .git/rebase-merge; exit $made"
                ),
                format!("{stop}; printf 'exec {touch}\\n' >> {todo}"),
                format!("cp {todo} list && echo 'x {touch}' >> list && mv list {todo}"),
                format!("GIT_SEQUENCE_EDITOR=\"sed -i '1i exec {touch}'\" git rebase --edit-todo"),
                format!("echo 'exec {touch}' > list && rm {todo} && mv list {todo}"),
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &[],
            };
            battery.run(env, mode);
            // guard told the user the rebase left in progress is the session's.
            let (_, records) = env.last_log();
            assert!(
                records.iter().any(|r| r["kind"] == "git_left"
                    && r["path"].as_str().unwrap().ends_with(".git/rebase-merge")),
                "{mode:?}: no record of the rebase left in progress"
            );
            // The user finishes the rebase the session left, unconfined.
            let continued = unconfined(env, "git rebase --continue || git rebase --abort");
            assert!(continued.status.success(), "{}", all_output(&continued));
            assert!(
                !marker.exists(),
                "{mode:?}: a command the session added ran"
            );
            let (_, records) = env.last_log();
            assert!(
                records
                    .iter()
                    .any(|r| r["kind"] == "denied"
                        && r.to_string().contains("git rebase --continue")),
                "{mode:?}: no refusal names the rebase"
            );
        }
    });
}

#[test]
fn rebasing_works_in_a_session_and_continues_the_users_own_commands() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            three_commits(env);
            // The user's own rebase, stopped before its commands ran.
            let started = unconfined(
                env,
                "GIT_SEQUENCE_EDITOR=\"sed -i '1i break'\" git rebase -q -i -x 'echo ran >> ran.txt' HEAD~2",
            );
            assert!(started.status.success(), "{}", all_output(&started));
            let work = [
                // Continuing it runs its commands, confined.
                "git rebase --continue && test \"$(wc -l < ran.txt)\" = 2 && rm ran.txt",
                // A rebase of the session's own: dropped and reworded
                // commits, stopped and continued.
                "GIT_SEQUENCE_EDITOR=\"sed -i '2d'\" git rebase -q -i HEAD~3",
                "GIT_SEQUENCE_EDITOR=\"sed -i '1i break'\" git rebase -q -i HEAD~1 && \
                 test -d .git/rebase-merge && git rebase --continue",
                "test ! -e .git/rebase-merge && test \"$(git log --oneline | wc -l)\" = 3",
            ];
            let battery = Battery {
                attacks: &[],
                work: &work,
            };
            battery.run(env, mode);
            // Nothing was left in progress that was not before.
            let (_, records) = env.last_log();
            assert!(!records.iter().any(|r| r["kind"] == "git_left"), "{mode:?}");
        }
    });
}

/// A stash is what the user's next `git stash pop` applies: when the
/// session made one, on top or written into the list's log beneath, guard
/// says so (a stash can carry any content, `.husky/pre-commit` included,
/// made with `git stash store`); a stash of the user's that the session's
/// pop brought to the top is not reported.
#[test]
fn stashes_the_session_made_are_told() {
    for_each_identity(|env| {
        let stashed = unconfined(
            env,
            "git config user.name T && git config user.email t@example.com && \
             echo one >> README.md && git stash -q && echo two >> README.md && git stash -q",
        );
        assert!(stashed.status.success(), "{}", all_output(&stashed));
        let stash_records = |env: &TestEnv| {
            let (_, records) = env.last_log();
            records
                .into_iter()
                .filter(|r| r["kind"] == "git_left" && r["path"] == "refs/stash")
                .count()
        };
        // The session pops the user's newest: the user's older one is on top.
        let output = env.run_script(&[], "git stash pop -q && git checkout -q README.md");
        assert!(output.status.success(), "{}", all_output(&output));
        assert_eq!(stash_records(env), 0);
        // The session stashes a change of its own.
        let output = env.run_script(&[], "echo session >> README.md && git stash -q");
        assert!(output.status.success(), "{}", all_output(&output));
        assert_eq!(stash_records(env), 1);
        assert!(
            all_output(&output).contains("the stash list holds 1 entry the session made"),
            "{}",
            all_output(&output)
        );
        // An older entry written into the list's log, which a pop of the
        // user's brings to the top.
        let script = "zero=0000000000000000000000000000000000000000; \
                      printf '%s %s T <t@example.com> 0 +0000\tWIP\n' $zero $(git rev-parse HEAD) \
                      > list && cat .git/logs/refs/stash >> list && cat list > .git/logs/refs/stash";
        let output = env.run_script(&[], script);
        assert!(output.status.success(), "{}", all_output(&output));
        let (_, records) = env.last_log();
        let left: Vec<_> = records.iter().filter(|r| r["kind"] == "git_left").collect();
        let stashes: Vec<_> = left
            .iter()
            .filter(|r| r["operation"] == "stashes")
            .collect();
        assert_eq!(stashes.len(), 1, "{left:?}");
        assert_eq!(stashes[0]["newest"], false, "{left:?}");
        // The list's log was rewritten in place, which is told as well.
        assert!(
            left.iter()
                .any(|r| r["operation"] == "refs changed, not checked"),
            "{left:?}"
        );
    });
}

/// A rebase of the user's, stopped: the session may put other steps in its
/// list (a `pick` of another commit: its list may be removed and written
/// anew, which git does at the rebase's end), and guard tells the user
/// before their `git rebase --continue` carries them out, with the
/// protected paths the commits they apply change; so are the commits of a
/// rebase or a cherry-pick of several commits the session leaves.
#[test]
fn steps_a_session_adds_to_the_users_rebase_are_told() {
    for_each_identity(|env| {
        three_commits(env);
        let started = unconfined(
            env,
            "GIT_SEQUENCE_EDITOR=\"sed -i '1i break'\" git rebase -q -i HEAD~2",
        );
        assert!(started.status.success(), "{}", all_output(&started));
        let todo = ".git/rebase-merge/git-rebase-todo";
        let script = format!(
            "printf 'pick %s other\\n' $(git rev-parse HEAD~1) > list && \
             cat {todo} >> list && rm {todo} && mv list {todo}"
        );
        let output = env.run_script(&[], &script);
        assert!(output.status.success(), "{}", all_output(&output));
        assert!(
            all_output(&output).contains("added 1 step(s) to the rebase"),
            "{}",
            all_output(&output)
        );
        let (_, records) = env.last_log();
        assert!(
            records
                .iter()
                .any(|r| r["kind"] == "git_left" && r["steps_added"] == 1),
            "no record of the changed rebase"
        );
        // Continuing it as it was told: nothing else is reported.
        let output = env.run_script(&[], "true");
        assert!(!all_output(&output).contains("step(s)"));
        // A step that applies a commit of the session's that plants a hook
        // is told with the path; one naming its commit otherwise than by
        // object name is told as not compared.
        let script = format!(
            "{} printf 'pick %s planted\\npick HEAD~1 named\\n' $commit > list && \
             cat {todo} >> list && rm {todo} && mv list {todo}",
            planted(".husky/pre-commit")
        );
        let output = env.run_script(&[], &script);
        let said = all_output(&output);
        assert!(output.status.success(), "{said}");
        assert!(
            said.contains("added 2 step(s)")
                && said.contains("they change protected paths: .husky/pre-commit")
                && said.contains("commits not compared: HEAD~1"),
            "{said}"
        );
        let (_, records) = env.last_log();
        assert!(
            records.iter().any(|r| r["kind"] == "git_left"
                && r["protected"] == serde_json::json!([".husky/pre-commit"])),
            "no record of the planted pick"
        );
        let aborted = unconfined(env, "git rebase --abort");
        assert!(aborted.status.success(), "{}", all_output(&aborted));
        // A rebase the session starts and leaves, applying such a commit.
        let script = format!(
            "{} unset GIT_INDEX_FILE; GIT_SEQUENCE_EDITOR=\"sed -i '1i break'\" \
             git rebase -q -i HEAD~2 && printf 'pick %s planted\\n' $commit > list && \
             cat {todo} >> list && rm {todo} && mv list {todo}",
            planted(".husky/pre-commit")
        );
        let output = env.run_script(&[], &script);
        let said = all_output(&output);
        assert!(output.status.success(), "{said}");
        assert!(
            said.contains("the rebase the session left in progress")
                && said.contains("they change protected paths: .husky/pre-commit"),
            "{said}"
        );
        let aborted = unconfined(env, "git rebase --abort");
        assert!(aborted.status.success(), "{}", all_output(&aborted));
        // A cherry-pick of several commits the session leaves, as git keeps
        // one (`git cherry-pick --continue` applies the rest of its list).
        let script = format!(
            "{} mkdir -p .git/sequencer && git rev-parse HEAD > .git/sequencer/head && \
             printf 'pick %s planted\\n' $commit > .git/sequencer/todo",
            planted(".husky/pre-commit")
        );
        let output = env.run_script(&[], &script);
        let said = all_output(&output);
        assert!(output.status.success(), "{said}");
        assert!(
            said.contains("the cherry-pick or revert the session left in progress")
                && said.contains("they change protected paths: .husky/pre-commit"),
            "{said}"
        );
        let cleared = unconfined(env, "rm -rf .git/sequencer");
        assert!(cleared.status.success(), "{}", all_output(&cleared));
    });
}

/// The start of a session's script that commits, with git's plumbing, a
/// hook at `path` onto what HEAD has (the commit in `$commit`).
fn planted(path: &str) -> String {
    format!(
        "set -e; blob=$(printf '#!/bin/sh\\ntouch PLANTED\\n' | git hash-object -w --stdin); \
         export GIT_INDEX_FILE=$TMPDIR/index; git read-tree HEAD; \
         git update-index --add --cacheinfo 100755,$blob,{path}; \
         commit=$(git commit-tree $(git write-tree) -p HEAD -m tests);"
    )
}

/// A commit the session builds with git's plumbing may hold a file the
/// boundary keeps it from writing in the work tree; the user's next
/// checkout of its branch, or reset to it, writes the file there, where it
/// runs at the following commit. Every ref the session changed to such a
/// commit is told and recorded: a new branch, the current one, a
/// remote-tracking ref, an entry written into `HEAD`'s reflog; a reflog
/// rewritten in place, and more refs than guard compares, are told as not
/// compared; a ref named to rewrite the terminal is shown escaped. The
/// session's ordinary commits are not told, nor one of the user's own
/// edit of a protected file, which the work tree holds.
#[test]
fn commits_that_change_protected_paths_are_told() {
    for_each_identity(|env| {
        let prepared = unconfined(
            env,
            "git config user.name T && git config user.email t@example.com && \
             mkdir -p .vscode && echo '{}' > .vscode/settings.json && \
             git add .vscode && git commit -qm settings && \
             echo '{\"mine\": 1}' > .vscode/settings.json",
        );
        assert!(prepared.status.success(), "{}", all_output(&prepared));
        let told = |env: &TestEnv| -> Vec<serde_json::Value> {
            let (_, records) = env.last_log();
            records
                .into_iter()
                .filter(|r| r["kind"] == "git_left")
                .collect()
        };
        // Ordinary work, and the user's own edit of a protected file.
        let work = "echo more >> README.md && git commit -qam 'work, with the user edit'";
        let output = env.run_script(&[], work);
        assert!(output.status.success(), "{}", all_output(&output));
        assert_eq!(told(env), Vec::<serde_json::Value>::new());
        // The same commit written into HEAD's reflog only, as HEAD@{1}:
        // where the user's `git reset --hard HEAD@{1}` goes back to.
        let logged = format!(
            "{} head=$(git rev-parse HEAD); \
             printf '%s %s T <t@example.com> 0 +0000\\tcommit: x\\n' $head $commit $commit $head \
             >> .git/logs/HEAD",
            planted(".husky/pre-commit")
        );
        let output = env.run_script(&[], &logged);
        assert!(output.status.success(), "{}", all_output(&output));
        let records = told(env);
        assert_eq!(records.len(), 1, "{records:?}");
        assert_eq!(records[0]["refs"], serde_json::json!(["HEAD@{1}"]));
        assert_eq!(
            records[0]["protected"],
            serde_json::json!([".husky/pre-commit"])
        );
        // The reflog rewritten in place, the session's entry where the
        // user's was: not read, and said so.
        let rewritten = format!(
            "{} head=$(git rev-parse HEAD); \
             {{ printf '%s %s T <t@example.com> 0 +0000\\tcommit: x\\n' $head $commit; \
             cat .git/logs/HEAD; }} > $TMPDIR/log && cat $TMPDIR/log > .git/logs/HEAD",
            planted(".husky/pre-commit")
        );
        let output = env.run_script(&[], &rewritten);
        assert!(output.status.success(), "{}", all_output(&output));
        let records = told(env);
        assert!(
            records
                .iter()
                .any(|r| r["operation"] == "refs changed, not checked"
                    && r["why"]
                        .as_str()
                        .unwrap()
                        .starts_with("the reflog of HEAD was rewritten")),
            "{records:?}"
        );
        // A hook committed with plumbing, onto three refs.
        let plant = format!(
            "{} git update-ref refs/heads/review $commit; \
             git update-ref refs/remotes/origin/main $commit; git update-ref HEAD $commit",
            planted(".husky/pre-commit")
        );
        let output = env.run_script(&[], &plant);
        assert!(output.status.success(), "{}", all_output(&output));
        let records = told(env);
        assert_eq!(records.len(), 1, "{records:?}");
        let branch = unconfined(env, "git symbolic-ref HEAD");
        let current = String::from_utf8_lossy(&branch.stdout).trim().to_string();
        let mut expected = vec![
            current.as_str(),
            "refs/heads/review",
            "refs/remotes/origin/main",
        ];
        expected.sort();
        assert_eq!(records[0]["refs"], serde_json::json!(expected));
        assert_eq!(
            records[0]["protected"],
            serde_json::json!([".husky/pre-commit"])
        );
        let notice = format!(
            "{} now name a commit, set by the session, that changes protected paths \
             (.husky/pre-commit)",
            expected.join(", ")
        );
        assert!(
            all_output(&output).contains(&notice),
            "{}",
            all_output(&output)
        );
        let summary = env.guard(&["log", "summary", "last"]).output().unwrap();
        assert!(
            String::from_utf8_lossy(&summary.stdout)
                .contains("refs/remotes/origin/main): .husky/pre-commit"),
            "{}",
            all_output(&summary)
        );
        // A ref whose name would rewrite the terminal is shown escaped.
        let escaped = format!(
            "{} printf '%s\\n' $commit > \".git/refs/heads/x$(printf '\\033')[2J\"",
            planted(".husky/pre-push")
        );
        let output = env.run_script(&[], &escaped);
        let text = all_output(&output);
        assert!(output.status.success(), "{text}");
        assert!(
            text.contains("refs/heads/x\\u{1b}[2J now names a commit") && !text.contains('\x1b'),
            "{text}"
        );
        // More refs than guard compares: told, not passed over.
        let flood = "for i in $(seq 300); do \
             printf 'commit refs/heads/flood%s\\ncommitter T <t@example.com> %s +0000\\ndata 1\\n\\n' $i $i; \
             done | git fast-import --quiet";
        let output = env.run_script(&[], flood);
        assert!(output.status.success(), "{}", all_output(&output));
        let records = told(env);
        assert!(
            records
                .iter()
                .any(|r| r["operation"] == "refs changed, not checked"
                    && r["why"].as_str().unwrap().starts_with("44 changed refs")),
            "{records:?}"
        );
        // What the notice warns of: a reset to it writes the hook.
        let checkout = unconfined(
            env,
            "git reset -q --hard review && test -x .husky/pre-commit",
        );
        assert!(checkout.status.success(), "{}", all_output(&checkout));
    });
}

/// The comparison at the end is the same with and without namespaces.
#[test]
fn a_planted_commit_is_told_in_both_modes() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let script = format!(
                "export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.com \
                 GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@example.com; {} \
                 git update-ref refs/heads/review $commit",
                planted(".husky/pre-commit")
            );
            let output = env.run_script(mode, &script);
            assert!(output.status.success(), "{mode:?}: {}", all_output(&output));
            let (_, records) = env.last_log();
            let told: Vec<_> = records
                .iter()
                .filter(|r| r["operation"] == "commits that change protected paths")
                .collect();
            assert_eq!(told.len(), 1, "{mode:?}: {records:?}");
            assert_eq!(told[0]["refs"], serde_json::json!(["refs/heads/review"]));
        }
    });
}
