//! A protected tree (`.git`, a client's directory) takes only regular files
//! and directories made in place. A symbolic link at a name git writes
//! made the user's next unconfined `git commit --amend` write the session's
//! commit message outside the repository, and a directory renamed into
//! `objects/` brought objects no check had seen. A directory leaves such a
//! tree only when every entry in it may change. Both modes, every
//! identity; then the user's unconfined git, and ordinary work beside it.

use crate::boundary::MODES;
use crate::support::*;

fn unconfined_git(env: &TestEnv, args: &[&str]) -> std::process::Output {
    let mut command = env.command("git");
    command.current_dir(&env.repo).args(args);
    command.output().unwrap()
}

#[test]
fn protected_trees_take_no_links_special_files_or_whole_directories() {
    let probe = probe().display().to_string();
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            // A file of the user's outside anything the session may write.
            let outside = env.home.join("outside.txt");
            std::fs::write(&outside, "the user's own\n").unwrap();
            std::fs::write(env.repo.join(".git/info/exclude"), "secret.env\n").unwrap();
            // An object id nothing in the repository has yet.
            let future = env.home.join("future.txt");
            std::fs::write(&future, "content the user adds later\n").unwrap();
            let id = unconfined_git(env, &["hash-object", future.to_str().unwrap()]);
            let id = String::from_utf8(id.stdout).unwrap().trim().to_string();
            assert_eq!(id.len(), 40, "{id:?}");
            env.give(&env.repo);
            let target = outside.display();
            let (fan, rest) = id.split_at(2);
            let attacks = [
                // A link where git writes, made in place or brought there.
                format!("rm -f .git/COMMIT_EDITMSG; ln -s {target} .git/COMMIT_EDITMSG"),
                format!("rm -f .git/logs/HEAD && ln -s {target} .git/logs/HEAD"),
                format!("ln -s {target} .git/refs/heads/planted"),
                format!("ln -s {} .git/objects/{fan}", env.home.display()),
                format!("ln -s {target} out-link && mv out-link .git/MERGE_MSG"),
                format!("ln -s {target} out-link2 && ln out-link2 .git/SQUASH_MSG"),
                // A FIFO a later git would block on.
                format!("{probe} mkfifo .git/FETCH_HEAD"),
                // A whole directory: objects no check has seen, links inside.
                format!(
                    "mkdir -p staged/{fan} && git hash-object -w --stdin <<< evil > /dev/null && \
                     cp \"$(find .git/objects -type f -path '*/??/*' | head -1)\" staged/{fan}/{rest} && \
                     mv staged/{fan} .git/objects/{fan}"
                ),
                format!(
                    "mkdir -p step && ln -s {target} step/message && mv step .git/rebase-merge"
                ),
                // A directory git may create, moved away with the user's
                // entries in it (info/exclude, info/attributes).
                "mv .git/info info-moved".to_string(),
                // Swapping the name between the check and the rename.
                format!("{probe} swap_race swapped .git/MERGE_MSG 3000 | grep -q '^brought'"),
            ];
            let work = [
                "git commit -q --allow-empty -m 'echo planted-message'",
                "echo data > msg && mv msg .git/MERGE_MSG && rm .git/MERGE_MSG",
                "ln -s README.md readme-link && test -L readme-link",
                "git checkout -q -b topic && git checkout -q -",
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &work,
            };
            battery.run(env, mode);

            // The user, unconfined: amend the session's commit (git writes
            // COMMIT_EDITMSG with its message), commit (a reflog line), read
            // the object the directory would have brought.
            for args in [
                &["commit", "--amend", "--no-edit", "--allow-empty", "-q"][..],
                &["commit", "--allow-empty", "-qm", "after"][..],
            ] {
                let done = unconfined_git(env, args);
                assert!(done.status.success(), "{mode:?}: {}", all_output(&done));
            }
            assert_eq!(
                std::fs::read_to_string(&outside).unwrap(),
                "the user's own\n",
                "{mode:?}: git wrote through a planted link"
            );
            let object = unconfined_git(env, &["cat-file", "-e", &id]);
            assert!(!object.status.success(), "{mode:?}: an unchecked object");
            for name in ["COMMIT_EDITMSG", "logs/HEAD", "FETCH_HEAD", "MERGE_MSG"] {
                let path = env.repo.join(".git").join(name);
                if let Ok(metadata) = std::fs::symlink_metadata(&path) {
                    assert!(metadata.is_file(), "{mode:?}: .git/{name} is {metadata:?}");
                }
            }
            assert!(!env.repo.join(".git/rebase-merge").exists(), "{mode:?}");
            assert!(env.repo.join(".git/info/exclude").is_file(), "{mode:?}");
            // What was refused on the way in went back where it was.
            assert!(env.repo.join("step/message").is_symlink(), "{mode:?}");

            // Each refusal is on record with its rule.
            let (_, records) = env.last_log();
            let refusals: Vec<&str> = records
                .iter()
                .filter(|r| r["kind"] == "denied" && r["by"] == "guard")
                .filter_map(|r| r["rule"].as_str())
                .collect();
            for expected in [
                "takes no link or special file",
                "only a regular file may be moved or linked into protected tree",
                "and this is a directory",
                "and this is a symbolic link",
                "would move with it",
            ] {
                assert!(
                    refusals.iter().any(|rule| rule.contains(expected)),
                    "{mode:?}: no refusal says {expected:?}: {refusals:#?}"
                );
            }
        }
    });
}
