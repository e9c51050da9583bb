//! The git operations a session left in progress. What is left of a
//! rebase, a cherry-pick or a merge the session started is carried out by
//! the user's next `git rebase --continue` (or `git commit`), unconfined:
//! the commits it picks and the merge it concludes are the session's
//! choice. guard tells the user, and the log records it.

use crate::audit::{Event, EventKind};
use crate::policy::{RealHost, git_dir_of};
use std::path::{Path, PathBuf};

/// What git keeps while an operation is in progress, and what it is.
const IN_PROGRESS: [(&str, &str); 7] = [
    ("rebase-merge", "a rebase"),
    ("rebase-apply", "a rebase or `git am`"),
    ("sequencer", "a cherry-pick or revert of several commits"),
    ("MERGE_HEAD", "a merge"),
    ("CHERRY_PICK_HEAD", "a cherry-pick"),
    ("REVERT_HEAD", "a revert"),
    ("BISECT_START", "a bisect"),
];

/// The operations in progress in the repository's git directory.
#[derive(Debug, Default)]
pub struct InProgress {
    git_dir: Option<PathBuf>,
    names: Vec<&'static str>,
}

impl InProgress {
    /// What is in progress in `repo`'s git directory now.
    pub fn of(repo: &Path) -> InProgress {
        let git_dir = git_dir_of(repo, &RealHost::from_process());
        let names = match &git_dir {
            Some(dir) => IN_PROGRESS
                .iter()
                .filter(|(name, _)| dir.join(name).symlink_metadata().is_ok())
                .map(|(name, _)| *name)
                .collect(),
            None => Vec::new(),
        };
        InProgress { git_dir, names }
    }

    /// A record and a notice for each operation in progress now that was
    /// not `before`.
    pub fn left_since(&self, before: &InProgress) -> Vec<(Event, String)> {
        let Some(dir) = &self.git_dir else {
            return Vec::new();
        };
        IN_PROGRESS
            .iter()
            .filter(|(name, _)| self.names.contains(name) && !before.names.contains(name))
            .map(|(name, what)| {
                let path = dir.join(name);
                let event = Event::new(EventKind::GitInProgress, None)
                    .with("operation", *what)
                    .with("path", path.display().to_string());
                let notice = format!(
                    "the session left {what} in progress ({}): what is left of it is the \
                     session's choice, and continuing it runs unconfined; read `git status` \
                     first",
                    path.display()
                );
                (event, notice)
            })
            .collect()
    }
}
