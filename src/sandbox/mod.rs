//! Enforcement: each module takes a compiled [`crate::policy::Policy`] and
//! applies one kernel mechanism to the calling process, reporting exactly what
//! it enforced. They run in the forked child, just before `execve`.
//! [`crate::policy::refusal`] tells, from outside, what they will refuse and
//! by which rule.

pub mod features;
pub mod landlock;
pub mod mounts;
pub mod seccomp;

/// Why a sandbox layer could not be put in place. The session never starts
/// after one of these.
#[derive(Debug, thiserror::Error)]
pub enum EnforceError {
    /// Building or applying the Landlock ruleset failed.
    #[error("Landlock: {0}")]
    Landlock(String),
    /// The kernel could not enforce every Landlock right the policy needs.
    #[error(
        "Landlock is only partially enforced by this kernel (ABI {abi}); guard refuses to run with less than ABI 6"
    )]
    LandlockPartial {
        /// The kernel's ABI version.
        abi: u32,
    },
    /// Compiling or installing a seccomp filter failed.
    #[error("seccomp: {0}")]
    Seccomp(String),
    /// Setting up the private mount namespace failed.
    #[error("mount namespace: {step}: {source}")]
    Namespace {
        /// Which step.
        step: String,
        /// The system error.
        source: std::io::Error,
    },
    /// Dropping capabilities or setting `no_new_privs` failed.
    #[error("privileges: {step}: {source}")]
    Privileges {
        /// Which step.
        step: &'static str,
        /// The system error.
        source: std::io::Error,
    },
}
