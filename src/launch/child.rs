//! The forked child: one straight sequence of steps from guard's process to
//! the confined command. Any failure is written to the error pipe and the
//! child exits with [`SETUP_FAILED`]; the command never runs half-confined.
//!
//! With namespaces the child is process 1 of a new pid namespace: after
//! confining itself it forks the command and stays as its init ([`super::init`]),
//! so that when it ends — because the command ended or because guard died —
//! the kernel ends every process of the session. Without namespaces the child
//! becomes the command itself.

use crate::policy::Policy;
use crate::sandbox::{EnforceError, landlock, mounts, seccomp};
use crate::sys::{self, caps, prctl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, SigmaskHow, sigprocmask};
use nix::unistd::ForkResult;
use seccompiler::BpfProgram;
use std::ffi::CString;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};

/// Exit code of a child whose setup failed (its message is on the error pipe).
pub const SETUP_FAILED: i32 = 125;

/// Everything the child needs, prepared by the parent before the fork.
pub struct ChildPlan<'a> {
    /// The policy to enforce.
    pub policy: &'a Policy,
    /// The seccomp programs, already compiled.
    pub seccomp: &'a [BpfProgram],
    /// The program to execute.
    pub program: CString,
    /// Its arguments.
    pub argv: Vec<CString>,
    /// Its environment.
    pub env: Vec<CString>,
    /// guard's uid and gid, to map into a new user namespace.
    pub outside_ids: (u32, u32),
    /// The port of guard's network proxy (`network.mode = "allow"`).
    pub proxy_port: Option<u16>,
}

/// The child's end of the listener hand-off, when the policy needs a supervisor.
pub type Control = Option<std::os::unix::net::UnixStream>;

/// The descriptors the child gets from guard.
pub struct ChildEnds {
    /// Where a setup failure is reported (close-on-exec).
    pub error_pipe: OwnedFd,
    /// Hangs up when guard dies (guard holds the other end).
    pub guard_alive: OwnedFd,
    /// The listener hand-off, if any.
    pub control: Control,
}

/// Runs in the forked child; never returns.
pub fn run(plan: &ChildPlan<'_>, ends: ChildEnds) -> ! {
    let ChildEnds {
        error_pipe,
        guard_alive,
        control,
    } = ends;
    let confined = confine(plan, &guard_alive, control);
    drop(guard_alive);
    match confined {
        Ok(()) if plan.policy.namespace.is_some() => super::init::start_command(plan, error_pipe),
        Ok(()) => {
            let error = exec_command(plan);
            report(error_pipe, &error)
        }
        Err(error) => report(error_pipe, &error),
    }
}

/// Writes a setup failure for guard and exits.
pub fn report(error_pipe: OwnedFd, error: &ChildError) -> ! {
    let mut pipe = std::fs::File::from(error_pipe);
    let _ = pipe.write_all(error.to_string().as_bytes());
    sys::exit_immediately(SETUP_FAILED)
}

/// Why the child could not become the confined command.
#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    /// A sandbox layer failed.
    #[error(transparent)]
    Enforce(#[from] EnforceError),
    /// A system call of the setup failed.
    #[error("{step}: {source}")]
    System {
        /// Which step.
        step: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// Capabilities were left after dropping them.
    #[error(
        "capabilities remain after dropping them (effective, permitted, inheritable, ambient, bounding = {0:x?})"
    )]
    CapabilitiesLeft([u64; 5]),
    /// `execve` failed.
    #[error("cannot execute {program}: {source}")]
    Exec {
        /// The program.
        program: String,
        /// The error.
        source: nix::Error,
    },
}

pub(super) fn system(step: &'static str) -> impl FnOnce(std::io::Error) -> ChildError {
    move |source| ChildError::System { step, source }
}

/// Becomes the command: unblocks the signals guard (or init) handles itself
/// and executes. Returns only on failure.
pub(super) fn exec_command(plan: &ChildPlan<'_>) -> ChildError {
    if let Err(error) = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None) {
        return system("unblock signals")(error.into());
    }
    let error = nix::unistd::execve(&plan.program, &plan.argv, &plan.env).unwrap_err();
    ChildError::Exec {
        program: plan.program.to_string_lossy().into_owned(),
        source: error,
    }
}

fn confine(
    plan: &ChildPlan<'_>,
    guard_alive: &OwnedFd,
    control: Control,
) -> Result<(), ChildError> {
    let policy = plan.policy;

    // 1. Die with guard: if guard is killed, this process is killed too. If
    //    guard died before the request took hold, its end of `guard_alive`
    //    has already hung up.
    prctl::set_parent_death_signal(libc::SIGKILL).map_err(system("PR_SET_PDEATHSIG"))?;
    let mut alive = [PollFd::new(guard_alive.as_fd(), PollFlags::POLLIN)];
    if poll(&mut alive, PollTimeout::ZERO).is_ok_and(|ready| ready > 0) {
        sys::exit_immediately(SETUP_FAILED);
    }

    // 2. Nothing guard opened leaks into the session: every descriptor but
    //    stdin, stdout and stderr closes on exec.
    sys::cloexec_from(3).map_err(system("close inherited descriptors"))?;

    // 3. Namespaces (already entered by the clone): own ids mapped, a /proc
    //    of our own, protected paths read-only, writable trees noexec (so the
    //    dynamic loader cannot map a file written there). Then the working
    //    directory, which still points into the mounts as they were before
    //    the binds, is entered again by path.
    if let Some(namespace) = &policy.namespace {
        let (uid, gid) = plan.outside_ids;
        mounts::finish_namespace_setup(uid == 0, uid, gid)?;
        mounts::apply_plan(namespace)?;
        let cwd = std::env::current_dir().map_err(system("read the working directory"))?;
        std::env::set_current_dir(&cwd).map_err(system("re-enter the working directory"))?;
    }

    // 4. This process holds a copy of guard's memory and environment (the
    //    parent's secrets among them) until it executes, and as the pid
    //    namespace's init it never does: make it non-dumpable, so the command
    //    cannot read its /proc/PID/{environ,mem}.
    prctl::set_not_dumpable().map_err(system("PR_SET_DUMPABLE"))?;
    //    (Only now: a non-dumpable process cannot write its own uid_map.)

    // 5. Drop every capability (guard may run as root, and the user namespace
    //    granted some), and check none is left.
    caps::drop_all().map_err(system("drop capabilities"))?;
    let sets = caps::current_sets().map_err(system("read capabilities"))?;
    let bounding_droppable = plan.outside_ids.0 == 0 || policy.namespace.is_some();
    if sets[..4].iter().any(|&set| set != 0) || (bounding_droppable && sets[4] != 0) {
        return Err(ChildError::CapabilitiesLeft(sets));
    }

    // 6. No execve may grant privileges again (setuid bits, file capabilities).
    prctl::set_no_new_privs().map_err(system("PR_SET_NO_NEW_PRIVS"))?;

    // 7. Landlock, then seccomp.
    landlock::restrict_self(policy, plan.proxy_port)?;
    seccomp::install(plan.seccomp)?;

    // 8. When calls must be mediated, trap them for guard's supervisor: hand
    //    the listener over, close our copy (the command must never answer its
    //    own calls), and wait until the supervisor runs.
    if let Some(mut control) = control {
        let listener =
            sys::notify::install_notify_filter(&crate::supervisor::trap::program(policy))
                .map_err(system("install the notify filter"))?;
        sys::handoff::send_and_wait(&mut control, &listener)
            .map_err(system("hand the listener to guard"))?;
    }
    Ok(())
}

/// Forks for the command inside the pid namespace; used by [`super::init`].
pub(super) fn fork_command() -> Result<ForkResult, ChildError> {
    sys::fork().map_err(system("fork the command"))
}
