//! The few system calls no safe wrapper covers. Every `unsafe` block of the
//! crate lives here, each with a `// SAFETY:` note.

pub mod affinity;
pub mod caps;
pub mod handoff;
pub mod notify;
pub mod prctl;
pub mod proc_file;
pub mod proc_stat;
pub mod reaped;
pub mod syscalls;
pub mod xattr;

/// The Landlock ABI version the running kernel supports (0 when Landlock is
/// missing or disabled).
pub fn landlock_abi_version() -> u32 {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute pointer, size 0 and the VERSION flag the
    // syscall reads no memory and only returns a number or -1.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(version).unwrap_or(0)
}

/// Whether something above the calling thread refuses it new Landlock
/// layers, as a guard session does its processes (seccomp, `EPERM`). Asked
/// with an invalid ruleset, which the kernel itself would answer `EBADF`;
/// `no_new_privs` must be set, or the kernel answers `EPERM` too.
pub fn landlock_layers_refused() -> bool {
    // SAFETY: the syscall takes two integers and reads no memory; ruleset -1
    // cannot restrict anything.
    let result = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, -1, 0) };
    result == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Whether the calling process runs inside a guard session, as the kernel
/// sees it: a seccomp listener already watches it (the session's
/// supervisor), and new Landlock layers are refused to it (the session's
/// deny list). Asked on a throwaway thread, which takes `no_new_privs` and
/// its test filter with it when it ends.
pub fn in_a_guard_session() -> std::io::Result<bool> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                prctl::set_no_new_privs()?;
                Ok(notify::watched_by_a_listener()? && landlock_layers_refused())
            })
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the session probe panicked")))
    })
}

/// Marks every file descriptor from `first` upwards close-on-exec, so that
/// nothing the parent opened leaks into the sandbox.
pub fn cloexec_from(first: u32) -> std::io::Result<()> {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range only changes flags of this process's descriptors.
    let result =
        unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, CLOSE_RANGE_CLOEXEC) };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Forks the calling process, which must be single-threaded (checked).
pub fn fork() -> std::io::Result<nix::unistd::ForkResult> {
    ensure_single_threaded()?;
    // SAFETY: the process has one thread (checked above), so no lock can be
    // held by a thread that the child would not have: the child may
    // allocate and run ordinary Rust code.
    unsafe { nix::unistd::fork() }.map_err(std::io::Error::from)
}

/// Fails unless the calling process has exactly one thread. A child cloned
/// from a process with more threads inherits every lock those threads held
/// at that instant (glibc's allocator locks among them: a raw `clone` runs
/// none of the fork handlers that reset them), and hangs on it for good.
/// A thread that was just joined may still be listed for a moment while the
/// kernel finishes its exit (it runs no code of ours then): asked again for
/// up to ~100 ms before this fails.
fn ensure_single_threaded() -> std::io::Result<()> {
    let mut threads = 0;
    for _ in 0..100 {
        threads = std::fs::read_dir("/proc/self/task")?.count();
        if threads == 1 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Err(std::io::Error::other(format!(
        "guard has {threads} threads; a session may only be cloned from one"
    )))
}

/// Ends the calling process at once with `code`, running no exit handlers and
/// flushing no buffers: what a forked child must do instead of returning.
pub fn exit_immediately(code: i32) -> ! {
    // SAFETY: `_exit` has no preconditions; it never returns.
    unsafe { libc::_exit(code) }
}

/// Puts `SIGPIPE` back to its default action (end the process) for what
/// the calling process executes next. Rust's runtime ignores it in guard,
/// and an ignored signal stays ignored across `execve`: the session's
/// programs would get `EPIPE` where they expect to end (`make -v | head -1`
/// printing "write error"), as `std::process::Command` resets it too.
pub fn default_sigpipe() -> std::io::Result<()> {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: installing the default disposition runs no handler code, so
    // none of `signal`'s requirements on a handler apply.
    unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) }
        .map(drop)
        .map_err(std::io::Error::from)
}

/// The terminal device of the first of stdin, stdout, stderr that is one.
pub fn terminal_name() -> Option<std::path::PathBuf> {
    use std::os::fd::BorrowedFd;
    (0..3).find_map(|fd| {
        // SAFETY: the borrow lives only for this call; if the descriptor is
        // closed, ttyname fails with EBADF and nothing else happens.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        nix::unistd::ttyname(fd).ok()
    })
}

/// Forks the calling process into new namespaces (`clone` with `flags` and a
/// null stack, which behaves like `fork`). With `CLONE_NEWPID` the child is
/// process 1 of the new pid namespace. The caller must be single-threaded
/// (checked).
pub fn fork_into(flags: nix::sched::CloneFlags) -> std::io::Result<nix::unistd::ForkResult> {
    ensure_single_threaded()?;
    // SAFETY: with a null stack pointer clone duplicates the caller like fork,
    // and the caller has one thread (checked above, see `fork`), so the child
    // may run ordinary Rust code. No pointer arguments are passed.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            flags.bits() as libc::c_ulong | libc::SIGCHLD as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    };
    match pid {
        -1 => Err(std::io::Error::last_os_error()),
        0 => Ok(nix::unistd::ForkResult::Child),
        child => Ok(nix::unistd::ForkResult::Parent {
            child: nix::unistd::Pid::from_raw(child as libc::pid_t),
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_process_is_cloned_while_another_thread_runs() {
        // The test harness runs this on a thread of its own; one more that
        // waits makes certain there are at least two.
        let (stop, waiting) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || waiting.recv());
        let refused = super::fork().map(|_| ()).unwrap_err();
        assert!(refused.to_string().contains("threads"), "{refused}");
        drop(stop);
        let _ = other.join();
    }
}
