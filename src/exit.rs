//! guard's exit codes. A session passes its command's status through; guard's
//! own failures use codes a command rarely does, following `env(1)`.

/// A process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitCode(pub i32);

impl ExitCode {
    /// Success.
    pub const SUCCESS: ExitCode = ExitCode(0);
    /// A check failed (`guard doctor` found a missing requirement).
    pub const CHECK_FAILED: ExitCode = ExitCode(1);
    /// `guard log verify`: the logs are intact but one has no end record.
    pub const UNSEALED: ExitCode = ExitCode(3);
    /// The command line was malformed (clap's own code); also `guard scan`
    /// could not scan (a missing path, a malformed allowlist).
    pub const USAGE: ExitCode = ExitCode(2);
    /// guard could not set up the session; the command did not run.
    pub const SETUP_FAILED: ExitCode = ExitCode(125);
    /// The command succeeded, but the end-of-session check found a protected
    /// path changed and put it back.
    pub const BOUNDARY_VIOLATION: ExitCode = ExitCode(4);
    /// `guard log verify`: a log signed by a key that is not guard's.
    pub const UNKNOWN_SIGNER: ExitCode = ExitCode(5);
    /// The command was not found.
    pub const COMMAND_NOT_FOUND: ExitCode = ExitCode(127);
}
