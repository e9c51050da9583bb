//! The session's processes: from a compiled policy to the last of them
//! ended (step 6 of [`crate::session::run`]).
//!
//! [`run`] is guard's side: it prepares what can fail before any process
//! exists, forks the session's anchor (`anchor`), serves the session from
//! outside (the audit log, the network proxy, tool-call reports) and cleans
//! up. Every step after the fork reaches the cleanup, whatever failed: the
//! anchor is waited for, every process of the session ended, protected
//! paths checked, the session's directories removed.

mod anchor;
mod artifacts;
mod client_dirs;
mod command;
mod config_text;
mod env;
mod hook_settings;
mod layers;
mod reap;
pub(crate) mod reports;
mod services;
mod session;
mod setup;
mod snapshot;
mod wait;

pub use env::{
    CHANNEL_VAR, CREDENTIAL_VARS, REPORTS_VAR, RULES_VAR, SESSION_VAR, Unconfirmed,
    enclosing_session,
};
pub use reap::descendants_of;
pub use reports::{PROMPT_HOOK, TOOL_CALLS_FILE};
pub use session::Session;
pub use setup::SETUP_FAILED;
pub use snapshot::{Restored, Snapshot, SnapshotError};

use crate::audit::{AuditHandle, AuditLog, Event, EventKind};
use crate::policy::Policy;
use crate::proxy::Proxy;
use crate::sandbox::{EnforceError, seccomp};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid};
use std::ffi::CString;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

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
    /// Writing the audit log failed while the session ran; guard stopped it.
    #[error("the audit log could not be written, so the session was stopped: {0}")]
    Audit(#[from] crate::audit::AuditError),
}

/// In a debug build, the failure a test asks for at `step` with
/// `GUARD_TEST_FAIL=STEP` (or `STEP@MS`: after MS milliseconds, once the
/// session runs), so that the way out of a failure after the fork is
/// tested: the session is stopped, and cleaned up all the same. Release
/// builds have no such variable.
fn injected_failure(step: &str) -> std::io::Result<()> {
    #[cfg(debug_assertions)]
    if let Some(asked) = std::env::var_os("GUARD_TEST_FAIL") {
        let asked = asked.to_string_lossy();
        let (name, delay) = asked.split_once('@').unwrap_or((&asked, "0"));
        if name == step {
            let delay = delay.parse().unwrap_or(0);
            std::thread::sleep(std::time::Duration::from_millis(delay));
            return Err(std::io::Error::other(format!("failure injected at {step}")));
        }
    }
    let _ = step;
    Ok(())
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

/// Runs the policy's command in a confined session and returns how it ended,
/// with the audit log (its records written up to the end of the session;
/// the caller adds the end record). `quarantine` receives what the session
/// wrote to protected paths.
pub fn run(
    policy: &Policy,
    session: &Session,
    environment: &SessionEnvironment<'_>,
    quarantine: PathBuf,
    log: AuditLog,
) -> (Result<SessionOutcome, LaunchError>, AuditLog) {
    // The signals guard acts on are taken through a signalfd; blocked before
    // any thread starts, so that every thread inherits the mask and none of
    // them swallows a SIGCHLD.
    let mut signals = match wait::SessionSignals::take() {
        Ok(signals) => signals,
        Err(error) => return (Err(error), log),
    };
    // The anchor's pid once it exists: a log that cannot be written stops
    // the session (the anchor's end takes every process of it along).
    let anchor = Arc::new(AtomicI32::new(0));
    let stop = Arc::clone(&anchor);
    // Records queue from here; the writer thread starts once the session's
    // processes are cloned (guard must be single-threaded then).
    let mut writer = log.into_handle(move |_| {
        let pid = stop.load(Ordering::Acquire);
        if pid > 0 {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    });
    let outcome = prepare_and_run(
        policy,
        session,
        environment,
        quarantine,
        &mut writer,
        &anchor,
        &mut signals,
    );
    // The signals stay blocked (see `SessionSignals`): the rest of the
    // session's end is not cut short by one.
    drop(signals);
    let (log, audit_error) = writer.finish();
    let outcome = match (outcome, audit_error) {
        (Ok(_), Some(error)) => Err(LaunchError::Audit(error)),
        (outcome, _) => outcome,
    };
    (outcome, log)
}

/// Where the session's environment comes from: guard's own variables (only
/// those the policy passes reach the command) and the minted credentials.
#[derive(Debug, Clone, Copy)]
pub struct SessionEnvironment<'a> {
    /// guard's environment.
    pub parent: &'a [(String, String)],
    /// The credentials minted for the session.
    pub credentials: &'a [(String, crate::credentials::Secret)],
    /// Whether the supervisor watches the session (records its execs and
    /// file accesses). Off only for a session nested in another guard
    /// session, whose supervisor already does (a process can have one
    /// seccomp listener).
    pub supervised: bool,
    /// The credentials the session may ask for while it runs.
    pub on_demand: Option<&'a crate::session::leases::OnDemand>,
}

/// The command as C strings and the compiled seccomp programs: everything
/// that can fail before a process exists.
struct Prepared {
    seccomp: Vec<seccompiler::BpfProgram>,
    proxy: Option<Proxy>,
    program: CString,
    argv: Vec<CString>,
    env: Vec<CString>,
}

fn prepare_and_run(
    policy: &Policy,
    session: &Session,
    environment: &SessionEnvironment<'_>,
    quarantine: PathBuf,
    writer: &mut AuditHandle,
    anchor: &AtomicI32,
    signals: &mut wait::SessionSignals,
) -> Result<SessionOutcome, LaunchError> {
    let events = &writer.sender();
    // 1. Prepare everything that can fail before any process exists: the
    //    seccomp programs, argv and environment as C strings.
    let c_string =
        |what: &str, s: &str| CString::new(s).map_err(|_| LaunchError::NulByte(what.to_string()));
    // The proxy is bound now (its port goes into the environment and the
    // Landlock rules) and serves once the session runs.
    let proxy = match policy.network.mode {
        crate::policy::NetworkMode::Allow => {
            Some(Proxy::bind().map_err(system("bind the network proxy"))?)
        }
        _ => None,
    };
    let node_preload = session.paths.tmp.join("guard-node-proxy.cjs");
    let proxy_env = proxy
        .as_ref()
        .map(|proxy| proxy.environment(Some(&node_preload)))
        .unwrap_or_default();
    let prepared = Prepared {
        // What the supervisor refuses and records, the kernel's programs
        // leave to it.
        seccomp: seccomp::compile(&seccomp::kernel_entries(policy, environment.supervised))?,
        program: c_string("the program path", &policy.command.path.to_string_lossy())?,
        argv: policy
            .command
            .argv
            .iter()
            .map(|arg| c_string("an argument", arg))
            .collect::<Result<Vec<_>, _>>()?,
        proxy,
        env: env::session_env(
            policy,
            &session.id,
            environment.supervised,
            environment.parent,
            environment.credentials,
            &proxy_env,
        )
        .iter()
        .map(|(name, value)| c_string(&format!("variable {name}"), &format!("{name}={value}")))
        .collect::<Result<Vec<_>, _>>()?,
    };

    // The settings file that registers guard's hooks, made before anything
    // exists that a failure would have to remove.
    let hook_settings = hook_settings::for_policy(policy)?;

    // 2. The session's private directories, and the client directories the
    //    profile asks to exist.
    session
        .create_dirs()
        .map_err(system(format!("create {}", session.paths.dir.display())))?;
    if prepared.proxy.is_some() {
        std::fs::write(&node_preload, crate::proxy::NODE_PRELOAD)
            .map_err(system(format!("write {}", node_preload.display())))?;
    }
    let rules_file = session.paths.rules_file();
    let rules = serde_json::to_vec(&policy.session_rules()).map_err(std::io::Error::other);
    rules
        .and_then(|rules| std::fs::write(&rules_file, rules))
        .map_err(system(format!("write {}", rules_file.display())))?;
    if let Some((file, settings)) = &hook_settings {
        std::fs::write(file, settings).map_err(system(format!("write {}", file.display())))?;
    }
    if !policy.session_rc.is_empty() {
        let rc = session.paths.shell_rc();
        std::fs::write(&rc, SESSION_RC).map_err(system(format!("write {}", rc.display())))?;
    }
    std::fs::create_dir(session.paths.reports_dir()).map_err(system(format!(
        "create {}",
        session.paths.reports_dir().display()
    )))?;
    // The directories the profile asks to exist, before the layers and
    // stand-ins that lie in them.
    for dir in &policy.create_dirs {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(system(format!("create {}", dir.display())))?;
    }
    layers::prepare(policy).map_err(system("prepare the private cache layers"))?;
    client_dirs::prepare(policy).map_err(system("prepare the client directories' stand-ins"))?;
    let outcome = run_in_session(
        policy,
        prepared,
        quarantine,
        writer,
        anchor,
        signals,
        environment,
    );
    // A supervised session's reports were recorded as they came.
    if !environment.supervised {
        reports::record(&session.paths.reports_dir(), events);
    }
    // 11. The session's private directories go, whatever happened.
    let removed = session.remove_dirs();
    let outcome = outcome?;
    removed.map_err(system(format!("remove {}", session.paths.dir.display())))?;
    Ok(outcome)
}

/// What the session reads in place of the user's shell start-up files.
const SESSION_RC: &str = "# guard: this session's shell rc, read in place of the user's own start-up\n\
# files, which may export secrets and source other files. The session keeps\n\
# the environment (PATH included) that guard started it with.\n";

fn run_in_session(
    policy: &Policy,
    prepared: Prepared,
    quarantine: PathBuf,
    writer: &mut AuditHandle,
    anchor_pid: &AtomicI32,
    signals: &mut wait::SessionSignals,
    environment: &SessionEnvironment<'_>,
) -> Result<SessionOutcome, LaunchError> {
    let supervised = environment.supervised;
    let events = &writer.sender();
    // 3. Save the protected paths the kernel cannot guard by itself.
    let snapshot = Snapshot::take(policy)?;

    // 4. Become a subreaper, so orphans of the session stay our descendants.
    crate::sys::prctl::set_child_subreaper().map_err(system("PR_SET_CHILD_SUBREAPER"))?;

    // 5. Fork the anchor (into new namespaces when the policy has them). It
    //    confines itself, starts and supervises the command; a setup error
    //    comes back over a close-on-exec pipe (EOF means execve worked), the
    //    supervisor's records over another.
    let pipe = || nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(nix_system("pipe"));
    let (error_read, error_write) = pipe()?;
    // Held by guard only: the anchor sees it hang up if guard dies early.
    let (alive_read, alive_write) = pipe()?;
    let (records_read, records_write) = match supervised {
        true => {
            let (read, write) = pipe()?;
            (Some(read), Some(write))
        }
        false => (None, None),
    };
    // The session's channel: the supervisor hands guard each connection.
    let (channel_guard, channel_anchor) = match supervised {
        true => {
            let (guard_end, anchor_end) =
                crate::sys::handoff::pair().map_err(system("socketpair for the channel"))?;
            (
                Some(guard_end),
                Some(std::os::fd::OwnedFd::from(anchor_end)),
            )
        }
        false => (None, None),
    };
    let plan = setup::Plan {
        policy,
        seccomp: &prepared.seccomp,
        program: prepared.program,
        argv: prepared.argv,
        env: prepared.env,
        outside_ids: (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        ),
        proxy: prepared.proxy.as_ref().map(Proxy::address),
        supervised,
    };
    let forked = match &policy.namespace {
        Some(_) => {
            let flags = crate::sandbox::mounts::session_namespaces(plan.outside_ids.0 == 0);
            crate::sys::fork_into(flags).map_err(system("clone into new namespaces"))?
        }
        None => crate::sys::fork().map_err(system("fork"))?,
    };
    let anchor = match forked {
        ForkResult::Child => {
            drop((error_read, alive_write, records_read, channel_guard));
            let ends = anchor::AnchorEnds {
                error_pipe: error_write,
                guard_alive: alive_read,
                records: records_write,
                channel: channel_anchor,
            };
            anchor::run(&plan, ends)
        }
        ForkResult::Parent { child } => child,
    };
    anchor_pid.store(anchor.as_raw(), Ordering::Release);
    drop((error_write, alive_read, records_write, channel_anchor));

    // 6. Serve the session from outside (the log's writer, the
    //    supervisor's records, the proxy, the channel, the report watcher).
    //    If one cannot start, the session is stopped, and cleaned up all
    //    the same.
    let ends = services::Ends {
        records: records_read,
        channel: channel_guard,
        proxy: prepared.proxy,
    };
    let (services, mut failure) = services::start(policy, writer, ends, environment);
    if failure.is_some() {
        let _ = kill(anchor, Signal::SIGKILL);
    }
    let mut setup_error = String::new();
    let _ = std::fs::File::from(error_read).read_to_string(&mut setup_error);

    // 7. Wait for the session, forwarding termination signals sent to guard.
    let exit_code = match setup_error.is_empty() && failure.is_none() {
        true => signals.wait_for(anchor),
        false => {
            let _ = waitpid(anchor, None);
            Ok(SETUP_FAILED)
        }
    };

    // 8. End every process the session left behind (the anchor ended those
    //    it could; this catches what outlived a killed anchor), then take
    //    the last records.
    let mut leftover_processes = reap::end_all_descendants();
    match services.finish() {
        Ok(leftover) => leftover_processes += leftover,
        Err(error) if failure.is_none() => failure = Some(error),
        Err(_) => {}
    }
    // 9. Put protected paths back as they were, keeping the session's
    //    version: this judges what the session did, before guard writes
    //    what it verified of the session's layers and copies.
    let checked = match injected_failure("check") {
        Ok(()) => snapshot.check_and_restore(&quarantine),
        Err(error) => Err(SnapshotError::Io {
            path: quarantine.clone(),
            source: error,
        }),
    };
    let restored = checked.as_deref().unwrap_or_default();
    for restored in restored {
        let mut event = Event::new(EventKind::BoundaryViolation, None)
            .with("path", restored.path.to_string_lossy().into_owned())
            .with("restored", restored.put_back);
        if let Some(kept) = &restored.quarantined {
            event = event.with("quarantined", kept.to_string_lossy().into_owned());
        }
        events.send(event);
    }
    // 10. The caches' private layers and the client directories' stand-ins:
    //     nothing of the session runs any more.
    for event in layers::merge(policy)
        .into_iter()
        .chain(client_dirs::finish(policy))
    {
        events.send(event);
    }
    if let Some(failure) = failure {
        return Err(failure);
    }
    // A check that could not be made fails the session, after what the
    // session's layers and copies hold is saved.
    let restored = checked?;
    if !setup_error.is_empty() {
        return Err(LaunchError::ChildSetup(setup_error));
    }
    Ok(SessionOutcome {
        exit_code: exit_code?,
        leftover_processes,
        restored,
    })
}
