//! Protected paths inside the writable repository, with the mount namespace
//! and with the forced snapshot fallback.

use crate::support::*;

const ATTACK: &str = "echo evil > .git/hooks/pre-commit; echo evil > .git/hooks/post-checkout; echo evil >> .git/config; \
    echo evil > .github/workflows/ci.yml; rm -f .github/workflows/ci.yml; mkdir -p .circleci && echo evil > .circleci/config.yml; \
    echo fine > src.txt && echo WORK-DONE";

fn assert_untouched(env: &TestEnv) {
    assert_eq!(
        std::fs::read_to_string(env.repo.join(".git/hooks/pre-commit")).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
    assert!(!env.repo.join(".git/hooks/post-checkout").exists());
    assert!(
        !std::fs::read_to_string(env.repo.join(".git/config"))
            .unwrap()
            .contains("evil")
    );
    assert_eq!(
        std::fs::read_to_string(env.repo.join(".github/workflows/ci.yml")).unwrap(),
        "on: push\n"
    );
    assert!(
        !env.repo.join(".circleci").exists(),
        "a protected path created during the session is removed"
    );
    assert_eq!(
        std::fs::read_to_string(env.repo.join("src.txt")).unwrap(),
        "fine\n"
    );
}

#[test]
fn protected_paths_stay_read_only_with_a_mount_namespace() {
    for_each_identity(|env| {
        let output = env.run_script(&[], ATTACK);
        let text = all_output(&output);
        assert!(text.contains("WORK-DONE"), "{text}");
        assert!(
            text.contains("Read-only file system"),
            "the kernel refused the writes: {text}"
        );
        assert_untouched(env);
        let policy = env.guard(&["policy"]).output().unwrap();
        assert!(String::from_utf8_lossy(&policy.stdout).contains("private mount namespace"));
    });
}

#[test]
fn protected_paths_are_restored_by_the_snapshot_fallback() {
    for_each_identity(|env| {
        let output = env.run_script(&["--no-namespaces"], ATTACK);
        let text = all_output(&output);
        assert!(text.contains("WORK-DONE"), "{text}");
        assert!(
            text.contains("restored"),
            "guard reports what it restored: {text}"
        );
        assert_untouched(env);
        let quarantine = env.state.join("guard/quarantine");
        assert!(quarantine.is_dir(), "the session's versions are kept");
        let policy = env.guard(&["--no-namespaces", "policy"]).output().unwrap();
        assert!(String::from_utf8_lossy(&policy.stdout).contains("snapshot at start"));
        let doctor = env.guard(&["--no-namespaces", "doctor"]).output().unwrap();
        assert!(String::from_utf8_lossy(&doctor.stdout).contains("snapshot at start"));
    });
}

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

/// The assistants' user configuration that later unconfined sessions load
/// stays as it was, whatever a confined session writes to it.
#[test]
fn codex_and_gemini_user_configuration_stays_read_only() {
    for_each_identity(|env| {
        for (profile, file, original) in [
            ("codex", ".codex/config.toml", "model = \"o4\"\n"),
            ("gemini", ".gemini/settings.json", "{}\n"),
        ] {
            let path = env.home.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, original).unwrap();
            env.give(path.parent().unwrap());
            let script = format!(
                "echo 'planted = true' >> ~/{file}; mkdir -p ~/{dir}/commands && echo x > ~/{dir}/commands/x.md; echo state > ~/{dir}/state.txt; true",
                dir = file.split('/').next().unwrap()
            );
            let output = env.run_script(&["-p", profile], &script);
            assert!(output.status.success(), "{}", all_output(&output));
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                original,
                "{profile}"
            );
            let dir = env.home.join(file.split('/').next().unwrap());
            assert_eq!(
                dir.join("commands/x.md").exists(),
                profile == "codex",
                "{profile}: gemini's commands are protected, codex has none"
            );
            assert!(
                dir.join("state.txt").exists(),
                "{profile}: its own state is written"
            );
        }
    });
}
