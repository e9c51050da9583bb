//! The other work trees of the repository: its linked worktrees (`git
//! worktree add`; Claude Code keeps them in `.claude/worktrees/`) and its
//! submodules, wherever they are.
//!
//! git and the tools it runs read a work tree's top-level files as they
//! read the repository's: a relative `core.hooksPath` (husky's `.husky/_`)
//! names hooks at the top of the work tree a commit is made in, and a hook
//! manager reads its configuration there. One that lies in a writable tree
//! gets the protection the repository has at its top, so that a session
//! cannot plant what runs at the user's next commit there. The session
//! cannot make another one (a `.git` cannot be created in the repository,
//! and git's `worktrees/` and `modules/` are not the session's to change),
//! so the list made when the policy is compiled holds for the session.
//!
//! A clone of the user's inside the repository is in no such list: the
//! same relative paths are judged at every directory beneath the
//! repository that holds a `.git` ([`at_work_tree_tops`], asked by the
//! supervisor of the directory a change acts in).

use super::{Found, ProtectionInput, git_configuration, lexically_normal};
use crate::policy::error::CompileError;
use crate::policy::git_dirs::{common_dir, git_dir_of};
use crate::policy::gitconfig;
use crate::policy::{EverywherePath, ProtectedAtTops};
use std::path::PathBuf;

/// How deep submodules of submodules are followed.
const MAX_SUBMODULE_DEPTH: usize = 8;
/// How many work trees are looked at, at most.
const MAX_WORK_TREES: usize = 512;

/// A work tree and its git directory.
pub(super) struct WorkTree {
    /// Its top-level directory.
    pub root: PathBuf,
    /// Its git directory (`.git`, or what its `.git` file names).
    pub git_dir: PathBuf,
}

/// Every work tree of the repository but the repository itself: the main
/// work tree and linked worktrees of its common git directory, and the
/// submodules of each of them (and theirs).
pub(super) fn other_work_trees(input: &ProtectionInput<'_>) -> Vec<WorkTree> {
    let Some(git_dir) = git_dir_of(input.repo, input.host) else {
        return Vec::new();
    };
    let common = common_dir(&git_dir, input.host);
    let mut trees = vec![WorkTree {
        root: input.repo.to_path_buf(),
        git_dir,
    }];
    // The main work tree, when the session runs in a linked one.
    if let Some(main) = common
        .parent()
        .filter(|_| common.file_name().is_some_and(|name| name == ".git"))
    {
        trees.push(WorkTree {
            root: main.to_path_buf(),
            git_dir: common.clone(),
        });
    }
    let worktrees = common.join("worktrees");
    for id in input.host.read_dir(&worktrees).unwrap_or_default() {
        let admin = worktrees.join(&id);
        // `gitdir` names the worktree's `.git` file, absolute or relative to
        // the administrative directory (`worktree.useRelativePaths`).
        let Some(text) = input.read(&admin.join("gitdir")) else {
            continue;
        };
        let dot_git = lexically_normal(&admin.join(text.trim_end_matches(['\n', '\r'])));
        if let Some(root) = dot_git
            .parent()
            .filter(|_| dot_git.file_name().is_some_and(|name| name == ".git"))
        {
            trees.push(WorkTree {
                root: root.to_path_buf(),
                git_dir: admin,
            });
        }
    }
    let mut next = 0;
    let mut depth_of = vec![0; trees.len()];
    while next < trees.len() && trees.len() < MAX_WORK_TREES {
        let (root, depth) = (trees[next].root.clone(), depth_of[next]);
        next += 1;
        if depth >= MAX_SUBMODULE_DEPTH {
            continue;
        }
        let Some(text) = input.read(&root.join(".gitmodules")) else {
            continue;
        };
        for path in gitconfig::parse(&text).submodule_paths {
            let sub = lexically_normal(&root.join(path));
            if !sub.starts_with(&root) || sub == root {
                continue;
            }
            if let Some(git_dir) = git_dir_of(&sub, input.host) {
                trees.push(WorkTree { root: sub, git_dir });
                depth_of.push(depth + 1);
            }
        }
    }
    let repo = input
        .host
        .canonicalize(input.repo)
        .unwrap_or_else(|_| input.repo.to_path_buf());
    let mut seen = Vec::new();
    trees.retain(|tree| {
        let real = input
            .host
            .canonicalize(&tree.root)
            .unwrap_or_else(|_| tree.root.clone());
        let new = real != repo && !seen.contains(&real);
        seen.push(real);
        new
    });
    trees
}

/// What the repository has protected at its top, at the top of another of
/// its work trees too (where it lies in a writable tree): the profile's
/// relative `protected` entries, and what that work tree's git
/// configuration names.
pub(super) fn protect_work_tree(
    input: &ProtectionInput<'_>,
    found: &mut Found,
    tree: &WorkTree,
    relative_entries: &[(&str, PathBuf)],
) {
    for (entry, relative) in relative_entries {
        let because = format!(
            "filesystem.protected `{entry}`, in the work tree {}",
            tree.root.display()
        );
        found.add(input, tree.root.join(relative), Vec::new(), because);
    }
    git_configuration(input, found, &tree.root, Some(tree.git_dir.clone()));
}

/// The profile's `protected` entries that name a path relative to the top
/// of the repository's work tree, with that path. What lies in the
/// repository's git directory (`.git/refs/replace`) is not among them: it
/// is protected there once, every work tree shares it.
pub(super) fn relative_entries<'a>(
    input: &ProtectionInput<'a>,
) -> Result<Vec<(&'a str, PathBuf)>, CompileError> {
    let mut entries = Vec::new();
    for entry in &input.section.protected {
        if entry.starts_with("**/") {
            continue;
        }
        let path = input.path_of("filesystem.protected", entry)?;
        let relative = path
            .strip_prefix(input.repo)
            .ok()
            .filter(|relative| !relative.starts_with(".git") && !relative.as_os_str().is_empty());
        if let Some(relative) = relative {
            entries.push((entry.as_str(), relative.to_path_buf()));
        }
    }
    Ok(entries)
}

/// The repository's relative `protected` entries, protected at the top of
/// every work tree nested in it (each directory holding a `.git`).
pub(super) fn at_work_tree_tops(
    input: &ProtectionInput<'_>,
    relative_entries: &[(&str, PathBuf)],
) -> ProtectedAtTops {
    let paths = relative_entries
        .iter()
        .map(|(entry, relative)| EverywherePath {
            components: relative
                .iter()
                .map(|name| name.to_string_lossy().into_owned())
                .collect(),
            because: format!("filesystem.protected `{entry}`"),
        })
        .collect();
    ProtectedAtTops::new(input.repo.to_path_buf(), paths)
}
