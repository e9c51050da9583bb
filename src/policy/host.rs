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

/// The real machine, with the environment captured once. What a path
/// resolves to (or why it does not) and where a program is found are
/// remembered, so a compile sees one view of them and asks the kernel once
/// per question: a profile resolves ~60 tools, most in the same few
/// directories and sharing one dynamic loader, and probes each of ~400
/// protected names from more than one rule.
#[derive(Debug, Clone)]
pub struct RealHost {
    vars: BTreeMap<String, String>,
    resolved: Memo<PathBuf, Result<PathBuf, i32>>,
    programs: Memo<(String, String), Option<PathBuf>>,
}

/// Answers already given, by question.
type Memo<K, V> = std::cell::RefCell<std::collections::HashMap<K, V>>;

impl RealHost {
    /// Captures the current process environment (non-UTF-8 variables are dropped).
    pub fn from_process() -> RealHost {
        RealHost {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            resolved: Default::default(),
            programs: Default::default(),
        }
    }
}

impl HostView for RealHost {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        if let Some(known) = self.resolved.borrow().get(path) {
            return known.clone().map_err(std::io::Error::from_raw_os_error);
        }
        let resolved = self.resolve(path);
        // Failures are remembered by their errno (most are "not there").
        let remembered = match &resolved {
            Ok(real) => Ok(real.clone()),
            Err(error) => match error.raw_os_error() {
                Some(errno) => Err(errno),
                None => return resolved,
            },
        };
        self.resolved
            .borrow_mut()
            .insert(path.to_path_buf(), remembered);
        resolved
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
        let key = (name.to_string(), path_var.to_string());
        if let Some(known) = self.programs.borrow().get(&key) {
            return known.clone();
        }
        let found = look_up_program(name, path_var);
        self.programs.borrow_mut().insert(key, found.clone());
        found
    }
}

impl RealHost {
    /// [`HostView::canonicalize`], asked of the kernel.
    fn resolve(&self, path: &Path) -> std::io::Result<PathBuf> {
        // A file that is not a symlink, in a directory already resolved,
        // needs one lstat instead of a readlink per path component.
        let metadata = std::fs::symlink_metadata(path)?;
        match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) if !metadata.file_type().is_symlink() && path.is_absolute() => {
                Ok(self.canonicalize(dir)?.join(name))
            }
            _ => std::fs::canonicalize(path),
        }
    }
}

/// The directory a `PATH` entry names for a shell whose working directory
/// is the repository's top: an absolute entry as it resolves, or as written
/// where it does not resolve yet (the session could make it); a relative
/// one from the top, where the part up to its last `..` must resolve (the
/// kernel walks through it: `.git/safe/../../bin` names `bin` only once the
/// user has made `.git/safe`). The empty entry and `.` name the top itself.
pub fn path_entry_dir(host: &dyn HostView, repo: &Path, entry: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let path = repo.join(entry);
    if let Ok(resolved) = host.canonicalize(&path) {
        return Some(resolved);
    }
    if entry.is_absolute() {
        return Some(super::lexically_normal(&path));
    }
    let components: Vec<_> = entry.components().collect();
    let last_up = components
        .iter()
        .rposition(|component| *component == Component::ParentDir);
    let (through, rest) = components.split_at(last_up.map_or(0, |at| at + 1));
    let base = repo.join(through.iter().collect::<PathBuf>());
    let base = host.canonicalize(&base).ok()?;
    Some(super::lexically_normal(
        &base.join(rest.iter().collect::<PathBuf>()),
    ))
}

/// A file of a work tree as it is now, as git would stage it, read by its
/// path without following a last symbolic link: the index check reads the
/// session's view (the session cannot move the directories above a
/// protected path, nor change what is there), the session's end the
/// user's. A regular file larger than `limit` bytes is
/// [`WorkTreeFile::Other`].
pub fn work_tree_file(path: &Path, limit: u64) -> super::WorkTreeFile {
    use super::WorkTreeFile;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let Ok(status) = std::fs::symlink_metadata(path) else {
        return WorkTreeFile::Missing;
    };
    if status.file_type().is_symlink() {
        return match std::fs::read_link(path) {
            Ok(target) => WorkTreeFile::Symlink(target.into_os_string().into_encoded_bytes()),
            Err(_) => WorkTreeFile::Other,
        };
    }
    if !status.file_type().is_file() || status.len() > limit {
        return WorkTreeFile::Other;
    }
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let mut content = Vec::new();
    match opened.and_then(|file| file.take(limit).read_to_end(&mut content)) {
        Ok(_) => WorkTreeFile::Regular {
            executable: status.mode() & 0o100 != 0,
            content,
        },
        Err(_) => WorkTreeFile::Other,
    }
}

/// [`HostView::find_program`], asked of the kernel.
fn look_up_program(name: &str, path_var: &str) -> Option<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_host_answers_each_question_once() {
        let dir = tempfile::tempdir().unwrap();
        let tool_dir = dir.path().join("bin");
        std::fs::create_dir(&tool_dir).unwrap();
        let missing = dir.path().join(".envrc");
        let path_var = tool_dir.to_string_lossy().into_owned();
        let host = RealHost::from_process();
        let error = host.canonicalize(&missing).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(host.find_program("tool", &path_var), None);

        // What appears after a question was answered is not seen by the same
        // host (one compile, one view of the machine) ...
        std::fs::write(&missing, "x").unwrap();
        let tool = tool_dir.join("tool");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        let again = host.canonicalize(&missing).unwrap_err();
        assert_eq!(again.raw_os_error(), error.raw_os_error());
        assert_eq!(host.find_program("tool", &path_var), None);

        // ... and is by the next.
        let next = RealHost::from_process();
        let real = dir.path().canonicalize().unwrap();
        assert_eq!(next.canonicalize(&missing).unwrap(), real.join(".envrc"));
        assert_eq!(next.find_program("tool", &path_var), Some(tool));
    }
}
