//! The audit log: what a session did, recorded exactly, tamper-evident, and
//! out of the session's reach.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

/// A profile extending `default` that records every file access.
fn log_all_profile(env: &TestEnv, files: &str) -> String {
    let text = format!("extends = [\"builtin:default\"]\n[log]\nfiles = \"{files}\"\n");
    env.profile_file(&format!("log-{files}"), &text)
        .to_str()
        .unwrap()
        .to_string()
}

fn find<'a>(records: &'a [Value], kind: &str, path: &Path) -> &'a Value {
    records
        .iter()
        .find(|r| r["kind"] == kind && r["path"] == path.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {kind} record for {}", path.display()))
}

#[test]
fn the_log_holds_exactly_what_the_session_did() {
    for_each_identity(|env| {
        let work = env.repo.join("work");
        std::fs::create_dir(&work).unwrap();
        env.give(&work);
        let profile = log_all_profile(env, "all");
        let script = format!("{} audit_ops {}", probe().display(), work.display());
        let output = env.run_script(&["-p", &profile], &script);
        assert!(output.status.success(), "{}", all_output(&output));
        let (path, records) = env.last_log();

        let probe_exec = records
            .iter()
            .find(|r| r["kind"] == "exec" && r["path"] == probe().to_str().unwrap())
            .expect("the probe's exec");
        assert_eq!(
            probe_exec["argv"],
            serde_json::json!([
                probe().to_str().unwrap(),
                "audit_ops",
                work.to_str().unwrap()
            ])
        );
        assert_eq!(probe_exec["cwd"], env.repo.to_str().unwrap());
        let probe_pid = probe_exec["pid"].as_u64().unwrap();

        let via_dirfd = find(&records, "create", &work.join("via-dirfd.txt"));
        assert_eq!(via_dirfd["pid"], probe_pid);
        assert_eq!(via_dirfd["syscall"], "openat");
        let from_thread = find(&records, "create", &work.join("from-thread.txt"));
        assert_eq!(from_thread["pid"], probe_pid);
        assert_ne!(
            from_thread["tid"], from_thread["pid"],
            "a second thread has its own tid"
        );
        find(&records, "create", &work.join("after-chdir.txt"));
        let link = find(&records, "link", &work.join("link.txt"));
        assert_eq!(link["target"], "after-chdir.txt");
        assert_eq!(link["symbolic"], true);
        // The read through the link names the file it opened, and the
        // name it asked for beside it.
        let through_link = records
            .iter()
            .find(|r| r["kind"] == "open" && r["asked"] == work.join("link.txt").to_str().unwrap())
            .unwrap_or_else(|| panic!("no open through link.txt: {records:#?}"));
        assert_eq!(through_link["mode"], serde_json::json!(["read"]));
        assert_eq!(
            through_link["path"],
            work.join("after-chdir.txt").to_str().unwrap()
        );
        assert_eq!(
            find(&records, "rename", &work.join("after-chdir.txt"))["to"],
            work.join("renamed.txt").to_str().unwrap()
        );
        find(&records, "mkdir", &work.join("subdir"));
        find(&records, "delete", &work.join("renamed.txt"));

        let denied = find(&records, "denied", Path::new("/etc/shadow"));
        assert_eq!(denied["operation"], "open");
        assert_eq!(denied["needs"], "read");
        assert!(
            denied["rule"]
                .as_str()
                .unwrap()
                .contains("no filesystem rule"),
            "{denied}"
        );

        let grandchild = records
            .iter()
            .find(|r| {
                r["kind"] == "exec" && r["argv"] == serde_json::json!(["true", "from-grandchild"])
            })
            .expect("the grandchild's exec");
        assert_eq!(grandchild["ppid"], probe_pid);

        let start = &records[0];
        assert_eq!(start["kind"], "session_start");
        assert!(start["policy_digest"].as_str().unwrap().len() == 64);
        let end = records.last().unwrap();
        assert_eq!(end["kind"], "session_end");
        assert_eq!(end["exit_code"], 0);
        assert!(end["counts"]["exec"].as_u64().unwrap() >= 3, "{end}");

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(PARENT_SECRET),
            "a parent environment value reached the log"
        );
        let verify = env.guard(&["log", "verify", "last"]).output().unwrap();
        assert_eq!(verify.status.code(), Some(0), "{}", all_output(&verify));
    });
}

#[test]
fn the_session_cannot_touch_its_own_log() {
    for_each_identity(|env| {
        let log = env.state.join("guard/sessions");
        let script = format!(
            "f={}/$GUARD_SESSION.jsonl; echo forged >> $f; : > $f; rm -f $f; mv $f /tmp/x; ls {} ; echo TRIED",
            log.display(),
            log.display()
        );
        let output = env.run_script(&[], &script);
        assert!(all_output(&output).contains("TRIED"));
        let verify = env.guard(&["log", "verify", "last"]).output().unwrap();
        assert_eq!(verify.status.code(), Some(0), "{}", all_output(&verify));
        let (_, records) = env.last_log();
        assert!(
            records.iter().any(|r| r["kind"] == "denied"),
            "the attempts are recorded as denials"
        );

        let widened = env.profile_file(
            "widened",
            &format!(
                "extends = [\"builtin:default\"]\n[filesystem]\nwrite = [\"{}\"]\n",
                env.state.display()
            ),
        );
        let output = env
            .guard(&["run", "-p", widened.to_str().unwrap(), "--", "true"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(125));
        assert!(String::from_utf8_lossy(&output.stderr).contains("rewrite its own log"));
    });
}

#[test]
fn verify_finds_edits_deletions_and_a_missing_end() {
    let env = TestEnv::new(identities()[0]);
    let output = env.run_script(&[], "echo a > a.txt; echo b > b.txt; rm a.txt");
    assert!(output.status.success());
    let (path, _) = env.last_log();
    let original = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = original.lines().collect();

    let verify = |env: &TestEnv| env.guard(&["log", "verify", "last"]).output().unwrap();
    std::fs::write(&path, original.replacen("b.txt", "c.txt", 1)).unwrap();
    let output = verify(&env);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("edited"),
        "{}",
        all_output(&output)
    );

    let mut deleted = lines.clone();
    deleted.remove(2);
    std::fs::write(&path, deleted.join("\n") + "\n").unwrap();
    let output = verify(&env);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("line 3"),
        "{}",
        all_output(&output)
    );

    std::fs::write(&path, lines[..lines.len() - 1].join("\n") + "\n").unwrap();
    let output = verify(&env);
    assert_eq!(output.status.code(), Some(3), "{}", all_output(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("no end record"));
}

#[test]
fn logging_levels_decide_what_is_recorded() {
    let env = TestEnv::new(identities()[0]);
    let script = "cat README.md > /dev/null; rm -f written.txt; echo w > written.txt";
    let read_readme = |records: &[Value]| {
        records
            .iter()
            .any(|r| r["kind"] == "open" && r["path"].as_str().unwrap().ends_with("README.md"))
    };
    // Every access, by default.
    env.run_script(&[], script);
    let (_, default) = env.last_log();
    assert!(default.iter().any(|r| r["kind"] == "create"));
    assert!(read_readme(&default));

    let profile = log_all_profile(&env, "writes");
    env.run_script(&["-p", &profile], script);
    let (_, writes) = env.last_log();
    assert!(writes.iter().any(|r| r["kind"] == "create"));
    assert!(!read_readme(&writes));

    let profile = log_all_profile(&env, "none");
    env.run_script(&["-p", &profile], script);
    let (_, none) = env.last_log();
    let kinds: std::collections::BTreeSet<&str> =
        none.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert!(
        kinds
            .iter()
            .all(|k| ["session_start", "exec", "session_end", "denied"].contains(k)),
        "{kinds:?}"
    );
    assert!(kinds.contains("exec"));
}

#[test]
fn a_killed_guard_leaves_a_readable_unsealed_log() {
    let env = TestEnv::new(identities()[0]);
    let mut child = env
        .guard(&["run", "--", "bash", "-c", "echo x > x.txt; sleep 30"])
        .spawn()
        .unwrap();
    wait_until(
        || env.repo.join("x.txt").exists(),
        std::time::Duration::from_secs(5),
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    let output = env.guard(&["log", "verify", "last"]).output().unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", all_output(&output));
    let (_, records) = env.last_log();
    assert!(
        records.iter().any(|r| r["kind"] == "create"),
        "records up to the kill are there"
    );
    let list = env.guard(&["log", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("no end record"));
}

#[test]
fn an_unwritable_log_refuses_the_session() {
    let env = TestEnv::new(identities()[0]);
    let blocker = env.home.join("state-is-a-file");
    std::fs::write(&blocker, "").unwrap();
    env.give(&blocker);
    let output = env
        .guard(&["run", "--", "touch", "ran"])
        .env("XDG_STATE_HOME", &blocker)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("audit log"),
        "{}",
        all_output(&output)
    );
    assert!(!env.repo.join("ran").exists(), "the command must not run");
}

#[test]
fn a_write_failure_mid_session_stops_it() {
    use std::os::unix::process::CommandExt;
    let env = TestEnv::new(identities()[0]);
    let profile = log_all_profile(&env, "all");
    let mut command = env.guard(&[
        "run",
        "-p",
        &profile,
        "--",
        "bash",
        "-c",
        "for i in $(seq 5000); do cat README.md; done > /dev/null; touch finished",
    ]);
    // SAFETY: between fork and exec only async-signal-safe calls are made:
    // setrlimit and signal, on values prepared before the fork.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 256 * 1024,
                rlim_max: 256 * 1024,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(125), "{}", all_output(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("the session was stopped"),
        "{}",
        all_output(&output)
    );
    assert!(
        !env.repo.join("finished").exists(),
        "the session went on without its log"
    );
}

#[test]
fn a_directory_another_process_moved_is_the_one_recorded_and_its_mask_applies() {
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let (one, two) = (env.repo.join("one"), env.repo.join("two"));
            for dir in [&one, &two] {
                let _ = std::fs::remove_dir_all(dir);
                std::fs::create_dir(dir).unwrap();
                std::fs::write(dir.join("a.txt"), "a").unwrap();
                env.give(dir);
            }
            let profile = log_all_profile(env, "all");
            let mut args = vec!["-p", profile.as_str()];
            args.extend_from_slice(mode);
            let script = format!(
                "umask 022; {} clone_fs {} {}",
                probe().display(),
                one.display(),
                two.display()
            );
            let output = env.run_script(&args, &script);
            assert!(output.status.success(), "{mode:?}: {}", all_output(&output));
            let (_, records) = env.last_log();
            let reads: Vec<&str> = records
                .iter()
                .filter(|r| r["kind"] == "open" && r["syscall"] == "openat")
                .filter_map(|r| r["path"].as_str())
                .filter(|path| path.ends_with("/a.txt"))
                .collect();
            let (first, second) = (one.join("a.txt"), two.join("a.txt"));
            assert_eq!(
                reads,
                [first.to_str().unwrap(), second.to_str().unwrap()],
                "{mode:?}"
            );
            find(&records, "create", &two.join("b.txt"));
            assert!(!one.join("b.txt").exists(), "{mode:?}");
            let made = std::fs::metadata(two.join("b.txt")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                made.permissions().mode() & 0o777,
                0o600,
                "{mode:?}: the mask the CLONE_FS child set applies"
            );
        }
    });
}

#[test]
fn the_summary_of_the_last_session_lists_only_what_changed() {
    let env = TestEnv::new(identities()[0]);
    let script = "echo new > made.txt; rm -f never-there.txt; rm never-there-either.txt; \
                  echo x >> .git/config; echo draft > notes.tmp; mv notes.tmp notes.md; \
                  ln -s made.txt pointer; echo gone > /dev/null; \
                  echo t > \"$TMPDIR/scratch\"; cat \"$TMPDIR/scratch\" >/dev/null; true";
    let output = env.run_script(&[], script);
    assert!(output.status.success(), "{}", all_output(&output));
    // No argument: the last session, for every view of one session.
    let path = env.guard(&["log", "path"]).output().unwrap();
    assert!(path.status.success(), "{}", all_output(&path));
    let (last, _) = env.last_log();
    assert_eq!(
        String::from_utf8_lossy(&path.stdout).trim(),
        last.to_str().unwrap()
    );
    for view in [&["log", "verify"][..], &["log", "show"]] {
        let output = env.guard(view).output().unwrap();
        assert!(output.status.success(), "{view:?}: {}", all_output(&output));
        assert!(!output.stdout.is_empty(), "{view:?}");
    }
    let output = env.guard(&["log", "summary"]).output().unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    // Denials first, then reads outside the repository, then changes.
    let denials_at = text.find("\ndenials by rule\n").expect("denials");
    let reads_at = text
        .find("\nread outside the repository")
        .expect("reads outside");
    let changed_at = text.find("\nfiles changed\n").expect("changes");
    assert!(denials_at < reads_at && reads_at < changed_at, "{text}");
    let changed = text[changed_at..]
        .split("\nprocesses (execs, by parent)\n")
        .next()
        .unwrap_or_else(|| panic!("{text}"));
    assert!(changed.contains("made.txt"), "{text}");
    // A rename names where it went, a link what it points to.
    let repo = std::fs::canonicalize(&env.repo).unwrap();
    let line = |kind: &str, from: &str, to: &str| {
        format!("  {kind:<7} {}/{from} → {to}\n", repo.display())
    };
    let renamed = line(
        "rename",
        "notes.tmp",
        &format!("{}/notes.md", repo.display()),
    );
    assert!(changed.contains(&renamed), "{renamed}\n{text}");
    assert!(
        changed.contains(&line("link", "pointer", "made.txt")),
        "{text}"
    );
    // Nor is a write to a device that keeps nothing a change.
    for attempt in ["never-there", ".git/config", "/dev/null"] {
        assert!(
            !changed.contains(attempt),
            "{attempt} did not change:\n{text}"
        );
    }
    let denials = &text[denials_at..reads_at];
    assert!(denials.contains(".git/config"), "{text}");
    let outside = &text[reads_at..changed_at];
    assert!(outside.contains("/usr/lib"), "{text}");
    // A directory of the session's own says what it is.
    assert!(
        outside.contains("/tmp  (the session's temporary directory)"),
        "{text}"
    );
    assert!(
        !outside.contains(env.repo.to_str().unwrap()),
        "reads in the repository are not outside it:\n{text}"
    );
}

#[test]
fn files_are_made_with_the_mask_guard_started_with_until_a_process_changes_it() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let names = ["first", "first.d", "second", "second.d", "unnamed"];
            for name in names {
                let _ = std::fs::remove_dir_all(env.repo.join(name));
                let _ = std::fs::remove_file(env.repo.join(name));
            }
            let mut args = vec!["run", "--allow-exec", "/usr/bin/python3"];
            args.extend_from_slice(mode);
            // Neither bash nor mkdir calls `umask` until the script does; an
            // unnamed file (O_TMPFILE) gets its mode too, once linked.
            let script = "echo > first; mkdir first.d; umask 002; echo > second; mkdir second.d; \
                 /usr/bin/python3 -c \"import os; fd = os.open('.', os.O_TMPFILE | os.O_WRONLY, 0o666); \
                 os.link('/proc/self/fd/%d' % fd, 'unnamed', follow_symlinks=True)\"";
            args.extend_from_slice(&["--", "bash", "-c", script]);
            let mut command = env.guard(&args);
            // SAFETY: umask is async-signal-safe and takes a constant.
            unsafe {
                command.pre_exec(|| {
                    libc::umask(0o027);
                    Ok(())
                });
            }
            let output = command.output().unwrap();
            assert!(output.status.success(), "{mode:?}: {}", all_output(&output));
            let mode_of = |name: &str| {
                let metadata = std::fs::metadata(env.repo.join(name)).unwrap();
                metadata.permissions().mode() & 0o777
            };
            let made: Vec<u32> = names.iter().map(|name| mode_of(name)).collect();
            assert_eq!(made, [0o640, 0o750, 0o664, 0o775, 0o664], "{mode:?}");
        }
    });
}

/// Each call of the deny list refused with `EPERM` or `EACCES` is a
/// `denied` record naming the call and the rule, in every mode, whether it
/// is refused whatever its arguments or for them (a `TIOCSTI` ioctl, a
/// memfd that could be run, sockets the `default` profile's network and
/// unix socket settings forbid); the `ENOSYS` probes programs fall back
/// from (`io_uring_setup`) are left to the kernel and leave none.
#[test]
fn every_call_the_deny_list_refuses_is_a_denied_record() {
    let calls = [
        ("mount", "", "mount", "EPERM"),
        ("ptrace", "1", "ptrace", "EPERM"),
        ("keyctl", "", "keyctl", "EPERM"),
        ("bpf", "", "bpf", "EPERM"),
        ("perf", "", "perf_event_open", "EPERM"),
        ("userfaultfd", "", "userfaultfd", "EPERM"),
        ("unshare_user", "", "unshare", "EPERM"),
        ("tiocsti", "", "ioctl", "EPERM"),
        ("memfd_exec", "", "memfd_create", "EACCES"),
        ("udp", "", "socket", "EACCES"),
        ("unix_dgram", "", "socket", "EACCES"),
    ];
    for_each_identity(|env| {
        for mode in crate::boundary::MODES {
            let probe = probe().display().to_string();
            let mut script: Vec<String> = calls
                .iter()
                .map(|(operation, arg, ..)| format!("{probe} {operation} '{arg}'"))
                .collect();
            script.push(format!("{probe} io_uring ''"));
            let output = env.run_script(mode, &(script.join("; ") + "; true"));
            let stdout = String::from_utf8_lossy(&output.stdout);
            let refusals: Vec<&str> = stdout.lines().filter(|l| l.starts_with("denied")).collect();
            assert_eq!(refusals.len(), calls.len() + 1, "{mode:?}: {stdout}");
            for (line, (.., errno)) in refusals.iter().zip(calls) {
                assert!(line.contains(errno), "{line} {stdout}");
            }
            assert!(refusals[calls.len()].contains("ENOSYS"), "{stdout}");
            let (_, records) = env.last_log();
            // The probe's, in the order it made them (the shell's own
            // refusals, its name service lookups over unix sockets, are
            // recorded too).
            let denied: Vec<&Value> = (records.iter())
                .filter(|r| r["kind"] == "denied" && r["exe"].as_str() == Some(probe.as_str()))
                .collect();
            assert_eq!(denied.len(), calls.len(), "{mode:?}: {denied:?}");
            for (record, (_, _, syscall, errno)) in denied.iter().zip(calls) {
                assert_eq!(record["syscall"], syscall, "{record}");
                assert_eq!(record["operation"], "syscall", "{record}");
                assert_eq!(record["errno"], errno, "{record}");
                assert_eq!(record["by"], "guard", "{record}");
                let rule = record["rule"].as_str().unwrap();
                assert!(rule.starts_with("seccomp deny list: "), "{record}");
            }
        }
    });
}

/// A signal to a process outside the session, by any call that sends one
/// (here to pid 1: guard's init
/// with namespaces, the machine's without), which Landlock's scope refuses,
/// is a `denied` record; a signal to the session's own process goes
/// through and leaves none.
#[test]
fn a_signal_sent_outside_the_session_is_a_denied_record() {
    const CALLS: [&str; 6] = [
        "kill",
        "tkill",
        "tgkill",
        "rt_sigqueueinfo",
        "rt_tgsigqueueinfo",
        "pidfd_send_signal",
    ];
    for_each_identity(|env| {
        for mode in crate::boundary::MODES {
            // Every call asks about pid 1 (outside: the host's init, or the
            // anchor in the session's pid namespace), then about a process
            // of the session's own.
            let probe = probe().display();
            let script = format!(
                "{probe} signal_calls 1; echo ---; sleep 5 & {probe} signal_calls $!; kill $!"
            );
            let output = env.run_script(mode, &script);
            let stdout = String::from_utf8_lossy(&output.stdout);
            let (outside, inside) = stdout.split_once("---").expect("both parts ran");
            for call in CALLS {
                assert!(
                    outside.contains(&format!("{call}: denied: EPERM")),
                    "{mode:?}: {stdout}"
                );
                assert!(
                    inside.contains(&format!("{call}: ok")),
                    "{mode:?}: {stdout}"
                );
            }
            let (_, records) = env.last_log();
            let signals: Vec<&Value> = (records.iter())
                .filter(|r| r["kind"] == "denied" && r["operation"] == "signal")
                .collect();
            let named: Vec<&str> = signals
                .iter()
                .filter_map(|r| r["syscall"].as_str())
                .collect();
            assert_eq!(named, CALLS, "{mode:?}: {signals:?}");
            for record in signals {
                assert_eq!(
                    (&record["target"], &record["signal"], &record["errno"]),
                    (&Value::from(1), &Value::from(0), &Value::from("EPERM")),
                    "{record}"
                );
                assert!(
                    record["rule"].as_str().unwrap().contains("signal scope"),
                    "{record}"
                );
            }
        }
    });
}

/// A TCP bind, which Landlock refuses when the network is not the host's,
/// is a `denied` record naming the port; a unix socket's bind is not
/// refused for it.
#[test]
fn a_tcp_bind_is_a_denied_record() {
    for_each_identity(|env| {
        for mode in crate::boundary::MODES {
            // `--allow-domain` makes the network `allow`: TCP sockets may be
            // made (to reach the proxy), but not bound.
            let extra: Vec<&str> = mode
                .iter()
                .copied()
                .chain(["--allow-domain", "example.test:443"])
                .collect();
            let script = format!("{} tcp_bind 8123", probe().display());
            let output = env.run_script(&extra, &script);
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(stdout.contains("EACCES"), "{mode:?}: {stdout}");
            let (_, records) = env.last_log();
            let binds: Vec<&Value> = (records.iter())
                .filter(|r| r["kind"] == "denied" && r["operation"] == "bind")
                .collect();
            assert_eq!(binds.len(), 1, "{mode:?}: {binds:?}");
            assert_eq!(binds[0]["port"], 8123, "{}", binds[0]);
            assert_eq!(binds[0]["errno"], "EACCES", "{}", binds[0]);
        }
    });
}

/// An exec of a program that is not there ran nothing, and its record says
/// so (`errno`), as for each directory of a `PATH` search; the exec that
/// ran is recorded without one, and the summary lists only that one. An
/// exec of a file the session may execute but whose mode does not let it
/// is the kernel's refusal, and a `denied` record.
/// A program that runs itself again through `/proc/self/exe` (Codex does
/// for each command), or a file through its descriptor, is recorded as the
/// file the process's own link led to, and is no "exec that ran other than
/// its record named": in the supervisor, `/proc/self` is the supervisor.
#[test]
fn an_exec_through_the_processes_own_proc_links_names_their_file() {
    for_each_identity(|env| {
        for mode in crate::boundary::MODES {
            let script = "bash -c 'exec /proc/self/exe -c \"echo again\"'; \
                /usr/bin/python3 -c \"import os; fd = os.open('/usr/bin/true', os.O_RDONLY); os.execv('/dev/fd/%d' % fd, ['true'])\" && echo fd-ran";
            let args: Vec<&str> = mode
                .iter()
                .copied()
                .chain(["--allow-exec", "/usr/bin/python3"])
                .collect();
            let output = env.run_script(&args, script);
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                stdout.contains("again") && stdout.contains("fd-ran"),
                "{mode:?}: {}",
                all_output(&output)
            );
            let (_, records) = env.last_log();
            let execs: Vec<&Value> = (records.iter())
                .filter(|r| r["kind"] == "exec" || r["kind"] == "exec_mismatch")
                .collect();
            let through = |via: &str| {
                (execs.iter())
                    .find(|r| r["via"].as_str().is_some_and(|v| v.starts_with(via)))
                    .unwrap_or_else(|| panic!("{mode:?}: no exec via {via}: {execs:#?}"))
            };
            let bash = std::fs::canonicalize("/bin/bash").unwrap();
            let again = through("/proc/self/exe");
            assert_eq!(again["path"], bash.to_str().unwrap(), "{mode:?}: {again}");
            let by_descriptor = through("/dev/fd/");
            assert_eq!(
                by_descriptor["path"], "/usr/bin/true",
                "{mode:?}: {by_descriptor}"
            );
            let mismatches = execs.iter().filter(|r| r["kind"] == "exec_mismatch");
            assert_eq!(mismatches.count(), 0, "{mode:?}: {execs:#?}");
        }
    });
}

#[test]
fn an_exec_of_a_missing_program_is_a_failed_exec() {
    for_each_identity(|env| {
        let not_executable = env.repo.join("not-executable");
        std::fs::write(&not_executable, "#!/bin/sh\necho ran\n").unwrap();
        env.give(&not_executable);
        for mode in crate::boundary::MODES {
            let script = "PATH=/nonexistent-dir:/usr/bin env true; echo env=$?; ./missing-program; echo missing=$?; ./not-executable; echo mode=$?";
            let granted = ["--allow-exec", not_executable.to_str().unwrap()];
            let args: Vec<&str> = mode.iter().copied().chain(granted).collect();
            let output = env.run_script(&args, script);
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                stdout.contains("env=0")
                    && stdout.contains("missing=127")
                    && stdout.contains("mode=126"),
                "{mode:?}: {}",
                all_output(&output)
            );
            let (_, records) = env.last_log();
            let exec_of = |path: &str| {
                records
                    .iter()
                    .filter(|r| r["kind"] == "exec" && r["path"] == path)
                    .collect::<Vec<_>>()
            };
            let missing_in_path = exec_of("/nonexistent-dir/true");
            assert_eq!(missing_in_path.len(), 1, "{mode:?}: {records:?}");
            assert_eq!(missing_in_path[0]["errno"], "ENOENT", "{mode:?}");
            let missing = format!("{}/missing-program", env.repo.display());
            let missing = exec_of(&missing);
            assert_eq!(missing.len(), 1, "{mode:?}: {records:?}");
            assert_eq!(missing[0]["errno"], "ENOENT", "{mode:?}");
            let ran = exec_of("/usr/bin/true");
            assert_eq!(ran.len(), 1, "{mode:?}: {records:?}");
            assert!(ran[0].get("errno").is_none(), "{mode:?}: {}", ran[0]);
            let refused: Vec<&Value> = (records.iter())
                .filter(|r| r["kind"] == "denied" && r["operation"] == "exec")
                .collect();
            assert_eq!(refused.len(), 1, "{mode:?}: {records:?}");
            assert_eq!(
                (&refused[0]["path"], &refused[0]["by"], &refused[0]["errno"]),
                (
                    &Value::from(not_executable.to_str().unwrap()),
                    &Value::from("kernel"),
                    &Value::from("EACCES")
                ),
                "{mode:?}"
            );
            let summary = env.guard(&["log", "summary", "last"]).output().unwrap();
            let summary = String::from_utf8_lossy(&summary.stdout);
            // The shell's own line names the script; no line is the exec
            // that failed.
            let processes = summary.split("processes (execs").nth(1).unwrap_or_default();
            let lines = |what: &str| processes.lines().filter(|l| l.contains(what)).count();
            assert!(
                lines("  true") == 1 && lines("missing-program") == 1,
                "{mode:?}: {summary}"
            );
        }
    });
}
