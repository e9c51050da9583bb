//! Paths protected at the top of every work tree nested in the repository.
//!
//! A clone or worktree inside the repository (or inside a directory of
//! clones the session was started in) has its own top, where git and hook
//! managers read what the repository protects at its own: a relative
//! `core.hooksPath` (husky's `.husky/_`), `.pre-commit-config.yaml`, CI
//! files the user commits from there. A directory is such a top when it
//! holds a `.git`; the session can neither make nor remove one (`**/.git`),
//! so whether a directory is a top never changes during the session, and
//! the supervisor asks it of the directory the change acts in.

use super::{BoundaryDenial, Change, names_beneath, same_names};
use crate::policy::EverywherePath;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Relative paths protected at the top of every work tree beneath one tree
/// (the profile's relative `protected` entries, at each directory beneath
/// the repository that holds a `.git`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtectedAtTops {
    /// The tree (the repository).
    pub within: PathBuf,
    /// The paths, relative to a work tree's top (in the policy's JSON as
    /// the paths alone: each is a `protected` entry of the profile).
    #[serde(serialize_with = "relative_paths")]
    pub paths: Vec<EverywherePath>,
    /// The paths by their first name.
    #[serde(skip)]
    by_first_name: BTreeMap<String, Vec<usize>>,
}

impl ProtectedAtTops {
    /// `paths` protected at every work tree top beneath `within`.
    pub fn new(within: PathBuf, paths: Vec<EverywherePath>) -> ProtectedAtTops {
        let mut by_first_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (at, path) in paths.iter().enumerate() {
            if let Some(first) = path.components.first() {
                by_first_name.entry(first.clone()).or_default().push(at);
            }
        }
        ProtectedAtTops {
            within,
            paths,
            by_first_name,
        }
    }

    /// The refusal of `change` by a path protected at the top of a nested
    /// work tree, if any; `is_top` tells whether a directory above the
    /// change holds a `.git`.
    pub(super) fn judge(
        &self,
        change: Change<'_>,
        is_top: &dyn Fn(&Path) -> bool,
    ) -> Option<BoundaryDenial> {
        let path = change.path();
        let names = names_beneath(path, &self.within)?;
        let same = same_names;
        // The repository's own top (`top == 0`) has its protected paths.
        for top in 1..names.len() {
            let Some(candidates) = names[top].to_str().and_then(|n| self.by_first_name.get(n))
            else {
                continue;
            };
            let rest = &names[top..];
            for protected in candidates.iter().map(|&at| &self.paths[at]) {
                let length = protected.components.len();
                // The path is such a path or lies beneath one; or it ends
                // where one begins, and moving it makes or redirects one.
                let within = rest.len() >= length && same(&rest[..length], &protected.components);
                let above = change.moves_structure()
                    && rest.len() < length
                    && same(rest, &protected.components[..rest.len()]);
                if !(within || above) {
                    continue;
                }
                let dir: PathBuf = names[..top].iter().collect();
                let dir = self.within.join(dir);
                if !is_top(&dir) {
                    continue;
                }
                let what = if within { "" } else { "a directory above " };
                let name = protected.components.join("/");
                return Some(BoundaryDenial {
                    protected: dir.join(&name).display().to_string(),
                    rule: format!(
                        "{} would {} {what}`{name}` at the top of the work tree {}, \
                         protected there as at the repository's ({})",
                        path.display(),
                        change.verb(),
                        dir.display(),
                        protected.because
                    ),
                });
            }
        }
        None
    }
}

/// The paths as a profile writes them, relative (`.github/workflows`).
fn relative_paths<S: serde::Serializer>(
    paths: &[EverywherePath],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(paths.iter().map(|path| path.components.join("/")))
}
