//! The protected paths indexed by their bytes, so that a change is judged
//! against the few at, above or beneath it rather than all of them.

use super::ProtectedPath;
use super::boundary::is_plain;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The protected paths by their bytes, built at the first judgement that
/// needs it: a cache of [`Protection::paths`], not part of the policy (it
/// is neither serialized nor compared).
#[derive(Debug, Clone, Default)]
pub struct PathIndex(std::sync::OnceLock<Lookup>);

#[derive(Debug, Clone, Default)]
struct Lookup {
    /// Plain protected paths: their bytes → their indices.
    plain: std::collections::HashMap<Box<[u8]>, Vec<usize>>,
    /// The same, sorted by their bytes (those beneath a path are a range).
    sorted: Vec<(Box<[u8]>, usize)>,
    /// The indices of the others, which every judgement looks at.
    irregular: Vec<usize>,
}

impl PartialEq for PathIndex {
    fn eq(&self, _: &PathIndex) -> bool {
        true
    }
}

impl PathIndex {
    /// The indices, in order, of the protected paths that may be `path` or
    /// lie above it, and with `beneath_too` those beneath it (`path` must
    /// be plain).
    pub(super) fn related(
        &self,
        paths: &[ProtectedPath],
        path: &Path,
        beneath_too: bool,
    ) -> Vec<usize> {
        let lookup = self.0.get_or_init(|| {
            let mut lookup = Lookup::default();
            for (index, protected) in paths.iter().enumerate() {
                let bytes: Box<[u8]> = protected.path.as_os_str().as_bytes().into();
                match is_plain(&protected.path) {
                    true => {
                        lookup.plain.entry(bytes.clone()).or_default().push(index);
                        lookup.sorted.push((bytes, index));
                    }
                    false => lookup.irregular.push(index),
                }
            }
            lookup.sorted.sort();
            lookup
        });
        let bytes = path.as_os_str().as_bytes();
        let ends = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'/')
            .map(|(at, _)| at.max(1))
            .chain([bytes.len()]);
        let mut found = lookup.irregular.clone();
        for end in ends {
            if let Some(indices) = lookup.plain.get(&bytes[..end]) {
                found.extend(indices);
            }
        }
        if beneath_too {
            // Everything that starts with `path/` (or, for `/`, everything).
            let mut below = bytes.to_vec();
            if below != b"/" {
                below.push(b'/');
            }
            let start = lookup.sorted.partition_point(|(p, _)| **p < *below);
            found.extend(
                lookup.sorted[start..]
                    .iter()
                    .take_while(|(p, _)| p.starts_with(&below))
                    .map(|(_, index)| *index),
            );
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}
