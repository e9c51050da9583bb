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
///
/// An id can be given again once its thread is gone: the kernel hands out
/// ids in a cycle, so a session that starts enough processes (32,768 on a
/// small machine) can make a new process take the id of one it knows, and
/// be recorded as that one. Each entry keeps the inode of the thread's
/// `/proc` directory, which is new for every thread, and is read again when
/// it changed; while few threads are known, a pidfd of the thread instead,
/// which says without a path lookup whether that thread has ended.
#[derive(Debug, Default)]
pub struct Processes {
    known: HashMap<u32, Known>,
    /// Entries holding a pidfd (at most [`PIDFDS`]).
    pidfds: usize,
}

/// At most this many pidfds are held: the supervisor needs descriptors of
/// its own for what it performs.
const PIDFDS: usize = 256;

/// How an entry knows its thread is still the one it was read from.
#[derive(Debug)]
enum Instance {
    /// A pidfd of the thread: readable once the thread has ended.
    Pidfd(std::os::fd::OwnedFd),
    /// The inode of `/proc/TID`.
    Inode(u64),
    /// Unknown: never trusted.
    Unknown,
}

/// One thread's entry.
#[derive(Debug)]
struct Known {
    info: ProcessInfo,
    /// The thread executed a program since `info.exe` was read.
    exe_stale: bool,
    /// How the entry is checked.
    instance: Instance,
}

impl Processes {
    /// Who thread `tid` is (reading `/proc` the first time, and again when
    /// the id belongs to another thread now).
    pub fn get(&mut self, tid: u32) -> ProcessInfo {
        let same = self
            .known
            .get(&tid)
            .is_some_and(|known| match &known.instance {
                Instance::Pidfd(fd) => !ended(fd),
                Instance::Inode(inode) => proc_inode(tid) == Some(*inode),
                Instance::Unknown => false,
            });
        if !same {
            self.forget(tid);
            if self.pidfds >= PIDFDS {
                self.prune();
            }
            let instance = match self.pidfds < PIDFDS {
                true => crate::sys::notify::thread_pidfd(tid)
                    .ok()
                    .map(Instance::Pidfd),
                false => None,
            };
            let instance = instance
                .or_else(|| proc_inode(tid).map(Instance::Inode))
                .unwrap_or(Instance::Unknown);
            self.insert(tid, instance, read_process(tid));
        }
        self.current(tid, read_exe)
    }

    fn insert(&mut self, tid: u32, instance: Instance, info: ProcessInfo) {
        if matches!(instance, Instance::Pidfd(_)) {
            self.pidfds += 1;
        }
        let known = Known {
            info,
            exe_stale: false,
            instance,
        };
        self.known.insert(tid, known);
    }

    /// Drops the entries of threads that ended (their pidfds go back).
    fn prune(&mut self) {
        self.known
            .retain(|_, known| !matches!(&known.instance, Instance::Pidfd(fd) if ended(fd)));
        self.pidfds = self
            .known
            .values()
            .filter(|known| matches!(known.instance, Instance::Pidfd(_)))
            .count();
    }

    fn forget(&mut self, tid: u32) {
        if let Some(Known {
            instance: Instance::Pidfd(_),
            ..
        }) = self.known.remove(&tid)
        {
            self.pidfds -= 1;
        }
    }

    /// The entry of `tid` (which exists), its executable read again after an
    /// exec.
    fn current(&mut self, tid: u32, read_exe: impl FnOnce(u32) -> String) -> ProcessInfo {
        let known = self.known.get_mut(&tid).expect("just made sure");
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
            self.forget(tid);
        }
    }
}

/// Whether the thread of a pidfd has ended (its pidfd is readable then).
fn ended(fd: &std::os::fd::OwnedFd) -> bool {
    use std::os::fd::AsFd;
    let mut poll = [nix::poll::PollFd::new(
        fd.as_fd(),
        nix::poll::PollFlags::POLLIN,
    )];
    nix::poll::poll(&mut poll, nix::poll::PollTimeout::ZERO).map_or(true, |ready| ready > 0)
}

/// The inode of `/proc/TID`: the same while that thread lives, new for
/// the next thread given its id.
fn proc_inode(tid: u32) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(format!("/proc/{tid}"))
        .ok()
        .map(|metadata| metadata.ino())
}

fn read_process(tid: u32) -> ProcessInfo {
    let status =
        crate::sys::proc_file::read_text(&format!("/proc/{tid}/status")).unwrap_or_default();
    let field = |name| crate::sys::proc_file::status_field(&status, name).unwrap_or(0);
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
            via,
            ..
        } => {
            let mut exec = event(EventKind::Exec)
                .with("path", path_value(path))
                .with("argv", argv.clone())
                .with("cwd", path_value(cwd));
            if *argv_truncated {
                exec = exec.with("argv_truncated", true);
            }
            if let Some(via) = via {
                exec = exec.with("via", path_value(via));
            }
            exec
        }
        Operation::Open { path, flags } => event(EventKind::Open)
            .with("path", path_value(path))
            .with("mode", super::mediate::open_mode(*flags)),
    }
}

/// The record of an exec whose process runs something else than its record
/// named.
pub fn exec_mismatch_event(finding: super::exec_check::Finding, process: ProcessInfo) -> Event {
    let mut event = Event::new(EventKind::ExecMismatch, Some(process));
    if let Some(interpreter) = &finding.interpreter {
        event = event.with("interpreter", path_value(interpreter));
    }
    // An exec whose arguments could not be read recorded no program.
    if !finding.recorded.as_os_str().is_empty() {
        event = event.with("recorded", path_value(&finding.recorded));
    }
    event
        .with("path", path_value(&finding.runs))
        .with("argv", finding.argv)
        .with("differs", finding.differs.name())
}

/// An errno as the log names it (`EACCES`).
pub fn errno_name(errno: i32) -> String {
    format!("{:?}", nix::errno::Errno::from_raw(errno))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_holds_while_its_thread_lives_and_goes_with_it() {
        let mut processes = Processes::default();
        let me = std::process::id();
        let first = processes.get(me);
        assert_eq!(first.pid, me);
        assert!(matches!(processes.known[&me].instance, Instance::Pidfd(_)));
        // A thread that ended: its entry is not trusted any more.
        let (sender, receiver) = std::sync::mpsc::channel();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            sender.send(nix::unistd::gettid().as_raw() as u32).unwrap();
            let _ = hold.recv();
        });
        let tid = receiver.recv().unwrap();
        let seen = processes.get(tid);
        release.send(()).unwrap();
        assert_eq!((seen.pid, seen.tid), (me, tid));
        thread.join().unwrap();
        let entry = &processes.known[&tid];
        let Instance::Pidfd(fd) = &entry.instance else {
            panic!("a pidfd for a live thread");
        };
        assert!(ended(fd), "the pidfd says the thread ended");
        // The pidfds are counted, and given back when entries go: pruning
        // drops the ended thread's, not the live one's.
        assert_eq!(processes.pidfds, 2);
        processes.prune();
        assert_eq!(processes.pidfds, 1);
        assert!(!processes.known.contains_key(&tid) && processes.known.contains_key(&me));
    }
}
