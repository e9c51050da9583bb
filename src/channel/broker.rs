//! The supervisor's side of the channel: an open of the channel's path is
//! answered with a fresh connection, whose other end goes to guard.

use crate::sys::notify::Notification;
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

    /// Whether a trapped call opens the channel: `open`/`openat` of its
    /// absolute path, read-write. The path is read only for such opens.
    pub fn is_channel_open(
        &self,
        call: &Notification,
        read_path: impl FnOnce(u64) -> Option<Vec<u8>>,
    ) -> bool {
        let (address, flags) = match call.syscall as libc::c_long {
            libc::SYS_open => (call.args[0], call.args[1]),
            libc::SYS_openat => (call.args[1], call.args[2]),
            _ => return false,
        };
        if flags as i32 & libc::O_ACCMODE != libc::O_RDWR {
            return false;
        }
        use std::os::unix::ffi::OsStrExt;
        read_path(address).is_some_and(|path| path == self.path.as_os_str().as_bytes())
    }

    /// A new connection: guard gets one end, the caller the other.
    pub fn connect(&self) -> std::io::Result<OwnedFd> {
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
