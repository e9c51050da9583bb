//! The entries a session made where only their maker may change them
//! (`own:` patterns of a protected tree: a client's shell snapshots, which
//! the client that wrote one sources before every command). Known by device
//! and inode, so a rename keeps them the session's own; only the makings the
//! protection asks about are remembered.

use super::resolve::Entry;
use nix::fcntl::AtFlags;
use nix::sys::stat::FileStat;
use std::collections::HashSet;
use std::os::fd::OwnedFd;
use std::sync::Mutex;

/// The session's own entries, by device and inode.
#[derive(Debug, Default)]
pub struct Made(Mutex<HashSet<(u64, u64)>>);

/// What a change acts on, for the question whether it is the session's own.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A named entry (missing: a new one, which is the session's).
    Entry(&'a Entry),
    /// An object reached by a descriptor.
    Fd(&'a OwnedFd),
}

impl Made {
    /// Remembers that the session made what `stat` describes.
    pub fn note(&self, stat: &FileStat) {
        self.lock().insert(identity(stat));
    }

    /// Remembers the entry the session just made.
    pub fn note_entry(&self, entry: &Entry) {
        if let Ok(stat) = stat_of(entry) {
            self.note(&stat);
        }
    }

    /// Whether `subject` is missing or one the session made.
    pub fn is_own(&self, subject: Subject<'_>) -> bool {
        let stat = match subject {
            Subject::Entry(entry) if entry.kind().is_none() => return true,
            Subject::Entry(entry) => stat_of(entry),
            Subject::Fd(fd) => nix::sys::stat::fstat(fd),
        };
        stat.is_ok_and(|stat| self.lock().contains(&identity(&stat)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<(u64, u64)>> {
        // A panic while holding it aborts guard (see the receive loop).
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn stat_of(entry: &Entry) -> nix::Result<FileStat> {
    nix::sys::stat::fstatat(
        &entry.dir,
        entry.name.as_os_str(),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )
}

fn identity(stat: &FileStat) -> (u64, u64) {
    (stat.st_dev, stat.st_ino)
}
