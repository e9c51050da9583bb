//! The session's identity and private directories.

use crate::policy::SessionPaths;
use std::io::Read;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

/// A new session: its id and where its private directories go.
#[derive(Debug, Clone)]
pub struct Session {
    /// 16 hex digits from the kernel's random source.
    pub id: String,
    /// The private directories.
    pub paths: SessionPaths,
}

impl Session {
    /// Picks a fresh id and lays out (without creating) the session directories
    /// under the system temp dir.
    pub fn new() -> std::io::Result<Session> {
        let mut bytes = [0u8; 8];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let base = std::fs::canonicalize(std::env::temp_dir())?;
        let dir = base.join(format!("guard-{id}"));
        Ok(Session {
            id,
            paths: SessionPaths {
                home: dir.join("home"),
                tmp: dir.join("tmp"),
                dir,
            },
        })
    }

    /// Creates the session directories, private to the user (mode 0700). Fails
    /// if the directory already exists.
    pub fn create_dirs(&self) -> std::io::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.mode(0o700);
        builder.create(&self.paths.dir)?;
        builder.create(&self.paths.home)?;
        builder.create(&self.paths.tmp)
    }

    /// Removes the session directories and everything in them.
    pub fn remove_dirs(&self) -> std::io::Result<()> {
        make_writable(&self.paths.dir);
        std::fs::remove_dir_all(&self.paths.dir)
    }
}

/// A session may leave read-only directories behind (`chmod -w`); make the
/// tree removable before removing it.
fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    // First the mode, then the listing: overlayfs leaves its work directory
    // with no permission at all.
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            make_writable(&entry.path());
        }
    }
}
