//! `guard run`: from a compiled policy to a finished session.
//!
//! [`run`] is one linear function with a comment per step. Cleanup (end every
//! process, check protected paths, remove the session directories) runs on
//! every path once the child has been started.

mod child;
mod env;
mod init;
mod reap;
mod session;
mod snapshot;

pub use child::SETUP_FAILED;
pub use reap::descendants_of;
pub use session::{Session, state_dir};
pub use snapshot::{Restored, Snapshot, SnapshotError};

use crate::policy::{Policy, UnixSockets};
use crate::sandbox::{EnforceError, seccomp};
use crate::supervisor::{self, SocketRules};
use crate::sys::handoff;
use crate::sys::notify::Listener;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid};
use std::ffi::CString;
use std::io::Read;
use std::path::PathBuf;

/// How a session ended.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionOutcome {
    /// The command's exit code, or 128+N if signal N killed it.
    pub exit_code: i32,
    /// How many processes were still running when the command exited (and
    /// were then terminated).
    pub leftover_processes: usize,
    /// Protected paths the session changed, which guard restored.
    pub restored: Vec<Restored>,
}

/// Why a session could not be started (or cleaned up).
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// A sandbox layer could not be built.
    #[error(transparent)]
    Enforce(#[from] EnforceError),
    /// The child reported a setup failure before running the command.
    #[error("the sandbox could not be set up: {0}")]
    ChildSetup(String),
    /// An argument or variable contains a NUL byte.
    #[error("{0} contains a NUL byte")]
    NulByte(String),
    /// A system call of the launcher failed.
    #[error("{step}: {source}")]
    System {
        /// Which step.
        step: String,
        /// The error.
        source: std::io::Error,
    },
    /// The protected-path snapshot failed.
    #[error("protected paths: {0}")]
    Snapshot(#[from] SnapshotError),
}

fn system(step: impl Into<String>) -> impl FnOnce(std::io::Error) -> LaunchError {
    let step = step.into();
    move |source| LaunchError::System { step, source }
}

fn nix_system(step: impl Into<String>) -> impl FnOnce(nix::Error) -> LaunchError {
    let step = step.into();
    move |source| LaunchError::System {
        step,
        source: source.into(),
    }
}

/// Runs the policy's command in a confined session and returns how it ended.
/// `parent_env` is guard's own environment; only what the policy passes
/// reaches the command. `quarantine` receives what the session wrote to
/// protected paths.
pub fn run(
    policy: &Policy,
    session: &Session,
    parent_env: &[(String, String)],
    quarantine: PathBuf,
) -> Result<SessionOutcome, LaunchError> {
    // 1. Prepare everything that can fail before any process exists: the
    //    seccomp programs, argv and environment as C strings.
    let seccomp = seccomp::compile(&seccomp::entries_for(policy))?;
    let c_string =
        |what: &str, s: &str| CString::new(s).map_err(|_| LaunchError::NulByte(what.to_string()));
    let program = c_string(
        "the program path",
        &policy.command.program.to_string_lossy(),
    )?;
    let argv = policy
        .command
        .argv
        .iter()
        .map(|arg| c_string("an argument", arg))
        .collect::<Result<Vec<_>, _>>()?;
    let env = env::session_env(policy, &session.id, parent_env)
        .iter()
        .map(|(name, value)| c_string(&format!("variable {name}"), &format!("{name}={value}")))
        .collect::<Result<Vec<_>, _>>()?;

    // 2. The session's private directories, and the client directories the
    //    profile asks to exist.
    session
        .create_dirs()
        .map_err(system(format!("create {}", session.paths.dir.display())))?;
    let outcome = run_in_session(policy, &seccomp, program, argv, env, quarantine);
    // 9. The session's private directories go, whatever happened.
    let removed = session.remove_dirs();
    let outcome = outcome?;
    removed.map_err(system(format!("remove {}", session.paths.dir.display())))?;
    Ok(outcome)
}

fn run_in_session(
    policy: &Policy,
    seccomp: &[seccompiler::BpfProgram],
    program: CString,
    argv: Vec<CString>,
    env: Vec<CString>,
    quarantine: PathBuf,
) -> Result<SessionOutcome, LaunchError> {
    for dir in &policy.create_dirs {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(system(format!("create {}", dir.display())))?;
    }

    // 3. Save the protected paths the kernel cannot guard by itself.
    let snapshot = Snapshot::take(policy)?;

    // 4. Become a subreaper, so orphans of the session stay our descendants,
    //    and take the signals we act on (termination, children) through a
    //    signalfd instead of handlers. SIGTSTP stays default: on Ctrl-Z guard
    //    stops with the command, so the shell's job control sees one job.
    crate::sys::prctl::set_child_subreaper().map_err(system("PR_SET_CHILD_SUBREAPER"))?;
    let mut handled = SigSet::empty();
    for signal in [
        Signal::SIGCHLD,
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGTERM,
        Signal::SIGHUP,
    ] {
        handled.add(signal);
    }
    let mut previous_mask = SigSet::empty();
    sigprocmask(
        SigmaskHow::SIG_BLOCK,
        Some(&handled),
        Some(&mut previous_mask),
    )
    .map_err(nix_system("block signals"))?;
    let mut signals =
        SignalFd::with_flags(&handled, SfdFlags::SFD_CLOEXEC).map_err(nix_system("signalfd"))?;

    // 5. Fork. The child confines itself and executes the command; a setup
    //    error comes back over a close-on-exec pipe (EOF means execve worked).
    //    When calls must be mediated, the child first hands its seccomp
    //    listener over a socket pair and waits for the supervisor to run.
    let (error_read, error_write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(nix_system("pipe"))?;
    let socket_rules = match &policy.network.unix_sockets {
        UnixSockets::Listed { within, files } => Some(SocketRules {
            within: within.clone(),
            files: files.clone(),
        }),
        _ => None,
    };
    let (mut control, child_control) = match socket_rules {
        Some(_) => {
            let (parent_end, child_end) = handoff::pair().map_err(system("socketpair"))?;
            (Some(parent_end), Some(child_end))
        }
        None => (None, None),
    };
    let plan = child::ChildPlan {
        policy,
        seccomp,
        program,
        argv,
        env,
        outside_ids: (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        ),
    };
    // Held by guard only: the child sees it hang up if guard dies early.
    let (alive_read, alive_write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(nix_system("pipe"))?;
    let forked = match &policy.namespace {
        Some(_) => {
            let flags = crate::sandbox::mounts::session_namespaces(plan.outside_ids.0 == 0);
            crate::sys::fork_into(flags).map_err(system("clone into new namespaces"))?
        }
        None => crate::sys::fork().map_err(system("fork"))?,
    };
    let child = match forked {
        ForkResult::Child => {
            drop((error_read, alive_write, control));
            let ends = child::ChildEnds {
                error_pipe: error_write,
                guard_alive: alive_read,
                control: child_control,
            };
            child::run(&plan, ends)
        }
        ForkResult::Parent { child } => child,
    };
    drop((error_write, alive_read, child_control));
    // The child hands over its seccomp listener (or fails and closes the pair).
    if let (Some(control), Some(rules)) = (control.as_mut(), socket_rules)
        && let Some(listener) =
            handoff::receive(control).map_err(system("receive the seccomp listener"))?
    {
        supervisor::spawn(Listener::new(listener), rules)
            .map_err(system("start the supervisor"))?;
        handoff::acknowledge(control).map_err(system("release the child"))?;
    }
    let mut setup_error = String::new();
    let _ = std::fs::File::from(error_read).read_to_string(&mut setup_error);

    // 6. Wait for the command, forwarding termination signals sent to guard
    //    (not those the terminal sent to the whole foreground group, which the
    //    command received itself).
    let exit_code = if setup_error.is_empty() {
        wait_for(child, &mut signals)?
    } else {
        let _ = waitpid(child, None);
        SETUP_FAILED
    };

    // 7. End every process the session left behind.
    let leftover_processes = reap::end_all_descendants();
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&previous_mask), None);

    // 8. Put protected paths back as they were, keeping the session's version.
    let restored = snapshot.check_and_restore(&quarantine)?;
    if !setup_error.is_empty() {
        return Err(LaunchError::ChildSetup(setup_error));
    }
    Ok(SessionOutcome {
        exit_code,
        leftover_processes,
        restored,
    })
}

/// Waits for the main child; returns its exit code (128+N for signal N).
fn wait_for(child: Pid, signals: &mut SignalFd) -> Result<i32, LaunchError> {
    /// `si_code` of a signal the kernel itself sent (e.g. the terminal's ^C).
    const SI_KERNEL: i32 = 0x80;
    loop {
        let info = match signals.read_signal() {
            Ok(Some(info)) => info,
            Ok(None) => continue,
            Err(nix::Error::EINTR) => continue,
            Err(error) => return Err(nix_system("read signalfd")(error)),
        };
        let signo = info.ssi_signo as i32;
        if signo != libc::SIGCHLD {
            let from_terminal = info.ssi_code == SI_KERNEL;
            if !from_terminal && let Ok(signal) = Signal::try_from(signo) {
                let _ = kill(child, signal);
            }
            continue;
        }
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG | WaitPidFlag::__WALL)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == child => return Ok(code),
                Ok(WaitStatus::Signaled(pid, signal, _)) if pid == child => {
                    return Ok(128 + signal as i32);
                }
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(_) => {} // an orphan of the session was reaped
            }
        }
    }
}
