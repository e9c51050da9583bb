//! One session, start to end: the place to read to follow a `guard run`.
//!
//! [`prepare`] turns the command line into a compiled policy; [`run`] takes
//! it from there, in a fixed order of numbered steps: check the kernel, keep
//! guard's state out of the session's reach, reap what dead sessions left,
//! open the log, scan, mint, run the session's processes ([`crate::launch`]:
//! fork, confine, supervise, wait, end every process, check the protected
//! paths), then tear down: revoke, seal the log. The credentials are held
//! by a guard value ([`leases::Leases`]) whose `Drop` revokes them on any
//! path that skips the ordinary end, an early error or a panic included;
//! within `launch`, every step after the fork reaches its cleanup.
//!
//! Nothing here prints: what the user should be told goes to the `notify`
//! callback; how the session ended comes back as a [`SessionOutcome`].

mod checkpoints;
mod dirs;
mod git_history;
mod git_state;
pub mod leases;
mod path_programs;
mod prepare;
mod records;
mod start_scan;
mod token;

pub use dirs::{StateDir, config_dir, credentials_file, home_dir, profile_sources};
pub use prepare::{Context, Prepared, prepare};

use crate::audit::{AuditLog, Event, EventKind};
use crate::launch::{self, SessionOutcome};
use crate::policy::Policy;
use leases::Leases;
use std::path::Path;
use std::time::Instant;

/// Why a session could not be prepared, started or ended cleanly.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The profile could not be loaded.
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    /// The profile could not be compiled into a policy.
    #[error(transparent)]
    Compile(#[from] crate::policy::CompileError),
    /// The session's processes could not be started (or cleaned up).
    #[error(transparent)]
    Launch(#[from] crate::launch::LaunchError),
    /// The kernel lacks something guard needs.
    #[error("this kernel cannot enforce guard's sandbox:\n  - {}\nRun `guard doctor` for details.", .0.join("\n  - "))]
    Kernel(Vec<String>),
    /// The repository directory is unusable.
    #[error("repository {path}: {reason}")]
    Repo {
        /// The path given or found.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A credential could not be minted (or its journal written).
    #[error(transparent)]
    Credential(#[from] crate::credentials::CredentialError),
    /// The audit log could not be created or written.
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    /// `--cred NAME` names no credential of the user's credentials file.
    #[error("no credential named `{name}` in {path}")]
    UnknownCredential {
        /// The name.
        name: String,
        /// The file looked in.
        path: std::path::PathBuf,
    },
    /// The repository profile changed since it was trusted.
    #[error(
        "{path} changed since you trusted it; review the change and run `guard trust` again:\n{diff}"
    )]
    RepoProfileChanged {
        /// The file.
        path: std::path::PathBuf,
        /// What changed.
        diff: String,
    },
    /// The trusted repository profile grants more than the user's profile.
    #[error(
        "{path} widens your profile (trust it with `guard trust --allow-widen` to accept):\n  {grants}"
    )]
    RepoProfileWidens {
        /// The file.
        path: std::path::PathBuf,
        /// What it adds.
        grants: String,
    },
    /// The policy would undermine guard itself.
    #[error("refusing to run: {0}")]
    Unsafe(String),
    /// The repository could not be scanned.
    #[error(transparent)]
    Scan(#[from] crate::scan::ScanError),
    /// `scan.on_start = "block"` and the repository scan found something.
    #[error("{0}")]
    ScanBlocked(String),
    /// guard's signing identity could not be read.
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
    /// Other I/O failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn lock(leases: &std::sync::Mutex<Leases>) -> std::sync::MutexGuard<'_, Leases> {
    leases.lock().unwrap_or_else(|e| e.into_inner())
}

/// Refuses a kernel that cannot enforce the prepared policy.
pub fn check_kernel(prepared: &Prepared) -> Result<(), SessionError> {
    let missing = prepared.features.missing_requirements();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(SessionError::Kernel(missing)),
    }
}

/// Runs a prepared session from start to end. `notify` receives what the
/// user should read as it happens (each line without guard's prefix).
pub fn run(
    mut prepared: Prepared,
    notify: &mut dyn FnMut(&str),
) -> Result<SessionOutcome, SessionError> {
    // 1. A kernel that cannot enforce the policy refuses the session.
    check_kernel(&prepared)?;

    // 2. The session cannot write guard's state (its own log, or the scan
    //    results the next session trusts), nor read guard's signing key.
    let state = StateDir::of(&prepared.host);
    refuse_writable_state(&prepared.policy, &[&state.sessions(), &state.scan_cache()])?;
    hide_identity(&mut prepared.policy, &state.identity())?;
    let policy = &prepared.policy;
    let session = &prepared.session;

    // 3. Leases of sessions whose guard died are revoked first (best
    //    effort; `guard reap` reports in full).
    for line in leases::reap(&state.leases(), &state.sessions(), &state.identity(), false) {
        notify(&line);
    }

    // 4. The log exists, with its start record, before anything runs: a full
    //    disk or an unwritable state directory refuses the session.
    let outer = outer_session(notify);
    let mut log = AuditLog::create(&state.sessions(), &session.id)?;
    log.append(records::session_start(&prepared, outer.as_deref())?)?;
    tracing::debug!(session = %session.id, log = %log.path().display(), "starting session");
    let started = Instant::now();

    // 5. The start scan, then the credentials. What refuses the session
    //    here also ends its log. From here on the leases are revoked on
    //    every path out (their `Drop`), a panic included.
    let leases = start_scan::scan_before_start(policy, &state.scan_cache(), &mut log, notify)
        .and_then(|()| leases::signer(policy, &session.id, &state.identity()))
        .and_then(|signer| {
            Leases::mint(
                policy,
                &session.id,
                &state.leases(),
                signer.as_ref(),
                &mut log,
            )
            .map(|leases| (signer, leases))
        });
    let (signer, leases) = match leases {
        Ok(minted) => minted,
        Err(error) => {
            let end = Event::new(EventKind::SessionEnd, None).with("error", error.to_string());
            let _ = seal(&mut log, end, &state.identity());
            return Err(error);
        }
    };
    // Shared with the session's channel, which mints what the session asks
    // for into the same leases.
    let leases = std::sync::Arc::new(std::sync::Mutex::new(leases));
    let on_demand = leases::OnDemand::of(
        policy,
        &session.id,
        &leases,
        signer.map(std::sync::Arc::new),
    );
    let secrets = lock(&leases).variables();
    log.redact(secrets.iter().map(|(_, secret)| secret.expose()));

    // 6. The session's processes, from the fork to the last of them ended
    //    and the protected paths checked (crate::launch); the log comes
    //    back with every record of theirs written.
    let parent_env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    // Inside another session, that session's supervisor records what this
    // one does (a process can have one seccomp listener), and its Landlock
    // domain is this one's (see `launch::Plan::adds_landlock_layers`).
    if let Some(outer) = &outer {
        notify(&format!(
            "inside session {outer}: this session has that session's filesystem rights (a session cannot add Landlock layers inside another); its environment, credentials and seccomp deny list are its own"
        ));
    }
    let environment = launch::SessionEnvironment {
        parent: &parent_env,
        credentials: &secrets,
        supervised: outer.is_none(),
        on_demand: on_demand.as_ref(),
    };
    let quarantine = state.quarantine(&session.id);
    let git_before = git_state::GitState::of(&policy.repo);
    let path_var = std::env::var("PATH").unwrap_or_default();
    let programs_before = path_programs::PathPrograms::of(&policy.repo, &path_var);
    let home = dirs::home_dir(&crate::policy::RealHost::from_process());
    let checkpoints = home.and_then(|home| checkpoints::Checkpoints::watch(policy, &home));
    let (outcome, mut log) = launch::run(policy, session, &environment, quarantine, log);
    drop(secrets);
    let git_left = git_state::GitState::of(&policy.repo).left_since(&git_before, policy);
    let checkpoints_left = checkpoints.map(|c| c.left(policy)).unwrap_or_default();
    let left = git_left.into_iter().chain(programs_before.added());
    for (event, notice) in left.chain(checkpoints_left) {
        notify(&notice);
        if let Err(error) = log.append(event) {
            notify(&format!("the log could not record it: {error}"));
        }
    }

    // 7. Revoke the credentials: nothing of the session runs any more.
    drop(on_demand);
    for failure in lock(&leases).revoke(Some(&mut log)) {
        notify(&format!(
            "{failure}; the lease stays in the journal and is retried (`guard creds`, `guard reap`)"
        ));
    }

    // 8. Seal the log with how the session ended, signed when guard has a
    //    signing identity.
    let end = records::session_end(&outcome, log.counts(), started.elapsed());
    injected_pause("seal");
    let sealed = seal(&mut log, end, &state.identity());
    let outcome = outcome?;
    sealed?;
    Ok(outcome)
}

/// The session this one runs inside, if any ([`launch::enclosing_session`]).
/// An unconfirmed `GUARD_SESSION` is ignored, and the user told: believing
/// it would leave the session unsupervised.
fn outer_session(notify: &mut dyn FnMut(&str)) -> Option<String> {
    let unconfirmed = match launch::enclosing_session() {
        Ok(outer) => return outer,
        Err(unconfirmed) => unconfirmed,
    };
    let (var, named) = (launch::SESSION_VAR, &unconfirmed.named);
    notify(&match &unconfirmed.unknown {
        None => format!(
            "{var} is set ({named}) but this process is in no guard session (the kernel shows no session supervisor watching it together with a refusal of new Landlock layers): ignored, this session has a supervisor of its own"
        ),
        Some(error) => format!(
            "{var} is set ({named}) but whether this process is in a guard session is unknown ({error}): ignored"
        ),
    });
    None
}

/// Appends the end record `end`, signed by guard's identity in `identity`
/// when there is one ([`crate::audit::seal`]).
pub(crate) fn seal(
    log: &mut AuditLog,
    end: Event,
    identity: &Path,
) -> Result<(), crate::audit::AuditError> {
    match crate::identity::current(identity) {
        Ok(key) => log.append_signed(end, &|payload| key.sign(payload)),
        Err(_) => log.append(end),
    }
}

/// The session must not be able to read guard's signing key: it would sign
/// tokens that say whatever it likes. Where the policy grants the key's
/// directory, a mount namespace covers it with an empty file system; without
/// one (Landlock cannot take back part of a grant) the session is refused.
fn hide_identity(policy: &mut Policy, identity: &Path) -> Result<(), SessionError> {
    let identity = crate::policy::lexically_normal(identity);
    if !identity.exists() {
        return Ok(());
    }
    let exposed = policy.filesystem.iter().find(|(path, rule)| {
        (rule.access.read || rule.access.write || rule.access.exec)
            && (identity.starts_with(path) || path.starts_with(&identity))
    });
    let Some((path, _)) = exposed else {
        return Ok(());
    };
    match &mut policy.namespace {
        Some(namespace) => {
            namespace.hidden.push(identity);
            Ok(())
        }
        None => Err(SessionError::Unsafe(format!(
            "the profile makes {} readable, which holds guard's signing key ({}), and without a mount namespace guard cannot hide it; the session could sign tokens of its own",
            path.display(),
            identity.display()
        ))),
    }
}

/// The session must not be able to write its own log, or the scan results
/// the next session trusts.
fn refuse_writable_state(policy: &Policy, dirs: &[&Path]) -> Result<(), SessionError> {
    for dir in dirs {
        let dir = crate::policy::lexically_normal(dir);
        let exposed = policy.filesystem.iter().find(|(path, rule)| {
            rule.access.write && (dir.starts_with(path) || path.starts_with(&dir))
        });
        if let Some((path, _)) = exposed {
            return Err(SessionError::Unsafe(format!(
                "the profile makes {} writable, which holds guard's state ({}); the session could rewrite its own log and scan results",
                path.display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

/// In a debug build, the pause a test asks for before `step` with
/// `GUARD_TEST_PAUSE=STEP@MS`, to send guard a signal in it. Release builds
/// have no such variable.
fn injected_pause(step: &str) {
    #[cfg(debug_assertions)]
    if let Ok(asked) = std::env::var("GUARD_TEST_PAUSE")
        && let Some((name, ms)) = asked.split_once('@')
        && name == step
    {
        std::thread::sleep(std::time::Duration::from_millis(ms.parse().unwrap_or(0)));
    }
    let _ = step;
}
