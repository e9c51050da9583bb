//! What a hook runs counts as the hook: a script the (protected)
//! pre-commit configuration names in a local hook, the user's own git hook
//! or a CI workflow's step runs, cannot be changed by a session, or replaced, or moved away with its directory, in both modes
//! and as both identities. The user's next unconfined `git commit` then runs
//! the real pre-commit and the script as the user wrote it; other scripts
//! beside it stay the session's to edit.

use crate::boundary::{MODES, set_mode};
use crate::support::*;

/// Where `.ci/run` installs pre-commit (PyPI), in a virtual environment.
const PRE_COMMIT: &str = "/opt/guard-pre-commit/bin/pre-commit";

#[test]
fn a_script_a_hook_manager_runs_cannot_be_planted() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let repo = &env.repo;
            std::fs::write(
                repo.join(".pre-commit-config.yaml"),
                "repos:\n  - repo: local\n    hooks:\n      - id: lint\n        name: lint\n        \
                 entry: ./scripts/lint.sh\n        language: script\n        pass_filenames: false\n        always_run: true\n",
            )
            .unwrap();
            std::fs::create_dir_all(repo.join("scripts")).unwrap();
            // The user's hook leaves a mark of its own where it ran.
            let ran = env.home.join("HOOK-RAN");
            let lint = format!("#!/bin/sh\ntouch {}\n", ran.display());
            let after = format!("#!/bin/sh\ntouch {}-AFTER\n", ran.display());
            for (name, text) in [
                ("lint.sh", lint.as_str()),
                ("after.sh", after.as_str()),
                ("other.sh", "#!/bin/sh\n"),
            ] {
                std::fs::write(repo.join("scripts").join(name), text).unwrap();
                set_mode(&repo.join("scripts").join(name), 0o755);
            }
            // And the CI workflow runs one, with the repository's secrets.
            std::fs::write(
                repo.join(".github/workflows/ci.yml"),
                "on: push\njobs:\n  test:\n    steps:\n      - run: |\n          ./scripts/ci.sh\n",
            )
            .unwrap();
            std::fs::write(repo.join("scripts/ci.sh"), "#!/bin/sh\nexit 0\n").unwrap();
            // The user's own git hook runs a script of the repository too.
            let post_commit = repo.join(".git/hooks/post-commit");
            std::fs::write(&post_commit, "#!/bin/sh\n./scripts/after.sh\n").unwrap();
            set_mode(&post_commit, 0o755);
            env.give(repo);
            for args in [&["add", "-A"][..], &["commit", "-qm", "hooks"][..]] {
                let done = env.command("git").args(args).output().unwrap();
                assert!(done.status.success(), "{}", all_output(&done));
            }
            let install = env.command(PRE_COMMIT).arg("install").output().unwrap();
            assert!(install.status.success(), "{}", all_output(&install));

            let marker = env.home.join("PLANTED-RAN");
            let touch = format!("touch {}", marker.display());
            let attacks = [
                format!("echo '{touch}' >> scripts/lint.sh"),
                format!("printf '#!/bin/sh\\n{touch}\\n' > new.sh && mv new.sh scripts/lint.sh"),
                format!(
                    "mv scripts scripts-old && mkdir scripts && printf '#!/bin/sh\\n{touch}\\n' > scripts/lint.sh"
                ),
                "chmod 644 scripts/lint.sh".to_string(),
                format!("echo '{touch}' >> scripts/after.sh"),
                format!("echo '{touch}' >> scripts/ci.sh"),
            ];
            let work = [
                "printf '#!/bin/sh\\necho other\\n' > scripts/other.sh",
                "echo notes > notes.txt",
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &work,
            };
            battery.run(env, mode);

            // The user's next commit, unconfined: pre-commit runs the hook.
            let commit = env
                .command("git")
                .args(["commit", "--allow-empty", "-qm", "after"])
                .output()
                .unwrap();
            let text = all_output(&commit);
            assert!(commit.status.success(), "{mode:?}: {text}");
            assert!(
                ran.exists(),
                "{mode:?}: the user's hook did not run: {text}"
            );
            assert_eq!(
                std::fs::read_to_string(repo.join("scripts/ci.sh")).unwrap(),
                "#!/bin/sh\nexit 0\n",
                "{mode:?}: what CI runs"
            );
            let after_ran = env.home.join("HOOK-RAN-AFTER");
            assert!(
                after_ran.exists(),
                "{mode:?}: the post-commit hook did not run"
            );
            assert!(!marker.exists(), "{mode:?}: a planted command ran: {text}");
            assert_eq!(
                std::fs::read_to_string(repo.join("scripts/other.sh")).unwrap(),
                "#!/bin/sh\necho other\n",
                "{mode:?}"
            );
        }
    });
}
