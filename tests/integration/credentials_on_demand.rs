//! Credentials a session asks for while it runs (`on_demand = true`):
//! minted on request, once, revoked with the session, kept out of the log;
//! refused, naming the source, once the session is untrusted, unless the
//! user approved the call that asked.

use crate::command_credentials::helper;
use crate::support::*;
use crate::trust_gate::{input_file, poisoned_read_input};
use serde_json::json;

const SECRET: &str = "on-demand-secret-5531";

/// A profile offering `demo` on demand, with `gate` for credentials.
fn on_demand_profile(env: &TestEnv, gate: &str) -> (String, std::path::PathBuf) {
    let minted = env.home.join(format!("minted-{gate}.txt"));
    let revoked = env.home.join(format!("revoked-{gate}.txt"));
    let mint = helper(
        env,
        &format!("mint-{gate}.sh"),
        &format!(
            "echo minted >> {}; echo '{{\"env\": {{\"DEMO_TOKEN\": \"{SECRET}\"}}, \"lease\": \"lease-1\", \"expires_in\": 60}}'",
            minted.display()
        ),
    );
    let revoke = helper(
        env,
        &format!("revoke-{gate}.sh"),
        &format!("cat >> {}", revoked.display()),
    );
    let text = format!(
        "extends = [\"builtin:default\"]\n[trust.actions]\ncredentials = \"{gate}\"\n\
         [[credential]]\nname = \"demo\"\nprovider = \"command\"\nmint = [\"{}\"]\nrevoke = [\"{}\"]\nenv = [\"DEMO_TOKEN\"]\non_demand = true\n",
        mint.display(),
        revoke.display()
    );
    let profile = env.profile_file(&format!("on-demand-{gate}"), &text);
    (profile.to_str().unwrap().to_string(), minted)
}

fn poisoned_read(env: &TestEnv) -> String {
    input_file(env, "read.json", poisoned_read_input(env))
}

#[test]
fn a_trusted_session_gets_its_credential_on_demand_and_it_is_revoked() {
    let env = TestEnv::new(*identities().last().unwrap());
    let guard = guard_binary().to_str().unwrap();
    let (profile, minted) = on_demand_profile(&env, "ask");
    // Asked twice: minted once. The value also lands in an exec's argv.
    let script = format!(
        "eval \"$({guard} credential get demo)\" && {guard} credential get demo --json && \
         env true \"$DEMO_TOKEN\" && echo got=$DEMO_TOKEN; {guard} credential get nope; echo nope=$?"
    );
    let output = env.run_script(&["--allow-exec", guard, "-p", &profile], &script);
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains(&format!("got={SECRET}")), "{text}");
    assert!(text.contains("nope=1"), "{text}");
    assert!(
        text.contains("offers no credential `nope`") && text.contains("it offers: demo"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(&minted).unwrap(),
        "minted\n",
        "minted once"
    );
    let revoked = env.home.join("revoked-ask.txt");
    assert!(
        std::fs::read_to_string(&revoked)
            .unwrap()
            .contains("lease-1"),
        "revoked at the end"
    );
    let (path, records) = env.last_log();
    assert!(
        records
            .iter()
            .any(|r| r["kind"] == "credential_minted" && r["on_demand"] == true)
    );
    assert!(
        records
            .iter()
            .any(|r| r["kind"] == "credential_revoked" && r["credential"] == "demo")
    );
    assert!(
        records
            .iter()
            .any(|r| r["hook"] == "credential" && r["decision"] == "allow")
    );
    let log = std::fs::read_to_string(&path).unwrap();
    assert!(!log.contains(SECRET), "the value reached the log");
    assert!(
        log.contains("[redacted credential]"),
        "the argv holding it is redacted"
    );
}

#[test]
fn an_untrusted_session_is_refused_unless_the_user_approved_the_call() {
    for_each_identity(|env| {
        let guard = guard_binary().to_str().unwrap();
        let read = poisoned_read(env);
        let repo = env.repo.as_path();
        let ask_call = input_file(
            env,
            "ask.json",
            hook_input(
                "PreToolUse",
                "Bash",
                repo,
                json!({"command": format!("{guard} credential get demo")}),
            ),
        );
        // Refused outright (deny), and without approval (ask): the helper
        // never runs, and the reason names the poisoned file.
        for gate in ["deny", "ask"] {
            let (profile, minted) = on_demand_profile(env, gate);
            let script = format!(
                "{guard} hook claude post-tool-use < {read} > /dev/null; {guard} credential get demo; echo status=$?"
            );
            let output = env.run_script(&["--allow-exec", guard, "-p", &profile], &script);
            let text = all_output(&output);
            assert!(text.contains("status=1"), "{text}");
            assert!(
                text.contains("untrusted content") && text.contains("TICKET.md"),
                "{text}"
            );
            assert!(!minted.exists(), "minted in an untrusted session ({gate})");
            assert!(!text.contains(SECRET));
        }
        // Asked: the call put to the user lets the request that follows it
        // through.
        let (profile, minted) = on_demand_profile(env, "ask");
        let script = format!(
            "{guard} hook claude post-tool-use < {read} > /dev/null; \
             {guard} hook claude pre-tool-use < {ask_call}; \
             {guard} credential get demo; echo status=$?"
        );
        let output = env.run_script(&["--allow-exec", guard, "-p", &profile], &script);
        let text = all_output(&output);
        assert!(text.contains("\"permissionDecision\":\"ask\""), "{text}");
        assert!(text.contains(&format!("DEMO_TOKEN='{SECRET}'")), "{text}");
        assert!(text.contains("status=0"), "{text}");
        assert!(minted.exists());
    });
}
