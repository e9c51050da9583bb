//! A rename onto a verified file (see [`crate::policy::VerifiedFile`]): the
//! supervisor reads the new content through its own descriptor, checks it,
//! writes it to a file only it has open, and renames that into place; the
//! session's file is then removed. Whatever descriptor the session kept of
//! its file, the file in place is not that one.

use super::resolve::Entry;
use crate::policy::ContentCheck;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::io::{Read, Write};
use std::os::fd::AsFd;

/// The most a verified file's new content may be.
const MAX_CONTENT: u64 = 512 * 1024 * 1024;

/// Why a verified replacement did not happen.
#[derive(Debug)]
pub enum Replace {
    /// The content failed its check.
    Refused(String),
    /// A call failed.
    Failed(Errno),
}

/// Replaces `target` with a checked copy of `source`, then removes `source`.
pub fn replace(source: &Entry, target: &Entry, check: ContentCheck) -> Result<(), Replace> {
    let failed = Replace::Failed;
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    let opened = nix::fcntl::openat(
        source.dir.as_fd(),
        source.name.as_os_str(),
        flags,
        Mode::empty(),
    )
    .map_err(failed)?;
    let stat = nix::sys::stat::fstat(&opened).map_err(failed)?;
    let mut content = Vec::new();
    std::fs::File::from(opened)
        .take(MAX_CONTENT + 1)
        .read_to_end(&mut content)
        .map_err(|error| failed(io_errno(&error)))?;
    if content.len() as u64 > MAX_CONTENT {
        return Err(Replace::Refused("it is too large to check".into()));
    }
    check.check(&content).map_err(Replace::Refused)?;
    // A name of the supervisor's own beside the target, made exclusively.
    let staging = format!(
        "{}.guard-{}",
        target.name.to_string_lossy(),
        std::process::id()
    );
    let mode = Mode::from_bits_truncate(stat.st_mode & 0o777);
    let create =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let copy =
        nix::fcntl::openat(target.dir.as_fd(), staging.as_str(), create, mode).map_err(failed)?;
    let written = std::fs::File::from(copy).write_all(&content);
    let placed = written.map_err(|error| io_errno(&error)).and_then(|()| {
        nix::fcntl::renameat(
            target.dir.as_fd(),
            staging.as_str(),
            target.dir.as_fd(),
            target.name.as_os_str(),
        )
    });
    if let Err(errno) = placed {
        let _ = nix::unistd::unlinkat(
            target.dir.as_fd(),
            staging.as_str(),
            nix::unistd::UnlinkatFlags::NoRemoveDir,
        );
        return Err(failed(errno));
    }
    nix::unistd::unlinkat(
        source.dir.as_fd(),
        source.name.as_os_str(),
        nix::unistd::UnlinkatFlags::NoRemoveDir,
    )
    .map_err(failed)
}

fn io_errno(error: &std::io::Error) -> Errno {
    Errno::from_raw(error.raw_os_error().unwrap_or(libc::EIO))
}
