//! What a mediated call comes to: the answer the caller gets and the
//! record guard keeps, and the helpers that make them.

use crate::audit::EventKind;
use nix::errno::Errno;
use serde_json::{Map, Value};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// What the session asked, judged and (unless refused) done.
#[derive(Debug)]
pub struct Outcome {
    /// The answer to the call.
    pub answer: Answer,
    /// The kind of record.
    pub kind: EventKind,
    /// The record's fields (paths, modes, …).
    pub fields: Map<String, Value>,
    /// Why guard refused it, if it did.
    pub refused: Option<String>,
}

/// How the call returns.
#[derive(Debug)]
pub enum Answer {
    /// A new descriptor in the caller (an open).
    Fd {
        /// The supervisor's copy.
        fd: OwnedFd,
        /// Whether the caller's copy closes on exec.
        cloexec: bool,
    },
    /// Zero: done.
    Done,
    /// An error number.
    Errno(i32),
}

impl Outcome {
    /// Adds `fields` the outcome does not have yet.
    pub(super) fn with(mut self, fields: Map<String, Value>) -> Outcome {
        for (name, value) in fields {
            self.fields.entry(name).or_insert(value);
        }
        self
    }
}

/// `/proc/self/fd/N`: the supervisor's own copy, as a path the kernel
/// follows to the very file.
pub(super) fn via_descriptor(fd: &OwnedFd) -> CString {
    CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).expect("no NUL in a number")
}

pub(super) fn path_fields(path: &Path) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("path".into(), path.to_string_lossy().into_owned().into());
    fields
}

pub(super) fn lossy(path: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(path).into_owned())
}

pub(super) fn done(
    kind: EventKind,
    fields: Map<String, Value>,
    result: nix::Result<()>,
) -> Outcome {
    Outcome {
        answer: match result {
            Ok(()) => Answer::Done,
            Err(errno) => Answer::Errno(errno as i32),
        },
        kind,
        fields,
        refused: None,
    }
}

pub(super) fn failed(kind: EventKind, path: PathBuf, errno: Errno) -> Outcome {
    done(kind, path_fields(&path), Err(errno))
}

pub(super) fn refused(kind: EventKind, path: &Path, rule: String) -> Outcome {
    Outcome {
        answer: Answer::Errno(libc::EACCES),
        kind,
        fields: path_fields(path),
        refused: Some(rule),
    }
}
