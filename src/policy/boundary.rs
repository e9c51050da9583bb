//! The session boundary as judgement: may the session make this change?
//!
//! Landlock decides which trees a session may write. Inside them, the
//! [`Protection`] of a policy keeps what unconfined programs later read as
//! configuration or run: protected paths (read-only, and none may be
//! created), trees in which only listed entries may change (`.git`, where
//! git's ordinary work writes objects, refs and the index, but nothing else),
//! and reserved names that no entry of the repository may take (a nested
//! `.git` is a repository git reads configuration from).
//!
//! The supervisor asks [`Protection::judge`] about every change before it
//! performs it, with the path resolved as the kernel acts on it. Nothing here
//! touches the filesystem.

use super::{ProtectedPath, Protection};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

/// A change the session asks for, on the absolute path it acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// A new entry (file, directory, link, node) at this path.
    Create(&'a Path),
    /// Opening this existing file for writing, or truncating it.
    Write(&'a Path),
    /// Removing this entry.
    Remove(&'a Path),
    /// Renaming this entry away.
    RenameFrom(&'a Path),
    /// Renaming something to this path (replacing what is there).
    RenameTo(&'a Path),
    /// A hard link to this existing entry.
    LinkFrom(&'a Path),
    /// Changing this entry's mode, owner, times or extended attributes.
    Metadata(&'a Path),
}

impl Change<'_> {
    /// The path the change acts on.
    pub fn path(&self) -> &Path {
        match *self {
            Change::Create(path)
            | Change::Write(path)
            | Change::Remove(path)
            | Change::RenameFrom(path)
            | Change::RenameTo(path)
            | Change::LinkFrom(path)
            | Change::Metadata(path) => path,
        }
    }

    /// What the change does, in a word, for refusals.
    pub fn verb(&self) -> &'static str {
        match self {
            Change::Create(_) => "create",
            Change::Write(_) => "write",
            Change::Remove(_) => "remove",
            Change::RenameFrom(_) | Change::RenameTo(_) => "rename",
            Change::LinkFrom(_) => "link",
            Change::Metadata(_) => "change the attributes of",
        }
    }

    /// Whether changing a directory above a protected path this way changes
    /// what the protected path resolves to.
    fn moves_structure(&self) -> bool {
        matches!(
            self,
            Change::Remove(_) | Change::RenameFrom(_) | Change::RenameTo(_)
        )
    }
}

/// Why the boundary refuses a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundaryDenial {
    /// The protected path, or the reserved name, that decides.
    pub protected: String,
    /// The rule, in words.
    pub rule: String,
}

impl Protection {
    /// Whether the session may make `change`; the denial names the rule.
    pub fn judge(&self, change: Change<'_>) -> Result<(), BoundaryDenial> {
        self.judge_among(change, false)
    }

    /// [`Protection::judge`], looking at every protected path when
    /// `scan_all` is set, else at those the index names.
    fn judge_among(&self, change: Change<'_>, scan_all: bool) -> Result<(), BoundaryDenial> {
        let path = change.path();
        // Every protected path has its say; an entry a protected tree allows
        // is exempt from the reserved names (git's own HEAD lives in `.git`).
        let mut allowed_in_tree = false;
        let plain = is_plain(path);
        // Only the protected paths at or above `path` have a say, and for a
        // change that moves a directory those beneath it too: the index
        // finds them without a scan of them all.
        let candidates: Vec<usize> = match scan_all || !plain {
            true => (0..self.paths.len()).collect(),
            false => self
                .index
                .related(&self.paths, path, change.moves_structure()),
        };
        for protected in candidates.into_iter().map(|i| &self.paths[i]) {
            let plain = plain && is_plain(&protected.path);
            if let Some(inside) = beneath(path, &protected.path, plain) {
                if inside.as_os_str().is_empty() {
                    return Err(protected.refuse(change, "is protected"));
                }
                if !protected.allows(inside) {
                    return Err(protected.refuse(change, "lies in a protected tree"));
                }
                allowed_in_tree = true;
            } else if change.moves_structure() && beneath(&protected.path, path, plain).is_some() {
                return Err(BoundaryDenial {
                    protected: protected.path.display().to_string(),
                    rule: format!(
                        "{} would {} a directory above protected path {}",
                        path.display(),
                        change.verb(),
                        protected.path.display()
                    ),
                });
            }
        }
        if allowed_in_tree {
            return Ok(());
        }
        for reserved in &self.reserved_names {
            let Ok(inside) = path.strip_prefix(&reserved.within) else {
                continue;
            };
            let taken = inside.components().find_map(|component| match component {
                Component::Normal(name) => reserved.names.iter().find(|r| name == r.as_str()),
                _ => None,
            });
            if let Some(name) = taken {
                return Err(BoundaryDenial {
                    protected: name.clone(),
                    rule: format!(
                        "{} would {} `{name}`, a name no entry of {} may take (git reads such an entry as a repository)",
                        path.display(),
                        change.verb(),
                        reserved.within.display()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// `path` relative to `dir` when it lies beneath it (or is it): `Path`'s
/// component-wise `strip_prefix`, compared as bytes when both are plain (a
/// change is judged against every protected path, so this is the hot loop).
fn beneath<'a>(path: &'a Path, dir: &Path, both_plain: bool) -> Option<&'a Path> {
    if !both_plain {
        return path.strip_prefix(dir).ok();
    }
    let (bytes, prefix) = (path.as_os_str().as_bytes(), dir.as_os_str().as_bytes());
    let rest = bytes.strip_prefix(prefix)?;
    match rest {
        [] => Some(Path::new("")),
        [b'/', rest @ ..] => Some(Path::new(std::ffi::OsStr::from_bytes(rest))),
        _ if prefix == b"/" => Some(Path::new(std::ffi::OsStr::from_bytes(rest))),
        _ => None,
    }
}

/// Whether `path` is absolute and spelled one way only (no empty, `.` or
/// `..` component, no trailing slash), so that byte and component
/// comparisons agree.
pub(super) fn is_plain(path: &Path) -> bool {
    let bytes = path.as_os_str().as_bytes();
    bytes == b"/"
        || (bytes.first() == Some(&b'/')
            && bytes[1..]
                .split(|&b| b == b'/')
                .all(|part| !part.is_empty() && part != b"." && part != b".."))
}

impl ProtectedPath {
    /// Whether the entry `inside` (relative to this path) may change.
    pub fn allows(&self, inside: &Path) -> bool {
        self.allow.iter().any(|pattern| matches(pattern, inside))
    }

    /// Whether a pattern could let the entry `name` directly beneath this
    /// path, or something beneath that entry, change.
    pub fn may_change_beneath(&self, name: &std::ffi::OsStr) -> bool {
        self.allow.iter().any(|pattern| {
            let first = pattern.split('/').next().unwrap_or_default();
            matches(first, Path::new(name))
        })
    }

    fn refuse(&self, change: Change<'_>, why: &str) -> BoundaryDenial {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{ProtectionMechanism, ReservedNames};
    use std::path::PathBuf;

    fn protection() -> Protection {
        Protection {
            index: Default::default(),
            mechanism: ProtectionMechanism::SupervisorAndMounts,
            paths: vec![
                ProtectedPath {
                    path: "/r/.git".into(),
                    exists: true,
                    allow: vec![
                        "objects/**".into(),
                        "index".into(),
                        "*.lock".into(),
                        "HEAD".into(),
                    ],
                    because: "git".into(),
                },
                ProtectedPath {
                    path: "/r/.github/workflows".into(),
                    exists: true,
                    allow: vec![],
                    because: "CI".into(),
                },
            ],
            reserved_names: vec![ReservedNames {
                within: "/r".into(),
                names: vec![".git".into(), "HEAD".into()],
            }],
        }
    }

    fn ok(change: Change<'_>) -> bool {
        protection().judge(change).is_ok()
    }

    #[test]
    fn byte_and_component_comparisons_agree() {
        let cases = [
            ("/r/.git/config", "/r/.git"),
            ("/r/.git", "/r/.git"),
            ("/r/.gitx", "/r/.git"),
            ("/r/.git//config", "/r/.git"),
            ("/r/./.git/config", "/r/.git"),
            ("/r/.git/", "/r/.git"),
            ("/r", "/"),
            ("/", "/"),
            ("/r/a", "/r/a/b"),
        ];
        for (path, dir) in cases {
            let (path, dir) = (Path::new(path), Path::new(dir));
            let both_plain = is_plain(path) && is_plain(dir);
            assert_eq!(
                beneath(path, dir, both_plain),
                path.strip_prefix(dir).ok(),
                "{path:?} {dir:?}"
            );
        }
    }

    #[test]
    fn patterns() {
        assert!(matches("objects/**", Path::new("objects")));
        assert!(matches("objects/**", Path::new("objects/ab/cd")));
        assert!(!matches("objects/**", Path::new("objectsx")));
        assert!(matches("*.lock", Path::new("config.lock")));
        assert!(!matches("*.lock", Path::new("hooks/x.lock")));
        assert!(matches("index.stash.*", Path::new("index.stash.123")));
        assert!(matches(
            "next-index-*.lock",
            Path::new("next-index-42.lock")
        ));
        assert!(!matches("next-index-*.lock", Path::new("next-index-42")));
        assert!(matches("a*b*c", Path::new("axxbyyc")));
        assert!(!matches("a*b*c", Path::new("axxbyy")));
        assert!(
            !matches("**", Path::new("anything")),
            "a bare ** allows nothing"
        );
        assert!(matches("t??????", Path::new("tIUfuxh")));
        assert!(!matches("t??????", Path::new("tIUfux")));
        assert!(!matches("t??????", Path::new("tIUfuxhh")));
        assert!(matches("a?c*", Path::new("abcdef")));
    }

    #[test]
    fn protected_trees_allow_only_their_entries() {
        let git = PathBuf::from("/r/.git");
        assert!(ok(Change::Create(&git.join("objects/ab/cdef"))));
        assert!(ok(Change::Create(&git.join("index.lock"))));
        assert!(ok(Change::RenameFrom(&git.join("index.lock"))));
        assert!(ok(Change::RenameTo(&git.join("index"))));
        assert!(ok(Change::Write(&git.join("HEAD"))));
        assert!(
            !ok(Change::RenameTo(&git.join("config"))),
            "config.lock → config"
        );
        assert!(!ok(Change::Create(&git.join("commondir"))));
        assert!(!ok(Change::Create(&git.join("hooks/pre-commit"))));
        assert!(!ok(Change::Write(&git.join("config"))));
        assert!(!ok(Change::Metadata(&git.join("config"))));
        assert!(!ok(Change::LinkFrom(&git.join("config"))));
        assert!(!ok(Change::Remove(&git)), "the tree itself");
        assert!(!ok(Change::Create(&git)), "the tree itself, when missing");
    }

    #[test]
    fn directories_above_protected_paths_cannot_move() {
        for dir in ["/r", "/r/.github"] {
            let dir = Path::new(dir);
            assert!(!ok(Change::RenameFrom(dir)), "{}", dir.display());
            assert!(!ok(Change::RenameTo(dir)), "{}", dir.display());
            assert!(!ok(Change::Remove(dir)), "{}", dir.display());
            assert!(ok(Change::Metadata(dir)), "{}", dir.display());
        }
        assert!(ok(Change::Create(Path::new("/r/.github/CODEOWNERS"))));
        assert!(ok(Change::RenameFrom(Path::new("/r/src"))));
        assert!(!ok(Change::RenameTo(Path::new("/r/.github/workflows"))));
        assert!(!ok(Change::Create(Path::new("/r/.github/workflows/x.yml"))));
    }

    #[test]
    fn reserved_names_cannot_be_taken_anywhere_in_the_repository() {
        assert!(!ok(Change::Create(Path::new("/r/sub/.git"))));
        assert!(!ok(Change::Create(Path::new("/r/sub/.git/config"))));
        assert!(!ok(Change::Write(Path::new("/r/vendor/x/.git/config"))));
        assert!(!ok(Change::RenameTo(Path::new("/r/bare/HEAD"))));
        assert!(!ok(Change::Remove(Path::new("/r/sub/.git"))));
        assert!(ok(Change::Create(Path::new("/r/sub/.gitignore"))));
        assert!(ok(Change::Create(Path::new("/r/HEADER.md"))));
        assert!(ok(Change::Create(Path::new("/elsewhere/.git"))));
        let denial = protection()
            .judge(Change::Create(Path::new("/r/x/.git")))
            .unwrap_err();
        assert!(denial.rule.contains("`.git`"), "{}", denial.rule);
    }

    #[test]
    fn the_index_judges_as_a_scan_of_every_protected_path_would() {
        let protection = protection();
        let mut paths = vec!["/", "/r", "/r/.git", "/r/x", "/other", "/r/.github"];
        paths.extend([
            "/r/.git/index",
            "/r/.git/config",
            "/r/.git/objects/ab/cd",
            "/r/.gitx",
        ]);
        paths.extend([
            "/r/.github/workflows/ci.yml",
            "/r/a/.git",
            "/r/a/HEAD",
            "/r/.git/HEAD",
        ]);
        paths.extend([
            "/r//.git/config",
            "/r/./.git/hooks",
            "/r/.git/../.git/config",
        ]);
        for path in paths {
            let path = Path::new(path);
            for change in [
                Change::Create(path),
                Change::Write(path),
                Change::Remove(path),
                Change::RenameFrom(path),
                Change::RenameTo(path),
                Change::LinkFrom(path),
                Change::Metadata(path),
            ] {
                assert_eq!(
                    protection.judge(change),
                    protection.judge_among(change, true),
                    "{change:?}"
                );
            }
        }
    }
}
