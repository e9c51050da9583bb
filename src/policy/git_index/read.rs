//! The index file as git reads it (`read-cache.c`): the header, the
//! entries of versions 2 to 4 (version 4 compresses each path against the
//! one before it), the extensions, and the checksum.

use super::ObjectFormat;
use super::cache_tree::TreeNode;
use std::borrow::Cow;

/// The parts of an index file the check needs.
pub(super) struct Index<'a> {
    content: &'a [u8],
    pub(super) entries: Vec<Entry<'a>>,
    /// Where the entries end and the extensions begin.
    entries_end: usize,
    extensions: Vec<([u8; 4], &'a [u8])>,
    /// The checksum over everything before it (all zeros: not computed,
    /// `index.skipHash`).
    pub(super) trailer: &'a [u8],
}

/// One index entry: what git would check out at `path`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Entry<'a> {
    pub(super) path: Cow<'a, [u8]>,
    pub(super) stage: u16,
    pub(super) mode: u32,
    pub(super) oid: &'a [u8],
    /// The skip-worktree and intent-to-add bits.
    pub(super) flags: u16,
}

/// `CE_EXTENDED` in an entry's flags: a second flags word follows.
const EXTENDED: u16 = 0x4000;
/// The name length in an entry's flags (`CE_NAMEMASK`; all ones: longer).
const NAME_MASK: u16 = 0x0fff;
/// Skip-worktree and intent-to-add, in the second flags word.
const WORKTREE_FLAGS: u16 = 0x4000 | 0x2000;
/// The file type of a sparse directory entry.
pub(super) const DIRECTORY_MODE: u32 = 0o040000;
/// The file type bits of a mode.
pub(super) const TYPE_MASK: u32 = 0o170000;

fn be32(bytes: &[u8], at: usize) -> Result<u32, String> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| "it ends inside an entry".to_string())
}

fn be16(bytes: &[u8], at: usize) -> Result<u16, String> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| "it ends inside an entry".to_string())
}

/// git's variable-length integer (`varint.c`), and the bytes it took.
fn varint(bytes: &[u8]) -> Result<(usize, usize), String> {
    let bad = || "a path's prefix length is malformed".to_string();
    let mut taken = 0;
    let mut next = || {
        let byte = *bytes.get(taken).ok_or_else(bad)?;
        taken += 1;
        Ok::<u8, String>(byte)
    };
    let mut byte = next()?;
    let mut value = usize::from(byte & 0x7f);
    while byte & 0x80 != 0 {
        byte = next()?;
        value = value
            .checked_add(1)
            .and_then(|v| v.checked_mul(128))
            .and_then(|v| v.checked_add(usize::from(byte & 0x7f)))
            .ok_or_else(bad)?;
    }
    Ok((value, taken))
}

impl<'a> Index<'a> {
    /// Reads the header, the entries (versions 2 to 4) and the extensions.
    pub(super) fn parse(content: &'a [u8], format: ObjectFormat) -> Result<Index<'a>, String> {
        let hash = format.name_len();
        if content.len() < 12 + hash || &content[..4] != b"DIRC" {
            return Err("it is not a git index".into());
        }
        let version = be32(content, 4)?;
        if !(2..=4).contains(&version) {
            return Err(format!("index version {version} is not one git writes"));
        }
        let count = be32(content, 8)? as usize;
        let end = content.len() - hash;
        let body = &content[..end];
        let mut entries = Vec::with_capacity(count.min(end / 62));
        let mut at = 12;
        let mut previous: Vec<u8> = Vec::new();
        for _ in 0..count {
            // ctime, mtime, dev, ino, mode, uid, gid, size: ten words.
            let mode = be32(body, at + 24)?;
            let oid = body
                .get(at + 40..at + 40 + hash)
                .ok_or("it ends inside an entry")?;
            let flags = be16(body, at + 40 + hash)?;
            let mut name_at = at + 40 + hash + 2;
            let mut worktree_flags = 0;
            if flags & EXTENDED != 0 {
                if version < 3 {
                    return Err("a version 2 index has an extended entry".into());
                }
                worktree_flags = be16(body, name_at)? & WORKTREE_FLAGS;
                name_at += 2;
            }
            let named = usize::from(flags & NAME_MASK);
            let path;
            if version == 4 {
                let (strip, taken) = varint(body.get(name_at..).unwrap_or_default())?;
                let kept = previous
                    .len()
                    .checked_sub(strip)
                    .ok_or("a path strips more than the previous one has")?;
                let suffix_at = name_at + taken;
                let nul = find_nul(body, suffix_at)?;
                let mut full = previous[..kept].to_vec();
                full.extend_from_slice(&body[suffix_at..nul]);
                if usize::from(NAME_MASK) != named && named != full.len() {
                    return Err("an entry's name length disagrees with its name".into());
                }
                previous.clone_from(&full);
                path = Cow::Owned(full);
                at = nul + 1;
            } else {
                let length = match named == usize::from(NAME_MASK) {
                    true => find_nul(body, name_at)? - name_at,
                    false => named,
                };
                path = Cow::Borrowed(
                    body.get(name_at..name_at + length)
                        .ok_or("it ends inside an entry")?,
                );
                // Padded with NULs to a multiple of eight bytes.
                at += (name_at - at + length + 8) & !7;
            }
            if at > end {
                return Err("it ends inside an entry".into());
            }
            entries.push(Entry {
                path,
                stage: (flags >> 12) & 3,
                mode,
                oid,
                flags: worktree_flags,
            });
        }
        let entries_end = at;
        let mut extensions = Vec::new();
        while at + 8 <= end {
            let signature = [body[at], body[at + 1], body[at + 2], body[at + 3]];
            let size = be32(body, at + 4)? as usize;
            let data = body
                .get(at + 8..at + 8 + size)
                .ok_or("an extension runs past the end")?;
            extensions.push((signature, data));
            at += 8 + size;
        }
        if at != end {
            return Err("it has bytes after its last extension".into());
        }
        Ok(Index {
            content,
            entries,
            entries_end,
            extensions,
            trailer: &content[end..],
        })
    }

    pub(super) fn extension(&self, signature: &[u8; 4]) -> Option<&'a [u8]> {
        self.extensions
            .iter()
            .find(|(found, _)| found == signature)
            .map(|(_, data)| *data)
    }

    /// The cache tree, in git's order (a directory, then its
    /// subdirectories).
    pub(super) fn cache_tree(&self, format: ObjectFormat) -> Result<Vec<TreeNode>, String> {
        match self.extension(b"TREE") {
            Some(data) => TreeNode::parse_all(data, format),
            None => Ok(Vec::new()),
        }
    }

    /// This index with `trees` as its cache tree: the entries as they are,
    /// the extensions in their order, the end-of-entries marker (whose
    /// checksum covers the extensions' sizes) left out, the checksum made
    /// again (or left zero, as git was told to).
    pub(super) fn with_cache_tree(&self, trees: &[TreeNode], format: ObjectFormat) -> Vec<u8> {
        let mut out = self.content[..self.entries_end].to_vec();
        for (signature, data) in &self.extensions {
            let data = match signature {
                b"EOIE" => continue,
                b"TREE" => TreeNode::write_all(trees),
                _ => data.to_vec(),
            };
            out.extend_from_slice(signature);
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            out.extend_from_slice(&data);
        }
        match self.trailer.iter().all(|&b| b == 0) {
            true => out.extend_from_slice(self.trailer),
            false => {
                let checksum = format.digest(&out);
                out.extend_from_slice(&checksum);
            }
        }
        out
    }
}

pub(super) fn find_nul(bytes: &[u8], from: usize) -> Result<usize, String> {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == 0))
        .map(|at| from + at)
        .ok_or_else(|| "a path has no end".to_string())
}
