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

use super::{ProtectionInput, lexically_normal};
use crate::policy::git_dirs::{common_dir, git_dir_of};
use crate::policy::gitconfig;
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
