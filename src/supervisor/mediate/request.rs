//! The calls the supervisor performs itself, decoded from a notification:
//! their arguments read once from the caller's memory.

use super::resolve::Base;
use crate::supervisor::memory::{MAX_PATH, Remote};
use crate::sys::notify::Notification;
use std::ffi::CString;

/// The largest extended attribute value the kernel accepts (`XATTR_SIZE_MAX`).
const MAX_XATTR_VALUE: usize = 64 * 1024;
/// The longest extended attribute name (`XATTR_NAME_MAX`).
const MAX_XATTR_NAME: usize = 255;

/// A path argument: where it starts and what the caller wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathArg {
    /// The directory a relative path starts from.
    pub base: Base,
    /// The path as written.
    pub path: Vec<u8>,
}

/// What a metadata change acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A path, its last link followed or not.
    Path {
        /// The path.
        at: PathArg,
        /// Whether a final symbolic link is followed.
        follow: bool,
    },
    /// One of the caller's descriptors.
    Fd(i32),
}

/// New access and modification times (`None`: both now).
pub type Times = Option<[libc::timespec; 2]>;

/// A call the supervisor performs on the session's behalf.
#[derive(Debug, Clone)]
pub enum Request {
    /// `open`, `openat`, `creat` with a flag that writes or creates.
    Open {
        /// The file.
        at: PathArg,
        /// Open flags.
        flags: i32,
        /// Mode of a created file.
        mode: u32,
    },
    /// `mkdir`, `mkdirat`.
    Mkdir {
        /// The new directory.
        at: PathArg,
        /// Its mode.
        mode: u32,
    },
    /// `mknod`, `mknodat`.
    Mknod {
        /// The new node.
        at: PathArg,
        /// Type and mode.
        mode: u32,
        /// Device number.
        dev: u64,
    },
    /// `symlink`, `symlinkat`.
    Symlink {
        /// The link's text.
        target: Vec<u8>,
        /// The new link.
        at: PathArg,
    },
    /// `link`, `linkat`.
    Link {
        /// The existing file (`None` path: the descriptor `base` names, for
        /// `AT_EMPTY_PATH`).
        from: What,
        /// The new name.
        to: PathArg,
    },
    /// `rename`, `renameat`, `renameat2`.
    Rename {
        /// The old name.
        from: PathArg,
        /// The new name.
        to: PathArg,
        /// `RENAME_*` flags.
        flags: u32,
    },
    /// `unlink`, `unlinkat`, `rmdir`.
    Remove {
        /// The entry.
        at: PathArg,
        /// Whether it must be a directory (`rmdir`, `AT_REMOVEDIR`).
        dir: bool,
    },
    /// `truncate`.
    Truncate {
        /// The file.
        at: PathArg,
        /// The new length.
        length: i64,
    },
    /// `chmod`, `fchmod`, `fchmodat`, `fchmodat2`.
    Chmod {
        /// The object.
        what: What,
        /// The new mode.
        mode: u32,
    },
    /// `chown`, `fchown`, `lchown`, `fchownat`.
    Chown {
        /// The object.
        what: What,
        /// New owner (`u32::MAX`: unchanged).
        uid: u32,
        /// New group (`u32::MAX`: unchanged).
        gid: u32,
    },
    /// `utime`, `utimes`, `futimesat`, `utimensat`.
    Utimes {
        /// The object.
        what: What,
        /// The new times.
        times: Times,
    },
    /// `setxattr`, `lsetxattr`, `fsetxattr`.
    SetXattr {
        /// The object.
        what: What,
        /// The attribute.
        name: CString,
        /// Its value.
        value: Vec<u8>,
        /// `XATTR_CREATE`, `XATTR_REPLACE`.
        flags: i32,
    },
    /// `removexattr`, `lremovexattr`, `fremovexattr`.
    RemoveXattr {
        /// The object.
        what: What,
        /// The attribute.
        name: CString,
    },
}

/// Open flags that make an open the supervisor's to perform.
pub const MEDIATED_OPEN_FLAGS: i32 = libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC;

/// `fchmodat2` (Linux 6.6; not in `libc` yet).
const SYS_FCHMODAT2: libc::c_long = crate::sys::syscalls::number::fchmodat2;

/// Whether the supervisor performs this call itself.
pub fn is_mediated(call: &Notification) -> bool {
    let a = call.args;
    match call.syscall as libc::c_long {
        libc::SYS_open => a[1] as i32 & MEDIATED_OPEN_FLAGS != 0,
        libc::SYS_openat => a[2] as i32 & MEDIATED_OPEN_FLAGS != 0,
        number => MEDIATED.contains(&number),
    }
}

/// The calls always performed by the supervisor (`open` and `openat` also,
/// when they may write).
pub const MEDIATED: &[libc::c_long] = &[
    libc::SYS_creat,
    libc::SYS_mkdir,
    libc::SYS_mkdirat,
    libc::SYS_mknod,
    libc::SYS_mknodat,
    libc::SYS_symlink,
    libc::SYS_symlinkat,
    libc::SYS_link,
    libc::SYS_linkat,
    libc::SYS_rename,
    libc::SYS_renameat,
    libc::SYS_renameat2,
    libc::SYS_unlink,
    libc::SYS_unlinkat,
    libc::SYS_rmdir,
    libc::SYS_truncate,
    libc::SYS_chmod,
    libc::SYS_fchmod,
    libc::SYS_fchmodat,
    SYS_FCHMODAT2,
    libc::SYS_chown,
    libc::SYS_fchown,
    libc::SYS_lchown,
    libc::SYS_fchownat,
    libc::SYS_utime,
    libc::SYS_utimes,
    libc::SYS_futimesat,
    libc::SYS_utimensat,
    libc::SYS_setxattr,
    libc::SYS_lsetxattr,
    libc::SYS_fsetxattr,
    libc::SYS_removexattr,
    libc::SYS_lremovexattr,
    libc::SYS_fremovexattr,
];

/// Reads a mediated call's arguments; `Err(errno)` when they cannot be read
/// (`EFAULT`, as the kernel would answer a bad pointer).
pub fn decode(call: &Notification) -> Result<Request, i32> {
    let remote = Remote::new(call.pid);
    let a = call.args;
    let string = |address: u64| -> Result<Vec<u8>, i32> {
        let path = remote.c_string(address, MAX_PATH).ok_or(libc::EFAULT)?;
        // PATH_MAX counts the terminating NUL.
        if path.len() >= MAX_PATH {
            return Err(libc::ENAMETOOLONG);
        }
        Ok(path)
    };
    let at = |dirfd: u64, address: u64| -> Result<PathArg, i32> {
        Ok(PathArg {
            base: Base::of(dirfd),
            path: string(address)?,
        })
    };
    let cwd = libc::AT_FDCWD as u64;
    // `AT_EMPTY_PATH` with an empty path: the descriptor itself.
    let object = |dirfd: u64, address: u64, flags: u64| -> Result<What, i32> {
        let path = if address == 0 {
            Vec::new()
        } else {
            string(address)?
        };
        if path.is_empty() && (flags & libc::AT_EMPTY_PATH as u64 != 0 || address == 0) {
            return Ok(What::Fd(dirfd as i32));
        }
        Ok(What::Path {
            at: PathArg {
                base: Base::of(dirfd),
                path,
            },
            follow: flags & libc::AT_SYMLINK_NOFOLLOW as u64 == 0,
        })
    };
    let path_object = |address: u64, follow: bool| -> Result<What, i32> {
        Ok(What::Path {
            at: at(cwd, address)?,
            follow,
        })
    };
    let xattr_name = |address: u64| -> Result<CString, i32> {
        let name = remote
            .c_string(address, MAX_XATTR_NAME + 1)
            .ok_or(libc::EFAULT)?;
        if name.len() > MAX_XATTR_NAME || name.is_empty() {
            return Err(libc::ERANGE);
        }
        CString::new(name).map_err(|_| libc::EINVAL)
    };
    let xattr_value = |address: u64, size: u64| -> Result<Vec<u8>, i32> {
        let size = size as usize;
        if size > MAX_XATTR_VALUE {
            return Err(libc::E2BIG);
        }
        remote.bytes(address, size).ok_or(libc::EFAULT)
    };
    let request = match call.syscall as libc::c_long {
        libc::SYS_open => Request::Open {
            at: at(cwd, a[0])?,
            flags: a[1] as i32,
            mode: a[2] as u32,
        },
        libc::SYS_openat => Request::Open {
            at: at(a[0], a[1])?,
            flags: a[2] as i32,
            mode: a[3] as u32,
        },
        libc::SYS_creat => Request::Open {
            at: at(cwd, a[0])?,
            flags: libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC,
            mode: a[1] as u32,
        },
        libc::SYS_mkdir => Request::Mkdir {
            at: at(cwd, a[0])?,
            mode: a[1] as u32,
        },
        libc::SYS_mkdirat => Request::Mkdir {
            at: at(a[0], a[1])?,
            mode: a[2] as u32,
        },
        libc::SYS_mknod => Request::Mknod {
            at: at(cwd, a[0])?,
            mode: a[1] as u32,
            dev: a[2],
        },
        libc::SYS_mknodat => Request::Mknod {
            at: at(a[0], a[1])?,
            mode: a[2] as u32,
            dev: a[3],
        },
        libc::SYS_symlink => Request::Symlink {
            target: string(a[0])?,
            at: at(cwd, a[1])?,
        },
        libc::SYS_symlinkat => Request::Symlink {
            target: string(a[0])?,
            at: at(a[1], a[2])?,
        },
        libc::SYS_link => Request::Link {
            from: path_object(a[0], false)?,
            to: at(cwd, a[1])?,
        },
        libc::SYS_linkat => {
            // linkat follows a last link only with AT_SYMLINK_FOLLOW.
            let follows = a[4] & libc::AT_SYMLINK_FOLLOW as u64 != 0;
            let mut from = object(a[0], a[1], a[4] & libc::AT_EMPTY_PATH as u64)?;
            if let What::Path { follow, .. } = &mut from {
                *follow = follows;
            }
            Request::Link {
                from,
                to: at(a[2], a[3])?,
            }
        }
        libc::SYS_rename => Request::Rename {
            from: at(cwd, a[0])?,
            to: at(cwd, a[1])?,
            flags: 0,
        },
        libc::SYS_renameat => Request::Rename {
            from: at(a[0], a[1])?,
            to: at(a[2], a[3])?,
            flags: 0,
        },
        libc::SYS_renameat2 => Request::Rename {
            from: at(a[0], a[1])?,
            to: at(a[2], a[3])?,
            flags: a[4] as u32,
        },
        libc::SYS_unlink => Request::Remove {
            at: at(cwd, a[0])?,
            dir: false,
        },
        libc::SYS_rmdir => Request::Remove {
            at: at(cwd, a[0])?,
            dir: true,
        },
        libc::SYS_unlinkat => Request::Remove {
            at: at(a[0], a[1])?,
            dir: a[2] & libc::AT_REMOVEDIR as u64 != 0,
        },
        libc::SYS_truncate => Request::Truncate {
            at: at(cwd, a[0])?,
            length: a[1] as i64,
        },
        libc::SYS_chmod => Request::Chmod {
            what: path_object(a[0], true)?,
            mode: a[1] as u32,
        },
        libc::SYS_fchmod => Request::Chmod {
            what: What::Fd(a[0] as i32),
            mode: a[1] as u32,
        },
        libc::SYS_fchmodat => Request::Chmod {
            what: object(a[0], a[1], 0)?,
            mode: a[2] as u32,
        },
        SYS_FCHMODAT2 => Request::Chmod {
            what: object(a[0], a[1], a[3])?,
            mode: a[2] as u32,
        },
        libc::SYS_chown => Request::Chown {
            what: path_object(a[0], true)?,
            uid: a[1] as u32,
            gid: a[2] as u32,
        },
        libc::SYS_lchown => Request::Chown {
            what: path_object(a[0], false)?,
            uid: a[1] as u32,
            gid: a[2] as u32,
        },
        libc::SYS_fchown => Request::Chown {
            what: What::Fd(a[0] as i32),
            uid: a[1] as u32,
            gid: a[2] as u32,
        },
        libc::SYS_fchownat => Request::Chown {
            what: object(a[0], a[1], a[4])?,
            uid: a[2] as u32,
            gid: a[3] as u32,
        },
        libc::SYS_utime => Request::Utimes {
            what: path_object(a[0], true)?,
            times: utimbuf(&remote, a[1])?,
        },
        libc::SYS_utimes => Request::Utimes {
            what: path_object(a[0], true)?,
            times: timevals(&remote, a[1])?,
        },
        libc::SYS_futimesat => Request::Utimes {
            what: object(a[0], a[1], 0)?,
            times: timevals(&remote, a[2])?,
        },
        libc::SYS_utimensat => Request::Utimes {
            what: object(a[0], a[1], a[3])?,
            times: timespecs(&remote, a[2])?,
        },
        libc::SYS_setxattr | libc::SYS_lsetxattr => Request::SetXattr {
            what: path_object(a[0], call.syscall as libc::c_long == libc::SYS_setxattr)?,
            name: xattr_name(a[1])?,
            value: xattr_value(a[2], a[3])?,
            flags: a[4] as i32,
        },
        libc::SYS_fsetxattr => Request::SetXattr {
            what: What::Fd(a[0] as i32),
            name: xattr_name(a[1])?,
            value: xattr_value(a[2], a[3])?,
            flags: a[4] as i32,
        },
        libc::SYS_removexattr | libc::SYS_lremovexattr => Request::RemoveXattr {
            what: path_object(a[0], call.syscall as libc::c_long == libc::SYS_removexattr)?,
            name: xattr_name(a[1])?,
        },
        libc::SYS_fremovexattr => Request::RemoveXattr {
            what: What::Fd(a[0] as i32),
            name: xattr_name(a[1])?,
        },
        _ => return Err(libc::ENOSYS),
    };
    Ok(request)
}

/// `struct utimbuf { time_t actime, modtime; }`, seconds.
fn utimbuf(remote: &Remote, address: u64) -> Result<Times, i32> {
    if address == 0 {
        return Ok(None);
    }
    let seconds = |offset| remote.u64_at(address + offset).ok_or(libc::EFAULT);
    let at = |s: u64| libc::timespec {
        tv_sec: s as i64,
        tv_nsec: 0,
    };
    Ok(Some([at(seconds(0)?), at(seconds(8)?)]))
}

/// `struct timeval[2]`, seconds and microseconds.
fn timevals(remote: &Remote, address: u64) -> Result<Times, i32> {
    if address == 0 {
        return Ok(None);
    }
    let word = |offset| remote.u64_at(address + offset).ok_or(libc::EFAULT);
    let at = |seconds: u64, micros: u64| -> Result<libc::timespec, i32> {
        if micros >= 1_000_000 {
            return Err(libc::EINVAL);
        }
        Ok(libc::timespec {
            tv_sec: seconds as i64,
            tv_nsec: (micros * 1000) as i64,
        })
    };
    Ok(Some([at(word(0)?, word(8)?)?, at(word(16)?, word(24)?)?]))
}

/// `struct timespec[2]`, with `UTIME_NOW` and `UTIME_OMIT` kept.
fn timespecs(remote: &Remote, address: u64) -> Result<Times, i32> {
    if address == 0 {
        return Ok(None);
    }
    let word = |offset| remote.u64_at(address + offset).ok_or(libc::EFAULT);
    let at = |seconds: u64, nanos: u64| libc::timespec {
        tv_sec: seconds as i64,
        tv_nsec: nanos as i64,
    };
    Ok(Some([at(word(0)?, word(8)?), at(word(16)?, word(24)?)]))
}
