//! The session's channel to guard.
//!
//! Hook adapters inside the session ask guard, outside it, what only guard
//! may decide: whether a tool call is gated by the session's trust, and
//! whether a result makes the session untrusted. Their reports go the same
//! way, so that the log holds prompts, calls, decisions and results in the
//! order they happened.
//!
//! A process connects by opening the channel's path (`GUARD_SESSION_CHANNEL`)
//! read-write: the supervisor answers that open with one end of a fresh
//! socket pair and hands the other end to guard ([`broker`]). Nothing is
//! created on disk, no unix socket is needed (sessions may have none), and
//! no process can take over another's connection. Any session process may
//! connect, so a request is the session's word: guard keeps the trust state
//! itself, and a request can only lower it.
//!
//! One request per connection: a JSON object, then end of input; one JSON
//! object back.

pub mod broker;
pub mod server;

use serde_json::Value;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

/// The largest request or answer.
pub const MAX_MESSAGE: u64 = 16 * 1024 * 1024;
/// How long either side waits for the other.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The channel could not be opened, or is not a connection to guard.
    #[error("guard's channel ({path}) cannot be reached: {reason}")]
    Unreachable {
        /// The channel's path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The exchange failed.
    #[error("guard's channel failed: {0}")]
    Exchange(#[source] std::io::Error),
    /// The answer is not JSON.
    #[error("guard's channel answered with something that is not JSON: {0}")]
    Malformed(#[source] serde_json::Error),
}

/// Sends `request` over the channel at `path` and returns guard's answer.
pub fn request(path: &Path, request: &Value) -> Result<Value, ChannelError> {
    let unreachable = |reason: String| ChannelError::Unreachable {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOCTTY | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|error| unreachable(error.to_string()))?;
    let is_socket = file
        .metadata()
        .is_ok_and(|metadata| metadata.file_type().is_socket());
    if !is_socket {
        return Err(unreachable("it is not guard's connection".into()));
    }
    let mut stream = std::os::unix::net::UnixStream::from(std::os::fd::OwnedFd::from(file));
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(ChannelError::Exchange)?;
    stream
        .write_all(request.to_string().as_bytes())
        .and_then(|()| stream.shutdown(std::net::Shutdown::Write))
        .map_err(ChannelError::Exchange)?;
    let mut answer = Vec::new();
    stream
        .take(MAX_MESSAGE)
        .read_to_end(&mut answer)
        .map_err(ChannelError::Exchange)?;
    serde_json::from_slice(&answer).map_err(ChannelError::Malformed)
}

/// The channel's path in this process's environment: set inside a
/// supervised session.
pub fn from_env() -> Option<std::path::PathBuf> {
    std::env::var_os(crate::launch::CHANNEL_VAR).map(std::path::PathBuf::from)
}
