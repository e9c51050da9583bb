//! Commits a session left on refs that change protected paths.
//!
//! The session may commit, and a commit it builds with git's plumbing
//! (`hash-object`, `commit-tree`, `update-ref`) may hold any file, one the
//! boundary keeps it from writing in the work tree included:
//! `.husky/pre-commit`, `.vscode/tasks.json`. The user's next `git
//! checkout` of that branch, `git reset --hard` to it, `git merge` of it or
//! `git stash pop` writes the file into the work tree, where it runs
//! unconfined at the following commit. So every ref the session changed
//! (branches, tags, remote-tracking refs, the stash, a detached `HEAD`,
//! `ORIG_HEAD`, `FETCH_HEAD`) is compared with what it named before (a new
//! ref with the commit `HEAD` named), and so is every commit written into
//! a reflog since (`HEAD@{1}`, where `git reset --hard HEAD@{1}` goes back
//! to); each protected path that differs, and that the work tree does not
//! already hold as the commit has it (the user's own edit, committed by
//! the session), is told to the user and recorded.

use crate::audit::{Event, EventKind};
use crate::policy::{Change, ObjectFormat, Protection, WorkTreeFile, work_tree_file};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

mod reflogs;
mod refs;

pub use refs::Refs;

/// The largest work tree file compared with a ref's (a larger one counts
/// as different).
const MAX_COMPARED: u64 = 64 * 1024 * 1024;
/// At most this many paths are named in a record.
const MAX_NAMED: usize = 100;
/// At most this many commits are compared (a `git diff-tree` each, a few
/// milliseconds); refs changed to others are told as not checked.
const MAX_COMPARISONS: usize = 256;

/// A record and a notice for each commit the session set refs to that
/// changes protected paths of the work tree at `repo` (the refs set to the
/// same commit from the same one together), compared by `git` (the
/// user's, never one the session may write). The notices name refs and
/// paths the session chose: whoever prints them escapes them.
pub fn commits_left(
    before: &Refs,
    after: &Refs,
    repo: &Path,
    protection: &Protection,
    git: Option<&Path>,
) -> Vec<(Event, String)> {
    let (changed, unread) = after.changed_since(before);
    let mut left: Vec<(Event, String)> = unread
        .iter()
        .map(|name| {
            not_checked(&format!(
                "the reflog of {name} was rewritten in the session, or grew by more than \
                 guard reads"
            ))
        })
        .collect();
    let mut groups: BTreeMap<(Option<String>, String), Vec<String>> = BTreeMap::new();
    for (name, base, id) in changed {
        groups.entry((base, id)).or_default().push(name);
    }
    if groups.is_empty() {
        return left;
    }
    let Some(git) = git.filter(|_| !after.reftable) else {
        let why = match after.reftable {
            true => "its refs are in the reftable format, which guard does not read",
            false => "no git was found outside what the session may write",
        };
        left.push(not_checked(why));
        return left;
    };
    let mut not_compared = 0;
    for (index, ((base, id), names)) in groups.into_iter().enumerate() {
        if index >= MAX_COMPARISONS {
            not_compared += names.len();
            continue;
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let (base, id) = (base.as_deref(), id.as_str());
        match changed_paths(git, repo, base, id) {
            Ok(paths) => {
                let protected = protected_paths(&paths, repo, protection);
                if !protected.is_empty() {
                    left.push(told(&names, base, id, &protected));
                }
            }
            Err(error) => left.push(unchecked(&names, id, &error)),
        }
    }
    if not_compared > 0 {
        left.push(not_checked(&format!(
            "{not_compared} changed refs were left after the first {MAX_COMPARISONS} commits compared"
        )));
    }
    left
}

/// The protected paths of the work tree at `repo` that `commits` change
/// from their first parents (what a rebase's `pick` of each applies to the
/// work tree), and the commits that could not be compared (git's
/// complaint, or past the first [`MAX_COMPARISONS`]).
pub fn protected_in_commits(
    commits: &[&str],
    repo: &Path,
    protection: &Protection,
    git: Option<&Path>,
) -> (Vec<String>, Vec<String>) {
    let Some(git) = git else {
        return (Vec::new(), commits.iter().map(|c| c.to_string()).collect());
    };
    let (mut protected, mut unchecked) = (Vec::new(), Vec::new());
    for (index, commit) in commits.iter().enumerate() {
        if index >= MAX_COMPARISONS {
            unchecked.push(commit.to_string());
            continue;
        }
        match changed_paths(git, repo, None, commit) {
            Ok(paths) => protected.extend(protected_paths(&paths, repo, protection)),
            Err(_) => unchecked.push(commit.to_string()),
        }
    }
    protected.sort();
    protected.dedup();
    (protected, unchecked)
}

/// `names` for a notice: the first few, and how many more.
fn named(names: &[&str]) -> String {
    match names {
        [one] => one.to_string(),
        _ if names.len() <= 3 => names.join(", "),
        _ => format!(
            "{} and {} more refs",
            names[..3].join(", "),
            names.len() - 3
        ),
    }
}

/// The record and notice of refs `names`, now `id`, whose commit changes
/// the `protected` paths from what `base` had.
fn told(names: &[&str], base: Option<&str>, id: &str, protected: &[String]) -> (Event, String) {
    let event = Event::new(EventKind::GitLeft, None)
        .with("operation", "commits that change protected paths")
        .with("path", named(names))
        .with("refs", names[..names.len().min(MAX_NAMED)].to_vec())
        .with("refs_count", names.len())
        .with("from", base.unwrap_or_default())
        .with("to", id)
        .with(
            "protected",
            protected
                .iter()
                .take(MAX_NAMED)
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .with("protected_count", protected.len());
    let shown: Vec<&str> = protected.iter().take(3).map(String::as_str).collect();
    let more = match protected.len() - shown.len() {
        0 => String::new(),
        more => format!(" and {more} more"),
    };
    let review = match base {
        Some(base) => format!("`git diff {base} {id}`"),
        None => format!("`git show {id}`"),
    };
    let notice = format!(
        "{} now name{} a commit, set by the session, that changes protected paths ({}{more}): \
         a `git checkout`, `reset --hard`, `merge` or `stash pop` of it writes them into the \
         work tree, where they run or steer programs unconfined; read {review} first",
        named(names),
        if names.len() == 1 { "s" } else { "" },
        shown.join(", ")
    );
    (event, notice)
}

/// The record and notice of refs `names`, now `id`, whose commit could
/// not be compared.
fn unchecked(names: &[&str], id: &str, error: &str) -> (Event, String) {
    let event = Event::new(EventKind::GitLeft, None)
        .with("operation", "refs changed, not checked")
        .with("path", named(names))
        .with("refs", names[..names.len().min(MAX_NAMED)].to_vec())
        .with("to", id)
        .with("why", error);
    let notice = format!(
        "{} {} set by the session to {id}, and whether that changes protected paths could \
         not be checked ({error}): read what it names before you check it out",
        named(names),
        if names.len() == 1 { "was" } else { "were" },
    );
    (event, notice)
}

/// The record and notice of refs the session changed that were not
/// compared at all, and `why`.
fn not_checked(why: &str) -> (Event, String) {
    let event = Event::new(EventKind::GitLeft, None)
        .with("operation", "refs changed, not checked")
        .with("why", why);
    let notice = format!(
        "the session changed refs of the repository, and whether their commits change \
         protected paths was not checked ({why}): read `git log -p --all` of what it \
         committed before you check anything out"
    );
    (event, notice)
}

/// One path a commit changes, as `git diff-tree --raw` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ChangedPath {
    /// `A`, `D`, `M`, `T`.
    status: u8,
    /// The mode the commit gives it (0 when deleted).
    mode: u32,
    /// The object the commit names there (hex; zeros when deleted).
    id: String,
    /// The path, relative to the work tree's top.
    path: Vec<u8>,
}

/// The paths `id` changes from `base` (every path of `id` when there is
/// none), by `git diff-tree`, which reads objects only: the repository's
/// own configuration runs nothing for it, and the user's is not read.
fn changed_paths(
    git: &Path,
    repo: &Path,
    base: Option<&str>,
    id: &str,
) -> Result<Vec<ChangedPath>, String> {
    let mut command = std::process::Command::new(git);
    command
        .arg("-C")
        .arg(repo)
        .args(["-c", "core.fsmonitor=false", "-c", "safe.directory=*"])
        .args([
            "diff-tree",
            "-r",
            "-z",
            "--raw",
            "--no-abbrev",
            "--no-renames",
        ]);
    match base {
        Some(base) => command.arg(base),
        None => command.arg("--root"),
    };
    let output = command
        .arg(id)
        .stdin(std::process::Stdio::null())
        .env_clear()
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .map_err(|error| format!("{}: {error}", git.display()))?;
    if !output.status.success() {
        let complaint = String::from_utf8_lossy(&output.stderr);
        return Err(format!("git diff-tree: {}", complaint.trim()));
    }
    Ok(parse_raw(&output.stdout))
}

/// `git diff-tree -r -z --raw` output: `:MODE MODE ID ID STATUS\0PATH\0`
/// for each path (a line naming the commit first when there is one).
fn parse_raw(output: &[u8]) -> Vec<ChangedPath> {
    let mut fields = output.split(|&b| b == 0);
    let mut changed = Vec::new();
    while let Some(field) = fields.next() {
        let Some(meta) = field.strip_prefix(b":") else {
            continue;
        };
        let Some(path) = fields.next() else {
            break;
        };
        let meta = String::from_utf8_lossy(meta);
        let parts: Vec<&str> = meta.split(' ').collect();
        if let [_, mode, _, id, status] = parts.as_slice() {
            changed.push(ChangedPath {
                status: status.bytes().next().unwrap_or(b'M'),
                mode: u32::from_str_radix(mode, 8).unwrap_or(0),
                id: id.to_string(),
                path: path.to_vec(),
            });
        }
    }
    changed
}

/// The paths of `changed` the session could not have made so in the work
/// tree at `repo` itself, and which it does not hold as the commit has
/// them now.
fn protected_paths(changed: &[ChangedPath], repo: &Path, protection: &Protection) -> Vec<String> {
    changed
        .iter()
        .filter(|entry| {
            let path = repo.join(OsStr::from_bytes(&entry.path));
            let change = match entry.status {
                b'A' => Change::Create(&path),
                b'D' => Change::Remove(&path),
                _ => Change::Write(&path),
            };
            protection.judge(change).is_err() && !work_tree_holds(&path, entry)
        })
        .map(|entry| String::from_utf8_lossy(&entry.path).into_owned())
        .collect()
}

/// Whether the work tree holds at `path` what the commit has there: a
/// checkout of it would change nothing there.
fn work_tree_holds(path: &Path, entry: &ChangedPath) -> bool {
    let now = work_tree_file(path, MAX_COMPARED);
    if entry.status == b'D' {
        return now == WorkTreeFile::Missing;
    }
    let format = match entry.id.len() {
        64 => ObjectFormat::Sha256,
        _ => ObjectFormat::Sha1,
    };
    decode_hex(&entry.id).is_some_and(|oid| now.holds(entry.mode, &oid, format))
}

/// The bytes of a hex string.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn raw_diff_output_is_parsed() {
        let output = format!(
            "{B}\0:000000 100755 {zero} {A} A\0.husky/pre-commit\0:100644 000000 {A} {zero} D\0old\0",
            zero = "0".repeat(40)
        );
        let parsed = parse_raw(output.as_bytes());
        assert_eq!(
            parsed,
            [
                ChangedPath {
                    status: b'A',
                    mode: 0o100755,
                    id: A.to_string(),
                    path: b".husky/pre-commit".to_vec()
                },
                ChangedPath {
                    status: b'D',
                    mode: 0,
                    id: "0".repeat(40),
                    path: b"old".to_vec()
                }
            ]
        );
    }
}
