//! The cache tree (`TREE`): the tree object git has computed for each
//! directory of the index, in git's order (a directory, then its
//! subdirectories).

use super::ObjectFormat;
use super::read::find_nul;

/// One directory of the cache tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TreeNode {
    /// The directory, relative to the work tree (`""`: its root).
    pub(super) path: Vec<u8>,
    /// Its name as git writes it (one component).
    pub(super) name: Vec<u8>,
    /// How many index entries the tree covers; negative: not valid.
    pub(super) entries: i64,
    /// How many subdirectories follow it.
    pub(super) subtrees: usize,
    /// The tree's object name, when valid.
    pub(super) oid: Option<Vec<u8>>,
}

impl TreeNode {
    /// The nodes of a `TREE` extension.
    pub(super) fn parse_all(data: &[u8], format: ObjectFormat) -> Result<Vec<TreeNode>, String> {
        let bad = || "its cache tree is malformed".to_string();
        let number = |text: &[u8]| -> Result<i64, String> {
            std::str::from_utf8(text)
                .ok()
                .and_then(|text| text.parse().ok())
                .ok_or_else(bad)
        };
        let mut nodes = Vec::new();
        // The directories still waiting for subdirectories, and how many.
        let mut open: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let name_end = find_nul(data, at)?;
            let name = data[at..name_end].to_vec();
            let space = data[name_end..]
                .iter()
                .position(|&b| b == b' ')
                .ok_or_else(bad)?;
            let entries = number(&data[name_end + 1..name_end + space])?;
            let line_at = name_end + space + 1;
            let line_end = line_at
                + data[line_at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .ok_or_else(bad)?;
            let subtrees = usize::try_from(number(&data[line_at..line_end])?).map_err(|_| bad())?;
            at = line_end + 1;
            let oid = match entries >= 0 {
                true => {
                    let oid = data.get(at..at + format.name_len()).ok_or_else(bad)?;
                    at += format.name_len();
                    Some(oid.to_vec())
                }
                false => None,
            };
            let path = match open.last_mut() {
                None if nodes.is_empty() => name.clone(),
                None => return Err(bad()),
                Some((parent, waiting)) => {
                    *waiting -= 1;
                    match parent.is_empty() {
                        true => name.clone(),
                        false => [parent.as_slice(), b"/", &name].concat(),
                    }
                }
            };
            open.push((path.clone(), subtrees));
            while open.last().is_some_and(|(_, waiting)| *waiting == 0) {
                open.pop();
            }
            nodes.push(TreeNode {
                path,
                name,
                entries,
                subtrees,
                oid,
            });
            if open.is_empty() && at < data.len() {
                return Err(bad());
            }
        }
        match open.is_empty() {
            true => Ok(nodes),
            false => Err(bad()),
        }
    }

    /// The `TREE` extension of `nodes`.
    pub(super) fn write_all(nodes: &[TreeNode]) -> Vec<u8> {
        let mut out = Vec::new();
        for node in nodes {
            out.extend_from_slice(&node.name);
            out.push(0);
            out.extend_from_slice(format!("{} {}\n", node.entries, node.subtrees).as_bytes());
            if let Some(oid) = &node.oid {
                out.extend_from_slice(oid);
            }
        }
        out
    }
}
