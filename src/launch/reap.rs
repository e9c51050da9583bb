//! Ending every process of a session.
//!
//! guard is a child subreaper, so a process of the session whose parent died
//! (a `setsid` daemon, a double fork) is re-parented to guard rather than to
//! init. The session's processes are therefore exactly guard's descendants,
//! found by walking `/proc`.

use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long processes get between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_millis(300);

/// Terminates every descendant of the calling process: SIGTERM, up to
/// [`GRACE`] to exit, then SIGKILL until none is left. Returns how many
/// processes were still running when the session ended.
pub fn end_all_descendants() -> usize {
    let me = nix::unistd::getpid();
    reap_exited();
    // Every orphan of the session is re-parented to guard, so with no child
    // left there is no descendant either, and /proc need not be walked.
    if !has_children() {
        return 0;
    }
    let leftover = descendants_of(me);
    if leftover.is_empty() {
        return 0;
    }
    signal_all(&leftover, Signal::SIGTERM);
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        reap_exited();
        if descendants_of(me).is_empty() {
            return leftover.len();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // Stop new forks from outrunning us: SIGKILL whatever is found, again and
    // again, until nothing is found.
    loop {
        let remaining = descendants_of(me);
        if remaining.is_empty() {
            break;
        }
        signal_all(&remaining, Signal::SIGKILL);
        std::thread::sleep(Duration::from_millis(2));
        reap_exited();
    }
    reap_exited();
    leftover.len()
}

fn signal_all(pids: &[Pid], signal: Signal) {
    for &pid in pids {
        let _ = kill(pid, signal);
    }
}

/// Collects exit statuses of children that have ended, without blocking.
pub fn reap_exited() {
    while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG | WaitPidFlag::__WALL)) {
        if status == nix::sys::wait::WaitStatus::StillAlive {
            break;
        }
    }
}

/// Whether the calling process has any child, running or not yet reaped.
fn has_children() -> bool {
    !matches!(
        waitpid(None, Some(WaitPidFlag::WNOHANG | WaitPidFlag::__WALL)),
        Err(nix::Error::ECHILD)
    )
}

/// Every live (non-zombie) descendant of `ancestor`, from `/proc`.
pub fn descendants_of(ancestor: Pid) -> Vec<Pid> {
    let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if let Some(stat) = crate::sys::proc_stat::process_stat(pid)
            && stat.state != 'Z'
        {
            children.entry(stat.parent).or_default().push(pid);
        }
    }
    let mut found = Vec::new();
    let mut queue = vec![ancestor.as_raw()];
    while let Some(pid) = queue.pop() {
        for &child in children.get(&pid).map(Vec::as_slice).unwrap_or_default() {
            found.push(Pid::from_raw(child));
            queue.push(child);
        }
    }
    found
}
