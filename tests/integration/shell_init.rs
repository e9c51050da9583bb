//! `guard shell-init`: real bash, zsh and fish run a `claude` stub confined,
//! with its arguments untouched, and `command claude` bypasses.

use crate::support::*;

fn stub_env() -> (TestEnv, String) {
    let env = TestEnv::new(identities()[0]);
    let bin = env.home.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let stub = bin.join("claude");
    std::fs::write(
        &stub,
        "#!/bin/sh\necho \"session=$GUARD_SESSION\"\nfor a in \"$@\"; do echo \"arg=[$a]\"; done\ncat \"$HOME/.ssh/id_ed25519\" 2>/dev/null || echo ssh-unreadable\n",
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    env.give(&bin);
    let path = format!(
        "{}:{}:/usr/local/bin:/usr/bin:/bin",
        guard_binary().parent().unwrap().display(),
        bin.display()
    );
    (env, path)
}

fn run_shell(env: &TestEnv, path: &str, shell: &str, args: &[&str]) -> String {
    let output = env
        .command(shell)
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap();
    all_output(&output)
}

fn check(text: &str, shell: &str) {
    let confined = text.split("---").next().unwrap();
    assert!(
        confined
            .lines()
            .any(|l| l.starts_with("session=") && l.len() > 8),
        "{shell}: not confined:\n{text}"
    );
    for expected in ["arg=[a b]", "arg=[c'd]", "arg=[$HOME]", "arg=[]"] {
        assert!(
            confined.contains(expected),
            "{shell}: {expected} missing:\n{text}"
        );
    }
    assert!(
        confined.contains("ssh-unreadable") && !confined.contains(SSH_SECRET),
        "{shell}:\n{text}"
    );
    let bypass = text.split("---").nth(1).unwrap_or_default();
    assert!(
        bypass.contains("session=\n") || bypass.lines().any(|l| l == "session="),
        "{shell}: bypass:\n{text}"
    );
}

#[test]
fn bash_zsh_and_fish_run_the_stub_confined() {
    let (env, path) = stub_env();
    let posix = "eval \"$(guard shell-init SHELL)\"; claude 'a b' \"c'd\" '$HOME' ''; echo ---; command claude";
    let text = run_shell(
        &env,
        &path,
        "bash",
        &["--norc", "-c", &posix.replace("SHELL", "bash")],
    );
    check(&text, "bash");
    let text = run_shell(
        &env,
        &path,
        "zsh",
        &["-f", "-c", &posix.replace("SHELL", "zsh")],
    );
    check(&text, "zsh");
    let fish =
        "guard shell-init fish | source; claude 'a b' \"c'd\" '$HOME' ''; echo ---; command claude";
    let text = run_shell(&env, &path, "fish", &["--no-config", "-c", fish]);
    check(&text, "fish");
}

#[test]
fn only_installed_assistants_and_configured_commands_are_wrapped() {
    let (env, path) = stub_env();
    let text = run_shell(
        &env,
        &path,
        "bash",
        &["--norc", "-c", "guard shell-init bash"],
    );
    assert!(text.contains("claude()"), "{text}");

    std::fs::create_dir_all(env.home.join(".config/guard")).unwrap();
    std::fs::write(
        env.home.join(".config/guard/config.toml"),
        "[shell]\nwrap = [\"ls\", \"no-such-tool-xyz\"]\n",
    )
    .unwrap();
    env.give(&env.home.join(".config"));
    let text = run_shell(
        &env,
        &path,
        "bash",
        &["--norc", "-c", "guard shell-init bash"],
    );
    assert!(text.contains("ls()"), "{text}");
    assert!(
        !text.contains("no-such-tool-xyz()"),
        "not installed, not wrapped: {text}"
    );
}
