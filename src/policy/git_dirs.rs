//! Where a work tree's git directories are: `.git`, or, where `.git` is a
//! file (a linked worktree, a submodule), the directories it leads to.
//!
//! A linked worktree has a git directory of its own (`worktrees/<id>` in the
//! main repository's: its `HEAD`, index, per-worktree refs and the state of
//! a rebase in it) and shares the rest with the main work tree: objects,
//! refs, `config`, `hooks`. Which names are shared is git's own list
//! (`common_list` in git's `path.c`). A profile's paths beneath `{repo}/.git`
//! name what lies in those directories, and what a profile grants on the
//! repository it grants on them, but for the main work tree's own state in
//! the common directory, which is not the session's.

use super::HostView;
use super::lexically_normal;
use std::path::{Path, PathBuf};

/// How much of a `.git` file or `commondir` is read.
const POINTER_BYTES: usize = 4096;

/// The git directories a `.git` file leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitFile {
    /// The `.git` file.
    pub dot_git: PathBuf,
    /// The work tree's own git directory.
    pub own: PathBuf,
    /// The directory it shares with other work trees (`commondir`; the own
    /// one for a submodule).
    pub common: PathBuf,
}

impl GitFile {
    /// The git directories of the work tree at `root`, when its `.git` is
    /// a file naming one.
    pub fn of(root: &Path, host: &dyn HostView) -> Option<GitFile> {
        let dot_git = root.join(".git");
        if host.is_dir(&dot_git) {
            return None;
        }
        let own = git_dir_of(root, host)?;
        let own = host.canonicalize(&own).ok()?;
        let common = common_dir(&own, host);
        let common = host.canonicalize(&common).unwrap_or(common);
        Some(GitFile {
            dot_git,
            own,
            common,
        })
    }

    /// The paths `path` names through the `.git` file: for the file itself
    /// or a path beneath it, the same path in the own directory and, where
    /// it is another, the common one.
    pub fn through(&self, path: &Path) -> Option<Vec<PathBuf>> {
        let rest = path.strip_prefix(&self.dot_git).ok()?;
        let join = |dir: &Path| match rest.as_os_str().is_empty() {
            true => dir.to_path_buf(),
            false => dir.join(rest),
        };
        let mut paths = vec![join(&self.own)];
        if self.common != self.own {
            paths.push(join(&self.common));
        }
        Some(paths)
    }

    /// Whether the own directory is another than the common one (a linked
    /// worktree, not a submodule).
    pub fn is_linked(&self) -> bool {
        self.common != self.own
    }
}

/// Whether a pattern of what may change in a git directory (`objects/**`,
/// `HEAD`, `*.lock`) names something git keeps in the common directory,
/// shared by every work tree (git's `common_list`); a pattern that begins
/// with a wildcard names something of either.
pub fn shared_by_work_trees(pattern: &str) -> Option<bool> {
    let mut names = pattern.split('/');
    let first = names.next().unwrap_or_default();
    if first.contains(['*', '?', '[']) {
        return None;
    }
    let second = names.next();
    Some(match (first, second) {
        ("info", Some("sparse-checkout")) | ("logs", Some("HEAD")) => false,
        ("refs", Some("bisect" | "worktree" | "rewritten")) => false,
        (
            "branches" | "common" | "hooks" | "info" | "logs" | "objects" | "refs" | "remotes"
            | "worktrees" | "rr-cache" | "svn" | "config" | "packed-refs" | "shallow" | "lfs",
            _,
        ) => true,
        _ => first.starts_with("gc.") || first.starts_with("shallow_"),
    })
}

/// The git directory of the work tree at `root`: `.git`, or what a `.git`
/// file names.
pub fn git_dir_of(root: &Path, host: &dyn HostView) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    if host.is_dir(&dot_git) {
        return Some(dot_git);
    }
    let text = read(host, &dot_git)?;
    let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    Some(lexically_normal(&root.join(target)))
}

/// The common git directory of the git directory `dir` (what its
/// `commondir` names, for a linked worktree), else `dir`.
pub fn common_dir(dir: &Path, host: &dyn HostView) -> PathBuf {
    read(host, &dir.join("commondir"))
        .map(|text| lexically_normal(&dir.join(text.trim())))
        .unwrap_or_else(|| dir.to_path_buf())
}

fn read(host: &dyn HostView, path: &Path) -> Option<String> {
    let bytes = host.read_head(path, POINTER_BYTES).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_work_trees_share_is_gits_own_list() {
        for shared in [
            "objects/**",
            "refs/**",
            "packed-refs",
            "lfs/**",
            "logs/**",
            "gc.pid",
        ] {
            assert_eq!(shared_by_work_trees(shared), Some(true), "{shared}");
        }
        for own in [
            "HEAD",
            "index",
            "rebase-merge/**",
            "MERGE_MSG",
            "logs/HEAD",
            "refs/bisect/x",
        ] {
            assert_eq!(shared_by_work_trees(own), Some(false), "{own}");
        }
        assert_eq!(shared_by_work_trees("*.lock"), None);
        assert_eq!(shared_by_work_trees("t??????"), None);
    }

    #[test]
    fn paths_beneath_the_git_file_lead_to_both_directories() {
        let file = GitFile {
            dot_git: "/wt/.git".into(),
            own: "/r/.git/worktrees/wt".into(),
            common: "/r/.git".into(),
        };
        assert_eq!(
            file.through(Path::new("/wt/.git/hooks")),
            Some(vec![
                PathBuf::from("/r/.git/worktrees/wt/hooks"),
                PathBuf::from("/r/.git/hooks")
            ])
        );
        assert_eq!(
            file.through(Path::new("/wt/.git")).unwrap()[1],
            PathBuf::from("/r/.git")
        );
        assert_eq!(file.through(Path::new("/wt/.github")), None);
        let submodule = GitFile {
            common: "/r/.git/modules/m".into(),
            own: "/r/.git/modules/m".into(),
            dot_git: "/r/m/.git".into(),
        };
        assert_eq!(submodule.through(Path::new("/r/m/.git")).unwrap().len(), 1);
    }
}
