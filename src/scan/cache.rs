//! Per-file scan results kept between scans of one root, so that a re-scan
//! reads only what changed.
//!
//! A file is answered from the cache when its status (device, inode, size,
//! modification and change times) is the one recorded, as git's index does;
//! failing that, when its content hash is. A status recorded within a second
//! of the scan that recorded it is not trusted next time (the file may have
//! changed again within the same timestamp tick): such a file is hashed.
//!
//! The cache lives in guard's state directory, which no session can write;
//! a missing, unreadable or outdated cache means a full scan, never an error.

use super::Finding;
use crate::digest::sha256_hex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Bumped when the file format changes.
const FORMAT: u32 = 1;

/// What identifies an unchanged file without reading it: device, inode,
/// size, modification and change time in nanoseconds (a JSON array, for a
/// small cache that parses fast).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatKey(u64, u64, u64, i128, i128);

impl StatKey {
    /// The key of a file's metadata.
    pub fn of(metadata: &std::fs::Metadata) -> StatKey {
        let ns = |seconds: i64, nanos: i64| i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
        StatKey(
            metadata.dev(),
            metadata.ino(),
            metadata.size(),
            ns(metadata.mtime(), metadata.mtime_nsec()),
            ns(metadata.ctime(), metadata.ctime_nsec()),
        )
    }
}

/// One file's cached result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The status the result holds for; `None` when it was too recent to trust.
    pub stat: Option<StatKey>,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// The findings, before any allowlist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// The cache file's contents.
#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    guard: String,
    rules: u32,
    root: PathBuf,
    files: HashMap<String, Entry>,
}

/// One root's cache, as loaded.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
    root: PathBuf,
    files: HashMap<String, Entry>,
}

impl Cache {
    /// The cache of `root` in `dir` (empty when there is none, or it was
    /// written by another rule set).
    pub fn load(dir: &Path, root: &Path) -> Cache {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let name = sha256_hex(root.as_os_str().as_encoded_bytes());
        let path = dir.join(format!("{}.json", &name[..32]));
        let files = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
            .filter(|file| {
                file.format == FORMAT
                    && file.guard == env!("CARGO_PKG_VERSION")
                    && file.rules == super::rules::RULES_VERSION
                    && file.root == root
            })
            .map(|file| file.files)
            .unwrap_or_default();
        Cache { path, root, files }
    }

    /// The cached result for a file (by its name relative to the root).
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.files.get(name)
    }

    /// Replaces the cache with `entries`, the results of a scan that started
    /// at `started`. Nothing is written when nothing changed.
    pub fn save(
        self,
        entries: impl Iterator<Item = (String, Entry)>,
        started: SystemTime,
    ) -> std::io::Result<()> {
        let trusted_before = started
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as i128)
            - 1_000_000_000;
        let files: HashMap<String, Entry> = entries
            .map(|(name, mut entry)| {
                if entry
                    .stat
                    .is_some_and(|s| s.3 >= trusted_before || s.4 >= trusted_before)
                {
                    entry.stat = None;
                }
                (name, entry)
            })
            .collect();
        if files == self.files {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let file = CacheFile {
            format: FORMAT,
            guard: env!("CARGO_PKG_VERSION").to_string(),
            rules: super::rules::RULES_VERSION,
            root: self.root,
            files,
        };
        let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer(std::io::BufWriter::new(temporary.as_file_mut()), &file)?;
        temporary.as_file_mut().flush()?;
        temporary.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_from_another_root_or_rule_set_is_not_used() {
        let state = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let entry = Entry {
            stat: None,
            sha256: sha256_hex(b"x"),
            findings: Vec::new(),
        };
        let cache = Cache::load(state.path(), root.path());
        cache
            .save(
                [("a.txt".to_string(), entry.clone())].into_iter(),
                SystemTime::now(),
            )
            .unwrap();
        assert_eq!(
            Cache::load(state.path(), root.path()).get("a.txt"),
            Some(&entry)
        );
        let other = tempfile::tempdir().unwrap();
        assert!(
            Cache::load(state.path(), other.path())
                .get("a.txt")
                .is_none()
        );

        let path = Cache::load(state.path(), root.path()).path;
        let text = std::fs::read_to_string(&path).unwrap();
        let older = text.replace(
            &format!("\"rules\":{}", super::super::rules::RULES_VERSION),
            "\"rules\":0",
        );
        assert_ne!(text, older);
        std::fs::write(&path, older).unwrap();
        assert!(
            Cache::load(state.path(), root.path())
                .get("a.txt")
                .is_none()
        );
    }

    #[test]
    fn a_status_from_the_last_second_is_not_trusted() {
        let state = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("a.txt"), "x").unwrap();
        let stat = StatKey::of(&std::fs::metadata(root.path().join("a.txt")).unwrap());
        let entry = Entry {
            stat: Some(stat),
            sha256: sha256_hex(b"x"),
            findings: Vec::new(),
        };
        Cache::load(state.path(), root.path())
            .save(
                [("a.txt".to_string(), entry.clone())].into_iter(),
                SystemTime::now(),
            )
            .unwrap();
        let cache = Cache::load(state.path(), root.path());
        assert_eq!(cache.get("a.txt").unwrap().stat, None);
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        cache
            .save([("a.txt".to_string(), entry)].into_iter(), later)
            .unwrap();
        let cache = Cache::load(state.path(), root.path());
        assert_eq!(cache.get("a.txt").unwrap().stat, Some(stat));
    }
}
