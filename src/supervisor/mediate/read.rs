//! Opens for reading, made by the supervisor (`log.files = "all"`).
//!
//! A check followed by `CONTINUE` lets a racing thread change the path after
//! the supervisor read it: the kernel would open one file and the record
//! name another (`seccomp_unotify(2)`). So the supervisor opens the file
//! itself, from its own copy of the path, and the caller gets that very file
//! (ADDFD): the record names what was opened, and a refusal the kernel makes
//! (Landlock, file modes) is seen, and recorded as one.
//!
//! The supervisor lives in the session's Landlock domain, with the same
//! user and no capability but `CAP_SYS_PTRACE`, so the kernel checks its open
//! as it would check the caller's. Where the opener makes a difference, the
//! open is made for the caller:
//! - a relative path starts at the calling thread's working directory or
//!   directory descriptor, held as a descriptor for the open and the record;
//! - the caller's own names (`/proc/self/…`, `/dev/stdin`, `/proc/net`), and
//!   any path through a magic link, are resolved for the caller
//!   ([`Caller::resolve`]); no magic link is followed otherwise;
//! - in `/proc`, another process's entries are opened without
//!   `CAP_SYS_PTRACE`, and the supervisor's own (the anchor's, which hold
//!   the user's whole environment) are refused;
//! - an open that may block (a FIFO, a terminal) is made again on a thread
//!   with the caller's exact flags; `/dev/tty` is the caller's terminal.

use super::resolve::{Base, Caller, Target};
use crate::sys::caps;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{Mode, SFlag};
use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// The open flags the supervisor passes on (`openat2` refuses unknown
/// bits, which `openat` ignores).
const PASSED: i32 = libc::O_ACCMODE
    | libc::O_NONBLOCK
    | libc::O_APPEND
    | libc::O_DSYNC
    | libc::O_SYNC
    | libc::O_DIRECT
    | libc::O_LARGEFILE
    | libc::O_DIRECTORY
    | libc::O_NOFOLLOW
    | libc::O_NOATIME;

/// The flags an `O_PATH` open takes.
const PATH_ONLY: i32 = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW;

/// The file status flags `F_SETFL` sets after the open.
const STATUS: i32 = libc::O_APPEND | libc::O_DIRECT | libc::O_NOATIME | libc::O_NONBLOCK;

/// `/dev/tty`: whichever terminal controls the opener.
const DEV_TTY: (u64, u64) = (5, 0);
/// The major number of `/dev/null`, `/dev/zero`, `/dev/urandom` and the like.
const MEMORY_DEVICES: u64 = 1;

/// One read-only open, its path read once from the caller.
#[derive(Debug)]
pub struct ReadOpen {
    caller: Caller,
    /// Where a relative path starts (`None` for an absolute one).
    base: Option<OwnedFd>,
    raw: Vec<u8>,
    /// Whether `raw` is one of the caller's own names (`/proc/self/…`,
    /// `/dev/stdin`), resolved for it ([`Caller::names_itself`]).
    own: bool,
    flags: i32,
    /// The name asked for, absolute and lexically normal from the directory
    /// the open starts at: what a failed open is recorded as (an open that
    /// succeeds is recorded as the file opened).
    pub path: PathBuf,
}

/// How an open ends.
#[derive(Debug)]
pub enum Opened {
    /// The file, for the caller.
    File(OwnedFd),
    /// What the kernel (or the supervisor's own open) answered.
    Failed(Errno),
    /// Refused by guard, with the reason.
    Refused(String),
}

/// What [`ReadOpen::open`] comes to.
#[derive(Debug)]
pub enum Opening {
    /// Done.
    Now(Opened),
    /// A FIFO or terminal whose open may block: made again from this
    /// descriptor, on a thread of its own ([`reopen`]).
    Blocking(OwnedFd),
}

impl ReadOpen {
    /// The open `openat(dirfd, raw, flags)` of `caller`.
    pub fn new(caller: Caller, dirfd: i32, raw: Vec<u8>, flags: i32) -> Result<ReadOpen, Errno> {
        let own = caller.names_itself(&raw);
        let relative = raw.first() != Some(&b'/') && !own;
        let base = match relative {
            true => Some(caller.base_dir(Base::of(dirfd as u64))?),
            false => None,
        };
        let start = match &base {
            Some(dir) => super::resolve::path_of(dir)?,
            None => PathBuf::from("/"),
        };
        let path = crate::policy::lexically_normal(&start.join(OsStr::from_bytes(&raw)));
        Ok(ReadOpen {
            caller,
            base,
            raw,
            own,
            flags,
            path,
        })
    }

    /// Opens the file as the kernel would for the caller. Not for `O_PATH`
    /// opens, whose handles cannot be passed on (the kernel makes those).
    pub fn open(&self) -> Opening {
        if let Some(fifo) = self.fifo_to_wait_at() {
            return Opening::Blocking(fifo);
        }
        let first = self.open_once();
        match self.classify(first, true) {
            Class::Again => {
                // Another process's `/proc` entries: checked against the
                // caller's rights, not the supervisor's `CAP_SYS_PTRACE`.
                match caps::without_effective(caps::CAP_SYS_PTRACE, || self.open_once()) {
                    Ok(second) => match self.classify(second, false) {
                        Class::Done(opened) => opened,
                        Class::Again => Opening::Now(Opened::Failed(Errno::EACCES)),
                    },
                    Err(_) => Opening::Now(Opened::Failed(Errno::EACCES)),
                }
            }
            Class::Done(opened) => opened,
        }
    }

    /// A FIFO the caller's blocking open waits at, opened `O_PATH`. Opened
    /// for reading here, even without blocking, it would let a writer
    /// waiting in its own open go on before the caller's open is made: the
    /// writer could write, close and leave, and the caller's open then wait
    /// for a writer that never comes. The type is looked up first (a hint
    /// only: the open that follows is judged as any other).
    fn fifo_to_wait_at(&self) -> Option<OwnedFd> {
        let cannot_wait = libc::O_NONBLOCK | libc::O_DIRECTORY;
        if self.flags & cannot_wait != 0 || self.own {
            return None;
        }
        let follow = match self.flags & libc::O_NOFOLLOW {
            0 => AtFlags::empty(),
            _ => AtFlags::AT_SYMLINK_NOFOLLOW,
        };
        let raw = OsStr::from_bytes(&self.raw);
        let stat = match &self.base {
            Some(dir) => nix::sys::stat::fstatat(dir, raw, follow),
            None => nix::sys::stat::fstatat(nix::fcntl::AT_FDCWD, raw, follow),
        };
        let is_fifo = |mode| SFlag::from_bits_truncate(mode) & SFlag::S_IFMT == SFlag::S_IFIFO;
        if !stat.is_ok_and(|stat| is_fifo(stat.st_mode)) {
            return None;
        }
        let fd = self.path_only().ok()?;
        let stat = nix::sys::stat::fstat(&fd).ok()?;
        is_fifo(stat.st_mode).then_some(fd)
    }

    /// One open of the file, non-blocking and without a controlling
    /// terminal; the caller's flags are set by [`ReadOpen::classify`].
    fn open_once(&self) -> Result<OwnedFd, Errno> {
        let flags = match self.flags & libc::O_PATH != 0 {
            // `openat2` refuses other flags beside `O_PATH`, which `openat`
            // ignores.
            true => self.flags & PATH_ONLY,
            false => (self.flags & PASSED) | libc::O_NONBLOCK | libc::O_NOCTTY,
        };
        let flags = OFlag::from_bits_retain(flags | libc::O_CLOEXEC);
        if !self.own {
            let how = OpenHow::new()
                .flags(flags)
                .mode(Mode::empty())
                .resolve(ResolveFlag::RESOLVE_NO_MAGICLINKS);
            let raw = OsStr::from_bytes(&self.raw);
            let opened = match &self.base {
                Some(dir) => nix::fcntl::openat2(dir.as_fd(), raw, how),
                None => nix::fcntl::openat2(nix::fcntl::AT_FDCWD, raw, how),
            };
            // A magic link on the way (`/dev/fd/3` through a link of the
            // repository's, say): resolved for the caller below.
            if !matches!(opened, Err(Errno::ELOOP)) {
                return opened;
            }
        }
        let follow = self.flags & libc::O_NOFOLLOW == 0;
        let base = || match &self.base {
            Some(dir) => dir.try_clone().map_err(|_| Errno::EMFILE),
            None => Err(Errno::ENOENT),
        };
        match self.caller.resolve_from(&base, &self.raw, follow)? {
            // The name resolved to its end: a link appearing there now is
            // not followed (nor one asked not to be).
            Target::Entry(entry) => nix::fcntl::openat(
                entry.dir.as_fd(),
                entry.name.as_os_str(),
                flags | OFlag::O_NOFOLLOW,
                Mode::empty(),
            ),
            // One of the caller's descriptors or directories: opened again,
            // as the kernel does for `/proc/self/fd/N`.
            Target::Object(object) => nix::fcntl::open(
                super::outcome::via_descriptor(&object.fd).as_c_str(),
                flags & !OFlag::O_NOFOLLOW,
                Mode::empty(),
            ),
        }
    }

    /// What to make of an open: hand it over, make it again, or refuse it.
    fn classify(&self, opened: Result<OwnedFd, Errno>, privileged: bool) -> Class {
        let fd = match opened {
            Ok(fd) => fd,
            // A lease held elsewhere: the caller's blocking open waits for it.
            Err(Errno::EAGAIN) if self.flags & libc::O_NONBLOCK == 0 => {
                return Class::Done(self.blocking_by_path());
            }
            // `/dev/tty` without a terminal of the supervisor's own.
            Err(Errno::ENXIO) => return Class::Done(self.terminal_by_path()),
            Err(errno) => return Class::Done(Opening::Now(Opened::Failed(errno))),
        };
        let Ok(stat) = nix::sys::stat::fstat(&fd) else {
            return Class::Done(Opening::Now(Opened::Failed(Errno::EIO)));
        };
        let kind = SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT;
        let device = (
            libc::major(stat.st_rdev) as u64,
            libc::minor(stat.st_rdev) as u64,
        );
        match kind {
            SFlag::S_IFIFO => Class::Done(Opening::Blocking(fd)),
            SFlag::S_IFCHR if device == DEV_TTY => Class::Done(self.callers_terminal(fd)),
            // Memory devices (`/dev/null`, `/dev/urandom`) open at once.
            SFlag::S_IFCHR if device.0 == MEMORY_DEVICES => {
                Class::Done(with_callers_status(fd, self.flags))
            }
            SFlag::S_IFCHR | SFlag::S_IFBLK => Class::Done(Opening::Blocking(fd)),
            _ if in_proc(&fd) => self.proc_entry(fd, privileged),
            _ => Class::Done(with_callers_status(fd, self.flags)),
        }
    }

    /// A file in `/proc`: the supervisor's own entries are refused; another
    /// process's are opened again without `CAP_SYS_PTRACE`.
    fn proc_entry(&self, fd: OwnedFd, privileged: bool) -> Class {
        let Ok(path) = super::resolve::path_of(&fd) else {
            return Class::Done(Opening::Now(Opened::Failed(Errno::EACCES)));
        };
        let Some(owner) = proc_owner(&path) else {
            return Class::Done(with_callers_status(fd, self.flags));
        };
        if owner == std::process::id() || thread_of_this_process(owner) {
            return Class::Done(Opening::Now(Opened::Refused(format!(
                "{} belongs to guard's supervisor, not to the session",
                path.display()
            ))));
        }
        let callers = owner == self.caller.pid
            || std::fs::symlink_metadata(format!("/proc/{}/task/{owner}", self.caller.pid)).is_ok();
        match callers || !privileged {
            true => Class::Done(with_callers_status(fd, self.flags)),
            false => Class::Again,
        }
    }

    /// `/dev/tty` for the caller: the supervisor's terminal (`fd`) if it is
    /// the caller's controlling terminal; otherwise that one, or `ENXIO`.
    fn callers_terminal(&self, fd: OwnedFd) -> Opening {
        let callers = controlling_terminal(self.caller.pid);
        if callers.is_some() && callers == controlling_terminal(std::process::id()) {
            return Opening::Blocking(fd);
        }
        match callers.and_then(pseudo_terminal_path) {
            Some(path) => match nix::fcntl::open(
                path.as_path(),
                OFlag::from_bits_retain(libc::O_PATH | libc::O_CLOEXEC),
                Mode::empty(),
            ) {
                Ok(terminal) => Opening::Blocking(terminal),
                Err(errno) => Opening::Now(Opened::Failed(errno)),
            },
            None => Opening::Now(Opened::Failed(Errno::ENXIO)),
        }
    }

    /// After `ENXIO`: if the path is `/dev/tty`, the caller's terminal.
    fn terminal_by_path(&self) -> Opening {
        match self.path_only() {
            Ok(fd) if is_device(&fd, DEV_TTY) => self.callers_terminal(fd),
            _ => Opening::Now(Opened::Failed(Errno::ENXIO)),
        }
    }

    /// After `EAGAIN` from the non-blocking open: made again, blocking.
    fn blocking_by_path(&self) -> Opening {
        match self.path_only() {
            Ok(fd) => Opening::Blocking(fd),
            Err(errno) => Opening::Now(Opened::Failed(errno)),
        }
    }

    /// The file opened `O_PATH`, resolved the same way.
    fn path_only(&self) -> Result<OwnedFd, Errno> {
        let keep = libc::O_NOFOLLOW | libc::O_DIRECTORY;
        let path_only = ReadOpen {
            caller: self.caller,
            base: self
                .base
                .as_ref()
                .map(|dir| dir.try_clone())
                .transpose()
                .map_err(|_| Errno::EMFILE)?,
            raw: self.raw.clone(),
            own: self.own,
            flags: (self.flags & keep) | libc::O_PATH,
            path: self.path.clone(),
        };
        path_only.open_once()
    }
}

/// What [`ReadOpen::classify`] decided.
enum Class {
    Done(Opening),
    /// Open again without `CAP_SYS_PTRACE`.
    Again,
}

/// Makes the open a FIFO or terminal needs, from the descriptor the
/// supervisor holds, with the caller's flags: it may block until the other
/// end opens, so call it on a thread of its own.
pub fn reopen(fd: &OwnedFd, flags: i32) -> Result<OwnedFd, Errno> {
    let flags = (flags & PASSED & !libc::O_NOFOLLOW) | libc::O_CLOEXEC | libc::O_NOCTTY;
    nix::fcntl::open(
        super::outcome::via_descriptor(fd).as_c_str(),
        OFlag::from_bits_retain(flags),
        Mode::empty(),
    )
}

/// The descriptor with the caller's file status flags (without the
/// supervisor's `O_NONBLOCK`, unless asked for).
fn with_callers_status(fd: OwnedFd, flags: i32) -> Opening {
    if flags & libc::O_NONBLOCK != 0 {
        return Opening::Now(Opened::File(fd));
    }
    let status = OFlag::from_bits_retain(flags & STATUS);
    Opening::Now(
        match nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_SETFL(status)) {
            Ok(_) => Opened::File(fd),
            Err(errno) => Opened::Failed(errno),
        },
    )
}

/// Whether `fd` is in a procfs.
fn in_proc(fd: &OwnedFd) -> bool {
    nix::sys::statfs::fstatfs(fd)
        .is_ok_and(|fs| fs.filesystem_type() == nix::sys::statfs::PROC_SUPER_MAGIC)
}

/// Whether `fd` is the character device `device`.
fn is_device(fd: &OwnedFd, device: (u64, u64)) -> bool {
    nix::sys::stat::fstat(fd).is_ok_and(|stat| {
        SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT == SFlag::S_IFCHR
            && (
                libc::major(stat.st_rdev) as u64,
                libc::minor(stat.st_rdev) as u64,
            ) == device
    })
}

/// The process or thread id a `/proc` path belongs to (`/proc/ID/…`).
fn proc_owner(path: &std::path::Path) -> Option<u32> {
    let mut parts = path.strip_prefix("/proc").ok()?.components();
    parts.next()?.as_os_str().to_str()?.parse().ok()
}

/// Whether `tid` is a thread of the supervisor's own process.
fn thread_of_this_process(tid: u32) -> bool {
    std::fs::symlink_metadata(format!("/proc/self/task/{tid}")).is_ok()
}

/// The controlling terminal of process `pid` (`tty_nr` of its `stat`),
/// `None` when it has none.
fn controlling_terminal(pid: u32) -> Option<u64> {
    let stat = crate::sys::proc_file::read_text(&format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which may hold spaces and parens.
    let fields = stat.rsplit_once(')')?.1;
    let tty: u64 = fields.split_whitespace().nth(4)?.parse().ok()?;
    (tty != 0).then_some(tty)
}

/// The path of a pseudo-terminal given its `tty_nr` (majors 136–143).
fn pseudo_terminal_path(tty: u64) -> Option<PathBuf> {
    let major = (tty >> 8) & 0xfff;
    let minor = (tty & 0xff) | ((tty >> 12) & 0xf_ff00);
    (136..=143)
        .contains(&major)
        .then(|| PathBuf::from(format!("/dev/pts/{}", (major - 136) * 256 + minor)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_paths_and_terminals() {
        assert_eq!(
            proc_owner(std::path::Path::new("/proc/12/environ")),
            Some(12)
        );
        assert_eq!(proc_owner(std::path::Path::new("/proc/12")), Some(12));
        assert_eq!(proc_owner(std::path::Path::new("/proc/cpuinfo")), None);
        assert_eq!(proc_owner(std::path::Path::new("/etc/12")), None);
        // makedev(136, 3) and makedev(137, 1), as `tty_nr` has them.
        assert_eq!(
            pseudo_terminal_path(136 << 8 | 3),
            Some("/dev/pts/3".into())
        );
        assert_eq!(
            pseudo_terminal_path(137 << 8 | 1),
            Some("/dev/pts/257".into())
        );
        assert_eq!(pseudo_terminal_path(4 << 8 | 1), None);
        assert!(thread_of_this_process(std::process::id()));
        assert!(!thread_of_this_process(1) || std::process::id() == 1);
    }
}
