//! From a trapped call to the operation it asks for, with absolute paths.

use super::memory::{MAX_PATH, Remote};
use crate::policy::lexically_normal;
use crate::sys::notify::Notification;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// What a trapped call that goes on to the kernel asks for (every call that
/// changes something is performed by the supervisor instead, see
/// [`super::mediate`]). Paths are absolute and lexically normal, as the
/// process named them: symlinks are not resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// `execve`/`execveat`.
    Exec {
        /// The program.
        path: PathBuf,
        /// Its arguments.
        argv: Vec<String>,
        /// Whether `argv` was cut short.
        argv_truncated: bool,
        /// The working directory.
        cwd: PathBuf,
    },
    /// `open`/`openat` for reading.
    Open {
        /// The file.
        path: PathBuf,
        /// The open flags.
        flags: i32,
    },
}

/// The name of a system call the notify filter traps.
pub fn syscall_name(number: i32) -> &'static str {
    match number as libc::c_long {
        libc::SYS_execve => "execve",
        libc::SYS_execveat => "execveat",
        libc::SYS_open => "open",
        libc::SYS_openat => "openat",
        libc::SYS_creat => "creat",
        libc::SYS_unlink => "unlink",
        libc::SYS_unlinkat => "unlinkat",
        libc::SYS_rmdir => "rmdir",
        libc::SYS_rename => "rename",
        libc::SYS_renameat => "renameat",
        libc::SYS_renameat2 => "renameat2",
        libc::SYS_mkdir => "mkdir",
        libc::SYS_mkdirat => "mkdirat",
        libc::SYS_mknod => "mknod",
        libc::SYS_mknodat => "mknodat",
        libc::SYS_link => "link",
        libc::SYS_linkat => "linkat",
        libc::SYS_symlink => "symlink",
        libc::SYS_symlinkat => "symlinkat",
        libc::SYS_truncate => "truncate",
        libc::SYS_chmod => "chmod",
        libc::SYS_fchmod => "fchmod",
        libc::SYS_fchmodat => "fchmodat",
        super::mediate::SYS_FCHMODAT2 => "fchmodat2",
        libc::SYS_chown => "chown",
        libc::SYS_fchown => "fchown",
        libc::SYS_lchown => "lchown",
        libc::SYS_fchownat => "fchownat",
        libc::SYS_utime => "utime",
        libc::SYS_utimes => "utimes",
        libc::SYS_futimesat => "futimesat",
        libc::SYS_utimensat => "utimensat",
        libc::SYS_setxattr => "setxattr",
        libc::SYS_lsetxattr => "lsetxattr",
        libc::SYS_fsetxattr => "fsetxattr",
        libc::SYS_removexattr => "removexattr",
        libc::SYS_lremovexattr => "lremovexattr",
        libc::SYS_fremovexattr => "fremovexattr",
        libc::SYS_connect => "connect",
        libc::SYS_chdir => "chdir",
        libc::SYS_fchdir => "fchdir",
        libc::SYS_umask => "umask",
        _ => "unknown",
    }
}

/// Decodes a trapped call; `None` if its memory could not be read (the
/// process then gets what the kernel decides, unrecorded details aside).
/// `working_dir` gives the working directory of the calling thread.
pub fn decode(call: &Notification, working_dir: &dyn Fn() -> Option<PathBuf>) -> Option<Operation> {
    let remote = Remote::new(call.pid);
    let a = call.args;
    let at = |dirfd: u64, address: u64| {
        resolve(
            call.pid,
            dirfd as i32,
            &remote.c_string(address, MAX_PATH)?,
            working_dir,
        )
    };
    let cwd = || working_dir().map(|dir| lexically_normal(&dir));
    let operation = match call.syscall as libc::c_long {
        libc::SYS_execve | libc::SYS_execveat => {
            let (path, argv_address) = if call.syscall as libc::c_long == libc::SYS_execve {
                (at(libc::AT_FDCWD as u64, a[0])?, a[1])
            } else {
                (at(a[0], a[1])?, a[2])
            };
            let (argv, argv_truncated) = remote.string_array(argv_address)?;
            Operation::Exec {
                path,
                argv,
                argv_truncated,
                cwd: cwd()?,
            }
        }
        libc::SYS_open => Operation::Open {
            path: at(libc::AT_FDCWD as u64, a[0])?,
            flags: a[1] as i32,
        },
        libc::SYS_openat => Operation::Open {
            path: at(a[0], a[1])?,
            flags: a[2] as i32,
        },
        _ => return None,
    };
    Some(operation)
}

/// `raw` (as the process wrote it) made absolute: relative to the directory
/// `dirfd` names in the process, or its working directory.
fn resolve(tid: u32, dirfd: i32, raw: &[u8], cwd: &dyn Fn() -> Option<PathBuf>) -> Option<PathBuf> {
    let path = Path::new(OsStr::from_bytes(raw));
    if path.is_absolute() {
        return Some(lexically_normal(path));
    }
    let base = if dirfd == libc::AT_FDCWD {
        cwd()?
    } else {
        std::fs::read_link(format!("/proc/{tid}/fd/{dirfd}")).ok()?
    };
    Some(lexically_normal(&base.join(path)))
}
