//! Clients' hooks and arguments in the compiled command.

use super::*;

#[test]
fn client_hooks_are_registered_for_that_client_alone() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("hooked.toml");
    std::fs::write(
        &profile,
        "extends = [\"builtin:default\"]\n[tools]\nclient_hooks = [\"claude\"]\n",
    )
    .unwrap();
    let mut host = FakeHost::typical();
    host.files.insert("/usr/local/bin/guard".into(), Vec::new());
    let spec = profile.to_str().unwrap();
    let policy = compile_profile(spec, &["claude", "-p", "hi"], &host, true).unwrap();
    let hooks = policy.client_hooks.clone().expect("hooks for claude");
    let settings = Path::new("/tmp/guard-s/claude-settings.json");
    assert_eq!(hooks.settings.as_deref(), Some(settings));
    assert_eq!(
        policy.command.argv,
        [
            "claude",
            "--settings",
            settings.to_str().unwrap(),
            "-p",
            "hi"
        ]
    );
    // The session runs guard and reads, but cannot write, its settings.
    assert_eq!(policy.filesystem[settings].access, Access::READ);
    assert!(
        policy
            .tools
            .values()
            .any(|tool| tool == Path::new("/usr/local/bin/guard"))
    );
    // The user's own --settings go into guard's file, not beside it.
    let policy = compile_profile(
        spec,
        &["claude", "--settings", "mine.json", "-p", "hi"],
        &host,
        true,
    )
    .unwrap();
    let hooks = policy.client_hooks.clone().unwrap();
    assert_eq!(hooks.user_settings.as_deref(), Some("mine.json"));
    assert_eq!(
        policy.command.argv,
        [
            "claude",
            "--settings",
            settings.to_str().unwrap(),
            "-p",
            "hi"
        ]
    );
    // Another command gets nothing.
    let policy = compile_profile(spec, &["bash"], &host, true).unwrap();
    assert!(policy.client_hooks.is_none());
    assert!(!policy.command.argv.iter().any(|arg| arg == "--settings"));
    // Nor does a client the profile does not list.
    host.files.insert("/usr/bin/codex".into(), Vec::new());
    let policy = compile_profile(spec, &["codex", "exec", "hi"], &host, true).unwrap();
    assert!(policy.client_hooks.is_none());
}

#[test]
fn codex_hooks_are_registered_by_its_flags_before_the_users_arguments() {
    let mut host = FakeHost::typical();
    host.files.insert("/usr/local/bin/guard".into(), Vec::new());
    host.files.insert("/usr/bin/codex".into(), Vec::new());
    let policy = compile_profile("codex", &["codex", "exec", "hi"], &host, true).unwrap();
    let hooks = policy.client_hooks.clone().expect("hooks for codex");
    assert_eq!(hooks.settings, None);
    let argv = &policy.command.argv;
    assert_eq!(argv[0], "codex");
    assert_eq!(argv[argv.len() - 2..], ["exec", "hi"]);
    let flags: Vec<&String> = argv
        .iter()
        .filter(|arg| arg.starts_with("hooks."))
        .collect();
    assert!(
        flags
            .iter()
            .any(|flag| flag.starts_with("hooks.PreToolUse="))
    );
    assert!(flags.iter().any(|flag| flag.starts_with("hooks.state=")));
    assert!(argv.contains(&"--no-daemon".to_string()));
    // Codex runs no sandbox of its own in one (it cannot build it there).
    let sandbox = "--config=sandbox_mode=\"danger-full-access\"".to_string();
    assert!(argv.contains(&sandbox), "{argv:?}");
    // Each of the profile's arguments is added unless the user gave it,
    // the others still are.
    let given = ["codex", "--no-daemon", "exec", "hi"];
    let policy = compile_profile("codex", &given, &host, true).unwrap();
    let argv = &policy.command.argv;
    assert_eq!(argv.iter().filter(|arg| *arg == "--no-daemon").count(), 1);
    assert!(argv.contains(&sandbox), "{argv:?}");
}
