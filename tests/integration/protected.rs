//! Protected paths next to ordinary work, and the assistants' user
//! configuration (the attacks themselves are in `boundary.rs`).

use crate::support::*;

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
