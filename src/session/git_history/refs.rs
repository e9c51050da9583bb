//! The refs of a repository and what its reflogs gained, read from git's
//! files (loose refs over `packed-refs`), for the comparison at a
//! session's end.

use super::reflogs::{self, Reflog};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What every ref of a repository names, read from git's files.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Refs {
    /// Ref name to object name (hex): `refs/…`, and `HEAD` when it is
    /// detached, `ORIG_HEAD`, `FETCH_HEAD`.
    values: BTreeMap<String, String>,
    /// The commit `HEAD` named: what a new ref is compared with.
    head: Option<String>,
    /// The refs are in the reftable format, which is not read.
    pub(super) reftable: bool,
    /// Each reflog, by the name of its ref.
    reflogs: BTreeMap<String, Reflog>,
}

impl Refs {
    /// The refs of the work tree whose git directory is `git_dir` and
    /// common directory `common`: loose refs over `packed-refs`.
    pub fn read(git_dir: &Path, common: &Path) -> Refs {
        let mut values = BTreeMap::new();
        if let Ok(packed) = std::fs::read_to_string(common.join("packed-refs")) {
            values.extend(packed_refs(&packed));
        }
        loose_refs(&common.join("refs"), "refs", &mut values);
        // A linked worktree's own refs (`refs/bisect`, `refs/worktree`).
        if git_dir != common {
            loose_refs(&git_dir.join("refs"), "refs", &mut values);
        }
        let head_text = std::fs::read_to_string(git_dir.join("HEAD")).unwrap_or_default();
        let head = match head_text.trim().strip_prefix("ref: ") {
            Some(name) => values.get(name).cloned(),
            None => object_name(&head_text).inspect(|id| {
                values.insert("HEAD".to_string(), id.clone());
            }),
        };
        // What `git reset --hard ORIG_HEAD` and `git merge FETCH_HEAD` take:
        // a name, or (FETCH_HEAD) lines whose first names what a merge takes.
        for pseudo in ["ORIG_HEAD", "FETCH_HEAD"] {
            let text = std::fs::read_to_string(git_dir.join(pseudo)).unwrap_or_default();
            let first = text.split_whitespace().next().unwrap_or_default();
            if let Some(id) = object_name(first) {
                values.insert(pseudo.to_string(), id);
            }
        }
        Refs {
            values,
            head,
            reftable: common.join("reftable").is_dir(),
            reflogs: reflogs::read(git_dir, common),
        }
    }

    /// The object the ref `name` names (loose, else packed), if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The refs whose value is not what it was `before`, and the entries
    /// added to their reflogs since (`HEAD@{1}`, which the user's `git
    /// reset --hard HEAD@{1}` goes back to), that name a commit no ref
    /// names now: each with what it is compared with (a ref's value
    /// before, else the commit `HEAD` named; `None` in a repository that
    /// had no commit). Then the reflogs that were not read (rewritten, or
    /// grown too much: see [`reflogs`]).
    pub(super) fn changed_since(&self, before: &Refs) -> (Vec<Changed>, Vec<String>) {
        let base = |name: &str| before.values.get(name).or(before.head.as_ref()).cloned();
        let refs = self
            .values
            .iter()
            .filter(|(name, id)| before.values.get(*name) != Some(id))
            .map(|(name, id)| (name.clone(), base(name), id.clone()));
        let named_now: Vec<&String> = self.values.values().collect();
        let (entries, unread) = reflogs::entries_since(&self.reflogs, &before.reflogs);
        let logged = entries
            .into_iter()
            .filter(|(_, id)| !named_now.contains(&id))
            .map(|(name, id)| (name, before.head.clone(), id));
        (refs.chain(logged).collect(), unread)
    }
}

/// A ref that changed: its name, what it is compared with, what it names.
pub(super) type Changed = (String, Option<String>, String);

/// The refs of a `packed-refs` file (peeled lines and comments aside).
fn packed_refs(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.lines().filter_map(|line| {
        let (id, name) = line.split_once(' ')?;
        let id = object_name(id)?;
        name.starts_with("refs/")
            .then(|| (name.trim().to_string(), id))
    })
}

/// Calls `each` with the name (`prefix/…`), path and size of every
/// regular file beneath `dir`; links aside.
pub(super) fn files_beneath(dir: &Path, prefix: &str, each: &mut dyn FnMut(String, PathBuf, u64)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        // Not followed: a link's status is its own.
        let (Ok(status), Some(name)) = (entry.metadata(), entry.file_name().into_string().ok())
        else {
            continue;
        };
        let full = format!("{prefix}/{name}");
        if status.is_dir() {
            files_beneath(&entry.path(), &full, each);
        } else if status.is_file() {
            each(full, entry.path(), status.len());
        }
    }
}

/// The loose refs beneath `dir` (named `prefix/…`) into `values`: files
/// holding an object name; symbolic refs, lock files and links aside.
fn loose_refs(dir: &Path, prefix: &str, values: &mut BTreeMap<String, String>) {
    files_beneath(dir, prefix, &mut |name, path, _| {
        if name.ends_with(".lock") {
            return;
        }
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(id) = object_name(&text) {
            values.insert(name, id);
        }
    });
}

/// `text` as an object name: 40 or 64 hex digits (lowercase).
pub(super) fn object_name(text: &str) -> Option<String> {
    let text = text.trim();
    let hex = text.bytes().all(|b| b.is_ascii_hexdigit());
    (hex && matches!(text.len(), 40 | 64)).then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn refs_come_from_loose_files_over_packed_refs() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path();
        std::fs::create_dir_all(git.join("refs/heads/topic")).unwrap();
        std::fs::write(
            git.join("packed-refs"),
            format!("# pack-refs with: peeled\n{A} refs/heads/main\n^{B}\n{A} refs/tags/v1\n"),
        )
        .unwrap();
        std::fs::write(git.join("refs/heads/main"), format!("{B}\n")).unwrap();
        std::fs::write(git.join("refs/heads/topic/one"), format!("{A}\n")).unwrap();
        std::fs::write(git.join("refs/heads/main.lock"), format!("{A}\n")).unwrap();
        std::fs::write(git.join("refs/heads/link"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        let refs = Refs::read(git, git);
        let names: Vec<(&str, &str)> = refs
            .values
            .iter()
            .map(|(name, id)| (name.as_str(), id.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("refs/heads/main", B),
                ("refs/heads/topic/one", A),
                ("refs/tags/v1", A)
            ]
        );
        assert_eq!(refs.head.as_deref(), Some(B));
        // Detached, with ORIG_HEAD.
        std::fs::write(git.join("HEAD"), format!("{A}\n")).unwrap();
        std::fs::write(git.join("ORIG_HEAD"), format!("{B}\n")).unwrap();
        let fetched =
            format!("{B}\t\tbranch 'main' of https://example.com/r\n{A}\tnot-for-merge\t…\n");
        std::fs::write(git.join("FETCH_HEAD"), fetched).unwrap();
        let refs = Refs::read(git, git);
        assert_eq!(refs.values.get("HEAD").map(String::as_str), Some(A));
        assert_eq!(refs.values.get("ORIG_HEAD").map(String::as_str), Some(B));
        assert_eq!(refs.values.get("FETCH_HEAD").map(String::as_str), Some(B));
    }

    #[test]
    fn changed_refs_and_new_reflog_entries_are_compared() {
        const C: &str = "3333333333333333333333333333333333333333";
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path();
        let write = |path: &str, text: &str| {
            let path = git.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        let line = |old: &str, new: &str| format!("{old} {new} T <t@example.com> 0 +0000\tm\n");
        write("HEAD", "ref: refs/heads/main\n");
        write("refs/heads/main", A);
        write("refs/tags/v1", A);
        write("logs/HEAD", &line(&"0".repeat(40), A));
        let before = Refs::read(git, git);
        // main moves to B, a new branch to B; HEAD's reflog gains C, then
        // B (a commit of a ref now, compared as that ref).
        write("refs/heads/main", B);
        write("refs/heads/new", B);
        let log = format!("{}{}{}", line(&"0".repeat(40), A), line(A, C), line(C, B));
        write("logs/HEAD", &log);
        let after = Refs::read(git, git);
        let owned = |name: &str, base: Option<&str>, id: &str| {
            (name.to_string(), base.map(String::from), id.to_string())
        };
        let expected = [
            owned("refs/heads/main", Some(A), B),
            owned("refs/heads/new", Some(A), B),
            owned("HEAD@{1}", Some(A), C),
        ];
        assert_eq!(
            after.changed_since(&before),
            (expected.to_vec(), Vec::new())
        );
        // A reflog rewritten in place is not read, and said so.
        write("logs/HEAD", &line(A, C));
        let (changed, unread) = Refs::read(git, git).changed_since(&after);
        assert!(changed.iter().all(|(name, ..)| !name.starts_with("HEAD")));
        assert_eq!(unread, ["HEAD"]);
        // In a repository without a commit, a ref has nothing to compare with.
        assert_eq!(
            after.changed_since(&Refs::default()).0[0],
            owned("refs/heads/main", None, B)
        );
    }
}
