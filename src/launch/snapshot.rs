//! The end-of-session check of protected paths.
//!
//! A snapshot of each protected path is taken before the session starts and
//! compared when it ends; a path that changed is moved to a quarantine
//! directory (so nothing the session wrote is lost) and the saved version is
//! put back. With a mount namespace this only covers paths that did not exist
//! at launch (a bind mount needs an existing target); without one it is the
//! whole protection, and it is weaker: the change is visible while the session
//! runs.
//!
//! Guarded trees (`.git`, a client's directory), which the supervisor judges
//! name by name, are checked too, behind it: every top-level entry no
//! pattern could allow is saved file by file (without a mount namespace;
//! with one such entries are bound read-only), and a new top-level name no
//! pattern allows is found in both modes. Small files are saved whole; a
//! large one (or beyond the budget) only by its identity, size and times,
//! so that a change to it is found and moved away but cannot be undone.

use crate::policy::{Policy, ProtectedPath, ProtectionMechanism};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The most a snapshot may hold before guard refuses to start.
pub const MAX_SNAPSHOT_BYTES: u64 = 32 * 1024 * 1024;
/// What the guarded trees' files may hold, saved whole, all together.
const GUARDED_BYTES: u64 = 8 * 1024 * 1024;
/// The largest guarded file saved whole.
const GUARDED_FILE_BYTES: u64 = 256 * 1024;

/// One node of a saved tree.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    File {
        mode: u32,
        contents: Vec<u8>,
    },
    Symlink(PathBuf),
    Dir {
        mode: u32,
        children: BTreeMap<OsString, Node>,
    },
    /// A file saved by what identifies its content, not the content.
    Identified {
        inode: u64,
        size: u64,
        modified_ns: i64,
        changed_ns: i64,
    },
    Other,
}

/// The saved state of the protected paths.
#[derive(Debug, Default)]
pub struct Snapshot {
    saved: Vec<(PathBuf, Option<Node>)>,
    /// Guarded trees, and the top-level names no pattern allows that each
    /// held at launch.
    guarded: Vec<(ProtectedPath, BTreeSet<OsString>)>,
}

/// A protected path the session changed, and what guard did about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    /// The protected path.
    pub path: PathBuf,
    /// Where the session's version was moved, if there was one.
    pub quarantined: Option<PathBuf>,
    /// Whether the version from before the session is back (false when
    /// only its identity was saved).
    pub put_back: bool,
}

/// Why the snapshot could not be taken or restored.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading or writing a protected path failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The protected paths are too large to snapshot.
    #[error("protected paths hold more than {MAX_SNAPSHOT_BYTES} bytes; too large to snapshot")]
    TooLarge,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Snapshot {
    /// Saves what the end-of-session check needs for this policy's mechanism.
    pub fn take(policy: &Policy) -> Result<Snapshot, SnapshotError> {
        let mut budget = Budget::whole(MAX_SNAPSHOT_BYTES);
        let mut guarded_budget = Budget::identified_past(GUARDED_BYTES);
        let mut snapshot = Snapshot::default();
        for protected in &policy.protection.paths {
            let mechanism = policy.protection.mechanism;
            if mechanism == ProtectionMechanism::NotNeeded {
                continue;
            }
            // A guarded tree that is a file (a `.git` file that leads to no
            // git directory) is a protected file.
            let tree = || std::fs::metadata(&protected.path).is_ok_and(|m| m.is_dir());
            if !protected.allow.is_empty() && (!protected.exists || tree()) {
                if !protected.exists {
                    continue;
                }
                // Without a mount namespace nothing else guards the
                // entries' contents should the supervisor fail.
                let save = mechanism == ProtectionMechanism::Supervisor;
                snapshot.take_guarded(protected, save, &mut guarded_budget)?;
                continue;
            }
            let needed = match mechanism {
                ProtectionMechanism::SupervisorAndMounts => !protected.exists,
                _ => true,
            };
            if needed {
                let node = read_node(&protected.path, &mut budget)?;
                snapshot.saved.push((protected.path.clone(), node));
            }
        }
        Ok(snapshot)
    }

    fn take_guarded(
        &mut self,
        protected: &ProtectedPath,
        save: bool,
        budget: &mut Budget,
    ) -> Result<(), SnapshotError> {
        let mut fixed = BTreeSet::new();
        for entry in std::fs::read_dir(&protected.path).map_err(io(&protected.path))? {
            let entry = entry.map_err(io(&protected.path))?;
            let name = entry.file_name();
            if protected.may_change_beneath(&name) {
                continue;
            }
            if save {
                let node = read_node(&entry.path(), budget)?;
                self.saved.push((entry.path(), node));
            }
            fixed.insert(name);
        }
        self.guarded.push((protected.clone(), fixed));
        Ok(())
    }

    /// Compares each saved path with what is there now and restores the saved
    /// version where they differ, moving the session's version under
    /// `quarantine`.
    pub fn check_and_restore(&self, quarantine: &Path) -> Result<Vec<Restored>, SnapshotError> {
        let mut restored = Vec::new();
        // New names in guarded trees: nothing to put back, only to move away.
        let mut created = Vec::new();
        for (protected, fixed) in &self.guarded {
            let Ok(entries) = std::fs::read_dir(&protected.path) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                if !fixed.contains(&name) && !protected.may_change_beneath(&name) {
                    created.push((entry.path(), None));
                }
            }
        }
        for (path, saved) in self.saved.iter().chain(&created) {
            if unchanged(path, saved.as_ref())? {
                continue;
            }
            let quarantined = if std::fs::symlink_metadata(path).is_ok() {
                std::fs::create_dir_all(quarantine).map_err(io(quarantine))?;
                let name = path
                    .to_string_lossy()
                    .trim_start_matches('/')
                    .replace('/', "%");
                let target = quarantine.join(name);
                move_away(path, &target)?;
                Some(target)
            } else {
                None
            };
            let put_back = match saved {
                Some(node) => write_node(path, node)?,
                None => true,
            };
            restored.push(Restored {
                path: path.clone(),
                quarantined,
                put_back,
            });
        }
        Ok(restored)
    }
}

/// How much more a snapshot may hold, and what happens past it.
struct Budget {
    bytes: u64,
    /// Past the budget (or past [`GUARDED_FILE_BYTES`]) a file is saved by
    /// its identity; else the snapshot is refused.
    identify: bool,
}

impl Budget {
    fn whole(bytes: u64) -> Budget {
        Budget {
            bytes,
            identify: false,
        }
    }

    fn identified_past(bytes: u64) -> Budget {
        Budget {
            bytes,
            identify: true,
        }
    }

    fn unlimited() -> Budget {
        Budget::whole(u64::MAX)
    }
}

/// Whether a lookup failed because nothing is there: no such entry, or a
/// file where the path needs a directory (`.git/refs/replace` where `.git`
/// is a file).
fn is_missing(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

fn read_node(path: &Path, budget: &mut Budget) -> Result<Option<Node>, SnapshotError> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if is_missing(&error) => return Ok(None),
        Err(error) => return Err(io(path)(error)),
    };
    let mode = metadata.mode() & 0o7777;
    let file_type = metadata.file_type();
    let node = if file_type.is_symlink() {
        Node::Symlink(std::fs::read_link(path).map_err(io(path))?)
    } else if file_type.is_file() {
        let fits = budget.bytes.checked_sub(metadata.len());
        let large = budget.identify && metadata.len() > GUARDED_FILE_BYTES;
        match (fits, budget.identify) {
            (Some(left), _) if !large => {
                budget.bytes = left;
                Node::File {
                    mode,
                    contents: std::fs::read(path).map_err(io(path))?,
                }
            }
            (_, true) => Node::Identified {
                inode: metadata.ino(),
                size: metadata.len(),
                modified_ns: metadata.mtime() * 1_000_000_000 + metadata.mtime_nsec(),
                changed_ns: metadata.ctime() * 1_000_000_000 + metadata.ctime_nsec(),
            },
            (_, false) => return Err(SnapshotError::TooLarge),
        }
    } else if file_type.is_dir() {
        let mut children = BTreeMap::new();
        for entry in std::fs::read_dir(path).map_err(io(path))? {
            let entry = entry.map_err(io(path))?;
            if let Some(child) = read_node(&entry.path(), budget)? {
                children.insert(entry.file_name(), child);
            }
        }
        Node::Dir { mode, children }
    } else {
        Node::Other
    };
    Ok(Some(node))
}

/// Whether `path` is as `saved` (compared as it was saved: whole, or by
/// identity).
fn unchanged(path: &Path, saved: Option<&Node>) -> Result<bool, SnapshotError> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if is_missing(&error) => return Ok(saved.is_none()),
        Err(error) => return Err(io(path)(error)),
    };
    let Some(saved) = saved else {
        return Ok(false);
    };
    let (file_type, mode) = (metadata.file_type(), metadata.mode() & 0o7777);
    Ok(match saved {
        Node::File {
            mode: bits,
            contents,
        } => {
            file_type.is_file()
                && mode == *bits
                && metadata.len() == contents.len() as u64
                && std::fs::read(path).map_err(io(path))? == *contents
        }
        Node::Identified { .. } => {
            file_type.is_file()
                && read_node(path, &mut Budget::identified_past(0))?.as_ref() == Some(saved)
        }
        Node::Symlink(target) => {
            file_type.is_symlink() && std::fs::read_link(path).map_err(io(path))? == *target
        }
        Node::Dir {
            mode: bits,
            children,
        } => {
            if !file_type.is_dir() || mode != *bits {
                return Ok(false);
            }
            let mut names = BTreeSet::new();
            for entry in std::fs::read_dir(path).map_err(io(path))? {
                names.insert(entry.map_err(io(path))?.file_name());
            }
            if !names.iter().eq(children.keys()) {
                return Ok(false);
            }
            for (name, child) in children {
                if !unchanged(&path.join(name), Some(child))? {
                    return Ok(false);
                }
            }
            true
        }
        Node::Other => !file_type.is_file() && !file_type.is_dir() && !file_type.is_symlink(),
    })
}

/// Writes `node` at `path`; false if some of it was saved only by identity
/// and could not be written back.
fn write_node(path: &Path, node: &Node) -> Result<bool, SnapshotError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let mode = |mode: u32| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    match node {
        Node::File {
            mode: bits,
            contents,
        } => {
            std::fs::write(path, contents).map_err(io(path))?;
            mode(*bits).map_err(io(path))?;
            Ok(true)
        }
        Node::Symlink(target) => std::os::unix::fs::symlink(target, path)
            .map(|()| true)
            .map_err(io(path)),
        Node::Dir {
            mode: bits,
            children,
        } => {
            std::fs::create_dir(path).map_err(io(path))?;
            let mut whole = true;
            for (name, child) in children {
                whole &= write_node(&path.join(name), child)?;
            }
            mode(*bits).map_err(io(path))?;
            Ok(whole)
        }
        Node::Identified { .. } => Ok(false),
        Node::Other => Ok(true),
    }
}

/// Renames `from` to `to`, copying when they are on different filesystems.
fn move_away(from: &Path, to: &Path) -> Result<(), SnapshotError> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    if let Some(node) = read_node(from, &mut Budget::unlimited())? {
        write_node(to, &node)?;
    }
    let metadata = std::fs::symlink_metadata(from).map_err(io(from))?;
    if metadata.is_dir() {
        std::fs::remove_dir_all(from).map_err(io(from))
    } else {
        std::fs::remove_file(from).map_err(io(from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_created_and_deleted_entries_are_restored() {
        let dir = tempfile::tempdir().unwrap();
        let hooks = dir.path().join("hooks");
        std::fs::create_dir(&hooks).unwrap();
        std::fs::write(hooks.join("pre-commit"), "original").unwrap();
        let absent = dir.path().join("ci.yml");
        let mut budget = Budget::whole(MAX_SNAPSHOT_BYTES);
        let snapshot = Snapshot {
            saved: vec![
                (hooks.clone(), read_node(&hooks, &mut budget).unwrap()),
                (absent.clone(), None),
            ],
            guarded: Vec::new(),
        };
        std::fs::write(hooks.join("pre-commit"), "evil").unwrap();
        std::fs::write(hooks.join("post-checkout"), "evil").unwrap();
        std::fs::write(&absent, "evil").unwrap();
        let quarantine = dir.path().join("q");
        let restored = snapshot.check_and_restore(&quarantine).unwrap();
        assert_eq!(restored.len(), 2);
        assert_eq!(
            std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
            "original"
        );
        assert!(!hooks.join("post-checkout").exists());
        assert!(!absent.exists());
        let kept = restored[0].quarantined.as_ref().unwrap();
        assert_eq!(
            std::fs::read_to_string(kept.join("post-checkout")).unwrap(),
            "evil"
        );
        assert!(snapshot.check_and_restore(&quarantine).unwrap().is_empty());
    }
}
