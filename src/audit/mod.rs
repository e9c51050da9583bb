//! The audit log: one JSON Lines file per session, hash-chained.
//!
//! Every record carries `prev`, the hash of the record before it, and `hash`,
//! the SHA-256 of `prev` and its own content; the `session_end` record seals
//! the chain. [`verify`] finds an edited, deleted, inserted, reordered or
//! truncated record and says where. Records name credentials and paths, never
//! the contents of files or the values of environment variables. When guard
//! has a signing identity, the end record is signed too ([`seal`]), which
//! tells a log guard wrote from one rewritten elsewhere.

mod batch;
mod chain;
mod event;
mod read;
pub mod relay;
pub mod seal;
mod writer;

pub use chain::{GENESIS, record_hash};
pub use event::{Event, EventKind, ProcessInfo};
pub use read::{
    SessionSummary, Verdict, first_and_last_records, list_sessions, load_records, resolve_session,
    verify,
};
pub use writer::{AuditHandle, AuditLog, EventSender};

use std::path::PathBuf;

/// Why the audit log could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log directory or file could not be created.
    #[error("cannot create the audit log {path}: {source}")]
    Create {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Writing a record failed (disk full, I/O error).
    #[error("cannot write the audit log {path}: {source}")]
    Write {
        /// The log file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Reading a log failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// No session matches the given id.
    #[error("no session matches `{0}` (see `guard log list`)")]
    NoSession(String),
    /// Several sessions match the given prefix.
    #[error("`{prefix}` matches several sessions: {matches}")]
    Ambiguous {
        /// The prefix.
        prefix: String,
        /// The matching ids.
        matches: String,
    },
}
