//! git's index, read as git reads it (`gitformat-index(5)`), and what a new
//! one may change.
//!
//! git builds every commit from the index, not from the work tree, and two
//! parts of it reach code the user later runs without the work tree
//! changing at all:
//!
//! - an **entry** staged for a protected path (`git update-index
//!   --cacheinfo`): the user's next `git commit` records it, and hook
//!   managers such as pre-commit and lint-staged stash the unstaged
//!   changes before running hooks, so the staged `.pre-commit-config.yaml`
//!   is the one whose hooks run;
//! - the **cache tree** (the `TREE` extension), the tree object git has
//!   already computed for each directory: `git commit` writes a valid one
//!   as it is, so a planted tree name commits a planted `.github/` while
//!   every entry, and `git status`, look clean.
//!
//! So a new index may change the entry for a path the boundary protects
//! only to what the work tree has there (which the session cannot change:
//! staging the user's own edit, or removing the entry of a file the user
//! removed), never its skip-worktree and intent-to-add bits, and may not
//! change a sparse directory entry (which stands for a whole tree guard
//! cannot see into). Its cache tree keeps only what the index it replaces already had:
//! a directory's tree name that is new is marked invalid, and git computes
//! it again from the entries when it next needs it. Resolve-undo records
//! (`REUC`, from which `git checkout -m` restores a conflict) for protected
//! paths must be the ones already there, and a split index (`link`), whose
//! entries live in another file, is refused.

use cache_tree::TreeNode;
use read::{DIRECTORY_MODE, Entry, Index, TYPE_MASK, find_nul};
use sha1::Digest;
use std::collections::HashMap;

/// The hash function of a repository's objects (`extensions.objectFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectFormat {
    /// SHA-1, git's default.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl ObjectFormat {
    /// The length of an object name, in bytes.
    pub fn name_len(self) -> usize {
        match self {
            ObjectFormat::Sha1 => 20,
            ObjectFormat::Sha256 => 32,
        }
    }

    /// The object name of a blob of `content`.
    fn blob_id(self, content: &[u8]) -> Vec<u8> {
        let header = format!("blob {}\0", content.len());
        self.digest(&[header.as_bytes(), content].concat())
    }

    fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            ObjectFormat::Sha1 => sha1::Sha1::digest(bytes).to_vec(),
            ObjectFormat::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
        }
    }
}

/// What the check asks of the work tree the index belongs to; paths are
/// relative to it, as the index has them.
pub trait WorkTree {
    /// The refusal of a change to `path`, if it is protected.
    fn protected(&self, path: &[u8]) -> Option<String>;
    /// What is at `path` now.
    fn file(&self, path: &[u8]) -> WorkTreeFile;
}

/// A work tree file, as git would stage it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkTreeFile {
    /// Nothing is there.
    Missing,
    /// A regular file.
    Regular {
        /// Whether the owner may execute it (git looks at that bit only).
        executable: bool,
        /// Its content.
        content: Vec<u8>,
    },
    /// A symbolic link, and its target.
    Symlink(Vec<u8>),
    /// Anything else (a directory, a file too large to read).
    Other,
}

impl WorkTreeFile {
    /// Whether this is what git writes for a tree entry of `mode` naming
    /// blob `oid` (raw bytes, in `format`): the same content and kind, and
    /// for a regular file the same execute bit.
    pub fn holds(&self, mode: u32, oid: &[u8], format: ObjectFormat) -> bool {
        match self {
            WorkTreeFile::Regular {
                executable,
                content,
            } => {
                let own_mode = if *executable { EXECUTABLE } else { REGULAR };
                mode == own_mode && oid == format.blob_id(content)
            }
            WorkTreeFile::Symlink(target) => mode == SYMLINK && oid == format.blob_id(target),
            WorkTreeFile::Missing | WorkTreeFile::Other => false,
        }
    }
}

/// Regular file modes in the index.
const REGULAR: u32 = 0o100644;
const EXECUTABLE: u32 = 0o100755;
const SYMLINK: u32 = 0o120000;

/// Checks `new` against the index it replaces (`None`: there is none) and
/// returns what goes in place: `None` for `new` as it is, else `new` with
/// the tree names it may not bring marked invalid. The error says why the
/// index is refused.
pub fn verify(
    new: &[u8],
    old: Option<&[u8]>,
    format: ObjectFormat,
    work_tree: &dyn WorkTree,
) -> Result<Option<Vec<u8>>, String> {
    let new_index = Index::parse(new, format)?;
    // As git reads it (a zero checksum is not checked, `index.skipHash`);
    // the index in place was put there by guard or by the user's git.
    if !new_index.trailer.iter().all(|&b| b == 0)
        && format.digest(&new[..new.len() - format.name_len()]) != new_index.trailer
    {
        return Err("its checksum is wrong".into());
    }
    let old_index = match old {
        Some(old) => Some(
            Index::parse(old, format)
                .map_err(|why| format!("the index it replaces cannot be read: {why}"))?,
        ),
        None => None,
    };
    if new_index.extension(b"link").is_some() {
        return Err(
            "it is a split index (its entries are in another file, which guard does not check)"
                .into(),
        );
    }
    check_entries(&new_index, old_index.as_ref(), format, work_tree)?;
    check_resolve_undo(&new_index, old_index.as_ref(), format, work_tree)?;
    let old_trees = match &old_index {
        Some(index) => index.cache_tree(format)?,
        None => Vec::new(),
    };
    let old_trees: HashMap<&[u8], &TreeNode> = old_trees
        .iter()
        .map(|node| (node.path.as_slice(), node))
        .collect();
    let mut trees = new_index.cache_tree(format)?;
    let mut invalidated = false;
    for node in trees.iter_mut().filter(|node| node.entries >= 0) {
        if old_trees.get(node.path.as_slice()) != Some(&&*node) {
            node.entries = -1;
            node.oid = None;
            invalidated = true;
        }
    }
    if !invalidated {
        return Ok(None);
    }
    Ok(Some(new_index.with_cache_tree(&trees, format)))
}

/// Entries for protected paths change only to what the work tree has;
/// sparse directory entries stay as they are.
fn check_entries(
    new: &Index<'_>,
    old: Option<&Index<'_>>,
    format: ObjectFormat,
    work_tree: &dyn WorkTree,
) -> Result<(), String> {
    let no_entries = Vec::new();
    let old_entries = old.map_or(&no_entries, |old| &old.entries);
    let mut gone = Vec::new();
    for (entry, previous) in pairs(&new.entries, old_entries) {
        match (entry, previous) {
            (Some(entry), Some(previous)) if previous == entry => {}
            (Some(entry), previous) => check_staged(entry, previous, format, work_tree)?,
            (None, Some(previous)) => gone.push(previous),
            (None, None) => {}
        }
    }
    for gone in gone {
        let path = String::from_utf8_lossy(&gone.path);
        if gone.mode & TYPE_MASK == DIRECTORY_MODE {
            return Err(format!(
                "it removes sparse directory entry {path}, a whole tree guard cannot check"
            ));
        }
        // A resolved conflict's stages go; the entry that replaces them is
        // judged itself.
        if gone.stage != 0 {
            continue;
        }
        if let Some(rule) = work_tree.protected(&gone.path)
            && work_tree.file(&gone.path) != WorkTreeFile::Missing
        {
            return Err(format!(
                "it removes the staged {path}, which the work tree still has: {rule}"
            ));
        }
    }
    Ok(())
}

/// The entries of `new` and `old` paired by path and stage (`None`: not
/// in that index): a walk of both in order, as git sorts them, or a lookup
/// when one is not sorted (git would misread it, guard does not).
fn pairs<'e, 'a>(
    new: &'e [Entry<'a>],
    old: &'e [Entry<'a>],
) -> Vec<(Option<&'e Entry<'a>>, Option<&'e Entry<'a>>)> {
    let key = |entry: &'e Entry<'a>| (entry.path.as_ref(), entry.stage);
    let sorted = |entries: &'e [Entry<'a>]| entries.windows(2).all(|w| key(&w[0]) < key(&w[1]));
    let mut pairs = Vec::new();
    if sorted(new) && sorted(old) {
        let (mut new, mut old) = (new.iter().peekable(), old.iter().peekable());
        loop {
            let order = match (new.peek(), old.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(n), Some(o)) => key(n).cmp(&key(o)),
            };
            pairs.push(match order {
                std::cmp::Ordering::Less => (new.next(), None),
                std::cmp::Ordering::Greater => (None, old.next()),
                std::cmp::Ordering::Equal => (new.next(), old.next()),
            });
        }
        return pairs;
    }
    let mut before: HashMap<(&[u8], u16), &Entry<'a>> =
        old.iter().map(|entry| (key(entry), entry)).collect();
    for entry in new {
        pairs.push((Some(entry), before.remove(&key(entry))));
    }
    pairs.extend(before.into_values().map(|gone| (None, Some(gone))));
    pairs
}

/// A new or changed entry: for a protected path, what the work tree has.
fn check_staged(
    entry: &Entry<'_>,
    previous: Option<&Entry<'_>>,
    format: ObjectFormat,
    work_tree: &dyn WorkTree,
) -> Result<(), String> {
    let path = String::from_utf8_lossy(&entry.path);
    if entry.mode & TYPE_MASK == DIRECTORY_MODE {
        return Err(format!(
            "it stages sparse directory entry {path}, a whole tree guard cannot check"
        ));
    }
    let Some(rule) = work_tree.protected(&entry.path) else {
        return Ok(());
    };
    let same_flags = entry.flags == previous.map_or(0, |previous| previous.flags);
    let mode_kept = previous.is_some_and(|previous| previous.mode == entry.mode);
    let as_in_work_tree = entry.stage == 0
        && same_flags
        && match work_tree.file(&entry.path) {
            WorkTreeFile::Regular {
                executable,
                content,
            } => {
                let mode = if executable { EXECUTABLE } else { REGULAR };
                (entry.mode == mode || (mode_kept && matches!(entry.mode, REGULAR | EXECUTABLE)))
                    && entry.oid == format.blob_id(&content)
            }
            WorkTreeFile::Symlink(target) => {
                entry.mode == SYMLINK && entry.oid == format.blob_id(&target)
            }
            WorkTreeFile::Missing | WorkTreeFile::Other => false,
        };
    match as_in_work_tree {
        true => Ok(()),
        false => Err(format!(
            "it stages for {path} what the work tree does not have there: {rule}"
        )),
    }
}

/// Resolve-undo records for protected paths stay as they are.
fn check_resolve_undo(
    new: &Index<'_>,
    old: Option<&Index<'_>>,
    format: ObjectFormat,
    work_tree: &dyn WorkTree,
) -> Result<(), String> {
    let records = |index: Option<&Index<'_>>| -> Result<HashMap<Vec<u8>, Vec<u8>>, String> {
        match index.and_then(|index| index.extension(b"REUC")) {
            Some(data) => resolve_undo_records(data, format),
            None => Ok(HashMap::new()),
        }
    };
    let before = records(old)?;
    for (path, record) in records(Some(new))? {
        if before.get(&path) != Some(&record)
            && let Some(rule) = work_tree.protected(&path)
        {
            return Err(format!(
                "it records a conflict to restore at {}: {rule}",
                String::from_utf8_lossy(&path)
            ));
        }
    }
    Ok(())
}

/// `REUC` records by path: three octal modes, then an object name for
/// each mode that is not zero.
fn resolve_undo_records(
    data: &[u8],
    format: ObjectFormat,
) -> Result<HashMap<Vec<u8>, Vec<u8>>, String> {
    let mut records = HashMap::new();
    let mut at = 0;
    while at < data.len() {
        let start = at;
        let path_end = find_nul(data, at)?;
        let mut cursor = path_end + 1;
        let mut objects = 0;
        for _ in 0..3 {
            let end = find_nul(data, cursor)?;
            let mode = std::str::from_utf8(&data[cursor..end])
                .ok()
                .and_then(|text| u32::from_str_radix(text, 8).ok())
                .ok_or("a resolve-undo mode is malformed")?;
            objects += usize::from(mode != 0);
            cursor = end + 1;
        }
        at = cursor + objects * format.name_len();
        if at > data.len() {
            return Err("a resolve-undo record runs past its extension".into());
        }
        records.insert(data[start..path_end].to_vec(), data[start..at].to_vec());
    }
    Ok(records)
}

mod cache_tree;
mod read;
#[cfg(test)]
mod tests;
