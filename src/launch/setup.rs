//! What the forked side of a launch shares: its plan, made before the fork,
//! and how a failure before `execve` reaches guard.

use crate::policy::Policy;
use crate::sandbox::EnforceError;
use seccompiler::BpfProgram;
use std::ffi::CString;
use std::io::Write;
use std::os::fd::OwnedFd;

/// Exit code of a session whose setup failed (its message is on the error pipe).
pub const SETUP_FAILED: i32 = 125;

/// Everything the anchor and the command need, prepared by guard before the
/// fork (nothing here is computed after it).
pub struct Plan<'a> {
    /// The policy to enforce.
    pub policy: &'a Policy,
    /// The seccomp deny programs, already compiled.
    pub seccomp: &'a [BpfProgram],
    /// The program to execute.
    pub program: CString,
    /// Its arguments.
    pub argv: Vec<CString>,
    /// Its environment.
    pub env: Vec<CString>,
    /// guard's uid and gid, to map into a new user namespace.
    pub outside_ids: (u32, u32),
    /// The address of guard's network proxy (`network.mode = "allow"`).
    pub proxy: Option<std::net::SocketAddr>,
    /// Whether the session has a supervisor (its own seccomp listener).
    /// Not for a session nested in another, whose supervisor already
    /// watches it (a process can have one listener).
    pub supervised: bool,
}

impl Plan<'_> {
    /// Whether the session adds Landlock layers of its own: always, unless
    /// it is nested in another session that refuses them. That session's
    /// supervisor makes the nested session's writes with the outer
    /// session's rights, so a layer would be a promise it could not keep.
    /// The nested session then has the outer session's filesystem rights
    /// and Landlock network rules, and says so; its environment, credentials
    /// and seccomp deny list are its own. Asked of the kernel, in the
    /// process about to add them (`no_new_privs` set): an unsupervised
    /// session whose layers are not refused adds them.
    pub fn adds_landlock_layers(&self) -> bool {
        self.supervised || !crate::sys::landlock_layers_refused()
    }
}

/// Why the session could not be set up. Its text goes to guard over the
/// error pipe.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
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
    /// Something above the process refuses it new Landlock layers, as a
    /// guard session does its processes, and the session is not nested.
    #[error(
        "new Landlock layers are refused to this process (a guard session refuses them to its processes): a session cannot confine itself here; inside a guard session, keep GUARD_SESSION set, and the nested session runs with the outer session's filesystem rights"
    )]
    LandlockLayersRefused,
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

/// A [`SetupError::System`] for `step`.
pub fn system(step: &'static str) -> impl FnOnce(std::io::Error) -> SetupError {
    move |source| SetupError::System { step, source }
}

/// Writes a setup failure for guard and exits.
pub fn report(error_pipe: OwnedFd, error: &SetupError) -> ! {
    let mut pipe = std::fs::File::from(error_pipe);
    let _ = pipe.write_all(error.to_string().as_bytes());
    crate::sys::exit_immediately(SETUP_FAILED)
}
