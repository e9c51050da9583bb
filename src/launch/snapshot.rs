//! The end-of-session check of protected paths.
//!
//! A snapshot of each protected path is taken before the session starts and
//! compared when it ends; a path that changed is moved to a quarantine
//! directory (so nothing the session wrote is lost) and the saved version is
//! put back. With a mount namespace this only covers paths that did not exist
//! at launch (a bind mount needs an existing target); without one it is the
//! whole protection, and it is weaker: the change is visible while the session
//! runs.

use crate::policy::{Policy, ProtectionMechanism};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The most a snapshot may hold before guard refuses to start.
pub const MAX_SNAPSHOT_BYTES: u64 = 32 * 1024 * 1024;

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
    Other,
}

/// The saved state of the protected paths.
#[derive(Debug, Default)]
pub struct Snapshot {
    saved: Vec<(PathBuf, Option<Node>)>,
}

/// A protected path the session changed, and what guard did about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    /// The protected path.
    pub path: PathBuf,
    /// Where the session's version was moved, if there was one.
    pub quarantined: Option<PathBuf>,
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
        let mut budget = MAX_SNAPSHOT_BYTES;
        let mut saved = Vec::new();
        for protected in &policy.protection.paths {
            let needed = match policy.protection.mechanism {
                ProtectionMechanism::NotNeeded => false,
                // A guarded tree is judged name by name by the supervisor in
                // both modes; a copy of it would undo the work it allows.
                ProtectionMechanism::SupervisorAndMounts => {
                    !protected.exists && protected.allow.is_empty()
                }
                ProtectionMechanism::Supervisor => protected.allow.is_empty(),
            };
            if needed {
                saved.push((
                    protected.path.clone(),
                    read_node(&protected.path, &mut budget)?,
                ));
            }
        }
        Ok(Snapshot { saved })
    }

    /// Compares each saved path with what is there now and restores the saved
    /// version where they differ, moving the session's version under
    /// `quarantine`.
    pub fn check_and_restore(&self, quarantine: &Path) -> Result<Vec<Restored>, SnapshotError> {
        let mut restored = Vec::new();
        for (path, saved) in &self.saved {
            let mut unlimited = u64::MAX;
            let now = read_node(path, &mut unlimited)?;
            if &now == saved {
                continue;
            }
            let quarantined = if now.is_some() {
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
            if let Some(node) = saved {
                write_node(path, node)?;
            }
            restored.push(Restored {
                path: path.clone(),
                quarantined,
            });
        }
        Ok(restored)
    }
}

fn read_node(path: &Path, budget: &mut u64) -> Result<Option<Node>, SnapshotError> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io(path)(error)),
    };
    let mode = metadata.mode() & 0o7777;
    let file_type = metadata.file_type();
    let node = if file_type.is_symlink() {
        Node::Symlink(std::fs::read_link(path).map_err(io(path))?)
    } else if file_type.is_file() {
        *budget = budget
            .checked_sub(metadata.len())
            .ok_or(SnapshotError::TooLarge)?;
        Node::File {
            mode,
            contents: std::fs::read(path).map_err(io(path))?,
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

fn write_node(path: &Path, node: &Node) -> Result<(), SnapshotError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    match node {
        Node::File { mode, contents } => {
            std::fs::write(path, contents).map_err(io(path))?;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode)).map_err(io(path))
        }
        Node::Symlink(target) => std::os::unix::fs::symlink(target, path).map_err(io(path)),
        Node::Dir { mode, children } => {
            std::fs::create_dir(path).map_err(io(path))?;
            for (name, child) in children {
                write_node(&path.join(name), child)?;
            }
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode)).map_err(io(path))
        }
        Node::Other => Ok(()),
    }
}

/// Renames `from` to `to`, copying when they are on different filesystems.
fn move_away(from: &Path, to: &Path) -> Result<(), SnapshotError> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    let mut unlimited = u64::MAX;
    if let Some(node) = read_node(from, &mut unlimited)? {
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
        let mut budget = MAX_SNAPSHOT_BYTES;
        let snapshot = Snapshot {
            saved: vec![
                (hooks.clone(), read_node(&hooks, &mut budget).unwrap()),
                (absent.clone(), None),
            ],
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
