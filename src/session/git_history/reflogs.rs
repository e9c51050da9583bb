//! What a session wrote into git's reflogs: the entries `HEAD@{1}` and
//! `main@{2}` name, where the user's `git reset --hard HEAD@{1}` goes.
//!
//! git only appends to a reflog, or rewrites it whole by a rename
//! (`reflog expire`, which `gc` runs), so what was there at the start is
//! a prefix of what is there at the end, and only what follows it is the
//! session's. A session can also rewrite a reflog in place: the last bytes
//! before the old end are kept to tell. A reflog whose start is no longer
//! there, or that grew by more than [`MAX_ADDED`], is not read: it is
//! reported as not compared.

use super::refs::object_name;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The most a reflog may have gained for its new entries to be read.
const MAX_ADDED: u64 = 16 * 1024 * 1024;
/// How many bytes before a reflog's end are kept to recognise it later.
const KEPT: u64 = 4096;

/// One reflog file as it was read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reflog {
    path: PathBuf,
    size: u64,
    /// Its last bytes (at most [`KEPT`]).
    tail: Vec<u8>,
}

/// The reflogs of the work tree whose git directory is `git_dir` and
/// common directory `common`, by the name of their ref (`HEAD`,
/// `refs/heads/main`).
pub fn read(git_dir: &Path, common: &Path) -> BTreeMap<String, Reflog> {
    let mut reflogs = BTreeMap::new();
    let mut add = |name: String, path: PathBuf, size: u64| {
        let tail = read_range(&path, size.saturating_sub(KEPT), KEPT).unwrap_or_default();
        reflogs.insert(name, Reflog { path, size, tail });
    };
    super::refs::files_beneath(&common.join("logs/refs"), "refs", &mut add);
    let head = git_dir.join("logs/HEAD");
    if let Ok(status) = std::fs::symlink_metadata(&head)
        && status.is_file()
    {
        add("HEAD".to_string(), head, status.len());
    }
    reflogs
}

/// The entries added to the reflogs `now` since `before`, as `REF@{N}`
/// and the object each names; and the reflogs not read (rewritten, or
/// grown too much).
pub fn entries_since(
    now: &BTreeMap<String, Reflog>,
    before: &BTreeMap<String, Reflog>,
) -> (Vec<(String, String)>, Vec<String>) {
    let (mut entries, mut unread) = (Vec::new(), Vec::new());
    for (name, reflog) in now {
        let from = match before.get(name) {
            None => 0,
            Some(was) if was.size == reflog.size && was.tail == reflog.tail => continue,
            // Shorter, and what is left is how it began (`git stash pop`
            // drops the newest entry): nothing new.
            Some(was) if reflog.size < was.size && is_start_of(reflog, was) => continue,
            Some(was) if still_starts_with(&reflog.path, was) => was.size,
            Some(_) => {
                unread.push(name.clone());
                continue;
            }
        };
        let added = match reflog.size.checked_sub(from) {
            Some(added) if added <= MAX_ADDED => read_range(&reflog.path, from, added),
            _ => {
                unread.push(name.clone());
                continue;
            }
        };
        let Ok(added) = added else {
            continue;
        };
        let lines: Vec<&[u8]> = added
            .split(|&b| b == b'\n')
            .filter(|line| !line.is_empty())
            .collect();
        for (index, line) in lines.iter().enumerate() {
            let new = line.split(|&b| b == b' ').nth(1).unwrap_or_default();
            if let Some(id) = object_name(&String::from_utf8_lossy(new)) {
                // Entries after this one, to the end of the file as read.
                let age = lines.len() - 1 - index;
                entries.push((format!("{name}@{{{age}}}"), id));
            }
        }
    }
    (entries, unread)
}

/// Whether the reflog at `path` still holds, where `was` ended, the bytes
/// `was` ended with.
fn still_starts_with(path: &Path, was: &Reflog) -> bool {
    let at = was.size - was.tail.len() as u64;
    read_range(path, at, was.tail.len() as u64).is_ok_and(|bytes| bytes == was.tail)
}

/// Whether `now`, shorter than `was`, ends as `was` read at that length:
/// as far as the bytes `was` kept tell (a reflog that lost more than
/// those cannot be told from a rewritten one).
fn is_start_of(now: &Reflog, was: &Reflog) -> bool {
    let kept_from = was.size - was.tail.len() as u64;
    let Some(overlap) = now.size.checked_sub(kept_from) else {
        return false;
    };
    let overlap = overlap as usize;
    now.tail.len() >= overlap && now.tail[now.tail.len() - overlap..] == was.tail[..overlap]
}

/// At most `len` bytes of `path` from offset `from`.
fn read_range(path: &Path, from: u64, len: u64) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(from))?;
    let mut bytes = Vec::new();
    file.take(len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const C: &str = "3333333333333333333333333333333333333333";

    fn line(old: &str, new: &str) -> String {
        format!("{old} {new} T <t@example.com> 0 +0000\tm\n")
    }

    #[test]
    fn entries_appended_are_read_and_a_rewritten_reflog_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path();
        std::fs::create_dir_all(git.join("logs/refs/heads")).unwrap();
        let head = git.join("logs/HEAD");
        std::fs::write(&head, line(A, B)).unwrap();
        let before = read(git, git);
        // Appended: two entries, the older first.
        std::fs::write(&head, format!("{}{}{}", line(A, B), line(B, C), line(C, A))).unwrap();
        std::fs::write(git.join("logs/refs/heads/new"), line(A, C)).unwrap();
        let (entries, unread) = entries_since(&read(git, git), &before);
        let expected = [("HEAD@{1}", C), ("HEAD@{0}", A), ("refs/heads/new@{0}", C)];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(name, id)| (name.to_string(), id.to_string()))
            .collect();
        assert_eq!(entries, expected);
        assert!(unread.is_empty());
        // Rewritten in place, longer, the session's entry where the
        // user's was: not read, and said so.
        std::fs::write(&head, format!("{}{}", line(A, C), line(C, A))).unwrap();
        let (entries, unread) = entries_since(&read(git, git), &before);
        assert!(entries.iter().all(|(name, _)| !name.starts_with("HEAD")));
        assert_eq!(unread, ["HEAD"]);
        // Its newest entry dropped (`git stash pop`): nothing new.
        std::fs::write(&head, format!("{}{}", line(A, B), line(B, C))).unwrap();
        let longer = read(git, git);
        std::fs::write(&head, line(A, B)).unwrap();
        let (entries, unread) = entries_since(&read(git, git), &longer);
        assert!(
            entries.is_empty() && unread.is_empty(),
            "{entries:?} {unread:?}"
        );
        // Shorter, but not how it began: said so.
        std::fs::write(&head, line(C, A)).unwrap();
        let (_, unread) = entries_since(&read(git, git), &longer);
        assert_eq!(unread, ["HEAD"]);
        // Unchanged: nothing.
        let (entries, unread) = entries_since(&before, &before);
        assert!(entries.is_empty() && unread.is_empty());
    }
}
