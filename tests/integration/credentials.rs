//! Ephemeral credentials: minted per session, usable inside it, revoked on
//! every way it can end, never written anywhere. PostgreSQL tests need the
//! server `.ci/run` starts (`tests/pg/start.sh`).

use crate::support::*;
use std::process::{Command, Output};
use std::time::Duration;

/// The tests share one server, and one of them stops and restarts it.
static SERVER: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub(crate) fn server() -> std::sync::MutexGuard<'static, ()> {
    SERVER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The admin URL of the test server; missing is a failure, not a skip.
pub(crate) fn admin_url() -> String {
    std::env::var("GUARD_TEST_PG_URL")
        .expect("GUARD_TEST_PG_URL is not set: start the test server with `eval \"$(tests/pg/start.sh)\"` (.ci/run does)")
}

pub(crate) fn pg_bin() -> String {
    std::env::var("GUARD_TEST_PG_BIN").expect("GUARD_TEST_PG_BIN is set by tests/pg/start.sh")
}

/// Runs SQL as the admin; returns stdout.
pub(crate) fn admin_sql(sql: &str) -> String {
    let output = Command::new(format!("{}/psql", pg_bin()))
        .args(["-X", "-At", "-d", &admin_url(), "-c", sql])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

pub(crate) fn role_exists(role: &str) -> bool {
    admin_sql(&format!(
        "SELECT count(*) FROM pg_roles WHERE rolname = '{role}'"
    )) == "1"
}

/// Whether a login with these credentials works.
pub(crate) fn can_log_in(user: &str, password: &str) -> bool {
    let url = admin_url();
    let host_part = url.split('@').nth(1).unwrap();
    Command::new(format!("{}/psql", pg_bin()))
        .args([
            "-X",
            "-At",
            "-d",
            &format!("postgresql://{user}@{host_part}"),
            "-c",
            "SELECT 1",
        ])
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .unwrap()
        .status
        .success()
}

fn pg_profile(env: &TestEnv) -> String {
    let text = "extends = [\"builtin:default\"]\n[tools]\nallow = [\"psql\"]\n[network]\nmode = \"host\"\n\
                [[credential]]\nname = \"db\"\nprovider = \"postgres\"\nttl = \"10m\"\nadmin_url_env = \"GUARD_TEST_PG_URL\"\nrole = \"app_readonly\"\n";
    env.profile_file("pg", text).to_str().unwrap().to_string()
}

/// `guard run -p pg -- bash -c SCRIPT` with the admin URL in guard's
/// environment and the real psql first on PATH.
fn pg_session(env: &TestEnv, script: &str) -> Command {
    let profile = pg_profile(env);
    let mut command = env.guard(&["run", "-p", &profile, "--", "bash", "-c", script]);
    command
        .env("GUARD_TEST_PG_URL", admin_url())
        .env("PATH", format!("{}:/usr/local/bin:/usr/bin:/bin", pg_bin()));
    command
}

/// The script the session runs: a real query, then it writes the minted
/// user and password into the repository for the test to try afterwards.
const USE_AND_LEAK: &str = "psql -X -At -c 'SELECT count(*) FROM items' > count.txt && echo \"$PGUSER $PGPASSWORD\" > minted.txt";

/// Waits (up to 10 s) until the session has written `minted.txt`.
fn wait_for_minted(env: &TestEnv) -> bool {
    wait_until(|| minted_written(env), Duration::from_secs(10))
}

fn minted(env: &TestEnv) -> (String, String) {
    let text = std::fs::read_to_string(env.repo.join("minted.txt")).unwrap();
    let mut words = text.split_whitespace();
    (
        words.next().unwrap().to_string(),
        words.next().unwrap().to_string(),
    )
}

/// The minted password appears nowhere guard writes.
pub(crate) fn assert_nowhere(env: &TestEnv, secret: &str, guard_output: &Output) {
    assert!(
        !all_output(guard_output).contains(secret),
        "guard's output holds the secret"
    );
    let mut stack = vec![env.state.clone()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .flatten()
                    .map(|e| e.path()),
            );
        } else if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "{} holds the secret",
                path.display()
            );
        }
    }
}

fn assert_revoked(env: &TestEnv, output: &Output) {
    let (user, password) = minted(env);
    assert!(!role_exists(&user), "role {user} still exists");
    assert!(
        !can_log_in(&user, &password),
        "the minted password still logs in"
    );
    assert_nowhere(env, &password, output);
    let leases = env.state.join("guard/leases");
    assert!(
        std::fs::read_dir(&leases).map(|d| d.count()).unwrap_or(0) == 0,
        "the lease is still journaled"
    );
}

#[test]
fn the_credential_works_inside_and_is_revoked_on_normal_exits() {
    let _server = server();
    let env = TestEnv::new(identities()[0]);
    for (script, code) in [("exit 0", 0), ("exit 3", 3), ("kill -KILL $$", 128 + 9)] {
        let output = pg_session(&env, &format!("{USE_AND_LEAK}; {script}"))
            .env("GUARD_LOG", "trace")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(code), "{}", all_output(&output));
        assert_eq!(
            std::fs::read_to_string(env.repo.join("count.txt"))
                .unwrap()
                .trim(),
            "3",
            "the query ran"
        );
        assert_revoked(&env, &output);
    }
    let (_, records) = (
        0,
        std::fs::read_to_string(
            env.state
                .join("guard/sessions")
                .read_dir()
                .unwrap()
                .flatten()
                .last()
                .unwrap()
                .path(),
        )
        .unwrap(),
    );
    assert!(records.contains("credential_minted") && records.contains("credential_revoked"));
}

#[test]
fn signals_to_guard_and_background_holders_still_end_in_revocation() {
    let _server = server();
    let env = TestEnv::new(identities()[0]);
    for (signal, group) in [
        (libc::SIGTERM, false),
        (libc::SIGHUP, false),
        (libc::SIGINT, true),
    ] {
        let _ = std::fs::remove_file(env.repo.join("minted.txt"));
        // A background holder of the credential that ignores the signal.
        let script = format!("{USE_AND_LEAK}; (trap '' TERM HUP INT; sleep 300) & sleep 300");
        let mut command = pg_session(&env, &script);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        // What a user's ^C or `kill` meets: default dispositions. A runner
        // started in the background (`nohup`, `&` in a script) ignores
        // SIGINT, SIGQUIT and SIGHUP, and ignored signals stay ignored
        // across exec, into the session's shell.
        // SAFETY: only `signal`, which is async-signal-safe, runs between
        // fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, || {
                for signal in [libc::SIGINT, libc::SIGQUIT, libc::SIGHUP] {
                    libc::signal(signal, libc::SIG_DFL);
                }
                Ok(())
            });
        }
        let child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_minted(&env);
        std::thread::sleep(Duration::from_millis(200));
        let target = if group {
            -(child.id() as i32)
        } else {
            child.id() as i32
        };
        // SAFETY: kill takes plain integers.
        unsafe { libc::kill(target, signal) };
        let output = child.wait_with_output().unwrap();
        assert!(
            !output.status.success(),
            "signal {signal}: {}",
            all_output(&output)
        );
        assert_revoked(&env, &output);
    }
}

#[test]
fn a_killed_guard_is_cleaned_up_by_reap_and_by_the_next_run() {
    let _server = server();
    let env = TestEnv::new(identities()[0]);
    for cleanup in ["reap", "run"] {
        let _ = std::fs::remove_file(env.repo.join("minted.txt"));
        let mut child = pg_session(&env, &format!("{USE_AND_LEAK}; sleep 300"))
            .spawn()
            .unwrap();
        wait_for_minted(&env);
        child.kill().unwrap();
        child.wait().unwrap();
        let (user, password) = minted(&env);
        assert!(role_exists(&user), "killed guard could not revoke");
        let (killed_log, _) = env.last_log();
        let creds = env.guard(&["creds"]).output().unwrap();
        assert!(
            String::from_utf8_lossy(&creds.stdout).contains("orphaned"),
            "{}",
            all_output(&creds)
        );
        let output = match cleanup {
            "reap" => env
                .guard(&["reap"])
                .env("GUARD_TEST_PG_URL", admin_url())
                .output()
                .unwrap(),
            _ => env
                .guard(&["run", "--", "true"])
                .env("GUARD_TEST_PG_URL", admin_url())
                .output()
                .unwrap(),
        };
        assert!(
            output.status.success(),
            "{cleanup}: {}",
            all_output(&output)
        );
        assert!(!role_exists(&user), "{cleanup} did not revoke");
        assert!(!can_log_in(&user, &password));
        assert_nowhere(&env, &password, &output);
        // The revocation is in the killed session's log, which is then sealed.
        let records: Vec<serde_json::Value> = std::fs::read_to_string(&killed_log)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert!(
            records
                .iter()
                .any(|r| r["kind"] == "credential_revoked" && r["by"] == "guard reap"),
            "{cleanup}: {records:#?}"
        );
        let end = records.last().unwrap();
        assert_eq!(end["kind"], "session_end", "{cleanup}");
        assert_eq!(end["by"], "guard reap");
        let id = killed_log.file_stem().unwrap().to_str().unwrap();
        let verify = env.guard(&["log", "verify", id]).output().unwrap();
        assert_eq!(verify.status.code(), Some(0), "{}", all_output(&verify));
    }
}

#[test]
fn a_database_down_at_exit_keeps_the_lease_until_it_is_back() {
    let _server = server();
    let env = TestEnv::new(identities()[0]);
    let data = std::env::var("GUARD_TEST_PG_DATA").expect("set by tests/pg/start.sh");
    let pg_ctl = |action: &str| {
        let status = Command::new("su")
            .args([
                "postgres",
                "-s",
                "/bin/sh",
                "-c",
                &format!(
                    "{}/pg_ctl -D {data} -w -m fast {action} -l {data}/server.log",
                    pg_bin()
                ),
            ])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl {action}");
    };
    let stop_file = env.repo.join("stop-now");
    let script = format!(
        "{USE_AND_LEAK}; while [ ! -e {} ]; do sleep 0.1; done",
        stop_file.display()
    );
    let child = pg_session(&env, &script)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_minted(&env);
    pg_ctl("stop");
    // While it is down, a new session cannot mint: it does not start.
    let refused = pg_session(&env, "touch started").output().unwrap();
    assert_eq!(refused.status.code(), Some(125), "{}", all_output(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("credential `db` (postgres): could not mint")
    );
    assert!(!env.repo.join("started").exists());
    std::fs::write(&stop_file, "").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("retried"),
        "{}",
        all_output(&output)
    );
    let creds = env.guard(&["creds"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&creds.stdout).contains("pending revocation"),
        "{}",
        all_output(&creds)
    );
    pg_ctl("start");
    let (user, password) = minted(&env);
    assert!(role_exists(&user));
    let reap = env
        .guard(&["reap"])
        .env("GUARD_TEST_PG_URL", admin_url())
        .output()
        .unwrap();
    assert!(reap.status.success(), "{}", all_output(&reap));
    assert!(!role_exists(&user));
    assert!(!can_log_in(&user, &password));
}
