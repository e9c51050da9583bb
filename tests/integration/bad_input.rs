//! Bad input: a clear error naming file, line and field, a non-zero exit, and
//! never a started command.

use crate::support::*;

fn run_with_profile(env: &TestEnv, text: &str) -> (Option<i32>, String) {
    let path = env.profile_file("bad", text);
    let output = env
        .guard(&["run", "-p", path.to_str().unwrap(), "--", "touch", "ran"])
        .output()
        .unwrap();
    assert!(!env.repo.join("ran").exists(), "the command must not run");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn malformed_toml_names_file_and_line() {
    let env = TestEnv::new(identities()[0]);
    let (code, stderr) = run_with_profile(&env, "[filesystem]\nread = [\"/tmp\"\n");
    assert_eq!(code, Some(125));
    assert!(
        stderr.contains("bad.toml:") && stderr.contains(":2:"),
        "{stderr}"
    );
}

#[test]
fn unknown_key_names_the_field() {
    let env = TestEnv::new(identities()[0]);
    let (code, stderr) = run_with_profile(
        &env,
        "extends = [\"default\"]\n[filesystem]\nwritable = [\"/tmp\"]\n",
    );
    assert_eq!(code, Some(125));
    assert!(
        stderr.contains("bad.toml:3:1") && stderr.contains("writable"),
        "{stderr}"
    );
}

#[test]
fn missing_profile_path_tool_repo_and_command() {
    let env = TestEnv::new(identities()[0]);
    let output = env
        .guard(&["run", "-p", "/nonexistent/p.toml", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/p.toml"));

    let (code, stderr) = run_with_profile(
        &env,
        "extends = [\"default\"]\n[tools]\nallow = [\"no-such-tool-xyz\"]\n",
    );
    assert_eq!(code, Some(125));
    assert!(
        stderr.contains("tools.allow entry `no-such-tool-xyz`"),
        "{stderr}"
    );

    let (code, stderr) = run_with_profile(
        &env,
        "extends = [\"default\"]\n[filesystem]\nread = [\"/no/such/dir\"]\n",
    );
    assert_eq!(code, Some(125));
    assert!(
        stderr.contains("filesystem.read entry `/no/such/dir`"),
        "{stderr}"
    );

    let output = env
        .guard(&["run", "--repo", "/no/such/repo", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/repo"));

    let output = env
        .guard(&["run", "--", "no-such-command-xyz"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-such-command-xyz"));
}

#[test]
fn unknown_variable_is_an_error() {
    let env = TestEnv::new(identities()[0]);
    let (code, stderr) = run_with_profile(
        &env,
        "extends = [\"default\"]\n[filesystem]\nread = [\"{nope}/x\"]\n",
    );
    assert_eq!(code, Some(125));
    assert!(stderr.contains("unknown variable `{nope}`"), "{stderr}");
}
