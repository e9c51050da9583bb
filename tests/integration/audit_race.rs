//! The record names what the kernel acted on, even when a racing thread
//! rewrites the path while the open is trapped: the log's opens and
//! refusals of each file equal what the process itself got.

use crate::boundary::MODES;
use crate::support::*;

/// How many opens each run makes through the flipping buffer.
const OPENS: &str = "1500";

/// The probe's counts: opens of each file, refusals, anything else.
fn counts(output: &str) -> [usize; 4] {
    let line = output
        .lines()
        .find(|l| l.starts_with("ok "))
        .unwrap_or_else(|| panic!("no counts in {output:?}"));
    let mut counts = [0; 4];
    for (slot, name) in counts.iter_mut().zip(["a=", "b=", "refused=", "other="]) {
        *slot = line
            .split(' ')
            .find_map(|field| field.strip_prefix(name))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {line:?}"));
    }
    counts
}

/// Runs `script` in a session in `mode`, checks that it succeeds and prints
/// `expected`, and returns the session's records.
fn run_printing(
    env: &TestEnv,
    mode: &[&str],
    script: &str,
    expected: &str,
) -> Vec<serde_json::Value> {
    let output = env.run_script(mode, script);
    assert!(output.status.success(), "{mode:?}: {}", all_output(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        expected,
        "{mode:?}"
    );
    env.last_log().1
}

/// How many records of `kind` name `path` (opens that failed not counted).
fn recorded(records: &[serde_json::Value], kind: &str, path: &str) -> usize {
    records
        .iter()
        .filter(|r| {
            r["kind"] == kind
                && r["path"] == path
                && r.get("errno").is_none_or(|_| kind == "denied")
        })
        .count()
}

#[test]
fn a_path_rewritten_during_the_open_is_recorded_as_the_file_the_kernel_opened() {
    for_each_identity(|env| {
        for mode in MODES {
            // Two names of one length as the flipping buffer needs: a file
            // of the repository (relative) and one the profile refuses.
            let denied = "/etc/hostname";
            let allowed = "race-a-xx.txt";
            let other = "race-b-xx.txt";
            assert_eq!(allowed.len(), denied.len());
            for name in [allowed, other] {
                let path = env.repo.join(name);
                std::fs::write(&path, name).unwrap();
                env.give(&path);
            }
            let repo = env.repo.display();
            for (second, refusing) in [(denied, true), (other, false)] {
                let script = format!(
                    "cd {repo} && {} open_race {allowed} {second} {OPENS}",
                    probe().display()
                );
                let output = env.run_script(mode, &script);
                assert!(output.status.success(), "{mode:?}: {}", all_output(&output));
                let [a, b, refused, _] = counts(&String::from_utf8_lossy(&output.stdout));
                let (_, records) = env.last_log();
                let a_path = format!("{repo}/{allowed}");
                let b_path = match refusing {
                    true => denied.to_string(),
                    false => format!("{repo}/{second}"),
                };
                // The race ran both ways, or it proves nothing.
                assert!(
                    a > 0 && (b > 0 || refused > 0),
                    "{mode:?}: {a} {b} {refused}"
                );
                assert_eq!(
                    recorded(&records, "open", &a_path),
                    a,
                    "{mode:?}: opens of {a_path}"
                );
                assert_eq!(
                    recorded(&records, "open", &b_path),
                    b,
                    "{mode:?}: opens of {b_path}"
                );
                assert_eq!(
                    recorded(&records, "denied", &b_path),
                    refused,
                    "{mode:?}: refusals of {b_path}"
                );
                if refusing {
                    assert!(refused > 0 && b == 0, "{mode:?}: {denied} is refused");
                }
            }
        }
    });
}

/// The opens the supervisor makes for the session give what the kernel
/// gives: for each kind of read-only open (flags, links, directories,
/// errors, devices, FIFOs, `/proc/self`, its namespaces), the process in a
/// session sees the same result as the process outside.
#[test]
fn opens_made_for_the_session_give_what_the_kernel_gives() {
    for_each_identity(|env| {
        let dir = env.repo.join("open-kinds");
        std::fs::create_dir_all(&dir).unwrap();
        env.give(&dir);
        let dir = dir.display().to_string();
        let outside = env
            .command(probe())
            .args(["open_kinds", &dir])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let expected = String::from_utf8_lossy(&outside.stdout);
        assert!(outside.status.success(), "{}", all_output(&outside));
        assert_eq!(expected.lines().count(), 23, "{expected}");
        for mode in MODES {
            let script = format!("{} open_kinds {dir}", probe().display());
            let records = run_printing(env, mode, &script, &expected);
            // And each open the kernel made for it is in the log.
            let a = format!("{dir}/a.txt");
            assert!(
                recorded(&records, "open", &a) >= 6,
                "{mode:?}: opens of {a}"
            );
        }
    });
}

/// A read-only open still waiting at a FIFO when the session's processes
/// are gone holds up neither the session's end nor its log.
#[test]
fn an_open_waiting_at_a_fifo_does_not_hold_the_end() {
    for_each_identity(|env| {
        let fifo = env.repo.join("never-written");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        env.give(&fifo);
        for mode in MODES {
            let output = env.run_script(mode, "(cat never-written &); sleep 0.3; echo main-done");
            let text = all_output(&output);
            assert!(output.status.success(), "{mode:?}: {text}");
            assert!(text.contains("main-done"), "{mode:?}: {text}");
            assert!(!text.contains("did not stop in time"), "{mode:?}: {text}");
            let (_, records) = env.last_log();
            let last = records.last().unwrap();
            assert_eq!(last["kind"], "session_end", "{mode:?}: {last}");
        }
    });
}

/// An end of a FIFO the session's process closed is closed: the
/// supervisor, which opens FIFOs for the session, keeps no copy past its
/// answer (a reader left open a moment would let a writer's open through
/// to no one; a writer, keep a reader from seeing the end).
#[test]
fn a_fifo_end_the_session_closed_is_closed() {
    for_each_identity(|env| {
        let fifo = env.repo.join("linger");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o666)).unwrap();
        env.give(&fifo);
        for mode in MODES {
            let script = format!("{} fifo_linger linger 300", probe().display());
            let output = env.run_script(mode, &script);
            let text = all_output(&output);
            assert!(
                text.contains("readers lingered 0, writers lingered 0"),
                "{mode:?}: {text}"
            );
        }
    });
}

/// The record names the file opened, not the name asked for: `..` after a
/// link goes up from where the link led, as the kernel has it.
#[test]
fn an_open_through_a_link_and_dotdot_is_recorded_as_the_file_opened() {
    for_each_identity(|env| {
        std::os::unix::fs::symlink("/usr/share", env.repo.join("up")).unwrap();
        let expected = std::fs::read_to_string("/usr/lib/os-release").unwrap();
        for mode in MODES {
            let records = run_printing(env, mode, "cat up/../lib/os-release", &expected);
            let asked = format!("{}/lib/os-release", env.repo.display());
            let open = records
                .iter()
                .find(|r| r["kind"] == "open" && r["asked"] == asked.as_str())
                .unwrap_or_else(|| panic!("{mode:?}: no open of {asked} in {records:#?}"));
            assert_eq!(open["path"], "/usr/lib/os-release", "{mode:?}: {open}");
        }
    });
}

/// Two programs and two arguments (of one length each) that a racing
/// thread flips while each of `tries` children execs them as `racer -c
/// ARGUMENT`; `ran` tells from a child's exit status which program and
/// argument ran. Checks that the log's last word on each child (its
/// `exec_mismatch` record, or else its `exec` record) names what ran, and
/// that a mismatch is recorded exactly when the `exec` record is wrong.
/// Returns how many were.
fn exec_race(
    env: &TestEnv,
    mode: &[&str],
    programs: [&str; 2],
    arguments: [&str; 2],
    ran: impl Fn(u64) -> (usize, usize),
) -> usize {
    let script = format!(
        "{} exec_race {} {} '{}' '{}' 60",
        probe().display(),
        programs[0],
        programs[1],
        arguments[0],
        arguments[1]
    );
    // Both may run (scripts of the repository are not tools of the profile).
    let allow = ["--allow-exec", programs[0], "--allow-exec", programs[1]];
    let extra: Vec<&str> = mode.iter().copied().chain(allow).collect();
    let output = env.run_script(&extra, &script);
    assert!(output.status.success(), "{mode:?}: {}", all_output(&output));
    let (_, records) = env.last_log();
    let canonical = |path: &str| std::fs::canonicalize(env.repo.join(path)).unwrap();
    let (mut seen, mut mismatches) = ([0; 2], 0);
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let [_, pid, status] = fields[..] else {
            panic!("{mode:?}: {line:?}");
        };
        let (pid, status): (u64, u64) = (pid.parse().unwrap(), status.parse().unwrap());
        let (program, argument) = ran(status);
        seen[program] += 1;
        let (program, argument) = (canonical(programs[program]), arguments[argument]);
        let of_pid = |kind: &str| {
            records
                .iter()
                .find(|r| r["kind"] == kind && r["pid"] == pid)
        };
        let exec = of_pid("exec").unwrap_or_else(|| panic!("{mode:?}: no exec of {pid}"));
        let names = |record: &serde_json::Value| {
            let argv = record["argv"].as_array().unwrap();
            (
                canonical(record["path"].as_str().unwrap()),
                argv.last().unwrap().clone(),
            )
        };
        let truth = (program, serde_json::Value::from(argument));
        let mismatch = of_pid("exec_mismatch");
        assert_eq!(
            mismatch.is_some(),
            names(exec) != truth,
            "{mode:?}: {exec} {mismatch:?} {truth:?}"
        );
        if let Some(mismatch) = mismatch {
            assert_eq!(names(mismatch), truth, "{mode:?}: {mismatch}");
            mismatches += 1;
        }
    }
    // The race ran both ways, or it proves nothing.
    assert!(seen[0] > 0 && seen[1] > 0, "{mode:?}: {seen:?}");
    mismatches
}

/// An exec is handed back to the kernel, which reads its path and
/// arguments again: what a racing thread made it run instead of what the
/// record names is reported (`exec_mismatch`), for programs and for
/// scripts (whose interpreter gets the script's name as the kernel read it).
#[test]
fn an_exec_rewritten_while_the_kernel_reads_it_is_reported_as_what_ran() {
    for_each_identity(|env| {
        for (name, status) in [("race-a.sh", 1), ("race-b.sh", 2)] {
            let script =
                format!("#!/bin/sh -e\n[ \"$2\" = A ] && exit {status}3\nexit {status}4\n");
            let path = env.repo.join(name);
            std::fs::write(&path, script).unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            env.give(&path);
        }
        for mode in MODES {
            // Two shells: bash finds $BASH set, and exits 13 or 14; dash 23
            // or 24.
            let shells = exec_race(
                env,
                mode,
                ["/bin/bash", "/bin/dash"],
                [
                    "test -n \"$BASH\"; exit $((13+$?*10))",
                    "test -n \"$BASH\"; exit $((14+$?*10))",
                ],
                |status| ((status / 10 - 1) as usize, (status % 10 - 3) as usize),
            );
            // Two scripts of the repository, by relative name.
            let repo = env.repo.display();
            let in_repo = ["{repo}/race-a.sh", "{repo}/race-b.sh"]
                .map(|p| p.replace("{repo}", &repo.to_string()));
            let scripts = exec_race(
                env,
                mode,
                [&in_repo[0], &in_repo[1]],
                ["A", "B"],
                |status| ((status / 10 - 1) as usize, (status % 10 - 3) as usize),
            );
            assert!(shells > 0 && scripts > 0, "{mode:?}: {shells} {scripts}");
        }
    });
}

/// An exec from a process whose memory the supervisor may not read (it
/// made itself non-dumpable; an unprivileged supervisor without namespaces
/// lacks `CAP_SYS_PTRACE`) is recorded `unreadable`, and what it ran is
/// then reported from the new program (`exec_mismatch`, `unrecorded`).
#[test]
fn an_exec_whose_arguments_cannot_be_read_is_reported_as_what_ran() {
    for_each_identity(|env| {
        for mode in MODES {
            let script = format!("{} nodump_exec 'exit 7'", probe().display());
            let output = env.run_script(mode, &script);
            assert_eq!(
                output.status.code(),
                Some(7),
                "{mode:?}: {}",
                all_output(&output)
            );
            let (_, records) = env.last_log();
            let bash = std::fs::canonicalize("/bin/bash").unwrap();
            let truth = serde_json::json!(["bash", "-c", "exit 7"]);
            let names_bash = |record: &serde_json::Value| {
                let path = record["path"]
                    .as_str()
                    .and_then(|p| std::fs::canonicalize(p).ok());
                path == Some(bash.clone()) && record["argv"] == truth
            };
            let recorded = records.iter().any(|r| r["kind"] == "exec" && names_bash(r));
            let unreadable: Vec<_> = records
                .iter()
                .filter(|r| r["kind"] == "exec" && r["unreadable"] == true)
                .collect();
            let reported: Vec<_> = records
                .iter()
                .filter(|r| r["kind"] == "exec_mismatch")
                .collect();
            let execs: Vec<_> = records.iter().filter(|r| r["kind"] == "exec").collect();
            let context = format!("{mode:?}: {execs:?} {reported:?}");
            if unreadable.is_empty() {
                assert!(recorded && reported.is_empty(), "{context}");
            } else {
                assert!(!recorded && unreadable.len() == 1, "{context}");
                assert_eq!(reported.len(), 1, "{context}");
                assert!(names_bash(reported[0]), "{context}");
                assert_eq!(reported[0]["differs"], "unrecorded", "{context}");
                assert_eq!(reported[0]["pid"], unreadable[0]["pid"], "{context}");
                // Both views say so.
                for view in ["show", "summary"] {
                    let output = env.guard(&["log", view, "last"]).output().unwrap();
                    let text = String::from_utf8_lossy(&output.stdout);
                    assert!(
                        text.contains("its arguments could not be read") && text.contains("exit 7"),
                        "{view}: {text}"
                    );
                }
            }
            // Only an unprivileged supervisor outside namespaces is kept out.
            let kept_out = matches!(env.identity, Identity::User { .. }) && !mode.is_empty();
            assert_eq!(!unreadable.is_empty(), kept_out, "{context}");
        }
    });
}
