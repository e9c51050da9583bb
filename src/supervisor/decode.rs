//! From a trapped call to the operation it asks for, with absolute paths.

use super::memory::{MAX_PATH, Remote};
use crate::policy::lexically_normal;
use crate::sys::notify::Notification;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// What an exec or a read-only open asks for (every call that changes
/// something is performed by the supervisor instead, see
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
        /// Whether `path` is the name as the kernel resolves it: made
        /// absolute, with no `..` (which, after a symbolic link, leads
        /// elsewhere than its lexical removal) and not in `/proc` or `/dev`
        /// (`/proc/self`, `/dev/fd`, `/dev/stdin` name the caller's own).
        exact: bool,
        /// The name the process gave when it named its program through one
        /// of its own links in `/proc` (`/proc/self/exe`, as programs that
        /// run themselves again do, or `/proc/self/fd/N`): `path` is then
        /// the file that link led to while the process waited.
        via: Option<PathBuf>,
    },
    /// `open`/`openat` for reading.
    Open {
        /// The file.
        path: PathBuf,
        /// The open flags.
        flags: i32,
    },
}

impl Operation {
    /// The program or file asked for.
    pub fn path(&self) -> &Path {
        match self {
            Operation::Exec { path, .. } | Operation::Open { path, .. } => path,
        }
    }
}

/// The name of a system call the notify filter traps.
pub fn syscall_name(number: i32) -> &'static str {
    crate::sys::syscalls::name(libc::c_long::from(number)).unwrap_or("unknown")
}

/// Decodes a trapped exec; `None` if its memory could not be read (the
/// process then gets what the kernel decides, unrecorded details aside).
/// (Read-only opens are decoded by [`super::reads`].)
/// `working_dir` gives the working directory of the calling thread.
pub fn decode(call: &Notification, working_dir: &dyn Fn() -> Option<PathBuf>) -> Option<Operation> {
    let remote = Remote::new(call.pid);
    let a = call.args;
    let cwd = || working_dir().map(|dir| lexically_normal(&dir));
    let operation = match call.syscall as libc::c_long {
        libc::SYS_execve | libc::SYS_execveat => {
            let execve = call.syscall as libc::c_long == libc::SYS_execve;
            let (raw, argv_address) = match execve {
                true => (remote.c_string(a[0], MAX_PATH)?, a[1]),
                false => (remote.c_string(a[1], MAX_PATH)?, a[2]),
            };
            let dirfd = match execve {
                true => libc::AT_FDCWD,
                false => a[0] as i32,
            };
            let asked = resolve(call.pid, dirfd, &raw, working_dir)?;
            let (argv, argv_truncated) = remote.string_array(argv_address)?;
            let exact = execve
                && !raw.split(|&byte| byte == b'/').any(|part| part == b"..")
                && !asked.starts_with("/proc")
                && !asked.starts_with("/dev");
            let (path, via) = match through_own_link(call.pid, &asked) {
                Some(file) => (file, Some(asked)),
                None => (asked, None),
            };
            Operation::Exec {
                path,
                argv,
                argv_truncated,
                cwd: cwd()?,
                exact,
                via,
            }
        }
        _ => return None,
    };
    Some(operation)
}

/// The file a program named through the calling thread's own link in
/// `/proc` leads to (`/proc/self/exe`, `/proc/thread-self/fd/3`,
/// `/dev/fd/3`, or the same under its own id), read from the thread's
/// entry: in the supervisor, `/proc/self` is the supervisor. `None` for
/// any other path, or a link to what has no path (a pipe, a deleted file).
fn through_own_link(tid: u32, asked: &Path) -> Option<PathBuf> {
    let own = Path::new("/proc").join(tid.to_string());
    // `/dev/fd` is `/proc/self/fd`; nothing else in `/dev` is the caller's.
    let rest = match asked.strip_prefix("/dev") {
        Ok(rest) if rest.starts_with("fd") => rest.to_path_buf(),
        Ok(_) => return None,
        Err(_) => ["/proc/self", "/proc/thread-self", own.to_str()?]
            .iter()
            .find_map(|prefix| asked.strip_prefix(prefix).ok())?
            .to_path_buf(),
    };
    let mut parts = rest.components().map(|part| part.as_os_str());
    let link = match (parts.next(), parts.next(), parts.next()) {
        (Some(exe), None, None) if exe == "exe" => own.join("exe"),
        (Some(fd), Some(number), None) if fd == "fd" => own.join("fd").join(number),
        _ => return None,
    };
    let file = std::fs::read_link(link).ok()?;
    let deleted = file.as_os_str().as_bytes().ends_with(b" (deleted)");
    (file.is_absolute() && !deleted).then_some(file)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_callers_own_links_are_followed() {
        let tid = nix::unistd::gettid().as_raw() as u32;
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        for own in ["/proc/self/exe", "/proc/thread-self/exe"] {
            assert_eq!(through_own_link(tid, Path::new(own)), Some(exe.clone()));
        }
        let own = format!("/proc/{tid}/exe");
        assert_eq!(through_own_link(tid, Path::new(&own)), Some(exe));
        let file = tempfile::NamedTempFile::new().unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(file.as_file());
        let by_fd = format!("/dev/fd/{fd}");
        assert_eq!(
            through_own_link(tid, Path::new(&by_fd)).as_deref(),
            Some(file.path())
        );
        // Not a link of the caller's: named as asked.
        for other in [
            "/dev/exe",
            "/dev/stdin",
            "/proc/1/exe",
            "/usr/bin/true",
            "/proc/self/cwd",
        ] {
            assert_eq!(through_own_link(tid, Path::new(other)), None, "{other}");
        }
    }
}
