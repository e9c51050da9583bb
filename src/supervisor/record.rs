//! Audit events for trapped calls.

use super::decode::Operation;
use crate::audit::{Event, EventKind, ProcessInfo};
use crate::policy::refusal::Denial;
use serde_json::Value;
use std::collections::HashMap;

/// What is known about the processes of the session, per thread id. A
/// thread's process, parent and executable are read from `/proc` the first
/// time it traps; after it executes a program only the executable is read
/// again (an exec keeps the process and its parent, and a thread that execs
/// becomes its process's leader).
#[derive(Debug, Default)]
pub struct Processes {
    known: HashMap<u32, Known>,
}

/// One thread's entry.
#[derive(Debug)]
struct Known {
    info: ProcessInfo,
    /// The thread executed a program since `info.exe` was read.
    exe_stale: bool,
}

impl Processes {
    /// Who thread `tid` is (reading `/proc` the first time).
    pub fn get(&mut self, tid: u32) -> ProcessInfo {
        let known = self.known.entry(tid).or_insert_with(|| Known {
            info: read_process(tid),
            exe_stale: false,
        });
        if known.exe_stale {
            known.info.exe = read_exe(known.info.pid);
            known.exe_stale = false;
        }
        known.info.clone()
    }

    /// Thread `tid` of process `pid` executed a program (or tried to: a
    /// failed exec keeps the old one, which the next read finds).
    pub fn executed(&mut self, tid: u32, pid: u32) {
        for id in [tid, pid] {
            if let Some(known) = self.known.get_mut(&id) {
                known.exe_stale = true;
            }
        }
        if tid != pid {
            // The thread now runs as the leader, under the process's id.
            self.known.remove(&tid);
        }
    }
}

fn read_process(tid: u32) -> ProcessInfo {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0)
    };
    let pid = field("Tgid:");
    ProcessInfo {
        pid,
        tid,
        ppid: field("PPid:"),
        exe: read_exe(pid),
    }
}

fn read_exe(pid: u32) -> String {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn path_value(path: &std::path::Path) -> Value {
    Value::from(path.to_string_lossy().into_owned())
}

/// The record of an operation that went on to the kernel.
pub fn operation_event(operation: &Operation, syscall: &str, process: ProcessInfo) -> Event {
    let event = |kind| Event::new(kind, Some(process.clone())).with("syscall", syscall);
    match operation {
        Operation::Exec {
            path,
            argv,
            argv_truncated,
            cwd,
        } => {
            let mut exec = event(EventKind::Exec)
                .with("path", path_value(path))
                .with("argv", argv.clone())
                .with("cwd", path_value(cwd));
            if *argv_truncated {
                exec = exec.with("argv_truncated", true);
            }
            exec
        }
        Operation::Open { path, flags } => event(EventKind::Open)
            .with("path", path_value(path))
            .with("mode", super::mediate::open_mode(*flags)),
    }
}

/// The record of an operation refused early.
pub fn denial_event(
    operation: &Operation,
    syscall: &str,
    denial: &Denial,
    process: ProcessInfo,
) -> Event {
    let asked = operation_event(operation, syscall, process.clone());
    let mut event = Event::new(EventKind::Denied, Some(process))
        .with("syscall", syscall)
        .with("operation", asked.kind.name())
        .with("needs", denial.needs)
        .with("lacking", path_value(&denial.path))
        .with("by", "guard")
        .with("rule", denial.rule.clone());
    for key in ["path", "to", "argv", "mode"] {
        if let Some(value) = asked.fields.get(key) {
            event = event.with(key, value.clone());
        }
    }
    event
}
