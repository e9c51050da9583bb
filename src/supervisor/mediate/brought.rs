//! What a rename or a hard link brings into a protected tree (`.git`, a
//! client's directory) must be a regular file: a directory would bring
//! everything beneath it past the rules that judge each entry (a fan-out
//! directory of unverified objects, a link git writes through), and a
//! symbolic link or special file is a name unconfined programs follow.
//!
//! The type is checked on the entry that moved, not on the name the session
//! asked about: the supervisor first moves (or links) it to a staging name
//! beside the target, which the boundary refuses the session every change
//! to, looks at what arrived there, and only then renames it into place.
//! A racing thread that swaps the source name between the judgement and
//! the call changes what is staged, never what is put in place unchecked.

use super::resolve::Entry;
use super::verified::{Replace, staging_name};
use crate::policy::ProtectedPath;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, RenameFlags};
use nix::sys::stat::SFlag;
use std::os::fd::AsFd;

/// How the entry reaches the staging name.
pub enum Bring<'a> {
    /// Renamed from this entry (and put back there if refused).
    Rename(&'a Entry),
    /// A hard link made by `link` at the staging name in the target's
    /// directory.
    Link(&'a dyn Fn(&str) -> nix::Result<()>),
}

/// Brings a regular file to `target` in protected `tree` as `how` says,
/// with `flags` for the final rename (`RENAME_NOREPLACE` for a link, as
/// `link(2)` never replaces).
pub fn regular_file(
    how: Bring<'_>,
    target: &Entry,
    tree: &ProtectedPath,
    flags: RenameFlags,
) -> Result<(), Replace> {
    // A name of the supervisor's own, which no one else makes there: a
    // plain rename (some filesystems, NFS among them, have no
    // RENAME_NOREPLACE).
    let staged = staging_name();
    let (dir, name) = (target.dir.as_fd(), target.name.as_os_str());
    match &how {
        Bring::Rename(source) => nix::fcntl::renameat(
            source.dir.as_fd(),
            source.name.as_os_str(),
            dir,
            staged.as_str(),
        ),
        Bring::Link(link) => link(&staged),
    }
    .map_err(Replace::Failed)?;
    let kind = nix::sys::stat::fstatat(dir, staged.as_str(), AtFlags::AT_SYMLINK_NOFOLLOW)
        .map(|stat| SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT);
    if kind != Ok(SFlag::S_IFREG) {
        give_back(&how, target, &staged);
        return Err(Replace::Refused(format!(
            "only a regular file may be moved or linked into protected tree {} ({}), and this is {}",
            tree.path.display(),
            tree.because,
            describe(kind)
        )));
    }
    nix::fcntl::renameat2(dir, staged.as_str(), dir, name, flags).map_err(|errno| {
        give_back(&how, target, &staged);
        Replace::Failed(errno)
    })
}

/// Undoes the staging: a renamed entry goes back to its name (or, if that
/// was taken meanwhile, beside it), a link is removed.
fn give_back(how: &Bring<'_>, target: &Entry, staged: &str) {
    let dir = target.dir.as_fd();
    let Bring::Rename(source) = how else {
        let _ = nix::unistd::unlinkat(dir, staged, nix::unistd::UnlinkatFlags::NoRemoveDir);
        return;
    };
    let back = |name: &std::ffi::OsStr| {
        nix::fcntl::renameat2(
            dir,
            staged,
            source.dir.as_fd(),
            name,
            RenameFlags::RENAME_NOREPLACE,
        )
    };
    if back(source.name.as_os_str()).is_err() {
        let mut beside = source.name.clone();
        beside.push(format!(".refused-{staged}"));
        if back(&beside).is_err() {
            tracing::warn!(
                staged,
                "an entry refused on its way into a protected tree stays at its staging name"
            );
        }
    }
}

/// What an entry is, in words.
fn describe(kind: nix::Result<SFlag>) -> String {
    match kind {
        Ok(SFlag::S_IFDIR) => "a directory".into(),
        Ok(SFlag::S_IFLNK) => "a symbolic link".into(),
        Ok(SFlag::S_IFIFO) => "a FIFO".into(),
        Ok(SFlag::S_IFSOCK) => "a socket".into(),
        Ok(SFlag::S_IFCHR | SFlag::S_IFBLK) => "a device node".into(),
        Ok(_) => "not a regular file".into(),
        Err(Errno::ENOENT) => "gone".into(),
        Err(errno) => format!("unknown ({errno})"),
    }
}
