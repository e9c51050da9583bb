//! What the session reads outside the repository goes through `guard
//! scan`'s rules (issue: a dependency's README or a fetched file steers the
//! assistant as well as the repository's own files do). The supervisor
//! offers each file a session process opened for reading; a thread of the
//! anchor scans it, confined like the session (it can read only what the
//! session could), once per session, and records what it finds. guard reads
//! such a record as a source of untrusted content (`docs/trust.md`).

use crate::audit::{Event, EventKind, EventSender, ProcessInfo};
use crate::scan::Severity;
use std::collections::HashSet;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, TrySendError};

/// Files waiting to be scanned; beyond this, offers are counted, not kept.
const QUEUE: usize = 1024;
/// At most this many files are scanned in a session.
const MAX_FILES: usize = 5000;
/// Larger files are not scanned.
const MAX_BYTES: u64 = 1024 * 1024;
/// What is installed system-wide is not scanned: packages, not what an
/// assistant is steered by.
const SYSTEM: [&str; 10] = [
    "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/dev", "/run",
];

/// The value of a scan record's `trigger` for a file the session read.
pub const TRIGGER: &str = "read";

/// Hands files to the scanning thread.
#[derive(Debug)]
pub struct ReadScan {
    sender: SyncSender<(PathBuf, ProcessInfo)>,
    repo: PathBuf,
    skip: Vec<PathBuf>,
}

impl ReadScan {
    /// Starts the scanning thread; files under `repo` (scanned before the
    /// session) and `skip` (guard's own session files) are not offered.
    pub fn start(
        repo: PathBuf,
        skip: Vec<PathBuf>,
        events: EventSender,
    ) -> std::io::Result<ReadScan> {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<(PathBuf, ProcessInfo)>(QUEUE);
        std::thread::Builder::new()
            .name("guard-read-scan".to_string())
            .spawn(move || {
                let mut seen = HashSet::new();
                while let Ok((path, process)) = receiver.recv() {
                    if seen.len() >= MAX_FILES || !seen.insert(path.clone()) {
                        continue;
                    }
                    if let Some(event) = scan(&path, process) {
                        events.send(event);
                    }
                }
            })?;
        Ok(ReadScan { sender, repo, skip })
    }

    /// Offers a file `process` opened for reading, `path` (the file
    /// opened) by the name `asked` (cheap: the scan happens on the scanning
    /// thread; a full queue drops the offer). A file asked for through
    /// guard's own session files (a client's stand-in, whose links lead to
    /// the client's own state) is not offered.
    pub fn offer(&self, path: &Path, asked: &Path, process: &ProcessInfo) {
        let skipped = |path: &Path| self.skip.iter().any(|skip| path.starts_with(skip));
        let outside = !path.starts_with(&self.repo)
            && !SYSTEM.iter().any(|system| path.starts_with(system))
            && !skipped(path)
            && !skipped(asked);
        if !outside {
            return;
        }
        match self.sender.try_send((path.to_path_buf(), process.clone())) {
            Ok(()) | Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// Whether a finding is text planted to steer the model. What the scan
/// says of a repository's agent configuration (settings that run programs,
/// an instruction file with commands or URLs in it) is not: outside the
/// repository those are the user's and the clients' own files (a client
/// reads its settings, skills and instruction files at every start), which
/// the clients' profiles keep the session from changing.
fn is_planted_text(finding: &crate::scan::Finding) -> bool {
    match finding.rule {
        "agent-config" => false,
        "agent-instructions" => finding.severity >= Severity::High,
        _ => true,
    }
}

/// The record of a file whose scan has findings of medium severity or more
/// that are planted text.
fn scan(path: &Path, process: ProcessInfo) -> Option<Event> {
    // A handle first, and the file opened for reading only if it is a
    // regular one: even a moment's read end on a FIFO would meet a writer
    // the session is waiting for.
    let handle = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .ok()?;
    let metadata = handle.metadata().ok()?;
    if !metadata.is_file() || metadata.len() > MAX_BYTES {
        return None;
    }
    let file = std::fs::File::open(format!("/proc/self/fd/{}", handle.as_raw_fd())).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES).read_to_end(&mut bytes).ok()?;
    let findings: Vec<serde_json::Value> = crate::scan::scan_bytes(&path.to_string_lossy(), &bytes)
        .into_iter()
        .filter(|finding| finding.severity >= Severity::Medium && is_planted_text(finding))
        .take(20)
        .map(|f| serde_json::json!({"line": f.line, "rule": f.rule, "severity": f.severity, "message": f.message}))
        .collect();
    if findings.is_empty() {
        return None;
    }
    Some(
        Event::new(EventKind::Scan, Some(process))
            .with("trigger", TRIGGER)
            .with("path", path.to_string_lossy().into_owned())
            .with("findings", findings),
    )
}
