//! The session's anchor: guard's own process inside the session.
//!
//! guard forks it, into new user, mount and pid namespaces when the host
//! allows them (it is then process 1 of the session). It sets up the
//! namespace, confines itself with the session's Landlock domain — exactly
//! the rights the command will have — and starts the command. From then on
//! it is the session's supervisor: the command's seccomp listener comes to
//! it, and whatever the supervisor performs on the session's behalf, the
//! kernel checks against the same domain, the same credentials and the same
//! mounts as the session's own calls. A domain may inspect its own
//! processes, so the supervisor can read the session's memory and
//! descriptors; being non-dumpable, the anchor cannot be read by them, and
//! the command's nested scope keeps it from signalling the anchor.
//!
//! When the command exits, the anchor ends every other process of the
//! session (they are its descendants: it is their init, or their subreaper
//! without namespaces), waits for the records of their last calls, and exits
//! with the command's status.

use super::setup::{Plan, SETUP_FAILED, SetupError, report, system};
use super::{command, reap, wait};
use crate::audit::relay::{Outbound, SessionEnd};
use crate::audit::{Event, EventKind};
use crate::sandbox::{landlock, mounts};
use crate::supervisor::{self, Supervision, Supervisor};
use crate::sys::notify::Listener;
use crate::sys::{self, caps, handoff, prctl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::ForkResult;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;

/// How long the anchor waits for the records of the session's last calls.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// The descriptors the anchor gets from guard.
pub struct AnchorEnds {
    /// Where a setup failure is reported (close-on-exec).
    pub error_pipe: OwnedFd,
    /// Hangs up when guard dies (guard holds the other end).
    pub guard_alive: OwnedFd,
    /// Where the supervisor's records go (supervised sessions).
    pub records: Option<OwnedFd>,
    /// Where the supervisor hands guard the session's connections to its
    /// channel (supervised sessions).
    pub channel: Option<OwnedFd>,
}

/// Runs in the process guard forked; never returns.
pub fn run(plan: &Plan<'_>, ends: AnchorEnds) -> ! {
    let AnchorEnds {
        error_pipe,
        guard_alive,
        records,
        channel,
    } = ends;
    let confined = confine(plan, &guard_alive);
    drop(guard_alive);
    if let Err(error) = confined {
        report(error_pipe, &error)
    }
    // Nobody to supervise and no namespace to be init of: no anchor is
    // needed, this process becomes the command.
    if !plan.supervised && plan.policy.namespace.is_none() {
        let error = command::run(plan, None);
        report(error_pipe, &error)
    }
    serve(plan, error_pipe, records, channel)
}

fn confine(plan: &Plan<'_>, guard_alive: &OwnedFd) -> Result<(), SetupError> {
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
    //    parent's secrets among them) and never executes: make it
    //    non-dumpable, so the session cannot read its /proc/PID/{environ,mem}.
    //    (Only now: a non-dumpable process cannot write its own uid_map.)
    prctl::set_not_dumpable().map_err(system("PR_SET_DUMPABLE"))?;

    // 5. Capabilities: a supervisor keeps CAP_SYS_PTRACE, to read session
    //    processes that made themselves non-dumpable (held in the session's
    //    user namespace, or as root; Landlock lets it reach only the
    //    session's own processes). Everything else goes, bounding set
    //    included, and the command gives up even that.
    let keep = plan.supervised.then_some(caps::CAP_SYS_PTRACE);
    let kept = caps::drop_all_but(keep).map_err(system("drop capabilities"))?;
    let sets = caps::current_sets().map_err(system("read capabilities"))?;
    let allowed = if kept {
        1u64 << caps::CAP_SYS_PTRACE
    } else {
        0
    };
    let bounding_droppable = plan.outside_ids.0 == 0 || policy.namespace.is_some();
    if sets[..2].iter().any(|&set| set & !allowed != 0)
        || sets[2..4].iter().any(|&set| set != 0)
        || (bounding_droppable && sets[4] != 0)
    {
        return Err(SetupError::CapabilitiesLeft(sets));
    }

    // 6. No execve may grant privileges again (setuid bits, file capabilities).
    prctl::set_no_new_privs().map_err(system("PR_SET_NO_NEW_PRIVS"))?;

    // 7. The session's Landlock domain. From here on the kernel checks
    //    everything this process does, and so everything the supervisor
    //    performs for the session, against the command's own rules. (A
    //    nested session keeps the outer session's: see `Plan`.)
    if plan.adds_landlock_layers() {
        if sys::landlock_layers_refused() {
            return Err(SetupError::LandlockLayersRefused);
        }
        landlock::restrict_self(policy, plan.proxy.map(|proxy| proxy.port()))?;
    }
    Ok(())
}

/// Starts the command, supervises it, waits for it, ends the rest of the
/// session and exits with the command's status.
fn serve(
    plan: &Plan<'_>,
    error_pipe: OwnedFd,
    records: Option<OwnedFd>,
    channel: Option<OwnedFd>,
) -> ! {
    // 8. Orphans of the session come here (as init of a pid namespace they
    //    do anyway), so the anchor can end them all.
    if let Err(error) = prctl::set_child_subreaper() {
        report(error_pipe, &system("PR_SET_CHILD_SUBREAPER")(error))
    }
    // guard blocked the signals it handles before forking us; they stay
    // blocked here and arrive through a signalfd.
    let signals = match SignalFd::with_flags(&wait::handled_signals(), SfdFlags::SFD_CLOEXEC) {
        Ok(signals) => signals,
        Err(error) => report(error_pipe, &system("signalfd")(error.into())),
    };
    let (control, command_control) = match plan.supervised {
        true => match handoff::pair() {
            Ok((mine, theirs)) => (Some(mine), Some(theirs)),
            Err(error) => report(error_pipe, &system("socketpair")(error)),
        },
        false => (None, None),
    };

    // 9. The command, in a process of its own that dies with this one.
    let anchor = nix::unistd::getpid();
    let command = match sys::fork() {
        Ok(ForkResult::Child) => {
            drop((control, signals));
            if let Err(error) = prctl::set_parent_death_signal(libc::SIGKILL) {
                report(error_pipe, &system("PR_SET_PDEATHSIG")(error))
            }
            if nix::unistd::getppid() != anchor {
                sys::exit_immediately(SETUP_FAILED);
            }
            let error = command::run(plan, command_control);
            report(error_pipe, &error)
        }
        Ok(ForkResult::Parent { child }) => child,
        Err(error) => report(error_pipe, &system("fork the command")(error)),
    };
    drop(command_control);

    // 10. Supervise: take the command's listener, start the supervisor, let
    //     the command go on to execve.
    let supervisor = match control {
        Some(mut control) => match start_supervisor(plan, &mut control, records, channel) {
            Ok(supervisor) => supervisor,
            Err(error) => {
                let _ = kill(command, Signal::SIGKILL);
                report(error_pipe, &error)
            }
        },
        None => None,
    };
    // Only the command's copy of the error pipe stays open: its execve
    // closes it, and guard reads until then.
    drop(error_pipe);

    // 11. Wait for the command, forwarding the signals guard forwards.
    //     A command that stops itself stops the whole job: the anchor
    //     cannot signal guard (Landlock scopes signals to the domain; in a
    //     pid namespace guard has no pid here), so it tells guard, which
    //     stops its process group as the terminal's ^Z would.
    let code = {
        let events = supervisor.as_ref().map(|(_, outbound)| outbound.sender());
        let report_stop = |signal: Signal| {
            if let Some(events) = &events {
                events.send(
                    Event::new(EventKind::JobStop, None)
                        .with("pid", command.as_raw())
                        .with("signal", signal.as_str()),
                );
            }
        };
        wait::wait_forwarding(&signals, command, None, Some(&report_stop)).unwrap_or(SETUP_FAILED)
    };

    // 12. End every other process of the session, then send the records of
    //     their last calls and the end line.
    let leftover_processes = reap::end_all_descendants();
    if let Some((supervisor, outbound)) = supervisor {
        if !supervisor.settle(SETTLE) {
            eprintln!(
                "guard: the supervisor did not stop in time (its last records may be missing)"
            );
        }
        let _ = outbound.finish(SessionEnd { leftover_processes });
    }
    sys::exit_immediately(code)
}

/// Receives the command's listener and starts the supervisor on it; `None`
/// when the command failed before handing it over (its error is on the
/// error pipe).
fn start_supervisor(
    plan: &Plan<'_>,
    control: &mut UnixStream,
    records: Option<OwnedFd>,
    channel: Option<OwnedFd>,
) -> Result<Option<(Supervisor, Outbound)>, SetupError> {
    let Some(listener) =
        handoff::receive(control).map_err(system("receive the seccomp listener"))?
    else {
        return Ok(None);
    };
    let records = records.ok_or_else(|| {
        system("start the record relay")(std::io::Error::other("no pipe for the records"))
    })?;
    let outbound =
        Outbound::start(std::fs::File::from(records)).map_err(system("start the record relay"))?;
    let mut supervision = Supervision::for_policy(plan.policy, plan.proxy, outbound.sender());
    // The command has the anchor's filters, the deny programs and the
    // notify filter (and its processes may add more).
    supervision.session_filters =
        supervisor::signal::own_filter_count().map(|own| own + plan.seccomp.len() as u32 + 1);
    supervision.read_scan = Some(
        supervisor::read_scan::ReadScan::start(
            plan.policy.repo.clone(),
            vec![plan.policy.session.dir.clone()],
            outbound.sender(),
        )
        .map_err(system("start the scan of what the session reads"))?,
    );
    supervision.channel = channel.map(|to_guard| {
        crate::channel::broker::Broker::new(
            plan.policy.session.channel(),
            UnixStream::from(to_guard),
        )
    });
    let supervisor = supervisor::spawn(Listener::new(listener), supervision)
        .map_err(system("start the supervisor"))?;
    handoff::acknowledge(control).map_err(system("release the command"))?;
    Ok(Some((supervisor, outbound)))
}
