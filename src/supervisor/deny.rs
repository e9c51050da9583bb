//! Early denial: refusing, with a reason, what Landlock would refuse anyway.
//!
//! The supervisor only ever *denies* early; everything else continues to the
//! kernel, where Landlock decides (see [`crate::sandbox::refusal`]).

use super::decode::Operation;
use crate::sandbox::refusal::{Denial, Right, Rules};
use std::path::{Path, PathBuf};

impl Rules {
    /// The early denial for `operation`, if Landlock will refuse it.
    pub fn early_denial(&self, operation: &Operation) -> Option<Denial> {
        let parent = |path: &Path| {
            path.parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("/"))
        };
        // A name that does not exist fails with ENOENT before Landlock looks
        // (a PATH search tries several): only existing files are judged.
        let exists = |path: &Path| std::fs::symlink_metadata(path).is_ok();
        let needs: Vec<(PathBuf, Right)> = match operation {
            Operation::Exec { path, .. } if !exists(path) => Vec::new(),
            Operation::Exec { path, .. } => vec![(path.clone(), Right::Execute)],
            Operation::Open { path, flags } => {
                let writes = flags & (libc::O_WRONLY | libc::O_RDWR | libc::O_TRUNC) != 0;
                let creates =
                    flags & libc::O_CREAT != 0 && std::fs::symlink_metadata(path).is_err();
                if creates {
                    vec![(parent(path), Right::Write)]
                } else if writes {
                    vec![(path.clone(), Right::Write)]
                } else {
                    vec![(path.clone(), Right::Read)]
                }
            }
            Operation::Delete { path } if !exists(path) => Vec::new(),
            // Making what exists fails with EEXIST before Landlock looks
            // (`mkdir -p` relies on it).
            Operation::Mkdir { path } | Operation::Link { path, .. } if exists(path) => Vec::new(),
            Operation::Rename { from, .. } if !exists(from) => Vec::new(),
            Operation::Delete { path } | Operation::Mkdir { path } => {
                vec![(parent(path), Right::Write)]
            }
            Operation::Rename { from, to } => {
                vec![(parent(from), Right::Write), (parent(to), Right::Write)]
            }
            Operation::Link { path, .. } => vec![(parent(path), Right::Write)],
            Operation::Truncate { path } if exists(path) => vec![(path.clone(), Right::Write)],
            Operation::Truncate { .. } => Vec::new(),
            // Landlock does not restrict changing attributes.
            Operation::Attributes { .. } => Vec::new(),
        };
        needs
            .into_iter()
            .find_map(|(path, right)| self.check(&path, right).and_then(Result::err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Access, PathKind};

    #[test]
    fn denials_name_the_rule() {
        let repo = tempfile::tempdir().unwrap();
        let repo_path = std::fs::canonicalize(repo.path()).unwrap();
        std::fs::write(repo_path.join("tool"), "#!/bin/sh\n").unwrap();
        let rules = Rules::new(vec![
            (repo_path.clone(), Access::READ_WRITE, PathKind::Dir),
            ("/usr/lib".into(), Access::READ, PathKind::Dir),
        ]);
        let exec = Operation::Exec {
            path: repo_path.join("tool"),
            argv: vec![],
            argv_truncated: false,
            cwd: repo_path.clone(),
        };
        let denial = rules.early_denial(&exec).unwrap();
        assert_eq!(denial.needs, "execute");
        assert!(denial.rule.contains("grants rw-"), "{}", denial.rule);
        let read = Operation::Open {
            path: repo_path.join("tool"),
            flags: libc::O_RDONLY,
        };
        assert_eq!(rules.early_denial(&read), None);
        let write_lib = Operation::Open {
            path: "/usr/lib/os-release".into(),
            flags: libc::O_WRONLY,
        };
        assert!(rules.early_denial(&write_lib).is_some());
        let proc_read = Operation::Open {
            path: "/proc/self/status".into(),
            flags: libc::O_RDONLY,
        };
        assert_eq!(
            rules.early_denial(&proc_read),
            None,
            "the session's /proc is its own"
        );
        let create_outside = Operation::Open {
            path: "/etc/new-file".into(),
            flags: libc::O_CREAT | libc::O_WRONLY,
        };
        let denial = rules.early_denial(&create_outside).unwrap();
        assert_eq!(denial.path, std::path::PathBuf::from("/etc"));
        assert!(
            denial.rule.contains("no filesystem rule"),
            "{}",
            denial.rule
        );
    }
}
