//! Resolving a trapped call's path as the kernel would for the calling
//! thread, into descriptors the supervisor then acts on.
//!
//! The supervisor runs in the session's mount namespace and Landlock domain,
//! so a path resolves for it exactly as for the session, with three
//! exceptions it handles itself: a relative path starts at the caller's
//! working directory or directory descriptor (`/proc/TID/cwd`,
//! `/proc/TID/fd/N`); `/proc/self` and friends name the caller, not the
//! supervisor; and no other magic link is followed (`RESOLVE_NO_MAGICLINKS`),
//! since the supervisor may reach what the caller may not. Whatever the
//! process does to its memory or to the names afterwards, the supervisor acts
//! on the descriptors it resolved and judged: that is what makes the check
//! race-free.

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{Mode, SFlag};
use std::cell::OnceCell;
use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

/// The most symbolic links followed in one resolution (the kernel's limit).
const MAX_LINKS: usize = 40;

/// Where a relative path starts: the working directory or a descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// `AT_FDCWD`.
    Cwd,
    /// A directory descriptor of the caller.
    Fd(i32),
}

impl Base {
    /// The base a `dirfd` argument names.
    pub fn of(dirfd: u64) -> Base {
        match dirfd as i32 {
            libc::AT_FDCWD => Base::Cwd,
            fd => Base::Fd(fd),
        }
    }
}

/// A directory entry, named or to be created: the directory (open
/// `O_PATH`), the name in it, and the directory's path now.
#[derive(Debug)]
pub struct Entry {
    /// The directory.
    pub dir: OwnedFd,
    /// The entry's name in it (one component).
    pub name: OsString,
    /// Where the directory is, as the kernel names it.
    pub dir_path: PathBuf,
    /// The entry's file type when first asked (`None`: no such entry);
    /// asked once per call.
    kind: OnceCell<Option<SFlag>>,
}

impl Entry {
    /// The file type of the entry, without following a link; `None` when
    /// there is no such entry. Taken once: the calls that act on the entry
    /// then take the name exactly as the kernel finds it.
    pub fn kind(&self) -> Option<SFlag> {
        *self.kind.get_or_init(|| {
            nix::sys::stat::fstatat(
                &self.dir,
                self.name.as_os_str(),
                AtFlags::AT_SYMLINK_NOFOLLOW,
            )
            .ok()
            .map(|stat| SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT)
        })
    }

    /// The entry's full path.
    pub fn path(&self) -> PathBuf {
        self.dir_path.join(&self.name)
    }
}

/// An existing object reached by a descriptor rather than a name: one of
/// the caller's (`/dev/stdout`, `fchmod`), or a directory named by `.`.
#[derive(Debug)]
pub struct Object {
    /// The object (the caller's own open file for a descriptor, else
    /// `O_PATH`).
    pub fd: OwnedFd,
    /// Where it is, as the kernel names it.
    pub path: PathBuf,
}

/// What a path resolved to.
#[derive(Debug)]
pub enum Target {
    /// A name in a directory.
    Entry(Entry),
    /// An object with no name of its own to act on.
    Object(Object),
}

impl Target {
    /// What a change to the target acts on.
    pub fn subject(&self) -> super::made::Subject<'_> {
        match self {
            Target::Entry(entry) => super::made::Subject::Entry(entry),
            Target::Object(object) => super::made::Subject::Fd(&object.fd),
        }
    }

    /// The path the kernel gives the target.
    pub fn path(&self) -> PathBuf {
        match self {
            Target::Entry(entry) => entry.path(),
            Target::Object(object) => object.path.clone(),
        }
    }
}

/// The calling thread of one trapped call.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// Thread id (in the supervisor's pid namespace, which is the session's
    /// when it has one).
    pub tid: u32,
    /// Process id.
    pub pid: u32,
}

impl Caller {
    /// Resolves `path` (relative to `base`) to the entry it names, following
    /// a final symbolic link when `follow` is set (creating through a
    /// dangling link creates its target, as the kernel does).
    pub fn resolve(&self, base: Base, path: &[u8], follow: bool) -> Result<Target, Errno> {
        self.resolve_from(&|| self.base_dir(base), path, follow)
    }

    /// Like [`Caller::resolve`], with `base` opening the directory a
    /// relative path starts at (asked only for a relative path).
    pub fn resolve_from(
        &self,
        base: &dyn Fn() -> Result<OwnedFd, Errno>,
        path: &[u8],
        follow: bool,
    ) -> Result<Target, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let mut start = self.start(base, path)?;
        let mut rest = start.1.clone();
        for _ in 0..=MAX_LINKS {
            // One of the caller's own descriptors, named whole
            // (`/dev/stdout`): the object itself, whatever it is.
            if let (Start::Dir(own), b".") = (&start.0, rest.as_slice()) {
                let fd = own.try_clone().map_err(errno)?;
                let path = path_of(&fd)?;
                return Ok(Target::Object(Object { fd, path }));
            }
            let (dir_part, name) = split(&rest);
            let dir = open_dir(&start.0, dir_part)?;
            let Some(name) = name else {
                // `.`, `..` or `/`: the directory itself.
                let path = path_of(&dir)?;
                return Ok(Target::Object(Object { fd: dir, path }));
            };
            let entry = Entry {
                dir_path: path_of(&dir)?,
                dir,
                name: OsString::from_vec(name.to_vec()),
                kind: OnceCell::new(),
            };
            if !follow || entry.kind() != Some(SFlag::S_IFLNK) {
                return Ok(Target::Entry(entry));
            }
            let target = nix::fcntl::readlinkat(&entry.dir, entry.name.as_os_str())?;
            let target = target.as_bytes().to_vec();
            start = match target.first() {
                Some(b'/') => self.start(base, &target)?,
                _ => (Start::Dir(entry.dir), target),
            };
            rest = start.1.clone();
        }
        Err(Errno::ELOOP)
    }

    /// One of the caller's descriptors, taken whole (the same open file).
    pub fn descriptor(&self, fd: i32) -> Result<Object, Errno> {
        let fd = crate::sys::notify::take_fd(self.tid, fd).map_err(errno)?;
        let path = path_of(&fd)?;
        Ok(Object { fd, path })
    }

    /// The directory a relative path starts at (`O_PATH`): the calling
    /// thread's working directory now, or its directory descriptor.
    pub fn base_dir(&self, base: Base) -> Result<OwnedFd, Errno> {
        match base {
            Base::Cwd => open_path(&format!("/proc/{}/cwd", self.tid)),
            // No such descriptor: what the kernel says to the caller.
            Base::Fd(fd) => open_path(&format!("/proc/{}/fd/{fd}", self.tid)).map_err(|errno| {
                if errno == Errno::ENOENT {
                    Errno::EBADF
                } else {
                    errno
                }
            }),
        }
    }

    /// Whether `path` names the caller's own `/proc` entries or descriptors
    /// (`/proc/self/…`, `/dev/stdin`, `/proc/net`): resolved for the caller
    /// by [`Caller::resolve`], never from the supervisor's own view.
    pub fn names_itself(&self, path: &[u8]) -> bool {
        self.own_proc_entry(path).is_some()
    }

    /// Where resolution starts, and the path left to resolve from there.
    fn start(
        &self,
        base: &dyn Fn() -> Result<OwnedFd, Errno>,
        path: &[u8],
    ) -> Result<(Start, Vec<u8>), Errno> {
        if let Some((own, rest)) = self.own_proc_entry(path) {
            return Ok((Start::Dir(open_path(&own)?), rest));
        }
        if path.first() == Some(&b'/') {
            return Ok((Start::Root, path.to_vec()));
        }
        Ok((Start::Dir(base()?), path.to_vec()))
    }

    /// The caller's own `/proc` entries under the names that mean "myself"
    /// (`/dev/stdout`, `/dev/fd/3`, `/proc/self/fd/1`, `/proc/thread-self/cwd`):
    /// the `/proc` path to open for the caller, following its magic link to
    /// the caller's own descriptor, working directory or root, and what is
    /// left of `path` after it. Other paths under `/proc/self` continue from
    /// the caller's `/proc` directory.
    fn own_proc_entry(&self, path: &[u8]) -> Option<(String, Vec<u8>)> {
        let (tid, pid) = (self.tid, self.pid);
        // The two names alone, and procfs's own links into `self`.
        let aliased: Vec<u8>;
        let path = match path.strip_prefix(b"/proc/") {
            Some(b"self" | b"thread-self") => {
                aliased = [path, b"/."].concat();
                &aliased[..]
            }
            Some(rest) if rest == b"net" || rest.starts_with(b"net/") || rest == b"mounts" => {
                aliased = [&b"/proc/self/"[..], rest].concat();
                &aliased[..]
            }
            _ => path,
        };
        for (alias, fd) in [("/dev/stdin", 0), ("/dev/stdout", 1), ("/dev/stderr", 2)] {
            if path == alias.as_bytes() {
                return Some((format!("/proc/{pid}/fd/{fd}"), b".".to_vec()));
            }
        }
        // `/proc/self` is the process (its thread group), as the kernel has it.
        let (dir, rest) = if let Some(rest) = path.strip_prefix(b"/dev/fd/") {
            (format!("/proc/{pid}/fd"), rest)
        } else if let Some(rest) = path.strip_prefix(b"/proc/self/") {
            (format!("/proc/{pid}"), rest)
        } else if let Some(rest) = path.strip_prefix(b"/proc/thread-self/") {
            (format!("/proc/{pid}/task/{tid}"), rest)
        } else {
            return None;
        };
        let first_end = |bytes: &[u8]| bytes.iter().position(|&b| b == b'/').unwrap_or(bytes.len());
        let (first, after) = rest.split_at(first_end(rest));
        let after = after.strip_prefix(b"/").unwrap_or(after);
        let first = String::from_utf8_lossy(first);
        let (link, tail) = if dir.ends_with("/fd") {
            (format!("{dir}/{first}"), after)
        } else {
            match first.as_ref() {
                // A descriptor, or a namespace (`/proc/self/ns/net`).
                "fd" | "ns" => {
                    let (entry, tail) = after.split_at(first_end(after));
                    let entry = String::from_utf8_lossy(entry);
                    (
                        format!("{dir}/{first}/{entry}"),
                        tail.strip_prefix(b"/").unwrap_or(tail),
                    )
                }
                "cwd" | "root" => (format!("{dir}/{first}"), after),
                _ => return Some((dir, rest.to_vec())),
            }
        };
        let tail = if tail.is_empty() { &b"."[..] } else { tail };
        Some((link, tail.to_vec()))
    }
}

/// Where resolution starts.
#[derive(Debug)]
enum Start {
    /// The root (of the session's mount namespace, which is ours).
    Root,
    /// A directory.
    Dir(OwnedFd),
}

/// `path` without trailing slashes, split into its directory part and last
/// component; `None` as the component for `.`, `..` and `/`.
fn split(path: &[u8]) -> (&[u8], Option<&[u8]>) {
    let mut end = path.len();
    while end > 1 && path[end - 1] == b'/' {
        end -= 1;
    }
    let path = &path[..end];
    let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
        Some(0) => (&path[..1], &path[1..]),
        Some(at) => (&path[..at], &path[at + 1..]),
        None => (&b"."[..], path),
    };
    match name {
        b"" | b"." | b".." => (path, None),
        name => (dir, Some(name)),
    }
}

/// Opens the directory `path` relative to `start`, following symbolic links
/// but no magic link.
fn open_dir(start: &Start, path: &[u8]) -> Result<OwnedFd, Errno> {
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
        .mode(Mode::empty())
        .resolve(ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let path = OsStr::from_bytes(path);
    match start {
        Start::Root => nix::fcntl::openat2(nix::fcntl::AT_FDCWD, path, how),
        Start::Dir(dir) => nix::fcntl::openat2(dir.as_fd(), path, how),
    }
}

/// Opens one of the caller's `/proc` entries `O_PATH`, following its magic
/// link (the caller's own descriptor, working directory or root).
fn open_path(path: &str) -> Result<OwnedFd, Errno> {
    nix::fcntl::open(path, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty())
}

/// Where the kernel says a descriptor's file is now.
pub fn path_of(fd: &OwnedFd) -> Result<PathBuf, Errno> {
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(errno)
}

fn errno(error: std::io::Error) -> Errno {
    Errno::from_raw(error.raw_os_error().unwrap_or(libc::EIO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_paths() {
        assert_eq!(split(b"a/b/c"), (&b"a/b"[..], Some(&b"c"[..])));
        assert_eq!(split(b"c"), (&b"."[..], Some(&b"c"[..])));
        assert_eq!(split(b"/c"), (&b"/"[..], Some(&b"c"[..])));
        assert_eq!(split(b"a/b/"), (&b"a"[..], Some(&b"b"[..])));
        assert_eq!(split(b"a/."), (&b"a/."[..], None));
        assert_eq!(split(b"/"), (&b"/"[..], None));
        assert_eq!(split(b".."), (&b".."[..], None));
    }

    #[test]
    fn the_callers_own_names() {
        let caller = Caller { tid: 12, pid: 10 };
        let own = |path: &[u8]| {
            caller
                .own_proc_entry(path)
                .map(|(link, rest)| (link, String::from_utf8(rest).unwrap()))
        };
        assert_eq!(
            own(b"/dev/stdout"),
            Some(("/proc/10/fd/1".into(), ".".into()))
        );
        assert_eq!(
            own(b"/dev/fd/63"),
            Some(("/proc/10/fd/63".into(), ".".into()))
        );
        assert_eq!(
            own(b"/proc/self/fd/3/x/y"),
            Some(("/proc/10/fd/3".into(), "x/y".into()))
        );
        assert_eq!(
            own(b"/proc/self/ns/net"),
            Some(("/proc/10/ns/net".into(), ".".into()))
        );
        assert_eq!(
            own(b"/proc/self/cwd/a"),
            Some(("/proc/10/cwd".into(), "a".into()))
        );
        assert_eq!(
            own(b"/proc/thread-self/fd/4"),
            Some(("/proc/10/task/12/fd/4".into(), ".".into()))
        );
        assert_eq!(
            own(b"/proc/self/oom_score_adj"),
            Some(("/proc/10".into(), "oom_score_adj".into()))
        );
        assert_eq!(own(b"/proc/self"), Some(("/proc/10".into(), ".".into())));
        assert_eq!(
            own(b"/proc/thread-self"),
            Some(("/proc/10/task/12".into(), ".".into()))
        );
        assert_eq!(
            own(b"/proc/net/tcp"),
            Some(("/proc/10".into(), "net/tcp".into()))
        );
        assert_eq!(
            own(b"/proc/mounts"),
            Some(("/proc/10".into(), "mounts".into()))
        );
        assert_eq!(own(b"/proc/1/fd/3"), None);
        assert_eq!(own(b"/tmp/x"), None);
    }
}
