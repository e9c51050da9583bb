//! Metadata changes (mode, owner, times, extended attributes), performed
//! on what the supervisor resolved: a name through its directory's
//! descriptor, an object through its own, or the caller's open file.
//! Refused outside the writable grants; setuid and setgid refused always.

use super::outcome::{Outcome, done, failed, lossy, path_fields, refused, via_descriptor};
use super::perform::Judge;
use super::request::{Times, What};
use super::resolve::{Caller, Entry, Target};
use crate::audit::EventKind;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{FileStat, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;
use serde_json::{Map, Value};
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// `chown` family; `u32::MAX` leaves an id as it is.
pub fn chown(judge: &Judge<'_>, caller: &Caller, what: &What, uid: u32, gid: u32) -> Outcome {
    let describe = |fields: &mut Map<String, Value>| {
        fields.insert("uid".into(), (uid as i32).into());
        fields.insert("gid".into(), (gid as i32).into());
    };
    metadata(judge, caller, what, "owner", describe, |_| false).run(|target| {
        let uid = (uid != u32::MAX).then(|| nix::unistd::Uid::from_raw(uid));
        let gid = (gid != u32::MAX).then(|| nix::unistd::Gid::from_raw(gid));
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
    })
}

/// `utimensat` and friends.
pub fn utimes(judge: &Judge<'_>, caller: &Caller, what: &What, times: &Times) -> Outcome {
    metadata(judge, caller, what, "times", |_| {}, |_| false).run(|target| set_times(target, times))
}

/// The extended attributes that hold POSIX ACLs: an entry in them gives
/// another user or group access, which no session gives.
const ACL_ATTRIBUTES: [&[u8]; 2] = [b"system.posix_acl_access", b"system.posix_acl_default"];

/// Whether a POSIX ACL (the kernel's extended-attribute form: a version,
/// then entries of tag, permissions and id) says no more than mode bits
/// do, and does not let every user write: only the owner's, the owning
/// group's and others' entries. `sed -i` and `cp -p` copy a file's ACL
/// to the copy so, file by file, where the file has none of its own.
fn acl_is_a_mode(value: &[u8]) -> bool {
    const VERSION: u32 = 2;
    const USER_OBJ: u16 = 0x01;
    const GROUP_OBJ: u16 = 0x04;
    const OTHER: u16 = 0x20;
    let Some((version, entries)) = value.split_first_chunk::<4>() else {
        return false;
    };
    if u32::from_le_bytes(*version) != VERSION || entries.len() % 8 != 0 {
        return false;
    }
    entries.chunks_exact(8).all(|entry| {
        let tag = u16::from_le_bytes([entry[0], entry[1]]);
        let perm = u16::from_le_bytes([entry[2], entry[3]]);
        match tag {
            USER_OBJ | GROUP_OBJ => true,
            OTHER => perm & 0o2 == 0,
            _ => false,
        }
    })
}

/// `setxattr` family.
pub fn set_xattr(
    judge: &Judge<'_>,
    caller: &Caller,
    what: &What,
    name: &CStr,
    value: &[u8],
    flags: i32,
) -> Outcome {
    let describe = |fields: &mut Map<String, Value>| {
        fields.insert("name".into(), name.to_string_lossy().into_owned().into());
    };
    let action = metadata(judge, caller, what, "xattr", describe, |_| false);
    if action.target.is_ok() && ACL_ATTRIBUTES.contains(&name.to_bytes()) && !acl_is_a_mode(value) {
        let rule = format!(
            "cannot set an access control list on {}: a session gives no one else access",
            action.path.display()
        );
        return refused(EventKind::Metadata, &action.path, rule).with(action.fields);
    }
    action.run(|target| {
        xattr(target, |path, fd| match (path, fd) {
            (Some(path), _) => crate::sys::xattr::set_at_path(path, name, value, flags),
            (None, Some(fd)) => crate::sys::xattr::set_at_fd(fd, name, value, flags),
            (None, None) => Err(std::io::Error::from_raw_os_error(libc::EBADF)),
        })
    })
}

/// `removexattr` family.
pub fn remove_xattr(judge: &Judge<'_>, caller: &Caller, what: &What, name: &CStr) -> Outcome {
    let describe = |fields: &mut Map<String, Value>| {
        fields.insert("name".into(), name.to_string_lossy().into_owned().into());
        fields.insert("removed".into(), true.into());
    };
    metadata(judge, caller, what, "xattr", describe, |_| false).run(|target| {
        xattr(target, |path, fd| match (path, fd) {
            (Some(path), _) => crate::sys::xattr::remove_at_path(path, name),
            (None, Some(fd)) => crate::sys::xattr::remove_at_fd(fd, name),
            (None, None) => Err(std::io::Error::from_raw_os_error(libc::EBADF)),
        })
    })
}

/// `chmod` family.
pub fn chmod(judge: &Judge<'_>, caller: &Caller, what: &What, mode: u32) -> Outcome {
    let describe = |fields: &mut Map<String, Value>| {
        fields.insert("value".into(), format!("{:04o}", mode & 0o7777).into());
    };
    // A mode set to what it already is changes nothing (Claude Code sets
    // its directories to 0700 at every start), so it crosses no boundary:
    // it succeeds wherever the kernel would let the caller's owner make it.
    let leaves_as_is = |target: &Acting| {
        status(target).is_ok_and(|stat| {
            SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT != SFlag::S_IFLNK
                && stat.st_uid == nix::unistd::geteuid().as_raw()
                && stat.st_mode & 0o7777 == mode & 0o7777
        })
    };
    let action = metadata(judge, caller, what, "mode", describe, leaves_as_is);
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
    // Nor one every user may write: another local account could then plant
    // what the user later runs (a ref, an object, a script).
    if action.target.is_ok() && mode & libc::S_IWOTH != 0 {
        let rule = format!(
            "cannot make {} writable by every user: a session gives no one else access",
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
    call: impl FnOnce(Option<&CStr>, Option<std::os::fd::BorrowedFd<'_>>) -> std::io::Result<()>,
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
pub(super) enum Acting {
    /// A name in a directory (its last link already followed if asked).
    Entry(Entry),
    /// An object reached by a path without a name of its own.
    Object(OwnedFd),
    /// One of the caller's descriptors, the very open file.
    Open(OwnedFd),
}

impl Acting {
    /// What a change to it acts on.
    pub(super) fn subject(&self) -> super::made::Subject<'_> {
        match self {
            Acting::Entry(entry) => super::made::Subject::Entry(entry),
            Acting::Object(fd) | Acting::Open(fd) => super::made::Subject::Fd(fd),
        }
    }

    pub(super) fn path(&self) -> PathBuf {
        match self {
            Acting::Entry(entry) => entry.path(),
            Acting::Object(fd) | Acting::Open(fd) => {
                super::resolve::path_of(fd).unwrap_or_else(|_| PathBuf::from("(unknown)"))
            }
        }
    }
}

fn is_directory(target: &Acting) -> bool {
    status(target)
        .is_ok_and(|stat| SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR)
}

/// The status of what a change acts on (a name's last link not followed).
fn status(target: &Acting) -> nix::Result<FileStat> {
    match target {
        Acting::Entry(entry) => nix::sys::stat::fstatat(
            &entry.dir,
            entry.name.as_os_str(),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        ),
        Acting::Object(fd) | Acting::Open(fd) => nix::sys::stat::fstat(fd),
    }
}

pub(super) fn resolve_what(caller: &Caller, what: &What) -> Result<Acting, (PathBuf, Errno)> {
    match what {
        What::Fd(fd) => caller
            .descriptor(*fd)
            .map(|object| Acting::Open(object.fd))
            .map_err(|errno| (PathBuf::from(format!("(descriptor {fd})")), errno)),
        What::Path { at, follow } => match caller.resolve(at.base, &at.path, *follow) {
            Ok(Target::Entry(entry)) if entry.kind().is_none() => {
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

/// Resolves and judges a metadata change. One that `leaves_as_is` says
/// would change nothing is answered done at once, its record marked
/// `unchanged`.
fn metadata(
    judge: &Judge<'_>,
    caller: &Caller,
    what: &What,
    change: &str,
    describe: impl FnOnce(&mut Map<String, Value>),
    leaves_as_is: impl FnOnce(&Acting) -> bool,
) -> Metadata {
    let kind = EventKind::Metadata;
    let mut fields = Map::new();
    fields.insert("change".into(), change.into());
    describe(&mut fields);
    let (target, path) = match resolve_what(caller, what) {
        Ok(target) if leaves_as_is(&target) => {
            let mut unchanged = Map::new();
            unchanged.insert("unchanged".into(), true.into());
            (Err(done(kind, unchanged, Ok(()))), target.path())
        }
        Ok(target) => {
            let path = target.path();
            match judge.metadata(&path, change == "times", target.subject()) {
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

#[cfg(test)]
mod tests {
    use super::acl_is_a_mode;

    fn acl(entries: &[(u16, u16, u32)]) -> Vec<u8> {
        let mut value = 2u32.to_le_bytes().to_vec();
        for (tag, perm, id) in entries {
            value.extend(tag.to_le_bytes());
            value.extend(perm.to_le_bytes());
            value.extend(id.to_le_bytes());
        }
        value
    }

    #[test]
    fn only_an_acl_that_says_what_mode_bits_say_is_a_mode() {
        let owner_group_other = [
            (0x01, 6, u32::MAX),
            (0x04, 4, u32::MAX),
            (0x20, 4, u32::MAX),
        ];
        assert!(acl_is_a_mode(&acl(&owner_group_other)));
        // Another user, a mask, others writing, a broken value.
        assert!(!acl_is_a_mode(&acl(&[
            (0x02, 6, 65534),
            (0x20, 4, u32::MAX)
        ])));
        assert!(!acl_is_a_mode(&acl(&[(0x10, 7, u32::MAX)])));
        assert!(!acl_is_a_mode(&acl(&[
            (0x01, 6, u32::MAX),
            (0x20, 6, u32::MAX)
        ])));
        assert!(!acl_is_a_mode(&acl(&owner_group_other)[..10]));
        assert!(!acl_is_a_mode(&[1, 0, 0, 0]));
    }
}
