//! The supervisor's side of the channel: an open of the channel's path is
//! answered with a fresh connection, whose other end goes to guard.

use crate::sys::notify::{Listener, Notification, Response};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// Connects session processes to guard.
#[derive(Debug)]
pub struct Broker {
    /// The path whose open connects.
    path: PathBuf,
    /// Where guard receives its ends.
    to_guard: UnixStream,
}

impl Broker {
    /// A broker for the channel at `path`, handing guard's ends over `to_guard`.
    pub fn new(path: PathBuf, to_guard: UnixStream) -> Broker {
        Broker { path, to_guard }
    }

    /// Whether an open of `path` (as the process wrote it) with `flags`
    /// opens the channel: its absolute path, read-write.
    pub fn is_channel_open(&self, path: &[u8], flags: i32) -> bool {
        use std::os::unix::ffi::OsStrExt;
        flags & libc::O_ACCMODE == libc::O_RDWR && path == self.path.as_os_str().as_bytes()
    }

    /// Answers trapped `call`, an open of the channel, with a new
    /// connection (refused if none can be made).
    pub fn answer(&self, listener: &Listener, call: &Notification, cloexec: bool) {
        let answered = self
            .connect()
            .and_then(|end| listener.respond_with_fd(call, end, cloexec));
        if answered.is_err() {
            let _ = listener.respond(call.id, Response::Fail(libc::ECONNREFUSED));
        }
    }

    /// A new connection: guard gets one end, the caller the other.
    fn connect(&self) -> std::io::Result<OwnedFd> {
        let (guard_end, session_end) = socketpair(
            AddressFamily::Unix,
            SockType::Stream,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        crate::sys::handoff::send(&self.to_guard, &guard_end)?;
        Ok(session_end)
    }
}
