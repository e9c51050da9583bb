//! git's object store is verified, not trusted: a session cannot give an
//! object name other content, in place, by a rename, or through a pack whose
//! index names it (the supervisor puts in place the index git itself makes
//! of the pack). Both modes, every identity; then the user's unconfined git
//! reads the object's own content, and ordinary work (commit, gc) succeeds.

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
