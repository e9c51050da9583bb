//! seccomp user notification: the notify filter, its listener's ioctls, and
//! taking a descriptor from a trapped process (`pidfd_getfd`).
//!
//! seccompiler cannot return a listener, so the notify filter is assembled by
//! hand (`crate::supervisor::trap`) and installed here.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// A trapped system call, as the supervisor receives it.
#[derive(Debug, Clone, Copy)]
pub struct Notification {
    /// The kernel's cookie for this call.
    pub id: u64,
    /// The calling thread's id (in guard's pid namespace).
    pub pid: u32,
    /// The system call number.
    pub syscall: i32,
    /// Its six arguments.
    pub args: [u64; 6],
}

/// What the supervisor answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Response {
    /// Let the kernel carry out the call as asked (Landlock and the deny
    /// filters still decide it). Only for calls whose arguments the supervisor
    /// merely records.
    Continue,
    /// The call returns this value without running (the supervisor did the work).
    Return(i64),
    /// The call fails with this errno.
    Fail(i32),
}

/// The listening end of a notify filter.
#[derive(Debug)]
pub struct Listener(OwnedFd);

fn check(result: libc::c_long) -> io::Result<libc::c_long> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

/// Installs a notify filter (built by `crate::supervisor::trap`) on the
/// calling thread and returns its listener. `no_new_privs` must be set.
pub fn install_notify_filter(program: &[libc::sock_filter]) -> io::Result<OwnedFd> {
    let fprog = libc::sock_fprog {
        len: u16::try_from(program.len())
            .map_err(|_| io::Error::other("notify filter too long"))?,
        filter: program.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: fprog points at `program`, which outlives the call; the kernel
    // copies the filter and returns a new descriptor that we own.
    let fd = check(unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &fprog as *const libc::sock_fprog,
        )
    })?;
    // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Whether a seccomp filter with a listener already watches the calling
/// thread: the kernel allows one listener per filter chain, and answers
/// `EBUSY` to a second. The test filter (allow-all) stays on the calling
/// thread, so call this on a thread that ends next (see
/// [`crate::sys::in_a_guard_session`]). `no_new_privs` must be set.
pub fn watched_by_a_listener() -> io::Result<bool> {
    let allow = [libc::sock_filter {
        code: 0x06, // BPF_RET | BPF_K
        jt: 0,
        jf: 0,
        k: libc::SECCOMP_RET_ALLOW,
    }];
    match install_notify_filter(&allow) {
        Ok(_listener) => Ok(false),
        Err(error) if error.raw_os_error() == Some(libc::EBUSY) => Ok(true),
        Err(error) => Err(error),
    }
}

impl Listener {
    /// Wraps a listener descriptor (received from the child).
    pub fn new(fd: OwnedFd) -> Listener {
        Listener(fd)
    }

    /// Asks the kernel to wake the trapped thread on the supervisor's CPU
    /// (`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`, Linux 6.6): ~2 µs instead of
    /// 20–60 µs a round trip. Older kernels refuse; that is only slower.
    pub fn set_sync_wakeup(&self) -> io::Result<()> {
        const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: libc::c_ulong = 1;
        // SAFETY: SET_FLAGS takes its argument by value and touches no memory of ours.
        check(unsafe {
            libc::ioctl(
                self.0.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP,
            )
        } as libc::c_long)
        .map(drop)
    }

    /// Waits for the next trapped call.
    pub fn receive(&self) -> io::Result<Notification> {
        // SAFETY: seccomp_notif is plain integers; all-zero is valid and the
        // kernel requires the buffer to be zeroed.
        let mut raw: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: raw is a valid, writable seccomp_notif for the call.
        let result =
            unsafe { libc::ioctl(self.0.as_raw_fd(), libc::SECCOMP_IOCTL_NOTIF_RECV, &mut raw) };
        check(result as libc::c_long)?;
        Ok(Notification {
            id: raw.id,
            pid: raw.pid,
            syscall: raw.data.nr,
            args: raw.data.args,
        })
    }

    /// Whether no process is left that the filter could trap: the kernel
    /// then reports a hang-up on the listener (and `receive` fails at once
    /// with `ENOENT`, as it also does when a trapped process died before its
    /// call was read).
    pub fn is_orphaned(&self) -> bool {
        let mut poll = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, no timeout; poll writes only `revents`.
        let ready = unsafe { libc::poll(&mut poll, 1, 0) };
        ready > 0 && poll.revents & libc::POLLHUP != 0
    }

    /// Whether the trapped call `id` is still waiting (its process has not
    /// died and been replaced). Check after reading the process's memory and
    /// before acting on it.
    pub fn is_valid(&self, id: u64) -> bool {
        // SAFETY: ID_VALID reads the u64 behind the pointer, which is valid.
        unsafe { libc::ioctl(self.0.as_raw_fd(), libc::SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 }
    }

    /// Answers the trapped call `id` with a new descriptor in the trapped
    /// process: a copy of `fd` (close-on-exec if `cloexec`) is installed
    /// there, and its number becomes the call's return value.
    ///
    /// Two steps (`SECCOMP_IOCTL_NOTIF_ADDFD`, then the answer) rather than
    /// the atomic `SECCOMP_ADDFD_FLAG_SEND`: on this project's 2-vCPU VMs
    /// the flag made the open storm 2.3x slower (5.3 s against 2.3 s for
    /// 20,000 opens, BENCHMARKS.md; `bench/notify_floor.sh`: 51 µs an open
    /// against 15). The price: a signal that interrupts the
    /// call between the two leaves the process one descriptor it does not
    /// know of, to a file it was allowed to open (the call is then made
    /// again, or fails with `EINTR`); it is recorded as opened all the same.
    ///
    /// The trapped thread is held to this CPU while it installs the
    /// descriptor ([`super::affinity`]).
    ///
    /// `fd` is closed before the answer lets the process go on: from then
    /// the file is open only where the process has it, as if the kernel
    /// had opened it. (A FIFO end left open here a moment longer would
    /// let the other end's open through after the process closed its own:
    /// a writer would write to no one, and the next reader wait forever.)
    pub fn respond_with_fd(
        &self,
        call: &Notification,
        fd: OwnedFd,
        cloexec: bool,
    ) -> io::Result<i32> {
        let id = call.id;
        let addfd = libc::seccomp_notif_addfd {
            id,
            flags: 0,
            srcfd: fd.as_raw_fd() as u32,
            newfd: 0,
            newfd_flags: if cloexec { libc::O_CLOEXEC as u32 } else { 0 },
        };
        let held = super::affinity::Held::here(call.pid);
        // SAFETY: ADDFD reads the struct behind the pointer, which is valid
        // for the call; the kernel duplicates `srcfd` into the target.
        let installed = unsafe {
            libc::ioctl(
                self.0.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_ADDFD,
                &addfd as *const libc::seccomp_notif_addfd,
            )
        };
        // Its own CPUs back, and the supervisor's copy gone, before it is
        // let go.
        drop(held);
        drop(fd);
        let installed = check(installed as libc::c_long)? as i32;
        // Once installed, the descriptor is the process's, whether or not
        // the answer still finds the call waiting (a signal may have ended
        // it): that is what the caller must record.
        let _ = self.respond(id, Response::Return(i64::from(installed)));
        Ok(installed)
    }

    /// Answers the trapped call `id`.
    pub fn respond(&self, id: u64, response: Response) -> io::Result<()> {
        let (val, error, flags) = match response {
            Response::Continue => (0, 0, libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32),
            Response::Return(value) => (value, 0, 0),
            Response::Fail(errno) => (0, -errno, 0),
        };
        let mut raw = libc::seccomp_notif_resp {
            id,
            val,
            error,
            flags,
        };
        // SAFETY: raw is a valid seccomp_notif_resp for the call.
        check(
            unsafe { libc::ioctl(self.0.as_raw_fd(), libc::SECCOMP_IOCTL_NOTIF_SEND, &mut raw) }
                as libc::c_long,
        )
        .map(drop)
    }
}

/// A pidfd of thread `tid` (`PIDFD_THREAD`, Linux 6.9): readable once that
/// thread has ended.
pub fn thread_pidfd(tid: u32) -> io::Result<OwnedFd> {
    const PIDFD_THREAD: libc::c_uint = libc::O_EXCL as libc::c_uint;
    // SAFETY: pidfd_open takes integers and returns a new descriptor or -1.
    let pidfd =
        check(unsafe { libc::syscall(libc::SYS_pidfd_open, tid as libc::pid_t, PIDFD_THREAD) })?;
    // SAFETY: the kernel just returned this descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(pidfd as RawFd) })
}

/// Duplicates descriptor `fd` of thread `tid` into this process.
pub fn take_fd(tid: u32, fd: RawFd) -> io::Result<OwnedFd> {
    let pidfd = thread_pidfd(tid).or_else(|_| {
        // Before Linux 6.9 only a process (thread-group leader) has a pidfd.
        let tgid = thread_group_of(tid)?;
        // SAFETY: pidfd_open takes integers and returns a new descriptor or -1.
        let pidfd = check(unsafe { libc::syscall(libc::SYS_pidfd_open, tgid, 0) })?;
        // SAFETY: the kernel just returned this descriptor; we own it.
        Ok::<_, io::Error>(unsafe { OwnedFd::from_raw_fd(pidfd as RawFd) })
    })?;
    // SAFETY: pidfd_getfd takes integers and returns a new descriptor or -1.
    let taken = check(unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) })?;
    // SAFETY: the kernel just returned this descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(taken as RawFd) })
}

fn thread_group_of(tid: u32) -> io::Result<libc::pid_t> {
    let status = super::proc_file::read_text(&format!("/proc/{tid}/status"))?;
    super::proc_file::status_field(&status, "Tgid:").ok_or_else(|| io::Error::other("no Tgid"))
}

/// `connect(socket, address)` with a raw socket address as read from a
/// trapped process. Returns 0 or the errno.
pub fn connect_raw(socket: &OwnedFd, address: &[u8]) -> i32 {
    // SAFETY: address is a valid buffer of the length passed; the kernel
    // validates its contents as a sockaddr and only reads it.
    let result = unsafe {
        libc::connect(
            socket.as_raw_fd(),
            address.as_ptr().cast(),
            address.len() as libc::socklen_t,
        )
    };
    if result == 0 {
        0
    } else {
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO)
    }
}

/// The address family of a socket (`SO_DOMAIN`).
pub fn socket_domain(socket: &OwnedFd) -> io::Result<i32> {
    socket_option(socket, libc::SO_DOMAIN)
}

/// The protocol of a socket (`SO_PROTOCOL`: `IPPROTO_TCP`, …).
pub fn socket_protocol(socket: &OwnedFd) -> io::Result<i32> {
    socket_option(socket, libc::SO_PROTOCOL)
}

/// An integer `SOL_SOCKET` option of a socket.
fn socket_option(socket: &OwnedFd, option: libc::c_int) -> io::Result<i32> {
    let mut value: libc::c_int = 0;
    let mut length = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value and length are valid for writing and sized for an
    // integer option.
    let result = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            option,
            (&mut value as *mut libc::c_int).cast(),
            &mut length,
        )
    };
    check(result as libc::c_long).map(|_| value)
}
