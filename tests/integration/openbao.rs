//! Workload identity: a session proves what it is with a token guard signs,
//! and a real OpenBao server, trusting only guard's published key and the
//! role's bound claims, hands it a real PostgreSQL login that ends with it.
//! guard's environment holds no secret. Needs the servers `.ci/run` starts
//! (`tests/pg/start.sh`, then `tests/openbao/start.sh`) and PyJWT
//! (`/opt/guard-pyjwt`) as the independent verifier of the tokens.

use crate::credentials::{admin_sql, assert_nowhere, can_log_in, pg_bin, role_exists, server};
use crate::support::*;
use std::process::{Command, Output};
use std::time::Duration;

fn test_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: start the servers with `eval \"$(tests/pg/start.sh)\"; eval \"$(tests/openbao/start.sh)\"` (.ci/run does)")
    })
}

/// The real `bao` CLI against the test server, as its root (the tests
/// configure the server with it; guard never sees this token).
fn bao(args: &[&str], stdin: Option<&str>) -> Output {
    let output = output_with_stdin(
        Command::new(test_var("GUARD_TEST_BAO_CLI"))
            .args(args)
            .env("BAO_ADDR", test_var("GUARD_TEST_BAO_ADDR"))
            .env("BAO_TOKEN", test_var("GUARD_TEST_BAO_ROOT")),
        stdin.unwrap_or(""),
    );
    assert!(
        output.status.success(),
        "bao {args:?}: {}",
        all_output(&output)
    );
    output
}

/// Makes the fixture's signing identity, and a JWT auth mount of the test
/// server's own for it that trusts that identity's key alone, with a role
/// `session` bound to `bound` claims. Returns the mount.
fn trusting_mount(env: &TestEnv, bound: serde_json::Value) -> String {
    let init = env.guard(&["identity", "init"]).output().unwrap();
    assert!(init.status.success(), "{}", all_output(&init));
    let pem = env.guard(&["identity", "jwks", "--pem"]).output().unwrap();
    let pem = String::from_utf8(pem.stdout).unwrap();
    assert!(pem.contains("BEGIN PUBLIC KEY"), "{pem}");
    let mount = format!(
        "jwt-{}",
        env.home
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(['.', '_'], "-")
    );
    bao(&["auth", "enable", &format!("-path={mount}"), "jwt"], None);
    let config = serde_json::json!({
        "jwt_validation_pubkeys": [pem],
        "jwt_supported_algs": ["EdDSA"],
    });
    bao(
        &["write", &format!("auth/{mount}/config"), "-"],
        Some(&config.to_string()),
    );
    let role = serde_json::json!({
        "role_type": "jwt",
        "user_claim": "sub",
        "bound_audiences": ["openbao"],
        "bound_claims": bound,
        "token_ttl": "10m",
        "token_policies": ["guard-session"],
    });
    bao(
        &["write", &format!("auth/{mount}/role/session"), "-"],
        Some(&role.to_string()),
    );
    mount
}

/// A profile `ob` whose credential `db` is a database login from the test
/// server, read with a login through `mount`.
fn profile(env: &TestEnv, mount: &str) -> String {
    let text = format!(
        "extends = [\"builtin:default\"]\n[tools]\nallow = [\"psql\"]\n[network]\nmode = \"host\"\n\
         [[credential]]\nname = \"db\"\nprovider = \"openbao\"\naddress = \"{}\"\nauth_mount = \"{mount}\"\n\
         role = \"session\"\nsecret = \"database/creds/session\"\ncli = \"{}\"\n\
         variables = {{ PGUSER = \"username\", PGPASSWORD = \"password\" }}\n",
        test_var("GUARD_TEST_BAO_ADDR"),
        test_var("GUARD_TEST_BAO_CLI"),
    );
    env.profile_file("ob", &text).to_str().unwrap().to_string()
}

/// `guard run -p PROFILE -- bash -c SCRIPT`, the real psql first on PATH,
/// and nothing of OpenBao in guard's environment.
fn session(env: &TestEnv, profile: &str, script: &str) -> Command {
    let mut command = env.guard(&["run", "-p", profile, "--", "bash", "-c", script]);
    command.env("PATH", format!("{}:/usr/local/bin:/usr/bin:/bin", pg_bin()));
    command
}

/// A real query with the minted login, which the session then writes into
/// the repository for the test to try afterwards.
fn use_and_leak() -> String {
    let host = crate::credentials::admin_url()
        .split('@')
        .nth(1)
        .unwrap()
        .to_string();
    format!(
        "psql -X -At -d postgresql://{host} -c 'SELECT count(*) FROM items' > count.txt && echo \"$PGUSER $PGPASSWORD\" > minted.txt"
    )
}

fn minted(env: &TestEnv) -> (String, String) {
    let text = std::fs::read_to_string(env.repo.join("minted.txt")).unwrap();
    let mut words = text.split_whitespace();
    (
        words.next().unwrap().to_string(),
        words.next().unwrap().to_string(),
    )
}

/// The bound claims every test's role starts from: this profile, this
/// repository.
fn bound_to(env: &TestEnv) -> serde_json::Value {
    serde_json::json!({ "profile": "ob", "repo_path": env.repo.to_str().unwrap() })
}

fn assert_gone(env: &TestEnv, output: &Output, what: &str) {
    let (user, password) = minted(env);
    assert!(user.starts_with("v-jwt-"), "{what}: {user}");
    assert!(!role_exists(&user), "{what}: role {user} still exists");
    assert!(
        !can_log_in(&user, &password),
        "{what}: the login still works"
    );
    assert_nowhere(env, &password, output);
    let leases = env.state.join("guard/leases");
    assert_eq!(
        std::fs::read_dir(&leases).map(|d| d.count()).unwrap_or(0),
        0,
        "{what}: the lease is still journaled"
    );
}

#[test]
fn a_session_logs_in_as_itself_and_its_database_login_ends_with_it() {
    let _server = server();
    for_each_identity(|env| {
        let mount = trusting_mount(env, bound_to(env));
        let profile = profile(env, &mount);
        // Exit 0.
        let output = session(env, &profile, &use_and_leak()).output().unwrap();
        assert!(output.status.success(), "{}", all_output(&output));
        assert_eq!(
            std::fs::read_to_string(env.repo.join("count.txt"))
                .unwrap()
                .trim(),
            "3"
        );
        assert_gone(env, &output, "exit 0");
        let (_, records) = env.last_log();
        assert!(
            records
                .iter()
                .any(|r| r["kind"] == "credential_minted" && r["provider"] == "openbao"),
            "{records:#?}"
        );
        // SIGTERM to guard while the session holds the login.
        std::fs::remove_file(env.repo.join("minted.txt")).unwrap();
        let script = format!("{}; sleep 300", use_and_leak());
        let child = session(env, &profile, &script).spawn().unwrap();
        assert!(wait_until(|| minted_written(env), Duration::from_secs(20)));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let output = child.wait_with_output().unwrap();
        assert_gone(env, &output, "SIGTERM");
    });
}

#[test]
fn a_killed_guard_leaves_its_lease_to_guard_reap() {
    let _server = server();
    let env = TestEnv::new(identities()[0]);
    let mount = trusting_mount(&env, bound_to(&env));
    let profile = profile(&env, &mount);
    let script = format!("{}; sleep 300", use_and_leak());
    let mut child = session(&env, &profile, &script).spawn().unwrap();
    assert!(wait_until(|| minted_written(&env), Duration::from_secs(20)));
    child.kill().unwrap();
    child.wait().unwrap();
    let (user, _) = minted(&env);
    assert!(role_exists(&user), "a killed guard revoked nothing");
    // The journal holds what a new login needs, and no secret.
    let reap = env.guard(&["reap"]).output().unwrap();
    assert!(reap.status.success(), "{}", all_output(&reap));
    assert!(all_output(&reap).contains("revoked credential `db` (openbao)"));
    assert_gone(&env, &reap, "guard reap");
    let (_, records) = env.last_log();
    assert!(
        records
            .iter()
            .any(|r| r["kind"] == "credential_revoked" && r["by"] == "guard reap"),
        "{records:#?}"
    );
}

#[test]
fn a_session_the_role_does_not_bind_gets_nothing() {
    let _server = server();
    let env = TestEnv::new(identities()[0]);
    let logins = || admin_sql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-jwt-%'");
    let before = logins();
    // Bound to another repository.
    let bound =
        serde_json::json!({ "profile": "ob", "repo_path": env.other_repo.to_str().unwrap() });
    let mount = trusting_mount(&env, bound);
    let profile = profile(&env, &mount);
    let output = session(&env, &profile, "echo ran > ran.txt")
        .output()
        .unwrap();
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(125), "{text}");
    assert!(text.contains("could not mint"), "{text}");
    assert!(text.contains("repo_path"), "the server's reason: {text}");
    assert!(!env.repo.join("ran.txt").exists(), "the command ran");
    assert_eq!(logins(), before, "a database login was made");
}

#[test]
fn without_a_signing_identity_an_openbao_credential_refuses_the_session() {
    let _server = server();
    let env = TestEnv::new(identities()[0]);
    let profile = profile(&env, "jwt");
    let output = session(&env, &profile, "echo ran > ran.txt")
        .output()
        .unwrap();
    let text = all_output(&output);
    assert_eq!(output.status.code(), Some(125), "{text}");
    assert!(text.contains("guard identity init"), "{text}");
    assert!(!env.repo.join("ran.txt").exists());
}

/// A server that cannot be reached, and one that no longer trusts guard's
/// key (rotated without publishing the new one): a clear error before the
/// command runs, and nothing minted or journaled.
#[test]
fn an_unreachable_server_or_an_untrusted_key_stops_the_session_clearly() {
    let _server = server();
    let env = TestEnv::new(identities()[0]);
    let mount = trusting_mount(&env, bound_to(&env));
    // Nothing listens on port 9 of loopback.
    let text = std::fs::read_to_string(profile(&env, &mount)).unwrap();
    let unreachable = env.profile_file(
        "ob",
        &text.replace(&test_var("GUARD_TEST_BAO_ADDR"), "http://127.0.0.1:9"),
    );
    let output = session(&env, unreachable.to_str().unwrap(), "echo ran > ran.txt")
        .output()
        .unwrap();
    let said = all_output(&output);
    assert_eq!(output.status.code(), Some(125), "{said}");
    assert!(
        said.contains("credential `db` (openbao): could not mint"),
        "{said}"
    );
    assert!(!env.repo.join("ran.txt").exists());
    // The key the server trusts is rotated out here.
    let profile = profile(&env, &mount);
    let rotate = env.guard(&["identity", "rotate"]).output().unwrap();
    assert!(rotate.status.success(), "{}", all_output(&rotate));
    let output = session(&env, &profile, "echo ran > ran.txt")
        .output()
        .unwrap();
    let said = all_output(&output);
    assert_eq!(output.status.code(), Some(125), "{said}");
    assert!(said.contains("could not mint"), "{said}");
    assert!(!env.repo.join("ran.txt").exists());
    let leases = env.state.join("guard/leases");
    assert_eq!(
        std::fs::read_dir(&leases).map(|d| d.count()).unwrap_or(0),
        0,
        "a lease was journaled"
    );
}
