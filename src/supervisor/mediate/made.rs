//! The entries a session made where only their maker may change them
//! (`own:` patterns of a protected tree: a client's shell snapshots, which
//! the client that wrote one sources before every command). Known by device,
//! inode and birth time, so a rename keeps them the session's own and an
//! inode number the filesystem gives again to another process's new entry
//! (once the client's clean-up removed the session's) is not taken for the
//! session's; only the makings the protection asks about are remembered.
//! Where a filesystem keeps no birth time, device and inode alone decide.

use super::resolve::Entry;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::collections::HashSet;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// The session's own entries, by device, inode and birth time.
#[derive(Debug, Default)]
pub struct Made(Mutex<HashSet<Identity>>);

/// An entry's device, inode and birth time (`None` where the filesystem
/// keeps none).
type Identity = (u64, u64, Option<Duration>);

/// What a change acts on, for the question whether it is the session's own.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A named entry (missing: a new one, which is the session's).
    Entry(&'a Entry),
    /// An object reached by a descriptor.
    Fd(&'a OwnedFd),
}

impl Made {
    /// Remembers that the session made the file open at `fd`.
    pub fn note(&self, fd: &OwnedFd) {
        if let Ok(identity) = identity_of_fd(fd) {
            self.lock().insert(identity);
        }
    }

    /// Remembers the entry the session just made.
    pub fn note_entry(&self, entry: &Entry) {
        if let Ok(identity) = identity_of_entry(entry) {
            self.lock().insert(identity);
        }
    }

    /// Whether `subject` is missing or one the session made.
    pub fn is_own(&self, subject: Subject<'_>) -> bool {
        let identity = match subject {
            Subject::Entry(entry) if entry.kind().is_none() => return true,
            Subject::Entry(entry) => identity_of_entry(entry),
            Subject::Fd(fd) => identity_of_fd(fd),
        };
        identity.is_ok_and(|identity| self.lock().contains(&identity))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<Identity>> {
        // A panic while holding it aborts guard (see the receive loop).
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The identity of the entry itself (a last link not followed), through a
/// descriptor of its own (`O_PATH`), whose metadata comes from `statx`.
fn identity_of_entry(entry: &Entry) -> nix::Result<Identity> {
    let fd = nix::fcntl::openat(
        entry.dir.as_fd(),
        entry.name.as_os_str(),
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    identity_of_fd(&fd)
}

fn identity_of_fd(fd: &OwnedFd) -> nix::Result<Identity> {
    let file = std::fs::File::from(fd.try_clone().map_err(|_| nix::errno::Errno::EBADF)?);
    let metadata = file
        .metadata()
        .map_err(|error| nix::errno::Errno::from_raw(error.raw_os_error().unwrap_or(libc::EIO)))?;
    let born = metadata
        .created()
        .ok()
        .and_then(|time| time.duration_since(SystemTime::UNIX_EPOCH).ok());
    Ok((metadata.dev(), metadata.ino(), born))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An inode number given again after the session's entry was removed is
    /// another entry: its birth time tells. (Whether the filesystem gives a
    /// freed inode again at once depends on what else the machine does, so
    /// the reuse is stood for by a remembered identity that differs from a
    /// real file's in its birth time alone.)
    #[test]
    fn a_reused_inode_is_not_the_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let made = Made::default();
        let file = OwnedFd::from(std::fs::File::create(dir.path().join("snapshot.sh")).unwrap());
        made.note(&file);
        assert!(made.is_own(Subject::Fd(&file)));
        let (dev, inode, born) = identity_of_fd(&file).unwrap();
        let born = born.expect("this filesystem keeps birth times");
        // The session's entry, made a second earlier, had this inode number.
        *made.lock() = HashSet::from([(dev, inode, Some(born - Duration::from_secs(1)))]);
        assert!(
            !made.is_own(Subject::Fd(&file)),
            "the same inode, another entry"
        );
        // With its own birth time it is the session's again.
        *made.lock() = HashSet::from([(dev, inode, Some(born))]);
        assert!(made.is_own(Subject::Fd(&file)));
    }
}
