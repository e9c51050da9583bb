//! Credentials from a command provider (`provider = "command"`): the
//! helper protocol, the AWS format, and helpers that fail.

use crate::credentials::assert_nowhere;
use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A command-provider helper written by the test.
pub(crate) fn helper(env: &TestEnv, name: &str, body: &str) -> PathBuf {
    let path = env.home.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    env.give(&path);
    path
}

pub(crate) fn command_profile(env: &TestEnv, credentials: &[(&str, &Path, &Path, &str)]) -> String {
    let mut text = String::from("extends = [\"builtin:default\"]\n");
    for (name, mint, revoke, extra) in credentials {
        text.push_str(&format!(
            "[[credential]]\nname = \"{name}\"\nprovider = \"command\"\nmint = [\"{}\"]\nrevoke = [\"{}\"]\n{extra}\n",
            mint.display(),
            revoke.display()
        ));
    }
    env.profile_file("cmd", &text).to_str().unwrap().to_string()
}

#[test]
fn the_command_protocol_and_aws_format_work_and_helpers_failures_refuse_the_session() {
    let env = TestEnv::new(identities()[0]);
    let revoked = env.home.join("revoked.txt");
    let revoke = helper(
        &env,
        "revoke.sh",
        &format!(
            "cat >> {}; echo >> {}",
            revoked.display(),
            revoked.display()
        ),
    );
    let mint = helper(
        &env,
        "mint.sh",
        "echo \"{\\\"env\\\": {\\\"DEMO_TOKEN\\\": \\\"demo-secret-4821\\\"}, \\\"lease\\\": \\\"lease-$GUARD_CREDENTIAL\\\", \\\"expires_in\\\": 60}\"",
    );
    let aws = helper(
        &env,
        "aws.sh",
        "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIAEXAMPLE\", \"SecretAccessKey\": \"aws-secret-9911\", \"SessionToken\": \"tok\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'",
    );
    let profile = command_profile(
        &env,
        &[
            ("demo", &mint, &revoke, "env = [\"DEMO_TOKEN\"]"),
            ("aws", &aws, &revoke, ""),
        ],
    );
    let output = env
        .guard(&[
            "run",
            "-p",
            &profile,
            "--",
            "bash",
            "-c",
            // The session also puts a value where the log records it: in
            // an exec's argv, and in a tool-call report.
            "echo got=$DEMO_TOKEN,$AWS_ACCESS_KEY_ID,$AWS_SECRET_ACCESS_KEY,$AWS_SESSION_TOKEN; \
             env true \"$DEMO_TOKEN\" \"x$AWS_SECRET_ACCESS_KEY\"; \
             echo \"{\\\"reason\\\": \\\"$DEMO_TOKEN\\\"}\" >> \"$GUARD_SESSION_REPORTS/tool-calls.jsonl\"",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("got=demo-secret-4821,AKIAEXAMPLE,aws-secret-9911,tok"),
        "{stdout}"
    );
    let revoked_leases = std::fs::read_to_string(&revoked).unwrap();
    // AWS STS credentials have no lease: nothing to revoke, the expiry ends them.
    assert_eq!(revoked_leases.trim(), "lease-demo", "{revoked_leases}");
    let session_output = Output {
        stdout: Vec::new(),
        ..output
    };
    assert_nowhere(&env, "demo-secret-4821", &session_output);
    assert_nowhere(&env, "aws-secret-9911", &session_output);

    // `--cred NAME` adds a credential from the user's credentials file.
    let config = env.home.join(".config/guard");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("credentials.toml"),
        format!("[[credential]]\nname = \"extra\"\nprovider = \"command\"\nmint = [\"{}\"]\nrevoke = [\"{}\"]\n", mint.display(), revoke.display()),
    )
    .unwrap();
    env.give(&env.home.join(".config"));
    std::fs::remove_file(&revoked).unwrap();
    let output = env
        .guard(&[
            "run",
            "--cred",
            "extra",
            "--",
            "bash",
            "-c",
            "echo got=$DEMO_TOKEN",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("got=demo-secret-4821"),
        "{}",
        all_output(&output)
    );
    assert!(
        std::fs::read_to_string(&revoked)
            .unwrap()
            .contains("lease-extra")
    );
    let output = env
        .guard(&["run", "--cred", "nope", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no credential named `nope`"));

    // Failures: non-zero exit, garbage, timeout, a variable outside `env`.
    // The first credential is minted, the second fails: the first is revoked
    // and the command never runs.
    std::fs::remove_file(&revoked).unwrap();
    for (name, body, extra, expected) in [
        ("fails", "exit 7", "", "failed"),
        (
            "garbage",
            "echo 'not json {'",
            "",
            "did not print a JSON object",
        ),
        ("slow", "sleep 5", "timeout = 1", "timed out"),
        (
            "sneaky",
            "echo '{\"env\": {\"LD_PRELOAD\": \"/tmp/x.so\"}}'",
            "",
            "may not set",
        ),
    ] {
        let bad = helper(&env, &format!("{name}.sh"), body);
        let profile = command_profile(
            &env,
            &[("demo", &mint, &revoke, ""), (name, &bad, &revoke, extra)],
        );
        let output = env
            .guard(&["run", "-p", &profile, "--", "touch", "ran"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(125), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("credential `{name}`")) && stderr.contains(expected),
            "{name}: {stderr}"
        );
        assert!(!env.repo.join("ran").exists(), "{name}: the command ran");
        assert!(
            std::fs::read_to_string(&revoked)
                .unwrap_or_default()
                .contains("lease-demo"),
            "{name}: the first credential was not revoked"
        );
        std::fs::remove_file(&revoked).unwrap();
        assert!(!stderr.contains("demo-secret-4821"));
    }
}
