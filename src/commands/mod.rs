//! One module per subcommand. Each takes parsed arguments, does its work
//! through the library layers, and returns an exit code or a typed error.

mod claude_hook;
mod credentials;
mod doctor;
mod generate;
mod hook;
mod log;
mod prepare;
mod profiles;
mod run;
mod scan;
mod shell_init;
mod start_scan;
mod trust;

pub use generate::{completions, man_page};

use crate::cli::{Cli, Command};
use crate::exit::ExitCode;

/// Why a subcommand failed. Each variant maps to a documented exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The profile could not be loaded.
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    /// The profile could not be compiled into a policy.
    #[error(transparent)]
    Compile(#[from] crate::policy::CompileError),
    /// The session could not be started.
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
    /// `guard scan` could not scan what it was asked to.
    #[error("{0}")]
    CannotScan(String),
    /// `scan.on_start = "block"` and the repository scan found something.
    #[error("{0}")]
    ScanBlocked(String),
    /// Writing output or other I/O failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl CommandError {
    /// The exit code guard ends with for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CommandError::Compile(crate::policy::CompileError::CommandNotFound { .. }) => {
                ExitCode::COMMAND_NOT_FOUND
            }
            // As documented for `guard scan`: 0 clean, 1 findings, 2 error.
            CommandError::CannotScan(_) => ExitCode::USAGE,
            _ => ExitCode::SETUP_FAILED,
        }
    }
}

/// Runs the subcommand `cli` names.
pub fn dispatch(cli: Cli) -> Result<ExitCode, CommandError> {
    match cli.command {
        Command::Run(args) => run::run(args, cli.no_namespaces),
        Command::Policy(args) => run::policy(args, cli.no_namespaces),
        Command::Profiles => profiles::list(),
        Command::Doctor { json } => doctor::doctor(json, cli.no_namespaces),
        Command::Log(command) => log::run(command),
        Command::ShellInit { shell } => shell_init::shell_init(shell),
        Command::Hook(command) => hook::hook(command),
        Command::Trust(args) => trust::trust(args, cli.no_namespaces),
        Command::Scan(args) => scan::scan(args),
        Command::Reap => credentials::reap_command(
            &prepare::journal_dir(),
            &prepare::state_path().join("sessions"),
        ),
        Command::Creds => credentials::creds_command(&prepare::journal_dir()),
        Command::Completions { shell } => {
            print!("{}", completions(shell));
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            print!("{}", man_page());
            Ok(ExitCode::SUCCESS)
        }
    }
}
