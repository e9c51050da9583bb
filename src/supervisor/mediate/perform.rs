//! Performing a mediated call: resolve its paths into descriptors, ask the
//! boundary (and, for metadata, the policy's write rights, which Landlock
//! does not check), then make the call on those descriptors. The kernel
//! checks the supervisor's call against the session's Landlock domain, so
//! nothing here grants what the session could not do itself; what it adds
//! is refusal.

use super::request::{PathArg, Request, Times, What};
use super::resolve::{Caller, Entry, Object, Target};
use crate::audit::EventKind;
use crate::policy::{BoundaryDenial, Change, Protection};
use crate::sandbox::refusal::Rules;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;
use serde_json::{Map, Value};
use std::ffi::{CString, OsStr};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// What the session asked, judged and (unless refused) done.
#[derive(Debug)]
pub struct Outcome {
    /// The answer to the call.
    pub answer: Answer,
    /// The kind of record.
    pub kind: EventKind,
    /// The record's fields (paths, modes, …).
    pub fields: Map<String, Value>,
    /// Why guard refused it, if it did.
    pub refused: Option<String>,
}

/// How the call returns.
#[derive(Debug)]
pub enum Answer {
    /// A new descriptor in the caller (an open).
    Fd {
        /// The supervisor's copy.
        fd: OwnedFd,
        /// Whether the caller's copy closes on exec.
        cloexec: bool,
    },
    /// Zero: done.
    Done,
    /// An error number.
    Errno(i32),
}

/// An open whose target is resolved and judged, waiting to be made: the
/// open of a FIFO blocks until the other end opens, so it is made on a
/// thread of its own.
#[derive(Debug)]
pub struct PreparedOpen {
    how: OpenHow,
    flags: i32,
    mode: u32,
    /// The path, for the record.
    pub path: PathBuf,
    created: bool,
    /// Whether the open may block.
    pub blocking: bool,
}

#[derive(Debug)]
enum OpenHow {
    At(Entry),
    Reopen(Object),
}

/// What judges a change: the boundary, and the policy's rules.
#[derive(Debug)]
pub struct Judge<'a> {
    /// The session's protection.
    pub protection: &'a Protection,
    /// The session's filesystem rules (for metadata, which Landlock leaves
    /// alone).
    pub rules: &'a Rules,
}

impl Judge<'_> {
    fn boundary(&self, change: Change<'_>) -> Result<(), String> {
        self.protection
            .judge(change)
            .map_err(|BoundaryDenial { rule, .. }| rule)
    }

    /// Metadata may change only where the policy lets the session write.
    fn metadata(&self, path: &Path) -> Result<(), String> {
        self.boundary(Change::Metadata(path))?;
        if self.rules.access_at(path).write {
            return Ok(());
        }
        Err(format!(
            "cannot change the attributes of {}: the policy does not let the session write it",
            path.display()
        ))
    }
}

/// Resolves and judges an open; `Err` is the finished outcome (refused or
/// failed).
pub fn prepare_open(
    judge: &Judge<'_>,
    caller: &Caller,
    at: &PathArg,
    flags: i32,
    mode: u32,
) -> Result<PreparedOpen, Outcome> {
    let creating = flags & libc::O_CREAT != 0;
    let writes = flags & (libc::O_WRONLY | libc::O_RDWR | libc::O_TRUNC) != 0;
    let follow = flags & libc::O_NOFOLLOW == 0 && !(creating && flags & libc::O_EXCL != 0);
    let kind = |created: bool| match created {
        true => EventKind::Create,
        false => EventKind::Write,
    };
    let target = caller
        .resolve(at.base, &at.path, follow)
        .map_err(|errno| failed(kind(creating), lossy(&at.path), errno))?;
    let path = target.path();
    let (how, created, blocking) = match target {
        Target::Object(object) => (OpenHow::Reopen(object), false, false),
        Target::Entry(entry) => {
            let existing = kind_of(&entry);
            if existing.is_none() && !creating {
                return Err(failed(kind(false), path, Errno::ENOENT));
            }
            (
                OpenHow::At(entry),
                existing.is_none(),
                existing == Some(SFlag::S_IFIFO),
            )
        }
    };
    let change = match created {
        true => Some(Change::Create(&path)),
        false if writes => Some(Change::Write(&path)),
        false => None,
    };
    if let Some(change) = change
        && let Err(rule) = judge.boundary(change)
    {
        return Err(refused(kind(created), &path, rule));
    }
    Ok(PreparedOpen {
        how,
        flags,
        // A session makes no setuid or setgid files.
        mode: mode & 0o1777,
        path,
        created,
        blocking,
    })
}

/// Makes a prepared open.
pub fn open(prepared: PreparedOpen) -> Outcome {
    let PreparedOpen {
        how,
        flags,
        mode,
        path,
        created,
        ..
    } = prepared;
    let kind = if created {
        EventKind::Create
    } else {
        EventKind::Write
    };
    let mut fields = path_fields(&path);
    fields.insert("mode".into(), open_mode(flags).into());
    let cloexec = flags & libc::O_CLOEXEC != 0;
    let ours = OFlag::from_bits_retain(flags | libc::O_CLOEXEC);
    let opened = match how {
        // The name was resolved to its end: a link that appears there now
        // is not followed.
        OpenHow::At(entry) => nix::fcntl::openat(
            entry.dir.as_fd(),
            entry.name.as_os_str(),
            ours | OFlag::O_NOFOLLOW,
            Mode::from_bits_truncate(mode),
        ),
        OpenHow::Reopen(object) => nix::fcntl::open(
            via_descriptor(&object.fd).as_c_str(),
            ours & !(OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW),
            Mode::empty(),
        ),
    };
    let answer = match opened {
        Ok(fd) => Answer::Fd { fd, cloexec },
        Err(errno) => Answer::Errno(errno as i32),
    };
    Outcome {
        answer,
        kind,
        fields,
        refused: None,
    }
}

/// Performs every mediated call but opens.
pub fn perform(judge: &Judge<'_>, caller: &Caller, request: &Request) -> Outcome {
    match request {
        Request::Open { .. } => unreachable!("opens are prepared, then made"),
        Request::Mkdir { at, mode } => create(judge, caller, at, EventKind::Mkdir, |entry| {
            nix::sys::stat::mkdirat(
                entry.dir.as_fd(),
                entry.name.as_os_str(),
                Mode::from_bits_truncate(mode & 0o1777),
            )
        }),
        Request::Mknod { at, mode, dev } => create(judge, caller, at, EventKind::Create, |entry| {
            let kind = SFlag::from_bits_truncate(mode & libc::S_IFMT);
            let kind = if kind.is_empty() {
                SFlag::S_IFREG
            } else {
                kind
            };
            nix::sys::stat::mknodat(
                entry.dir.as_fd(),
                entry.name.as_os_str(),
                kind,
                Mode::from_bits_truncate(mode & 0o1777),
                *dev as libc::dev_t,
            )
        }),
        Request::Symlink { target, at } => {
            let mut outcome = create(judge, caller, at, EventKind::Link, |entry| {
                nix::unistd::symlinkat(
                    OsStr::from_bytes(target),
                    entry.dir.as_fd(),
                    entry.name.as_os_str(),
                )
            });
            let text = String::from_utf8_lossy(target).into_owned();
            outcome.fields.insert("target".into(), text.into());
            outcome.fields.insert("symbolic".into(), true.into());
            outcome
        }
        Request::Link { from, to } => link(judge, caller, from, to),
        Request::Rename { from, to, flags } => rename(judge, caller, from, to, *flags),
        Request::Remove { at, dir } => remove(judge, caller, at, *dir),
        Request::Truncate { at, length } => truncate(judge, caller, at, *length),
        Request::Chmod { what, mode } => chmod(judge, caller, what, *mode),
        Request::Chown { what, uid, gid } => metadata(judge, caller, what, "owner", |fields| {
            fields.insert("uid".into(), (*uid as i32).into());
            fields.insert("gid".into(), (*gid as i32).into());
        })
        .run(|target| {
            let uid = (*uid != u32::MAX).then(|| nix::unistd::Uid::from_raw(*uid));
            let gid = (*gid != u32::MAX).then(|| nix::unistd::Gid::from_raw(*gid));
            match target {
                Acting::Entry(entry) => nix::unistd::fchownat(
                    entry.dir.as_fd(),
                    entry.name.as_os_str(),
                    uid,
                    gid,
                    AtFlags::AT_SYMLINK_NOFOLLOW,
                ),
                Acting::Object(fd) => {
                    nix::unistd::fchownat(fd.as_fd(), "", uid, gid, AtFlags::AT_EMPTY_PATH)
                }
                Acting::Open(fd) => nix::unistd::fchown(fd.as_fd(), uid, gid),
            }
        }),
        Request::Utimes { what, times } => {
            metadata(judge, caller, what, "times", |_| {}).run(|target| set_times(target, times))
        }
        Request::SetXattr {
            what,
            name,
            value,
            flags,
        } => metadata(judge, caller, what, "xattr", |fields| {
            fields.insert("name".into(), name.to_string_lossy().into_owned().into());
        })
        .run(|target| {
            xattr(target, |path, fd| match (path, fd) {
                (Some(path), _) => crate::sys::xattr::set_at_path(path, name, value, *flags),
                (None, Some(fd)) => crate::sys::xattr::set_at_fd(fd, name, value, *flags),
                (None, None) => Err(std::io::Error::from_raw_os_error(libc::EBADF)),
            })
        }),
        Request::RemoveXattr { what, name } => metadata(judge, caller, what, "xattr", |fields| {
            fields.insert("name".into(), name.to_string_lossy().into_owned().into());
            fields.insert("removed".into(), true.into());
        })
        .run(|target| {
            xattr(target, |path, fd| match (path, fd) {
                (Some(path), _) => crate::sys::xattr::remove_at_path(path, name),
                (None, Some(fd)) => crate::sys::xattr::remove_at_fd(fd, name),
                (None, None) => Err(std::io::Error::from_raw_os_error(libc::EBADF)),
            })
        }),
    }
}

/// A new entry at `at` (never following a final link), made by `make`.
fn create(
    judge: &Judge<'_>,
    caller: &Caller,
    at: &PathArg,
    kind: EventKind,
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
    if kind_of(&entry).is_some() {
        return failed(kind, path, Errno::EEXIST);
    }
    if let Err(rule) = judge.boundary(Change::Create(&path)) {
        return refused(kind, &path, rule);
    }
    done(kind, path_fields(&path), make(&entry))
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
    for change in [Change::LinkFrom(&source_path), Change::Create(&new)] {
        if let Err(rule) = judge.boundary(change) {
            return refused(kind, &new, rule);
        }
    }
    let mut fields = path_fields(&new);
    fields.insert(
        "target".into(),
        source_path.to_string_lossy().into_owned().into(),
    );
    fields.insert("symbolic".into(), false.into());
    let (dir, name) = (entry.dir.as_fd(), entry.name.as_os_str());
    let result = match &source {
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
    done(kind, fields, result)
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
    if kind_of(&old).is_none() {
        return failed(kind, old_path, Errno::ENOENT);
    }
    let exchange = flags & libc::RENAME_EXCHANGE != 0;
    let mut changes = vec![Change::RenameFrom(&old_path), Change::RenameTo(&new_path)];
    if exchange {
        changes.extend([Change::RenameFrom(&new_path), Change::RenameTo(&old_path)]);
    }
    for change in changes {
        if let Err(rule) = judge.boundary(change) {
            let mut outcome = refused(kind, &old_path, rule);
            outcome
                .fields
                .insert("to".into(), new_path.to_string_lossy().into_owned().into());
            return outcome;
        }
    }
    let mut fields = path_fields(&old_path);
    fields.insert("to".into(), new_path.to_string_lossy().into_owned().into());
    let result = nix::fcntl::renameat2(
        old.dir.as_fd(),
        old.name.as_os_str(),
        new.dir.as_fd(),
        new.name.as_os_str(),
        nix::fcntl::RenameFlags::from_bits_retain(flags),
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
    if kind_of(&entry).is_none() {
        return failed(kind, path, Errno::ENOENT);
    }
    if let Err(rule) = judge.boundary(Change::Remove(&path)) {
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
        && kind_of(entry).is_none()
    {
        return failed(kind, path, Errno::ENOENT);
    }
    if let Err(rule) = judge.boundary(Change::Write(&path)) {
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

fn chmod(judge: &Judge<'_>, caller: &Caller, what: &What, mode: u32) -> Outcome {
    let action = metadata(judge, caller, what, "mode", |fields| {
        fields.insert("value".into(), format!("{:04o}", mode & 0o7777).into());
    });
    // No session makes a setuid or setgid program (a setgid directory only
    // passes its group on).
    if let Ok(target) = &action.target
        && (mode & libc::S_ISUID != 0 || (mode & libc::S_ISGID != 0 && !is_directory(target)))
    {
        let rule = format!(
            "cannot set the setuid or setgid bit on {}: no session makes privileged programs",
            action.path.display()
        );
        return refused(EventKind::Metadata, &action.path, rule).with(action.fields);
    }
    action.run(|target| {
        let mode = Mode::from_bits_truncate(mode & 0o7777);
        match target {
            Acting::Entry(entry) => nix::sys::stat::fchmodat(
                entry.dir.as_fd(),
                entry.name.as_os_str(),
                mode,
                nix::sys::stat::FchmodatFlags::NoFollowSymlink,
            ),
            Acting::Object(fd) => nix::sys::stat::fchmodat(
                nix::fcntl::AT_FDCWD,
                via_descriptor(fd).as_c_str(),
                mode,
                nix::sys::stat::FchmodatFlags::FollowSymlink,
            ),
            Acting::Open(fd) => nix::sys::stat::fchmod(fd.as_fd(), mode),
        }
    })
}

fn set_times(target: &Acting, times: &Times) -> nix::Result<()> {
    let [atime, mtime] = match times {
        Some([atime, mtime]) => [TimeSpec::from(*atime), TimeSpec::from(*mtime)],
        None => [TimeSpec::UTIME_NOW, TimeSpec::UTIME_NOW],
    };
    match target {
        Acting::Entry(entry) => nix::sys::stat::utimensat(
            entry.dir.as_fd(),
            entry.name.as_os_str(),
            &atime,
            &mtime,
            UtimensatFlags::NoFollowSymlink,
        ),
        Acting::Object(fd) => nix::sys::stat::utimensat(
            nix::fcntl::AT_FDCWD,
            via_descriptor(fd).as_c_str(),
            &atime,
            &mtime,
            UtimensatFlags::FollowSymlink,
        ),
        Acting::Open(fd) => nix::sys::stat::futimens(fd.as_fd(), &atime, &mtime),
    }
}

/// Runs an extended-attribute call on a path (the entry's, through its
/// directory descriptor; the last component not followed) or, for an
/// object, on a descriptor.
fn xattr(
    target: &Acting,
    call: impl FnOnce(
        Option<&std::ffi::CStr>,
        Option<std::os::fd::BorrowedFd<'_>>,
    ) -> std::io::Result<()>,
) -> nix::Result<()> {
    let result = match target {
        Acting::Entry(entry) => {
            let mut path = format!("/proc/self/fd/{}/", entry.dir.as_raw_fd()).into_bytes();
            path.extend_from_slice(entry.name.as_bytes());
            let path = CString::new(path).map_err(|_| Errno::EINVAL)?;
            call(Some(&path), None)
        }
        Acting::Object(fd) => {
            let flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
            let opened = nix::fcntl::open(via_descriptor(fd).as_c_str(), flags, Mode::empty())?;
            call(None, Some(opened.as_fd()))
        }
        Acting::Open(fd) => call(None, Some(fd.as_fd())),
    };
    result.map_err(|error| Errno::from_raw(error.raw_os_error().unwrap_or(libc::EIO)))
}

/// What a metadata change acts on, once resolved.
enum Acting {
    /// A name in a directory (its last link already followed if asked).
    Entry(Entry),
    /// An object reached by a path without a name of its own.
    Object(OwnedFd),
    /// One of the caller's descriptors, the very open file.
    Open(OwnedFd),
}

impl Acting {
    fn path(&self) -> PathBuf {
        match self {
            Acting::Entry(entry) => entry.path(),
            Acting::Object(fd) | Acting::Open(fd) => {
                super::resolve::path_of(fd).unwrap_or_else(|_| PathBuf::from("(unknown)"))
            }
        }
    }
}

fn is_directory(target: &Acting) -> bool {
    let stat = match target {
        Acting::Entry(entry) => nix::sys::stat::fstatat(
            &entry.dir,
            entry.name.as_os_str(),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        ),
        Acting::Object(fd) | Acting::Open(fd) => nix::sys::stat::fstat(fd),
    };
    stat.is_ok_and(|stat| SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR)
}

fn resolve_what(caller: &Caller, what: &What) -> Result<Acting, (PathBuf, Errno)> {
    match what {
        What::Fd(fd) => caller
            .descriptor(*fd)
            .map(|object| Acting::Open(object.fd))
            .map_err(|errno| (PathBuf::from(format!("(descriptor {fd})")), errno)),
        What::Path { at, follow } => match caller.resolve(at.base, &at.path, *follow) {
            Ok(Target::Entry(entry)) if kind_of(&entry).is_none() => {
                Err((entry.path(), Errno::ENOENT))
            }
            Ok(Target::Entry(entry)) => Ok(Acting::Entry(entry)),
            Ok(Target::Object(object)) => Ok(Acting::Object(object.fd)),
            Err(errno) => Err((lossy(&at.path), errno)),
        },
    }
}

/// A metadata change, resolved and judged, ready to run.
struct Metadata {
    target: Result<Acting, Outcome>,
    path: PathBuf,
    fields: Map<String, Value>,
}

fn metadata(
    judge: &Judge<'_>,
    caller: &Caller,
    what: &What,
    change: &str,
    describe: impl FnOnce(&mut Map<String, Value>),
) -> Metadata {
    let kind = EventKind::Metadata;
    let mut fields = Map::new();
    fields.insert("change".into(), change.into());
    describe(&mut fields);
    let (target, path) = match resolve_what(caller, what) {
        Ok(target) => {
            let path = target.path();
            match judge.metadata(&path) {
                Ok(()) => (Ok(target), path),
                Err(rule) => (Err(refused(kind, &path, rule)), path),
            }
        }
        Err((path, errno)) => (Err(failed(kind, path.clone(), errno)), path),
    };
    fields.extend(path_fields(&path));
    Metadata {
        target,
        path,
        fields,
    }
}

impl Metadata {
    fn run(self, act: impl FnOnce(&Acting) -> nix::Result<()>) -> Outcome {
        match self.target {
            Ok(target) => done(EventKind::Metadata, self.fields, act(&target)),
            Err(outcome) => outcome.with(self.fields),
        }
    }
}

impl Outcome {
    /// Adds `fields` the outcome does not have yet.
    fn with(mut self, fields: Map<String, Value>) -> Outcome {
        for (name, value) in fields {
            self.fields.entry(name).or_insert(value);
        }
        self
    }
}

/// The kind of the existing entry (`None`: nothing there).
fn kind_of(entry: &Entry) -> Option<SFlag> {
    nix::sys::stat::fstatat(
        &entry.dir,
        entry.name.as_os_str(),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .ok()
    .map(|stat| SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT)
}

/// `/proc/self/fd/N`: the supervisor's own copy, as a path the kernel
/// follows to the very file.
fn via_descriptor(fd: &OwnedFd) -> CString {
    CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).expect("no NUL in a number")
}

fn path_fields(path: &Path) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("path".into(), path.to_string_lossy().into_owned().into());
    fields
}

fn lossy(path: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(path).into_owned())
}

fn done(kind: EventKind, fields: Map<String, Value>, result: nix::Result<()>) -> Outcome {
    Outcome {
        answer: match result {
            Ok(()) => Answer::Done,
            Err(errno) => Answer::Errno(errno as i32),
        },
        kind,
        fields,
        refused: None,
    }
}

fn failed(kind: EventKind, path: PathBuf, errno: Errno) -> Outcome {
    done(kind, path_fields(&path), Err(errno))
}

fn refused(kind: EventKind, path: &Path, rule: String) -> Outcome {
    Outcome {
        answer: Answer::Errno(libc::EACCES),
        kind,
        fields: path_fields(path),
        refused: Some(rule),
    }
}

/// The `mode` of an open: what it may do to the file.
pub fn open_mode(flags: i32) -> Vec<&'static str> {
    let mut mode = Vec::new();
    match flags & libc::O_ACCMODE {
        libc::O_WRONLY => mode.push("write"),
        libc::O_RDWR => mode.extend(["read", "write"]),
        _ => mode.push("read"),
    }
    if flags & libc::O_CREAT != 0 {
        mode.push("create");
    }
    if flags & libc::O_TRUNC != 0 {
        mode.push("truncate");
    }
    if flags & libc::O_APPEND != 0 {
        mode.push("append");
    }
    mode
}
