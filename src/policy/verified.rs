//! Files the session may replace only with content guard has checked: a
//! rename onto one is made by the supervisor, which reads the new content,
//! checks it, and puts a copy of its own in place (so no descriptor the
//! session kept can change it afterwards). Written to directly, created,
//! linked or made a link, they are refused.
//!
//! `packed-refs` is one: git writes it as `packed-refs.lock` and renames
//! it, and an entry under `refs/replace/` in it would make every later git
//! command read one object's content for another's (a checkout then writes
//! a planted hook with a clean `git status`).

use super::{Protection, boundary::Change};
use serde::Serialize;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContentCheck {
    /// A `packed-refs` file without replace refs.
    NoReplaceRefs,
}

impl ContentCheck {
    /// Whether `content` passes; the error says why not.
    pub fn check(self, content: &[u8]) -> Result<(), String> {
        match self {
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
                Ok(())
            }
        }
    }
}

impl Change<'_> {
    /// Whether the change writes a file's content in place, or makes a
    /// name that would (a link, a new entry).
    fn writes_in_place(&self) -> bool {
        matches!(
            self,
            Change::Create(_) | Change::Write(_) | Change::LinkFrom(_) | Change::Symlink(_)
        )
    }
}

impl Protection {
    /// The verified file at `path`, if there is one.
    pub fn verification(&self, path: &Path) -> Option<&VerifiedFile> {
        self.verified.iter().find(|file| file.path == path)
    }

    /// The refusal of `change` to a verified file written in place.
    pub(super) fn verified_refusal(&self, change: Change<'_>) -> Option<String> {
        let file = self.verification(change.path())?;
        change.writes_in_place().then(|| {
            format!(
                "cannot {} {}: it changes only by a rename guard checks ({})",
                change.verb(),
                file.path.display(),
                file.because
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_refs_without_replace_refs() {
        let check = ContentCheck::NoReplaceRefs;
        let clean = b"# pack-refs with: peeled fully-peeled sorted \n\
                      1111111111111111111111111111111111111111 refs/heads/main\n\
                      ^2222222222222222222222222222222222222222\n";
        assert!(check.check(clean).is_ok());
        let planted = b"3333333333333333333333333333333333333333 refs/replace/4444444444444444444444444444444444444444\n";
        let error = check.check(planted).unwrap_err();
        assert!(error.contains("refs/replace/4444"), "{error}");
    }
}
