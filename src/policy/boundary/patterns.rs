//! The patterns of a protected tree: which entries beneath it may change,
//! and by whom, and how a refusal in one reads.

use super::{BoundaryDenial, Change};
use crate::policy::ProtectedPath;
use std::path::Path;

/// How a pattern of a protected tree lets an entry change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowance {
    /// Whoever made it.
    Any,
    /// Only an entry this session made (`own:` patterns): the session may
    /// add entries, but not change those another process, or an earlier or
    /// concurrent session, made (a client's shell snapshots, which the
    /// client that wrote them sources before every command).
    OwnOnly,
}

/// The prefix of a pattern whose entries only their maker may change.
pub const OWN_ONLY: &str = "own:";

impl ProtectedPath {
    /// Whether the entry `inside` (relative to this path) may change, at
    /// least when it is the session's own.
    pub fn allows(&self, inside: &Path) -> bool {
        self.allowance(inside).is_some()
    }

    /// How the entry `inside` (relative to this path) may change; `None`:
    /// not at all. A pattern that lets any entry change wins over an `own:`
    /// one.
    pub fn allowance(&self, inside: &Path) -> Option<Allowance> {
        let mut found = None;
        for pattern in &self.allow {
            let (allowance, pattern) = match pattern.strip_prefix(OWN_ONLY) {
                Some(pattern) => (Allowance::OwnOnly, pattern),
                None => (Allowance::Any, pattern.as_str()),
            };
            if matches(pattern, inside) {
                if allowance == Allowance::Any {
                    return Some(Allowance::Any);
                }
                found = Some(allowance);
            }
        }
        found
    }

    /// Whether a pattern lets the entry `inside` and everything beneath it
    /// change, whoever made them (`objects/**` for `objects/ab`).
    pub fn allows_all_beneath(&self, inside: &Path) -> bool {
        self.allow
            .iter()
            .any(|pattern| pattern.ends_with("/**") && matches(pattern, inside))
    }

    /// Whether a new entry at `inside` must be made in a directory the
    /// session made: where an `own:` pattern (`own:session-env/**`) covers
    /// its directory beneath the pattern's root, as another session's
    /// directory of hook files, all of which its client reads. Directly
    /// beneath the root (`session-env/ID`) anyone adds.
    pub fn directory_must_be_own(&self, inside: &Path) -> bool {
        let Some(directory) = inside.parent() else {
            return false;
        };
        self.allow.iter().any(|pattern| {
            pattern
                .strip_prefix(OWN_ONLY)
                .and_then(|pattern| pattern.strip_suffix("/**"))
                .is_some_and(|root| {
                    directory != Path::new(root) && matches(&format!("{root}/**"), directory)
                })
        })
    }

    /// Whether a pattern could let the entry `name` directly beneath this
    /// path, or something beneath that entry, change.
    pub fn may_change_beneath(&self, name: &std::ffi::OsStr) -> bool {
        self.allow.iter().any(|pattern| {
            let pattern = pattern.strip_prefix(OWN_ONLY).unwrap_or(pattern);
            let first = pattern.split('/').next().unwrap_or_default();
            matches(first, Path::new(name))
        })
    }

    /// The refusal of `change` beneath this tree, for `why`.
    pub(super) fn refuse_in_tree(&self, change: Change<'_>, why: &str) -> BoundaryDenial {
        BoundaryDenial {
            protected: self.path.display().to_string(),
            rule: format!(
                "cannot {} {}: protected tree {} {why} ({})",
                change.verb(),
                change.path().display(),
                self.path.display(),
                self.because
            ),
        }
    }

    pub(super) fn refuse(&self, change: Change<'_>, why: &str) -> BoundaryDenial {
        let path = change.path();
        let rule = match (path == self.path, self.allow.is_empty()) {
            (true, _) => format!(
                "cannot {} {}: it {why} ({})",
                change.verb(),
                path.display(),
                self.because
            ),
            (false, true) => format!(
                "cannot {} {}: it {why}, {} ({})",
                change.verb(),
                path.display(),
                self.path.display(),
                self.because
            ),
            (false, false) => format!(
                "cannot {} {}: in protected tree {} only {} may change ({})",
                change.verb(),
                path.display(),
                self.path.display(),
                self.allow.join(", "),
                self.because
            ),
        };
        BoundaryDenial {
            protected: self.path.display().to_string(),
            rule,
        }
    }
}

/// Whether the relative path `inside` matches `pattern`: components compared
/// one by one, `*` within a component matching any run of characters, and a
/// last component `**` matching the entry before it and everything beneath.
pub fn matches(pattern: &str, inside: &Path) -> bool {
    let mut names = inside.components().map(|c| c.as_os_str().to_string_lossy());
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for (index, part) in parts.iter().enumerate() {
        if *part == "**" && index == parts.len() - 1 {
            return index > 0;
        }
        match names.next() {
            Some(name) if glob(part, &name) => {}
            _ => return false,
        }
    }
    names.next().is_none()
}

/// `*` in `pattern` matches any run of characters of `name` (one
/// component), `?` any one character.
fn glob(pattern: &str, name: &str) -> bool {
    let (pattern, name): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), name.chars().collect());
    // The classic two-pointer match, backtracking to the last `*`.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}
