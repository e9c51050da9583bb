//! Early denial: refusing, with a reason, what Landlock would refuse anyway.
//!
//! The supervisor only ever *denies* early; everything else continues to the
//! kernel, where Landlock decides (see [`crate::policy::refusal`]).

use super::decode::Operation;
use crate::policy::refusal::{Denial, Right, Rules};
use std::path::Path;

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

impl Rules {
    /// The early denial for `operation`, if Landlock will refuse it.
    pub fn early_denial(&self, operation: &Operation) -> Option<Denial> {
        // A name that does not exist fails with ENOENT before Landlock looks
        // (a PATH search tries several, git probes config files): only
        // existing files are judged, the rest goes on to the kernel, which
        // says ENOENT (or, should one appear meanwhile, decides).
        // (Existence is asked only of what the rules refuse: a stat for
        // every open would cost more than the judgement.)
        let (path, right, created) = match operation {
            Operation::Exec { path, .. } => (path, Right::Execute, false),
            Operation::Open { path, flags } => (path, Right::Read, flags & libc::O_CREAT != 0),
        };
        let denial = self.check(path, right).and_then(Result::err)?;
        (created || exists(path)).then_some(denial)
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
            exact: true,
            via: None,
        };
        let denial = rules.early_denial(&exec).unwrap();
        assert_eq!(denial.needs, "execute");
        assert!(denial.rule.contains("grants rw-"), "{}", denial.rule);
        let read = Operation::Open {
            path: repo_path.join("tool"),
            flags: libc::O_RDONLY,
        };
        assert_eq!(rules.early_denial(&read), None);
        let proc_read = Operation::Open {
            path: "/proc/self/status".into(),
            flags: libc::O_RDONLY,
        };
        assert_eq!(
            rules.early_denial(&proc_read),
            None,
            "the session's /proc is its own"
        );
        let read_outside = Operation::Open {
            path: "/etc/shadow".into(),
            flags: libc::O_RDONLY,
        };
        let denial = rules.early_denial(&read_outside).unwrap();
        assert_eq!(denial.path, std::path::PathBuf::from("/etc/shadow"));
        assert!(
            denial.rule.contains("no filesystem rule"),
            "{}",
            denial.rule
        );
        let missing_outside = Operation::Open {
            path: "/etc/no-such-file-here".into(),
            flags: libc::O_RDONLY,
        };
        assert_eq!(
            rules.early_denial(&missing_outside),
            None,
            "the kernel says ENOENT, as without guard"
        );
    }
}
