//! The real assistant clients (installed by `.ci/run` from npm) start confined
//! under their built-in profiles.

use crate::support::*;

fn run_client(env: &TestEnv, args: &[&str]) -> (bool, String) {
    let mut full = vec!["run", "--"];
    full.extend_from_slice(args);
    let output = env.guard(&full).output().unwrap();
    (output.status.success(), all_output(&output))
}

#[test]
fn claude_and_codex_report_their_version_confined() {
    for_each_identity(|env| {
        let (ok, text) = run_client(env, &["claude", "--version"]);
        assert!(ok && text.contains("Claude Code"), "{text}");
        let (ok, text) = run_client(env, &["codex", "--version"]);
        assert!(ok && text.contains("codex"), "{text}");
        let (ok, text) = run_client(env, &["codex", "--help"]);
        assert!(ok && text.contains("Usage"), "{text}");
        // The profile was picked from the command name, and the client's own
        // directories were created in the fixture home.
        assert!(env.home.join(".claude").is_dir());
        assert!(env.home.join(".codex").is_dir());
    });
}

#[test]
fn claude_profile_keeps_other_secrets_out_of_reach() {
    for_each_identity(|env| {
        let probe = probe().to_str().unwrap().to_string();
        let key = env.home.join(".ssh/id_ed25519");
        let output = env
            .guard(&[
                "run",
                "-p",
                "claude",
                "--allow-exec",
                &probe,
                "--",
                &probe,
                "read",
                key.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let text = all_output(&output);
        assert!(
            !output.status.success() && text.contains("EACCES"),
            "{text}"
        );
    });
}
