//! Exit status, signals, and the session's private directories.

use crate::support::*;
use std::time::Duration;

#[test]
fn exit_status_passes_through() {
    let env = TestEnv::new(identities()[0]);
    let output = env.run_script(&[], "exit 7");
    assert_eq!(output.status.code(), Some(7));
    let output = env.run_script(&[], "kill -TERM $$");
    assert_eq!(output.status.code(), Some(128 + 15));
}

#[test]
fn sigterm_to_guard_ends_the_session_and_its_temp_dir() {
    let env = TestEnv::new(identities()[0]);
    let child = env
        .guard(&["run", "--", "bash", "-c", "echo $TMPDIR; sleep 30 & wait"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(128 + 15),
        "bash died of the forwarded SIGTERM"
    );
    let tmp = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(tmp.contains("guard-"), "{tmp}");
    assert!(
        !std::path::Path::new(&tmp).exists(),
        "{tmp} must be removed"
    );
}

/// The shells make their temporary files (here-documents) in the
/// session's own temporary directory: zsh's go under `TMPPREFIX`, not
/// `TMPDIR`, and `git commit -m "$(cat <<'EOF' …)"` is how Claude Code
/// commits.
#[test]
fn here_documents_work_in_every_shell_of_every_assistant_profile() {
    let env = TestEnv::new(identities()[0]);
    for profile in ["default", "claude", "codex"] {
        for shell in ["bash", "zsh"] {
            let script = "cat <<EOF\nhere-$((6 * 7))\nEOF\ncat <<< string-$((6 * 7))";
            let output = env
                .guard(&["run", "-p", profile, "--", shell, "-c", script])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{profile} {shell}: {}",
                all_output(&output)
            );
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert_eq!(
                stdout,
                "here-42\nstring-42\n",
                "{profile} {shell}: {}",
                all_output(&output)
            );
        }
    }
}

/// The everyday tools the assistants' commands reach for run in the
/// default session (`timeout 60 npm test`, `base64 -d`).
#[test]
fn everyday_tools_run_in_a_session() {
    let env = TestEnv::new(identities()[0]);
    let script = "timeout 10 true && echo aGk= | base64 -d && printf 'a\\nb\\n' | tac | paste -sd, \
                  && echo x | od -c | head -1 >/dev/null && nohup true \
                  && install -m 755 /dev/null installed && test \"$(stat -c %a installed)\" = 755 \
                  && echo hi | gzip | gunzip >/dev/null && echo hi | zstd -q | zstd -dq >/dev/null \
                  && echo tools-ok";
    let output = env.run_script(&[], script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("hib,a\ntools-ok"),
        "{}",
        all_output(&output)
    );
}

/// The session's programs start with `SIGPIPE`'s default action and no
/// signal blocked, as from a shell: guard's runtime ignores it, and an
/// ignored signal stays ignored across `execve`, so the writer of a
/// pipeline whose reader left would get `EPIPE` and a "write error"
/// instead of ending quietly.
#[test]
fn the_command_starts_with_the_default_signal_actions() {
    for_each_identity(|env| {
        for mode in crate::boundary::MODES {
            let script = "grep -E '^Sig(Ign|Blk)' /proc/self/status; \
                          cat /dev/zero | head -c 1 >/dev/null; echo writer=${PIPESTATUS[0]}";
            let output = env.run_script(mode, script);
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "{mode:?}: {}", all_output(&output));
            let mask = |name: &str| {
                let line = stdout.lines().find(|line| line.starts_with(name));
                let hex = line.and_then(|line| line.split_whitespace().nth(1));
                u64::from_str_radix(hex.unwrap_or_else(|| panic!("{stdout}")), 16).unwrap()
            };
            let sigpipe = 1 << (libc::SIGPIPE - 1);
            assert_eq!(mask("SigIgn:") & sigpipe, 0, "{mode:?}: {stdout}");
            assert_eq!(mask("SigBlk:"), 0, "{mode:?}: {stdout}");
            // 128 + SIGPIPE: the writer ended by the signal, as unconfined.
            assert!(
                stdout.contains("writer=141"),
                "{mode:?}: {}",
                all_output(&output)
            );
        }
    });
}

/// A hang-up (the terminal closing as the client exits), a ^C or a TERM
/// that reaches guard once the command has ended does not cut the
/// session's end short: the log is sealed and guard exits with the
/// command's status. (A debug build pauses before the seal on request.)
#[test]
fn a_signal_after_the_command_ended_does_not_cut_the_seal_short() {
    let env = TestEnv::new(identities()[0]);
    let mut child = env
        .guard(&["run", "--", "true"])
        .env("GUARD_TEST_PAUSE", "seal@2000")
        .spawn()
        .unwrap();
    // The command's records are written before the pause.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let path = env.guard(&["log", "path"]).output().unwrap();
        let path = String::from_utf8_lossy(&path.stdout).trim().to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains("\"kind\":\"exec\"") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exec record: {text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let guard = nix::unistd::Pid::from_raw(child.id() as i32);
    for signal in [
        nix::sys::signal::Signal::SIGHUP,
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGTERM,
    ] {
        nix::sys::signal::kill(guard, signal).unwrap();
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let verify = env.guard(&["log", "verify"]).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", all_output(&verify));
}

#[test]
fn guard_killed_takes_the_whole_session_with_it() {
    let env = TestEnv::new(identities()[0]);
    let marker = format!("{}", 800_000 + std::process::id() % 99_999);
    let script = format!(
        "{} daemon {marker}1 && exec sleep {marker}2",
        probe().display()
    );
    let mut child = env
        .guard(&[
            "run",
            "--allow-exec",
            probe().to_str().unwrap(),
            "--",
            "bash",
            "-c",
            &script,
        ])
        .spawn()
        .unwrap();
    assert!(
        wait_until(
            || process_running(&format!("sleep {marker}1")),
            Duration::from_secs(5)
        ),
        "the daemon never started"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !process_running(&format!("sleep {marker}2")),
        "the command survived guard's death"
    );
    assert!(
        !process_running(&format!("sleep {marker}1")),
        "a double-forked daemon survived guard's death"
    );
}

#[test]
fn the_session_sees_only_its_own_processes() {
    let env = TestEnv::new(identities()[0]);
    let output = env.run_script(&[], "echo pid=$$; ps -e | wc -l");
    let text = all_output(&output);
    assert!(
        text.contains("pid=2"),
        "the command is process 2 under guard's init: {text}"
    );
    let count: usize = text.lines().last().unwrap().trim().parse().unwrap();
    assert!(count < 10, "ps sees outside processes: {text}");
}

#[test]
fn dry_run_prints_the_policy_without_running() {
    let env = TestEnv::new(identities()[0]);
    let output = env
        .guard(&["run", "--dry-run", "--", "touch", "should-not-exist"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("filesystem"));
    assert!(!env.repo.join("should-not-exist").exists());
}

#[test]
fn policy_json_is_complete_and_has_no_parent_values() {
    let env = TestEnv::new(identities()[0]);
    let output = env
        .guard(&["policy", "--json", "--", "bash"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in [
        "profile",
        "repo",
        "command",
        "filesystem",
        "tools",
        "protection",
        "env",
        "network",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["network"]["mode"], "none");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(PARENT_SECRET));
}

#[test]
fn profile_is_picked_from_the_command_name() {
    let env = TestEnv::new(identities()[0]);
    // `.ci/run` installs Claude Code, so `claude` is on PATH here.
    let output = env
        .guard(&["policy", "--json", "--", "claude"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["profile"]["name"], "claude");
}

#[test]
fn doctor_is_green_here() {
    let env = TestEnv::new(identities()[0]);
    let output = env.guard(&["doctor"]).output().unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Landlock ABI"));
}

#[test]
fn profiles_lists_builtins_and_user_profiles() {
    let env = TestEnv::new(identities()[0]);
    let dir = env.home.join(".config/guard/profiles");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("mine.toml"),
        "description = \"my own\"\nextends = [\"default\"]\n",
    )
    .unwrap();
    env.give(&env.home.join(".config"));
    let output = env.guard(&["profiles"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    for name in [
        "default", "claude", "codex", "gemini", "aider", "review", "git-hook", "mine",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{text}"
        );
    }
    assert!(text.contains("my own"));
}

/// A supervisor thread that goes on receiving after the session's last
/// process is gone spins (since Linux 6.6 the receive fails at once), and
/// never ends. The anchor waits for its receivers before it exits and says
/// so when they do not stop. Regression test for the receive loop that
/// retried `ENOENT` forever.
#[test]
fn the_supervisor_stops_when_the_session_ends() {
    for_each_identity(|env| {
        for mode in [&["run"][..], &["--no-namespaces", "run"][..]] {
            let mut args = mode.to_vec();
            args.extend(["--", "/bin/true"]);
            let output = env.guard(&args).output().unwrap();
            let text = all_output(&output);
            assert!(output.status.success(), "{mode:?}: {text}");
            assert!(!text.contains("did not stop"), "{mode:?}: {text}");
        }
    });
}

/// A session that only waits costs guard next to no CPU: a thread that
/// spins (a receive loop retrying forever) would burn as much CPU as the
/// session takes wall time.
#[test]
fn a_waiting_session_burns_no_cpu() {
    for_each_identity(|env| {
        for mode in [&["run"][..], &["--no-namespaces", "run"][..]] {
            for profile in ["default", "claude"] {
                let mut args = mode.to_vec();
                args.extend(["-p", profile, "--", "sleep", "1"]);
                let started = std::time::Instant::now();
                // Waited for below with wait4, which also gives its usage.
                #[allow(clippy::zombie_processes)]
                let child = env.guard(&args).spawn().unwrap();
                let mut status = 0;
                // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
                let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
                // SAFETY: waits for our own child, writing into the locals above.
                let waited = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
                let wall = started.elapsed();
                assert_eq!(waited, child.id() as i32);
                assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
                let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
                let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
                assert!(
                    cpu < wall.as_secs_f64() / 2.0,
                    "{mode:?} {profile}: guard used {cpu:.3} s of CPU in {:.3} s",
                    wall.as_secs_f64()
                );
            }
        }
    });
}

/// `guard doctor` names the toolchain managers in the home and whether a
/// program of each runs under the default profile (rustup and pyenv are on
/// these machines).
#[test]
fn doctor_reports_the_toolchain_managers_it_finds() {
    let home = std::path::PathBuf::from(std::env::var("HOME").expect("HOME"));
    let env = TestEnv::new(identities()[0]);
    let output = env
        .guard(&["doctor"])
        .env("HOME", &home)
        .env(
            "PATH",
            format!(
                "{}:/usr/local/bin:/usr/bin:/bin",
                home.join(".cargo/bin").display()
            ),
        )
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    for manager in ["rustup", "pyenv"] {
        assert!(
            text.lines()
                .any(|line| line.starts_with("ok   ") && line.contains(manager)),
            "{manager}:\n{text}"
        );
    }
}

/// Each step after the fork made to fail in turn (by a debug build's
/// `GUARD_TEST_FAIL`, once the session runs): the relay of the supervisor's
/// records, the network proxy, the tool-call report watcher, and the
/// end-of-session check. Each time guard exits 125 naming the step, without
/// a panic; the session's processes, a double-forked daemon among them, are
/// ended; its credential is revoked; its private directory is removed; and
/// the log is sealed with the session's end.
#[test]
fn each_failure_after_the_fork_stops_the_session_and_cleans_up() {
    use crate::command_credentials::{command_profile, helper};
    for (step, says) in [
        ("writer@1500", "start the audit writer"),
        ("records@1500", "read the supervisor's records"),
        ("proxy@1500", "start the network proxy"),
        ("watcher@1500", "start the tool-call report watcher"),
        ("check", "failure injected at check"),
    ] {
        let env = TestEnv::new(identities()[0]);
        let revoked = env.home.join("revoked.txt");
        let revoke = helper(&env, "revoke.sh", &format!("cat >> {}", revoked.display()));
        let mint = helper(
            &env,
            "mint.sh",
            "echo '{\"env\": {\"DEMO_TOKEN\": \"demo-secret-5307\"}, \"lease\": \"lease-5307\", \"expires_in\": 60}'",
        );
        let profile = command_profile(&env, &[("demo", &mint, &revoke, "")]);
        let marker = format!("{}", 700_000 + std::process::id() % 99_999);
        let script = format!(
            "echo $TMPDIR; {} daemon {marker}1 && sleep 3",
            probe().display()
        );
        let output = env
            .guard(&[
                "run",
                "-p",
                &profile,
                "--network",
                "allow",
                "--allow-exec",
                probe().to_str().unwrap(),
                "--",
                "bash",
                "-c",
                &script,
            ])
            .env("GUARD_TEST_FAIL", step)
            .output()
            .unwrap();
        let text = all_output(&output);
        assert_eq!(output.status.code(), Some(125), "{step}: {text}");
        assert!(text.contains(says), "{step}: {text}");
        assert_eq!(
            text.matches("failure injected").count(),
            1,
            "{step}: {text}"
        );
        assert!(!text.contains("panicked"), "{step}: {text}");
        // The command ran before the failure, and nothing of it is left.
        let tmp = String::from_utf8_lossy(&output.stdout).trim().to_string();
        assert!(tmp.contains("guard-"), "{step}: {text}");
        assert!(
            !std::path::Path::new(&tmp).exists(),
            "{step}: {tmp} must be removed"
        );
        assert!(
            !process_running(&format!("sleep {marker}1")),
            "{step}: the daemon outlived the session"
        );
        assert_eq!(
            std::fs::read_to_string(&revoked).unwrap().trim(),
            "lease-5307",
            "{step}"
        );
        let (_, records) = env.last_log();
        let last = records.last().unwrap();
        assert_eq!(last["kind"], "session_end", "{step}: {last}");
        let verified = env.guard(&["log", "verify", "last"]).output().unwrap();
        assert!(
            verified.status.success(),
            "{step}: {}",
            all_output(&verified)
        );
    }
}

#[test]
fn a_session_inside_another_says_whose_rights_it_has() {
    let env = TestEnv::new(*identities().last().unwrap());
    let guard = guard_binary().to_str().unwrap();
    // The inner session's log lives in the outer session's home, which goes
    // with it: read it from inside.
    let script = format!(
        "{guard} run -- sh -c 'echo inner-ran'; echo inner=$?; \
         grep -o '\"landlock\":\"[^\"]*\"' \"$({guard} log path last)\"; \
         grep -o '\"nested_in\":\"[^\"]*\"' \"$({guard} log path last)\""
    );
    let output = env.run_script(&["--allow-exec", guard], &script);
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    let (_, records) = env.last_log();
    let outer = records[0]["session"].as_str().unwrap().to_string();
    assert!(
        text.contains("inner-ran") && text.contains("inner=0"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "inside session {outer}: this session has that session's filesystem rights"
        )),
        "{text}"
    );
    assert!(
        text.contains("\"landlock\":\"the outer session's\"")
            && text.contains(&format!("\"nested_in\":\"{outer}\"")),
        "{text}"
    );
    assert_eq!(records[0]["landlock"], "the session's own");

    // Without the variable, the inner guard would add layers the outer
    // session refuses: it stops, and says why.
    let script = format!("env -u GUARD_SESSION {guard} run -- true; echo inner=$?");
    let output = env.run_script(&["--allow-exec", guard], &script);
    let text = all_output(&output);
    assert!(text.contains("inner=125"), "{text}");
    assert!(
        text.contains("new Landlock layers are refused to this process"),
        "{text}"
    );
}

#[test]
fn a_session_variable_without_a_session_is_not_believed() {
    // `GUARD_SESSION` alone (a repository's `.envrc`, a script) used to make
    // guard run the session unsupervised: nothing recorded, and a protected
    // file written, put back only at the end.
    let env = TestEnv::new(*identities().last().unwrap());
    let output = env
        .guard(&[
            "run",
            "--",
            "sh",
            "-c",
            "cat README.md >/dev/null; echo x > .envrc; echo envrc=$?",
        ])
        .env("GUARD_SESSION", "0123456789abcdef")
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(
        text.contains(
            "GUARD_SESSION is set (0123456789abcdef) but this process is in no guard session"
        ),
        "{text}"
    );
    assert!(
        text.contains("envrc=") && !text.contains("envrc=0"),
        "{text}"
    );
    assert!(!env.repo.join(".envrc").exists());
    let (_, records) = env.last_log();
    assert!(records[0]["nested_in"].is_null(), "{:?}", records[0]);
    let names = |kind: &str, name: &str| {
        records.iter().any(|r| {
            r["kind"] == kind && r["path"].as_str().is_some_and(|path| path.ends_with(name))
        })
    };
    assert!(names("open", "/README.md"), "{records:?}");
    assert!(names("denied", "/.envrc"), "{records:?}");
}

#[test]
fn the_weaker_mode_without_namespaces_is_never_silent() {
    // The variable is anyone's to set (a repository's `.envrc`, a script).
    let env = TestEnv::new(*identities().last().unwrap());
    let output = env
        .guard(&["run", "--", "true"])
        .env("GUARD_NO_NAMESPACES", "1")
        .output()
        .unwrap();
    let text = all_output(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains(
            "without mount and pid namespaces (disabled by --no-namespaces / GUARD_NO_NAMESPACES)"
        ),
        "{text}"
    );
    let output = env.guard(&["run", "--", "true"]).output().unwrap();
    assert!(
        !all_output(&output).contains("without mount and pid namespaces"),
        "{}",
        all_output(&output)
    );
}
