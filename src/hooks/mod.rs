//! Git hooks: installing guard's shims (chaining whatever hook was there) and
//! the checks `guard hook run` makes before the repository's own hook runs.

pub mod claude;
pub mod gemini;
pub mod patch;
pub mod shell;
pub mod trust;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The first lines of every shim guard installs; how it recognises its own.
pub const SHIM_MARKER: &str = "# guard-hook-shim v1";
/// The suffix a chained (original) hook is kept under.
pub const CHAINED_SUFFIX: &str = ".guard-chained";
/// The hooks `guard hook install` sets up by default.
pub const DEFAULT_HOOKS: &[&str] = &["pre-commit", "prepare-commit-msg", "commit-msg"];

/// Why installing or removing shims failed.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// A hook exists that guard does not recognise and will not chain.
    #[error("{path} is {what}; guard will not replace it (use --force to chain it anyway)")]
    Unrecognised {
        /// The hook.
        path: PathBuf,
        /// What it is.
        what: String,
    },
    /// A hook name is not a plain file name.
    #[error("`{0}` is not a hook name")]
    BadName(String),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HookError + '_ {
    move |source| HookError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The shim for `hook`, calling `guard`.
pub fn shim(guard: &Path, hook: &str) -> String {
    let guard = guard.to_string_lossy().replace('\'', "'\\''");
    format!(
        "#!/bin/sh\n{SHIM_MARKER}: installed by `guard hook install`; `guard hook uninstall` restores what was here.\nexec '{guard}' hook run {hook} \"$@\"\n"
    )
}

/// What `install` did to one hook.
#[derive(Debug, Clone, PartialEq)]
pub enum Installed {
    /// A shim was written; nothing was there.
    New,
    /// A shim was written; the hook that was there is chained.
    Chained,
    /// guard's shim was already there (rewritten, unchanged in effect).
    AlreadyInstalled,
}

/// Installs shims for `hooks` in `dir`. An existing hook that is a regular
/// file is chained (renamed `NAME.guard-chained`); anything else (a symlink,
/// a directory), or a chained hook already in the way, is refused unless
/// `force`.
pub fn install(
    dir: &Path,
    guard: &Path,
    hooks: &[String],
    force: bool,
) -> Result<Vec<(String, Installed)>, HookError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut done = Vec::new();
    // Check everything first: refuse before changing anything.
    for hook in hooks {
        if hook.is_empty() || hook.contains('/') || hook.starts_with('.') {
            return Err(HookError::BadName(hook.clone()));
        }
        let path = dir.join(hook);
        let chained = dir.join(format!("{hook}{CHAINED_SUFFIX}"));
        if is_shim(&path) || force {
            continue;
        }
        match std::fs::symlink_metadata(&path) {
            Err(_) => {}
            Ok(metadata) if metadata.file_type().is_file() && chained.exists() => {
                return Err(HookError::Unrecognised {
                    path: chained,
                    what: "already a chained hook".into(),
                });
            }
            Ok(metadata) if metadata.file_type().is_file() => {}
            Ok(metadata) => {
                return Err(HookError::Unrecognised {
                    path,
                    what: if metadata.file_type().is_symlink() {
                        "a symlink".into()
                    } else {
                        "not a regular file".into()
                    },
                });
            }
        }
    }
    for hook in hooks {
        let path = dir.join(hook);
        let chained = dir.join(format!("{hook}{CHAINED_SUFFIX}"));
        let outcome = if is_shim(&path) {
            Installed::AlreadyInstalled
        } else if std::fs::symlink_metadata(&path).is_ok() {
            if chained.exists() {
                // --force: the older chained hook is kept aside, not lost.
                let aside = dir.join(format!("{hook}{CHAINED_SUFFIX}.old"));
                std::fs::rename(&chained, &aside).map_err(io(&chained))?;
            }
            std::fs::rename(&path, &chained).map_err(io(&path))?;
            Installed::Chained
        } else {
            Installed::New
        };
        std::fs::write(&path, shim(guard, hook)).map_err(io(&path))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(io(&path))?;
        done.push((hook.clone(), outcome));
    }
    Ok(done)
}

/// Removes guard's shims from `dir` and puts chained hooks back. Returns the
/// hooks it touched.
pub fn uninstall(dir: &Path) -> Result<Vec<String>, HookError> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(removed);
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if !is_shim(&path) {
            continue;
        }
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        std::fs::remove_file(&path).map_err(io(&path))?;
        let chained = dir.join(format!("{name}{CHAINED_SUFFIX}"));
        if chained.exists() {
            std::fs::rename(&chained, &path).map_err(io(&chained))?;
        }
        removed.push(name);
    }
    Ok(removed)
}

/// Whether `path` is a shim guard wrote.
pub fn is_shim(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
        && std::fs::read_to_string(path).is_ok_and(|text| {
            text.lines()
                .nth(1)
                .is_some_and(|l| l.starts_with(SHIM_MARKER))
        })
}

/// The chained hook for `hook` in `dir`, if there is one to run.
pub fn chained(dir: &Path, hook: &str) -> Option<PathBuf> {
    let path = dir.join(format!("{hook}{CHAINED_SUFFIX}"));
    std::fs::metadata(&path)
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_chains_is_idempotent_and_uninstall_restores() {
        let dir = tempfile::tempdir().unwrap();
        let hooks = dir.path();
        std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\necho mine\n").unwrap();
        let guard = Path::new("/usr/bin/guard");
        let names: Vec<String> = vec!["pre-commit".into(), "commit-msg".into()];
        let done = install(hooks, guard, &names, false).unwrap();
        assert_eq!(done[0].1, Installed::Chained);
        assert_eq!(done[1].1, Installed::New);
        assert!(is_shim(&hooks.join("pre-commit")));
        assert_eq!(
            std::fs::read_to_string(hooks.join("pre-commit.guard-chained")).unwrap(),
            "#!/bin/sh\necho mine\n"
        );
        let again = install(hooks, guard, &names, false).unwrap();
        assert!(again.iter().all(|(_, o)| *o == Installed::AlreadyInstalled));
        assert_eq!(
            uninstall(hooks).unwrap(),
            vec!["commit-msg".to_string(), "pre-commit".to_string()]
        );
        assert_eq!(
            std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
            "#!/bin/sh\necho mine\n"
        );
        assert!(!hooks.join("commit-msg").exists());
    }

    #[test]
    fn a_symlinked_hook_is_refused_without_force() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/bin/true", dir.path().join("pre-commit")).unwrap();
        let names = vec!["pre-commit".to_string()];
        let error = install(dir.path(), Path::new("/g"), &names, false).unwrap_err();
        assert!(error.to_string().contains("symlink"), "{error}");
        assert!(install(dir.path(), Path::new("/g"), &names, true).is_ok());
    }
}
