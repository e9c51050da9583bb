//! The forked child: one straight sequence of steps from guard's process to
//! the confined command. Any failure is written to the error pipe and the
//! child exits with [`SETUP_FAILED`]; the command never runs half-confined.

use crate::policy::Policy;
use crate::sandbox::{EnforceError, landlock, mounts, seccomp};
use crate::sys::{self, caps, prctl};
use nix::sys::signal::{SigSet, SigmaskHow, sigprocmask};
use nix::unistd::Pid;
use seccompiler::BpfProgram;
use std::ffi::CString;
use std::io::Write;
use std::os::fd::OwnedFd;

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
    /// guard's pid, to notice if guard died before `PR_SET_PDEATHSIG` took hold.
    pub parent: Pid,
}

/// The child's end of the listener hand-off, when the policy needs a supervisor.
pub type Control = Option<std::os::unix::net::UnixStream>;

/// Runs in the forked child; never returns.
pub fn run(plan: &ChildPlan<'_>, control: Control, error_pipe: OwnedFd) -> ! {
    let error = confine_and_exec(plan, control);
    let mut pipe = std::fs::File::from(error_pipe);
    let _ = pipe.write_all(error.to_string().as_bytes());
    sys::exit_immediately(SETUP_FAILED)
}

/// Why the child could not become the confined command.
#[derive(Debug, thiserror::Error)]
enum ChildError {
    #[error(transparent)]
    Enforce(#[from] EnforceError),
    #[error("{step}: {source}")]
    System {
        step: &'static str,
        source: std::io::Error,
    },
    #[error(
        "capabilities remain after dropping them (effective, permitted, inheritable, ambient, bounding = {0:x?})"
    )]
    CapabilitiesLeft([u64; 5]),
    #[error("cannot execute {program}: {source}")]
    Exec { program: String, source: nix::Error },
}

fn system(step: &'static str) -> impl FnOnce(std::io::Error) -> ChildError {
    move |source| ChildError::System { step, source }
}

fn confine_and_exec(plan: &ChildPlan<'_>, control: Control) -> ChildError {
    match confine(plan, control) {
        Ok(()) => {}
        Err(error) => return error,
    }
    // 9. Become the command. On success this never returns.
    let error = nix::unistd::execve(&plan.program, &plan.argv, &plan.env).unwrap_err();
    ChildError::Exec {
        program: plan.program.to_string_lossy().into_owned(),
        source: error,
    }
}

fn confine(plan: &ChildPlan<'_>, control: Control) -> Result<(), ChildError> {
    let policy = plan.policy;

    // 1. Die with guard: if guard is killed, the command is killed too. Check
    //    guard did not die before the request took hold.
    prctl::set_parent_death_signal(libc::SIGKILL).map_err(system("PR_SET_PDEATHSIG"))?;
    if nix::unistd::getppid() != plan.parent {
        sys::exit_immediately(SETUP_FAILED);
    }

    // 2. Receive signals again: guard blocks the ones it handles itself.
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None).map_err(|e| {
        ChildError::System {
            step: "unblock signals",
            source: e.into(),
        }
    })?;

    // 3. Nothing guard opened leaks into the session: every descriptor but
    //    stdin, stdout and stderr closes on exec.
    sys::cloexec_from(3).map_err(system("close inherited descriptors"))?;

    // 4. Private mount namespace: protected paths read-only, writable trees
    //    noexec (so the dynamic loader cannot map a file written there).
    if let Some(plan) = &policy.namespace {
        mounts::enter_private_namespace()?;
        mounts::apply_plan(plan)?;
        // The working directory still points into the mounts as they were
        // before the binds: enter it again by path, through the new ones.
        let cwd = std::env::current_dir().map_err(system("read the working directory"))?;
        std::env::set_current_dir(&cwd).map_err(system("re-enter the working directory"))?;
    }

    // 5. Drop every capability (guard may run as root, and the user namespace
    //    of step 4 granted some), and check none is left.
    caps::drop_all().map_err(system("drop capabilities"))?;
    let sets = caps::current_sets().map_err(system("read capabilities"))?;
    let bounding_droppable = nix::unistd::getuid().is_root() || policy.namespace.is_some();
    if sets[..4].iter().any(|&set| set != 0) || (bounding_droppable && sets[4] != 0) {
        return Err(ChildError::CapabilitiesLeft(sets));
    }

    // 6. No execve may grant privileges again (setuid bits, file capabilities).
    prctl::set_no_new_privs().map_err(system("PR_SET_NO_NEW_PRIVS"))?;

    // 7. Landlock, then seccomp. Landlock first: its own syscalls are among
    //    those seccomp would not need to allow afterwards.
    landlock::restrict_self(policy)?;
    seccomp::install(plan.seccomp)?;

    // 8. When calls must be mediated, trap them for guard's supervisor: hand
    //    the listener over, close our copy (the command must never answer its
    //    own calls), and wait until the supervisor runs.
    if let Some(mut control) = control {
        let listener =
            sys::notify::install_connect_filter().map_err(system("install the notify filter"))?;
        sys::handoff::send_and_wait(&mut control, &listener)
            .map_err(system("hand the listener to guard"))?;
    }
    Ok(())
}
