//! What the sandbox will refuse, told before the kernel does: the policy's
//! filesystem rules as Landlock applies them, with the rule that decides.
//!
//! Two callers: the supervisor's early denial (a trapped system call refused
//! with a reason) and the Claude Code hook adapter (a tool call refused with
//! a reason the model reads). Both only ever refuse early; when unsure (paths
//! under `/proc` and `/dev`, which resolve differently inside the session, or
//! a path that cannot be resolved) they let the kernel decide.

use crate::policy::{Access, PathKind, Policy};
use std::path::{Path, PathBuf};

/// The policy's filesystem rules, as Landlock applies them: the rights on a
/// path are the union of the rules for it and for every directory above it.
#[derive(Debug, Clone)]
pub struct Rules {
    rules: Vec<(PathBuf, Access, PathKind)>,
    /// The same rules by path, for the per-call lookup: a path's rights are
    /// found by looking up it and each of its ancestors.
    by_path: std::collections::HashMap<PathBuf, (Access, PathKind)>,
}

/// Why the sandbox refuses a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    /// The path that lacks the right.
    pub path: PathBuf,
    /// The right it needs: `read`, `write` or `execute`.
    pub needs: &'static str,
    /// Which rule decided, in words.
    pub rule: String,
}

/// A right a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// Open for reading, list.
    Read,
    /// Create, modify, remove.
    Write,
    /// Execute.
    Execute,
}

impl Right {
    /// `read`, `write` or `execute`.
    pub fn name(self) -> &'static str {
        match self {
            Right::Read => "read",
            Right::Write => "write",
            Right::Execute => "execute",
        }
    }

    fn granted_by(self, access: Access) -> bool {
        match self {
            Right::Read => access.read,
            Right::Write => access.write,
            Right::Execute => access.exec,
        }
    }
}

impl Rules {
    /// The rules of a policy.
    pub fn from_policy(policy: &Policy) -> Rules {
        Rules::new(
            policy
                .filesystem
                .iter()
                .map(|(path, rule)| (path.clone(), rule.access, rule.kind))
                .collect(),
        )
    }

    /// The rules a hook adapter inside the session was given.
    pub fn from_session_rules(rules: &crate::policy::SessionRules) -> Rules {
        Rules::new(rules.filesystem.clone())
    }

    /// Why Landlock will refuse `right` on `path`, a path outside the session
    /// whose existing part is resolved here; `None` when it allows it or when
    /// that cannot be told (`/proc` and `/dev` resolve differently inside).
    pub fn denial(&self, path: &Path, right: Right) -> Option<Denial> {
        self.judge(path, right, |path| Some(resolve_existing_part(path)))?
            .err()
    }

    pub(crate) fn new(rules: Vec<(PathBuf, Access, PathKind)>) -> Rules {
        let by_path = rules
            .iter()
            .map(|(path, access, kind)| (path.clone(), (*access, *kind)))
            .collect();
        Rules { rules, by_path }
    }

    /// The rights on `path`.
    pub fn access_at(&self, path: &Path) -> Access {
        let mut access = Access::default();
        for (depth, ancestor) in path.ancestors().enumerate() {
            match self.by_path.get(ancestor) {
                Some((granted, PathKind::Dir)) => access = access.union(*granted),
                Some((granted, PathKind::File)) if depth == 0 => access = access.union(*granted),
                _ => {}
            }
        }
        access
    }

    /// The deepest rule above `path`, in words, for a denial message.
    fn explain(&self, path: &Path, right: Right) -> String {
        let nearest = self
            .rules
            .iter()
            .filter(|(rule, _, kind)| *kind == PathKind::Dir && path.starts_with(rule))
            .max_by_key(|(rule, _, _)| rule.components().count());
        match nearest {
            Some((rule, access, _)) => format!(
                "the rule for {} grants {}, not {}",
                rule.display(),
                access.letters(),
                right.name()
            ),
            None => "no filesystem rule covers this path".to_string(),
        }
    }

    /// Whether `path` has `right`; `None` when the supervisor cannot tell.
    /// Only the name and its parent are resolved: a deeper name that does
    /// not exist fails with `ENOENT` before Landlock looks, and is left to
    /// the kernel.
    pub(crate) fn check(&self, path: &Path, right: Right) -> Option<Result<(), Denial>> {
        self.judge(path, right, |path| {
            std::fs::canonicalize(path).ok().or_else(|| {
                let parent = std::fs::canonicalize(path.parent()?).ok()?;
                Some(parent.join(path.file_name()?))
            })
        })
    }

    /// The name as written has `right`, or what `resolve` makes of it does
    /// (a symlink may lead somewhere covered); `None` when that cannot be told.
    fn judge(
        &self,
        path: &Path,
        right: Right,
        resolve: impl FnOnce(&Path) -> Option<PathBuf>,
    ) -> Option<Result<(), Denial>> {
        if right.granted_by(self.access_at(path)) {
            return Some(Ok(()));
        }
        if is_session_specific(path) {
            return None;
        }
        let real = resolve(path)?;
        if is_session_specific(&real) {
            return None;
        }
        if right.granted_by(self.access_at(&real)) {
            return Some(Ok(()));
        }
        Some(Err(Denial {
            rule: self.explain(&real, right),
            needs: right.name(),
            path: real,
        }))
    }
}

/// `path` with its deepest existing ancestor resolved (symlinks followed),
/// the rest appended as written.
fn resolve_existing_part(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    for ancestor in path.ancestors() {
        if let Ok(real) = std::fs::canonicalize(ancestor) {
            return rest.iter().rev().fold(real, |path, name| path.join(name));
        }
        match ancestor.file_name() {
            Some(name) => rest.push(name.to_os_string()),
            None => break,
        }
    }
    path.to_path_buf()
}

/// Paths that mean something else inside the session (its own `/proc`, and
/// `/dev/fd`, `/dev/stdin`… which lead there).
pub(crate) fn is_session_specific(path: &Path) -> bool {
    path.starts_with("/proc") || path.starts_with("/dev")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::new(vec![
            ("/repo".into(), Access::READ_WRITE, PathKind::Dir),
            ("/usr/lib".into(), Access::READ, PathKind::Dir),
            ("/usr/bin/git".into(), Access::READ_EXEC, PathKind::File),
        ])
    }

    #[test]
    fn union_over_ancestors_and_files() {
        let rules = rules();
        assert_eq!(rules.access_at(Path::new("/repo/a/b")), Access::READ_WRITE);
        assert_eq!(
            rules.access_at(Path::new("/usr/bin/git")),
            Access::READ_EXEC
        );
        assert_eq!(
            rules.access_at(Path::new("/usr/bin/curl")),
            Access::default()
        );
        assert_eq!(rules.access_at(Path::new("/repository")), Access::default());
    }
}
