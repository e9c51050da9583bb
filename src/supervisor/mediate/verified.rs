//! A rename onto a verified file (see [`crate::policy::VerifiedFile`]):
//! the supervisor reads the new content through its own descriptor, checks
//! it, puts a copy only it wrote in place, and removes the session's file.
//! Whatever descriptor the session kept of its file, the file in place is
//! not that one. The staging these copies share is here too; the object
//! stores' own checks are in `objects`.

use super::resolve::Entry;
use crate::policy::{ContentCheck, Protection, Replacing, STAGING_PREFIX};
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

/// Replaces `target` with a checked copy of `source` (or the copy the
/// check makes of it), then removes `source`.
pub fn replace(
    source: &Entry,
    target: &Entry,
    check: &ContentCheck,
    protection: &Protection,
) -> Result<(), Replace> {
    let failed = Replace::Failed;
    let (content, stat) = match read_bounded(source)? {
        Some(read) => read,
        None => return Err(failed(Errno::ENOENT)),
    };
    let previous = match check.compares_with_previous() {
        true => read_bounded(target)?.map(|(content, _)| content),
        false => None,
    };
    let replacing = Replacing {
        previous: previous.as_deref(),
        protection,
        read: &|path| crate::policy::work_tree_file(path, MAX_CONTENT),
    };
    let made = check
        .check(&content, &replacing)
        .map_err(Replace::Refused)?;
    let content = made.as_deref().unwrap_or(&content);
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
    let written = std::fs::File::from(copy).write_all(content);
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

/// The content of a regular file `entry` names, without following a link
/// and at most [`MAX_CONTENT`] bytes, and its status; `None` if there is no
/// such entry.
fn read_bounded(entry: &Entry) -> Result<Option<(Vec<u8>, nix::sys::stat::FileStat)>, Replace> {
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    let opened = match nix::fcntl::openat(
        entry.dir.as_fd(),
        entry.name.as_os_str(),
        flags,
        Mode::empty(),
    ) {
        Ok(opened) => opened,
        Err(Errno::ENOENT) => return Ok(None),
        Err(errno) => return Err(Replace::Failed(errno)),
    };
    let stat = nix::sys::stat::fstat(&opened).map_err(Replace::Failed)?;
    if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Replace::Refused(format!(
            "{} is not a regular file",
            entry.path().display()
        )));
    }
    let size = (stat.st_size.max(0) as u64).min(MAX_CONTENT) as usize;
    let mut content = Vec::with_capacity(size + 1);
    std::fs::File::from(opened)
        .take(MAX_CONTENT + 1)
        .read_to_end(&mut content)
        .map_err(|error| Replace::Failed(io_errno(&error)))?;
    if content.len() as u64 > MAX_CONTENT {
        return Err(Replace::Refused("it is too large to check".into()));
    }
    Ok(Some((content, stat)))
}

pub(super) fn io_errno(error: &std::io::Error) -> Errno {
    Errno::from_raw(error.raw_os_error().unwrap_or(libc::EIO))
}

/// A staging name of the supervisor's own (the boundary refuses the session
/// every change to such names).
pub(super) fn staging_name() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let next = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{STAGING_PREFIX}{}-{next}", std::process::id())
}

/// Copies `source` into a new staging file beside `target`, showing each
/// chunk copied to `observe` (which may stop the copy); returns the staging
/// name.
pub(super) fn stage_copy(
    source: &Entry,
    target: &Entry,
    observe: &mut dyn FnMut(&[u8]) -> Result<(), String>,
) -> Result<String, Replace> {
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    let from = nix::fcntl::openat(
        source.dir.as_fd(),
        source.name.as_os_str(),
        flags,
        Mode::empty(),
    )
    .map_err(Replace::Failed)?;
    let stat = nix::sys::stat::fstat(&from).map_err(Replace::Failed)?;
    if stat.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Replace::Failed(Errno::EINVAL));
    }
    let name = staging_name();
    let create =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let mode = Mode::from_bits_truncate(stat.st_mode & 0o777);
    let copy = nix::fcntl::openat(target.dir.as_fd(), name.as_str(), create, mode)
        .map_err(Replace::Failed)?;
    let (mut from, mut copy) = (std::fs::File::from(from), std::fs::File::from(copy));
    let mut buffer = vec![0u8; 64 * 1024];
    let copied = loop {
        let read = match from.read(&mut buffer) {
            Ok(0) => break Ok(()),
            Ok(read) => read,
            Err(error) => break Err(Replace::Failed(io_errno(&error))),
        };
        if let Err(why) = observe(&buffer[..read]) {
            break Err(Replace::Refused(why));
        }
        if let Err(error) = copy.write_all(&buffer[..read]) {
            break Err(Replace::Failed(io_errno(&error)));
        }
    };
    if let Err(error) = copied {
        unlink(target, &name);
        return Err(error);
    }
    Ok(name)
}

pub(super) fn unlink(entry_dir: &Entry, name: &str) {
    let _ = nix::unistd::unlinkat(
        entry_dir.dir.as_fd(),
        name,
        nix::unistd::UnlinkatFlags::NoRemoveDir,
    );
}

/// Puts the staged `name` in place of `target` (only where nothing is, for
/// `no_replace`); removes the staging file if it cannot.
pub(super) fn put_in_place(target: &Entry, name: &str, no_replace: bool) -> Result<(), Errno> {
    let flags = match no_replace {
        true => nix::fcntl::RenameFlags::RENAME_NOREPLACE,
        false => nix::fcntl::RenameFlags::empty(),
    };
    let placed = nix::fcntl::renameat2(
        target.dir.as_fd(),
        name,
        target.dir.as_fd(),
        target.name.as_os_str(),
        flags,
    );
    if placed.is_err() {
        unlink(target, name);
    }
    placed
}
