//! The compiler's only window on the machine: environment variables and a few
//! read-only filesystem queries. Tests substitute their own view.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What [`super::compile`] may learn about the host.
pub trait HostView {
    /// The parent's environment variable `name`.
    fn var(&self, name: &str) -> Option<String>;
    /// The path with every symlink resolved, or an error if it does not exist.
    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf>;
    /// Whether the (resolved) path is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// Up to `limit` bytes from the start of a file.
    fn read_head(&self, path: &Path, limit: usize) -> std::io::Result<Vec<u8>>;
    /// Looks `name` up in the colon-separated `path_var` like a shell would.
    fn find_program(&self, name: &str, path_var: &str) -> Option<PathBuf>;
    /// The names in a directory (UTF-8 ones), sorted.
    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<String>>;
}

/// The real machine, with the environment captured once. Resolved paths are
/// cached: a profile resolves ~60 tools, most in the same few directories and
/// sharing one dynamic loader.
#[derive(Debug, Clone)]
pub struct RealHost {
    vars: BTreeMap<String, String>,
    resolved: std::cell::RefCell<std::collections::HashMap<PathBuf, PathBuf>>,
}

impl RealHost {
    /// Captures the current process environment (non-UTF-8 variables are dropped).
    pub fn from_process() -> RealHost {
        RealHost {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            resolved: Default::default(),
        }
    }
}

impl HostView for RealHost {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        if let Some(known) = self.resolved.borrow().get(path) {
            return Ok(known.clone());
        }
        // A file that is not a symlink, in a directory already resolved,
        // needs one lstat instead of a readlink per path component.
        let metadata = std::fs::symlink_metadata(path)?;
        let real = match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) if !metadata.file_type().is_symlink() && path.is_absolute() => {
                self.canonicalize(dir)?.join(name)
            }
            _ => std::fs::canonicalize(path)?,
        };
        self.resolved
            .borrow_mut()
            .insert(path.to_path_buf(), real.clone());
        Ok(real)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn read_head(&self, path: &Path, limit: usize) -> std::io::Result<Vec<u8>> {
        let mut buffer = Vec::with_capacity(limit);
        std::fs::File::open(path)?
            .take(limit as u64)
            .read_to_end(&mut buffer)?;
        Ok(buffer)
    }

    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(path)?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names)
    }

    fn find_program(&self, name: &str, path_var: &str) -> Option<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        // Like a shell: the first PATH entry holding an executable file of
        // that name (empty and relative entries are skipped: guard never
        // resolves tools against the current directory).
        path_var
            .split(':')
            .filter(|dir| dir.starts_with('/'))
            .map(|dir| Path::new(dir).join(name))
            .find(|candidate| {
                std::fs::metadata(candidate)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    }
}
