//! Whether a directory above a change is the top of a nested work tree
//! (holds a `.git`), for the paths protected at every such top (see
//! `policy::ProtectedAtTops`).

use nix::errno::Errno;
use nix::fcntl::AtFlags;
use std::os::fd::OwnedFd;
use std::path::{Component, Path};

/// Whether `top`, a directory above the change at `path` whose directory is
/// open at `dir`, holds a `.git` (is the top of a work tree): looked up from
/// `dir` through `..`, so it is the directory above the one the change acts
/// in whatever a racing rename did to the names meanwhile (no session can
/// make or remove a `.git`, so the answer holds for that directory). Only
/// "no such entry" says no.
pub(super) fn holds_git(dir: &OwnedFd, path: &Path, top: &Path) -> bool {
    let depth = |path: &Path| {
        path.components()
            .filter(|component| matches!(component, Component::Normal(_)))
            .count()
    };
    let Some(levels) = depth(path).checked_sub(1 + depth(top)) else {
        return true;
    };
    let relative = format!("{}.git", "../".repeat(levels));
    !matches!(
        nix::sys::stat::fstatat(dir, relative.as_str(), AtFlags::AT_SYMLINK_NOFOLLOW),
        Err(Errno::ENOENT)
    )
}

/// [`holds_git`] by name, where no directory of the change is open (a
/// change through a descriptor).
pub(super) fn holds_git_by_name(top: &Path) -> bool {
    !matches!(nix::sys::stat::lstat(&top.join(".git")), Err(Errno::ENOENT))
}
