//! Repository profiles behind trust: ignored until trusted, refused once
//! changed, and never wider than the user's profile unless allowed.

use crate::support::*;

fn network_mode(env: &TestEnv, profile: &str) -> (Option<i32>, String, String) {
    let output = env
        .guard(&["policy", "--json", "-p", profile, "--", "sh"])
        .output()
        .unwrap();
    let mode = serde_json::from_slice::<serde_json::Value>(&output.stdout)
        .map(|json| json["network"]["mode"].as_str().unwrap_or("").to_string())
        .unwrap_or_default();
    (
        output.status.code(),
        mode,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn untrusted_trusted_changed_and_widening() {
    let env = TestEnv::new(identities()[0]);
    let file = env.repo.join(".guard.toml");
    // Narrowing: the claude profile has the host network; the repo says none.
    std::fs::write(&file, "[network]\nmode = \"none\"\n").unwrap();
    env.give(&file);

    let (code, mode, stderr) = network_mode(&env, "claude");
    assert_eq!(
        (code, mode.as_str()),
        (Some(0), "allow"),
        "untrusted: ignored"
    );
    assert!(stderr.contains("not trusted"), "{stderr}");

    let trust = env.guard(&["trust", "-p", "claude"]).output().unwrap();
    assert!(trust.status.success(), "{}", all_output(&trust));
    assert!(
        String::from_utf8_lossy(&trust.stdout).contains("network.mode none"),
        "{}",
        all_output(&trust)
    );
    let (code, mode, _) = network_mode(&env, "claude");
    assert_eq!((code, mode.as_str()), (Some(0), "none"), "trusted: applied");

    std::fs::write(&file, "[network]\nmode = \"host\"\n").unwrap();
    let (code, _, stderr) = network_mode(&env, "claude");
    assert_eq!(code, Some(125), "changed: refused");
    assert!(
        stderr.contains("changed since you trusted it") && stderr.contains("+ mode = \"host\""),
        "{stderr}"
    );

    // Widening the default profile is refused unless allowed.
    std::fs::write(&file, "[filesystem]\nread = [\"{home}\"]\n").unwrap();
    let refused = env.guard(&["trust"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", all_output(&refused));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("--allow-widen"));
    let run = env.guard(&["run", "--", "true"]).output().unwrap();
    assert_eq!(
        run.status.code(),
        Some(125),
        "still the changed, untrusted file: {}",
        all_output(&run)
    );
    let allowed = env.guard(&["trust", "--allow-widen"]).output().unwrap();
    assert!(allowed.status.success(), "{}", all_output(&allowed));
    let run = env
        .guard(&[
            "run",
            "--",
            "cat",
            env.home.join(".bashrc").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "widened deliberately: {}",
        all_output(&run)
    );

    let list = env.guard(&["trust", "--list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("may widen"));
    assert!(
        env.guard(&["trust", "--revoke"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let (_, _, stderr) = network_mode(&env, "default");
    assert!(stderr.contains("not trusted"));
}
