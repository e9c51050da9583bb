//! The few system calls no safe wrapper covers. Every `unsafe` block of the
//! crate lives here, each with a `// SAFETY:` note.

pub mod caps;
pub mod handoff;
pub mod notify;
pub mod prctl;
pub mod proc_stat;
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

/// Forks the calling process. The caller must be single-threaded.
pub fn fork() -> std::io::Result<nix::unistd::ForkResult> {
    // SAFETY: guard forks before it starts any thread (the launcher is
    // single-threaded up to here), so the child may allocate and run
    // ordinary Rust code until it calls execve.
    unsafe { nix::unistd::fork() }.map_err(std::io::Error::from)
}

/// Ends the calling process at once with `code`, running no exit handlers and
/// flushing no buffers: what a forked child must do instead of returning.
pub fn exit_immediately(code: i32) -> ! {
    // SAFETY: `_exit` has no preconditions; it never returns.
    unsafe { libc::_exit(code) }
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
/// process 1 of the new pid namespace. The caller must be single-threaded.
pub fn fork_into(flags: nix::sched::CloneFlags) -> std::io::Result<nix::unistd::ForkResult> {
    // SAFETY: with a null stack pointer clone duplicates the caller like fork,
    // and guard is single-threaded here (see `fork`), so the child may run
    // ordinary Rust code. No pointer arguments are passed.
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
