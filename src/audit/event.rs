//! What happened, before it is numbered, timed and chained.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The kinds of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The session began (profile, policy, command, kernel features).
    SessionStart,
    /// The repository was scanned before the session started.
    Scan,
    /// A program was executed.
    Exec,
    /// A process runs another program, or other arguments, than its exec
    /// record names (the exec's memory changed while the kernel read it):
    /// this record names what runs.
    ExecMismatch,
    /// A file was opened for reading.
    Open,
    /// A file was created.
    Create,
    /// A file was opened for writing or truncated.
    Write,
    /// A file or directory was removed.
    Delete,
    /// Something was renamed.
    Rename,
    /// A directory was made.
    Mkdir,
    /// A hard or symbolic link was made.
    Link,
    /// A file's mode, owner, times or extended attributes were changed.
    Metadata,
    /// A socket was connected.
    Connect,
    /// guard refused a request before the kernel saw it.
    Denied,
    /// A hook adapter in the session judged an assistant's tool call
    /// (reported by the session).
    ToolCall,
    /// The session's trust changed: untrusted content entered it (the
    /// source is named).
    Trust,
    /// The client's own lifecycle: its session started or ended, a
    /// subagent started or stopped (reported by the session).
    Agent,
    /// The user's prompt to the assistant, in full or as a digest (reported
    /// by the session's hook adapter).
    Prompt,
    /// A credential was minted for the session (name, provider, lease, expiry).
    CredentialMinted,
    /// A credential was revoked at its provider.
    CredentialRevoked,
    /// Revoking a credential failed; the lease stays in the journal.
    CredentialRevokeFailed,
    /// What a shared cache's private layer held when the session ended:
    /// what was verified and merged back, what was dropped.
    CacheMerge,
    /// What went back from a client directory's stand-in when the session
    /// ended: the keys of a configuration copy merged into the real file,
    /// the files kept, and what stayed behind.
    ConfigMerge,
    /// The end-of-session check found a protected path changed in spite of
    /// the supervisor, and put it back (defence in depth: it should never
    /// happen).
    BoundaryViolation,
    /// The session left a git operation in progress (a rebase, a merge):
    /// the user's next `git rebase --continue` carries out the rest,
    /// unconfined.
    GitLeft,
    /// The session added a program to a directory of the repository on the
    /// user's `PATH` (one an install writes, such as `node_modules/.bin`),
    /// ahead of a program of the same name: the user's next such command in
    /// that shell runs it, unconfined.
    PathShadow,
    /// A checkpoint in a Claude Code transcript the session changed would,
    /// on the user's rewind of that conversation, change a file the session
    /// could not change.
    CheckpointLeft,
    /// The command stopped itself (`kill(getpid(), SIGTSTP)`), and guard
    /// stopped its job with it, as the terminal's ^Z would have.
    JobStop,
    /// The session ended (exit status, duration, counts).
    SessionEnd,
}

impl EventKind {
    /// The name used in the log.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::SessionStart => "session_start",
            EventKind::Scan => "scan",
            EventKind::Exec => "exec",
            EventKind::ExecMismatch => "exec_mismatch",
            EventKind::Open => "open",
            EventKind::Create => "create",
            EventKind::Write => "write",
            EventKind::Delete => "delete",
            EventKind::Rename => "rename",
            EventKind::Mkdir => "mkdir",
            EventKind::Link => "link",
            EventKind::Metadata => "metadata",
            EventKind::Connect => "connect",
            EventKind::Denied => "denied",
            EventKind::ToolCall => "tool_call",
            EventKind::Trust => "trust",
            EventKind::Agent => "agent",
            EventKind::Prompt => "prompt",
            EventKind::CredentialMinted => "credential_minted",
            EventKind::CredentialRevoked => "credential_revoked",
            EventKind::CredentialRevokeFailed => "credential_revoke_failed",
            EventKind::CacheMerge => "cache_merge",
            EventKind::ConfigMerge => "config_merge",
            EventKind::BoundaryViolation => "boundary_violation",
            EventKind::GitLeft => "git_left",
            EventKind::PathShadow => "path_shadow",
            EventKind::CheckpointLeft => "checkpoint_left",
            EventKind::JobStop => "job_stop",
            EventKind::SessionEnd => "session_end",
        }
    }
}

/// The process a record is about (pids as the session sees them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessInfo {
    /// Process id (thread group).
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// The executable.
    pub exe: String,
}

/// One thing to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What kind of thing.
    pub kind: EventKind,
    /// Which process did it, if a process did.
    pub process: Option<ProcessInfo>,
    /// Kind-specific fields (`path`, `argv`, `mode`, `rule`, …).
    pub fields: Map<String, Value>,
}

impl Event {
    /// An event with no fields yet.
    pub fn new(kind: EventKind, process: Option<ProcessInfo>) -> Event {
        Event {
            kind,
            process,
            fields: Map::new(),
        }
    }

    /// Adds a field.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Event {
        self.fields.insert(name.to_string(), value.into());
        self
    }
}
