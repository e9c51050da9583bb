//! The audit log against strace: every open a process, its thread, child
//! and grandchild make is in the log with its access mode, and every call
//! of theirs that failed with `EACCES` or `EPERM` has a denial record.

use crate::support::*;
use std::path::Path;

/// One open as strace or the log has it: the path, and whether it reads and writes.
type Access = (String, bool, bool);

/// A call that failed with `EACCES` or `EPERM`: its name, and the path it
/// named first (empty for a call that names none).
type Refusal = (String, String);

/// The opens and refusals strace saw in the session: the thread that
/// executed `program`, from that exec on, and every thread and process it
/// started (strace names them by the host's ids, the log by the session's).
fn traced_opens(dir: &Path, program: &Path) -> (Vec<Access>, Vec<Refusal>) {
    let mut files = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(tid) = name
            .strip_prefix("trace.")
            .and_then(|t| t.parse::<u64>().ok())
        {
            files.insert(tid, std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    let exec = format!("execve(\"{}\"", program.display());
    let root = files
        .iter()
        .find(|(_, text)| {
            text.lines()
                .any(|l| l.starts_with(&exec) && l.ends_with("= 0"))
        })
        .map(|(tid, _)| *tid)
        .expect("the traced exec of the program");
    let (mut opens, mut refused) = (Vec::new(), Vec::new());
    let mut pending = vec![(root, true)];
    while let Some((tid, skip_to_exec)) = pending.pop() {
        let text = files.get(&tid).map(String::as_str).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        // The first process runs guard's set-up until its exec.
        let start = match skip_to_exec {
            true => lines
                .iter()
                .position(|l| l.starts_with(&exec))
                .map_or(0, |at| at + 1),
            false => 0,
        };
        for line in &lines[start..] {
            let Some((call, rest)) = line.split_once('(') else {
                continue;
            };
            let result = line.rsplit("= ").next().unwrap_or_default();
            if ["clone", "clone3", "fork", "vfork"].contains(&call) {
                // `= 7 /* 22997 in strace's PID NS */` inside a pid namespace.
                let host = result.split("/* ").nth(1).unwrap_or(result);
                if let Ok(child) = host.split(' ').next().unwrap_or_default().parse::<u64>() {
                    pending.push((child, false));
                }
                continue;
            }
            let mut parts = rest.split('"');
            let (path, flags) = (parts.nth(1), parts.next());
            if result.starts_with("-1 EACCES") || result.starts_with("-1 EPERM") {
                refused.push((call.to_string(), path.unwrap_or_default().to_string()));
            }
            if !["open", "openat", "creat"].contains(&call) {
                continue;
            }
            let (Some(path), Some(flags)) = (path, flags) else {
                continue;
            };
            let (read, write) = match () {
                _ if call == "creat" || flags.contains("O_WRONLY") => (false, true),
                _ if flags.contains("O_RDWR") => (true, true),
                _ => (true, false),
            };
            opens.push((path.to_string(), read, write));
        }
    }
    opens.sort();
    opens.dedup();
    (opens, refused)
}

#[test]
fn the_log_holds_every_open_strace_sees_and_a_denial_for_each_refusal() {
    // Every call is traced: a refusal of any kind must have its record.
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let work = env.repo.join("tree");
            let _ = std::fs::remove_dir_all(&work);
            std::fs::create_dir(&work).unwrap();
            std::fs::write(work.join("a.txt"), "a\n").unwrap();
            env.give(&work);
            let traces = env.home.join("traces");
            let _ = std::fs::remove_dir_all(&traces);
            std::fs::create_dir(&traces).unwrap();
            env.give(&traces);
            let output = env
                .command("strace")
                .args(["-ff", "-qq", "--decode-pids=pidns"])
                .arg("-o")
                .arg(traces.join("trace"))
                .arg(guard_binary())
                .args(mode)
                .args(["run", "--allow-exec"])
                .arg(probe())
                .arg("--")
                .arg(probe())
                .arg("tree")
                .arg(&work)
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            assert!(output.status.success(), "{mode:?}: {}", all_output(&output));
            let (_, records) = env.last_log();
            let mut logged: Vec<Access> = records
                .iter()
                .filter(|r| {
                    let kind = r["kind"].as_str().unwrap_or("");
                    let operation = r["operation"].as_str().unwrap_or("");
                    ["open", "create", "write"].contains(&kind)
                        || (kind == "denied" && ["open", "create", "write"].contains(&operation))
                })
                .map(|r| {
                    let mode = r["mode"].to_string();
                    let needs = r["needs"].as_str().unwrap_or_default();
                    let read = mode.contains("\"read\"") || needs == "read";
                    let write = mode.contains("\"write\"") || needs == "write";
                    // strace shows the name asked for; the log names the
                    // file opened, and the name asked for when it differs.
                    let name = r.get("asked").unwrap_or(&r["path"]);
                    (name.as_str().unwrap().to_string(), read, write)
                })
                .collect();
            logged.sort();
            logged.dedup();
            let (traced, refused) = traced_opens(&traces, probe());
            let seen = |end: &str| traced.iter().any(|(p, _, _)| p.ends_with(end));
            assert!(
                seen("/c.txt") && seen("/b.txt"),
                "{mode:?}: strace saw the child: {traced:?}"
            );
            assert!(seen("libc.so.6"), "{mode:?}: and the loader: {traced:?}");
            assert_eq!(logged, traced, "{mode:?}: the log and strace disagree");
            // What the probe does to be refused, each kind at least once.
            for (call, path) in [
                ("openat", "/etc/shadow"),
                ("tgkill", ""),
                ("mkdir", "/etc/guard-probe-refused"),
                ("ptrace", ""),
            ] {
                assert!(
                    refused.contains(&(call.to_string(), path.to_string())),
                    "{mode:?}: strace saw no refused {call}: {refused:?}"
                );
            }
            for (call, path) in &refused {
                assert!(
                    records.iter().any(|r| r["kind"] == "denied"
                        && r["syscall"] == call.as_str()
                        && (path.is_empty() || r["path"] == path.as_str())),
                    "{mode:?}: no denial record for {call} {path}: {refused:?}"
                );
            }
        }
    });
}
