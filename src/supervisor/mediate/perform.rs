//! Performing a mediated call: resolve its paths into descriptors, ask the
//! boundary (and, for metadata, the policy's write rights, which Landlock
//! does not check), then make the call on those descriptors. The kernel
//! checks the supervisor's call against the session's Landlock domain, so
//! nothing here grants what the session could not do itself; what it adds
//! is refusal.

use super::brought::{self, Bring};
use super::made::{Made, Subject};
use super::metadata::{self, Acting, resolve_what};
use super::outcome::{Outcome, done, failed, lossy, path_fields, refused, via_descriptor};
use super::request::{PathArg, Request, What};
use super::resolve::{Caller, Entry, Target};
use super::verified::Replace;
use super::work_tree_top;
use crate::audit::EventKind;
use crate::policy::refusal::Rules;
use crate::policy::{BoundaryDenial, Change, ObjectRole, Protection, Whose};
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{Mode, SFlag};
use serde_json::{Map, Value};
use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What judges a change: the boundary, and the policy's rules.
#[derive(Debug)]
pub struct Judge<'a> {
    /// The session's protection.
    pub protection: &'a Protection,
    /// The session's filesystem rules (for metadata, which Landlock leaves
    /// alone).
    pub rules: &'a Rules,
    /// What the session made where only the maker may change it.
    pub made: &'a Made,
}

impl Judge<'_> {
    /// The boundary's judgement of a change that makes a new entry in the
    /// directory `dir`.
    pub(super) fn boundary_in(&self, change: Change<'_>, dir: &OwnedFd) -> Result<(), String> {
        self.protection
            .judge_owned(
                change,
                &|whose| match whose {
                    Whose::Entry => true,
                    Whose::Directory => self.made.is_own(Subject::Fd(dir)),
                },
                &|top| work_tree_top::holds_git(dir, change.path(), top),
            )
            .map_err(|BoundaryDenial { rule, .. }| rule)
    }

    /// The boundary's judgement of a change to what `subject` names.
    pub(super) fn boundary_on(
        &self,
        change: Change<'_>,
        subject: Subject<'_>,
    ) -> Result<(), String> {
        self.protection
            .judge_owned(
                change,
                &|whose| match (whose, subject) {
                    (Whose::Entry, _) => self.made.is_own(subject),
                    (Whose::Directory, Subject::Entry(entry)) => {
                        self.made.is_own(Subject::Fd(&entry.dir))
                    }
                    (Whose::Directory, Subject::Fd(_)) => false,
                },
                &|top| match subject {
                    Subject::Entry(entry) => {
                        work_tree_top::holds_git(&entry.dir, change.path(), top)
                    }
                    Subject::Fd(_) => work_tree_top::holds_git_by_name(top),
                },
            )
            .map_err(|BoundaryDenial { rule, .. }| rule)
    }

    /// Remembers a new entry at `path` the session made, where only the
    /// maker may change it later.
    pub(super) fn made(&self, path: &Path, entry: &Entry) {
        if self.protection.ownership_matters(path) {
            self.made.note_entry(entry);
        }
    }

    /// Metadata may change only where the policy lets the session write;
    /// `times_only` for a change of times alone, which gives no one access.
    pub(super) fn metadata(
        &self,
        path: &Path,
        times_only: bool,
        subject: Subject<'_>,
    ) -> Result<(), String> {
        self.boundary_on(
            match times_only {
                true => Change::Times(path),
                false => Change::Metadata(path),
            },
            subject,
        )?;
        if self.rules.access_at(path).write {
            return Ok(());
        }
        Err(format!(
            "cannot change the attributes of {}: the policy does not let the session write it",
            path.display()
        ))
    }
}

/// Performs every mediated call but opens.
pub fn perform(judge: &Judge<'_>, caller: &Caller, request: &Request) -> Outcome {
    match request {
        Request::Open { .. } => unreachable!("opens are prepared, then made"),
        Request::Mkdir { at, mode } => create(
            judge,
            caller,
            at,
            (EventKind::Mkdir, |path| Change::Create(path)),
            |entry| {
                nix::sys::stat::mkdirat(
                    entry.dir.as_fd(),
                    entry.name.as_os_str(),
                    Mode::from_bits_truncate(mode & 0o1777),
                )
            },
        ),
        Request::Mknod { at, mode, dev } => {
            let kind = match SFlag::from_bits_truncate(mode & libc::S_IFMT) {
                kind if kind.is_empty() => SFlag::S_IFREG,
                kind => kind,
            };
            let change: for<'p> fn(&'p Path) -> Change<'p> = match kind {
                SFlag::S_IFREG => |path| Change::Create(path),
                _ => |path| Change::Special(path),
            };
            create(judge, caller, at, (EventKind::Create, change), |entry| {
                nix::sys::stat::mknodat(
                    entry.dir.as_fd(),
                    entry.name.as_os_str(),
                    kind,
                    Mode::from_bits_truncate(mode & 0o1777),
                    *dev as libc::dev_t,
                )
            })
        }
        Request::Symlink { target, at } => {
            let mut outcome = create(
                judge,
                caller,
                at,
                (EventKind::Link, |path| Change::Special(path)),
                |entry| {
                    nix::unistd::symlinkat(
                        OsStr::from_bytes(target),
                        entry.dir.as_fd(),
                        entry.name.as_os_str(),
                    )
                },
            );
            let text = String::from_utf8_lossy(target).into_owned();
            outcome.fields.insert("target".into(), text.into());
            outcome.fields.insert("symbolic".into(), true.into());
            outcome
        }
        Request::Link { from, to } => link(judge, caller, from, to),
        Request::Rename { from, to, flags } => rename(judge, caller, from, to, *flags),
        Request::Remove { at, dir } => remove(judge, caller, at, *dir),
        Request::Truncate { at, length } => truncate(judge, caller, at, *length),
        Request::Chmod { what, mode } => metadata::chmod(judge, caller, what, *mode),
        Request::Chown { what, uid, gid } => metadata::chown(judge, caller, what, *uid, *gid),
        Request::Utimes { what, times } => metadata::utimes(judge, caller, what, times),
        Request::SetXattr {
            what,
            name,
            value,
            flags,
        } => metadata::set_xattr(judge, caller, what, name, value, *flags),
        Request::RemoveXattr { what, name } => metadata::remove_xattr(judge, caller, what, name),
    }
}

/// The outcome of a verified rename or link of `path` that was to make
/// `made`.
fn verified_outcome(
    kind: EventKind,
    (path, made_path): (&Path, &Path),
    fields: Map<String, Value>,
    made: Result<(), Replace>,
) -> Outcome {
    match made {
        Ok(()) => done(kind, fields, Ok(())),
        Err(Replace::Refused(why)) => {
            let rule = format!("cannot make {}: {why}", made_path.display());
            refused(kind, path, rule).with(fields)
        }
        Err(Replace::Failed(errno)) => done(kind, fields, Err(errno)),
    }
}

/// A new entry at `at` (never following a final link), judged as `change`
/// and made by `make`.
fn create(
    judge: &Judge<'_>,
    caller: &Caller,
    at: &PathArg,
    (kind, change): (EventKind, for<'p> fn(&'p Path) -> Change<'p>),
    make: impl FnOnce(&Entry) -> nix::Result<()>,
) -> Outcome {
    let entry = match caller.resolve(at.base, &at.path, false) {
        Ok(Target::Entry(entry)) => entry,
        // `.`, `..`, `/` exist already.
        Ok(Target::Object(object)) => return failed(kind, object.path, Errno::EEXIST),
        Err(errno) => return failed(kind, lossy(&at.path), errno),
    };
    let path = entry.path();
    // What is there already fails as the kernel fails it, unjudged: nothing
    // is created (`mkdir -p` and the like expect EEXIST, not a refusal).
    if entry.kind().is_some() {
        return failed(kind, path, Errno::EEXIST);
    }
    if let Err(rule) = judge.boundary_in(change(&path), &entry.dir) {
        return refused(kind, &path, rule);
    }
    let made = make(&entry);
    if made.is_ok() {
        judge.made(&path, &entry);
    }
    done(kind, path_fields(&path), made)
}

fn link(judge: &Judge<'_>, caller: &Caller, from: &What, to: &PathArg) -> Outcome {
    let kind = EventKind::Link;
    let source = match resolve_what(caller, from) {
        Ok(source) => source,
        Err((path, errno)) => return failed(kind, path, errno),
    };
    let entry = match caller.resolve(to.base, &to.path, false) {
        Ok(Target::Entry(entry)) => entry,
        Ok(Target::Object(object)) => return failed(kind, object.path, Errno::EEXIST),
        Err(errno) => return failed(kind, lossy(&to.path), errno),
    };
    let (source_path, new) = (source.path(), entry.path());
    // A link that makes one of git's objects visible is judged as a rename
    // onto it, and made as a checked copy.
    let role = judge.protection.object_role(&new);
    let judged = judge
        .boundary_on(Change::LinkFrom(&source_path), source.subject())
        .and_then(|()| match role {
            Some(_) => judge.boundary_in(Change::RenameTo(&new), &entry.dir),
            None => judge.boundary_in(Change::Create(&new), &entry.dir),
        });
    if let Err(rule) = judged {
        return refused(kind, &new, rule);
    }
    let mut fields = path_fields(&new);
    fields.insert(
        "target".into(),
        source_path.to_string_lossy().into_owned().into(),
    );
    fields.insert("symbolic".into(), false.into());
    if let Some(role) = role {
        let made = match (&source, &role) {
            (Acting::Entry(old), ObjectRole::Loose(id)) => {
                super::objects::loose_object(old, &entry, id, false)
            }
            (Acting::Entry(old), ObjectRole::Lfs(id)) => {
                super::objects::lfs_object(old, &entry, id, false)
            }
            _ => {
                let rule = format!(
                    "cannot link {}: git's objects appear only through a rename guard verifies",
                    new.display()
                );
                return refused(kind, &new, rule).with(fields);
            }
        };
        fields.insert("verified".into(), true.into());
        return verified_outcome(kind, (&new, &new), fields, made);
    }
    let dir = entry.dir.as_fd();
    let link_as = |name: &OsStr| match &source {
        Acting::Entry(old) => nix::unistd::linkat(
            old.dir.as_fd(),
            old.name.as_os_str(),
            dir,
            name,
            AtFlags::empty(),
        ),
        Acting::Object(fd) | Acting::Open(fd) => nix::unistd::linkat(
            nix::fcntl::AT_FDCWD,
            via_descriptor(fd).as_c_str(),
            dir,
            name,
            AtFlags::AT_SYMLINK_FOLLOW,
        ),
    };
    if let Some(tree) = judge.protection.tree_taking_files_only(&new) {
        let staged = |name: &str| link_as(OsStr::new(name));
        let made = brought::regular_file(
            Bring::Link(&staged),
            &entry,
            tree,
            nix::fcntl::RenameFlags::RENAME_NOREPLACE,
        );
        return verified_outcome(kind, (&new, &new), fields, made);
    }
    done(kind, fields, link_as(entry.name.as_os_str()))
}

fn rename(judge: &Judge<'_>, caller: &Caller, from: &PathArg, to: &PathArg, flags: u32) -> Outcome {
    let kind = EventKind::Rename;
    let resolve = |at: &PathArg| match caller.resolve(at.base, &at.path, false) {
        Ok(Target::Entry(entry)) => Ok(entry),
        Ok(Target::Object(object)) => Err(failed(kind, object.path, Errno::EINVAL)),
        Err(errno) => Err(failed(kind, lossy(&at.path), errno)),
    };
    let (old, new) = match (resolve(from), resolve(to)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(outcome), _) | (_, Err(outcome)) => return outcome,
    };
    let (old_path, new_path) = (old.path(), new.path());
    if old.kind().is_none() {
        return failed(kind, old_path, Errno::ENOENT);
    }
    let exchange = flags & libc::RENAME_EXCHANGE != 0;
    let mut changes = vec![
        (Change::RenameFrom(&old_path), &old),
        (Change::RenameTo(&new_path), &new),
    ];
    if exchange {
        changes.extend([
            (Change::RenameFrom(&new_path), &new),
            (Change::RenameTo(&old_path), &old),
        ]);
    }
    for (change, entry) in changes {
        let judged = judge
            .boundary_on(change, Subject::Entry(entry))
            .and_then(|()| match (change, entry.kind()) {
                (Change::RenameFrom(path), Some(SFlag::S_IFDIR)) => judge
                    .protection
                    .judge_moving_directory(path)
                    .map_err(|denial| denial.rule),
                _ => Ok(()),
            });
        if let Err(rule) = judged {
            let mut outcome = refused(kind, &old_path, rule);
            outcome
                .fields
                .insert("to".into(), new_path.to_string_lossy().into_owned().into());
            return outcome;
        }
    }
    let mut fields = path_fields(&old_path);
    fields.insert("to".into(), new_path.to_string_lossy().into_owned().into());
    if let Some(role) = judge.protection.object_role(&new_path) {
        if exchange {
            let rule = format!(
                "cannot exchange {} with one of git's objects",
                old_path.display()
            );
            return refused(kind, &old_path, rule).with(fields);
        }
        fields.insert("verified".into(), true.into());
        let git = judge
            .protection
            .objects
            .as_ref()
            .and_then(|store| store.git.as_deref());
        let made = match &role {
            ObjectRole::Loose(id) => super::objects::loose_object(&old, &new, id, true),
            ObjectRole::Lfs(id) => super::objects::lfs_object(&old, &new, id, true),
            ObjectRole::Pack => super::objects::pack(&old, &new),
            ObjectRole::PackIndex => super::objects::pack_index(&old, &new, git),
            ObjectRole::Derived => {
                fields.insert("dropped".into(), true.into());
                super::objects::drop_derived(&old, &new)
            }
            ObjectRole::Refused => unreachable!("the boundary refuses a rename onto it"),
        };
        return verified_outcome(kind, (&old_path, &new_path), fields, made);
    }
    if let Some(file) = judge.protection.verification(&new_path) {
        if exchange || old.kind() != Some(SFlag::S_IFREG) {
            let rule = format!(
                "cannot rename {} onto {}: only a regular file, checked, may replace it ({})",
                old_path.display(),
                new_path.display(),
                file.because
            );
            return refused(kind, &old_path, rule).with(fields);
        }
        fields.insert("verified".into(), true.into());
        let replaced =
            super::verified::replace(&old, &new, &file.check, judge.protection).map_err(|error| {
                match error {
                    Replace::Refused(why) => Replace::Refused(format!("{why} ({})", file.because)),
                    failed => failed,
                }
            });
        return verified_outcome(kind, (&old_path, &new_path), fields, replaced);
    }
    let flags = nix::fcntl::RenameFlags::from_bits_retain(flags);
    let tree = |path: &Path| judge.protection.tree_taking_files_only(path);
    if exchange && (tree(&new_path).is_some() || tree(&old_path).is_some()) {
        let rule = format!(
            "cannot exchange {} with {}: what enters a protected tree is checked on its way in",
            old_path.display(),
            new_path.display()
        );
        return refused(kind, &old_path, rule).with(fields);
    }
    if let Some(tree) = tree(&new_path) {
        let made = brought::regular_file(Bring::Rename(&old), &new, tree, flags);
        return verified_outcome(kind, (&old_path, &new_path), fields, made);
    }
    let result = nix::fcntl::renameat2(
        old.dir.as_fd(),
        old.name.as_os_str(),
        new.dir.as_fd(),
        new.name.as_os_str(),
        flags,
    );
    done(kind, fields, result)
}

fn remove(judge: &Judge<'_>, caller: &Caller, at: &PathArg, dir: bool) -> Outcome {
    let kind = EventKind::Delete;
    let entry = match caller.resolve(at.base, &at.path, false) {
        Ok(Target::Entry(entry)) => entry,
        Ok(Target::Object(object)) => {
            let errno = if dir { Errno::EINVAL } else { Errno::EISDIR };
            return failed(kind, object.path, errno);
        }
        Err(errno) => return failed(kind, lossy(&at.path), errno),
    };
    let path = entry.path();
    // What is not there fails as the kernel fails it, unjudged: nothing can
    // create it meanwhile where the boundary would refuse.
    if entry.kind().is_none() {
        return failed(kind, path, Errno::ENOENT);
    }
    if let Err(rule) = judge.boundary_on(Change::Remove(&path), Subject::Entry(&entry)) {
        return refused(kind, &path, rule);
    }
    let flags = match dir {
        true => nix::unistd::UnlinkatFlags::RemoveDir,
        false => nix::unistd::UnlinkatFlags::NoRemoveDir,
    };
    let result = nix::unistd::unlinkat(entry.dir.as_fd(), entry.name.as_os_str(), flags);
    done(kind, path_fields(&path), result)
}

fn truncate(judge: &Judge<'_>, caller: &Caller, at: &PathArg, length: i64) -> Outcome {
    let kind = EventKind::Write;
    let target = match caller.resolve(at.base, &at.path, true) {
        Ok(target) => target,
        Err(errno) => return failed(kind, lossy(&at.path), errno),
    };
    let path = target.path();
    if let Target::Entry(entry) = &target
        && entry.kind().is_none()
    {
        return failed(kind, path, Errno::ENOENT);
    }
    if let Err(rule) = judge.boundary_on(Change::Write(&path), target.subject()) {
        return refused(kind, &path, rule);
    }
    let mut fields = path_fields(&path);
    fields.insert("mode".into(), vec!["truncate"].into());
    let flags = OFlag::O_WRONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let opened = match &target {
        Target::Entry(entry) => nix::fcntl::openat(
            entry.dir.as_fd(),
            entry.name.as_os_str(),
            flags | OFlag::O_NOFOLLOW,
            Mode::empty(),
        ),
        Target::Object(object) => {
            nix::fcntl::open(via_descriptor(&object.fd).as_c_str(), flags, Mode::empty())
        }
    };
    let result = opened.and_then(|fd| {
        let stat = nix::sys::stat::fstat(&fd)?;
        if SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT != SFlag::S_IFREG {
            return Err(Errno::EINVAL);
        }
        nix::unistd::ftruncate(&fd, length)
    });
    done(kind, fields, result)
}
