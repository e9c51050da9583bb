//! guard's side of the session while it runs: the signals it takes through a
//! signalfd, and waiting for the command.

use super::{LaunchError, nix_system};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, kill, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// The signals guard and the session's init take through a signalfd:
/// children ending, and the ones that ask the session to stop.
pub fn handled_signals() -> SigSet {
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
    handled
}

/// How long a session told to stop (SIGTERM or SIGHUP to guard) has before
/// it is killed.
pub const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// `si_code` of a signal the kernel itself sent (e.g. the terminal's ^C).
const SI_KERNEL: i32 = 0x80;

/// Waits for `child` and returns its exit code (128+N for signal N), reaping
/// any other child on the way (orphans re-parented to the caller), and
/// forwarding to `child` the signals that arrive on `signals` — except those
/// the terminal sent the whole foreground group, which `child` got itself.
/// Shared by guard and the session's init. With `grace`, a SIGTERM or SIGHUP
/// (guard being told to stop, or its terminal closing) also sets a deadline:
/// a session still running `grace` later is killed, so guard gets to revoke
/// its credentials even when the command ignores the signal. With
/// `on_stop`, a child that stops (a client suspending itself with
/// `kill(getpid(), SIGTSTP)`, not through the terminal) is reported with
/// the signal that stopped it.
pub fn wait_forwarding(
    signals: &SignalFd,
    child: Pid,
    grace: Option<std::time::Duration>,
    on_stop: Option<&dyn Fn(Signal)>,
) -> nix::Result<i32> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let mut deadline: Option<std::time::Instant> = None;
    loop {
        if let Some(at) = deadline {
            let left = at.saturating_duration_since(std::time::Instant::now());
            let timeout = PollTimeout::try_from(left.as_millis().min(i32::MAX as u128) as i32)
                .unwrap_or(PollTimeout::ZERO);
            let mut ready = [PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
            if matches!(poll(&mut ready, timeout), Ok(0)) {
                let _ = kill(child, Signal::SIGKILL);
                deadline = None;
                continue;
            }
        }
        let info = match signals.read_signal() {
            Ok(Some(info)) => info,
            Ok(None) | Err(nix::Error::EINTR) => continue,
            Err(error) => return Err(error),
        };
        let signo = info.ssi_signo as i32;
        if let Some(grace) = grace
            && (signo == libc::SIGTERM || signo == libc::SIGHUP)
            && deadline.is_none()
        {
            deadline = Some(std::time::Instant::now() + grace);
        }
        if signo != libc::SIGCHLD {
            if info.ssi_code != SI_KERNEL
                && let Ok(signal) = Signal::try_from(signo)
            {
                let _ = kill(child, signal);
            }
            continue;
        }
        loop {
            let mut flags = WaitPidFlag::WNOHANG | WaitPidFlag::__WALL;
            if on_stop.is_some() {
                flags |= WaitPidFlag::WUNTRACED;
            }
            match waitpid(None, Some(flags)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == child => return Ok(code),
                Ok(WaitStatus::Stopped(pid, signal)) if pid == child => {
                    if let Some(report) = on_stop {
                        report(signal);
                    }
                }
                Ok(WaitStatus::Signaled(pid, signal, _)) if pid == child => {
                    return Ok(128 + signal as i32);
                }
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                // Another child: an orphan of the session, or a helper a
                // thread of guard's started, which finds its status here.
                Ok(WaitStatus::Exited(pid, code)) => {
                    crate::sys::reaped::record(pid.as_raw(), crate::sys::reaped::raw_exit(code))
                }
                Ok(WaitStatus::Signaled(pid, signal, _)) => crate::sys::reaped::record(
                    pid.as_raw(),
                    crate::sys::reaped::raw_signal(signal as i32),
                ),
                Ok(_) => {}
            }
        }
    }
}

/// The signals guard handles while a session runs, blocked and read from a
/// signalfd. SIGTSTP stays default: on ^Z guard stops with the command, so the
/// shell's job control sees one job. They stay blocked until guard exits:
/// one that arrives once the command has ended (a terminal's hang-up as
/// it closes, a second ^C) goes with guard's exit, and never cuts short the
/// session's end — its last records, the credentials' revocation, the seal.
pub struct SessionSignals {
    fd: SignalFd,
}

impl SessionSignals {
    /// Blocks SIGCHLD, SIGINT, SIGQUIT, SIGTERM and SIGHUP and opens the signalfd.
    pub fn take() -> Result<SessionSignals, LaunchError> {
        let handled = handled_signals();
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&handled), None)
            .map_err(nix_system("block signals"))?;
        let fd = SignalFd::with_flags(&handled, SfdFlags::SFD_CLOEXEC)
            .map_err(nix_system("signalfd"))?;
        Ok(SessionSignals { fd })
    }

    /// Waits for the main child and returns its exit code (128+N for signal
    /// N), forwarding termination signals sent to guard.
    pub fn wait_for(&mut self, child: Pid) -> Result<i32, LaunchError> {
        wait_forwarding(&self.fd, child, Some(STOP_GRACE), None)
            .map_err(nix_system("read signalfd"))
    }
}
