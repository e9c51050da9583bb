//! The command's last steps, in the process the anchor forked for it: from
//! a copy of guard's code to the confined command.
//!
//! It already stands in the session's namespaces and Landlock domain (the
//! anchor's, inherited). It gives up what the anchor kept to supervise, puts
//! itself in a nested domain that cannot signal the anchor, installs the
//! seccomp deny programs and the notify filter, hands the filter's listener
//! to the anchor, and executes the command once the supervisor runs.

use super::setup::{Plan, SetupError, system};
use crate::sandbox::{landlock, seccomp};
use crate::sys::{self, caps, prctl};
use nix::sys::signal::{SigSet, SigmaskHow, sigprocmask};
use std::os::unix::net::UnixStream;

/// Runs in the forked command process and executes the command; returns
/// only the error that stopped it. `control` is its end of the listener
/// hand-off when the session is supervised.
pub fn run(plan: &Plan<'_>, control: Option<UnixStream>) -> SetupError {
    match confine(plan, control) {
        Ok(()) => exec(plan),
        Err(error) => error,
    }
}

fn confine(plan: &Plan<'_>, control: Option<UnixStream>) -> Result<(), SetupError> {
    // 1. (The anchor made this process die with it.) Dumpable again: the execve below replaces the copy of guard's
    //    memory this process holds, and the supervisor reads what the
    //    command asks for.
    prctl::set_dumpable().map_err(system("PR_SET_DUMPABLE"))?;

    // 2. Give up what the anchor kept to supervise, and check nothing is left.
    caps::drop_all().map_err(system("drop capabilities"))?;
    let sets = caps::current_sets().map_err(system("read capabilities"))?;
    let bounding_droppable = plan.outside_ids.0 == 0 || plan.policy.namespace.is_some();
    if sets[..4].iter().any(|&set| set != 0) || (bounding_droppable && sets[4] != 0) {
        return Err(SetupError::CapabilitiesLeft(sets));
    }

    // 3. A nested Landlock domain that only scopes signals and abstract unix
    //    sockets: the session can signal its own processes, not its anchor.
    if plan.adds_landlock_layers() {
        landlock::scope_self()?;
    }

    // 4. The deny programs, then (supervised) the notify filter: its
    //    listener goes to the anchor, our copy is closed (the command must
    //    never answer its own calls), and we wait until the supervisor runs.
    seccomp::install(plan.seccomp)?;
    if let Some(mut control) = control {
        let listener =
            sys::notify::install_notify_filter(&crate::supervisor::trap::program(plan.policy))
                .map_err(|error| match error.raw_os_error() {
                    Some(libc::EBUSY) => system(
                        "install the notify filter (another seccomp listener already watches this process, a container's say: a session cannot be supervised under it)",
                    )(error),
                    _ => system("install the notify filter")(error),
                })?;
        sys::handoff::send_and_wait(&mut control, &listener)
            .map_err(system("hand the listener to the supervisor"))?;
    }
    Ok(())
}

/// Becomes the command: unblocks the signals guard and the anchor handle
/// themselves, lets `SIGPIPE` end the process again, and executes.
/// Returns only on failure.
pub fn exec(plan: &Plan<'_>) -> SetupError {
    if let Err(error) = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None) {
        return system("unblock signals")(error.into());
    }
    if let Err(error) = sys::default_sigpipe() {
        return system("restore SIGPIPE's default action")(error);
    }
    let error = nix::unistd::execve(&plan.program, &plan.argv, &plan.env).unwrap_err();
    SetupError::Exec {
        program: plan.program.to_string_lossy().into_owned(),
        source: error,
    }
}
