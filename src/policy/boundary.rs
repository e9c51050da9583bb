//! The session boundary as judgement: may the session make this change?
//!
//! Landlock decides which trees a session may write. Inside them, the
//! [`Protection`] of a policy keeps what unconfined programs later read as
//! configuration or run: protected paths (read-only, and none may be
//! created), trees in which only listed entries may change (`.git`, where
//! git's ordinary work writes objects, refs and the index, but nothing else),
//! and paths protected at every depth of the repository (a nested `.git` is
//! a repository git reads configuration from; a client reads
//! `.codex/config.toml` in every directory between the working directory and
//! the repository's root).
//!
//! What a protected path resolves to is protected with it: the directories
//! above it cannot be removed, renamed, made a link or have their mode,
//! owner or attributes changed.
//!
//! The supervisor asks [`Protection::judge`] about every change before it
//! performs it, with the path resolved as the kernel acts on it. Nothing here
//! touches the filesystem.

use super::{ProtectedEverywhere, ProtectedPath, Protection, STAGING_PREFIX};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

/// A change the session asks for, on the absolute path it acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// A new entry (file, directory, link, node) at this path.
    Create(&'a Path),
    /// Opening this existing file for writing, or truncating it.
    Write(&'a Path),
    /// Removing this entry.
    Remove(&'a Path),
    /// Renaming this entry away.
    RenameFrom(&'a Path),
    /// Renaming something to this path (replacing what is there).
    RenameTo(&'a Path),
    /// A hard link to this existing entry.
    LinkFrom(&'a Path),
    /// Changing this entry's mode, owner or extended attributes (ACLs).
    Metadata(&'a Path),
    /// Changing this entry's times.
    Times(&'a Path),
    /// A new entry at this path that is neither a regular file nor a
    /// directory: a symbolic link, FIFO, socket or device node. Unconfined
    /// programs follow or open it where they expect a file (git writes
    /// `COMMIT_EDITMSG` and appends to `logs/` through a link), so a
    /// protected tree takes none.
    Special(&'a Path),
}

impl Change<'_> {
    /// The path the change acts on.
    pub fn path(&self) -> &Path {
        match *self {
            Change::Create(path)
            | Change::Write(path)
            | Change::Remove(path)
            | Change::RenameFrom(path)
            | Change::RenameTo(path)
            | Change::LinkFrom(path)
            | Change::Metadata(path)
            | Change::Times(path)
            | Change::Special(path) => path,
        }
    }

    /// What the change does, in a word, for refusals.
    pub fn verb(&self) -> &'static str {
        match self {
            Change::Create(_) | Change::Special(_) => "create",
            Change::Write(_) => "write",
            Change::Remove(_) => "remove",
            Change::RenameFrom(_) | Change::RenameTo(_) => "rename",
            Change::LinkFrom(_) => "link",
            Change::Metadata(_) => "change the attributes of",
            Change::Times(_) => "change the times of",
        }
    }

    /// Whether making this change to a directory above a protected path
    /// changes what the protected path resolves to (removed, moved, a link
    /// in its place) or who may change it (its mode or owner).
    fn moves_structure(&self) -> bool {
        matches!(
            self,
            Change::Remove(_)
                | Change::RenameFrom(_)
                | Change::RenameTo(_)
                | Change::Special(_)
                | Change::Metadata(_)
        )
    }
}

/// Whose making [`Protection::judge_owned`] asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// The entry the change acts on (missing: a new one, the session's).
    Entry,
    /// The directory the entry is in.
    Directory,
}

/// Why the boundary refuses a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundaryDenial {
    /// The protected path, or the reserved name, that decides.
    pub protected: String,
    /// The rule, in words.
    pub rule: String,
}

impl Change<'_> {
    /// Whether the change puts a new name in a directory.
    fn adds_an_entry(&self) -> bool {
        matches!(
            self,
            Change::Create(_) | Change::Special(_) | Change::RenameTo(_)
        )
    }

    /// Whether the change acts on an entry that is there already (which, in
    /// a tree whose entries only their maker may change, must be the
    /// session's own).
    fn acts_on_an_existing_entry(&self) -> bool {
        !matches!(self, Change::Create(_) | Change::Special(_))
    }
}

impl Protection {
    /// Whether the session may make `change`, taking every existing entry
    /// for someone else's; the denial names the rule.
    pub fn judge(&self, change: Change<'_>) -> Result<(), BoundaryDenial> {
        self.judge_among(change, &|_| false, &|_| false, false)
    }

    /// [`Protection::judge`] for a change whose entry, and the directory it
    /// is in, `is_own` can tell apart: whether the entry is missing or was
    /// made by this session, and whether the session made the directory
    /// (asked only where the tree lets only the entries a session made
    /// change, `own:` patterns); and for which `is_top` tells whether a
    /// directory above it is the top of a nested work tree (holds a
    /// `.git`; asked only where the change would make, change or move a
    /// path protected at such a top).
    pub fn judge_owned(
        &self,
        change: Change<'_>,
        is_own: &dyn Fn(Whose) -> bool,
        is_top: &dyn Fn(&Path) -> bool,
    ) -> Result<(), BoundaryDenial> {
        self.judge_among(change, is_own, is_top, false)
    }

    /// The protected tree `path` lies strictly inside, where some entries
    /// may change: what a rename or a hard link brings there must be a
    /// regular file (a directory would bring entries no rule has judged, a
    /// link or special file a name unconfined programs follow), which the
    /// supervisor checks on the entry it moved, not on the name it was asked
    /// about.
    pub fn tree_taking_files_only(&self, path: &Path) -> Option<&ProtectedPath> {
        let plain = is_plain(path);
        self.candidates(path, false)
            .into_iter()
            .map(|i| &self.paths[i])
            .find(|protected| {
                beneath(path, &protected.path, plain && is_plain(&protected.path))
                    .is_some_and(|inside| !inside.as_os_str().is_empty())
            })
    }

    /// Whether the session may rename the directory at `path` away, with
    /// everything beneath it, besides what [`Protection::judge`] says of
    /// the rename itself: in a protected tree only a directory whose every
    /// entry may change moves (`objects/ab`, `rebase-merge`), never one
    /// that holds entries that cannot (`.git/info`, whose `exclude` and
    /// `attributes` would go with it).
    pub fn judge_moving_directory(&self, path: &Path) -> Result<(), BoundaryDenial> {
        let Some(tree) = self.tree_taking_files_only(path) else {
            return Ok(());
        };
        let plain = is_plain(path) && is_plain(&tree.path);
        let inside = beneath(path, &tree.path, plain).unwrap_or(path);
        match tree.allows_all_beneath(inside) {
            true => Ok(()),
            false => Err(tree.refuse_in_tree(
                Change::RenameFrom(path),
                "holds entries beneath this directory that cannot change, and they would move \
                 with it",
            )),
        }
    }

    /// The indices of the protected paths that may be `path` or lie above
    /// it, and with `beneath_too` those beneath it: found by the index
    /// without a scan of them all, for a path spelled one way only.
    fn candidates(&self, path: &Path, beneath_too: bool) -> Vec<usize> {
        match is_plain(path) {
            true => self.index.related(&self.paths, path, beneath_too),
            false => (0..self.paths.len()).collect(),
        }
    }

    /// Whether an entry made at `path` is one whose later changes need it to
    /// be the session's own (so the supervisor remembers that it made it).
    pub fn ownership_matters(&self, path: &Path) -> bool {
        let plain = is_plain(path);
        self.candidates(path, false).into_iter().any(|i| {
            let protected = &self.paths[i];
            beneath(path, &protected.path, plain && is_plain(&protected.path))
                .is_some_and(|inside| protected.allowance(inside) == Some(Allowance::OwnOnly))
        })
    }

    /// [`Protection::judge_owned`], looking at every protected path when
    /// `scan_all` is set, else at those the index names.
    fn judge_among(
        &self,
        change: Change<'_>,
        is_own: &dyn Fn(Whose) -> bool,
        is_top: &dyn Fn(&Path) -> bool,
        scan_all: bool,
    ) -> Result<(), BoundaryDenial> {
        let path = change.path();
        if let Some(rule) = self.verified_refusal(change) {
            return Err(BoundaryDenial {
                protected: path.display().to_string(),
                rule,
            });
        }
        // Every protected path has its say; an entry a protected tree allows
        // is exempt from the paths protected everywhere (git's own HEAD lives
        // in `.git`).
        let mut allowed_in_tree = false;
        let plain = is_plain(path);
        // Only the protected paths at or above `path` have a say, and for a
        // change that moves a directory those beneath it too.
        let candidates = match scan_all {
            true => (0..self.paths.len()).collect(),
            false => self.candidates(path, change.moves_structure()),
        };
        for protected in candidates.into_iter().map(|i| &self.paths[i]) {
            let plain = plain && is_plain(&protected.path);
            if let Some(inside) = beneath(path, &protected.path, plain) {
                if inside.as_os_str().is_empty() {
                    return Err(protected.refuse(change, "is protected"));
                }
                if is_staging(inside) {
                    return Err(protected.refuse_in_tree(
                        change,
                        &format!("names beginning `{STAGING_PREFIX}` are guard's own staging"),
                    ));
                }
                match protected.allowance(inside) {
                    None => return Err(protected.refuse(change, "lies in a protected tree")),
                    Some(_) if matches!(change, Change::Special(_)) => {
                        return Err(protected.refuse_in_tree(
                            change,
                            "takes no link or special file, only regular files and directories",
                        ));
                    }
                    Some(Allowance::OwnOnly)
                        if change.adds_an_entry()
                            && protected.directory_must_be_own(inside)
                            && !is_own(Whose::Directory) =>
                    {
                        return Err(protected.refuse_in_tree(
                            change,
                            "takes new entries only in the directories a session made there \
                             (a client reads every file of its own session's directory), and \
                             another process made this one",
                        ));
                    }
                    Some(Allowance::OwnOnly)
                        if change.acts_on_an_existing_entry() && !is_own(Whose::Entry) =>
                    {
                        return Err(BoundaryDenial {
                            protected: protected.path.display().to_string(),
                            rule: format!(
                                "cannot {} {}: in protected tree {} a session changes only \
                                 the entries it made there, and another process made this one ({})",
                                change.verb(),
                                path.display(),
                                protected.path.display(),
                                protected.because
                            ),
                        });
                    }
                    Some(_) => allowed_in_tree = true,
                }
            } else if change.moves_structure() && beneath(&protected.path, path, plain).is_some() {
                return Err(BoundaryDenial {
                    protected: protected.path.display().to_string(),
                    rule: format!(
                        "{} would {} a directory above protected path {}",
                        path.display(),
                        change.verb(),
                        protected.path.display()
                    ),
                });
            }
        }
        if allowed_in_tree {
            return Ok(());
        }
        for tree in &self.everywhere {
            if let Some(denial) = tree.judge(change) {
                return Err(denial);
            }
        }
        for tree in &self.at_tops {
            if let Some(denial) = tree.judge(change, is_top) {
                return Err(denial);
            }
        }
        Ok(())
    }
}

impl ProtectedEverywhere {
    /// The refusal of `change` by a path protected at every depth, if any.
    fn judge(&self, change: Change<'_>) -> Option<BoundaryDenial> {
        let path = change.path();
        let names = names_beneath(path, &self.within)?;
        let matches = same_names;
        for protected in &self.paths {
            let length = protected.components.len();
            // The path is such a path, or lies beneath one.
            let within = names
                .windows(length)
                .any(|window| matches(window, &protected.components));
            // The path ends where such a path begins (`sub/.codex` for
            // `.codex/config.toml`): moving, removing or linking it makes or
            // redirects one.
            let above = change.moves_structure()
                && (1..length.min(names.len() + 1)).any(|start| {
                    matches(
                        &names[names.len() - start..],
                        &protected.components[..start],
                    )
                });
            if within || above {
                let what = if within { "" } else { "a directory above " };
                return Some(BoundaryDenial {
                    protected: protected.pattern(),
                    rule: format!(
                        "{} would {} {what}`{}`, protected at every depth of {} ({})",
                        path.display(),
                        change.verb(),
                        protected.pattern(),
                        self.within.display(),
                        protected.because
                    ),
                });
            }
        }
        None
    }
}

/// The names of `path` beneath `within`, when it lies there (the hot
/// path, a path spelled one way only, split as bytes).
fn names_beneath<'a>(path: &'a Path, within: &Path) -> Option<Vec<&'a OsStr>> {
    let plain = is_plain(path) && is_plain(within);
    let inside = beneath(path, within, plain)?;
    Some(match plain {
        true => inside
            .as_os_str()
            .as_bytes()
            .split(|&b| b == b'/')
            .filter(|name| !name.is_empty())
            .map(OsStr::from_bytes)
            .collect(),
        false => inside
            .components()
            .filter_map(|component| match component {
                Component::Normal(name) => Some(name),
                _ => None,
            })
            .collect(),
    })
}

/// Whether `names` are `components`, one for one.
fn same_names(names: &[&OsStr], components: &[String]) -> bool {
    names.len() == components.len()
        && names
            .iter()
            .zip(components)
            .all(|(name, component)| *name == OsStr::new(component))
}

/// `path` relative to `dir` when it lies beneath it (or is it): `Path`'s
/// component-wise `strip_prefix`, compared as bytes when both are plain (a
/// change is judged against every protected path, so this is the hot loop).
fn beneath<'a>(path: &'a Path, dir: &Path, both_plain: bool) -> Option<&'a Path> {
    if !both_plain {
        return path.strip_prefix(dir).ok();
    }
    let (bytes, prefix) = (path.as_os_str().as_bytes(), dir.as_os_str().as_bytes());
    let rest = bytes.strip_prefix(prefix)?;
    match rest {
        [] => Some(Path::new("")),
        [b'/', rest @ ..] => Some(Path::new(std::ffi::OsStr::from_bytes(rest))),
        _ if prefix == b"/" => Some(Path::new(std::ffi::OsStr::from_bytes(rest))),
        _ => None,
    }
}

/// Whether a name of `inside` is one guard stages its own entries under
/// (a copy being verified, an entry being checked on its way in), which
/// the session may not touch.
fn is_staging(inside: &Path) -> bool {
    inside.components().any(|name| {
        name.as_os_str()
            .as_bytes()
            .starts_with(STAGING_PREFIX.as_bytes())
    })
}

/// Whether `path` is absolute and spelled one way only (no empty, `.` or
/// `..` component, no trailing slash), so that byte and component
/// comparisons agree.
pub(super) fn is_plain(path: &Path) -> bool {
    let bytes = path.as_os_str().as_bytes();
    bytes == b"/"
        || (bytes.first() == Some(&b'/')
            && bytes[1..]
                .split(|&b| b == b'/')
                .all(|part| !part.is_empty() && part != b"." && part != b".."))
}

mod patterns;
mod tops;

pub use patterns::{Allowance, OWN_ONLY, matches};
pub use tops::ProtectedAtTops;

#[cfg(test)]
mod tests;
