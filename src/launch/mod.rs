//! `guard run`: from a compiled policy to a finished session.
//!
//! [`run`] is one linear function with a comment per step. Cleanup (end every
//! process, check protected paths, remove the session directories) runs on
//! every path once the child has been started.

mod child;
mod env;
mod init;
mod reap;
mod reports;
mod session;
mod snapshot;
mod wait;

pub use child::SETUP_FAILED;
pub use env::{CREDENTIAL_VARS, REPORTS_VAR, RULES_VAR, SESSION_VAR};
pub use reap::descendants_of;
pub use reports::TOOL_CALLS_FILE;
pub use session::{Session, state_dir};
pub use snapshot::{Restored, Snapshot, SnapshotError};

use crate::audit::AuditLog;
use crate::policy::{Policy, UnixSockets};
use crate::proxy::Proxy;
use crate::sandbox::refusal::Rules;
use crate::sandbox::{EnforceError, seccomp};
use crate::supervisor::{self, SocketRules, Supervision};
use crate::sys::handoff;
use crate::sys::notify::Listener;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::waitpid;
use nix::unistd::ForkResult;
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
    /// Writing the audit log failed while the session ran; guard stopped it.
    #[error("the audit log could not be written, so the session was stopped: {0}")]
    Audit(#[from] crate::audit::AuditError),
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
    let mut log = Some(log);
    let outcome = prepare_and_run(policy, session, environment, quarantine, &mut log);
    (outcome, log.expect("the audit log is always handed back"))
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
    log: &mut Option<AuditLog>,
) -> Result<SessionOutcome, LaunchError> {
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
        seccomp: seccomp::compile(&seccomp::entries_for(policy))?,
        program: c_string(
            "the program path",
            &policy.command.program.to_string_lossy(),
        )?,
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
            environment.parent,
            environment.credentials,
            &proxy_env,
        )
        .iter()
        .map(|(name, value)| c_string(&format!("variable {name}"), &format!("{name}={value}")))
        .collect::<Result<Vec<_>, _>>()?,
    };

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
    std::fs::create_dir(session.paths.reports_dir()).map_err(system(format!(
        "create {}",
        session.paths.reports_dir().display()
    )))?;
    let mut outcome = run_in_session(policy, prepared, quarantine, log, environment.supervised);
    // A supervised session's reports were recorded as they came.
    if !environment.supervised
        && let Some(log) = log.as_mut()
        && let Err(error) = reports::record(&session.paths.reports_dir(), log)
        && outcome.is_ok()
    {
        outcome = Err(error.into());
    }
    // 10. The session's private directories go, whatever happened.
    let removed = session.remove_dirs();
    let outcome = outcome?;
    removed.map_err(system(format!("remove {}", session.paths.dir.display())))?;
    Ok(outcome)
}

fn run_in_session(
    policy: &Policy,
    prepared: Prepared,
    quarantine: PathBuf,
    log: &mut Option<AuditLog>,
    supervised: bool,
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
    //    and take the signals we act on through a signalfd.
    crate::sys::prctl::set_child_subreaper().map_err(system("PR_SET_CHILD_SUBREAPER"))?;
    let mut signals = wait::SessionSignals::take()?;

    // 5. Fork (into new namespaces when the policy has them). The child
    //    confines itself, hands its seccomp listener over a socket pair,
    //    waits for the supervisor, and executes the command; a setup error
    //    comes back over a close-on-exec pipe (EOF means execve worked).
    let (error_read, error_write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(nix_system("pipe"))?;
    let (mut control, child_control) = match supervised {
        true => {
            let (parent_end, child_end) = handoff::pair().map_err(system("socketpair"))?;
            (Some(parent_end), Some(child_end))
        }
        false => (None, None),
    };
    // Held by guard only: the child sees it hang up if guard dies early.
    let (alive_read, alive_write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(nix_system("pipe"))?;
    let plan = child::ChildPlan {
        policy,
        seccomp: &prepared.seccomp,
        program: prepared.program,
        argv: prepared.argv,
        env: prepared.env,
        outside_ids: (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        ),
        proxy_port: prepared.proxy.as_ref().map(|proxy| proxy.address().port()),
    };
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

    // 6. Start the audit writer (a write failure stops the session) and the
    //    supervisor, then let the child execute the command.
    let mut writer = None;
    let mut watcher = None;
    let mut supervisor_handle = None;
    let listener = match &control {
        Some(control) => {
            handoff::receive(control).map_err(system("receive the seccomp listener"))?
        }
        None => None,
    };
    if let (Some(listener), Some(control)) = (listener, control.as_mut()) {
        let audit = log
            .take()
            .expect("the log is here until the writer takes it");
        let handle = audit
            .start_writer(move |_| {
                let _ = kill(child, Signal::SIGKILL);
            })
            .map_err(system("start the audit writer"))?;
        let proxy_address = prepared.proxy.as_ref().map(Proxy::address);
        let sockets = match &policy.network.unix_sockets {
            UnixSockets::Listed { within, files } => Some(SocketRules {
                check_unix: true,
                within: within.clone(),
                files: files.clone(),
                proxy: proxy_address,
            }),
            _ => proxy_address.map(|proxy| SocketRules {
                check_unix: false,
                within: Vec::new(),
                files: Vec::new(),
                proxy: Some(proxy),
            }),
        };
        if let Some(proxy) = prepared.proxy {
            proxy
                .serve(&policy.network, handle.sender())
                .map_err(system("start the network proxy"))?;
        }
        let supervision = Supervision {
            rules: Rules::from_policy(policy),
            sockets,
            events: handle.sender(),
        };
        watcher = Some(
            reports::Watcher::start(&policy.session.reports_dir(), handle.sender())
                .map_err(system("start the tool-call report watcher"))?,
        );
        writer = Some(handle);
        supervisor_handle = Some(
            supervisor::spawn(Listener::new(listener), supervision)
                .map_err(system("start the supervisor"))?,
        );
        handoff::acknowledge(control).map_err(system("release the child"))?;
    }
    let mut setup_error = String::new();
    let _ = std::fs::File::from(error_read).read_to_string(&mut setup_error);

    // 7. Wait for the command, forwarding termination signals sent to guard.
    let exit_code = if setup_error.is_empty() {
        signals.wait_for(child)?
    } else {
        let _ = waitpid(child, None);
        SETUP_FAILED
    };

    // 8. End every process the session left behind, then flush the log.
    let leftover_processes = reap::end_all_descendants();
    signals.restore();
    // Records of calls answered just before the end are still on their way.
    if let Some(supervisor) = &supervisor_handle
        && !supervisor.settle(std::time::Duration::from_secs(2))
    {
        tracing::warn!("the supervisor did not finish recording the last calls in time");
    }
    if let Some(watcher) = watcher {
        watcher.finish();
    }
    let audit_error = writer.map(|handle| {
        let (audit, error) = handle.finish();
        *log = Some(audit);
        error
    });

    // 9. Put protected paths back as they were, keeping the session's version.
    let restored = snapshot.check_and_restore(&quarantine)?;
    if !setup_error.is_empty() {
        return Err(LaunchError::ChildSetup(setup_error));
    }
    if let Some(Some(error)) = audit_error {
        return Err(LaunchError::Audit(error));
    }
    Ok(SessionOutcome {
        exit_code,
        leftover_processes,
        restored,
    })
}
