//! What of git's state a session left for the user's next command to
//! carry out, unconfined: the rest of a rebase, cherry-pick or merge it
//! started (the commits it picks and the merge it concludes are the
//! session's choice), and the newest entry of the stash list, which the
//! user's next `git stash pop` applies to the work tree, and commits that
//! change protected paths (`super::git_history`). guard tells the user,
//! and the log records it.

use super::git_history::{Refs, commits_left, protected_in_commits};
use crate::audit::{Event, EventKind};
use crate::policy::{Policy, RealHost, common_dir, git_dir_of};
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

/// What of git's state the session's end is compared with: the operations
/// in progress in the repository's git directory, and the stash list.
#[derive(Debug, Default)]
pub struct GitState {
    git_dir: Option<PathBuf>,
    names: Vec<&'static str>,
    /// The object `refs/stash` names (loose or packed), if any.
    stash: Option<String>,
    /// Every stash in the list (the objects its reflog names).
    stashes: Vec<String>,
    /// The rest of each list of steps ([`STEP_LISTS`]) in progress.
    step_lists: Vec<Option<String>>,
    /// What every ref names.
    refs: Refs,
}

impl GitState {
    /// `repo`'s git state now.
    pub fn of(repo: &Path) -> GitState {
        let host = RealHost::from_process();
        let git_dir = git_dir_of(repo, &host);
        let names = match &git_dir {
            Some(dir) => IN_PROGRESS
                .iter()
                .filter(|(name, _)| dir.join(name).symlink_metadata().is_ok())
                .map(|(name, _)| *name)
                .collect(),
            None => Vec::new(),
        };
        let common = git_dir.as_ref().map(|dir| common_dir(dir, &host));
        let stashes = common.as_deref().map(stash_list).unwrap_or_default();
        let step_lists = STEP_LISTS
            .iter()
            .map(|list| {
                let dir = git_dir.as_ref()?;
                std::fs::read_to_string(dir.join(list.path)).ok()
            })
            .collect();
        let refs = match (&git_dir, &common) {
            (Some(dir), Some(common)) => Refs::read(dir, common),
            _ => Refs::default(),
        };
        let stash = refs.get("refs/stash").map(str::to_string);
        GitState {
            git_dir,
            names,
            stash,
            stashes,
            step_lists,
            refs,
        }
    }

    /// A record and a notice for each operation in progress now that was
    /// not `before`, for the stashes made since, and for each ref changed
    /// since to commits that change paths `policy` protects.
    pub fn left_since(&self, before: &GitState, policy: &Policy) -> Vec<(Event, String)> {
        let Some(dir) = &self.git_dir else {
            return Vec::new();
        };
        IN_PROGRESS
            .iter()
            .filter(|(name, _)| self.names.contains(name) && !before.names.contains(name))
            .map(|(name, what)| {
                let path = dir.join(name);
                let event = Event::new(EventKind::GitLeft, None)
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
            .chain(
                STEP_LISTS
                    .iter()
                    .enumerate()
                    .filter_map(|(at, list)| self.steps_changed(before, dir, policy, at, list)),
            )
            .chain(self.stash_left(before))
            .chain(commits_left(
                &before.refs,
                &self.refs,
                &policy.repo,
                &policy.protection,
                comparing_git(policy),
            ))
            .collect()
    }

    /// A record and a notice when an operation of the user's that `list`
    /// keeps the steps of (the `at`th of [`STEP_LISTS`]) is still in
    /// progress, and its list holds steps it did not (a `pick` of another
    /// commit: what the user's `git rebase --continue` applies), with the
    /// protected paths the commits those steps apply change; and when one
    /// the session left in progress (told as such) applies commits that
    /// change protected paths.
    fn steps_changed(
        &self,
        before: &GitState,
        dir: &Path,
        policy: &Policy,
        at: usize,
        list: &StepList,
    ) -> Option<(Event, String)> {
        let was = before.step_lists.get(at).and_then(Option::as_deref);
        let is = self.step_lists.get(at).and_then(Option::as_deref)?;
        let steps = |list: &str| -> Vec<String> {
            list.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_string)
                .collect()
        };
        let known = steps(was.unwrap_or_default());
        let added: Vec<String> = steps(is)
            .into_iter()
            .filter(|step| !known.contains(step))
            .collect();
        let (protected, unchecked) = compared_steps(&added, policy);
        let started = was.is_none();
        if added.is_empty() || (started && protected.is_empty() && unchecked.is_empty()) {
            return None;
        }
        let path = dir.join(list.path);
        let (operation, mut notice) = match started {
            false => (
                format!("a {} of yours, changed", list.what),
                format!(
                    "the session added {} step(s) to the {} that was in progress ({}): \
                     `{}` carries them out unconfined; read the list first",
                    added.len(),
                    list.what,
                    path.display(),
                    list.go_on
                ),
            ),
            true => (
                format!("a {} the session left, applying commits", list.what),
                format!(
                    "the {} the session left in progress ({}) applies {} step(s)",
                    list.what,
                    path.display(),
                    added.len()
                ),
            ),
        };
        let mut event = Event::new(EventKind::GitLeft, None)
            .with("operation", operation)
            .with("path", path.display().to_string())
            .with("steps_added", added.len());
        if !protected.is_empty() {
            notice.push_str(&format!(
                "; they change protected paths: {}",
                protected.join(", ")
            ));
            event = event.with("protected", protected);
        }
        if !unchecked.is_empty() {
            notice.push_str(&format!("; commits not compared: {}", unchecked.join(", ")));
            event = event.with("not_compared", unchecked);
        }
        Some((event, notice))
    }

    /// A record and a notice when the stash list holds stashes it did not
    /// hold `before` (a stash of the user's that a pop brought to the top
    /// is not the session's): the newest, which `git stash pop` applies
    /// next, or older ones a pop of the user's brings to the top later.
    fn stash_left(&self, before: &GitState) -> Option<(Event, String)> {
        let known =
            |stash: &String| before.stash.as_ref() == Some(stash) || before.stashes.contains(stash);
        let mut made: Vec<&String> = self
            .stash
            .iter()
            .chain(&self.stashes)
            .filter(|s| !known(s))
            .collect();
        made.sort();
        made.dedup();
        if made.is_empty() {
            return None;
        }
        let newest = self.stash.as_ref().is_some_and(|top| !known(top));
        let event = Event::new(EventKind::GitLeft, None)
            .with("operation", "stashes")
            .with("path", "refs/stash")
            .with(
                "objects",
                made.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            )
            .with("newest", newest);
        let place = match newest {
            true => "one on top, what `git stash pop` applies next",
            false => "beneath the top, which a pop of yours brings up",
        };
        let notice = format!(
            "the stash list holds {} entr{} the session made ({place}): `git stash pop` \
             applies a stash to the work tree unconfined; read `git stash list` and \
             `git stash show -p` first",
            made.len(),
            if made.len() == 1 { "y" } else { "ies" }
        );
        Some((event, notice))
    }
}

/// The git guard compares commits with (the user's, never one the session
/// may write), if there is one.
fn comparing_git(policy: &Policy) -> Option<&Path> {
    policy
        .protection
        .objects
        .as_ref()
        .and_then(|objects| objects.git.as_deref())
}

/// The protected paths the commits that rebase steps `added` apply change,
/// and the commits not compared (named otherwise than by object name, or
/// that git could not compare).
fn compared_steps(added: &[String], policy: &Policy) -> (Vec<String>, Vec<String>) {
    let (commits, named): (Vec<&str>, Vec<&str>) = added
        .iter()
        .filter_map(|step| applied_commit(step))
        .partition(|commit| is_object_name(commit));
    let (protected, mut unchecked) = protected_in_commits(
        &commits,
        &policy.repo,
        &policy.protection,
        comparing_git(policy),
    );
    unchecked.extend(named.iter().map(|name| name.to_string()));
    (protected, unchecked)
}

/// The commit a step of a list applies to the work tree (`pick`, `reword`,
/// `edit`, `squash`, `fixup` and their `-C`/`-c` forms, `merge -C`, and a
/// cherry-pick's `revert`, whose paths are the commit's), as the step names
/// it (git takes any revision there).
fn applied_commit(step: &str) -> Option<&str> {
    let words: Vec<&str> = step.split_whitespace().collect();
    let commit = match words.as_slice() {
        [
            "pick" | "p" | "reword" | "r" | "edit" | "e" | "squash" | "s" | "fixup" | "f" | "merge"
            | "m",
            "-C" | "-c",
            commit,
            ..,
        ] => commit,
        [
            "pick" | "p" | "reword" | "r" | "edit" | "e" | "squash" | "s" | "fixup" | "f"
            | "revert" | "v",
            commit,
            ..,
        ] => commit,
        _ => return None,
    };
    Some(commit)
}

/// Whether a step names its commit by a hexadecimal object name, which
/// guard compares (git could take another name for an option).
fn is_object_name(commit: &str) -> bool {
    commit.len() >= 4 && commit.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A list of the steps an operation in progress still has to carry out.
struct StepList {
    /// Where, in the work tree's git directory.
    path: &'static str,
    /// The operation.
    what: &'static str,
    /// The command that carries out the rest.
    go_on: &'static str,
}

/// The lists whose steps git applies at the user's next command: the rest
/// of an interactive rebase, and of a cherry-pick or revert of several
/// commits (only `pick` and `revert` there).
const STEP_LISTS: [StepList; 2] = [
    StepList {
        path: "rebase-merge/git-rebase-todo",
        what: "rebase",
        go_on: "git rebase --continue",
    },
    StepList {
        path: "sequencer/todo",
        what: "cherry-pick or revert",
        go_on: "git cherry-pick --continue",
    },
];

/// The objects the stash list's reflog names (each line's new value).
fn stash_list(common: &Path) -> Vec<String> {
    let log = std::fs::read_to_string(common.join("logs/refs/stash")).unwrap_or_default();
    log.lines()
        .filter_map(|line| line.split(' ').nth(1).map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_steps_that_apply_a_commit_name_it() {
        assert_eq!(applied_commit("pick 1a2b3c4 message"), Some("1a2b3c4"));
        assert_eq!(applied_commit("f -C abcdef0 fix"), Some("abcdef0"));
        assert_eq!(
            applied_commit("merge -C 0123abcd topic # x"),
            Some("0123abcd")
        );
        assert_eq!(applied_commit("s deadbeef"), Some("deadbeef"));
        assert_eq!(applied_commit("pick HEAD~1"), Some("HEAD~1"));
        // Labels, resets, a plain merge.
        for step in ["merge topic", "reset onto", "label x", "break"] {
            assert_eq!(applied_commit(step), None, "{step}");
        }
        assert!(is_object_name("1a2b3c4") && is_object_name("DEADBEEF"));
        for name in ["HEAD~1", "--exec=x", "abc", "refs/heads/x"] {
            assert!(!is_object_name(name), "{name}");
        }
    }
}
