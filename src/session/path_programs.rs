//! Programs a session adds to a directory of the repository on the user's
//! `PATH`, ahead of a program of the same name. Installed dependencies'
//! program directories (`node_modules/.bin`, an activated virtual
//! environment's `bin`, Composer's `vendor/bin`) stay writable, since an
//! install must add its programs there (`docs/security.md`); a `git` added
//! there runs at the user's next `git` in that shell, unconfined. guard
//! tells the user, and the log records it.

use crate::audit::{Event, EventKind};
use crate::policy::{HostView, RealHost, path_entry_dir};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// At most this many programs are told one by one; the rest are counted.
const TOLD: usize = 20;

/// The names in each directory of the repository on the user's `PATH`.
#[derive(Debug, Default)]
pub struct PathPrograms {
    repo: PathBuf,
    dirs: Vec<OnPath>,
}

/// A directory of the repository on `PATH`, as it was.
#[derive(Debug)]
struct OnPath {
    /// The entry as `PATH` has it.
    entry: String,
    dir: PathBuf,
    names: BTreeSet<OsString>,
    /// The entries after it: where the programs it would shadow are.
    later: String,
}

impl PathPrograms {
    /// The directories of `repo` that `path_var` names (relative entries
    /// from its top, as in the policy), and their names now.
    pub fn of(repo: &Path, path_var: &str) -> PathPrograms {
        let host = RealHost::from_process();
        let entries: Vec<&str> = path_var.split(':').collect();
        let dirs = entries
            .iter()
            .enumerate()
            .filter_map(|(at, entry)| {
                let dir = path_entry_dir(&host, repo, Path::new(entry))?;
                dir.starts_with(repo).then(|| OnPath {
                    entry: entry.to_string(),
                    names: names_in(&dir),
                    dir,
                    later: entries[at + 1..].join(":"),
                })
            })
            .collect();
        PathPrograms {
            repo: repo.to_path_buf(),
            dirs,
        }
    }

    /// A record and a notice for each program added since [`Self::of`] that
    /// the user's shell finds before one of the same name outside the
    /// repository.
    pub fn added(&self) -> Vec<(Event, String)> {
        let host = RealHost::from_process();
        let mut added = Vec::new();
        for on_path in &self.dirs {
            for name in names_in(&on_path.dir).difference(&on_path.names) {
                let program = on_path.dir.join(name);
                let Some(name) = name.to_str().filter(|_| is_executable_file(&program)) else {
                    continue;
                };
                let Some(shadowed) = host
                    .find_program(name, &on_path.later)
                    .filter(|found| !found.starts_with(&self.repo))
                else {
                    continue;
                };
                added.push((on_path, program, shadowed));
            }
        }
        let mut told: Vec<(Event, String)> = added
            .iter()
            .take(TOLD)
            .map(|(on_path, program, shadowed)| {
                let event = Event::new(EventKind::PathShadow, None)
                    .with("path", program.to_string_lossy().into_owned())
                    .with("shadows", shadowed.to_string_lossy().into_owned())
                    .with("entry", on_path.entry.clone());
                let notice = format!(
                    "the session added {}, which your shell finds before {} (PATH entry `{}`): the next such command there runs it, unconfined; remove it, or install the dependencies again (npm ci, uv sync --reinstall)",
                    program.display(),
                    shadowed.display(),
                    on_path.entry
                );
                (event, notice)
            })
            .collect();
        if added.len() > TOLD {
            let rest = added.len() - TOLD;
            let event = Event::new(EventKind::PathShadow, None).with("more", rest as u64);
            told.push((
                event,
                format!("… and {rest} more programs added ahead of others on your PATH (the log has the first {TOLD})"),
            ));
        }
        told
    }
}

/// The names in `dir` (none if it cannot be read).
fn names_in(dir: &Path) -> BTreeSet<OsString> {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|entry| entry.file_name()).collect())
        .unwrap_or_default()
}

/// Whether a shell would run `path`: a regular file (through links) with an
/// execute bit.
fn is_executable_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
