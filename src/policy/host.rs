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
}

/// The real machine, with the environment captured once.
#[derive(Debug, Clone)]
pub struct RealHost {
    vars: BTreeMap<String, String>,
}

impl RealHost {
    /// Captures the current process environment (non-UTF-8 variables are dropped).
    pub fn from_process() -> RealHost {
        RealHost {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }
}

impl HostView for RealHost {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        std::fs::canonicalize(path)
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

    fn find_program(&self, name: &str, path_var: &str) -> Option<PathBuf> {
        which::which_in(name, Some(path_var), "/").ok()
    }
}
