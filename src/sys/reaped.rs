//! Exit statuses of children reaped on another thread's behalf.
//!
//! While a session runs, guard's main thread reaps every child that ends
//! (`waitpid(-1)`: it is the session's subreaper). A thread that started a
//! child of its own (a credential helper the session asked for) then finds
//! it gone (`ECHILD`); the status waits here for it instead.

use std::collections::VecDeque;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most this many statuses are kept (the oldest go first).
const KEPT: usize = 256;

static REAPED: Mutex<VecDeque<(i32, i32)>> = Mutex::new(VecDeque::new());

/// Keeps the status of `pid`, reaped by a thread that did not start it:
/// `raw` as `waitpid` reports it.
pub fn record(pid: i32, raw: i32) {
    let mut reaped = REAPED.lock().unwrap_or_else(|e| e.into_inner());
    if reaped.len() == KEPT {
        reaped.pop_front();
    }
    reaped.push_back((pid, raw));
}

/// The raw status of an exit with `code`, or of death by `signal`.
pub fn raw_exit(code: i32) -> i32 {
    (code & 0xff) << 8
}

/// The raw status of a death by `signal`.
pub fn raw_signal(signal: i32) -> i32 {
    signal & 0x7f
}

/// Takes the status of `pid`, waiting up to `limit` for the reaping thread
/// to keep it.
pub fn take(pid: u32, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        {
            let mut reaped = REAPED.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(at) = reaped.iter().position(|(p, _)| *p == pid as i32) {
                let (_, raw) = reaped.remove(at).expect("the position exists");
                return Some(ExitStatus::from_raw(raw));
            }
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_kept_for_a_pid_is_taken_once() {
        record(999_999, raw_exit(3));
        let status = take(999_999, Duration::ZERO).unwrap();
        assert_eq!(status.code(), Some(3));
        assert!(take(999_999, Duration::ZERO).is_none());
        record(999_998, raw_signal(9));
        assert_eq!(take(999_998, Duration::ZERO).unwrap().signal(), Some(9));
    }
}
