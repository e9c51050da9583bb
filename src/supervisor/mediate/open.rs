//! Opens that may write or create: resolved and judged first, then made by
//! the supervisor on the resolved name (a FIFO's open, which blocks, on a
//! thread of its own), and the caller gets the very file through ADDFD.

use super::made::Made;
use super::outcome::{Answer, Outcome, failed, lossy, path_fields, refused, via_descriptor};
use super::perform::Judge;
use super::request::PathArg;
use super::resolve::{Caller, Entry, Object, Target};
use crate::audit::EventKind;
use crate::policy::Change;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{Mode, SFlag};
use std::os::fd::AsFd;
use std::path::PathBuf;

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
    /// Whether the session must remember that it made the file (only its
    /// maker may change it later).
    remember: bool,
    /// Whether the open may block.
    pub blocking: bool,
}

#[derive(Debug)]
enum OpenHow {
    At(Entry),
    Reopen(Object),
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
    let (created, blocking) = match &target {
        Target::Object(_) => (false, false),
        Target::Entry(entry) => {
            let existing = entry.kind();
            if existing.is_none() && !creating {
                return Err(failed(kind(false), path, Errno::ENOENT));
            }
            (existing.is_none(), existing == Some(SFlag::S_IFIFO))
        }
    };
    // Only a missing name is created, and a name is an entry.
    let judged = match &target {
        Target::Entry(entry) if created => judge.boundary_in(Change::Create(&path), &entry.dir),
        _ if writes => judge.boundary_on(Change::Write(&path), target.subject()),
        _ => Ok(()),
    };
    if let Err(rule) = judged {
        return Err(refused(kind(created), &path, rule));
    }
    let how = match target {
        Target::Object(object) => OpenHow::Reopen(object),
        Target::Entry(entry) => OpenHow::At(entry),
    };
    Ok(PreparedOpen {
        how,
        flags,
        // A session makes no setuid or setgid files.
        mode: mode & 0o1777,
        remember: created && judge.protection.ownership_matters(&path),
        path,
        created,
        blocking,
    })
}

/// Makes a prepared open; `made` remembers a file the session made where
/// only the maker may change it.
pub fn open(prepared: PreparedOpen, made: &Made) -> Outcome {
    let PreparedOpen {
        how,
        flags,
        mode,
        path,
        created,
        remember,
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
    // A file to remember must be the one the supervisor makes, not one
    // another process made in between.
    let exclusive = remember && flags & libc::O_EXCL == 0;
    let ours = match exclusive {
        true => OFlag::from_bits_retain(flags | libc::O_CLOEXEC | libc::O_EXCL),
        false => OFlag::from_bits_retain(flags | libc::O_CLOEXEC),
    };
    let opened = match how {
        // The name was resolved to its end: a link that appears there now
        // is not followed.
        OpenHow::At(entry) => nix::fcntl::openat(
            entry.dir.as_fd(),
            entry.name.as_os_str(),
            ours | OFlag::O_NOFOLLOW,
            Mode::from_bits_truncate(mode),
        ),
        // An unnamed file (`O_TMPFILE`) is made in the directory reopened
        // here, with the mode asked for.
        OpenHow::Reopen(object) => nix::fcntl::open(
            via_descriptor(&object.fd).as_c_str(),
            ours & !(OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW),
            match flags & libc::O_TMPFILE == libc::O_TMPFILE {
                true => Mode::from_bits_truncate(mode),
                false => Mode::empty(),
            },
        ),
    };
    if exclusive && matches!(opened, Err(Errno::EEXIST)) {
        let rule = format!(
            "cannot write {}: another process made it while the session was creating it",
            path.display()
        );
        return refused(kind, &path, rule).with(fields);
    }
    let answer = match opened {
        Ok(fd) => {
            if remember {
                made.note(&fd);
            }
            Answer::Fd { fd, cloexec }
        }
        Err(errno) => Answer::Errno(errno as i32),
    };
    Outcome {
        answer,
        kind,
        fields,
        refused: None,
    }
}

/// The `mode` of an open: what it may do to the file.
pub fn open_mode(flags: i32) -> Vec<&'static str> {
    let mut mode = Vec::new();
    if flags & libc::O_PATH != 0 {
        // Every other flag but these two is ignored.
        return vec!["path"];
    }
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
