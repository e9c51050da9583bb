//! Extended attributes, which `nix` does not wrap: setting and removing one
//! on a path (without following a last symbolic link) or a descriptor.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

fn check(result: libc::c_int) -> io::Result<()> {
    if result == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `lsetxattr(path, name, value, flags)`.
pub fn set_at_path(path: &CStr, name: &CStr, value: &[u8], flags: i32) -> io::Result<()> {
    // SAFETY: both strings are NUL-terminated and live for the call; value
    // is a valid buffer of the length passed, which the kernel only reads.
    check(unsafe {
        libc::lsetxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            flags,
        )
    })
}

/// `fsetxattr(fd, name, value, flags)`.
pub fn set_at_fd(fd: BorrowedFd<'_>, name: &CStr, value: &[u8], flags: i32) -> io::Result<()> {
    // SAFETY: as for `set_at_path`; the descriptor is borrowed for the call.
    check(unsafe {
        libc::fsetxattr(
            fd.as_raw_fd(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            flags,
        )
    })
}

/// `lremovexattr(path, name)`.
pub fn remove_at_path(path: &CStr, name: &CStr) -> io::Result<()> {
    // SAFETY: both strings are NUL-terminated and live for the call.
    check(unsafe { libc::lremovexattr(path.as_ptr(), name.as_ptr()) })
}

/// `fremovexattr(fd, name)`.
pub fn remove_at_fd(fd: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    // SAFETY: the name is NUL-terminated; the descriptor is borrowed.
    check(unsafe { libc::fremovexattr(fd.as_raw_fd(), name.as_ptr()) })
}
