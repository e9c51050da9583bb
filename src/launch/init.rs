//! Process 1 of the session's pid namespace.
//!
//! It forks the command, forwards to it the signals guard forwards (not those
//! the terminal sent the whole foreground group, which the command received
//! itself), reaps orphans, and exits with the command's status. When it exits,
//! or when guard dies and takes it along, the kernel kills every process left
//! in the namespace: nothing of the session outlives it.

use super::child::{self, ChildPlan};
use crate::sys::{self, prctl};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::ForkResult;
use std::os::fd::OwnedFd;

/// Starts the command and serves as its init until it exits, then exits with
/// the command's status. A failure before the command runs goes to the error
/// pipe.
pub fn start_command(plan: &ChildPlan<'_>, error_pipe: OwnedFd) -> ! {
    // guard blocked the signals it handles before cloning us; they stay
    // blocked here and arrive through a signalfd.
    let handled = super::wait::handled_signals();
    let signals = match SignalFd::with_flags(&handled, SfdFlags::SFD_CLOEXEC) {
        Ok(signals) => signals,
        Err(error) => child::report(error_pipe, &child::system("signalfd")(error.into())),
    };
    let forked = match child::fork_command() {
        Ok(forked) => forked,
        Err(error) => child::report(error_pipe, &error),
    };
    let command = match forked {
        ForkResult::Child => {
            // The command dies with its init. It becomes dumpable again (its
            // execve replaces the copy of guard's memory it holds), so that
            // the supervisor can read what it executes.
            if let Err(error) = prctl::set_parent_death_signal(libc::SIGKILL) {
                child::report(error_pipe, &child::system("PR_SET_PDEATHSIG")(error));
            }
            if let Err(error) = prctl::set_dumpable() {
                child::report(error_pipe, &child::system("PR_SET_DUMPABLE")(error));
            }
            let error = child::exec_command(plan);
            child::report(error_pipe, &error)
        }
        ForkResult::Parent { child } => child,
    };
    // Only the command's end of the pipe may stay open: its execve closes it.
    drop(error_pipe);
    match super::wait::wait_forwarding(&signals, command, None) {
        Ok(code) => sys::exit_immediately(code),
        Err(_) => sys::exit_immediately(child::SETUP_FAILED),
    }
}
